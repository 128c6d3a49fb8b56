"""Apache Airflow provider for ByteDance Seedance 2.0 video generation served by WaveSpeedAI.

Install next to ``apache-airflow`` (>= 2.11); Airflow discovers it through the
``apache_airflow_provider`` entry point (see :mod:`.get_provider_info`).
"""

from __future__ import annotations

# One distribution, one version: shared_client reads it from the package metadata.
from shared_client import __version__

__all__ = ["SeedanceStoryboard", "__version__"]


def __getattr__(name: str) -> object:
    """``SeedanceStoryboard`` imports Airflow's operators: loaded on first use only, so
    provider discovery (which imports this package) stays light."""
    if name == "SeedanceStoryboard":
        from airflow_provider_seedance.storyboard_group import SeedanceStoryboard

        return SeedanceStoryboard
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
