#!/usr/bin/env bash
# End-to-end check of the Seedance node inside a real, headless ComfyUI (CPU only).
#
#   scripts/comfyui-e2e.sh COMFYUI_DIR
#
# 1. (idempotent) builds a virtualenv for ComfyUI: $COMFY_VENV, default .venv-comfyui.
#    It reuses the project's .venv packages (torch CPU, av, numpy, pillow, httpx, ...)
#    through a .pth line and installs ComfyUI's other requirements pinned to them.
#    torchvision/torchaudio on PyPI for torch 2.13 are CUDA builds: torchvision gets the
#    two op schemas it needs from scripts/comfyui_support/sitecustomize.py (PYTHONPATH of
#    the ComfyUI process only); torchaudio runs without its compiled extension (removed).
# 2. puts this repository into a fresh custom_nodes folder exactly as a clone would be
#    (custom_nodes/seedance-workflows -> repo root) given via --extra-model-paths-config;
#    the project is NOT pip-installed in that venv, so the clone route is what is tested.
# 3. starts the simulator (key = a sentinel) and `main.py --cpu`, runs
#    scripts/comfyui_support/comfyui_e2e_check.py (image-to-video, interrupt, restart) and
#    comfyui_modes_check.py (price badges in /object_info, text-to-video with image, video
#    and audio references then extend, extend of a loaded video, the max_cost_usd cap),
#    then comfyui_story_check.py (the "three-shot product story" template queued: the film
#    decodes to the board's length, contact sheet, SeedanceLastFrame exact, ConcatVideos
#    with and without re-encoding, a re-queue pays nothing), then stops both (by PID).
# 3b. the screens (scripts/comfyui_support/comfyui_browser_check.py): ComfyUI's own frontend
#    in headless Chromium (Debian's /usr/bin/chromium, installed here when missing, driven
#    by Playwright from the project venv's dev extra): node library and search, template
#    browser, price badges following the widgets, Run -> the video preview. Screenshots:
#    $SCREENSHOTS (default out/screenshots/comfyui, ignored).
# 4. pay once across a crash (scripts/comfyui_support/comfyui_crash_check.py): SIGKILLs
#    ComfyUI's python while its submit's answer is held open by the simulator
#    ($CRASH_SUBMIT_HOLD s, history lag $CRASH_HISTORY_LAG s), and once right after the
#    answer; each time restarts ComfyUI (same output folder, so the node's index survives;
#    SEEDANCE_SETTLE_WINDOW=$CRASH_SETTLE_WINDOW) and re-queues: exactly one task per prompt.
set -euo pipefail

COMFYUI_DIR=${1:?usage: scripts/comfyui-e2e.sh COMFYUI_DIR}
COMFYUI_DIR=$(cd "$COMFYUI_DIR" && pwd)
REPO=$(cd "$(dirname "$0")/.." && pwd)
SUPPORT="$REPO/scripts/comfyui_support"
PROJECT_PY=${PROJECT_PY:-$REPO/.venv/bin/python}  # the project's venv (a worktree may borrow one)
COMFY_VENV=${COMFY_VENV:-$REPO/.venv-comfyui}
PY311=$(command -v python3.11 || command -v python3)
SENTINEL="sk-e2e-SENTINEL-$(date +%s)-$$"
PORT=${COMFY_PORT:-$("$PROJECT_PY" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/seedance-comfy-e2e.XXXXXX")
PIDS=()
CRASH_SUBMIT_HOLD=${CRASH_SUBMIT_HOLD:-4}
CRASH_HISTORY_LAG=${CRASH_HISTORY_LAG:-2}
CRASH_SETTLE_WINDOW=${CRASH_SETTLE_WINDOW:-15}
SCREENSHOTS=${SCREENSHOTS:-$REPO/out/screenshots/comfyui}
SETTLE_WINDOW=""  # SEEDANCE_SETTLE_WINDOW for the next ComfyUI start (empty: the default)

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ -n "${KEEP_WORK:-}" ]] || rm -rf "$WORK"
}
trap cleanup EXIT

