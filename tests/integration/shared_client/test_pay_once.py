"""Pay once across crashes and lost answers, on every client, over real HTTP.

The simulator holds submit answers open after creating the task (``submit_hold``) and
shows tasks in its history late (``history_lag``), so both windows in which a paid task
hides from its owner are hit on purpose.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from seedance_simulator import Simulator
from shared_client import (
    ImageToVideoRequest,
    SubmissionUncertainError,
    SubmitIntent,
    body_fingerprint,
)

IMAGE = "https://example.com/product.png"  # a URL: identical bodies across tries


@pytest.fixture
def windows(sim: Simulator) -> Any:
    yield sim
    sim.set_timing(history_lag=0.0, submit_hold=0.0)


async def test_the_intent_is_recorded_before_the_post_leaves(
    windows: Simulator, driver_factory: Any
) -> None:
    client = driver_factory(windows.base_url)
    seen: list[tuple[SubmitIntent, int]] = []

    def record(intent: SubmitIntent) -> None:
        seen.append((intent, windows.stats()["submissions"]))

    before = time.time()
    request = ImageToVideoRequest(prompt="intent first", image=IMAGE)
    prediction = await client.submit(request, owner="dag/run/task/0", on_intent=record)
    [(intent, submissions_then)] = seen
    assert submissions_then == 0  # written before the simulator saw any POST
    assert intent.owner == "dag/run/task/0" and intent.prediction_id is None
    assert before <= intent.not_before <= time.time()
    body = windows.task(prediction.id)
    assert body is not None
    stats = windows.stats()
    assert list(stats["submissions_by_fingerprint"]) == [intent.fingerprint]


async def test_an_intent_that_cannot_be_written_stops_the_submit(
    windows: Simulator, driver_factory: Any
) -> None:
    client = driver_factory(windows.base_url)

    def broken_store(intent: SubmitIntent) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError):
        await client.submit(ImageToVideoRequest(prompt="x", image=IMAGE), on_intent=broken_store)
    assert windows.stats()["submissions"] == 0


async def test_a_lost_answer_behind_history_lag_is_found_by_the_settle_window(
    windows: Simulator, driver_factory: Any
) -> None:
    windows.set_timing(submit_hold=3.0, history_lag=2.0)
    client = driver_factory(windows.base_url, timeout=1.0)  # the answer is lost (read timeout)
    request = ImageToVideoRequest(prompt=f"lost and lagging {uuid.uuid4()}", image=IMAGE)
    with pytest.raises(SubmissionUncertainError) as info:
        await client.submit(request, owner="o1")  # the immediate search finds nothing yet
    intent = info.value.intent
    assert intent is not None and intent.owner == "o1"
    assert intent.fingerprint == info.value.fingerprint
    windows.set_timing(submit_hold=0.0)
    searches: list[float] = []
    found = await client.settle_submission(
        intent, settle_window=20.0, interval=0.5, on_search=searches.append
    )
    assert found is not None and windows.task(found.id) is not None
    assert len(searches) >= 2  # it was not there at the first search
    assert windows.stats()["submissions"] == 1


async def test_settle_proves_absence_only_after_the_window(
    windows: Simulator, driver_factory: Any
) -> None:
    client = driver_factory(windows.base_url)
    model = ImageToVideoRequest(prompt="x", image=IMAGE).model
    never_sent = SubmitIntent(
        "o1", model, body_fingerprint(model, {"prompt": "never"}), time.time()
    )
    started = time.monotonic()
    assert await client.settle_submission(never_sent, settle_window=1.5, interval=0.4) is None
    assert time.monotonic() - started >= 1.4
    assert windows.stats()["submissions"] == 0


async def test_identical_bodies_of_two_owners_are_never_adopted_twice(
    windows: Simulator, driver_factory: Any
) -> None:
    """Two mapped tasks send byte-identical bodies; both die before storing their ids."""
    client = driver_factory(windows.base_url)
    request = ImageToVideoRequest(prompt=f"the same ad twice {uuid.uuid4()}", image=IMAGE)
    intents: dict[str, SubmitIntent] = {}
    ids = {}
    for owner in ("run/gen/0", "run/gen/1"):
        ids[owner] = (
            await client.submit(
                request, owner=owner, on_intent=lambda i: intents.update({i.owner: i})
            )
        ).id
        time.sleep(0.05)
    a, b = intents["run/gen/0"], intents["run/gen/1"]
    assert a.fingerprint == b.fingerprint
    found_a = await client.recover_submission(a, others=[b])
    found_b = await client.recover_submission(b, others=[a])
    assert {found_a.id, found_b.id} == set(ids.values())
    # once one owner stored its id, the other can only take the remaining task
    claimed = a.with_prediction(found_a.id)
    assert (await client.recover_submission(b, others=[claimed])).id == found_b.id
    assert windows.stats()["submissions"] == 2
