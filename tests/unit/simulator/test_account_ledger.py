"""The account ledger: holds, exact charges, top-ups, usage and billing reports."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from seedance_simulator.account import Account, usd
from seedance_simulator.account_api import _BadQuery, billings_page, usage_report


def test_hold_refuses_beyond_balance_minus_holds():
    account = Account(2.0)
    assert account.try_hold("a", 1.2)[0] is True
    held, available = account.try_hold("b", 1.2)
    assert held is False and float(available) == 0.8
    assert account.snapshot()["insufficient_balance_refusals"] == 1
    assert account.try_hold("c", 0.8)[0] is True  # exactly the rest fits
    assert account.balance() == 2.0  # holds are not charges


def test_settle_charges_exactly_and_releases():
    account = Account(10.0)
    for i in range(10):
        account.try_hold(str(i), 0.1)
        account.settle(str(i), "m", 0.1)
    assert account.balance() == 9.0  # no float drift: Decimal inside
    account.try_hold("x", 5.0)
    account.settle("x", "m", None)  # failed: released, not charged
    snap = account.snapshot()
    assert (snap["balance"], snap["charged_usd"], snap["held_usd"]) == (9.0, 1.0, 0.0)


def test_hold_can_be_repriced_while_in_flight():
    account = Account(5.0)
    account.try_hold("edit", 3.6)  # unknown length: quoted at 15 s
    account.hold("edit", 0.72)  # probed: 3 s
    assert float(account.available()) == 4.28
    account.hold("gone", 1.0)  # not in flight: ignored
    assert float(account.available()) == 4.28


def test_balance_changes_are_billing_items():
    account = Account(1.0)
    account.set_balance(3.0)
    account.topup(0.5)
    account.set_balance(2.0)
    items = [(i.type, float(i.amount)) for i in account.items()]
    assert items == [("topup", 1.0), ("topup", 2.0), ("topup", 0.5), ("adjustment", -1.5)]
    assert Account(0).items() == []


@pytest.mark.parametrize(
    ("value", "text"), [(1.2, "1.20"), (0.558, "0.558"), (8.1324, "8.1324"), (3, "3.00")]
)
def test_usd_formatting(value, text):
    assert usd(value) == text


def _charged() -> Account:
    account = Account(10.0)
    for task, model, price in (("t1", "a", 1.2), ("t2", "b", 0.558), ("t3", "a", 0.6)):
        account.try_hold(task, price)
        account.settle(task, model, price)
    return account


def test_usage_report_groups_by_model():
    today = datetime.now(UTC).date().isoformat()
    report = usage_report(_charged(), {"start_date": today, "end_date": today})
    assert report == {
        "period": {"start_date": today, "end_date": today},
        "total_requests": 3,
        "total_cost": 2.358,
        "by_model": [
            {"model": "a", "requests": 2, "cost": 1.8},
            {"model": "b", "requests": 1, "cost": 0.558},
        ],
    }
    assert usage_report(_charged(), {"model": "b"})["total_cost"] == 0.558
    with pytest.raises(_BadQuery, match="start_date"):
        usage_report(_charged(), {"start_date": "yesterday"})


def test_billings_page_newest_first_with_filters():
    account = _charged()
    page = billings_page(account, {"page": "2", "page_size": "1", "type": "usage"})
    assert page["pagination"] == {"page": 2, "page_size": 1, "total": 3}
    assert [(i["model"], i["amount"]) for i in page["items"]] == [("b", -0.558)]
    assert billings_page(account, {"type": "topup"})["items"][0]["amount"] == 10.0
    assert billings_page(account, {"end_date": "2000-01-01"})["items"] == []
    for bad in ({"page_size": "0"}, {"page": "x"}, {"type": "refund"}, {"start_date": "1/2/3"}):
        with pytest.raises(_BadQuery, match="invalid parameter"):
            billings_page(account, bad)
