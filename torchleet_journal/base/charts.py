"""Charts the journal draws itself, with matplotlib, as PNG files sized for the page.

Every chart is dark ink on white, like the solutions' own figures: the site frames them as
white cards in both schemes, so one drawing is legible (AA contrast) on either. matplotlib is imported inside the functions: a cached build draws nothing
and must not pay for the import.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from torchleet_journal.base.files import sha256_bytes, sha256_file
from torchleet_journal.base.layout import STATE

INK = "#3d3d3d"  # 10.9:1 on the white card (WCAG AA asks 4.5:1 of text)
LINE = "#d84315"  # one accent colour for data, 4.6:1 on white
PAPER = "#ffffff"
DPI = 200  # shown at most at about its size in inches: sharp on a 2x screen
THUMBNAIL_WIDTH = 640  # px: a home page card shows it at about 320 CSS px
CACHE = f"{STATE}/charts"  # charts drawn from entries, named by a hash of what they draw


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def preload() -> None:
    """Import what drawing needs (matplotlib, PIL), for a thread to do while nothing else can."""
    _pyplot()
    from PIL import Image  # noqa: F401


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


def _save(fig, path: Path, tight: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # No software/date metadata: the same data must give the same bytes (stable cache files).
    fig.savefig(path, dpi=DPI, facecolor=PAPER, bbox_inches="tight" if tight else None,
                metadata={"Software": None})
    _pyplot().close(fig)


def display_width(path: Path) -> int:
    """The CSS width a chart of ours is shown at: its drawn size in inches (CSS has 96 px to
    the inch), read from the PNG header, so a 2x screen gets every pixel and none is upscaled."""
    with path.open("rb") as file:
        header = file.read(24)
    return round(int.from_bytes(header[16:20], "big") * 96 / DPI)


def _spans_decades(values: Sequence[float]) -> bool:
    """A loss falling over decades is unreadable on a linear axis: such series get a log one."""
    return min(values) > 0 and max(values) / min(values) > 100


def metric_chart(tag: str, steps: Sequence[float], values: Sequence[float], path: Path) -> None:
    """One training scalar against its step, with the final value marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    ax.plot(steps, values, color=LINE, linewidth=1.6)
    ax.scatter([steps[-1]], [values[-1]], color=LINE, zorder=3, s=18)
    ax.annotate(f"{values[-1]:.4g}", (steps[-1], values[-1]), textcoords="offset points",
                xytext=(-4, 8), ha="right", color=INK, fontsize=8)
    ax.set_xlabel("step (as logged)")
    # A tag is a name, not mathtext: `$\broken{$` would stop the chart (and every chart after it).
    ax.set_ylabel(tag, parse_math=False)
    if _spans_decades(values):
        ax.set_yscale("log")
    _style(ax)
    _save(fig, path)


# --- charts of the whole journal, cached by content ----------------------------------------


def cached(root: Path, kind: str, data: Any, draw: Callable[[Any, Path], None],
           suffix: str = ".png") -> Path:
    """The `kind` chart of `data`, drawn only when this data and this code never drew one.

    The file is named by a hash of both, so an unchanged journal reuses it without importing
    matplotlib, and a changed one gets a new name (and no browser shows a stale image).
    """
    key = sha256_bytes(json.dumps([data, _code_hash()], sort_keys=True).encode())[:12]
    path = root / CACHE / f"{kind}-{key}{suffix}"
    if not path.exists():
        for old in path.parent.glob(f"{kind}-*{suffix}"):
            old.unlink()  # an older journal's chart of this kind: nothing shows it any more
        # Named by process: build.py and mkdocs' hook may draw the same new chart at once.
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{suffix}")
        draw(data, tmp)
        os.replace(tmp, path)
    return path


@functools.lru_cache(maxsize=1)
def _code_hash() -> str:
    return sha256_file(Path(__file__))


class NotAnImage(Exception):
    """A stored figure that no image reader can open (results may come from another clone)."""


def thumbnail(source: Path, path: Path) -> None:
    """A card-sized copy of a figure, as WebP: a tenth of the full PNG's bytes on the home page."""
    from PIL import Image  # matplotlib's own dependency; imported only when a card is new

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        _thumbnail(Image, source, path)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        path.unlink(missing_ok=True)
        raise NotAnImage(f"{source.name}: {error}") from None


