"""Where the key comes from, and that it never shows in messages or reprs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from comfy_nodes.settings import (
    MissingApiKeyError,
    load_settings,
    resolve_api_key,
)

SENTINEL = "sk-SENTINEL-settings-7f3a"


def test_environment_wins_over_the_user_folder_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "wavespeed.json").write_text(json.dumps({"api_key": "from-file"}))
    monkeypatch.setenv("WAVESPEED_API_KEY", SENTINEL)
    assert resolve_api_key(tmp_path) == SENTINEL


def test_file_at_the_root_of_the_user_folder_is_used(tmp_path: Path) -> None:
    (tmp_path / "wavespeed.json").write_text(json.dumps({"api_key": f"  {SENTINEL}\n"}))
    assert resolve_api_key(tmp_path) == SENTINEL


def test_file_under_user_default_is_not_read_because_comfyui_serves_that_folder(
    tmp_path: Path,
) -> None:
    (tmp_path / "default").mkdir()
    (tmp_path / "default" / "wavespeed.json").write_text(json.dumps({"api_key": SENTINEL}))
    with pytest.raises(MissingApiKeyError):
        resolve_api_key(tmp_path)


def test_missing_key_names_the_field_and_both_ways_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(MissingApiKeyError) as info:
        resolve_api_key(tmp_path)
    message = str(info.value)
    assert message.startswith("api_key:")
    assert "WAVESPEED_API_KEY" in message
    assert str(tmp_path / "wavespeed.json") in message


def test_broken_key_file_is_reported_without_echoing_its_content(tmp_path: Path) -> None:
    (tmp_path / "wavespeed.json").write_text('{"api_key": "' + SENTINEL)  # truncated JSON
    with pytest.raises(MissingApiKeyError) as info:
        resolve_api_key(tmp_path)
    assert SENTINEL not in str(info.value)
    assert "wavespeed.json" in str(info.value)


def test_settings_repr_hides_the_key_and_base_url_comes_from_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAVESPEED_API_KEY", SENTINEL)
    monkeypatch.setenv("WAVESPEED_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("SEEDANCE_COMFY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SEEDANCE_POLL_INTERVAL", "0.2")
    settings = load_settings(tmp_path)
    assert settings.api_key == SENTINEL
    assert SENTINEL not in repr(settings) and SENTINEL not in str(settings)
    assert settings.base_url == "http://127.0.0.1:9"
    assert settings.cache_dir == tmp_path / "cache"
    assert settings.poll_interval == pytest.approx(0.2)


@pytest.mark.parametrize(("raw", "attempts"), [("", None), ("3", 3), ("0", 1), ("many", None)])
def test_seedance_max_attempts_reaches_the_clients_retry_policy(
    raw: str, attempts: int | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from comfy_nodes.runner import default_client_factory
    from shared_client import RetryPolicy

    monkeypatch.setenv("WAVESPEED_API_KEY", SENTINEL)
    monkeypatch.setenv("SEEDANCE_MAX_ATTEMPTS", raw)
    settings = load_settings(tmp_path)
    assert settings.max_attempts == attempts
    client = default_client_factory(settings)
    expected = RetryPolicy().max_attempts if attempts is None else attempts
    assert client.retry.max_attempts == expected
