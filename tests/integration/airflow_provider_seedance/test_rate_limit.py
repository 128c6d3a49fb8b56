"""The operator at the account's per-minute limit, against the simulator's real 429s.

A 429 on submit created nothing: the operator must submit again after ``Retry-After``,
briefly in the worker, longer in the triggerer, and never pay twice or fail for it.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException, TaskDeferred

from airflow_provider_seedance.reattach import INTENT_KEY, INTENT_XCOM_KEY
from airflow_provider_seedance.triggers.rate_limit import SeedanceRateLimitTrigger
from airflow_provider_seedance.triggers.seedance import SeedancePredictionTrigger
from shared_client import ImageToVideoRequest, InvalidRequestError, SeedanceClient
from tests.support.provider import API_KEY, make_op


@pytest.fixture
def image_url(sim: Any, png_bytes: bytes) -> str:
    with SeedanceClient(api_key=API_KEY, base_url=sim.base_url) as client:
        return client.upload(png_bytes)


@pytest.fixture
def limited(sim: Any) -> Iterator[Any]:
    """One video a minute; the test picks the time scale (and so Retry-After)."""
    yield sim
    sim.set_limits("unlimited", time_scale=1.0)


def _fill_the_window(sim: Any, image_url: str) -> None:
    """Use the minute's only submit, so the operator's first POST gets a 429."""
    with SeedanceClient(api_key=API_KEY, base_url=sim.base_url) as client:
        client.submit(ImageToVideoRequest(prompt=f"filler {uuid.uuid4()}", image=image_url))


def _own_submissions(sim: Any) -> int:
    return int(sim.stats()["submissions"]) - 1  # minus the filler


def test_a_short_retry_after_is_absorbed_in_the_worker(
    limited: Any, image_url: str, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    limited.set_limits(videos_per_minute=1, time_scale=60)  # a 1 s window
    op = make_op(image=image_url, prompt=f"busy {uuid.uuid4()}")
    record = op._record_intent

    def fill_then_record(*args: Any) -> None:  # right before the POST: a certain 429
        _fill_the_window(limited, image_url)
        record(*args)

    op._record_intent = fill_then_record
    started = time.monotonic()
    with pytest.raises(TaskDeferred) as info:
        op.execute(context)
    assert isinstance(info.value.trigger, SeedancePredictionTrigger)  # submitted, waiting
    assert time.monotonic() - started < 10
    stats = limited.stats()
    assert stats["limits"]["rate_limited"] >= 1
    assert _own_submissions(limited) == 1
    assert all(n == 1 for n in stats["submissions_by_fingerprint"].values())


def test_a_long_retry_after_defers_voids_the_intent_and_resubmits_once_on_resume(
    limited: Any, image_url: str, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    limited.set_limits(videos_per_minute=1, time_scale=1)  # Retry-After about 60 s
    _fill_the_window(limited, image_url)
    prompt = f"bronze {uuid.uuid4()}"
    started = time.time()
    with pytest.raises(TaskDeferred) as info:
        make_op(image=image_url, prompt=prompt).execute(context)
    trigger = info.value.trigger
    assert isinstance(trigger, SeedanceRateLimitTrigger)
    assert started + 55 <= trigger.until <= started + 80  # Retry-After + up to 25 % jitter
    assert time.time() - started < 5  # the worker did not sit out the minute
    assert info.value.method_name == "execute_after_rate_limit"
    assert info.value.kwargs["rounds"] == 1
    assert "unit-test-secret" not in json.dumps(trigger.serialize()[1])
    # Nothing was created, so nothing is left to look for after the wait.
    assert _own_submissions(limited) == 0
    assert INTENT_KEY not in context["task_state_store"].data
    assert context["ti"].xcom[INTENT_XCOM_KEY] is None
    limited.set_limits(time_scale=6000)  # the minute passes (a 10 ms window)
    time.sleep(0.05)
    event = {"status": "ready", "until": trigger.until}
    with pytest.raises(TaskDeferred) as resumed:
        make_op(image=image_url, prompt=prompt).execute_after_rate_limit(
            context, event, **info.value.kwargs
        )
    assert isinstance(resumed.value.trigger, SeedancePredictionTrigger)
    assert _own_submissions(limited) == 1


def test_without_a_triggerer_the_worker_sleeps_then_pays_once(
    limited: Any, image_url: str, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    limited.set_limits(videos_per_minute=1, time_scale=40)  # a 1.5 s window
    _fill_the_window(limited, image_url)
    op = make_op(image=image_url, prompt=f"no triggerer {uuid.uuid4()}", deferrable=False,
                 rate_limit_worker_wait=0)  # fmt: skip
    result = op.execute(context)
    assert result["status"] == "completed"
    assert _own_submissions(limited) == 1
    assert limited.stats()["limits"]["rate_limited"] >= 1


def test_an_account_busy_past_the_timeout_fails_retryably_having_paid_nothing(
    limited: Any, image_url: str, wavespeed_conn: str, context: dict[str, Any]
) -> None:
    limited.set_limits(videos_per_minute=1, time_scale=1)
    _fill_the_window(limited, image_url)
    op = make_op(image=image_url, prompt=f"late {uuid.uuid4()}", timeout=5,
                 rate_limit_worker_wait=0)  # fmt: skip
    with pytest.raises(AirflowException, match="rate limit") as info:
        op.execute(context)
    assert type(info.value) is AirflowException  # not AirflowFailException: retries apply
    assert _own_submissions(limited) == 0


@pytest.mark.parametrize("value", [-1, "soon", True])
def test_a_bad_worker_wait_is_refused_naming_the_field(value: Any) -> None:
    with pytest.raises(InvalidRequestError, match="rate_limit_worker_wait"):
        make_op(image="https://example.com/x.png", rate_limit_worker_wait=value)


def test_the_trigger_sleeps_until_its_time_and_survives_serialisation() -> None:
    until = time.time() + 0.3
    path, kwargs = SeedanceRateLimitTrigger(until=until).serialize()
    assert path == "airflow_provider_seedance.triggers.rate_limit.SeedanceRateLimitTrigger"
    assert kwargs == {"until": until}

    async def fire() -> list[Any]:
        return [event.payload async for event in SeedanceRateLimitTrigger(**kwargs).run()]

    started = time.time()
    assert asyncio.run(fire()) == [{"status": "ready", "until": until}]
    assert time.time() >= until and time.time() - started < 2


def _allow_execute_in_this_thread() -> None:
    """Airflow 2.11's guard against calling ``execute`` by hand keeps a thread-local made
    only in the importing thread (a task runs in a process's main thread there); give
    this worker thread the same empty state. Airflow 3 needs nothing."""
    try:
        from airflow.models.baseoperator import ExecutorSafeguard
    except ImportError:
        return
    if not hasattr(ExecutorSafeguard._sentinel, "callers"):
        ExecutorSafeguard._sentinel.callers = {}


def _run_like_airflow(make: Any, context: dict[str, Any], seen: list[str]) -> dict[str, Any]:
    """Execute, and on every deferral run the trigger to its event and resume a fresh
    instance of the operator with it, as the triggerer and a worker would."""

    async def first_event(trigger: Any) -> Any:
        async for event in trigger.run():
            return event.payload
        raise AssertionError("the trigger ended without an event")

    step = lambda: make().execute(context)  # noqa: E731
    for _ in range(50):
        try:
            return dict(step())
        except TaskDeferred as deferred:
            seen.append(type(deferred.trigger).__name__)
            event = asyncio.run(first_event(deferred.trigger))
            method, kwargs = deferred.method_name, dict(deferred.kwargs or {})
            step = lambda m=method, e=event, k=kwargs: getattr(make(), m)(context, e, **k)  # noqa: E731
    raise AssertionError("the task never finished")


def test_n_tasks_at_a_tiny_per_minute_limit_all_succeed_paying_once_each(
    limited: Any, image_url: str, wavespeed_conn: str
) -> None:
    """8 tasks at once against 2 videos per (scaled) minute: the burst is refused, some
    tries absorb it in the worker, others wait in the triggerer; all 8 complete, each body
    submitted exactly once, nothing failed for the account being busy."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.support.airflow import task_context

    limited.set_limits(videos_per_minute=2, time_scale=30)  # a 2 s window
    run = uuid.uuid4().hex[:8]
    seen: list[str] = []

    def one(i: int) -> dict[str, Any]:
        _allow_execute_in_this_thread()

        def make() -> Any:
            return make_op(image=image_url, prompt=f"{run} product {i}", poll_interval=0.2,
                           rate_limit_worker_wait=1.0)  # fmt: skip

        return _run_like_airflow(make, task_context(), seen)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(8)))
    assert [r["status"] for r in results] == ["completed"] * 8
    assert len({r["prediction_id"] for r in results}) == 8
    stats = limited.stats()
    assert stats["submissions"] == 8
    assert sorted(stats["submissions_by_fingerprint"].values()) == [1] * 8
    assert stats["limits"]["rate_limited"] >= 3  # 8 asked, 2 fit the first window
    assert "SeedanceRateLimitTrigger" in seen  # some waits went to the triggerer
    assert seen.count("SeedancePredictionTrigger") == 8