[[ -x "$PROJECT_PY" ]] || { echo "missing $PROJECT_PY: run 'make venv' first" >&2; exit 2; }
[[ -f "$COMFYUI_DIR/main.py" ]] || { echo "$COMFYUI_DIR has no main.py" >&2; exit 2; }
"$PROJECT_PY" -c 'import playwright' 2>/dev/null \
  || { echo "playwright is missing from $PROJECT_PY: run 'make venv' (dev extra)" >&2; exit 2; }

# --- 0. Debian's Chromium for the browser check (never a browser download) --------------
if ! command -v chromium >/dev/null; then
  echo "== installing Debian's chromium (once)"
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get install -y -q chromium || { $sudo apt-get update -q && $sudo apt-get install -y -q chromium; }
fi

# --- 1. ComfyUI virtualenv -------------------------------------------------------------
echo "== ComfyUI virtualenv: $COMFY_VENV"
SETUP_VERSION=1  # bump when the set-up steps below change
STAMP="$COMFY_VENV/.seedance-e2e-$( (cat "$COMFYUI_DIR/requirements.txt"; echo "$SETUP_VERSION") | sha1sum | cut -c1-12)"
if [[ ! -f "$STAMP" ]]; then
  echo "== building $COMFY_VENV (once)"
  [[ -x "$COMFY_VENV/bin/python" ]] || "$PY311" -m venv "$COMFY_VENV"
  shared=$("$PROJECT_PY" -c 'import sysconfig;print(sysconfig.get_paths()["purelib"])')
  own=$("$COMFY_VENV/bin/python" -c 'import sysconfig;print(sysconfig.get_paths()["purelib"])')
  # A plain path line: the project's own editable install is NOT activated here.
  echo "$shared" > "$own/zz-seedance-shared-venv.pth"
  constraints="$WORK/constraints.txt"
  "$REPO/.venv/bin/pip" freeze --exclude-editable 2>/dev/null | grep -v '@ file' > "$constraints"
  grep -viE '^(torch|torchvision|torchaudio)([<>=~ ]|$)' "$COMFYUI_DIR/requirements.txt" \
    | grep -vE '^\s*(#|$)' | grep -viE '^(PyOpenGL|comfy-angle)' > "$WORK/comfy-req.txt"
  "$COMFY_VENV/bin/pip" install -q --disable-pip-version-check -c "$constraints" -r "$WORK/comfy-req.txt"
  tv=$("$PROJECT_PY" -c 'import torch;print({"2.13":"0.28.0"}.get(".".join(torch.__version__.split(".")[:2]),""))')
  "$COMFY_VENV/bin/pip" install -q --disable-pip-version-check --no-deps "torchvision${tv:+==$tv}" torchaudio
  rm -f "$own"/torchaudio/lib/*.so  # use torchaudio's supported mode without compiled extensions
  rm -f "$COMFY_VENV"/.seedance-e2e-*; touch "$STAMP"
fi

# --- 2. a custom_nodes folder holding the repository as a clone ------------------------
mkdir -p "$WORK/custom_nodes" "$WORK/input" "$WORK/output" "$WORK/user" "$WORK/temp"
ln -s "$REPO" "$WORK/custom_nodes/seedance-workflows"
printf 'seedance_e2e:\n  custom_nodes: %s\n' "$WORK/custom_nodes" > "$WORK/extra.yaml"
"$PROJECT_PY" - "$WORK/input" <<'PY'
import sys, wave
from fractions import Fraction
from pathlib import Path
import av
import numpy as np
from PIL import Image
folder = Path(sys.argv[1])
y, x = np.mgrid[0:360, 0:640]
rgb = np.stack([x * 255 // 639, y * 255 // 359, (x + y) * 255 // 998], -1).astype("uint8")
Image.fromarray(rgb).save(folder / "seedance_e2e_start.png")
# A 3 s H.264 + AAC clip for LoadVideo (a reference video, and the video to extend).
with av.open(str(folder / "seedance_e2e_ref.mp4"), "w") as out:
    video = out.add_stream("libx264", rate=24)
    video.width, video.height, video.pix_fmt = 320, 180, "yuv420p"
    sound = out.add_stream("aac", rate=44100, layout="mono")
    for i in range(72):
        frame = np.roll(rgb[::2, ::2], i * 4, axis=1)
        for packet in video.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
            out.mux(packet)
    for packet in video.encode():
        out.mux(packet)
    t = np.arange(3 * 44100, dtype=np.float32) / 44100
    tone = av.AudioFrame.from_ndarray((0.3 * np.sin(2 * np.pi * 330 * t))[None, :].astype(np.float32), format="fltp", layout="mono")
    tone.sample_rate, tone.time_base, tone.pts = 44100, Fraction(1, 44100), 0
    for packet in list(sound.encode(tone)) + list(sound.encode()):
        out.mux(packet)
# The example workflows' LoadImage / LoadVideo name ComfyUI's usual example files.
import shutil
shutil.copy(folder / "seedance_e2e_start.png", folder / "example.png")
shutil.copy(folder / "seedance_e2e_ref.mp4", folder / "example.mp4")
# A 2 s WAV for LoadAudio (a reference audio).
t = np.arange(2 * 16000) / 16000
pcm = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
with wave.open(str(folder / "seedance_e2e_ref.wav"), "wb") as out:
    out.setnchannels(1); out.setsampwidth(2); out.setframerate(16000); out.writeframes(pcm.tobytes())
PY

# --- 3. simulator + ComfyUI --------------------------------------------------------------
"$PROJECT_PY" -m seedance_simulator --port 0 --api-key "$SENTINEL" --generation-time 3 \
  > "$WORK/simulator.out" 2> "$WORK/simulator.err" &
PIDS+=("$!")
for _ in $(seq 100); do [[ -s "$WORK/simulator.out" ]] && break; sleep 0.1; done
SIM_URL=$(head -n1 "$WORK/simulator.out")
[[ "$SIM_URL" == http* ]] || { cat "$WORK/simulator.err" >&2; exit 1; }
echo "== simulator at $SIM_URL"

start_comfyui() {
  (
    cd "$COMFYUI_DIR"
    # The key reaches ComfyUI only through its environment, never through the graph.
    env WAVESPEED_API_KEY="$SENTINEL" WAVESPEED_BASE_URL="$SIM_URL" SEEDANCE_POLL_INTERVAL=0.5 \
      PYTHONUNBUFFERED=1 ${SETTLE_WINDOW:+SEEDANCE_SETTLE_WINDOW=$SETTLE_WINDOW} \
      PYTHONPATH="$SUPPORT" \
      "$COMFY_VENV/bin/python" main.py --cpu --listen 127.0.0.1 --port "$PORT" \
      --disable-auto-launch --extra-model-paths-config "$WORK/extra.yaml" \
      --input-directory "$WORK/input" --output-directory "$WORK/output" \
      --temp-directory "$WORK/temp" --user-directory "$WORK/user"
  ) >> "$WORK/comfyui.log" 2>&1 &
  COMFY_PID=$!
  PIDS+=("$COMFY_PID")
  echo "== ComfyUI starting on 127.0.0.1:$PORT (pid $COMFY_PID, log: $WORK/comfyui.log)"
}

check() {
  "$PROJECT_PY" "$SUPPORT/comfyui_e2e_check.py" --url "http://127.0.0.1:$PORT" \
    --graph "$SUPPORT/seedance_i2v_api.json" --output-dir "$WORK/output" \
    --sentinel "$SENTINEL" --simulator-url "$SIM_URL" --pid "$COMFY_PID" "$@"
}

modes() {
  "$PROJECT_PY" "$SUPPORT/comfyui_modes_check.py" --url "http://127.0.0.1:$PORT" \
    --output-dir "$WORK/output" --input-dir "$WORK/input" --user-dir "$WORK/user" \
    --sentinel "$SENTINEL" --simulator-url "$SIM_URL" --pid "$COMFY_PID"
}

story() {
  "$PROJECT_PY" "$SUPPORT/comfyui_story_check.py" --url "http://127.0.0.1:$PORT" \
    --output-dir "$WORK/output" --sentinel "$SENTINEL" --simulator-url "$SIM_URL" \
    --pid "$COMFY_PID" "$@"
}

browser() {
  "$PROJECT_PY" "$SUPPORT/comfyui_browser_check.py" --url "http://127.0.0.1:$PORT" \
    --shots "$SCREENSHOTS" --output-dir "$WORK/output" \
    --sentinel "$SENTINEL" --simulator-url "$SIM_URL"
}

crash() {
  "$PROJECT_PY" "$SUPPORT/comfyui_crash_check.py" --url "http://127.0.0.1:$PORT" \
    --graph "$SUPPORT/seedance_i2v_api.json" --output-dir "$WORK/output" \
    --sentinel "$SENTINEL" --simulator-url "$SIM_URL" --pid "$COMFY_PID" \
    --log "$WORK/comfyui.log" --submit-hold "$CRASH_SUBMIT_HOLD" \
    --history-lag "$CRASH_HISTORY_LAG" "$@"
}

# SIGKILL ComfyUI around its submit, restart it (same output folder) and re-queue.
crash_scenario() {
  local variant=$1 state="$WORK/crash-$1.json"
  crash --phase kill --variant "$variant" --state "$state" || return
  wait "$COMFY_PID" 2>/dev/null || true  # the shell around the killed python
  SETTLE_WINDOW=$CRASH_SETTLE_WINDOW start_comfyui
  crash --phase verify --state "$state"
}

status=0
start_comfyui
echo "== run 1: LoadImage -> SeedanceImageToVideo -> SaveVideo, then the same graph again"
check || status=$?
if [[ $status -eq 0 ]]; then
  echo "== the family: price badges, text-to-video with references -> extend, extend a loaded video, max_cost_usd"
  modes || status=$?
fi
if [[ $status -eq 0 ]]; then
  echo "== stories: the three-shot product story template, SeedanceLastFrame, SeedanceConcatVideos"
  story || status=$?
fi
if [[ $status -eq 0 ]]; then
  echo "== in the browser: node library, templates, price badges, Run -> video preview"
  browser || status=$?
fi
if [[ $status -eq 0 ]]; then
  echo "== restarting ComfyUI: the same graph must be answered without a new paid submit"
  kill "$COMFY_PID"; wait "$COMFY_PID" 2>/dev/null || true
  start_comfyui
  check --after-restart || status=$?
fi
if [[ $status -eq 0 ]]; then
  echo "== the story again after the restart: every shot reused from the node's folder"
  story --after-restart || status=$?
fi
if [[ $status -eq 0 ]]; then
  echo "== crash 1: SIGKILL ComfyUI while its submit's answer is held ${CRASH_SUBMIT_HOLD}s, restart, re-queue"
  crash_scenario during-submit || status=$?
fi
if [[ $status -eq 0 ]]; then
  echo "== crash 2: SIGKILL ComfyUI as soon as the submit is counted (no hold), restart, re-queue"
  crash_scenario after-answer || status=$?
fi

if [[ $status -eq 0 ]] && ! grep -q "no cancel endpoint" "$WORK/comfyui.log"; then
  echo "FAIL: the interrupt did not log that the remote job keeps running" >&2; status=1
fi
if grep -q "$SENTINEL" "$WORK/comfyui.log"; then
  echo "FAIL: the API key appears in ComfyUI's log" >&2; status=1
fi
grep -E "seedance|Seedance|custom node|Import times" "$WORK/comfyui.log" | head -20 || true
if [[ $status -ne 0 ]]; then
  echo "== ComfyUI log tail:" >&2; tail -60 "$WORK/comfyui.log" >&2
  echo "E2E FAILED (ComfyUI at $COMFYUI_DIR)" >&2
  exit $status
fi
echo "E2E PASSED (ComfyUI at $COMFYUI_DIR, version $(cat "$COMFYUI_DIR/comfyui_version.py" | grep -o "[0-9][0-9.]*" | head -1))"
