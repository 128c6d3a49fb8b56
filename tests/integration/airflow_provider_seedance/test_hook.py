"""The hook (``hooks/seedance.py``): connection parsing, TLS settings, the connection test."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_seedance.hooks.seedance import SeedanceHook, base_url_from
from tests.support.provider import API_KEY


@pytest.mark.parametrize(
    ("host", "schema", "port", "expected"),
    [
        (None, None, None, None),
        ("http://127.0.0.1:8123", None, None, "http://127.0.0.1:8123"),
        ("http://127.0.0.1", None, 8123, "http://127.0.0.1:8123"),
        ("api.wavespeed.ai", None, None, "https://api.wavespeed.ai"),
        ("127.0.0.1", "http", 9000, "http://127.0.0.1:9000"),
        ("127.0.0.1", "ftp", None, "https://127.0.0.1"),
        # Airflow 3.3's UI posts port 0 for "no port"; the form asks for 443 (Test button)
        ("http://127.0.0.1:8123", None, 0, "http://127.0.0.1:8123"),
        ("https://api.wavespeed.ai", None, 0, "https://api.wavespeed.ai"),
        ("https://api.wavespeed.ai", None, 443, "https://api.wavespeed.ai"),
        ("http://127.0.0.1:8123", None, 443, "http://127.0.0.1:8123"),
        ("api.wavespeed.ai", None, 443, "https://api.wavespeed.ai"),
        ("127.0.0.1", "http", 80, "http://127.0.0.1"),
        (None, None, 443, None),
    ],
)
def test_base_url_from_connection_fields(
    host: str | None, schema: str | None, port: int | None, expected: str | None
) -> None:
    assert base_url_from(host, schema, port) == expected


def test_uri_form_connection_and_explicit_tls_opt_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_WAVESPEED_URI",
        f"wavespeed://:{API_KEY}@127.0.0.1:8123/http?timeout=12.5&verify_ssl=false",
    )
    settings = SeedanceHook("wavespeed_uri").get_settings()
    assert settings.base_url == "http://127.0.0.1:8123"
    assert settings.timeout == 12.5 and settings.verify_ssl is False
    assert API_KEY not in repr(settings)


@pytest.mark.parametrize("value", [None, "", "yes", True, "true"])
def test_tls_verification_stays_on_unless_explicitly_off(make_conn: Any, value: Any) -> None:
    make_conn("ws_tls", password=API_KEY, extra={} if value is None else {"verify_ssl": value})
    assert SeedanceHook("ws_tls").get_settings().verify_ssl is True


async def test_async_settings_match_sync_settings(make_conn: Any) -> None:
    make_conn("ws_async", password=API_KEY, host="http://127.0.0.1:1", extra={"timeout": 3})
    hook = SeedanceHook("ws_async")
    assert await hook.aget_settings() == hook.get_settings()


def test_test_connection_accepts_good_key_and_rejects_bad_one(sim: Any, make_conn: Any) -> None:
    make_conn("ws_good", password=API_KEY, host=sim.base_url)
    make_conn("ws_bad", password="wrong-key-000", host=sim.base_url)
    ok, message = SeedanceHook("ws_good").test_connection()
    assert ok, message
    ok, message = SeedanceHook("ws_bad").test_connection()
    assert not ok and "wrong-key-000" not in message
    assert sim.stats()["submissions"] == 0
