"""Publishing: the GitHub Pages workflow, a CI-like run from the committed journal that trains
nothing, and days that need CUDA on a machine without it."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

from tests.helpers import REPO, entry_yaml, make_journal, toy_solution
from torchleet_journal.build.pipeline import torch_has_cuda
from torchleet_journal.cli import main

WORKFLOW = REPO / ".github/workflows/pages.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


@pytest.mark.parametrize("build_status, job_status, warned", [(0, 0, False), (1, 0, True),
                                                               (2, 2, False), (3, 3, False)])
def test_build_step_publishes_a_failed_day_but_stops_on_invalid_input(
        workflow, tmp_path, build_status, job_status, warned):
    script = next(s["run"] for s in _steps(workflow, "build") if "python build.py" in s.get("run", ""))
    fake = tmp_path / "python"  # stands in for `python build.py`, ending with build_status
    fake.write_text(f"#!/bin/sh\nexit {build_status}\n")
    fake.chmod(0o755)
    # How GitHub runs a `run:` step with the default shell.
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                          capture_output=True, text=True,
                          env={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"})
    assert done.returncode == job_status
    assert ("::warning" in done.stdout) == warned


# --- a CI-like run: the committed journal, no cache of its own --------------------------------


def test_ci_like_run_trains_nothing(seed):
    _, report, _ = seed
    assert len(report.days) >= 8
    ran = [d.entry.slug for d in report.days if d.ran]
    assert ran == [], (f"{', '.join(ran)} ran: their committed results are out of date with "
                       "their solutions or the build; run `python build.py` and commit results/")
    assert report.failures == []


def test_ci_like_run_leaves_the_committed_results_as_they_were(seed):
    root, _, before = seed
    after = {p.relative_to(root).as_posix(): p.read_bytes()
             for p in sorted((root / "results").rglob("*")) if p.is_file()}
    assert after == before


def test_ci_like_run_builds_the_site_from_the_stored_results(seed):
    root, report, _ = seed
    for day in report.days:
        page = (root / f"site/days/{day.entry.slug}.html").read_text()
        for figure in day.result.figures:
            assert figure in page and (root / f"site/days/{day.entry.slug}" / figure).is_file()


# --- requires: cuda on a machine without CUDA ---------------------------------------------


@pytest.fixture(scope="module")
def no_cuda_journal(tmp_path_factory):
    """Day 1 runs once, then is marked `requires: cuda`; day 2 needs CUDA and never ran."""
    if torch_has_cuda():
        pytest.skip("this machine has CUDA: days that require it run here")
    root = make_journal(tmp_path_factory.mktemp("cuda"), days={1: toy_solution()}, extra_files={
        "solutions/day02.py": toy_solution(),
        "entries/day-02.yaml": entry_yaml(2, "solutions/day02.py", requires="cuda")})
    assert main(["build", "--root", str(root), "--no-site"]) == 0
    first = json.loads((root / "results/day-01/result.json").read_text())
    entry = root / "entries/day-01.yaml"
    entry.write_text(entry.read_text() + "requires: cuda\n")
    code = main(["build", "--root", str(root), "--no-site"])
    return root, first, code


def test_cuda_days_are_not_failures_here(no_cuda_journal):
    _, _, code = no_cuda_journal
    assert code == 0


def test_cuda_day_without_a_result_shows_not_run_here(no_cuda_journal):
    root, _, _ = no_cuda_journal
    assert '!!! info "Not run here"' in (root / "docs/days/day-02.md").read_text()
    # No run stored: only its notebook, to run where there is a GPU (then `build.py ingest`).
    assert [p.name for p in (root / "results/day-02").iterdir()] == ["day02.ipynb"]
    assert '<span class="jl-status jl-waiting">not run here</span>' in \
        (root / "docs/index.md").read_text()


def test_cuda_day_with_a_stored_result_reuses_it(no_cuda_journal):
    root, first, _ = no_cuda_journal
    assert json.loads((root / "results/day-01/result.json").read_text()) == first
    page = (root / "docs/days/day-01.md").read_text()
    assert f'<img src="day-01/{first["figures"][0]}"' in page
    assert "Passed in" in page
