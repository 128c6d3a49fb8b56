"""Every client in a process shares one verified TLS context per setting.

Why: httpx loads the CA bundle for each client it builds (~47 ms of CPU); an Airflow
worker, the triggerer or a ComfyUI host making many clients paid it each time.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import certifi
import pytest

from shared_client import AsyncSeedanceClient, SeedanceClient
from shared_client.tls import tls_context


def _transport_context(client: SeedanceClient | AsyncSeedanceClient) -> ssl.SSLContext:
    pool = client._http._transport._pool  # type: ignore[attr-defined]
    context = pool._ssl_context
    assert isinstance(context, ssl.SSLContext)
    return context


async def test_two_clients_share_one_verifying_context() -> None:
    first = SeedanceClient(api_key="k")
    second = AsyncSeedanceClient(api_key="k")
    try:
        shared = _transport_context(first)
        assert _transport_context(second) is shared
        assert shared.verify_mode == ssl.CERT_REQUIRED and shared.check_hostname
        assert shared.get_ca_certs()  # the bundle is loaded: verification is real
    finally:
        first.close()
        await second.aclose()


def test_verify_false_stays_off_and_a_path_gets_its_own_context(tmp_path: Path) -> None:
    assert tls_context(False) is False
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes())
    own = tls_context(str(bundle))
    assert isinstance(own, ssl.SSLContext) and own is not tls_context(True)
    assert tls_context(str(bundle)) is own


def test_ssl_cert_file_is_honoured_like_httpx_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "corporate.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes())
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    default = tls_context(True)  # certifi's bundle
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    corporate = tls_context(True)
    assert corporate is not default and isinstance(corporate, ssl.SSLContext)
    monkeypatch.delenv("SSL_CERT_FILE")
    assert tls_context(True) is default
