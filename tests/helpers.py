"""Test helpers: lay down a tiny journal in tmp_path, with toy solutions and entries."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
import time
from pathlib import Path

import tomllib

REPO = Path(__file__).resolve().parent.parent
# The site's configuration and the hook it names: what a journal folder needs for mkdocs.
# No __init__.py: the copies are namespace portions, so a journal's build (its fork server runs
# in the journal's folder) imports the real package, never this partial copy.
SITE_CONFIG = ("mkdocs.yml", "torchleet_journal/mkdocs_plugin.py", "torchleet_journal/website/mkdocs_env.py",
               "torchleet_journal/pages/template_cache.py", "torchleet_journal/model/siteconfig.py",
               "torchleet_journal/base/layout.py")
# The theme's overrides, which this repository's mkdocs.yml names for Zensical.
THEME = "torchleet_journal/site_templates/overrides"

# A toy solution that does what a real one does, in a fraction of a second: trains a little,
# logs a scalar, shows a plot.
TOY_SOLUTION = '''
import matplotlib.pyplot as plt
import torch
from torch.utils.tensorboard import SummaryWriter

torch.manual_seed(0)
x = torch.linspace(0, 1, 20).unsqueeze(1)
y = 3 * x + 1
model = torch.nn.Linear(1, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
writer = SummaryWriter()
for step in range(STEPS):
    loss = torch.nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    writer.add_scalar("Loss/train", loss.item(), step)
writer.close()
print(f"final loss {loss.item():.6f}")
plt.plot(x.squeeze(), model(x).detach().squeeze())
plt.title("toy fit")
plt.show()
'''


def toy_solution(steps: int = 30) -> str:
    return TOY_SOLUTION.replace("STEPS", str(steps))


def entry_yaml(day: int, solution: str, **fields) -> str:
    """An entry's YAML text; `fields` add or replace fields (None removes one)."""
    data = {
        "day": str(day),
        "date": f"2025-01-{day:02d}",
        "task": f"Toy task {day}",
        "tags": "[toy]",
        "gaps": f"\n  - Gap of day {day}",
        "learnings": f"\n  - Learning of day {day} with `code` and $x^2$",
        "resources": "\n  - title: Docs\n    url: https://pytorch.org/docs/",
        "solution": solution,
    }
    data.update({k: v for k, v in fields.items()})
    return "".join(f"{k}: {v}\n" for k, v in data.items() if v is not None)


def installed_engine(base: Path) -> dict[str, str]:
    """An environment in which this checkout is the installed torchleet-journal, as pip would
    leave it: the package, and a dist-info with pyproject.toml's version and entry points (the
    console script, the MkDocs plugin), for a journal made by init."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    site = base / "site-packages"
    site.mkdir(parents=True, exist_ok=True)
    (site / "torchleet_journal").symlink_to(REPO / "torchleet_journal")
    info = site / f"torchleet_journal-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\n"
                                   f"Version: {project['version']}\n")
    groups = {"console_scripts": project["scripts"], **project["entry-points"]}
    (info / "entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in points.items()) + "\n"
        for group, points in groups.items()))
    return {**os.environ, "PYTHONPATH": str(site)}


def override(root: Path, name: str) -> Path:
    """A journal's own copy of the packaged template `name`, as a learner makes one to edit."""
    path = root / "site_templates" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "torchleet_journal/site_templates" / name, path)
    return path


def make_journal(base: Path, days: dict[int, str] | None = None,
                 extra_files: dict[str, str] | None = None) -> Path:
    """Lay down a journal in `base`: templates and config from this repo, one toy day each.

    `days` maps day number -> solution source; `extra_files` adds or overrides any file
    (relative path -> text), e.g. a hand-written entry.
    """
    root = base / "journal"
    root.mkdir(parents=True)
    shutil.copytree(REPO / "site_templates", root / "site_templates")
    copy_site_config(root)
    (root / "README.md").write_text("# Test journal\n\n<!-- progress:start -->\n"
                                    "<!-- progress:end -->\n", encoding="utf-8")
    for day, source in (days if days is not None else {1: toy_solution(), 2: toy_solution(50)}).items():
        write(root / f"solutions/day{day:02d}.py", source)
        write(root / f"entries/day-{day:02d}.yaml", entry_yaml(day, f"solutions/day{day:02d}.py"))
    for rel, text in (extra_files or {}).items():
        write(root / rel, text)
    return root


def copy_site_config(root: Path) -> None:
    """mkdocs.yml and its hook, from this repo: under build.py the hook stands aside."""
    for rel in SITE_CONFIG:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / rel, root / rel)
    shutil.copytree(REPO / THEME, root / THEME)


def copy_journal(root: Path, base: Path, site: bool = True) -> Path:
    """A copy of a built journal in `base/journal`, its cache (.journal/) and links as they are,
    so a build of the copy runs nothing the original ran; `site=False` leaves site/ behind."""
    target = base / "journal"
    skip = set() if site else {"site"}
    shutil.copytree(root, target, symlinks=True,
                    ignore=lambda folder, names: skip & set(names) if Path(folder) == root else ())
    return target


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def snapshot(root: Path, folders=("docs", "site", "results")) -> dict[str, bytes]:
    """Every file under the build's output folders, to show a failed build changed nothing."""
    files = {}
    for folder in folders:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                files[path.relative_to(root).as_posix()] = path.read_bytes()
    for name in ("README.md",):
        if (root / name).exists():
            files[name] = (root / name).read_bytes()
    return files


def wait_for(condition, limit: float) -> bool:
    """Whether `condition()` holds within `limit` seconds, asked every 50 ms."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting to be reaped is not)."""
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate it there
        import ctypes

        kernel = ctypes.windll.kernel32
        handle = kernel.OpenProcess(0x00100000, False, pid)  # SYNCHRONIZE
        if not handle:
            return False
        try:
            return kernel.WaitForSingleObject(handle, 0) == 0x102  # WAIT_TIMEOUT: still running
        finally:
            kernel.CloseHandle(handle)
    if not Path("/proc/self").exists():  # macOS: no /proc, so a zombie counts as live here
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError, OSError):
            return False
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in "ZX"


def install_package(site: Path, name: str, version: str, code: str = "") -> None:
    """A tiny package `name` at `version`, as pip would leave it in a site folder on sys.path;
    `code` is its __init__.py besides `VERSION`."""
    for old in site.glob(f"{name}*"):
        shutil.rmtree(old)
    write(site / f"{name}/__init__.py", f"VERSION = {version!r}\n{code}")
    info = site / f"{name}-{version}.dist-info"
    write(info / "METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    write(info / "top_level.txt", f"{name}\n")
