"""Running git on a folder the journal did not make (a log being imported, a copied folder, an
unpacked archive): its history is read, its configuration is never obeyed.

A repository's own `.git/config` can name commands git runs on a read: a textconv or external
diff driver, an fsmonitor hook, a pager, hooks, a signature checker. Every one of those is
switched off here, on the command line (which wins over every config file), and git reads no
system or global configuration either, so what it does depends on the arguments alone.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# Each names a command in some config, or a way for config to start one; the command line's
# value wins over the repository's.
OVERRIDES = (
    "core.fsmonitor=false", "core.hooksPath=/dev/null", "core.pager=cat", "diff.external=",
    "log.showSignature=false", "gpg.program=false", "core.sshCommand=false",
    "core.askPass=false", "credential.helper=", "core.editor=false", "sequence.editor=false",
    "protocol.allow=never", "core.untrackedCache=false", "core.attributesFile=/dev/null",
)
# Read-only commands that show a diff take these too: a `.gitattributes` in the folder can
# name a driver, and the drivers' commands come from config.
NO_DRIVERS = ("--no-textconv", "--no-ext-diff")


def environment() -> dict[str, str]:
    """This process's environment without any GIT_ variable (one could point git at another
    repository or name a program), with no system or global config and no terminal prompt."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0",
               GIT_OPTIONAL_LOCKS="0", GIT_PAGER="cat")
    return env


def git_read(folder: Path, *args: str) -> str | None:
    """git's output for `args` run in `folder`, or None outside a repository, without git, or
    on any failure: what this reads is a bonus (dates), never required."""
    overrides = [part for setting in OVERRIDES for part in ("-c", setting)]
    try:
        done = subprocess.run(["git", "--no-pager", *overrides, "-C", str(folder), *args],
                              text=True, capture_output=True, stdin=subprocess.DEVNULL,
                              errors="replace", env=environment(), timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None
