"""The Seedance nodes as a user meets them: ComfyUI's own frontend in headless Chromium.

Used by ``scripts/comfyui-e2e.sh`` while ComfyUI (with this repository as a custom node)
and the simulator run. The other checks talk to ComfyUI's HTTP API; this one reads only
what the browser renders, because the node library, the template browser, the price badge
and the video preview are all built by the frontend (``comfyui_frontend_package``) from
what the server sends, and could be broken while every API answer is right. Steps:

1. Node library (sidebar "Nodes"): the API nodes are listed under their category
   (``partner/video/Seedance`` is shown as PARTNER NODES > video > Seedance), and the
   library's search box finds all seven for "Seedance".
2. Template browser (sidebar "Templates" > EXTENSIONS > seedance-workflows): one card per
   ``comfy_nodes/example_workflows/*.json``. Clicking a card loads the graph; no
   "Missing node" message appears. A negative control loads the same graph with one node
   type renamed and requires that message, so the check can fail.
3. Price badges: with the frontend's DOM node renderer ("Vue nodes", a user setting),
   every Seedance node of every template shows the catalogue's price for the widget values
   it displays (``~$0.80/Run (1 ref)``). On the text-to-video -> extend template the
   resolution is picked from the node's drop-down and the duration moved with the
   slider's arrow keys, as a user would, and the badge follows each change.
4. The Run button queues that edited graph; the Save Video node ends up showing a
   ``<video>`` that the browser decoded (``readyState`` >= 2, non-zero size), whose file
   ComfyUI wrote (PyAV decodes it) after exactly two submits to the simulator.

Widget values are read from the rendered widgets; the frontend's JavaScript API
(``window.app``) is used only to switch the renderer setting and to load the negative
control's graph. Screenshots go to ``--shots``. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from comfyui_e2e_check import check_video, simulator_stats
from playwright.sync_api import Locator, Page, sync_playwright

from shared_client import RESOLUTION_PRICE_FACTORS, model_spec

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "comfy_nodes" / "example_workflows"
PACKAGE = "seedance-workflows"  # the custom-node folder name the template browser shows
RUN_TEMPLATE = "seedance_text_to_video_then_extend"
NODE_IDS = (
    "SeedanceTextToVideo",
    "SeedanceImageToVideo",
    "SeedanceVideoExtend",
    "SeedanceVideoEdit",
)
#: Listed under Seedance and found by the search too; their badges are checked elsewhere
#: (the storyboard's in comfyui_story_check.py; the other two are free and have none).
STORY_IDS = ("SeedanceStoryboard", "SeedanceLastFrame", "SeedanceConcatVideos")
MISSING = re.compile(r"Missing node|isn't installed", re.I)
CHROMIUM = "/usr/bin/chromium"
# The flags a closed network needs (no sandbox in containers, no GPU, no calls home).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch_chromium(playwright: Any, user_data_dir: str) -> Any:
    """Debian's Chromium, headless, with a fresh profile (never a downloaded browser).

    The Airflow browser tests (``tests/support/browser.py``) launch it the same way; the
    two are kept apart so this script needs nothing from the test tree."""
    return playwright.chromium.launch_persistent_context(
        user_data_dir,
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1600, "height": 1000},
    )


def expected_badge(model: str, resolution: str | None, duration: str, refs: int) -> str:
    """The badge text the catalogue implies, computed here independently of
    ``comfy_nodes/price_badge.py`` (which generates the expression the browser runs)."""
    spec = model_spec(model)
    assert spec is not None, f"{model} is not in the catalogue"
    res = resolution or max(RESOLUTION_PRICE_FACTORS, key=RESOLUTION_PRICE_FACTORS.__getitem__)
    if duration == "auto":
        low, high = spec.durations
        label = f"{spec.price(res, low):.2f}-{spec.price(res, high):.2f}"
    else:
        label = f"{spec.price(res, int(duration)):.2f}"
    suffix = "" if not refs else f" ({refs} ref)" if refs == 1 else f" ({refs} refs)"
    return f"~${label}/Run{suffix}"


def shown_widget(node: Locator, name: str) -> str | None:
    """The value a widget displays: a drop-down's text, a slider's position, else None."""
    combo = node.get_by_role("combobox", name=name, exact=True)
    if combo.count():
        return combo.inner_text().strip()
    slider = node.locator(f"[aria-label='{name}'] [role=slider]")
    if slider.count():
        return slider.get_attribute("aria-valuenow")
    return None


def badge_of(node: Locator) -> str:
    """The badge's text; the frontend splits it at the first space into two pills
    ("~$0.80/Run" and "(1 ref)")."""
    parts = [node.get_by_test_id("credit-badge-required").inner_text().strip()]
    rest = node.get_by_test_id("credit-badge-rest")
    if rest.count():
        parts.append(rest.inner_text().strip())
    return " ".join(parts)


def wait_badge(node: Locator, want: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while (text := badge_of(node)) != want and time.monotonic() < deadline:
        time.sleep(0.1)
    return text


def missing_message(page: Page) -> str | None:
    found = MISSING.search(page.locator("body").inner_text())
    return found.group(0) if found else None


def open_templates(page: Page) -> Locator:
    """The template browser, showing this package's templates."""
    dialog = page.get_by_role("dialog")
    if not dialog.get_by_text(PACKAGE, exact=True).count():
        page.get_by_text("Templates", exact=True).first.click()
    dialog.get_by_text(PACKAGE, exact=True).first.click()
    page.wait_for_timeout(800)
    return dialog


