"""The intent record and the rule that decides which history task is whose."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_client.submit_intent import (
    SubmitIntent,
    assign_candidate,
    created_at_seconds,
)

T0 = 1_800_000_000.0  # a fixed wall-clock instant


def iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


def item(pid: str, t: float) -> dict:
    return {"id": pid, "created_at": iso(t), "status": "processing"}


def intent(owner: str, t: float, pid: str | None = None) -> SubmitIntent:
    return SubmitIntent(
        owner=owner, model="m/x", fingerprint="f" * 64, not_before=t, prediction_id=pid
    )


def test_round_trips_through_json_and_refuses_garbage() -> None:
    record = intent("dag/run/task/3", T0).with_prediction("abc")
    assert SubmitIntent.from_json(record.to_json()) == record
    assert SubmitIntent.from_json(intent("o", T0).to_json()).prediction_id is None
    for bad in (
        "[]",
        "{}",
        '{"owner": "", "model": "m", "fingerprint": "f", "not_before": 1}',
        '{"owner": "o", "model": "m", "fingerprint": "f", "not_before": "soon"}',
        '{"owner": "o", "model": "m", "fingerprint": "f", "not_before": 1, "prediction_id": 7}',
    ):
        with pytest.raises(ValueError):
            SubmitIntent.from_json(bad)


def test_the_request_key_round_trips_and_old_records_have_none() -> None:
    keyed = replace(intent("o", T0, "abc"), request_key="k" * 64)
    assert SubmitIntent.from_json(keyed.to_json()) == keyed
    assert SubmitIntent.from_json(keyed.lost().to_json()).request_key == "k" * 64
    old = '{"owner": "o", "model": "m", "fingerprint": "f", "not_before": 1}'
    assert SubmitIntent.from_json(old).request_key is None  # records written before the key
    assert SubmitIntent.from_json(old[:-1] + ', "request_key": 5}').request_key is None


def test_created_at_reads_the_api_spellings() -> None:
    assert created_at_seconds("2027-01-15T08:00:00Z") == created_at_seconds(
        "2027-01-15T08:00:00+00:00"
    )
    assert created_at_seconds("2027-01-15T08:00:00") == created_at_seconds("2027-01-15T08:00:00Z")
    assert created_at_seconds("yesterday") is None
    assert created_at_seconds(None) is None


def test_a_lone_owner_adopts_the_task_created_after_its_intent() -> None:
    own = intent("a", T0)
    assert assign_candidate(own, [item("p1", T0 + 1)])["id"] == "p1"


def test_a_task_created_before_the_intent_is_never_adopted() -> None:
    own = intent("a", T0)
    assert assign_candidate(own, [item("old", T0 - 60)]) is None
    # within the clock skew allowance it still counts
    assert assign_candidate(own, [item("near", T0 - 1.5)])["id"] == "near"


def test_a_task_claimed_by_another_owner_is_not_taken() -> None:
    own = intent("a", T0)
    other = intent("b", T0 + 0.5, pid="p1")
    assert assign_candidate(own, [item("p1", T0 + 1)], others=[other]) is None
    found = assign_candidate(own, [item("p1", T0 + 1), item("p2", T0 + 2)], others=[other])
    assert found["id"] == "p2"


def test_two_owners_of_identical_bodies_never_adopt_the_same_task() -> None:
    a, b = intent("a", T0), intent("b", T0 + 1)
    items = [item("p2", T0 + 1.5), item("p1", T0 + 0.5)]
    got_a = assign_candidate(a, items, others=[b])
    got_b = assign_candidate(b, items, others=[a])
    assert {got_a["id"], got_b["id"]} == {"p1", "p2"}
    # only one task exists (one of them crashed before its POST): exactly one adopts it
    one = [item("p1", T0 + 1.5)]
    owners = [assign_candidate(a, one, others=[b]), assign_candidate(b, one, others=[a])]
    assert sum(o is not None for o in owners) == 1


def test_an_item_without_a_readable_time_counts_as_the_newest() -> None:
    own = intent("a", T0)
    untimed = {"id": "p9", "status": "processing"}
    assert assign_candidate(own, [untimed])["id"] == "p9"
    assert assign_candidate(own, [untimed, item("p1", T0 + 1)])["id"] == "p1"


def test_the_owner_itself_in_others_does_not_count_as_another() -> None:
    own = intent("a", T0)
    assert assign_candidate(own, [item("p1", T0 + 1)], others=[own])["id"] == "p1"


@given(
    intents=st.lists(st.floats(0, 100), min_size=1, max_size=6),
    created=st.lists(st.floats(0, 120), max_size=6),
)
def test_no_task_is_ever_assigned_to_two_owners(intents: list[float], created: list[float]) -> None:
    owners = [intent(f"o{i}", T0 + t) for i, t in enumerate(intents)]
    items = [item(f"p{i}", T0 + t) for i, t in enumerate(created)]
    assigned = []
    for own in owners:
        others = [o for o in owners if o is not own]
        got = assign_candidate(own, items, others=others)
        if got is not None:
            assert created_at_seconds(got["created_at"]) >= own.not_before - 2.0
            assigned.append(got["id"])
    assert len(assigned) == len(set(assigned))
