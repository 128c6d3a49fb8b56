"""``make demo``: run the example production DAG end to end and leave real MP4s in ./out/.

What it does, idempotently:
1. starts the local WaveSpeed simulator (or, with ``DEMO_REAL=1`` and ``WAVESPEED_API_KEY``
   set, targets the real API: that costs money);
2. uses an ignored Airflow home (``.airflow-demo/``), ``airflow db migrate``;
3. points the ``wavespeed_default`` connection at it through ``AIRFLOW_CONN_WAVESPEED_DEFAULT``
   (the key never touches the metadata database or the logs);
4. creates the account's pool with ``python -m airflow_provider_seedance.pools`` (``seedance``,
   sized to the connection's level: 2 slots for a new, Bronze account; deferred tasks count);
5. runs ``seedance_daily_production`` with ``airflow dags test`` (deferred tasks run their
   triggers in-process there), then prints the paths of the videos it wrote.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
AIRFLOW_HOME = ROOT / ".airflow-demo"
OUT = ROOT / "out"
DAG_ID = "seedance_daily_production"
DAGS_FOLDER = ROOT / "airflow_provider_seedance" / "example_dags"
PRODUCTS = [
    ("sneaker", (220, 40, 60), "A red sneaker turns slowly on a pedestal, soft studio light"),
    ("bottle", (40, 120, 220), "A blue steel bottle, water drops, the camera dollies in"),
    ("lamp", (240, 190, 40), "A yellow desk lamp switches on at dusk, slow push-in"),
]

log = logging.getLogger("demo")


def airflow_bin() -> str:
    """The ``airflow`` next to this interpreter (the project venv)."""
    candidate = Path(sys.executable).with_name("airflow")
    return str(candidate) if candidate.exists() else "airflow"


def make_product_images(folder: Path) -> Path:
    """Draw simple product shots (PNG) and write the DAG's product list; return its path."""
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    products = []
    for name, colour, prompt in PRODUCTS:
        path = folder / f"{name}.png"
        if not path.exists():
            image = Image.new("RGB", (640, 640), (245, 245, 240))
            draw = ImageDraw.Draw(image)
            draw.ellipse((170, 470, 470, 530), fill=(200, 200, 195))
            draw.rounded_rectangle((220, 160, 420, 500), radius=40, fill=colour)
            image.save(path)
        products.append({"image": str(path), "prompt": prompt})
    listing = folder / "products.json"
    listing.write_text(json.dumps(products, indent=2))
    return listing


def run(cmd: list[str], env: dict[str, str], *, quiet: bool = False) -> None:
    log.info("$ %s", " ".join(cmd))
    result = subprocess.run(cmd, env=env, cwd=ROOT, text=True, capture_output=quiet, check=False)
    if result.returncode != 0:
        if quiet:
            sys.stderr.write((result.stdout or "")[-4000:] + (result.stderr or "")[-4000:])
        raise SystemExit(f"command failed ({result.returncode}): {' '.join(cmd)}")


def airflow_env(connection: dict[str, Any], products: Path, poll_interval: float) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        {
            "AIRFLOW_HOME": str(AIRFLOW_HOME),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "AIRFLOW_CONN_WAVESPEED_DEFAULT": json.dumps(connection),
            "SEEDANCE_PRODUCTS": str(products),
            "SEEDANCE_OUTPUT_URI": OUT.as_uri(),
            "SEEDANCE_POLL_INTERVAL": str(poll_interval),
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p),
        }
    )
    return env


def run_dag(connection: dict[str, Any], poll_interval: float) -> list[Path]:
    products = make_product_images(AIRFLOW_HOME / "products")
    env = airflow_env(connection, products, poll_interval)
    airflow = airflow_bin()
    run([airflow, "db", "migrate"], env, quiet=True)
    pools = [sys.executable, "-m", "airflow_provider_seedance.pools", "--airflow", airflow]
    run(pools, env, quiet=True)
    logical_date = datetime.now(UTC).replace(microsecond=0)
    before = {p: p.stat().st_mtime for p in OUT.rglob("*.mp4")} if OUT.exists() else {}
    started = time.time()
    run([airflow, "dags", "test", DAG_ID, logical_date.isoformat()], env)
    videos = sorted(
        p for p in OUT.rglob("*.mp4") if p not in before and p.stat().st_mtime >= started - 1
    )
    if len(videos) < len(PRODUCTS):
        raise SystemExit(f"expected {len(PRODUCTS)} new videos in {OUT}, found {len(videos)}")
    return videos


def main() -> int:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("demo: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False  # the simulator / Airflow may configure the root logger too
    OUT.mkdir(exist_ok=True)
    real = os.environ.get("DEMO_REAL") == "1" and bool(os.environ.get("WAVESPEED_API_KEY"))
    if real:
        log.info("DEMO_REAL=1: generating with the real WaveSpeed API (this is billed)")
        connection = {"conn_type": "wavespeed", "password": os.environ["WAVESPEED_API_KEY"]}
        if os.environ.get("WAVESPEED_BASE_URL"):
            connection["host"] = os.environ["WAVESPEED_BASE_URL"]
        videos = run_dag(connection, poll_interval=5.0)
    else:
        from seedance_simulator import Simulator

        with Simulator(api_key="demo-key", generation_time=3.0) as sim:
            log.info("simulator listening on %s", sim.base_url)
            connection = {"conn_type": "wavespeed", "password": "demo-key", "host": sim.base_url}
            videos = run_dag(connection, poll_interval=1.0)
            stats = sim.stats()
            log.info("simulator: %s submissions, %s polls", stats["submissions"], stats["polls"])
    print("\nVideos written:")
    for video in videos:
        print(f"  {video}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
