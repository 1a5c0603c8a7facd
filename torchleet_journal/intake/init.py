"""Starting a journal of your own: `torchleet-journal init DIR` lays down the learner's side only.

The new folder gets no engine code: a `build.py` of a few lines calling the installed package,
a `requirements.in` naming this engine at its exact version and its lock, an empty
`site_templates/` for overrides, the Pages workflow, `.gitignore`, `.python-version`, an
`mkdocs.yml` (with the `torchleet-journal` plugin) with the title, author and addresses filled
in, and a README with an empty progress table: no entries, no solutions, no results. Upgrading
the engine is the lock's business (see REQUIREMENTS_IN). Everything is written into a scratch folder beside DIR and moved into place in one
rename, so a refused or failed init leaves nothing behind.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from torchleet_journal.base.engine import DISTRIBUTION, version
from torchleet_journal.base.environment import python_minor
from torchleet_journal.base.errors import InputError, shown
from torchleet_journal.model.catalog import DEFAULT_SET, set_names
from torchleet_journal.website.site import END, START

STARTER = Path(__file__).resolve().with_name("starter")  # what a new journal starts from
# What a new journal copies as it is: its build.py, workflow, ignore files, overrides' README.
# (Copies of this repository's own, kept equal by tests/test_init.py.)
# Each by its place in the journal <- its name in starter/ (no dot: package data keeps no dot file).
STARTER_FILES = {"build.py": "build.py", ".github/workflows/pages.yml": "pages.yml",
                 ".gitignore": "gitignore", ".gitattributes": "gitattributes",
                 "docs/.gitignore": "docs-gitignore", "site_templates/README.md": "site_templates-README.md"}
LOCK = "requirements.lock"  # the engine's own lock (this repository's requirements.txt)
PYTHON_VERSION = ".python-version"
UV_CONFIG = "uv.toml"  # the lock's options (the engine keeps them in its pyproject.toml)
REQUIREMENTS_IN = """\
# What this journal needs. `requirements.txt` is the lock made from this file by `uv pip
# compile`: the exact versions the committed results were made with, one lock for Linux, macOS
# and Windows. To upgrade the engine (it re-runs no day; a day re-runs only if what it imports
# changed):
#   uv pip compile requirements.in -o requirements.txt -P {engine} && pip install -r requirements.txt
{engine}=={version}
# torch is pinned by its public release: the torch the journal's results were made with.
{torch}
# The lock's own tool: `uv pip compile` writes requirements.txt from this file.
uv>=0.5
"""
OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
REPO_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
GITHUB_URL = re.compile(r"^(?:https?://)?github\.com/([^/\s]+)/([^/\s]+?)(?:\.git)?/?$")
PLACEHOLDER_OWNER = "your-github-user"
# What YAML cannot hold (its printable set): controls, a byte that was not UTF-8 (read from
# the command line as a lone surrogate), and the non-characters U+FFFE and U+FFFF.
NOT_YAML = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

README = """\
# {title}

A day-by-day journal of learning PyTorch, by {author}: one YAML entry per day (the task, what
was hard, what was learned, links that helped), each with a runnable solution. `build.py` runs
every solution, keeps its plots, metrics and output in `results/`, and renders a site with a
page per day, the PyTorch APIs used, a feed and the progress table below.

Site: <{site_url}>

## Quick start

```bash
python -m venv .venv && . .venv/bin/activate
pip install -r requirements.txt
python build.py new "Implement linear regression"   # writes entries/day-01.yaml and a solution that runs
python build.py serve                               # builds and serves the site; rebuilds as you edit
```

Already keeping a log? `python build.py import ../my-log/README.md --dry-run` shows how its
progress table (Day | Task | Gaps | Learnings | Resources) and the notebooks beside it would
become entries and solutions; run it again without `--dry-run` to write them.

Write your solution in the file `new` printed, and note gaps and learnings in the entry as you
go. `python build.py` runs what changed and builds `site/`; commit `entries/`, `solutions/`
and `results/` after each build.

`requirements.txt` is a lock (`uv pip compile`, from `requirements.in`), one for Linux, macOS
and Windows, so another machine installs the versions your results were made with and trains
nothing. To add or upgrade a package, edit `requirements.in`, then
`uv pip compile requirements.in -o requirements.txt && pip install -r requirements.txt`;
`python build.py status` says which days a build would run, and why. The build itself is the
package `torchleet-journal`: upgrade it with `uv pip compile requirements.in -o requirements.txt
-P torchleet-journal && pip install -r requirements.txt` (it re-runs no day). To change a page,
copy its template from the installed package's `site_templates/` into yours and edit it there.

