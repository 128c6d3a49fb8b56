"""Helpers of the provider's unit suite (``tests/integration/airflow_provider_seedance``).

One test file per provider module uses them: an operator with the suite's defaults, and
predictions created and awaited on the simulator with the plain client, so a test can
start from "a prediction already exists" (reattach, sensor, trigger, ``execute_complete``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared_client import ImageToVideoRequest, SeedanceClient

#: The key the suite's simulator accepts; tests look for it in everything that is stored.
API_KEY = "unit-test-secret-key-1234"


def make_op(**kwargs: Any) -> Any:
    """A ``SeedanceImageToVideoOperator`` with the suite's defaults, overridden by ``kwargs``."""
    from airflow_provider_seedance.operators.seedance import SeedanceImageToVideoOperator

    params: dict[str, Any] = {"task_id": "generate", "prompt": "a slow pan", "poll_interval": 0.2}
    params.update(kwargs)
    return SeedanceImageToVideoOperator(**params)


def submit(sim: Any, image: Any, prompt: str = "x") -> str:
    """Submit one image-to-video request to ``sim``; returns the prediction id."""
    with SeedanceClient(api_key=sim.api_key, base_url=sim.base_url) as client:
        return client.submit(ImageToVideoRequest(prompt=prompt, image=image)).id


def wait_completed(sim: Any, pid: str, timeout: float = 20.0) -> dict[str, Any]:
    """Wait for ``pid`` to complete on ``sim``; returns the prediction as a dict."""
    with SeedanceClient(api_key=sim.api_key, base_url=sim.base_url) as client:
        return client.wait(pid, timeout=timeout, poll_interval=0.2).to_dict()


def success_event(sim: Any, image: Path) -> dict[str, Any]:
    """The trigger's success event for a freshly completed prediction of ``image``."""
    pid = submit(sim, image)
    return {"status": "success", "prediction": wait_completed(sim, pid), "message": "done"}
