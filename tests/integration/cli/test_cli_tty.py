"""``seedance`` on a pseudo-terminal: the live progress line, and Ctrl-C during a wait.

A pty makes ``isatty()`` true in the child, as in a real terminal; the parent reads
everything the child draws from the pty's master side.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from seedance_simulator import Simulator
from tests.support.media import make_png

from .conftest import cli_env


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _spawn(sim: Simulator, cwd: Path, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "shared_client.cli", *args],
        # faulthandler: a child that outlives its Ctrl-C is sent SIGABRT and prints
        # every thread's stack (see _interrupt)
        env={**cli_env(sim.base_url), "PYTHONFAULTHANDLER": "1"},
        cwd=cwd,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
        # as a terminal's foreground job has it: a suite started in the background
        # (`make test &`) hands its children SIGINT ignored, and Python keeps it so
        preexec_fn=_default_sigint,
    )
    os.close(slave)
    return proc, master


def _read_until(master: int, proc: subprocess.Popen[bytes], done, deadline: float) -> bytes:  # type: ignore[no-untyped-def]
    seen = b""
    while time.monotonic() < deadline and not done(seen):
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the pty
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    return seen


def _signal_state(pid: int) -> str:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return "(gone)"
    return ", ".join(x for x in lines if x.startswith(("State", "SigBlk", "SigIgn", "SigCgt")))


def _interrupt(master: int, proc: subprocess.Popen[bytes], seen: bytes) -> tuple[int, bytes]:
    """Ctrl-C, then the child's exit code and output; a child still waiting 15 s later is
    aborted, and its signal masks and threads' stacks end up in the output (the failure
    says where it was stuck)."""
    state = _signal_state(proc.pid)
    proc.send_signal(signal.SIGINT)
    seen += _read_until(master, proc, lambda s: b"seedance wait" in s, time.monotonic() + 15)
    try:
        return proc.wait(timeout=15), seen
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        seen += _read_until(master, proc, lambda s: False, time.monotonic() + 5)
        proc.kill()
        note = f"\n-- still running 15 s after SIGINT; before it: {state}\n".encode()
        return proc.wait(timeout=15), seen + note


def test_progress_line_is_redrawn_on_a_tty(sim: Simulator, tmp_path: Path):
    sim.set_generation_time(3.0)
    (tmp_path / "cat.png").write_bytes(make_png(32, 32))
    proc, master = _spawn(
        sim, tmp_path, "generate", "i2v", "cat.png", "--prompt", "a cat", "--poll-interval", "0.3"
    )
    try:
        seen = _read_until(master, proc, lambda s: False, time.monotonic() + 60)
        assert proc.wait(timeout=30) == 0, seen.decode(errors="replace")
    finally:
        os.close(master)
    text = seen.decode(errors="replace")
    assert text.count("\r") >= 3  # redrawn in place, several times
    assert "\x1b[K" in text and "elapsed" in text and "left" in text
    assert "completed" in text


def test_ctrl_c_during_wait_exits_130_with_the_id(sim: Simulator, tmp_path: Path):
    sim.set_generation_time(30.0)
    (tmp_path / "cat.png").write_bytes(make_png(32, 32))
    proc, master = _spawn(
        sim, tmp_path, "generate", "i2v", "cat.png", "--prompt", "a cat", "--poll-interval", "0.3"
    )
    try:
        seen = _read_until(master, proc, lambda s: b"elapsed" in s, time.monotonic() + 30)
        assert b"elapsed" in seen, seen
        code, seen = _interrupt(master, proc, seen)
    finally:
        os.close(master)
    text = seen.decode(errors="replace")
    assert code == 130, text
    assert "seedance wait " in text and "Traceback" not in text
    [prediction_id] = [
        line.split("seedance wait ")[1].split("`")[0]
        for line in text.splitlines()
        if "seedance wait " in line
    ]
    assert sim.task(prediction_id) is not None


def test_ctrl_c_during_seedance_wait(sim: Simulator, tmp_path: Path, run):  # type: ignore[no-untyped-def]
    sim.set_generation_time(30.0)
    (tmp_path / "cat.png").write_bytes(make_png(32, 32))
    # Submit through the API directly (a task still running), then wait on it and interrupt.
    from shared_client import ImageToVideoRequest, SeedanceClient

    with SeedanceClient(api_key=sim.api_key, base_url=sim.base_url) as client:
        pid = client.submit(ImageToVideoRequest(prompt="a cat", image=str(tmp_path / "cat.png"))).id
    proc, master = _spawn(sim, tmp_path, "wait", pid, "--poll-interval", "0.3")
    try:
        seen = _read_until(master, proc, lambda s: b"elapsed" in s, time.monotonic() + 30)
        code, seen = _interrupt(master, proc, seen)
    finally:
        os.close(master)
    text = seen.decode(errors="replace")
    assert code == 130 and f"seedance wait {pid}" in text, text
    status = run("status", pid, "--json")
    assert json.loads(status.out)["prediction"]["status"] in ("created", "processing")
