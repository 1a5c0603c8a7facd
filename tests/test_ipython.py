"""IPython lines in a notebook keep Jupyter's meaning under the build: `%time x = ...` then `x`,
`%%capture`, `%env`, `%cd`, `obj?`, `%timeit`, `%%writefile` and `%run`; what cannot run here
is skipped with a note that says what to do."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tests.helpers import entry_yaml, make_journal
from torchleet_journal.build.pipeline import Options, build
from torchleet_journal.model.apis import python_of
from torchleet_journal.model.ipython import format_time, translate

CELLS = [
    "import torch\n%time y = torch.arange(4).sum()\ny",  # 1
    "%%capture out\nprint('hidden while captured')\ny + 1",  # 2
    "print('captured:', out.stdout.strip())",  # 3
    "%env JOURNAL_SETTING=42\nimport os\nprint('from os:', os.environ['JOURNAL_SETTING'])\n"
    "%env JOURNAL_SETTING",  # 4
    "%cd data\nprint(open('numbers.txt').read().strip())",  # 5
    "torch.zeros?",  # 6
    "%timeit -n 2 -r 3 sum(range(10))",  # 7
    "%%time\nz = y * 3\nz",  # 8
    "%%writefile helper.py\nVALUE = 7\n",  # 9
    "%run helper.py\nprint('from the helper:', VALUE)",  # 10
    "!pip install einops\n%pip install -q scikit-learn\n!ls -la\n%load_ext autoreload",  # 11
    "%%bash\necho not here",  # 12
    "text = '''\n%not a magic, a line of text\n'''\nprint(text.strip())",  # 13
]
FAILS = ["%time a = 1\nb = a / 0"]


def notebook(cells: list[str]) -> str:
    made = new_notebook(cells=[new_markdown_cell("# IPython lines")] +
                        [new_code_cell(source) for source in cells])
    return nbformat.writes(made)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = make_journal(tmp_path_factory.mktemp("ipython"), days={}, extra_files={
        "solutions/day01.ipynb": notebook(CELLS),
        "solutions/data/numbers.txt": "1 2 3\n",
        "solutions/day02.ipynb": notebook(FAILS),
        "entries/day-01.yaml": entry_yaml(1, "solutions/day01.ipynb"),
        "entries/day-02.yaml": entry_yaml(2, "solutions/day02.ipynb"),
    })
    build(root, Options(site=False))
    return root


def result(root: Path, day: int) -> dict:
    return json.loads((root / f"results/day-{day:02d}/result.json").read_text())


def log(root: Path, day: int) -> str:
    return (root / f"results/day-{day:02d}" / result(root, day)["log"]).read_text()


def lines_after(output: str, first: str, count: int) -> list[str]:
    lines = output.splitlines()
    at = lines.index(first)
    return lines[at:at + count]


def test_the_notebook_runs_to_the_end(built):
    assert result(built, 1)["status"] == "passed", result(built, 1)["reason"]


def test_time_runs_the_statement_prints_its_time_and_keeps_the_name(built):
    output = log(built, 1)
    first, wall, value = output.splitlines()[0:3]
    assert first.startswith("CPU times: user ") and ", total: " in first
    assert wall.startswith("Wall time: ")
    assert value == "tensor(6)", "the next line sees y, and the cell shows it"


def test_capture_keeps_the_output_for_later(built):
    output = log(built, 1)
    assert "captured: hidden while captured" in output
    assert output.count("hidden while captured") == 1
    assert "tensor(7)" not in output, "the captured cell's value is captured too"


def test_env_sets_and_reads_the_environment(built):
    assert lines_after(log(built, 1), "env: JOURNAL_SETTING=42", 3) == [
        "env: JOURNAL_SETTING=42", "from os: 42", "'42'"]


def test_cd_changes_folder_as_in_jupyter(built):
    output = log(built, 1)
    assert "1 2 3" in output
    assert "\ndata\n" in f"\n{output}", "the new folder is printed, named from the run's own"


def test_a_question_mark_prints_the_help(built):
    output = log(built, 1)
    assert "Docstring:\nzeros(*size" in output
    assert "Type:      builtin_function_or_method" in output


def test_timeit_prints_a_timing_line(built):
    assert "per loop (mean \xb1 std. dev. of 3 runs, 2 loops each)" in log(built, 1)


def test_cell_time_prints_the_time_then_the_value(built):
    lines = log(built, 1).splitlines()
    value = lines.index("tensor(18)")
    assert lines[value - 1].startswith("Wall time: ")
    assert lines[value - 2].startswith("CPU times: ")


def test_writefile_then_run_defines_what_the_file_does(built):
    output = log(built, 1)
    assert "Writing helper.py" in output
    assert "from the helper: 7" in output
    assert not (built / "solutions/helper.py").exists(), "written in the run's folder only"


def test_what_cannot_run_is_skipped_with_what_to_do(built):
    output = log(built, 1)
    assert ("[journal] cell 11: skipped `!pip install einops`: add `einops` to requirements.txt "
            "and run `pip install -r requirements.txt`") in output
    assert "[journal] cell 11: skipped `%pip install -q scikit-learn`: add `scikit-learn`" in output
    assert ("[journal] cell 11: skipped `!ls -la`: shell commands do not run in the build; do it "
            "in Python (os, shutil, subprocess.run) or once, before the build") in output
    assert "[journal] cell 11: skipped `%load_ext autoreload`: IPython only" in output
    assert "[journal] cell 12: skipped, a `%%bash` cell is not Python" in output
    assert "not here" not in output


def test_a_percent_sign_inside_a_string_is_text(built):
    assert "%not a magic, a line of text" in log(built, 1)


def test_a_traceback_shows_the_learners_own_line(built):
    stored = result(built, 2)
    assert stored["reason"] == "cell 1: ZeroDivisionError: division by zero"
    assert ('File "solutions/day02.ipynb, cell 1", line 2, in <module>\n    b = a / 0'
            in stored["traceback"])


# --- the pieces, without a run -------------------------------------------------------------


def test_ipython_lines_keep_indentation_and_line_numbers():
    cell = translate("x = 1\nif x:\n    !ls\n    %time y = 2\nz = 3")
    lines = cell.code.splitlines()
    assert lines[2] == "    pass"
    assert lines[3] == "    __ipython__.time_start(); y = 2; __ipython__.time_end()"
    compile(cell.code, "cell", "exec")
    assert len(cell.notes) == 1


def test_a_timed_expression_passes_its_value_on():
    assert translate("x = %time f(2)").code == \
        "__ipython__.time_start(); x = __ipython__.time_end((f(2)))"


def test_a_cell_magic_that_is_not_python_skips_the_whole_cell():
    cell = translate("%%html\n<b>hi</b>\n")
    assert cell.code.strip() == "" and cell.code.count("\n") == 2
    assert cell.notes == ["skipped, a `%%html` cell is not Python; only Jupyter shows it"]


def test_the_api_index_reads_what_a_timed_line_calls():
    text = notebook(["import torch.nn as nn\n%time layer = nn.Linear(2, 3)"])
    assert "nn.Linear(2, 3)" in python_of(text, notebook=True)[0]


@pytest.mark.parametrize(("seconds", "shown"), [
    (0.0123456, "12.3 ms"), (2.5e-6, "2.5 \u03bcs"), (3.0, "3 s"), (75.5, "1min 15s"), (0, "0 ns")])
def test_times_read_as_ipython_writes_them(seconds, shown):
    assert format_time(seconds) == shown


def test_prun_runs_its_statement_without_the_profile():
    cell = translate("%prun -s cumtime -q train(3)")
    assert cell.code == "train(3)"
    assert cell.notes == ["`%prun -s cumtime -q train(3)` runs without its profile, which only "
                          "IPython prints"]


@pytest.mark.parametrize(("line", "advice"), [
    ("!pip install einops torchmetrics", "add `einops`, `torchmetrics` to requirements.txt"),
    ("!python -m pip install -q einops", "add `einops` to requirements.txt"),
    ("%conda install -y scipy", "add `scipy` to requirements.txt"),
    ("files = !ls data", "shell commands do not run in the build"),
])
def test_installs_and_shell_lines_say_what_to_do(line, advice):
    cell = translate(line)
    assert cell.code == "pass"
    assert cell.notes[0].startswith("skipped `") and advice in cell.notes[0]
