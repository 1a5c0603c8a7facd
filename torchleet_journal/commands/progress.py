"""How a build shows itself: one line per finished day, a live line while they run, a summary."""

from __future__ import annotations

from torchleet_journal.base.text import terminal_safe
from torchleet_journal.build.pipeline import Day, Events
from torchleet_journal.model.entries import Entry, day_slug
from torchleet_journal.pages.render import status_label


class Progress(Events):
    """Shows a build as it goes: one line per finished day and a live line while they run."""

    def __init__(self, stream):
        self.stream = stream
        self.live = stream.isatty()
        self.total = 0

    def _line(self, text: str) -> None:
        if self.live:
            self.stream.write("\r\033[K")
        # Lines quote runs (a day's failure reason): their escape sequences must not reach
        # the terminal, where they could retitle the window or erase what was printed.
        self.stream.write(terminal_safe(text) + "\n")
        self.stream.flush()

    def plan(self, to_run: list[Day], cached: list[Entry]) -> None:
        self.total = len(to_run)
        if to_run:
            self._line(f"running {len(to_run)} solution{'s' if len(to_run) != 1 else ''} "
                       f"({len(cached)} cached)")
            for line in why_lines(to_run):
                self._line(f"  {line}")

    def as_stored(self, days: list[Day]) -> None:
        self._line("published as stored, made with other versions than here (--publish does "
                   "not run " + ("it):" if len(days) == 1 else "them):"))
        for line in why_lines(days):
            self._line(f"  {line}")

    def finished(self, day: Day, done: int, total: int) -> None:
        result = day.result
        bar = _bar(done, total)
        self._line(f"{bar} {done}/{total}  {day.entry.slug}  {status_label(day.entry, result):<24}"
                   f" {result.wall_time:6.2f} s")

    def tick(self, running: list[tuple[Entry, float]]) -> None:
        if self.live and running:
            now = ", ".join(f"{entry.slug} {seconds:.0f} s" for entry, seconds in running)
            self.stream.write(f"\r\033[K  running: {now}")
            self.stream.flush()

    def building_site(self) -> None:
        self._line("bringing site/ up to date (mkdocs)")

    def warning(self, text: str) -> None:
        self._line(f"warning: {text}")

    def summary(self, report, seconds: float, site: bool) -> None:
        ran = [d for d in report.days if d.ran]
        # A year of cached days is not news: the table lists what ran and what is wrong.
        shown = [d for d in report.days if d.ran or not d.ok] if len(report.days) > 20 \
            else report.days
        lines = ["", f"{'day':<8} {'status':<26} {'time':>8}  run"] if shown else []
        for day in shown:
            result = day.result
            time_text = f"{result.wall_time:7.2f}s" if result and result.wall_time else "       –"
            lines.append(f"{day.entry.slug:<8} {status_label(day.entry, result):<26} "
                         f"{time_text}  {'ran' if day.ran else 'cached'}")
        lines.append("")
        where = {"unchanged": "site/index.html (unchanged)", "pages": "site/index.html "
                 "(changed pages only)", "full": "site/index.html"}.get(report.site, "docs/")
        days = f"{len(report.days)} day{'' if len(report.days) == 1 else 's'}"
        lines.append(f"{days}, {len(ran)} ran, {len(report.failures)} failed; {where} ready in "
                     f"{seconds:.1f} s")
        if report.stale_skipped:
            lines.append("out of date but not run (--only): "
                         + ", ".join(f"day {d}" for d in report.stale_skipped))
        for day in report.failures:
            reason = day.result.reason if day.result else ""
            lines.append(f"failed: {day.entry.slug}: {reason} (see docs/days/{day.entry.slug}.md)")
        self._line("\n".join(lines))


def why_lines(days: list[Day]) -> list[str]:
    """Why days run, one line per reason: `day-05: matplotlib 3.11.2 → 3.11.1`, or for several
    days with one reason `days 1-3, 5: no stored result yet`."""
    groups: dict[str, list[int]] = {}
    for day in sorted(days, key=lambda d: d.entry.day):
        groups.setdefault(day.why, []).append(day.entry.day)
    return [f"{_days_named(numbers)}: {why}" for why, numbers in groups.items()]


def _days_named(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return day_slug(numbers[0])
    spans: list[list[int]] = []
    for number in numbers:
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return "days " + ", ".join(f"{a}-{b}" if b > a else f"{a}" for a, b in spans)


def _bar(done: int, total: int, width: int = 12) -> str:
    filled = round(width * done / max(total, 1))
    return "[" + "#" * filled + "." * (width - filled) + "]"
