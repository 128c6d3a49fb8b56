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


def test_the_form_hides_no_extra_editor_it_cannot_hide_and_asks_for_the_port() -> None:
    """Airflow 3's form has no standard ``extra`` field to hide: declaring it misled. The
    port is shown (a stored port is what makes Airflow 3.3's Test button work)."""
    behaviour = _connection_type()["ui-field-behaviour"]
    assert "extra" not in behaviour["hidden-fields"]
    assert "port" not in behaviour["hidden-fields"]
    assert set(behaviour["hidden-fields"]) == {"login", "schema"}
    assert "Test" in behaviour["relabeling"]["port"]
    assert str(connection_form.DEFAULT_PORT) in behaviour["placeholders"]["port"]


def test_airflow_reads_the_form_the_provider_declares() -> None:
    """What Airflow 3's API server hands the UI, through its own ProvidersManager."""
    pytest.importorskip("airflow.api_fastapi")
    from airflow.providers_manager import ProvidersManager

    pm = ProvidersManager()
    behaviour = pm.field_behaviours["wavespeed"]
    assert behaviour["hidden_fields"] == ["login", "schema"]
    assert behaviour["relabeling"]["password"] == "API key"
    widgets = {k: v for k, v in pm.connection_form_widgets.items() if "__wavespeed__" in k}
    assert {w.field_name for w in widgets.values()} == set(connection_form.EXTRA_FIELDS)