def load_template(page: Page, stem: str) -> None:
    open_templates(page).get_by_text(stem, exact=True).first.click()
    page.wait_for_function(
        "n => app.graph && app.graph.nodes.length === n", arg=template_nodes(stem)
    )
    page.wait_for_timeout(1200)


def template_nodes(stem: str) -> int:
    return len(json.loads((TEMPLATES / f"{stem}.json").read_text())["nodes"])


def check_library(
    page: Page, names: dict[str, str], shots: Path, partner: set[str]
) -> dict[str, Any]:
    """PARTNER NODES > video > Seedance lists the API nodes (``partner``: their display
    names); the search finds every node of the package (``names``)."""
    page.get_by_text("Nodes", exact=True).first.click()
    page.wait_for_timeout(800)
    items = page.get_by_role("treeitem")
    folder = re.compile(r"^\s*video\s*$")
    # PARTNER NODES holds API nodes by their category after "partner/": video > Seedance.
    items.filter(has_text=folder).last.click()
    items.filter(has_text=re.compile(r"^\s*Seedance\s*$")).first.click()
    page.wait_for_timeout(600)
    texts = [(i.get_attribute("aria-level"), i.inner_text().strip()) for i in items.all()]
    at = texts.index(("2", "Seedance"))
    under = [text for level, text in texts[at + 1 :] if level == "3"][: len(partner)]
    assert sorted(under) == sorted(partner), f"under Seedance: {under}"
    page.screenshot(path=str(shots / "01-node-library.png"))
    page.get_by_placeholder("Search...").first.fill("Seedance")
    page.wait_for_timeout(1200)
    found = [n for n in names.values() if page.get_by_role("treeitem", name=n).count()]
    assert len(found) == len(names), f"search 'Seedance' found only {found}"
    page.screenshot(path=str(shots / "02-node-search.png"))
    page.get_by_text("Nodes", exact=True).first.click()  # close the panel
    return {"library_under_partner_video_seedance": under, "search_found": len(found)}


def check_badges(page: Page, stem: str) -> list[dict[str, Any]]:
    """Every Seedance node of the loaded template shows the catalogue's price."""
    graph = json.loads((TEMPLATES / f"{stem}.json").read_text())
    rows = []
    for spec in graph["nodes"]:
        if spec["type"] not in NODE_IDS:
            continue
        node = page.locator(f"[data-node-id='{spec['id']}']")
        refs = sum(
            1
            for i in spec.get("inputs", [])
            if i["name"].startswith("reference_") and i.get("link")
        )
        model = shown_widget(node, "model")
        resolution = shown_widget(node, "resolution")
        duration = shown_widget(node, "duration")
        assert model and duration, f"{stem} node {spec['id']}: widgets not rendered"
        want = expected_badge(model, resolution, duration, refs)
        got = wait_badge(node, want)
        assert got == want, (
            f"{stem} node {spec['id']} ({spec['type']}): badge {got!r}, want {want!r}"
        )
        rows.append({"template": stem, "node": spec["type"], "badge": got})
    return rows


def change_and_watch(page: Page, shots: Path) -> list[dict[str, str]]:
    """Pick a resolution and move the duration like a user; the badge must follow."""
    node = page.locator("[data-node-id='1']")
    seen = [{"settings": "as loaded", "badge": badge_of(node)}]
    resolution = shown_widget(node, "resolution")
    target = "1080p" if resolution != "1080p" else "480p"
    node.get_by_role("combobox", name="resolution", exact=True).click()
    page.get_by_role("option", name=target, exact=True).click()
    model = shown_widget(node, "model")
    assert model and shown_widget(node, "resolution") == target
    want = expected_badge(model, target, shown_widget(node, "duration") or "", 0)
    got = wait_badge(node, want)
    assert got == want and got != seen[0]["badge"], f"after {target}: {got!r}, want {want!r}"
    seen.append({"settings": f"resolution {target}", "badge": got})
    thumb = node.locator("[aria-label='duration'] [role=slider]")
    before = int(thumb.get_attribute("aria-valuenow") or 0)
    thumb.focus()
    thumb.press("ArrowRight")
    thumb.press("ArrowRight")
    duration = shown_widget(node, "duration")
    assert duration == str(before + 2), f"the slider shows {duration}, not {before + 2}"
    want = expected_badge(model, target, duration, 0)
    got = wait_badge(node, want)
    assert got == want and got != seen[-1]["badge"], f"after {duration}s: {got!r}, want {want!r}"
    seen.append({"settings": f"resolution {target}, duration {duration}", "badge": got})
    page.screenshot(path=str(shots / "05-price-changed.png"))
    return seen


