"""Drive a running ComfyUI through its HTTP API and check the Seedance node end to end.

Used by ``scripts/comfyui-e2e.sh`` (which starts ComfyUI and the simulator). Steps: wait
for ``/object_info``, check ``/object_info/SeedanceImageToVideo``, queue the
LoadImage -> SeedanceImageToVideo -> SaveVideo graph, poll ``/history``, decode the saved
MP4 with PyAV, and check that the API key (a sentinel) appears nowhere in ``/history``, in
the file's bytes or in its metadata tags. Queues the same graph again and checks that
the simulator saw no second submit. Prints one JSON line with what it measured.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import av
import httpx


def wait_ready(client: httpx.Client, deadline: float, pid: int | None) -> float:
    started = time.monotonic()
    while time.monotonic() < deadline:
        if pid is not None:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                raise SystemExit("ComfyUI exited during start-up") from None
        try:
            if client.get("/object_info").status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit("ComfyUI did not answer /object_info in time")


def run_prompt(client: httpx.Client, graph: dict[str, Any], timeout: float) -> dict[str, Any]:
    response = client.post("/prompt", json={"prompt": graph, "client_id": str(uuid.uuid4())})
    if response.status_code != 200:
        raise SystemExit(f"/prompt refused the graph: {response.status_code} {response.text}")
    prompt_id = response.json()["prompt_id"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        history = client.get(f"/history/{prompt_id}").json()
        entry = history.get(prompt_id)
        status = (entry or {}).get("status", {})
        if status.get("completed") is not None and status.get("status_str") in ("success", "error"):
            return entry  # type: ignore[return-value]
        time.sleep(0.5)
    raise SystemExit(f"prompt {prompt_id} did not finish in {timeout}s")


def saved_videos(entry: dict[str, Any], output_dir: Path) -> list[Path]:
    files = []
    for node_output in entry.get("outputs", {}).values():
        for item in node_output.get("images", []) + node_output.get("videos", []):
            files.append(output_dir / item.get("subfolder", "") / item["filename"])
    return files


def simulator_stats(url: str, key: str) -> dict[str, Any]:
    """The simulator's counters (its admin routes take the same key as the API)."""
    with httpx.Client(base_url=url, timeout=10) as sim:
        response = sim.get("/_sim/stats", headers={"Authorization": f"Bearer {key}"})
        response.raise_for_status()
        return dict(response.json())


def check_video(videos: list[Path], sentinel: str) -> dict[str, Any]:
    """The saved MP4 decodes and holds the key neither in its bytes nor in its tags."""
    assert videos, "SaveVideo listed no file"
    video = videos[0]
    assert sentinel.encode() not in video.read_bytes(), "the API key is inside the MP4"
    with av.open(str(video)) as container:
        tags = dict(container.metadata)
        audio_streams = len(container.streams.audio)
        frames = sum(1 for _ in container.decode(video=0))
    assert frames > 0, "the saved MP4 has no frames"
    assert not [k for k, v in tags.items() if sentinel in f"{k}{v}"], "key in MP4 tags"
    return {
        "file": video.name,
        "frames": frames,
        "audio_streams": audio_streams,
        "metadata_tags": sorted(tags),
    }


