"""``paid_shots``: which shots a re-run of a board would not pay for, from the ledger only.

The ComfyUI storyboard node reserves money for the other shots only, so this must say
exactly what ``generate_story`` then does: a finished shot is reused; a submitted shot whose
file is gone is followed by its id (downloaded again, not paid); a shot without a
prediction, and every shot after it in its chain (it would follow a new id), is paid.
"""

from __future__ import annotations

from pathlib import Path

from seedance_simulator import Simulator
from shared_client import SeedanceClient, Storyboard, paid_shots

from .conftest import API_KEY


def test_paid_shots_follow_the_ledger_and_the_chains(sim: Simulator, tmp_path: Path) -> None:
    board = Storyboard.from_dict(
        {"title": "Reuse", "tier": "mini", "resolution": "480p",
         "shots": [{"prompt": "a", "duration": 4},
                   {"prompt": "b", "duration": 4, "join": "continue"},
                   {"prompt": "c", "duration": 4}]}
    )  # fmt: skip
    assert paid_shots(board, tmp_path) == frozenset()
    with SeedanceClient(api_key=API_KEY, base_url=sim.base_url) as client:
        first = client.generate_story(board, tmp_path, poll_interval=0.1, timeout=120)
        assert paid_shots(board, tmp_path) == {0, 1, 2}
        first.shots[0].file.unlink()  # re-attached by id and downloaded again: not paid
        assert paid_shots(board, tmp_path) == {0, 1, 2}
        again = client.generate_story(board, tmp_path, poll_interval=0.1, timeout=120)
        assert [s.reused for s in again.shots] == [False, True, True]
        assert sim.stats()["submissions"] == 3
        ledger = next((tmp_path / ".story").iterdir()) / "shot-00.json"
        ledger.unlink()  # shot 0 forgotten: it and the shot that continues it are paid anew
        assert paid_shots(board, tmp_path) == {2}
        third = client.generate_story(board, tmp_path, poll_interval=0.1, timeout=120)
    assert [s.reused for s in third.shots] == [False, False, True]
    assert sim.stats()["submissions"] == 5
    other = Storyboard.from_dict({"title": "Reuse", "shots": [{"prompt": "x", "duration": 4}]})
    assert paid_shots(other, tmp_path) == frozenset()
