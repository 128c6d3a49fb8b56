"""Small copies of the ComfyUI browser check's screenshots for the docs.

    .venv/bin/python scripts/comfyui_support/docs_images.py [out/screenshots/comfyui]

Crops the part of each 1600 x 1000 screenshot a reader needs, scales it down and
stores it with a 96-colour palette in ``docs/images/`` (each well under 150 kB), so the
repository carries a few pictures, not the full-size run output (which stays ignored).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[2]
#: screenshot -> (docs name, crop box in the 1600 x 1000 page, output width)
PICKS = {
    "01-node-library.png": ("comfyui-node-library.png", (60, 100, 372, 930), 260),
    "03-templates.png": ("comfyui-templates.png", (100, 100, 1500, 900), 760),
    "04-template-canvas.png": ("comfyui-canvas-badges.png", (190, 230, 1400, 760), 760),
    "05-price-changed.png": ("comfyui-price-changed.png", (200, 265, 950, 860), 560),
    "06-run-video-preview.png": ("comfyui-run-preview.png", (200, 265, 1400, 860), 800),
}


def main() -> int:
    shots = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "out/screenshots/comfyui"
    dest = REPO / "docs" / "images"
    dest.mkdir(parents=True, exist_ok=True)
    for source, (name, box, width) in PICKS.items():
        with Image.open(shots / source) as image:
            part = image.convert("RGB").crop(box)
        part = part.resize((width, round(part.height * width / part.width)), Image.LANCZOS)
        part.quantize(colors=96, method=Image.Quantize.MEDIANCUT).save(dest / name, optimize=True)
        print(f"{dest / name}: {part.width}x{part.height}, {(dest / name).stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
