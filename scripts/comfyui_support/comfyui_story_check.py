"""The story nodes in a running ComfyUI: the "three-shot product story" template, queued.

Used by ``scripts/comfyui-e2e.sh`` (ComfyUI and the simulator are running; the input
folder holds ``seedance_e2e_start.png`` and ``seedance_e2e_ref.mp4``). Steps:

1. ``/object_info``: SeedanceStoryboard is an API node with a JSONata price badge; the
   badge, evaluated (jsonata-python) with the template's board as the frontend passes it
   (trimmed, lower-cased), shows the catalogue's price of that board; SeedanceLastFrame
   and SeedanceConcatVideos are registered (VIDEO -> IMAGE; VIDEO x N -> VIDEO + info).
2. ``seedance_story_api.json`` is the template's API form: its storyboard node takes the
   board, tier, resolution and seed from the template file (widget order from
   ``/object_info``). Queued: 3 paid submits; the saved film decodes (every frame) to the
   board's 13 s with audio; the contact sheet PNG was saved; ``info`` carries the pricing
   API's figure; SeedanceLastFrame's saved PNG is the exact last decoded frame of the
   node's film; ConcatVideos joined LoadVideo's 3 s clip twice without re-encoding (6 s)
   and the film + that clip with re-encoding (16 s).
3. Queued again: 0 submits. ``--after-restart`` (a new ComfyUI process: its output cache is
   empty, so the storyboard node really runs): 0 submits, every shot ``reused``.

Prints one JSON document with what it measured.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
from comfyui_e2e_check import run_prompt, simulator_stats, wait_ready
from PIL import Image

from shared_client import Storyboard, table_quote

SUPPORT = Path(__file__).resolve().parent
TEMPLATE = (
    SUPPORT.parents[1]
    / "comfy_nodes"
    / "example_workflows"
    / "seedance_three_shot_product_story.json"
)
SOCKETS = {"IMAGE", "VIDEO", "AUDIO", "MASK", "LATENT"}


def decoded(path: Path) -> tuple[float, np.ndarray, int]:
    """Decode every frame: (length = last frame time + one frame, last frame, audio streams)."""
    with av.open(str(path)) as container:
        rate = float(container.streams.video[0].average_rate)
        audio = len(container.streams.audio)
        last, end = None, 0.0
        for frame in container.decode(video=0):
            last, end = frame, max(end, float(frame.time))
    assert last is not None, f"{path} has no frames"
    return end + 1 / rate, last.to_ndarray(format="rgb24"), audio


def template_widgets(client: httpx.Client) -> dict[str, Any]:
    """The template's storyboard widget values by name, in the order ComfyUI declares."""
    node = next(
        n for n in json.loads(TEMPLATE.read_text())["nodes"] if n["type"] == "SeedanceStoryboard"
    )
    info = client.get("/object_info/SeedanceStoryboard").json()["SeedanceStoryboard"]
    specs = {**info["input"]["required"], **info["input"].get("optional", {})}
    order = info["input_order"]["required"] + info["input_order"].get("optional", [])
    widgets = [n for n in order if not (isinstance(specs[n][0], str) and specs[n][0] in SOCKETS)]
    return dict(zip(widgets, node["widgets_values"], strict=False))


def board_price(board_text: str) -> float:
    import yaml

    png = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(png, format="PNG")
    data = yaml.safe_load(board_text)
    data["references"] = {"images": [png.getvalue()]}
    board = Storyboard.from_dict(data)
    return round(sum(table_quote(board.request_for(i)).usd for i in range(len(board.shots))), 4)


def check_object_info(client: httpx.Client, widgets: dict[str, Any]) -> dict[str, Any]:
    infos = {n: client.get(f"/object_info/{n}").json()[n] for n in
             ("SeedanceStoryboard", "SeedanceLastFrame", "SeedanceConcatVideos")}  # fmt: skip
    story = infos["SeedanceStoryboard"]
    assert story["output"] == ["VIDEO", "IMAGE", "STRING"], story["output"]
    assert story.get("api_node") is True and story["price_badge"]["engine"] == "jsonata"
    assert infos["SeedanceLastFrame"]["output"] == ["IMAGE"]
    assert infos["SeedanceConcatVideos"]["output"] == ["VIDEO", "STRING"]
    depends = story["price_badge"]["depends_on"]["widgets"]
    report: dict[str, Any] = {
        "badge_widgets": [(w["name"], w["type"]) for w in depends],
        "badge_expr_chars": len(story["price_badge"]["expr"]),
    }
    try:
        import jsonata
    except ImportError:
        report["badge"] = "not evaluated (jsonata-python not installed)"
        return report
    context = {"widgets": {k: str(widgets[k]).strip().lower() for k in
                           ("storyboard", "tier", "resolution")}, "inputs": {}}  # fmt: skip
    result = jsonata.Jsonata(story["price_badge"]["expr"]).evaluate(context)
    expected = f"~${board_price(widgets['storyboard']):.2f}/Run (3 shots, 13 s)"
    assert result == {"type": "text", "text": expected}, (result, expected)
    report["badge"] = result["text"]
    return report


