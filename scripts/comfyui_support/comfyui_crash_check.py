"""Pay once across a ComfyUI crash: SIGKILL a real ComfyUI around its submit, restart, re-queue.

Used by ``scripts/comfyui-e2e.sh`` in two phases around a restart it performs itself:

``--phase kill``
    Sets the simulator's ``submit_hold`` / ``history_lag``, queues the Seedance graph with a
    new, unique prompt (so nothing is cached), waits until the simulator counts the submit
    (the task exists), then sends SIGKILL to ComfyUI's ``python main.py`` process (found
    under the shell's PID). ``--variant during-submit`` (submit_hold > 0): ComfyUI dies with
    the POST still open, so the node's index holds the intent and no prediction id
    (checked). ``--variant after-answer`` (submit_hold 0): killed as soon as the submit is
    counted; the index may or may not hold the id yet (recorded). Writes ``--state``.

``--phase verify``
    ComfyUI was restarted (same output folder, small ``SEEDANCE_SETTLE_WINDOW``). Sets
    submit_hold back to 0, listens to ComfyUI's websocket for the node's progress text,
    re-queues the same graph and checks: success; the saved MP4 decodes (PyAV); the
    simulator holds exactly ONE task with that prompt and counted exactly one submit since
    the kill phase; the index entry now holds that task's id; and the confirming step was
    shown ("Confirming whether the request was received..." progress text and the
    ``pay_once`` log line) or, when the id had reached the index, the node re-attached.

Prints one JSON line with what it measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import struct
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from comfyui_e2e_check import check_video, run_prompt, saved_videos, simulator_stats, wait_ready

CONFIRMING = "Confirming whether the request was received"
DIED_LINE = "earlier run died inside its submit"
RESUBMIT_LINE = "no task of the earlier run appeared; submitting now"
REATTACH_LINE = "re-attaching to prediction"
#: ComfyUI's BinaryEventTypes.TEXT: a node's progress text over the websocket.
WS_TEXT_EVENT = 3
ANSI = re.compile(r"\x1b\[[0-9;]*m")


# --- ComfyUI's process ---------------------------------------------------------------------


def _proc_children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def comfyui_python(root_pid: int) -> tuple[int, list[str]]:
    """The ``python main.py`` process: ``root_pid`` itself (bash exec'd it) or a descendant."""
    children = _proc_children()
    todo, seen = [root_pid], []
    while todo:
        pid = todo.pop(0)
        seen.append(pid)
        todo.extend(children.get(pid, []))
    for pid in seen:
        cmd = _cmdline(pid)
        if cmd and "python" in Path(cmd[0]).name and "main.py" in cmd[1:2]:
            return pid, cmd
    raise SystemExit(f"no 'python main.py' process under PID {root_pid}: {seen}")


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has already died


# --- simulator -------------------------------------------------------------------------------


def set_timing(sim_url: str, key: str, **values: float) -> dict[str, Any]:
    response = httpx.post(
        f"{sim_url}/_sim/timing",
        json=values,
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    response.raise_for_status()
    return dict(response.json())


def tasks_with_prompt(sim_url: str, key: str, prompt: str) -> list[dict[str, Any]]:
    """Every task in the simulator's history whose input carries ``prompt`` (all pages)."""
    found: list[dict[str, Any]] = []
    page = 1
    with httpx.Client(base_url=sim_url, timeout=10) as sim:
        while True:
            response = sim.post(
                "/api/v3/predictions",
                json={"page": page, "page_size": 100},
                headers={"Authorization": f"Bearer {key}"},
            )
            response.raise_for_status()
            data = response.json()["data"]
            found += [t for t in data["items"] if (t.get("input") or {}).get("prompt") == prompt]
            if page * data["page_size"] >= data["total"]:
                return found
            page += 1


def fingerprint_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {fp: n - before.get(fp, 0) for fp, n in after.items() if n != before.get(fp, 0)}


# --- the node's on-disk index --------------------------------------------------------------


def index_snapshot(index_dir: Path) -> dict[str, float]:
    if not index_dir.is_dir():
        return {}
    return {p.name: p.stat().st_mtime_ns for p in index_dir.glob("*.json")}


def read_entry(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


# --- ComfyUI's websocket: the node's progress text ---------------------------------------


class ProgressListener:
    """Collects (seconds since start, node id, text) from ComfyUI's ``/ws`` in a thread."""

    def __init__(self, base_url: str) -> None:
        self.url = base_url.replace("http://", "ws://") + f"/ws?clientId={uuid.uuid4()}"
        self.texts: list[tuple[float, str, str]] = []
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def __enter__(self) -> ProgressListener:
        self._thread.start()
        if not self._ready.wait(15):
            raise SystemExit("could not connect to ComfyUI's websocket")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    async def _run(self) -> None:
        async with aiohttp.ClientSession() as session, session.ws_connect(self.url) as ws:
            self._ready.set()
            while not self._stop.is_set():
                try:
                    message = await ws.receive(timeout=0.2)
                except TimeoutError:
                    continue
                if message.type == aiohttp.WSMsgType.BINARY:
                    data = message.data
                    if struct.unpack(">I", data[:4])[0] != WS_TEXT_EVENT:
                        continue
                    size = struct.unpack(">I", data[4:8])[0]
                    node = data[8 : 8 + size].decode(errors="replace")
                    text = data[8 + size :].decode(errors="replace")
                    self.texts.append((round(time.monotonic() - self.started, 2), node, text))
                elif message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    return


# --- phases ----------------------------------------------------------------------------------


def phase_kill(args: argparse.Namespace) -> dict[str, Any]:
    hold = args.submit_hold if args.variant == "during-submit" else 0.0
    timing = set_timing(
        args.simulator_url, args.sentinel, submit_hold=hold, history_lag=args.history_lag
    )
    graph = json.loads(args.graph.read_text())
    prompt = f"{graph['2']['inputs']['prompt']} [crash {args.variant} {uuid.uuid4().hex[:12]}]"
    graph["2"]["inputs"]["prompt"] = prompt
    index_dir = args.output_dir / "seedance" / "index"
    index_before = index_snapshot(index_dir)
    report: dict[str, Any] = {"variant": args.variant, "simulator_timing": timing}
    with httpx.Client(base_url=args.url, timeout=30.0) as client:
        wait_ready(client, time.monotonic() + args.timeout, args.pid)
        pid, cmd = comfyui_python(args.pid)
        report["killed_process"] = {"pid": pid, "cmd": " ".join(cmd[:2]), "shell_pid": args.pid}
        before = simulator_stats(args.simulator_url, args.sentinel)
        queued = time.monotonic()
        response = client.post("/prompt", json={"prompt": graph, "client_id": str(uuid.uuid4())})
        response.raise_for_status()
    deadline = queued + args.timeout
    with httpx.Client(base_url=args.simulator_url, timeout=10) as sim:
        headers = {"Authorization": f"Bearer {args.sentinel}"}
        while (
            sim.get("/_sim/stats", headers=headers).json()["submissions"] == before["submissions"]
        ):
            if time.monotonic() > deadline:
                raise SystemExit("ComfyUI never submitted the crash graph")
            time.sleep(0.005)
    counted = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    while _alive(pid):
        if time.monotonic() > killed + 10:
            raise SystemExit(f"PID {pid} survived SIGKILL")
        time.sleep(0.05)
    report["queued_to_submit_counted_seconds"] = round(counted - queued, 3)
    report["submit_counted_to_sigkill_seconds"] = round(killed - counted, 3)
    if args.variant == "during-submit":
        assert killed - counted < hold, "the kill came after the held answer was sent"
    changed = sorted(
        name for name, mtime in index_snapshot(index_dir).items() if index_before.get(name) != mtime
    )
    assert len(changed) == 1, f"expected one new index entry, found {changed}"
    entry = read_entry(index_dir / changed[0])
    assert entry.get("intent"), f"the index holds no submit intent: {entry}"
    intent = json.loads(entry["intent"])
    state_at_kill = "intent + prediction id" if entry.get("prediction_id") else "intent only"
    report["index_at_kill"] = state_at_kill
    report["intent_owner"] = intent["owner"]
    if args.variant == "during-submit":
        assert entry.get("prediction_id") is None, f"the id reached the index: {entry}"
    after = simulator_stats(args.simulator_url, args.sentinel)
    report["submissions_at_kill"] = after["submissions"] - before["submissions"]
    state = {
        "variant": args.variant,
        "prompt": prompt,
        "graph": graph,
        "index_file": changed[0],
        "index_at_kill": state_at_kill,
        "stats_before": before,
        "kill_report": report,
    }
    args.state.write_text(json.dumps(state))
    return report


def phase_verify(args: argparse.Namespace) -> dict[str, Any]:
    state = json.loads(args.state.read_text())
    report: dict[str, Any] = {"variant": state["variant"], "index_at_kill": state["index_at_kill"]}
    index_path = args.output_dir / "seedance" / "index" / state["index_file"]
    with httpx.Client(base_url=args.url, timeout=30.0) as client:
        report["restart_ready_seconds"] = round(
            wait_ready(client, time.monotonic() + args.timeout, args.pid), 1
        )
        report["simulator_timing"] = set_timing(args.simulator_url, args.sentinel, submit_hold=0)
        log_offset = args.log.stat().st_size
        with ProgressListener(args.url) as progress:
            started = time.monotonic()
            entry = run_prompt(client, state["graph"], args.timeout)
            report["requeue_seconds"] = round(time.monotonic() - started, 2)
        status = entry["status"]["status_str"]
        report["status"] = status
        if status != "success":
            print(json.dumps({**report, "messages": entry["status"].get("messages")}, indent=1))
            raise SystemExit(1)
    report["video"] = check_video(saved_videos(entry, args.output_dir), args.sentinel)
    set_timing(args.simulator_url, args.sentinel, history_lag=0)  # count every task
    tasks = tasks_with_prompt(args.simulator_url, args.sentinel, state["prompt"])
    report["tasks_with_prompt"] = len(tasks)
    assert len(tasks) == 1, f"{len(tasks)} tasks carry the crash prompt: paid more than once"
    after = simulator_stats(args.simulator_url, args.sentinel)
    before = state["stats_before"]
    report["submissions_kill_and_requeue"] = after["submissions"] - before["submissions"]
    report["submissions_by_fingerprint_delta"] = fingerprint_delta(
        before["submissions_by_fingerprint"], after["submissions_by_fingerprint"]
    )
    assert report["submissions_kill_and_requeue"] == 1, report
    index_entry = read_entry(index_path)
    assert index_entry["prediction_id"] == tasks[0]["id"], (index_entry, tasks[0]["id"])
    assert index_entry.get("video_file"), index_entry
    report["prediction_id"] = tasks[0]["id"]

    log = ANSI.sub("", args.log.read_bytes()[log_offset:].decode(errors="replace"))
    texts = [text for _, node, text in progress.texts if node == "2"]
    confirming = [t for t, node, text in progress.texts if text.startswith(CONFIRMING)]
    report["progress_texts"] = list(dict.fromkeys(t.split("\n")[0] for t in texts))
    report["log_lines"] = [
        line.strip()
        for line in log.splitlines()
        if any(k in line for k in ("seedance", "history search", "found prediction"))
    ]
    assert RESUBMIT_LINE not in log, "the node submitted again after the crash"
    if state["index_at_kill"] == "intent only":
        assert DIED_LINE in log, f"no '{DIED_LINE}' line in ComfyUI's log"
        assert confirming, f"no '{CONFIRMING}...' progress text: {report['progress_texts']}"
        first = confirming[0]
        after_confirm = [
            t for t, node, text in progress.texts if t > first and CONFIRMING not in text
        ]
        report["confirming_shown_seconds"] = round(
            (after_confirm[0] if after_confirm else first) - first, 2
        )
        report["path"] = "confirmed (history search) and adopted the earlier task"
    else:
        assert REATTACH_LINE in log, f"no '{REATTACH_LINE}' line in ComfyUI's log"
        report["path"] = "re-attached to the recorded prediction id"
    report["result"] = "PASS"
    return report


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phase", choices=("kill", "verify"), required=True)
    parser.add_argument("--variant", choices=("during-submit", "after-answer"))
    parser.add_argument("--url", required=True)
    parser.add_argument("--graph", required=True, type=Path)
    parser.add_argument("--output-dir", required=True, type=Path)
    parser.add_argument("--sentinel", required=True)
    parser.add_argument("--simulator-url", required=True)
    parser.add_argument("--pid", type=int, required=True, help="PID of the shell running ComfyUI")
    parser.add_argument("--log", type=Path, required=True, help="ComfyUI's log file")
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--submit-hold", type=float, default=4.0)
    parser.add_argument("--history-lag", type=float, default=2.0)
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args()
    if args.phase == "kill":
        if args.variant is None:
            parser.error("--phase kill needs --variant")
        report = phase_kill(args)
    else:
        report = phase_verify(args)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
