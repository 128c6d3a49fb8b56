"""The DAG of the distributed e2e: N mapped text-to-video generations, deferrable.

Written into the test deployment's dags folder; the provider's own operator, nothing
test-specific. Each map index has its own prompt, so the simulator's per-fingerprint
submission counts say how often each task paid.
"""

import os
from datetime import datetime, timedelta

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_seedance.operators.seedance import SeedanceTextToVideoOperator

N = int(os.environ["SEEDANCE_DIST_N"])

with DAG(
    "seedance_distributed",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_tasks=N,
):
    SeedanceTextToVideoOperator.partial(
        task_id="generate",
        model="bytedance/seedance-2.0-fast/text-to-video",
        duration=5,
        poll_interval=float(os.environ.get("SEEDANCE_DIST_POLL", "2")),
        timeout=1800,
        settle_window=float(os.environ.get("SEEDANCE_DIST_SETTLE", "15")),
        output_path=os.environ["SEEDANCE_DIST_OUT"] + "/{{ ti.map_index }}",
        pool=os.environ.get("SEEDANCE_DIST_POOL", "default_pool"),
        retries=3,
        retry_delay=timedelta(seconds=2),
    ).expand(prompt=[f"shot {i}: a paper boat on a pond" for i in range(N)])
