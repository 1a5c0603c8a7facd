"""Every benchmark in one run, on one machine: the seed's (bench_build), a year's (bench_scale),
then a corpus of notebooks against Jupyter (bench_jupyter).

Usage: python bench/all.py   (about twelve minutes on two cores; nothing in the repository changes)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_build  # noqa: E402
import bench_jupyter  # noqa: E402
import bench_scale  # noqa: E402

if __name__ == "__main__":
    sys.argv = sys.argv[:1]  # each takes its own defaults
    bench_build.main()
    bench_scale.main()
    bench_jupyter.main()
