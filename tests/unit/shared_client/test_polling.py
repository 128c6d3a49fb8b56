"""The poll schedule: starts at the interval, grows gently, never sleeps past the deadline."""

from __future__ import annotations

from itertools import pairwise

import pytest

from shared_client.polling import PollSchedule


def test_polls_at_the_given_interval_while_young() -> None:
    schedule = PollSchedule.starting_now(0.0, poll_interval=5.0, timeout=600.0)
    assert [schedule.next_delay(t) for t in (0.0, 5.0, 10.0)] == [5.0, 5.0, 5.0]


def test_interval_grows_after_patience_up_to_the_cap() -> None:
    schedule = PollSchedule.starting_now(0.0, poll_interval=5.0, timeout=10_000.0)
    now, delays = 0.0, []
    while now < 2_000:
        delay = schedule.next_delay(now)
        assert delay is not None
        delays.append(delay)
        now += delay
    assert delays[0] == 5.0
    assert all(b >= a for a, b in pairwise(delays))
    assert max(delays) == pytest.approx(30.0)
    # Growth is gentle: no step more than 15 %.
    assert all(b <= a * 1.15 + 1e-9 for a, b in pairwise(delays))


def test_never_sleeps_past_the_deadline_and_reports_it() -> None:
    schedule = PollSchedule.starting_now(100.0, poll_interval=5.0, timeout=12.0)
    assert schedule.next_delay(100.0) == 5.0
    assert schedule.next_delay(110.0) == pytest.approx(2.0)
    assert schedule.next_delay(112.0) is None


def test_a_large_user_interval_is_not_shrunk_by_the_cap() -> None:
    schedule = PollSchedule.starting_now(0.0, poll_interval=60.0, timeout=10_000.0)
    assert schedule.next_delay(500.0) == 60.0
    assert schedule.next_delay(560.0) == 60.0


@pytest.mark.parametrize(("interval", "timeout"), [(0, 10), (-1, 10), (5, 0)])
def test_rejects_non_positive_settings(interval: float, timeout: float) -> None:
    with pytest.raises(ValueError):
        PollSchedule.starting_now(0.0, poll_interval=interval, timeout=timeout)