To publish: push to `{repo_url}`, then on GitHub choose **Settings → Pages → Source: GitHub
Actions**; `.github/workflows/pages.yml` builds and deploys on every push to `main`.

## Progress

{start}
{end}
"""


@dataclass(frozen=True)
class Settings:
    title: str
    author: str
    owner: str
    repo: str
    problem_set: str = "torchleet"

    @property
    def repo_url(self) -> str:
        return f"https://github.com/{self.owner}/{self.repo}"

    @property
    def site_url(self) -> str:
        """Where GitHub Pages publishes the repository."""
        host = f"{self.owner.lower()}.github.io"
        return f"https://{host}/" if self.repo.lower() == host else f"https://{host}/{self.repo}/"


def parse_repo(text: str) -> tuple[str, str]:
    """`owner/name` or a GitHub URL -> (owner, name); InputError if it is neither."""
    text = text.strip()
    match = GITHUB_URL.match(text)
    owner, name = match.groups() if match else (text.partition("/")[0], text.partition("/")[2])
    if not (OWNER.match(owner or "") and REPO_NAME.match(name or "") and name not in (".", "..")):
        raise InputError.one("--repo", 1, f"must be a GitHub repository as owner/name or its "
                             f"URL, got {shown(text)}; e.g. --repo ada/pytorch-journal")
    return owner, name


def default_author() -> str:
    try:
        name = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True,
                              timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    return name or getpass.getuser()


def settings(target: Path, title: str | None, author: str | None, repo: str | None,
             ask=None, problem_set: str | None = None) -> Settings:
    """The new journal's settings: those given, else asked (`ask(question, default)`, when a
    terminal is attached), else the defaults."""
    def pick(given, question, default):
        if given is not None:
            return given
        return (ask(question, default) if ask else "") or default

    author = _yaml_text("--author", " ".join(pick(author, "Your name", default_author()).split()))
    title = _yaml_text("--title", " ".join(pick(title, "Journal title", "My PyTorch journal").split()))
    repo_text = pick(repo, "GitHub repository (owner/name)",
                     f"{PLACEHOLDER_OWNER}/{_repo_name(target.name)}")
    owner, name = parse_repo(repo_text)
    return Settings(title, author, owner, name, _problem_set(problem_set or DEFAULT_SET))


def _problem_set(name: str) -> str:
    if name not in set_names():
        raise InputError.one("--problem-set", 1, f"unknown problem set {shown(name)}; the sets "
                             f"are {', '.join(set_names())}")
    return name


def _yaml_text(option: str, value: str) -> str:
    """`value` if mkdocs.yml can carry it; InputError naming the first character it cannot."""
    bad = NOT_YAML.search(value)
    if bad:
        code = ord(bad.group())
        what = "a byte that is not UTF-8" if 0xD800 <= code <= 0xDFFF else \
            f"U+{code:04X}, a control character" if unicodedata.category(bad.group()) == "Cc" \
            else f"U+{code:04X}, which YAML cannot hold"
        raise InputError.one(option, 1, f"must be text mkdocs.yml can hold, got {shown(value)}, "
                             f"which has {what}; retype it without")
    return value


def _repo_name(folder: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", folder).strip("-.") or "pytorch-journal"


def check_target(target: Path) -> None:
    """A new journal goes into a new or empty folder: never over someone's files."""
    if target.exists() and not target.is_dir():
        raise InputError.one(str(target), 1, "is a file, and `build.py init` needs a new or "
                             "empty folder; pick another path")
    if target.is_dir() and any(target.iterdir()):
        found = sorted(p.name for p in target.iterdir())
        raise InputError.one(str(target), 1, f"is not empty (it holds {', '.join(found[:3])}"
                             f"{', ...' if len(found) > 3 else ''}), and `build.py init` never "
                             "writes over files; pick a new or empty folder")


