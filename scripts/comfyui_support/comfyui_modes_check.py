"""The family's nodes in a running ComfyUI: price badges, references, extend, the session cap.

Used by ``scripts/comfyui-e2e.sh`` after the image-to-video check (ComfyUI and the
simulator are running; the input folder holds ``seedance_e2e_start.png``,
``seedance_e2e_ref.mp4`` and ``seedance_e2e_ref.wav``). Steps:

1. ``/object_info`` of the four nodes: outputs VIDEO, STRING, STRING; ``api_node``; a
   JSONata ``price_badge`` whose text for the graph's settings (evaluated here with
   jsonata-python when installed) is the catalogue's price, marked ``~$``. The template
   browser's ``/workflow_templates`` lists the package's example workflows, and each is
   served and uses a Seedance node.
2. LoadImage + LoadVideo + LoadAudio -> SeedanceTextToVideo (the same image in two
   sockets) -> SeedanceVideoExtend, both saved (``seedance_t2v_refs_api.json``): 2 paid
   submits, 4 uploads (image once, video, audio, then the text-to-video output for the
   extend), both MP4s decode, extended = original + 4 s; each node's JSON ``info`` (via
   PreviewAny) carries the pricing API's figure; the progress text showed status, elapsed
   time and price. Queued again: 0 submits.
3. LoadVideo -> SeedanceVideoExtend -> SaveVideo (``seedance_extend_api.json``): 1 submit,
   1 upload, the file as LoadVideo found it; output = 3 s input + 4 s.
4. ``max_cost_usd`` written to ``<user>/wavespeed.json`` below what was spent: the same
   extend with a new seed fails before paying (0 submits, 0 uploads) with the spent and
   remaining amounts in the message; the file is removed again.

Prints one JSON document with what it measured.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import av
import httpx
from comfyui_crash_check import ProgressListener
from comfyui_e2e_check import check_video, run_prompt, saved_videos, simulator_stats, wait_ready

from shared_client import model_spec

SUPPORT = Path(__file__).resolve().parent
NODE_IDS = (
    "SeedanceTextToVideo",
    "SeedanceImageToVideo",
    "SeedanceVideoExtend",
    "SeedanceVideoEdit",
)


def seconds_of(path: Path) -> float:
    with av.open(str(path)) as container:
        return float(container.duration or 0) / 1e6


def delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in ("submissions", "uploads")}


def previews(entry: dict[str, Any], node: str) -> dict[str, Any]:
    """The JSON ``info`` a PreviewAny node showed (ComfyUI lists it under ``text``)."""
    return json.loads(entry["outputs"][node]["text"][0])


def expected_label(node: dict[str, Any], refs: int) -> str:
    inputs = node["inputs"]
    spec = model_spec(inputs["model"])
    assert spec is not None
    price = spec.price(inputs["resolution"], inputs["duration"])
    return f"~${price:.2f}/Run" + (f" ({refs} refs)" if refs > 1 else " (1 ref)" if refs else "")


def check_object_info(client: httpx.Client, graph: dict[str, Any]) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for node_id in NODE_IDS:
        info = client.get(f"/object_info/{node_id}").json().get(node_id)
        assert info, f"{node_id} is not registered in /object_info"
        assert info["output"] == ["VIDEO", "STRING", "STRING"], info["output"]
        assert info["output_name"][2] == "info", info["output_name"]
        badge = info.get("price_badge")
        assert info.get("api_node") is True and badge and badge["engine"] == "jsonata", node_id
        report[node_id] = {
            "badge_widgets": [(w["name"], w["type"]) for w in badge["depends_on"]["widgets"]],
            "badge_inputs": len(badge["depends_on"]["inputs"]),
            "badge_expr_chars": len(badge["expr"]),
        }
    t2v = graph["4"]
    badge = client.get("/object_info/SeedanceTextToVideo").json()["SeedanceTextToVideo"]
    try:
        import jsonata
    except ImportError:
        report["badge_evaluated"] = "skipped (jsonata-python not installed)"
        return report
    connected = {k for k, v in t2v["inputs"].items() if k.startswith("reference_")}
    context = {
        "widgets": {w: str(t2v["inputs"][w]).lower() if w != "duration" else t2v["inputs"][w]
                    for w in ("model", "resolution", "duration")},
        "inputs": {n: {"connected": n in connected}
                   for n in badge["price_badge"]["depends_on"]["inputs"]},
    }  # fmt: skip
    result = jsonata.Jsonata(badge["price_badge"]["expr"]).evaluate(context)
    expected = expected_label(t2v, len(connected))
    assert result == {"type": "text", "text": expected}, (result, expected)
    report["badge_evaluated"] = result["text"]
    return report


def check_templates(client: httpx.Client) -> dict[str, Any]:
    """What ComfyUI's template browser lists for the package (the clone's folder name)."""
    listed = client.get("/workflow_templates").json()
    names = sorted(listed.get("seedance-workflows", []))
    shipped = sorted(
        p.stem for p in (SUPPORT.parents[1] / "comfy_nodes" / "example_workflows").glob("*.json")
    )
    assert names == shipped, (listed, shipped)
    for name in names:
        response = client.get(f"/api/workflow_templates/seedance-workflows/{name}.json")
        assert response.status_code == 200, (name, response.status_code)
        types = {node["type"] for node in response.json()["nodes"]}
        assert types & {*NODE_IDS, "SeedanceStoryboard"}, (name, types)
    return {"seedance-workflows": names}


def run_refs_graph(client: httpx.Client, args: argparse.Namespace) -> dict[str, Any]:
    graph = json.loads((SUPPORT / "seedance_t2v_refs_api.json").read_text())
    report: dict[str, Any] = {"object_info": check_object_info(client, graph)}
    before = simulator_stats(args.simulator_url, args.sentinel)
    with ProgressListener(args.url) as progress:
        started = time.monotonic()
        entry = run_prompt(client, graph, args.timeout)
        report["run_seconds"] = round(time.monotonic() - started, 2)
    assert entry["status"]["status_str"] == "success", entry["status"]
    paid = delta(before, simulator_stats(args.simulator_url, args.sentinel))
    report["submits_uploads"] = paid
    assert paid == {"submissions": 2, "uploads": 4}, paid
    videos = saved_videos(entry, args.output_dir)
    extended = next(v for v in videos if "t2v_extended" in v.name)
    original = next(v for v in videos if "t2v_extended" not in v.name)
    report["t2v_video"] = check_video([original], args.sentinel)
    report["extended_video"] = check_video([extended], args.sentinel)
    lengths = seconds_of(original), seconds_of(extended)
    report["seconds_t2v_extended"] = [round(s, 2) for s in lengths]
    assert abs(lengths[1] - (lengths[0] + 4)) < 0.6, lengths
    infos = previews(entry, "8"), previews(entry, "9")
    report["info_t2v"], report["info_extend"] = infos
    for info, node in zip(infos, ("4", "5"), strict=True):
        spec = model_spec(graph[node]["inputs"]["model"])
        assert spec is not None
        assert info["price_source"] == "api" and info["new_charge"] is True, info
        assert abs(info["price_usd"] - spec.price("480p", 4)) < 1e-6, info
    texts = [text for _, node, text in progress.texts if node == "4"]
    shown = [t for t in texts if "Status:" in t and "Elapsed:" in t and "Price: $" in t]
    assert shown, f"no status/elapsed/price progress text: {texts[-3:]}"
    report["progress_text_sample"] = shown[-1].split("\n")
    before = simulator_stats(args.simulator_url, args.sentinel)
    again = run_prompt(client, graph, args.timeout)
    assert again["status"]["status_str"] == "success", again["status"]
    report["requeue_submits_uploads"] = delta(
        before, simulator_stats(args.simulator_url, args.sentinel)
    )
    assert report["requeue_submits_uploads"] == {"submissions": 0, "uploads": 0}
    return report


def run_extend_graph(client: httpx.Client, args: argparse.Namespace) -> dict[str, Any]:
    graph = json.loads((SUPPORT / "seedance_extend_api.json").read_text())
    before = simulator_stats(args.simulator_url, args.sentinel)
    entry = run_prompt(client, graph, args.timeout)
    assert entry["status"]["status_str"] == "success", entry["status"]
    report: dict[str, Any] = {
        "submits_uploads": delta(before, simulator_stats(args.simulator_url, args.sentinel))
    }
    assert report["submits_uploads"] == {"submissions": 1, "uploads": 1}, report
    video = saved_videos(entry, args.output_dir)
    report["video"] = check_video(video, args.sentinel)
    source = seconds_of(args.input_dir / "seedance_e2e_ref.mp4")
    report["seconds_input_output"] = [round(source, 2), round(seconds_of(video[0]), 2)]
    assert abs(seconds_of(video[0]) - (source + 4)) < 0.6, report
    report["info"] = previews(entry, "4")
    return report


def run_cap(client: httpx.Client, args: argparse.Namespace) -> dict[str, Any]:
    graph = json.loads((SUPPORT / "seedance_extend_api.json").read_text())
    graph["2"]["inputs"]["seed"] = 12  # a new run: it would be paid
    config = args.user_dir / "wavespeed.json"
    config.write_text(json.dumps({"max_cost_usd": 0.5}))
    try:
        before = simulator_stats(args.simulator_url, args.sentinel)
        entry = run_prompt(client, graph, args.timeout)
        paid = delta(before, simulator_stats(args.simulator_url, args.sentinel))
    finally:
        config.unlink()
    assert entry["status"]["status_str"] == "error", entry["status"]
    errors = [m[1] for m in entry["status"]["messages"] if m[0] == "execution_error"]
    message = errors[0]["exception_message"]
    assert message.startswith("max_cost_usd: this run costs"), message
    assert "spent this session" in message and "remains" in message, message
    assert "Nothing was uploaded or submitted" in message, message
    assert paid == {"submissions": 0, "uploads": 0}, paid
    assert args.sentinel not in message
    return {"submits_uploads": paid, "message": message, "node": errors[0].get("node_type")}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--output-dir", required=True, type=Path)
    parser.add_argument("--input-dir", required=True, type=Path)
    parser.add_argument("--user-dir", required=True, type=Path)
    parser.add_argument("--sentinel", required=True)
    parser.add_argument("--simulator-url", required=True)
    parser.add_argument("--timeout", type=float, default=240.0)
    parser.add_argument("--pid", type=int, default=None)
    args = parser.parse_args()
    report: dict[str, Any] = {}
    with httpx.Client(base_url=args.url, timeout=30.0) as client:
        report["ready_seconds"] = round(wait_ready(client, time.monotonic() + 120, args.pid), 1)
        report["templates"] = check_templates(client)
        report["t2v_refs_then_extend"] = run_refs_graph(client, args)
        report["extend_loaded_video"] = run_extend_graph(client, args)
        report["session_cap"] = run_cap(client, args)
    report["result"] = "PASS"
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
