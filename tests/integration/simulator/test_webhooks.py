"""`?webhook=` delivery: bare data object, WaveSpeed signature headers, the secret endpoint."""

from __future__ import annotations

import json
import time

from seedance_simulator import Simulator, verify_webhook
from tests.support.media import data_uri, marked_png

from .conftest import API_KEY

BODY = {"prompt": "x", "image": data_uri(marked_png())}


def _wait_for(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_webhook_is_delivered_signed_and_verifiable(sim, api, submit, file_server):
    secret = api.get("/api/v3/webhook/secret").json()["data"]["secret"]
    assert secret.startswith("whsec_") and secret == sim.webhook_secret
    task_id = submit(BODY, webhook=f"{file_server.url}/hook").json()["data"]["id"]
    _wait_for(lambda: file_server.received)
    path, headers, body = file_server.received[0]
    assert path == "/hook"
    payload = json.loads(body)
    assert payload["id"] == task_id and payload["status"] == "completed"
    assert payload["input"]["prompt"] == "x" and len(payload["outputs"]) == 1
    assert headers["webhook-id"] and headers["webhook-signature"].startswith("v3,")
    assert verify_webhook(secret, headers, body)
    assert not verify_webhook(secret, headers, body + b" ")
    assert not verify_webhook("whsec_other", headers, body)
    _wait_for(lambda: sim.stats()["webhook_deliveries"] == 1)


def test_failed_task_webhook_reports_failed(sim, submit, file_server):
    sim.set_faults(failed_generation=1.0, failure_codes=(5003,))
    submit(BODY, webhook=f"{file_server.url}/hook")
    _wait_for(lambda: file_server.received)
    payload = json.loads(file_server.received[0][2])
    assert payload["status"] == "failed" and payload["code"] == 5003


def test_webhook_is_retried_with_the_same_id_when_the_receiver_fails(submit, file_server):
    file_server.status_for_post = 500
    submit(BODY, webhook=f"{file_server.url}/hook")
    _wait_for(lambda: len(file_server.received) >= 2)
    ids = {h["webhook-id"] for _, h, _ in file_server.received}
    assert len(ids) == 1


def test_configured_secret_is_used():
    with Simulator(api_key=API_KEY, fast=True, webhook_secret="whsec_abc") as s:
        assert s.webhook_secret == "whsec_abc"