def check_interrupt(
    client: httpx.Client, graph: dict[str, Any], args: argparse.Namespace, sentinel: str
) -> dict[str, Any]:
    """Interrupt while the node waits, then queue the same graph: it must re-attach.

    ComfyUI's interrupt stops the node's polling at once; the remote job keeps running
    (WaveSpeed has no cancel endpoint). Re-queueing the same inputs + seed must collect
    that job's video without a second paid submit.
    """
    graph = json.loads(json.dumps(graph))
    graph["2"]["inputs"]["seed"] = int(graph["2"]["inputs"]["seed"]) + 1
    before = simulator_stats(args.simulator_url, sentinel)
    response = client.post("/prompt", json={"prompt": graph, "client_id": str(uuid.uuid4())})
    response.raise_for_status()
    prompt_id = response.json()["prompt_id"]
    deadline = time.monotonic() + 30
    while simulator_stats(args.simulator_url, sentinel)["submissions"] == before["submissions"]:
        assert time.monotonic() < deadline, "the interrupt graph never submitted"
        time.sleep(0.1)
    time.sleep(0.5)
    interrupted_at = time.monotonic()
    client.post("/interrupt", json={})
    while True:
        entry = client.get(f"/history/{prompt_id}").json().get(prompt_id)
        if entry and entry.get("status", {}).get("completed") is not None:
            break
        assert time.monotonic() < deadline, "the interrupted prompt never finished"
        time.sleep(0.05)
    stop_seconds = round(time.monotonic() - interrupted_at, 2)
    messages = [m[0] for m in entry["status"].get("messages", [])]
    assert "execution_interrupted" in messages, messages
    again = run_prompt(client, graph, args.timeout)
    assert again["status"]["status_str"] == "success", again["status"]
    paid = simulator_stats(args.simulator_url, sentinel)["submissions"] - before["submissions"]
    assert paid == 1, f"interrupt + re-queue paid {paid} times"
    check_video(saved_videos(again, args.output_dir), sentinel)
    return {"stopped_after_seconds": stop_seconds, "paid_submits_incl_requeue": paid}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--graph", required=True, type=Path)
    parser.add_argument("--output-dir", required=True, type=Path)
    parser.add_argument("--sentinel", required=True)
    parser.add_argument("--simulator-url", required=True)
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument(
        "--after-restart",
        action="store_true",
        help="ComfyUI was restarted: the graph must be answered from the node's disk index",
    )
    parser.add_argument(
        "--pid", type=int, default=None, help="ComfyUI's PID (stop early if it dies)"
    )
    args = parser.parse_args()
    sentinel = args.sentinel
    report: dict[str, Any] = {}
    with httpx.Client(base_url=args.url, timeout=30.0) as client:
        report["ready_seconds"] = round(
            wait_ready(client, time.monotonic() + args.timeout, args.pid), 1
        )
        info = client.get("/object_info/SeedanceImageToVideo").json()
        node = info.get("SeedanceImageToVideo")
        if not node:
            raise SystemExit("SeedanceImageToVideo is not registered in /object_info")
        inputs = {**node["input"]["required"], **node["input"].get("optional", {})}
        report["node"] = {
            "display_name": node["display_name"],
            "category": node["category"],
            "outputs": node["output"],
            "inputs": sorted(inputs),
        }
        assert not [n for n in inputs if "key" in n.lower()], "an input could carry a key"
        assert node["output"][0] == "VIDEO", node["output"]
        seed_control = inputs["seed"][1].get("control_after_generate")
        report["node"]["seed_control_after_generate"] = seed_control
        assert seed_control == "fixed", f"seed control is {seed_control!r}, expected 'fixed'"

        graph = json.loads(args.graph.read_text())
        before = simulator_stats(args.simulator_url, sentinel)
        started = time.monotonic()
        entry = run_prompt(client, graph, args.timeout)
        report["run_seconds"] = round(time.monotonic() - started, 2)
        report["status"] = entry["status"]["status_str"]
        if report["status"] != "success":
            print(json.dumps({**report, "messages": entry["status"].get("messages")}, indent=1))
            return 1
        paid = simulator_stats(args.simulator_url, sentinel)["submissions"] - before["submissions"]
        report["submissions_this_run"] = paid
        expected = 0 if args.after_restart else 1
        assert paid == expected, f"expected {expected} paid submit(s), the simulator saw {paid}"
        history_text = json.dumps(client.get("/history").json())
        assert sentinel not in history_text, "the API key leaked into /history"
        report["video"] = check_video(saved_videos(entry, args.output_dir), sentinel)

        if not args.after_restart:  # same graph again: ComfyUI's own cache, nothing paid
            before = simulator_stats(args.simulator_url, sentinel)
            started = time.monotonic()
            again = run_prompt(client, graph, args.timeout)
            report["rerun_seconds"] = round(time.monotonic() - started, 2)
            report["rerun_status"] = again["status"]["status_str"]
            after = simulator_stats(args.simulator_url, sentinel)
            assert after["submissions"] == before["submissions"], "the re-run paid again"
            report["interrupt"] = check_interrupt(client, graph, args, sentinel)
    report["result"] = "PASS"
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
