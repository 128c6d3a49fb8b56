"""Daily product-video production: one Seedance generation per product, mapped.

* ``.expand`` turns the product list into one task instance per product.
* The account's pool (``seedance`` for ``wavespeed_default``) caps concurrent generations
  at the account level's limit (Bronze 2, Silver 300, ...), sized from the connection's
  ``account_level`` extra by ``python -m airflow_provider_seedance.pools``, which creates
  it counting deferred tasks: a deferred generation still runs at WaveSpeed.
* Videos land under an object-storage folder per day: ``SEEDANCE_OUTPUT_URI`` (Airflow
  Variable ``seedance_output_uri`` or environment), ``file://`` under ``./out`` by default;
  use ``s3://bucket/videos`` etc. in production.
* The ``seedance_videos`` asset gets an event per product, carrying prediction id and paths.

The product list is read from ``SEEDANCE_PRODUCTS`` (a JSON file path) when set, so the
demo and the end-to-end test can drive the same DAG with their own images.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

from airflow.providers.common.compat.sdk import DAG, Asset

from airflow_provider_seedance.operators.seedance import SeedanceImageToVideoOperator
from airflow_provider_seedance.pools import seedance_pool_name
from shared_client import DEFAULT_POLL_INTERVAL

POOL = os.environ.get("SEEDANCE_POOL") or seedance_pool_name("wavespeed_default")
SEEDANCE_VIDEOS = Asset("seedance://videos/daily-products")
_DEFAULT_OUTPUT = (Path.cwd() / "out").resolve().as_uri()

#: Example catalogue; real deployments render this from a product database.
DEFAULT_PRODUCTS: list[dict[str, str]] = [
    {
        "image": "https://example.com/catalogue/red-sneaker.png",
        "prompt": "A red sneaker rotates slowly on a white pedestal, soft studio light",
    },
    {
        "image": "https://example.com/catalogue/steel-bottle.png",
        "prompt": "A steel water bottle, condensation drops, camera dollies in",
    },
]


def load_products() -> list[dict[str, str]]:
    """Products from ``SEEDANCE_PRODUCTS`` (JSON list of {image, prompt}) or the default list."""
    source = os.environ.get("SEEDANCE_PRODUCTS")
    if not source:
        return DEFAULT_PRODUCTS
    return list(json.loads(Path(source).read_text()))


with DAG(
    dag_id="seedance_daily_production",
    description="Daily Seedance 2.0 product videos, one mapped generation per product",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30)},
    tags=["seedance", "video", "example"],
) as dag:
    SeedanceImageToVideoOperator.partial(
        task_id="generate_product_video",
        pool=POOL,
        duration=5,
        resolution="720p",
        aspect_ratio="1:1",
        poll_interval=float(os.environ.get("SEEDANCE_POLL_INTERVAL", DEFAULT_POLL_INTERVAL)),
        output_path=(
            "{{ var.value.get('seedance_output_uri', '"
            + os.environ.get("SEEDANCE_OUTPUT_URI", _DEFAULT_OUTPUT)
            + "') }}/{{ ds }}"
        ),
        outlets=[SEEDANCE_VIDEOS],
    ).expand_kwargs(load_products())