def run_in_browser(page: Page, args: argparse.Namespace, shots: Path) -> dict[str, Any]:
    before = simulator_stats(args.simulator_url, args.sentinel)
    started = time.monotonic()
    page.get_by_test_id("queue-button").click()
    graph = json.loads((TEMPLATES / f"{RUN_TEMPLATE}.json").read_text())
    save_id = next(n["id"] for n in graph["nodes"] if n["type"] == "SaveVideo")
    save = page.locator(f"[data-node-id='{save_id}']")
    video = save.locator("video").first
    video.wait_for(timeout=args.timeout * 1000)
    page.wait_for_function(
        "v => v.readyState >= 2 && v.videoWidth > 0", arg=video.element_handle(), timeout=30000
    )
    seconds = time.monotonic() - started
    src, width, height, duration = video.evaluate(
        "v => [v.currentSrc, v.videoWidth, v.videoHeight, v.duration]"
    )
    page.screenshot(path=str(shots / "06-run-video-preview.png"))
    name = re.search(r"filename=([^&]+)", src)
    sub = re.search(r"subfolder=([^&]*)", src)
    assert name, f"the preview's source names no file: {src}"
    saved = args.output_dir / (sub.group(1) if sub else "") / name.group(1)
    submits = (
        simulator_stats(args.simulator_url, args.sentinel)["submissions"] - before["submissions"]
    )
    assert submits == 2, f"the run sent {submits} submits, expected 2 (text-to-video, extend)"
    progress = page.locator("[data-node-id='1']").inner_text()
    assert "(pricing API)" in progress, "the node's progress text shows no price"
    return {
        "queue_to_preview_s": round(seconds, 1),
        "preview": {"width": width, "height": height, "seconds": round(duration, 2)},
        "submits": submits,
        "saved": check_video([saved], args.sentinel),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--shots", type=Path, required=True)
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--sentinel", required=True)
    parser.add_argument("--simulator-url", required=True)
    parser.add_argument("--timeout", type=float, default=240.0)
    args = parser.parse_args()
    args.shots.mkdir(parents=True, exist_ok=True)
    with httpx.Client(base_url=args.url, timeout=30) as client:
        info = {n: client.get(f"/object_info/{n}").json()[n] for n in NODE_IDS + STORY_IDS}
        comfyui = client.get("/system_stats").json()["system"]["comfyui_version"]
    names = {n: i["display_name"] for n, i in info.items()}
    assert {i["category"] for i in info.values()} == {"partner/video/Seedance"}, info
    stems = sorted(p.stem for p in TEMPLATES.glob("*.json"))
    report: dict[str, Any] = {"comfyui": comfyui, "templates": stems}
    started = time.monotonic()
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        browser = launch_chromium(pw, profile)
        page = browser.new_page()
        page.goto(args.url)
        page.wait_for_function("window.app && window.app.vueAppReady", timeout=90000)
        page.wait_for_timeout(1500)
        report["frontend"] = page.evaluate("window.__COMFYUI_FRONTEND_VERSION__")
        page.keyboard.press("Escape")  # a first start opens the template browser
        partner = {names[n] for n, i in info.items() if i.get("api_node")}
        report.update(check_library(page, names, args.shots, partner))

        dialog = open_templates(page)
        cards = [s for s in stems if dialog.get_by_text(s, exact=True).count()]
        assert cards == stems, f"template browser lists {cards}, expected {stems}"
        page.screenshot(path=str(args.shots / "03-templates.png"))
        load_template(page, RUN_TEMPLATE)  # the default canvas renderer, as installed
        assert missing_message(page) is None, missing_message(page)
        page.screenshot(path=str(args.shots / "04-template-canvas.png"))

        page.evaluate("app.extensionManager.setting.set('Comfy.VueNodes.Enabled', true)")
        report["badges"] = []
        for stem in stems:
            load_template(page, stem)
            assert missing_message(page) is None, f"{stem}: {missing_message(page)}"
            report["badges"] += check_badges(page, stem)
        load_template(page, RUN_TEMPLATE)
        report["price_follows_widgets"] = change_and_watch(page, args.shots)
        report["run"] = run_in_browser(page, args, args.shots)
        assert args.sentinel not in page.content(), "the API key is in the page"

        broken = json.loads((TEMPLATES / f"{RUN_TEMPLATE}.json").read_text())
        broken["nodes"][0]["type"] = "SeedanceNoSuchNode"
        page.evaluate("wf => app.loadGraphData(wf)", broken)
        page.wait_for_timeout(2000)
        report["negative_control_missing_node"] = missing_message(page)
        assert report["negative_control_missing_node"], "a missing node shows no message"
        browser.close()
    report["check_seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