def saved(entry: dict[str, Any], node: str, output_dir: Path, kind: str = "images") -> Path:
    """The file a Save node wrote (SaveVideo lists it under images or videos)."""
    outputs = entry["outputs"][node]
    item = (outputs.get(kind) or outputs.get("videos") or outputs.get("images"))[0]
    return output_dir / item.get("subfolder", "") / item["filename"]


def preview(entry: dict[str, Any], node: str) -> dict[str, Any]:
    return dict(json.loads(entry["outputs"][node]["text"][0]))


def run_story(client: httpx.Client, args: argparse.Namespace, widgets: dict[str, Any]) -> Any:
    graph = json.loads((SUPPORT / "seedance_story_api.json").read_text())
    graph["2"]["inputs"].update(
        {k: widgets[k] for k in ("storyboard", "tier", "resolution", "seed")}
    )
    before = simulator_stats(args.simulator_url, args.sentinel)
    started = time.monotonic()
    entry = run_prompt(client, graph, args.timeout)
    seconds = round(time.monotonic() - started, 2)
    assert entry["status"]["status_str"] == "success", entry["status"]
    after = simulator_stats(args.simulator_url, args.sentinel)
    paid = {k: after[k] - before[k] for k in ("submissions", "uploads")}
    return entry, paid, seconds


def first_run(client: httpx.Client, args: argparse.Namespace, widgets: dict[str, Any]) -> Any:
    entry, paid, seconds = run_story(client, args, widgets)
    report: dict[str, Any] = {"run_seconds": seconds, "submits_uploads": paid}
    assert paid["submissions"] == 3, paid
    film = saved(entry, "5", args.output_dir, "images")
    length, _, audio = decoded(film)
    report["film"] = {"file": film.name, "seconds": round(length, 3), "audio_streams": audio}
    assert abs(length - 13.0) < 0.1 and audio == 1, report["film"]
    assert args.sentinel.encode() not in film.read_bytes()
    sheet = saved(entry, "3", args.output_dir, "images")
    with Image.open(sheet) as image:
        report["contact_sheet"] = {"file": sheet.name, "size": image.size}
        assert image.size[0] > 2 * image.size[1], image.size  # three frames side by side
    info = preview(entry, "4")
    expected = board_price(widgets["storyboard"])
    assert info["price_source"] == "api" and abs(info["price_usd"] - expected) < 1e-6, info
    assert info["new_charge_usd"] == info["price_usd"] and len(info["shots"]) == 3, info
    report["info"] = {
        k: info[k] for k in ("price_usd", "price_source", "new_charge_usd", "seconds")
    }
    # the node's own film (the cache), its exact last frame against LastFrame's saved PNG
    [own] = list((args.output_dir / "seedance" / "stories").glob(f"*/{info['film']}"))
    _, own_last, _ = decoded(own)
    with Image.open(saved(entry, "7", args.output_dir, "images")) as image:
        last_png = np.asarray(image.convert("RGB"))
    report["last_frame_exact"] = bool(np.array_equal(last_png, own_last))
    assert report["last_frame_exact"], "SeedanceLastFrame is not the film's last decoded frame"
    copy, mixed = preview(entry, "13"), preview(entry, "14")
    lengths = [decoded(saved(entry, n, args.output_dir, "images"))[0] for n in ("10", "12")]
    report["concat"] = {"copy": {**copy, "decoded_seconds": round(lengths[0], 3)},
                        "mixed": {**mixed, "decoded_seconds": round(lengths[1], 3)}}  # fmt: skip
    assert copy["reencoded"] is False and abs(lengths[0] - 6.0) < 0.1, report["concat"]
    assert mixed["reencoded"] is True and abs(lengths[1] - 16.0) < 0.1, report["concat"]
    _, again, _ = run_story(client, args, widgets)
    report["requeue_submits_uploads"] = again
    assert again == {"submissions": 0, "uploads": 0}, again
    return report


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--output-dir", required=True, type=Path)
    parser.add_argument("--sentinel", required=True)
    parser.add_argument("--simulator-url", required=True)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--pid", type=int, default=None)
    parser.add_argument("--after-restart", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {}
    with httpx.Client(base_url=args.url, timeout=30.0) as client:
        report["ready_seconds"] = round(wait_ready(client, time.monotonic() + 120, args.pid), 1)
        widgets = template_widgets(client)
        if args.after_restart:
            entry, paid, seconds = run_story(client, args, widgets)
            info = preview(entry, "4")
            report["after_restart"] = {"submits_uploads": paid, "run_seconds": seconds,
                                       "reused": [s["reused"] for s in info["shots"]]}  # fmt: skip
            assert paid["submissions"] == 0 and all(s["reused"] for s in info["shots"]), report
            assert info["new_charge_usd"] == 0, info
        else:
            report["object_info"] = check_object_info(client, widgets)
            report["story"] = first_run(client, args, widgets)
    report["result"] = "PASS"
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
