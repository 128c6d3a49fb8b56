"""``history_flow``: the listing behind ``seedance history``, driven by a script.

It sends only the filters given, pages on a full page, and stops at ``limit`` or a short
page (never loops over an unbounded history).
"""

from __future__ import annotations

from typing import Any

from shared_client import recovery
from shared_client.endpoints import HISTORY_PAGE_SIZE
from tests.support.flows import Script

BASE = "http://api.test"


def items(n: int, start: int = 0) -> dict[str, Any]:
    return {"items": [{"id": f"p{start + i}", "status": "completed"} for i in range(n)]}


def test_sends_only_the_given_filters_and_parses_items() -> None:
    script = Script([items(2)])
    found = script.run(recovery.history_flow(BASE, status="completed", created_after="2026-01-01"))
    assert [p.id for p in found] == ["p0", "p1"]
    [call] = script.effects
    assert call.request.url == f"{BASE}/api/v3/predictions" and call.request.method == "POST"
    assert call.request.json == {
        "page": 1,
        "page_size": HISTORY_PAGE_SIZE,
        "created_after": "2026-01-01",
        "status": "completed",
    }


def test_pages_on_full_pages_and_stops_at_the_limit() -> None:
    script = Script([items(HISTORY_PAGE_SIZE), items(HISTORY_PAGE_SIZE, 100), items(3, 200)])
    found = script.run(recovery.history_flow(BASE, limit=150))
    assert len(found) == 150 and found[-1].id == "p149"
    assert [e.request.json["page"] for e in script.effects] == [1, 2]
