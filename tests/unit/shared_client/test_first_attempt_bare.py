"""The clients make the first attempt without tenacity and replay its failure into it.

Why these tests: the happy path skips tenacity for speed (about 0.14 ms per call), so
they prove that nothing about retrying changed: a success never enters tenacity, a
failure is tenacity's attempt 1 (so the attempt count, the retry decision and the time
bound are the policy's), and a non-retryable failure is raised as it was.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import shared_client.async_client as async_module
import shared_client.client as sync_module
from shared_client import (
    APIError,
    AsyncSeedanceClient,
    InvalidRequestError,
    RetryPolicy,
    SeedanceClient,
)
from shared_client.retry import FirstFailure

FAST = RetryPolicy(max_attempts=4, initial=0.001, maximum=0.002)


def _server_error() -> APIError:
    return APIError("HTTP 503: busy", status_code=503)


class Flaky:
    """An action that fails ``failures`` times with ``error()``, then returns ``"ok"``."""

    def __init__(self, failures: int, error: Any = _server_error) -> None:
        self.failures, self.error, self.calls = failures, error, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error()
        return "ok"


def _sync_client(policy: RetryPolicy = FAST) -> SeedanceClient:
    return SeedanceClient(api_key="k", base_url="http://127.0.0.1:9", retry=policy)


def test_a_first_success_never_enters_tenacity(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_tenacity(**_: Any) -> Any:
        raise AssertionError("tenacity entered on a first-attempt success")

    monkeypatch.setattr(sync_module, "Retrying", no_tenacity)
    with _sync_client() as client:
        action = Flaky(0)
        assert client._retrying(action) == "ok" and action.calls == 1


@pytest.mark.parametrize(("failures", "calls"), [(1, 2), (3, 4)])
def test_a_failed_first_attempt_counts_as_tenacitys_first(failures: int, calls: int) -> None:
    with _sync_client() as client:
        action = Flaky(failures)
        assert client._retrying(action) == "ok" and action.calls == calls


def test_the_attempt_bound_includes_the_bare_first_attempt() -> None:
    with _sync_client() as client:
        action = Flaky(10)
        with pytest.raises(APIError, match="503"):
            client._retrying(action)
        assert action.calls == FAST.max_attempts  # not max_attempts + 1


def test_a_non_retryable_first_failure_is_raised_at_once() -> None:
    with _sync_client() as client:
        action = Flaky(1, lambda: InvalidRequestError("duration", 99, "4..15"))
        with pytest.raises(InvalidRequestError, match="duration"):
            client._retrying(action)
        assert action.calls == 1


def test_the_time_bound_counts_from_the_first_attempt() -> None:
    policy = RetryPolicy(max_attempts=5, max_elapsed=1.0, initial=0.001, maximum=0.002)
    kwargs = policy.tenacity_kwargs("read", elapsed=1.5)  # the first attempt took 1.5 s
    first, calls = FirstFailure(_server_error(), 1.5), [0]
    with pytest.raises(APIError):
        for attempt in sync_module.Retrying(**kwargs):
            with attempt:
                calls[0] += 1
                first.replay()
    assert calls[0] == 1  # the series was already over its 1 s: no second attempt


def test_the_async_client_does_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> tuple[int, int]:
        async with AsyncSeedanceClient(
            api_key="k", base_url="http://127.0.0.1:9", retry=FAST
        ) as client:
            flaky = Flaky(2)

            async def action() -> str:
                return flaky()

            assert await client._retrying(action) == "ok"
            monkeypatch.setattr(async_module, "AsyncRetrying", None)  # must not be needed
            first_time = Flaky(0)

            async def succeed() -> str:
                return first_time()

            assert await client._retrying(succeed) == "ok"
            return flaky.calls, first_time.calls

    assert asyncio.run(scenario()) == (3, 1)
