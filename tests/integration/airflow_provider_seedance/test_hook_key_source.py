"""The hook takes the API key from the connection's password and from nowhere else.

``WAVESPEED_API_KEY`` is set in every test here: an empty password must still fail,
naming the connection, on the sync path, the async (triggerer) path and in
``test_connection``, and a password must win over the variable. The connections point at
the discard port, so a request that was sent anyway would surface as "no response", not
as the ``AuthenticationError`` these tests expect.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from airflow_provider_seedance.hooks.seedance import SeedanceHook, settings_from
from airflow_provider_seedance.triggers.seedance import SeedancePredictionTrigger
from shared_client import AuthenticationError, SeedanceClient

ENV_KEY = "env-key-that-must-never-be-used-9876"
CONN_KEY = "connection-key-5555"
NOWHERE = "http://127.0.0.1:9"

#: Connection fields without a usable key: no password, an empty one, a blank one.
NO_KEY = {"absent": {}, "empty": {"password": ""}, "blank": {"password": "   "}}


@pytest.fixture(autouse=True)
def _env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAVESPEED_API_KEY", ENV_KEY)


def define(monkeypatch: pytest.MonkeyPatch, conn_id: str, **fields: Any) -> str:
    connection = {"conn_type": "wavespeed", "host": NOWHERE, **fields}
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(connection))
    return conn_id


def assert_names_the_connection(message: str, conn_id: str) -> None:
    assert repr(conn_id) in message
    assert "password" in message and "API key" in message
    assert ENV_KEY not in message


@pytest.mark.parametrize("fields", NO_KEY.values(), ids=list(NO_KEY))
def test_sync_path_refuses_a_connection_without_a_key(
    monkeypatch: pytest.MonkeyPatch, fields: dict[str, Any]
) -> None:
    hook = SeedanceHook(define(monkeypatch, "ws_nokey", **fields))
    with pytest.raises(AuthenticationError) as settings_error:
        hook.get_settings()
    assert_names_the_connection(str(settings_error.value), "ws_nokey")
    with pytest.raises(AuthenticationError) as conn_error:
        hook.get_conn()
    assert str(conn_error.value) == str(settings_error.value)


@pytest.mark.parametrize("fields", NO_KEY.values(), ids=list(NO_KEY))
async def test_async_path_refuses_a_connection_without_a_key(
    monkeypatch: pytest.MonkeyPatch, fields: dict[str, Any]
) -> None:
    hook = SeedanceHook(define(monkeypatch, "ws_nokey_async", **fields))
    with pytest.raises(AuthenticationError) as settings_error:
        await hook.aget_settings()
    assert_names_the_connection(str(settings_error.value), "ws_nokey_async")
    with pytest.raises(AuthenticationError):
        await hook.ashared_client()


async def test_trigger_ends_with_an_error_event_naming_the_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conn_id = define(monkeypatch, "ws_nokey_trigger")
    trigger = SeedancePredictionTrigger("p-1", time.time() + 30, conn_id, poll_interval=1.0)
    events = [event.payload async for event in trigger.run()]
    assert [e["status"] for e in events] == ["error"]
    assert_names_the_connection(events[0]["message"], conn_id)


@pytest.mark.parametrize("fields", NO_KEY.values(), ids=list(NO_KEY))
def test_test_connection_reports_the_missing_key(
    monkeypatch: pytest.MonkeyPatch, fields: dict[str, Any]
) -> None:
    ok, message = SeedanceHook(define(monkeypatch, "ws_nokey_test", **fields)).test_connection()
    assert ok is False
    assert_names_the_connection(message, "ws_nokey_test")
    assert "rejected" not in message  # nothing was sent: the API rejected nothing


async def test_the_password_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    hook = SeedanceHook(define(monkeypatch, "ws_keyed", password=CONN_KEY))
    assert hook.get_settings().api_key == CONN_KEY
    assert (await hook.aget_settings()).api_key == CONN_KEY


def test_settings_without_a_password_never_reach_the_environment() -> None:
    # Even settings built directly (not through the hook) hand the client "" rather than
    # None, and the client only reads the environment for None.
    kwargs = settings_from(None, NOWHERE, None, None, {}).client_kwargs()
    assert kwargs["api_key"] == ""
    with pytest.raises(AuthenticationError):
        SeedanceClient(**kwargs)
