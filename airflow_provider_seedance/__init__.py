"""Apache Airflow provider for ByteDance Seedance 2.0 video generation served by WaveSpeedAI.

Install next to ``apache-airflow`` (>= 2.11); Airflow discovers it through the
``apache_airflow_provider`` entry point (see :mod:`.get_provider_info`).
"""

from __future__ import annotations

__version__ = "0.1.0"
