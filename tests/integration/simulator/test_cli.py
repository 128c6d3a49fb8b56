"""The CLI: base URL first on stdout, serves, stops on SIGINT/SIGTERM."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import plain_http

from .conftest import I2V


def _start(cmd: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first_line = proc.stdout.readline().strip()
    return proc, first_line


@pytest.mark.parametrize("entry", ["module", "console_script"])
def test_cli_prints_base_url_first_serves_and_exits_on_sigterm(entry):
    args = ["--port", "0", "--api-key", "cli-key", "--fast", "--generation-time", "0.1"]
    if entry == "module":
        cmd = [sys.executable, "-m", "seedance_simulator", *args]
    else:
        script = Path(sys.executable).parent / "seedance-simulator"
        if not script.exists() and shutil.which("seedance-simulator") is None:
            pytest.skip("console script not installed")
        cmd = [str(script if script.exists() else "seedance-simulator"), *args]
    proc, url = _start(cmd)
    try:
        assert url.startswith("http://127.0.0.1:")
        resp = plain_http.post(
            f"{url}/api/v3/{I2V}",
            json={"prompt": "x"},
            headers={"Authorization": "Bearer cli-key"},
            timeout=10,
        )
        assert resp.status_code == 400 and resp.json()["code"] == 1400
        stats = plain_http.get(f"{url}/_sim/stats", headers={"Authorization": "Bearer cli-key"})
        assert stats.json()["requests"] == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0


def test_cli_fault_flags_apply():
    cmd = [
        sys.executable, "-m", "seedance_simulator",
        "--api-key", "k", "--fast", "--rate-503", "1", "--html-fraction", "0", "--seed", "1",
    ]  # fmt: skip
    proc, url = _start(cmd)
    try:
        resp = plain_http.get(f"{url}/api/v3/predictions/x", headers={"Authorization": "Bearer k"})
        assert resp.status_code == 503
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0


def test_cli_without_key_exits_2(monkeypatch):
    monkeypatch.delenv("WAVESPEED_API_KEY", raising=False)
    done = subprocess.run(
        [sys.executable, "-m", "seedance_simulator"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and "api-key" in done.stderr
    assert done.stdout == ""


def test_cli_rejects_bad_rate():
    done = subprocess.run(
        [sys.executable, "-m", "seedance_simulator", "--api-key", "k", "--rate-429", "3"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and "between 0 and 1" in done.stderr
