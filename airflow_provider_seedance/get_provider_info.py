"""Provider metadata Airflow reads through the ``apache_airflow_provider`` entry point.

``package-name`` must equal the distribution name (Airflow checks). ``conn-fields`` and
``ui-field-behaviour`` describe the connection form declaratively (Airflow 3.2+ renders
it without importing the hook); older versions call the hook's form methods instead.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_seedance import __version__

_MODULE = "airflow_provider_seedance"
_INTEGRATION = "WaveSpeed Seedance"


def get_provider_info() -> dict[str, Any]:
    """Return the provider description (schema: ``airflow/provider_info.schema.json``)."""
    return {
        "package-name": "seedance-workflows",
        "name": "Seedance (WaveSpeedAI)",
        "description": "ByteDance Seedance 2.0 image-to-video generation served by WaveSpeedAI.",
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
            {"integration-name": _INTEGRATION, "python-modules": [f"{_MODULE}.operators.seedance"]}
        ],
        "sensors": [
            {"integration-name": _INTEGRATION, "python-modules": [f"{_MODULE}.sensors.seedance"]}
        ],
        "triggers": [
            {"integration-name": _INTEGRATION, "python-modules": [f"{_MODULE}.triggers.seedance"]}
        ],
        "extra-links": [f"{_MODULE}.links.seedance.SeedanceVideoLink"],
        "connection-types": [
            {
                "connection-type": "wavespeed",
                "hook-class-name": f"{_MODULE}.hooks.seedance.SeedanceHook",
                "hook-name": "WaveSpeed (Seedance)",
                "conn-fields": {
                    "timeout": {
                        "label": "Request timeout (s)",
                        "schema": {"type": ["number", "null"]},
                        "description": "Per-request HTTP timeout; empty uses the client default.",
                    },
                    "max_attempts": {
                        "label": "Attempts per read",
                        "schema": {"type": ["integer", "null"]},
                        "description": "Tries per status/download request (submits never retry).",
                    },
                    "verify_ssl": {
                        "label": "Verify TLS certificates",
                        "schema": {"type": ["boolean", "null"], "default": True},
                        "description": "Only turn off for a local test server.",
                    },
                },
                "ui-field-behaviour": {
                    "hidden-fields": ["login", "schema", "port", "extra"],
                    "relabeling": {"password": "API key", "host": "Base URL"},
                    "placeholders": {
                        "host": "https://api.wavespeed.ai (leave empty for the public API)",
                        "password": "WaveSpeed API key",
                    },
                },
            }
        ],
    }
