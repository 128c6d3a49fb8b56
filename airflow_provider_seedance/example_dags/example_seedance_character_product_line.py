"""A product line with one recurring character: text-to-video with references, under a run cap.

* ``upload_character`` uploads the character's reference images **once per run**; every
  clip then points at the same URLs (each mapped task would otherwise upload its own copy).
* ``quote_product_line`` prices the whole batch before anything runs and gives each clip
  its share of the run cap (``max_total_usd``, Airflow Variable ``seedance_run_cap_usd``,
  default $10): every generation task may spend only its own quote, so clips running at
  once on several workers cannot together exceed the cap. Over the cap the run stops
  there, or on Airflow 3.1+ a person approves or rejects in ``approve_spend`` (which
  passes at once, asking nobody, when the batch fits).
* ``generate_clip`` is mapped over the allocations; the prompt calls the character
  ``@Image1``, and each mapped task is labelled by its prompt. Videos land per run date
  under ``SEEDANCE_OUTPUT_URI`` (``file://./out`` by default); the
  ``seedance_product_line`` asset gets an event per clip with its cost.

``SEEDANCE_CHARACTER`` (JSON list of image paths or URLs) and ``SEEDANCE_PRODUCT_LINE``
(JSON file: a list of ``{"prompt": ...}``) let the demo and the tests use their own inputs.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

from airflow.providers.common.compat.sdk import DAG, Asset, task

from airflow_provider_seedance.hooks.seedance import SeedanceHook
from airflow_provider_seedance.operators.seedance import (
    SeedanceQuoteOperator,
    SeedanceTextToVideoOperator,
)
from airflow_provider_seedance.pools import seedance_pool_name
from airflow_provider_seedance.templates import RUN_DATE
from shared_client import DEFAULT_POLL_INTERVAL

try:  # Airflow 3.1+: a person decides when the batch is over the cap
    from airflow_provider_seedance.operators.approval import (
        SeedanceSpendApprovalOperator,
        seedance_approval,
    )
except ImportError:  # older Airflow: over the cap the quote step fails the run
    SeedanceSpendApprovalOperator = None  # type: ignore[assignment, misc]

PRODUCT_LINE_VIDEOS = Asset("seedance://videos/product-line")
_DEFAULT_OUTPUT = (Path.cwd() / "out").resolve().as_uri()
#: The request fields every clip shares: given to the quote step and to ``.partial()``.
COMMON = {
    "model": "bytedance/seedance-2.0-fast/text-to-video",
    "resolution": "720p",
    "aspect_ratio": "9:16",
    "duration": 5,
}
DEFAULT_CHARACTER = ["https://example.com/brand/mascot-front.png"]
DEFAULT_LINE = [
    {"prompt": "@Image1 unboxes the trail backpack on a mountain ridge at dawn"},
    {"prompt": "@Image1 pours coffee from the steel flask by a campfire"},
    {"prompt": "@Image1 laces up the waterproof boots on a rainy street"},
]


def character_refs() -> list[str]:
    return list(json.loads(os.environ.get("SEEDANCE_CHARACTER", "null")) or DEFAULT_CHARACTER)


def product_line() -> list[dict[str, str]]:
    source = os.environ.get("SEEDANCE_PRODUCT_LINE")
    return list(json.loads(Path(source).read_text())) if source else DEFAULT_LINE


with DAG(
    dag_id="seedance_character_product_line",
    description="One character across a product line: Seedance text-to-video with references",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=30)},
    tags=["seedance", "video", "example"],
) as dag:

    @task
    def upload_character(refs: list[str]) -> list[str]:
        """Upload local references once; URLs pass through (the API fetches them)."""
        with SeedanceHook().get_conn() as client:
            return [
                ref if ref.startswith(("http://", "https://")) else client.upload(Path(ref))
                for ref in refs
            ]

    @task
    def clip_batch(character: list[str]) -> list[dict[str, object]]:
        """One item per product, each with the character as its first reference image."""
        return [
            {"prompt": item["prompt"], "reference_images": character} for item in product_line()
        ]

    approval = "approve_spend" if SeedanceSpendApprovalOperator is not None else None
    quote = SeedanceQuoteOperator(
        task_id="quote_product_line",
        mode="text-to-video",
        batch=clip_batch(upload_character(character_refs())),
        defaults=COMMON,
        max_total_usd="{{ var.value.get('seedance_run_cap_usd', '10') }}",
        approval_task_id=approval,
    )
    generate = SeedanceTextToVideoOperator.partial(
        task_id="generate_clip",
        pool=seedance_pool_name("wavespeed_default"),  # the account's, sized to its level
        poll_interval=float(os.environ.get("SEEDANCE_POLL_INTERVAL", DEFAULT_POLL_INTERVAL)),
        output_path=os.environ.get("SEEDANCE_OUTPUT_URI", _DEFAULT_OUTPUT) + "/" + RUN_DATE,
        outlets=[PRODUCT_LINE_VIDEOS],
        **COMMON,
    ).expand_kwargs(quote.output)
    if SeedanceSpendApprovalOperator is not None:
        approve = seedance_approval(  # the ask, and the decision that survives a fast answer
            "approve_spend",
            operator=SeedanceSpendApprovalOperator,
            quote_task_id="quote_product_line",
        )
        quote >> approve.ask
        approve.decide >> generate
