"""Metrics: the training scalars a solution logged, read back from its TensorBoard event files."""

from __future__ import annotations

from pathlib import Path

EVENT_GLOB = "events.out.tfevents.*"


def read_scalars(workdir: Path) -> dict[str, dict[str, list[float]]]:
    """Every scalar under `workdir`, as tag -> {"steps": [...], "values": [...]}, all points kept.

    Tags from several run folders are told apart by the folder's name, as TensorBoard does.
    """
    run_dirs = sorted({path.parent for path in workdir.rglob(EVENT_GLOB)})
    per_run = {run: _read_run(run) for run in run_dirs}
    scalars: dict[str, dict[str, list[float]]] = {}
    for run, tags in per_run.items():
        for tag, series in tags.items():
            name = tag if len(per_run) == 1 else f"{run.relative_to(workdir).as_posix()}/{tag}"
            scalars[name] = series
    return scalars


def _read_run(run_dir: Path) -> dict[str, dict[str, list[float]]]:
    # Imported here: a cached build must not pay for tensorboard.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    # The reader keeps a 10,000-point sample per tag unless told 0, meaning keep all.
    accumulator = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    accumulator.Reload()
    out = {}
    for tag in accumulator.Tags().get("scalars", []):
        events = accumulator.Scalars(tag)
        out[tag] = {"steps": [e.step for e in events], "values": [float(e.value) for e in events]}
    return out


def headline_tag(scalars: dict[str, dict], wanted: str | None) -> str | None:
    """A day's headline metric: the tag its entry names (`metric:`), if the run logged it, else
    the first one logged. The one rule: cards, tables and the day page all show this one."""
    if wanted in scalars:
        return wanted
    return next(iter(scalars), None)


def summary(series: dict[str, list[float]]) -> dict[str, float]:
    """Final, min and max of one scalar series, as a metrics table shows them."""
    values = series["values"]
    return {"final": values[-1], "min": min(values), "max": max(values), "points": len(values)}
