"""Kaggle's own command-line program, called as a program: who the learner is, and a notebook
run's push, status and output.

No private API and no scraping: only `kaggle config view`, `kaggle kernels push -p DIR`,
`kaggle kernels status USER/SLUG` and `kaggle kernels output USER/SLUG -p OUT`, as the CLI
documents them (`pip install kaggle`; see its kaggle/api/kaggle_api_extended.py). The token is
the learner's and stays with the CLI (`~/.kaggle/kaggle.json`, `~/.kaggle/access_token` or the
`KAGGLE_*` variables). The journal reads it only to scrub it from whatever the CLI prints, before
a word of that is shown.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from torchleet_journal.base.files import read_regular

PROGRAM = "kaggle"
SET_UP = "see the README's \"GPU days on Kaggle\" for the one-time token set-up"
# What the CLI prints when it has no token it can use, or the server answers 401 (print_auth_help).
NO_TOKEN = "Authentication required"
REFUSED = re.compile(r"\b(?:401|403)\b|Unauthorized|Forbidden|Invalid credentials")
# `has status "complete"` (older CLIs) or `has status "KernelWorkerStatus.COMPLETE"` (newer).
STATUS = re.compile(r'has status "(?:[A-Za-z]+\.)?([A-Za-z_]+)"')
FAILURE = re.compile(r'^Failure message: "(.*)"\s*$', re.MULTILINE)
USERNAME = re.compile(r"^- username: (\S+)\s*$", re.MULTILINE)
ENDED = ("complete", "error", "cancel_acknowledged", "cancel_requested", "cancelled")
SECRET_VARIABLES = ("KAGGLE_KEY", "KAGGLE_API_TOKEN")
MIN_SECRET = 8  # shorter values are not scrubbed: they would blank ordinary words
CALL_TIMEOUT = 600.0  # seconds one call of the CLI may take (an upload, a download)


class KaggleError(Exception):
    """One line saying what the CLI could not do and what to do about it (token already scrubbed)."""


class TokenRefused(KaggleError):
    """The CLI has no token, or Kaggle refused it: nothing can run there until it is set up."""


@dataclass(frozen=True)
class Kaggle:
    """The CLI found on PATH, and the secrets to scrub from what it prints."""

    program: str
    secrets: tuple[str, ...]

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


def find(environ: dict[str, str] | None = None) -> Kaggle:
    """The `kaggle` program on PATH, or KaggleError saying how to install it."""
    environ = dict(os.environ if environ is None else environ)
    program = shutil.which(PROGRAM, path=environ.get("PATH"))
    if program is None:
        raise KaggleError("the `kaggle` program is not on PATH; pip install kaggle, then "
                          f"{SET_UP}")
    return Kaggle(program, _secrets(environ))


def _secrets(environ: dict[str, str]) -> tuple[str, ...]:
    """The token's values wherever the CLI may read them: its variables and its files."""
    found = [environ.get(name, "") for name in SECRET_VARIABLES]
    home = environ.get("HOME") or os.path.expanduser("~")
    folders = [environ.get("KAGGLE_CONFIG_DIR", ""), os.path.join(home, ".kaggle"),
               os.path.join(environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config"),
                            "kaggle")]
    for folder in filter(None, folders):
        found.append(_read_small(Path(folder) / "access_token").strip())
        try:
            key = json.loads(_read_small(Path(folder) / "kaggle.json") or "{}").get("key")
        except (ValueError, AttributeError):
            key = None
        found.append(key if isinstance(key, str) else "")
    return tuple(sorted({s for s in found if len(s) >= MIN_SECRET}, key=len, reverse=True))


def _read_small(path: Path) -> str:
    try:
        return read_regular(path, 1 << 16)[:1 << 16].decode("utf-8", errors="replace")
    except OSError:
        return ""


def _call(kaggle: Kaggle, *args: str, timeout: float = CALL_TIMEOUT) -> tuple[int, str]:
    """Run `kaggle ARGS`: its exit status and what it printed (both streams), scrubbed."""
    try:
        done = subprocess.run([kaggle.program, *args], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise KaggleError(f"`kaggle {' '.join(args[:2])}` did not answer in {timeout:g} s; "
                          "check the network, then try again") from None
    except OSError as error:
        raise KaggleError(f"cannot run {kaggle.program}: {error.strerror or error}; "
                          "pip install kaggle again") from None
    text = (done.stdout + b"\n" + done.stderr).decode("utf-8", errors="replace")
    return done.returncode, kaggle.scrub(text)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no message"


def _check_token(code: int, text: str) -> None:
    if code != 0 and REFUSED.search(text):
        raise TokenRefused(f"Kaggle refused the token ({_last_line(text)}); make a new one at "
                           f"https://www.kaggle.com/settings/api and {SET_UP}")
    if code != 0 and NO_TOKEN in text:  # the CLI prints this on a 401 too
        raise TokenRefused("the Kaggle CLI has no token it can use (none set up, or Kaggle "
                           f"refused it); {SET_UP}")


def username(kaggle: Kaggle) -> str:
    """The learner's Kaggle user name, as the CLI's configuration gives it."""
    code, text = _call(kaggle, "config", "view", timeout=120)
    _check_token(code, text)
    if code != 0:  # a broken install, say (a module missing)
        raise KaggleError(f"`kaggle config view` failed: {_last_line(text)}; pip install "
                          "--upgrade kaggle")
    found = USERNAME.search(text)
    name = found.group(1) if found else ""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        raise TokenRefused(f"the Kaggle CLI names no user ({_last_line(text)}); {SET_UP}")
    return name


def push(kaggle: Kaggle, folder: Path) -> None:
    """Upload the notebook `folder/kernel-metadata.json` names, and start its run."""
    code, text = _call(kaggle, "kernels", "push", "-p", str(folder))
    _check_token(code, text)
    if code != 0 or "push error" in text or "successfully pushed" not in text:
        raise KaggleError(f"`kaggle kernels push` failed: {_last_line(text)}")


def status(kaggle: Kaggle, ref: str) -> tuple[str, str]:
    """The run's state (queued, running, complete, error, ...) and its failure message, if any."""
    code, text = _call(kaggle, "kernels", "status", ref, timeout=120)
    _check_token(code, text)
    state = parse_status(text)
    if code != 0 or state is None:
        raise KaggleError(f"`kaggle kernels status {ref}` failed: {_last_line(text)}")
    failure = FAILURE.search(text)
    return state, failure.group(1) if failure else ""


def parse_status(text: str) -> str | None:
    """`complete` from `has status "complete"` as from `has status "KernelWorkerStatus.COMPLETE"`."""
    found = STATUS.search(text)
    return found.group(1).lower() if found else None


def output(kaggle: Kaggle, ref: str, folder: Path, record: str) -> None:
    """Download file `record` the run wrote to its working folder (every file it wrote, with an
    older CLI), and the run's log as SLUG.log, into `folder`."""
    # Only the journal's record, where the CLI can be told (2.x): a run that downloaded a data
    # set into its working folder would otherwise send it all back. The log comes either way.
    _, usage = _call(kaggle, "kernels", "output", "--help", timeout=120)
    only = ["--file-pattern", f"^{re.escape(record)}$"] if "--file-pattern" in usage else []
    code, text = _call(kaggle, "kernels", "output", ref, "-p", str(folder), "--force", *only)
    _check_token(code, text)
    if code != 0:
        raise KaggleError(f"`kaggle kernels output {ref}` failed: {_last_line(text)}")
