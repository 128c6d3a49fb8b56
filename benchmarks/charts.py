"""The PNG chart each comparison leaves in ``docs/images`` (``docs/benchmarks.md`` shows it).

Why a module of its own: drawing is not measuring; ``harness`` keeps to accounting,
rounds and checks, and only the benchmarks that draw import matplotlib (through here).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

from harness import IMAGES_DIR, REPO_ROOT, fmt


def chart(
    name: str,
    title: str,
    series: Mapping[str, Sequence[float]],
    *,
    unit: str,
    subtitle: str = "",
    lower_is_better: bool = True,
) -> str:
    """A small PNG: one bar per side (its median), the per-round values as dots on it.

    Written to ``docs/images/bench-<name>.png``; returns the path relative to ``docs/``.
    Why dots and bars: the bar is the headline (median), the dots show the spread the
    median came from, so a reader sees at once whether a ratio is solid or noisy.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    IMAGES_DIR.mkdir(parents=True, exist_ok=True)
    labels = list(series)
    medians = [statistics.median(series[k]) if series[k] else 0.0 for k in labels]
    fig, ax = plt.subplots(figsize=(6.0, 0.55 * len(labels) + 1.3), dpi=90)
    ours = [i == 0 or label.startswith("ours") for i, label in enumerate(labels)]
    colours = ["#2b7bba" if mine else "#9aa5b1" for mine in ours]  # ours blue, peers grey
    positions = list(range(len(labels)))[::-1]
    ax.barh(positions, medians, color=colours, height=0.6)
    for pos, key, median in zip(positions, labels, medians, strict=True):
        ax.scatter(series[key], [pos] * len(series[key]), color="black", s=9, zorder=3)
        right = max([median, *series[key]])  # the label clears the dots
        ax.text(right, pos, f"  {fmt(median)} {unit}", va="center", ha="left", fontsize=8)
    ax.set_yticks(positions, labels, fontsize=8)
    better = "lower is better" if lower_is_better else "higher is better"
    ax.set_xlabel(f"{unit} (median bar, rounds as dots; {better})", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.set_xlim(0, max(max(v, default=0.0) for v in series.values()) * 1.35 or 1.0)
    ax.set_title(title + (f"\n{subtitle}" if subtitle else ""), fontsize=9)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    path = IMAGES_DIR / f"bench-{name}.png"
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)
    return str(path.relative_to(REPO_ROOT / "docs"))
