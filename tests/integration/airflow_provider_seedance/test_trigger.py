"""The trigger (``triggers/seedance.py``), driven as an async generator against the simulator."""

from __future__ import annotations

import json
import time
from typing import Any

from airflow_provider_seedance.hooks.seedance import SeedanceHook
from airflow_provider_seedance.triggers.seedance import SeedancePredictionTrigger
from tests.support.provider import API_KEY, submit


async def collect(trigger: SeedancePredictionTrigger) -> list[dict[str, Any]]:
    return [event.payload async for event in trigger.run()]


def test_serialize_round_trip_holds_ids_and_deadline_but_no_secret(wavespeed_conn: str) -> None:
    trigger = SeedancePredictionTrigger(
        prediction_id="p-1",
        deadline=1_900_000_000.5,
        wavespeed_conn_id=wavespeed_conn,
        poll_interval=2.0,
    )
    path, kwargs = trigger.serialize()
    assert set(kwargs) == {"prediction_id", "wavespeed_conn_id", "poll_interval", "deadline"}
    assert API_KEY not in json.dumps(kwargs) and API_KEY not in repr(trigger)
    module, _, name = path.rpartition(".")
    rebuilt = getattr(__import__(module, fromlist=[name]), name)(**kwargs)
    assert rebuilt.serialize() == (path, kwargs)
    assert rebuilt.deadline == 1_900_000_000.5  # wall clock: survives a triggerer restart


async def test_completed_prediction_yields_one_success_event(
    sim: Any, wavespeed_conn: str, product_image: Any
) -> None:
    pid = submit(sim, product_image, prompt="a slow pan")
    trigger = SeedancePredictionTrigger(pid, time.time() + 60, wavespeed_conn, poll_interval=0.2)
    events = await collect(trigger)
    assert len(events) == 1
    assert events[0]["status"] == "success"
    assert events[0]["prediction"]["id"] == pid
    assert events[0]["prediction"]["outputs"]
    json.dumps(events[0])


async def test_failed_generation_yields_failed_event_with_api_message(
    sim: Any, wavespeed_conn: str, product_image: Any
) -> None:
    sim.set_faults(failed_generation=1.0, failure_codes=(1200,))
    pid = submit(sim, product_image, prompt="a slow pan")
    events = await collect(
        SeedancePredictionTrigger(pid, time.time() + 60, wavespeed_conn, poll_interval=0.2)
    )
    assert [e["status"] for e in events] == ["failed"]
    assert events[0]["prediction"]["status"] == "failed"
    assert events[0]["prediction"]["error"] in events[0]["message"]


async def test_deadline_passing_yields_timeout_with_last_status(
    sim: Any, wavespeed_conn: str, product_image: Any
) -> None:
    sim.set_generation_time(30.0)
    pid = submit(sim, product_image, prompt="a slow pan")
    started = time.monotonic()
    events = await collect(
        SeedancePredictionTrigger(pid, time.time() + 1.0, wavespeed_conn, poll_interval=0.3)
    )
    assert [e["status"] for e in events] == ["timeout"]
    assert events[0]["prediction"]["status"] not in ("completed", "failed")
    assert time.monotonic() - started < 15  # the 1 s deadline, not the 30 s generation


async def test_deadline_already_past_after_restart_times_out_at_once(
    sim: Any, wavespeed_conn: str, product_image: Any
) -> None:
    sim.set_generation_time(30.0)
    pid = submit(sim, product_image, prompt="a slow pan")
    events = await collect(SeedancePredictionTrigger(pid, time.time() - 1, wavespeed_conn))
    assert [e["status"] for e in events] == ["timeout"]


async def test_transient_server_errors_are_tolerated(
    sim: Any, wavespeed_conn: str, product_image: Any
) -> None:
    pid = submit(sim, product_image, prompt="a slow pan")
    sim.set_faults(rate_503=0.5, scopes=("result",), seed=7)
    events = await collect(
        SeedancePredictionTrigger(pid, time.time() + 60, wavespeed_conn, poll_interval=0.2)
    )
    assert [e["status"] for e in events] == ["success"]
    assert sim.stats()["polls"] >= 2


async def test_persistent_outage_ends_with_one_error_event(make_conn: Any) -> None:
    # Port 9 (discard) on loopback: nothing listens, every read is refused.
    conn_id = make_conn(
        "wavespeed_down",
        password=API_KEY,
        host="http://127.0.0.1:9",
        extra={"max_attempts": 1},
    )
    started = time.monotonic()
    events = await collect(
        SeedancePredictionTrigger("p-x", time.time() + 120, conn_id, poll_interval=0.1)
    )
    assert [e["status"] for e in events] == ["error"]
    assert "no response from 127.0.0.1:9" in events[0]["message"]
    assert API_KEY not in json.dumps(events)
    assert time.monotonic() - started < 20


async def test_unknown_prediction_is_an_error_not_a_retry_loop(
    sim: Any, wavespeed_conn: str
) -> None:
    events = await collect(
        SeedancePredictionTrigger("does-not-exist", time.time() + 30, wavespeed_conn, 0.2)
    )
    assert [e["status"] for e in events] == ["error"]
    assert "HTTP 404" in events[0]["message"]
    assert sim.stats()["polls"] == 1  # a 404 is not retried


async def test_missing_connection_yields_error_event() -> None:
    events = await collect(SeedancePredictionTrigger("p-1", time.time() + 30, "no_such_conn"))
    assert [e["status"] for e in events] == ["error"]


async def test_on_kill_says_the_generation_cannot_be_cancelled(caplog: Any) -> None:
    trigger = SeedancePredictionTrigger("p-77", time.time() + 30)
    with caplog.at_level("WARNING"):
        await trigger.on_kill()
    assert "p-77" in caplog.text and "no cancel endpoint" in caplog.text


async def test_triggers_on_one_loop_share_one_client_and_connection_pool(
    sim: Any, wavespeed_conn: str, product_image: Any
) -> None:
    import asyncio

    ids = [submit(sim, product_image, prompt="a slow pan") for _ in range(5)]
    sim.reset_stats()
    triggers = [SeedancePredictionTrigger(p, time.time() + 60, wavespeed_conn, 0.2) for p in ids]
    results = await asyncio.gather(*(collect(t) for t in triggers))
    assert [r[0]["status"] for r in results] == ["success"] * 5
    hook = SeedanceHook(wavespeed_conn)
    assert await hook.ashared_client() is await hook.ashared_client()
    # The triggerer's client polls on the shared grid (its waits share loop iterations).
    from shared_client import POLL_TICK

    assert (await hook.ashared_client())._poll_grid == POLL_TICK
    # Five concurrent waits over one pool: far fewer connections than waits x polls.
    stats = sim.stats()
    assert stats["polls"] >= 5
    assert stats["connections_opened"] <= 5
