"""Webhook signatures follow WaveSpeed's documented scheme."""

from __future__ import annotations

import hashlib
import hmac
import time

from seedance_simulator.webhooks import new_secret, sign, verify


def test_signature_is_hmac_sha256_over_id_timestamp_body_keyed_without_prefix():
    body = b'{"id":"abc","status":"completed"}'
    expected = hmac.new(b"topsecret", b"msg_1.1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("whsec_topsecret", "msg_1", "1700000000", body) == "v3," + expected


def test_verify_accepts_fresh_and_rejects_stale_or_tampered():
    secret = new_secret()
    ts = str(int(time.time()))
    body = b"{}"
    headers = {
        "Webhook-Id": "i",
        "Webhook-Timestamp": ts,
        "Webhook-Signature": sign(secret, "i", ts, body),
    }
    assert verify(secret, headers, body)
    assert not verify(secret, headers, b"{ }")
    assert not verify(secret, {**headers, "Webhook-Id": "j"}, body)
    assert not verify(secret, headers, body, now=time.time() + 301)
    assert not verify(secret, {**headers, "Webhook-Timestamp": "soon"}, body)


def test_new_secrets_are_prefixed_and_unique():
    a, b = new_secret(), new_secret()
    assert a.startswith("whsec_") and a != b


def test_simulator_config_repr_hides_key_and_secret():
    from seedance_simulator.context import SimConfig

    text = repr(SimConfig(api_key="sk-very-secret", webhook_secret="whsec_hidden"))
    assert "sk-very-secret" not in text and "whsec_hidden" not in text
    assert "generation_time" in text
