"""Animate each product image, then extend every clip: image-to-video followed by video-extend.

* ``animate`` is mapped over the products (``SEEDANCE_PRODUCTS``, a JSON file of
  ``{"image", "prompt"}``, as in the daily production example) with any image-to-video
  tier, capped at ``max_cost_usd`` per clip.
* ``extend`` is mapped over ``animate``'s results: each map index receives its upstream
  task's return value (``video_paths`` / ``video_urls``) as ``video`` and continues it
  with new seconds; it uploads the local copy when it is on this machine, else hands the
  API the output URL. The extended file is the clip followed by the new seconds, and only
  the new seconds are billed.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_seedance.operators.seedance import (
    SeedanceImageToVideoOperator,
    SeedanceVideoExtendOperator,
)
from airflow_provider_seedance.pools import seedance_pool_name
from shared_client import DEFAULT_POLL_INTERVAL

_DEFAULT_OUTPUT = (Path.cwd() / "out").resolve().as_uri()
#: The account's pool, sized to its level (``python -m airflow_provider_seedance.pools``).
_POOL = seedance_pool_name("wavespeed_default")
_POLL = float(os.environ.get("SEEDANCE_POLL_INTERVAL", DEFAULT_POLL_INTERVAL))
_OUTPUT = os.environ.get("SEEDANCE_OUTPUT_URI", _DEFAULT_OUTPUT)
DEFAULT_PRODUCTS = [
    {
        "image": "https://example.com/catalogue/red-sneaker.png",
        "prompt": "A red sneaker rotates slowly on a white pedestal, soft studio light",
    },
]


def load_products() -> list[dict[str, str]]:
    source = os.environ.get("SEEDANCE_PRODUCTS")
    return list(json.loads(Path(source).read_text())) if source else DEFAULT_PRODUCTS


with DAG(
    dag_id="seedance_image_then_extend",
    description="Seedance image-to-video, then video-extend of each clip",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=30)},
    tags=["seedance", "video", "example"],
) as dag:
    animate = SeedanceImageToVideoOperator.partial(
        task_id="animate",
        pool=_POOL,
        model="bytedance/seedance-2.0-fast/image-to-video",
        duration=5,
        max_cost_usd=1.0,
        poll_interval=_POLL,
        output_path=_OUTPUT + "/{{ ds }}/animated",
    ).expand_kwargs(load_products())

    SeedanceVideoExtendOperator.partial(
        task_id="extend",
        pool=_POOL,
        prompt="The camera pulls back to reveal the whole shop window, warm evening light",
        model="bytedance/seedance-2.0-mini/video-extend",
        duration=4,
        max_cost_usd=1.0,
        poll_interval=_POLL,
        output_path=_OUTPUT + "/{{ ds }}/extended",
    ).expand(video=animate.output)
