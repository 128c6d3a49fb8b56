"""Retry-After with jitter, the submit budget, and the account levels table."""

from __future__ import annotations

import pytest
from tenacity import Retrying

from shared_client import (
    ACCOUNT_LEVELS,
    DEFAULT_ACCOUNT_LEVEL,
    InvalidRequestError,
    RateLimitError,
    RetryPolicy,
    account_level,
)
from shared_client.retry import is_safe_to_resubmit


def test_a_429_is_safe_to_resubmit_and_carries_its_retry_after() -> None:
    err = RateLimitError("busy", status_code=429, retry_after=3.0)
    assert is_safe_to_resubmit(err)


def test_retry_after_is_honoured_with_up_to_a_quarter_more() -> None:
    policy = RetryPolicy()
    waits = [policy.retry_after_wait(8.0, fallback=0.1) for _ in range(400)]
    assert all(8.0 <= w <= 10.0 for w in waits)
    assert max(waits) - min(waits) > 1.0  # spread, so a burst does not come back at once
    assert policy.retry_after_wait(600.0, fallback=0.1) <= 60.0 * 1.25  # max_retry_after
    assert policy.retry_after_wait(None, fallback=0.7) == 0.7
    assert policy.retry_after_wait(0.0, fallback=0.7) == 0.7
    assert RetryPolicy(retry_after_jitter=0).retry_after_wait(2.0, fallback=0) == 2.0


def _attempts(policy: RetryPolicy, kind: str, retry_after: float) -> tuple[int, list[float]]:
    """Run a call that always gets a 429 under ``policy``: attempts made, sleeps taken."""
    calls, sleeps = [0], []

    def busy() -> None:
        calls[0] += 1
        raise RateLimitError("busy", status_code=429, retry_after=retry_after)

    with pytest.raises(RateLimitError):
        for attempt in Retrying(sleep=sleeps.append, **policy.tenacity_kwargs(kind)):
            with attempt:
                busy()
    return calls[0], sleeps


def test_a_submit_never_sleeps_past_its_budget_nor_beyond_its_attempts() -> None:
    policy = RetryPolicy(submit_attempts=3, submit_budget=4.0)
    assert _attempts(policy, "submit", 10.0) == (1, [])  # 10 s > budget: the caller waits
    calls, sleeps = _attempts(policy, "submit", 0.5)
    assert calls == 3 and len(sleeps) == 2 and all(0.5 <= s <= 0.625 for s in sleeps)
    calls, _ = _attempts(RetryPolicy(max_attempts=2, submit_budget=4.0), "read", 0.01)
    assert calls == 2  # reads keep their own bounds


def test_account_levels_are_the_reference_table_in_one_place() -> None:
    assert DEFAULT_ACCOUNT_LEVEL == "bronze"
    assert {n: (lv.max_concurrent, lv.videos_per_minute) for n, lv in ACCOUNT_LEVELS.items()} == {
        "bronze": (2, 2),
        "silver": (300, 500),
        "gold": (3000, 3000),
        "ultra": (10000, 5000),
    }
    assert account_level(" Silver ").max_concurrent == 300
    assert account_level(None).name == account_level("").name == "bronze"


@pytest.mark.parametrize("value", ["platinum", 3, ["gold"]])
def test_an_unknown_level_names_the_field_and_the_allowed_values(value: object) -> None:
    with pytest.raises(InvalidRequestError, match="account_level") as info:
        account_level(value)
    assert "bronze" in str(info.value) and "ultra" in str(info.value)
