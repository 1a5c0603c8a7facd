"""What to do about a failure the learner's setup causes: a missing package, a GPU-only day.

One function, `failure_hint`, reads a failed run and returns the words appended to its reason,
so the page, the README table and the terminal all say what to do. Reasons are shown as plain
text everywhere, so the words carry no Markdown.
"""

from __future__ import annotations

import re

from torchleet_journal.model.entries import Entry

# Import names whose pip name differs; any other module installs under its own name.
PIP_NAMES = {"sklearn": "scikit-learn", "cv2": "opencv-python", "PIL": "pillow",
             "yaml": "pyyaml", "skimage": "scikit-image", "bs4": "beautifulsoup4"}
# What torch says when a day needs CUDA and this torch has none.
NO_CUDA = re.compile(r"Torch not compiled with CUDA enabled|no NVIDIA driver|"
                     r"Found no NVIDIA driver|torch\.cuda\.is_available\(\)|"
                     r"CUDA driver initialization failed|No CUDA GPUs are available", re.I)


def pip_name(module: str) -> str:
    """The name to `pip install` for a top-level module."""
    return PIP_NAMES.get(module, module)


def failure_hint(entry: Entry, status_failed: bool, missing: str, text: str) -> str:
    """Words for the end of a failed run's reason, or "" when there is nothing to suggest.

    `text` is what the run said (its reason and traceback).
    """
    if not status_failed:
        return ""
    if missing:
        name = pip_name(missing)
        return (f" (add {name} to requirements.txt and pip install it; the day runs again "
                f"once {missing} can be imported)")
    if "FileNotFoundError" in text.partition("\n")[0]:
        folder = entry.solution.rpartition("/")[0]
        return (f" (a run starts in a copy of {folder}/, as Jupyter starts in the notebook's "
                f"folder: put the file there and open it by a path relative to it)")
    if entry.requires != "cuda" and NO_CUDA.search(text):
        return (f' (the torch here has no CUDA; if this day needs a GPU, add "requires: cuda" '
                f"to {entry.source})")
    return ""
