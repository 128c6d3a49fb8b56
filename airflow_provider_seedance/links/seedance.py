"""The "Seedance video" extra link: opens the first output video of the task.

While the task is deferred (the generation runs) the link already points at the
prediction's result URL (the API's ``urls.get``), pushed before deferring, so the Details
tab never shows an empty "Extra Links" heading; once the video exists it is the video.

The URL is stored in XCom by the task itself, so the UI (webserver in Airflow 2, API
server in Airflow 3) needs neither a live operator nor the API key to show it.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.providers.common.compat.sdk import BaseOperatorLink, XCom

log = logging.getLogger(__name__)

VIDEO_URL_XCOM_KEY = "seedance_video_url"


class SeedanceVideoLink(BaseOperatorLink):
    """Link to the first output video (WaveSpeed keeps outputs for 7 days)."""

    name = "Seedance video"

    @property
    def xcom_key(self) -> str:
        """Airflow 3 reads the link from this XCom key; it is the key the task pushes."""
        return VIDEO_URL_XCOM_KEY

    @staticmethod
    def persist(context: Any, url: str | None) -> None:
        """Store the link target for this task instance.

        Called before deferring with the prediction's result URL, and when the task ends
        with the video URL. An empty value is stored too when there is none: Airflow 3
        resolves links when a try ends, deferral included, and a missing XCom is logged
        there as an error.
        """
        context["ti"].xcom_push(key=VIDEO_URL_XCOM_KEY, value=url or "")

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        """Read the stored URL; an empty string hides the button until there is one."""
        try:
            value = XCom.get_value(ti_key=ti_key, key=VIDEO_URL_XCOM_KEY)
        except Exception:  # no XCom yet (task still running, or failed before a video)
            log.debug("No Seedance video URL in XCom for %s", ti_key, exc_info=True)
            return ""
        return str(value) if value else ""