def init_journal(target: Path, chosen: Settings, source: Path = STARTER) -> list[str]:
    """Lay down a new, empty journal in `target`; returns the paths written, relative to it."""
    check_target(target)
    target = target.resolve()
    scratch = target.with_name(f".{target.name}.init-{os.getpid()}")
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        for rel, name in STARTER_FILES.items():
            (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, scratch / rel)
        _ignore_venv(scratch / ".gitignore")
        lock = (source / LOCK).read_text(encoding="utf-8")
        (scratch / "requirements.in").write_text(requirements_in(lock), encoding="utf-8")
        (scratch / "requirements.txt").write_text(requirements_txt(lock), encoding="utf-8")
        # The journal's Python is the one its learner runs: its results will be made with it,
        # and the workflows set up the same (python-version-file).
        (scratch / PYTHON_VERSION).write_text(python_minor() + "\n", encoding="utf-8")
        # `uv pip compile`'s options, as the engine's lock has them, for the journal's Python
        uv = (source / UV_CONFIG).read_text(encoding="utf-8")
        (scratch / UV_CONFIG).write_text(re.sub(r'(?m)^python-version = ".*"$',
                                                f'python-version = "{python_minor()}"', uv),
                                         encoding="utf-8")
        (scratch / "mkdocs.yml").write_text(mkdocs_config(chosen, source), encoding="utf-8")
        (scratch / "README.md").write_text(readme(chosen), encoding="utf-8")
        for folder in ("entries", "solutions"):  # kept in git while still empty
            (scratch / folder).mkdir()
            (scratch / folder / ".gitkeep").write_text("", encoding="utf-8")
        check_target(target)  # still new or empty: nothing appeared meanwhile
        if target.is_dir():
            target.rmdir()
        os.rename(scratch, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())


def _ignore_venv(path: Path) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if ".venv/" not in text.split():
        path.write_text(text.rstrip("\n") + "\n# The virtual environment the README suggests\n"
                        ".venv/\n", encoding="utf-8")


def requirements_in(lock: str) -> str:
    """The journal's requirements.in: this engine at its exact version, torch as locked."""
    torch = re.search(r"^torch==\S+", lock, re.M)
    return REQUIREMENTS_IN.format(engine=DISTRIBUTION, version=version(),
                                  torch=torch.group() if torch else "torch")


def requirements_txt(lock: str) -> str:
    """The engine's lock with the engine itself added, in pip-compile's order: every package
    the journal installs at an exact version, as the engine was tested with."""
    line = f"{DISTRIBUTION}=={version()}\n    # via -r requirements.in\n"
    lock, unsafe, tail = lock.partition("\n# The following packages are considered to be unsafe")
    blocks = re.split(r"(?m)^(?=[a-z0-9])", lock)  # the header, then one block per package
    head, packages = blocks[0], [b for b in blocks[1:] if not b.startswith(f"{DISTRIBUTION}==")]
    packages.append(line)
    return head + "".join(sorted(packages, key=lambda b: b.split("==")[0].lower())) + unsafe + tail


def mkdocs_config(chosen: Settings, source: Path = STARTER) -> str:
    """mkdocs.yml: this journal's theme and extensions, under the new journal's own settings."""
    text = (source / "mkdocs.yml").read_text(encoding="utf-8")
    theme = re.search(r"^theme:", text, re.M)
    rest = text[theme.start():] if theme else "theme:\n  name: material\n"

    def quoted(value: str) -> str:  # a JSON string is a valid double-quoted YAML scalar
        return json.dumps(value, ensure_ascii=False)

    description = f"A day-by-day journal of learning PyTorch, by {chosen.author}."
    # The set it follows (the nav is not copied: MkDocs lists its progress page by itself)
    rest = re.sub(r"^(  problem_sets: ).*$", lambda m: m.group(1) + f"[{chosen.problem_set}]",
                  rest, count=1, flags=re.M)

    return (f"# The journal's site. docs/ is generated by `python build.py`; edit entries/ and\n"
            f"# site_templates/, never docs/.\n"
            f"site_name: {quoted(chosen.title)}\n"
            f"site_description: {quoted(description)}\n"
            f"site_author: {quoted(chosen.author)}\n"
            f"# Where GitHub Pages publishes the site: the feed's links are made from it.\n"
            f"site_url: {chosen.site_url}\n"
            f"# The notebooks' \"Open in Colab\" links and data downloads point here.\n"
            f"repo_url: {chosen.repo_url}\n"
            f"docs_dir: docs\nsite_dir: site\nstrict: true\n\n{rest}")


def readme(chosen: Settings) -> str:
    def text(value: str) -> str:  # shown as typed, whatever Markdown characters it has
        return re.sub(r"([\\`*_{}\[\]<>()#+!|~])", r"\\\1", value)

    return README.format(title=text(chosen.title), author=text(chosen.author),
                         site_url=chosen.site_url, repo_url=chosen.repo_url, start=START, end=END)


def terminal_ask(question: str, default: str) -> str:
    """Ask on the terminal, Enter keeping the default."""
    try:
        return input(f"{question} [{default}]: ").strip()
    except EOFError:
        return ""


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
