"""The path scrubber: no folder of this machine survives in what a run leaves, wherever it stands."""

from __future__ import annotations

import os
import re
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

from torchleet_journal.build.clean import scrubber

SITE = sysconfig.get_paths()["purelib"]
HOME = os.path.expanduser("~")
TMP = tempfile.gettempdir()

# Real-looking lines: torch.utils.cpp_extension's compiler and linker lines, pip, tracebacks,
# warnings, environment dumps. `{work}` is the run's scratch folder, `{root}` the journal's.
CORPUS = [
    "[1/3] c++ -MMD -MF main.o.d -DTORCH_EXTENSION_NAME=lltm_cpp -DTORCH_API_INCLUDE_EXTENSION_H "
    "-isystem {site}/torch/include -isystem {site}/torch/include/torch/csrc/api/include "
    "-isystem {base}/include/python3.11 -D_GLIBCXX_USE_CXX11_ABI=1 -fPIC -std=c++17 "
    "-c {home}/.cache/torch_extensions/py311_cpu/lltm_cpp/main.cpp -o main.o",
    "[3/3] c++ main.o -shared -L{site}/torch/lib -lc10 -ltorch_cpu -ltorch -ltorch_python "
    "-Wl,-rpath,{site}/torch/lib -Wl,-rpath={venv}/lib -o lltm_cpp.so",
    "gcc -pthread -I{venv}/include -I{base}/include/python3.11 -c {tmp}/tmpab12cd/test.c "
    "-o {tmp}/tmpab12cd/test.o",
    "Using {home}/.cache/torch_extensions/py311_cpu as PyTorch extensions root...",
    "Emitting ninja build file {home}/.cache/torch_extensions/py311_cpu/lltm_cpp/build.ninja...",
    "ninja: Entering directory `{home}/.cache/torch_extensions/py311_cpu/lltm_cpp'",
    "In file included from {site}/torch/include/ATen/Tensor.h:3,",
    "ImportError: {home}/.cache/torch_extensions/py311_cpu/ext/ext.so: undefined symbol: _ZN3c10",
    "Requirement already satisfied: numpy in {site} (from torch) (1.26.4)",
    "  WARNING: The script f2py is installed in '{venv}/bin' which is not on PATH.",
    "Processing {home}/wheels/tinypkg-1.0-py3-none-any.whl",
    "  Running command {venv}/bin/python3.11 {tmp}/pip-standalone-pip-x/__env_pip__.zip/pip",
    '  File "{site}/torch/nn/modules/module.py", line 1751, in _wrapped_call_impl',
    '  File "{base}/lib/python3.11/runpy.py", line 291, in run_path',
    '  File "{work}/helper.py", line 3, in f',
    '  File "{root}/solutions/day01.py", line 9, in <module>',
    "{site}/torch/nn/modules/loss.py:610: UserWarning: Using a target size that is different",
    "{base}/lib/python3.11/multiprocessing/popen_fork.py:66: RuntimeWarning: os.fork() was called",
    "PATH={venv}/bin:{home}/.local/bin:/usr/local/bin:/usr/bin",
    "LD_LIBRARY_PATH={site}/torch/lib:{base}/lib",
    "open file://{root}/site/index.html or file://{tmp}/report.html",
    "saved to '{work}/model.pth' and read \"{home}/data/train.csv\"",
    "sys.path: ['{work}', '{base}/lib/python311.zip', '{site}']",
    "configure --prefix={venv} --with-openssl={home}/ssl",
    "cwd {work}, journal {root}, python {venv}, home {home}, tmp {tmp}",
]
# Text that only looks like paths: left exactly as it was.
ORDINARY = [
    "see https://pytorch.org/docs/stable/tmp/index.html and http://localhost:8000/tmp/",
    "https://example.com/root/guide and https://example.com{home}/guide",
    "epoch 3/4 loss 0.25, ratio 1/2, 22/7 ~ pi",
    "a:b key:value at 12:30, dict(a=1):b",
    "relative paths build/tmp/out.txt, data{tmp}/x.csv and /var{tmp}/cache",
    "~/notes.txt and $HOME/notes.txt stay as written",
    "torch.Size([3, 4]) // 2 and x / y",
]


@pytest.fixture
def journal(tmp_path) -> tuple[Path, Path]:
    root = tmp_path / "journal"
    return root, root / ".journal/runs/day-01/work"


def filled(line: str, root: Path, work: Path) -> str:
    return line.format(site=SITE, home=HOME, tmp=TMP, venv=sys.prefix, base=sys.base_prefix,
                       root=root, work=work)


def machine_folders(root: Path, work: Path) -> set[str]:
    folders = {SITE, HOME, TMP, sys.prefix, sys.base_prefix, str(root), str(work)}
    return folders | {os.path.realpath(folder) for folder in folders}


@pytest.mark.parametrize("line", CORPUS)
def test_no_machine_folder_survives_wherever_it_stands(journal, line):
    root, work = journal
    cleaned = scrubber(root, work)(filled(line, root, work))
    # A folder counts where it ends at a path boundary: `<tmp>/tmpab12` holds no `/tmp` folder.
    left = [folder for folder in machine_folders(root, work)
            if re.search(re.escape(folder) + r"(?![\w-])", cleaned)]
    assert not left, f"{cleaned!r} still holds {left}"


@pytest.mark.parametrize("line", ORDINARY)
def test_text_that_is_no_machine_path_is_left_alone(journal, line):
    root, work = journal
    text = line.replace("{home}", HOME).replace("{tmp}", TMP)
    assert scrubber(root, work)(text) == text


@pytest.mark.parametrize(("line", "expected"), [
    ("-L{site}/torch/lib -Wl,-rpath,{site}/torch/lib", "-Ltorch/lib -Wl,-rpath,torch/lib"),
    ("-I{venv}/include -isystem {home}/inc", "-I<python>/include -isystem ~/inc"),
    # (/snap/bin: a folder of no Python's; Debian's own Python lives in /usr, whose bin it names)
    ("PATH={venv}/bin:{home}/.local/bin:/snap/bin", "PATH=<python>/bin:~/.local/bin:/snap/bin"),
    ("file://{root}/site/index.html", "file://site/index.html"),
    ("{tmp}/pip-x/ninja '{work}/model.pth'", "<tmp>/pip-x/ninja 'model.pth'"),
    ('File "{site}/torch/nn/modules/module.py", line 1', 'File "torch/nn/modules/module.py", line 1'),
    ("found in {site}.", "found in <python library>."),
])
def test_each_folder_gets_its_placeholder(journal, line, expected):
    root, work = journal
    assert scrubber(root, work)(filled(line, root, work)) == expected


def test_escapes_go_too(journal):
    root, work = journal
    assert scrubber(root, work)(f"\x1b[31m{root}/solutions/x.py\x1b[0m") == "solutions/x.py"
