"""The connection form is declared once; both of Airflow's ways of reading it agree.

Airflow 3.2+ reads ``conn-fields`` / ``ui-field-behaviour`` from the provider info; 2.11
and 3.0-3.1 call the hook's methods. Both must describe the same fields, and the hook
must read exactly the extras the form offers.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

import airflow_provider_seedance
import shared_client
from airflow_provider_seedance import connection_form
from airflow_provider_seedance.get_provider_info import get_provider_info
from airflow_provider_seedance.hooks.seedance import SeedanceHook


def _connection_type() -> dict[str, Any]:
    (conn,) = get_provider_info()["connection-types"]
    return conn


def test_provider_info_and_hook_describe_the_same_field_behaviour() -> None:
    provider = _connection_type()["ui-field-behaviour"]
    hook = SeedanceHook.get_ui_field_behaviour()
    assert provider["hidden-fields"] == hook["hidden_fields"]
    assert provider["relabeling"] == hook["relabeling"]
    assert provider["placeholders"] == hook["placeholders"]
    assert shared_client.DEFAULT_BASE_URL in hook["placeholders"]["host"]


def test_the_hook_reads_exactly_the_extras_the_form_offers() -> None:
    assert tuple(_connection_type()["conn-fields"]) == connection_form.EXTRA_FIELDS
    assert set(connection_form.EXTRA_FIELDS) == {
        "timeout",
        "max_attempts",
        "verify_ssl",
        "account_level",
    }


def test_provider_info_returns_copies_callers_may_change() -> None:
    _connection_type()["conn-fields"]["timeout"]["label"] = "changed"
    assert _connection_type()["conn-fields"]["timeout"]["label"] == "Request timeout (s)"


@pytest.mark.skipif(
    importlib.util.find_spec("wtforms") is None
    or importlib.util.find_spec("flask_appbuilder") is None,
    reason="the hook-based form needs Flask-AppBuilder (Airflow 2.11)",
)
def test_hook_form_widgets_match_conn_fields() -> None:
    from wtforms import BooleanField, StringField

    fields = _connection_type()["conn-fields"]
    widgets = SeedanceHook.get_connection_form_widgets()
    assert list(widgets) == list(fields)
    for name, widget in widgets.items():
        assert widget.args[0] == fields[name]["label"]
        assert widget.kwargs["description"] == fields[name]["description"]
    assert widgets["verify_ssl"].field_class is BooleanField
    assert widgets["verify_ssl"].kwargs["default"] is True
    assert widgets["timeout"].field_class is StringField
    assert widgets["max_attempts"].field_class is StringField


def test_one_version_for_the_distribution() -> None:
    assert airflow_provider_seedance.__version__ == shared_client.__version__
    assert get_provider_info()["versions"] == [shared_client.__version__]