def _thumbnail(pil, source: Path, path: Path) -> None:
    with pil.open(source) as image:
        image = image.convert("RGBA")
        flat = pil.new("RGB", image.size, PAPER)
        flat.paste(image, mask=image.getchannel("A"))  # transparent plots sit on the card's white
        if flat.width > THUMBNAIL_WIDTH:
            height = round(flat.height * THUMBNAIL_WIDTH / flat.width)
            flat = flat.resize((THUMBNAIL_WIDTH, height), pil.LANCZOS)
        flat.save(path, "WEBP", quality=82, method=6)


def tier_bars(tiers: Sequence[Sequence], path: Path) -> None:
    """Solved against total problems per tier, as (tier, solved, total) rows, easiest on top."""
    plt = _pyplot()
    names = [t[0] for t in tiers][::-1]
    solved = [t[1] for t in tiers][::-1]
    totals = [t[2] for t in tiers][::-1]
    fig, ax = plt.subplots(figsize=(6.4, 0.42 * len(tiers) + 0.7))
    ax.barh(names, totals, color=INK, alpha=0.25, height=0.6)
    ax.barh(names, solved, color=LINE, height=0.6)
    for y, (done, total) in enumerate(zip(solved, totals)):
        ax.annotate(f"{done} / {total}", (total, y), textcoords="offset points", xytext=(4, 0),
                    va="center", color=INK, fontsize=8)
    ax.set_xlabel("problems: solved (colour) of the tier's total (grey)")
    ax.set_xlim(0, max(totals + [1]) * 1.15)
    _style(ax)
    ax.grid(axis="y", visible=False)
    _save(fig, path)


def activity_calendar(counts: Sequence[Sequence], path: Path, min_weeks: int = 1,
                      max_weeks: int = 5 * 53) -> None:
    """A GitHub-style grid of weeks (columns) by weekday (rows), from (ISO date, entries) pairs.

    It runs from the week of the first entry to the week of the latest: empty months before
    the journal began would only say what it had not started yet. A long one wraps into rows
    of at most a year, and shows its last `max_weeks` (dates as far apart as 1970 and 2100
    drew for a minute and took 0.7 GB).
    """
    plt = _pyplot()
    days = {dt.date.fromisoformat(d): n for d, n in counts}
    last = max(days)
    end = last + dt.timedelta(days=6 - last.weekday())  # the Sunday closing the last week
    weeks = min(max_weeks, max(min_weeks, (end - min(days)).days // 7 + 1))
    rows = -(-weeks // 53)
    per_row = -(-weeks // rows)
    fig, axes = plt.subplots(rows, 1, figsize=(0.16 * per_row + 0.9, 1.45 * rows + 0.2),
                             squeeze=False)
    start = end - dt.timedelta(weeks=weeks) + dt.timedelta(days=1)
    for row, ax in enumerate(axes[:, 0]):
        _week_grid(ax, start + dt.timedelta(weeks=row * per_row), per_row, end, days)
    most = max(days.values())
    note = f" (strongest: {most} entries)" if most > 1 else ""
    axes[-1, 0].set_xlabel(f"one square per day, coloured if it has an entry{note}")
    _save(fig, path)


def _week_grid(ax, monday: dt.date, weeks: int, end: dt.date, days: dict[dt.date, int]) -> None:
    """`weeks` columns of seven days from `monday`, none after `end`, months named on top."""
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Rectangle

    most = max(days.values())
    for week in range(weeks):
        for weekday in range(7):
            day = monday + dt.timedelta(weeks=week, days=weekday)
            n = days.get(day, 0)
            colour = to_rgba(LINE, 0.35 + 0.65 * n / most) if n else to_rgba(INK, 0.18)
            if day <= end:
                ax.add_patch(Rectangle((week, weekday), 0.85, 0.85, color=colour, lw=0))
    mondays = [monday + dt.timedelta(weeks=w) for w in range(weeks)]
    months: list[tuple[int, str]] = []
    for w, d in enumerate(mondays):
        # A month is named where it starts, unless the last name is too close to fit beside it.
        if w == 0 or d.month != mondays[w - 1].month and w - months[-1][0] >= 4:
            months.append((w, d.strftime("%b %Y" if d.month == 1 or w == 0 else "%b")))
    ax.set_xticks([w for w, _ in months], [m for _, m in months])
    ax.set_yticks([0.42, 2.42, 4.42], ["Mon", "Wed", "Fri"])
    ax.set_xlim(-0.2, weeks)
    ax.set_ylim(7, -0.2)
    ax.set_aspect("equal")
    ax.xaxis.tick_top()
    _style(ax)
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
