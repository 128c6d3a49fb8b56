"""The session cap's ledger: reservations hold money until the submit is known, so nodes
running at the same time cannot both spend the same remainder."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from comfy_nodes.budget import SessionCapError, SessionLedger, ledger_for
from comfy_nodes.settings import InvalidSettingError, load_settings
from shared_client import Quote


def _quote(usd: float, source: str = "api") -> Quote:
    return Quote(usd, "USD", source, "bytedance/seedance-2.0/text-to-video")  # type: ignore[arg-type]


def test_a_run_that_would_cross_the_cap_is_refused_naming_spent_and_remaining() -> None:
    ledger = SessionLedger()
    ledger.reserve(_quote(0.6), cap=1.0).commit()
    pending = ledger.reserve(_quote(0.3), cap=1.0)
    with pytest.raises(SessionCapError) as info:
        ledger.reserve(_quote(0.2), cap=1.0, config_path=Path("/u/wavespeed.json"))
    message = str(info.value)
    assert message.startswith("max_cost_usd: this run costs $0.2000 USD (pricing API)")
    assert "only $0.1000 of the session cap of $1.0000 remains" in message
    assert "$0.6000 spent this session, $0.3000 reserved" in message
    assert "Nothing was uploaded or submitted" in message and "/u/wavespeed.json" in message
    pending.release()  # the submit provably created nothing: the money is free again
    ledger.reserve(_quote(0.4), cap=1.0).commit()
    assert ledger.spent == pytest.approx(1.0) and ledger.reserved == 0


def test_commit_and_release_count_once_and_no_cap_only_counts() -> None:
    ledger = SessionLedger()
    held = ledger.reserve(_quote(5.0), cap=None)
    held.commit()
    held.commit()
    held.release()
    assert (ledger.spent, ledger.reserved) == (5.0, 0.0)
    assert ledger.summary(None) == "Session: $5.0000 spent (no max_cost_usd cap)"
    assert ledger.summary(8.0) == "Session: $5.0000 spent, $3.0000 left of $8.0000"


def test_concurrent_reservations_never_overspend() -> None:
    ledger = SessionLedger()
    granted: list[bool] = []
    barrier = threading.Barrier(16)

    def run() -> None:
        barrier.wait()
        try:
            ledger.reserve(_quote(0.25), cap=1.0)
            granted.append(True)
        except SessionCapError:
            granted.append(False)

    threads = [threading.Thread(target=run) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert granted.count(True) == 4 and ledger.reserved == pytest.approx(1.0)


def test_each_service_has_its_own_session_ledger() -> None:
    assert ledger_for("http://127.0.0.1:1/") is ledger_for("http://127.0.0.1:1")
    assert ledger_for("http://127.0.0.1:1") is not ledger_for(None)


@pytest.mark.parametrize(("value", "expected"), [(None, None), (0, 0.0), (2.5, 2.5)])
def test_max_cost_usd_is_read_from_the_user_folder_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: object, expected: float | None
) -> None:
    monkeypatch.setenv("WAVESPEED_API_KEY", "k")
    (tmp_path / "wavespeed.json").write_text(json.dumps({"max_cost_usd": value}))
    settings = load_settings(tmp_path)
    assert settings.max_cost_usd == expected
    assert settings.config_path == tmp_path / "wavespeed.json"


@pytest.mark.parametrize("value", ["5", -1, True, [1]])
def test_a_bad_cap_is_an_error_before_anything_is_paid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: object
) -> None:
    monkeypatch.setenv("WAVESPEED_API_KEY", "k")
    (tmp_path / "wavespeed.json").write_text(json.dumps({"max_cost_usd": value}))
    with pytest.raises(InvalidSettingError, match=r"^max_cost_usd: expected a number"):
        load_settings(tmp_path)
