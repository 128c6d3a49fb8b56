"""The "Seedance video" extra link (``links/seedance.py``): stored by the task, read by the UI.

No test targeted the link on its own before the provider tests were split per module;
these check its contract with a fake XCom (no metadata database).
"""

from __future__ import annotations

from typing import Any

import pytest

import airflow_provider_seedance.links.seedance as links
from airflow_provider_seedance.links.seedance import VIDEO_URL_XCOM_KEY, SeedanceVideoLink
from airflow_provider_seedance.operators.seedance import SeedanceImageToVideoOperator
from airflow_provider_seedance.sensors.seedance import SeedancePredictionSensor


def test_persist_stores_the_url_under_the_key_the_ui_reads(context: dict[str, Any]) -> None:
    SeedanceVideoLink.persist(context, "https://cdn.example.com/v.mp4")
    assert context["ti"].xcom[VIDEO_URL_XCOM_KEY] == "https://cdn.example.com/v.mp4"
    assert SeedanceVideoLink().xcom_key == VIDEO_URL_XCOM_KEY


def test_persist_stores_an_empty_value_while_there_is_no_video(context: dict[str, Any]) -> None:
    SeedanceVideoLink.persist(context, None)
    assert context["ti"].xcom[VIDEO_URL_XCOM_KEY] == ""


def test_get_link_reads_the_url_and_hides_the_button_without_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stored = {"done": "https://cdn.example.com/v.mp4", "deferred": ""}

    class FakeXCom:
        @staticmethod
        def get_value(*, ti_key: Any, key: str) -> Any:
            assert key == VIDEO_URL_XCOM_KEY
            return stored[ti_key]  # KeyError: no XCom for this task instance yet

    monkeypatch.setattr(links, "XCom", FakeXCom)
    link = SeedanceVideoLink()
    assert link.get_link(None, ti_key="done") == "https://cdn.example.com/v.mp4"
    assert link.get_link(None, ti_key="deferred") == ""
    assert link.get_link(None, ti_key="still-running") == ""


@pytest.mark.parametrize("cls", [SeedanceImageToVideoOperator, SeedancePredictionSensor])
def test_operator_and_sensor_offer_the_link(cls: Any) -> None:
    assert [link.name for link in cls.operator_extra_links] == [SeedanceVideoLink.name]
