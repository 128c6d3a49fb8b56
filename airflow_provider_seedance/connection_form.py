"""The ``wavespeed`` connection form, declared once.

Airflow reads the form from two places depending on its version: 3.2+ takes
``conn-fields`` / ``ui-field-behaviour`` from :func:`..get_provider_info` (without
importing the hook), while 2.11 and 3.0-3.1 call the hook's
``get_connection_form_widgets`` / ``get_ui_field_behaviour``. Both are derived from the
data below, so the two forms cannot drift apart (they once did: only one had
``max_attempts``). The hook also reads exactly these extras, see :data:`EXTRA_FIELDS`.
"""

from __future__ import annotations

import copy
from typing import Any

from shared_client import ACCOUNT_LEVELS, DEFAULT_ACCOUNT_LEVEL, DEFAULT_BASE_URL

CONN_TYPE = "wavespeed"
HOOK_NAME = "WaveSpeed (Seedance)"

#: Extra fields, in Airflow's ``conn-fields`` format (label, JSON schema, description).
CONN_FIELDS: dict[str, dict[str, Any]] = {
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
    "account_level": {
        "label": "Account level",
        "schema": {"type": ["string", "null"], "enum": [*ACCOUNT_LEVELS, None]},
        "description": (
            f"WaveSpeed account level ({', '.join(ACCOUNT_LEVELS)}; empty: "
            f"{DEFAULT_ACCOUNT_LEVEL}). Sizes the account's Airflow pool: python -m "
            "airflow_provider_seedance.pools"
        ),
    },
}
#: Connection extras the hook reads.
EXTRA_FIELDS: tuple[str, ...] = tuple(CONN_FIELDS)

HIDDEN_FIELDS: tuple[str, ...] = ("login", "schema", "port", "extra")
RELABELING: dict[str, str] = {"password": "API key", "host": "Base URL"}
PLACEHOLDERS: dict[str, str] = {
    "host": f"{DEFAULT_BASE_URL} (leave empty for the public API)",
    "password": "WaveSpeed API key",
}


def provider_conn_fields() -> dict[str, dict[str, Any]]:
    """``conn-fields`` for ``get_provider_info`` (a copy: callers may mutate it)."""
    return copy.deepcopy(CONN_FIELDS)


def _behaviour(hidden_key: str) -> dict[str, Any]:
    return {
        hidden_key: list(HIDDEN_FIELDS),
        "relabeling": dict(RELABELING),
        "placeholders": dict(PLACEHOLDERS),
    }


def provider_ui_field_behaviour() -> dict[str, Any]:
    """``ui-field-behaviour`` for ``get_provider_info`` (kebab-case keys)."""
    return _behaviour("hidden-fields")


def hook_ui_field_behaviour() -> dict[str, Any]:
    """What ``get_ui_field_behaviour`` returns (the hook API uses snake_case keys)."""
    return _behaviour("hidden_fields")


def hook_form_widgets() -> dict[str, Any]:
    """Flask-AppBuilder widgets for the hook-based form (Airflow 2.11, 3.0-3.1).

    Booleans become check boxes; numbers stay text fields, as before, because an empty
    value must mean "client default" and the hook parses the text itself. Imported
    lazily: Flask-AppBuilder and WTForms exist only where that form is rendered.
    """
    from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
    from wtforms import BooleanField, StringField

    widgets: dict[str, Any] = {}
    for name, spec in CONN_FIELDS.items():
        schema = spec["schema"]
        if "boolean" in schema["type"]:
            widgets[name] = BooleanField(
                spec["label"], default=schema.get("default"), description=spec["description"]
            )
        else:
            widgets[name] = StringField(
                spec["label"], widget=BS3TextFieldWidget(), description=spec["description"]
            )
    return widgets
