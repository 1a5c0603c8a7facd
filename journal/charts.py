"""Charts the journal draws itself, with matplotlib, as PNG files sized for the page.

Every chart has a transparent background and mid-grey ink, so it reads on the light and the
dark theme alike. matplotlib is imported inside the functions: a cached build draws nothing
and must not pay for the import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

INK = "#8a8a8a"  # readable on white and on material's slate background
LINE = "#ef6c00"  # one accent colour for data, strong on both themes
DPI = 110


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _style(ax) -> None:
    ax.set_facecolor("none")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(INK)
    ax.tick_params(colors=INK, labelsize=8)
    ax.xaxis.label.set_color(INK)
    ax.yaxis.label.set_color(INK)
    ax.title.set_color(INK)
    ax.grid(alpha=0.25, color=INK, linewidth=0.6)


def _save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # No software/date metadata: the same data must give the same bytes (stable cache files).
    fig.savefig(path, dpi=DPI, transparent=True, bbox_inches="tight", metadata={"Software": None})
    _pyplot().close(fig)


def metric_chart(tag: str, steps: Sequence[float], values: Sequence[float], path: Path) -> None:
    """One training scalar against its step, with the final value marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    ax.plot(steps, values, color=LINE, linewidth=1.6)
    ax.scatter([steps[-1]], [values[-1]], color=LINE, zorder=3, s=18)
    ax.annotate(f"{values[-1]:.4g}", (steps[-1], values[-1]), textcoords="offset points",
                xytext=(-4, 8), ha="right", color=INK, fontsize=8)
    ax.set_xlabel("step (as logged)")
    ax.set_ylabel(tag)
    if min(values) > 0 and max(values) / min(values) > 100:
        ax.set_yscale("log")  # a loss falling over decades is unreadable on a linear axis
    _style(ax)
    _save(fig, path)


def sparkline(values: Sequence[float], path: Path) -> None:
    """A word-sized chart of one scalar for the progress table and home page."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(1.6, 0.4))
    ax.plot(range(len(values)), values, color=LINE, linewidth=1.2)
    if min(values) > 0 and max(values) / min(values) > 100:
        ax.set_yscale("log")
    ax.axis("off")
    fig.subplots_adjust(0, 0, 1, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, transparent=True, metadata={"Software": None})
    plt.close(fig)
