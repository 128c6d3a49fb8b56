"""Provider metadata Airflow reads through the ``apache_airflow_provider`` entry point.

``package-name`` must equal the distribution name (Airflow checks). ``conn-fields`` and
``ui-field-behaviour`` describe the connection form declaratively (Airflow 3.2+ renders
it without importing the hook); older versions call the hook's form methods instead.
Both come from :mod:`.connection_form`, the form's single declaration.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_seedance import __version__
from airflow_provider_seedance.connection_form import (
    CONN_TYPE,
    HOOK_NAME,
    provider_conn_fields,
    provider_ui_field_behaviour,
)

_MODULE = "airflow_provider_seedance"
_INTEGRATION = "WaveSpeed Seedance"


def get_provider_info() -> dict[str, Any]:
    """Return the provider description (schema: ``airflow/provider_info.schema.json``)."""
    return {
        "package-name": "seedance-workflows",
        "name": "Seedance (WaveSpeedAI)",
        "description": (
            "ByteDance Seedance 2.0 video generation served by WaveSpeedAI: text-to-video "
            "with references, image-to-video, video extend and video edit, with quotes "
            "and budget caps."
        ),
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": _INTEGRATION,
                "external-doc-url": "https://wavespeed.ai/docs",
                "tags": ["software"],
            }
        ],
        "hooks": [
            {"integration-name": _INTEGRATION, "python-modules": [f"{_MODULE}.hooks.seedance"]}
        ],
        "operators": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": [
                    f"{_MODULE}.operators.seedance",
                    f"{_MODULE}.operators.base",
                    f"{_MODULE}.operators.modes",
                    f"{_MODULE}.operators.quote",
                    f"{_MODULE}.operators.approval",
                    f"{_MODULE}.operators.story",
                    f"{_MODULE}.operators.story_stitch",
                ],
            }
        ],
        "sensors": [
            {"integration-name": _INTEGRATION, "python-modules": [f"{_MODULE}.sensors.seedance"]}
        ],
        "triggers": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": [
                    f"{_MODULE}.triggers.seedance",
                    f"{_MODULE}.triggers.reconcile",
                    f"{_MODULE}.triggers.rate_limit",
                    f"{_MODULE}.triggers.approval",
                ],
            }
        ],
        "extra-links": [f"{_MODULE}.links.seedance.SeedanceVideoLink"],
        "connection-types": [
            {
                "connection-type": CONN_TYPE,
                "hook-class-name": f"{_MODULE}.hooks.seedance.SeedanceHook",
                "hook-name": HOOK_NAME,
                "conn-fields": provider_conn_fields(),
                "ui-field-behaviour": provider_ui_field_behaviour(),
            }
        ],
    }
