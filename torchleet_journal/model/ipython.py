"""IPython lines in plain Python: a notebook's magics keep Jupyter's meaning where Python can.

`translate` turns a code cell into Python of the same line count (tracebacks keep their line
numbers): `%time STATEMENT` runs the statement and prints its time, `%timeit`, `%env`, `%cd`,
`%pwd` and `%run` do what IPython does, `obj?` and `obj??` print the object's help. Those lines
call the helpers below through one name, `__ipython__`, that the child puts in the notebook's
namespace; the solution itself never imports the journal. A cell magic (`%%time`, `%%timeit`,
`%%capture`, `%%writefile`) is left to `run_cell`. What cannot run in a build (shell commands,
`%pip`, `%%bash`) is skipped, with a note saying what to do instead.

Only the standard library here, the heavier modules imported when a line needs them: the API
index reads cells through `translate` in builds that run nothing.
"""

from __future__ import annotations

import ast
import contextlib
import io
import math
import os
import re
import shlex
import sys
import time
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SHIM = "__ipython__"  # the name translated lines call these helpers by
# `%%name args` on a cell's first line; `[target =] %magic args` or `!command` on any line.
CELL_MAGIC = re.compile(r"\s*%%(\w+)[ \t]*(.*)")
MAGIC_LINE = re.compile(r"^(\s*)(?:([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*)?"
                        r"(%(\w+)\s*(.*)|!(.*))$")
# `obj?`, `x[0].shape??`: attributes after each subscript, never two ways to read `a.b.c`.
HELP_LINE = re.compile(r"^(\s*)(\?{1,2})?([A-Za-z_][\w.]*(?:\[[^\]]*\](?:\.\w+)*)*)(\?{1,2})?\s*$")
PYTHON_CELL_MAGICS = ("time", "timeit", "capture", "prun", "writefile")
INSTALLERS = ("pip", "conda", "mamba", "uv")
NO_MEANING = ("matplotlib", "load_ext", "reload_ext", "unload_ext", "autoreload", "aimport",
              "config", "xmode", "precision", "who", "whos", "who_ls", "history", "reset",
              "store", "autosave", "notebook", "pdb", "debug", "colors", "alias", "magic",
              "lsmagic", "qtconsole", "connect_info", "tensorboard")


@dataclass
class Cell:
    """A code cell as plain Python: `code` has the cell's line count; `magic` is its cell magic."""

    code: str
    notes: list[str] = field(default_factory=list)
    magic: str | None = None
    args: str = ""
    uses_shim: bool = False
    text: str = ""  # a `%%writefile` cell's body, as written


def translate(source: str) -> Cell:
    """The cell as Python; IPython lines made into calls, or `pass` with a note."""
    cell = Cell("")
    first = CELL_MAGIC.match(source)
    body = source
    if first:
        cell.magic, cell.args = first.group(1), first.group(2).strip()
        if cell.magic not in PYTHON_CELL_MAGICS:
            cell.notes.append(_cell_note(cell.magic))
            cell.magic = "skip"
            cell.code = "\n" * source.count("\n")
            return cell
        # The magic's line becomes an empty one: the body keeps its line numbers.
        body = "\n" * source[:first.end()].count("\n") + source[first.end():]
        if cell.magic == "prun":
            cell.notes.append("`%%prun` runs the cell without its profile, which only IPython prints")
        if cell.magic == "writefile":
            cell.text = source[first.end():].removeprefix("\n")
            cell.code = "\n" * source.count("\n")
            return cell
    in_strings = _lines_inside_strings(body)
    lines = []
    for number, line in enumerate(body.split("\n"), start=1):
        if number not in in_strings:
            line = _line(line, cell)
        lines.append(line)
    cell.code = "\n".join(lines)
    return cell


def _line(line: str, cell: Cell) -> str:
    magic = MAGIC_LINE.match(line)
    if magic:
        indent, target, written, name, args, shell = magic.groups()
        if shell is not None:
            return _skipped(indent, written, cell, _shell_note(shell))
        return _magic(indent, target, written, name, args.strip(), cell)
    asked = HELP_LINE.match(line)
    if asked and (asked.group(2) or asked.group(4)):
        indent, before, name, after = asked.groups()
        cell.uses_shim = True
        return f"{indent}{SHIM}.pinfo({name!r}, globals(), locals(), {len(before or after) == 2})"
    return line


def _magic(indent: str, target: str | None, written: str, name: str, args: str, cell: Cell) -> str:
    """One line magic as one line of Python, or a skipped line with its note."""
    assign = f"{target} = " if target else ""
    call = {"timeit": f"{SHIM}.timeit({args!r}, globals(), locals())",
            "env": f"{SHIM}.env({args!r})",
            "set_env": f"{SHIM}.env({args!r})",
            "cd": f"{SHIM}.cd({args!r})",
            "pwd": f"{SHIM}.pwd()",
            "run": f"{SHIM}.run({args!r}, globals())",
            "pinfo": f"{SHIM}.pinfo({args!r}, globals(), locals(), False)",
            "pdoc": f"{SHIM}.pinfo({args!r}, globals(), locals(), False)",
            "pinfo2": f"{SHIM}.pinfo({args!r}, globals(), locals(), True)",
            "psource": f"{SHIM}.pinfo({args!r}, globals(), locals(), True)"}.get(name)
    if name == "time" and args:
        timed = _timed(args, assign)
        if timed:
            cell.uses_shim = True
            return indent + timed
    if call:
        cell.uses_shim = True
        return f"{indent}{assign}{call}"
    if name == "prun" and args and not assign:  # the statement still runs, as in IPython
        cell.notes.append(f"`{written.strip()}` runs without its profile, which only IPython prints")
        words = args.split(" ")
        while words and words[0].startswith("-"):  # its options: -s key, -l limit, -q, ...
            flag = words.pop(0)
            if flag in ("-D", "-l", "-s", "-T") and words:
                words.pop(0)
        return f"{indent}{' '.join(words)}"
    if name in INSTALLERS:
        return _skipped(indent, written, cell, _install_note(args))
    if name in ("sx", "system", "bash", "sh", "script"):
        return _skipped(indent, written, cell, _shell_note(args))
    reason = ("figures are saved where Jupyter shows them" if name == "matplotlib" else
              "IPython only, with no meaning in a plain run" if name in NO_MEANING else
              "this magic has no plain-Python meaning in the build; remove it or write it in Python")
    return _skipped(indent, written, cell, reason)


def _timed(statement: str, assign: str) -> str | None:
    """`%time STATEMENT` as one line that runs it between the clock's start and its report."""
    try:
        tree = ast.parse(statement, "<%time>")
    except SyntaxError:
        return None
    start, end = f"{SHIM}.time_start()", f"{SHIM}.time_end"
    body = tree.body
    if len(body) == 1 and isinstance(body[0], ast.Expr):  # its value shows, as in IPython
        return f"{start}; {assign}{end}(({statement}))"
    if assign:
        return None
    if not any(isinstance(node, _COMPOUND) for node in body):
        return f"{start}; {statement}; {end}()"
    return f"{start}; exec(compile({statement!r}, '<%time>', 'exec')); {end}()"


# Statements that cannot follow `;` on one line: a timed one of these runs through exec.
_COMPOUND = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try,
             ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Match)


def _skipped(indent: str, written: str, cell: Cell, reason: str) -> str:
    cell.notes.append(f"skipped `{written.strip()}`: {reason}")
    return f"{indent}pass"


def _install_note(args: str) -> str:
    words = [word for word in args.split() if not word.startswith("-")]
    names = words[1:] if words[:1] == ["install"] else []
    what = f"add {', '.join(f'`{name}`' for name in names)}" if names else "add the package"
    return (f"{what} to requirements.txt and run `pip install -r requirements.txt`; the build "
            "runs with what is installed")


def _shell_note(command: str) -> str:
    words = command.split()
    if "pip" in words[1:3]:  # python -m pip install ...
        return _install_note(" ".join(words[words.index("pip") + 1:]))
    if words[:1] and words[0] in INSTALLERS + ("pip3",):
        return _install_note(" ".join(words[1:]))
    return ("shell commands do not run in the build; do it in Python (os, shutil, "
            "subprocess.run) or once, before the build")


def _cell_note(magic: str) -> str:
    if magic in ("bash", "sh", "script", "system"):
        return (f"skipped, a `%%{magic}` cell is not Python; do it in Python (subprocess.run) "
                "or once, before the build")
    return f"skipped, a `%%{magic}` cell is not Python; only Jupyter shows it"


def _lines_inside_strings(source: str) -> set[int]:
    """Line numbers that continue a multi-line string: a `%` or `!` there is text."""
    inside: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING and token.end[0] > token.start[0]:
                inside.update(range(token.start[0] + 1, token.end[0] + 1))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return inside


# --- the helpers translated lines call (as `__ipython__.name`) ------------------------------

_clocks: list[tuple[float, float, float]] = []


def time_start() -> None:
    times = os.times()
    _clocks.append((times.user, times.system, time.perf_counter()))


def time_end(value: Any = None) -> Any:
    """Print what `%time` prints since the matching `time_start`; pass `value` through."""
    user, system, wall = _clocks.pop()
    times, now = os.times(), time.perf_counter()
    user, system = times.user - user, times.system - system
    print(f"CPU times: user {format_time(user)}, sys: {format_time(system)}, "
          f"total: {format_time(user + system)}")
    print(f"Wall time: {format_time(now - wall)}")
    return value


def format_time(seconds: float, precision: int = 3) -> str:
    """A duration as IPython writes it: `1.2 ms`, `35.4 s`, `1min 3s`."""
    if seconds >= 60.0:
        parts, left = [], seconds
        for suffix, length in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
            value = int(left / length)
            if value > 0:
                left = left % length
                parts.append(f"{value}{suffix}")
            if left < 1:
                break
        return " ".join(parts)
    units, scaling = ["s", "ms", "\u03bcs", "ns"], [1, 1e3, 1e6, 1e9]
    order = min(-int(math.floor(math.log10(seconds)) // 3), 3) if seconds > 0.0 else 3
    return "%.*g %s" % (precision, seconds * scaling[order], units[order])


def timeit(args: str, globals_: dict, locals_: dict | None = None,
           body: Callable[[], Any] | None = None) -> Any:
    """`%timeit [-n N] [-r R] [-q] [-o] STATEMENT`: time it as IPython does, print the line."""
    import timeit as _timeit

    options, statement = _timeit_options(args)
    namespace = {**globals_, **(locals_ or {})}
    if body is not None and statement:  # `%%timeit SETUP`: the setup runs once, untimed
        exec(statement, globals_)
    timer = _timeit.Timer(body or statement or "pass", globals=namespace)
    number = options.get("n")
    if number is None:  # as IPython: ten times more loops until one round takes 0.2 s
        for power in range(10):
            number = 10 ** power
            if timer.timeit(number) >= 0.2:
                break
    repeat = options.get("r", 7)
    timings = [total / number for total in timer.repeat(repeat, number)]
    mean = sum(timings) / len(timings)
    spread = math.sqrt(sum((t - mean) ** 2 for t in timings) / len(timings))
    if not options.get("q"):
        print(f"{format_time(mean)} \xb1 {format_time(spread)} per loop (mean \xb1 std. dev. of "
              f"{repeat} run{'s' if repeat != 1 else ''}, {number:,} "
              f"loop{'s' if number != 1 else ''} each)")
    return timings if options.get("o") else None


def _timeit_options(args: str) -> tuple[dict, str]:
    options: dict[str, Any] = {}
    words = args.split(" ")
    while words and words[0].startswith("-") and len(words[0]) > 1:
        flag = words.pop(0)
        if flag in ("-n", "-r") and words:
            options[flag[1]] = int(words.pop(0))
        elif flag[1] in "nr" and flag[2:].isdigit():
            options[flag[1]] = int(flag[2:])
        else:
            options[flag[1:2]] = True
    return options, " ".join(words).strip()


def env(args: str) -> Any:
    """`%env`, `%env NAME`, `%env NAME=value` / `%env NAME value`, as IPython."""
    if not args:  # the whole environment, likely secrets hidden, as IPython shows it
        return {key: "<hidden>" if any(word in key.lower() for word in ("key", "token", "secret"))
                else value for key, value in os.environ.items()}
    name, sep, value = args.partition("=") if "=" in args.split(" ")[0] else args.partition(" ")
    if not sep:
        if name not in os.environ:
            raise KeyError(f"Environment does not have key: {name}")
        return os.environ[name]
    os.environ[name.strip()] = value.strip()
    print(f"env: {name.strip()}={value.strip()}")
    return None


_previous: list[str] = []


def cd(args: str) -> None:
    """`%cd [-q] [DIR]`: change folder (home when none, the last one for `-`), print it."""
    quiet = args.startswith("-q")
    target = args[2:].strip() if quiet else args.strip()
    target = target.strip("'\"")
    here = os.getcwd()
    if target == "-":
        target = _previous[-1] if _previous else here
    os.chdir(os.path.expanduser(target or "~"))
    _previous.append(here)
    if not quiet:
        print(os.getcwd())


def pwd() -> str:
    return os.getcwd()


def run(args: str, globals_: dict) -> None:
    """`%run script.py [args]`: run it as `__main__`, then keep what it defined, as IPython."""
    import runpy

    words = [w for w in shlex.split(args) if w not in ("-i", "-t")]
    saved = sys.argv
    sys.argv = words
    try:
        globals_.update({k: v for k, v in runpy.run_path(words[0], run_name="__main__").items()
                         if not k.startswith("__")})
    finally:
        sys.argv = saved


def pinfo(name: str, globals_: dict, locals_: dict, source: bool) -> None:
    """`obj?` (and `obj??`, with the source): what IPython's inspector says, as text."""
    import inspect

    try:
        obj = eval(name, globals_, locals_)
    except Exception:
        print(f"Object `{name}` not found.")
        return
    lines = []
    try:
        if callable(obj):
            lines.append(f"Signature: {name}{inspect.signature(obj)}")
    except (TypeError, ValueError):
        pass
    if not (inspect.isroutine(obj) or inspect.isclass(obj) or inspect.ismodule(obj)):
        lines.append(f"String form: {str(obj)[:200]}")
    code = _source(obj) if source else None
    if code:
        lines.append(f"Source:\n{code.rstrip()}")
    else:
        lines.append(f"Docstring:\n{inspect.getdoc(obj) or '<no docstring>'}")
    with contextlib.suppress(TypeError, OSError):
        lines.append(f"File:      {inspect.getfile(obj)}")
    lines.append(f"Type:      {type(obj).__name__}")
    print("\n".join(lines))


def _source(obj) -> str | None:
    import inspect

    try:
        return inspect.getsource(obj)
    except (TypeError, OSError):
        return None


# --- cell magics -----------------------------------------------------------------------------


class CapturedIO:
    """What `%%capture name` binds: the cell's output, to print later with `name.show()`."""

    def __init__(self, stdout: str, stderr: str, shown: str = ""):
        self.stdout, self.stderr, self._shown = stdout, stderr, shown
        self.outputs = [shown] if shown else []

    def show(self) -> None:
        sys.stdout.write(self.stdout)
        sys.stderr.write(self.stderr)
        sys.stdout.write(self._shown)

    __call__ = show


def run_cell(cell: Cell, body: Callable[[], Any], show: Callable[[Any], None],
             namespace: dict) -> None:
    """Run a translated cell's `body` under its cell magic; `show` displays its last value."""
    if cell.magic == "time":
        time_start()
        value = body()
        time_end()
        show(value)
    elif cell.magic == "timeit":
        timeit(cell.args, namespace, body=body)
    elif cell.magic == "capture":
        _capture(cell, body, show, namespace)
    elif cell.magic == "writefile":
        _writefile(cell)
    elif cell.magic != "skip":
        show(body())


def _capture(cell: Cell, body: Callable[[], Any], show: Callable[[Any], None],
             namespace: dict) -> None:
    """`%%capture [--no-stdout] [--no-stderr] [name]`: the cell's output kept, not shown."""
    words = cell.args.split()
    out, err, shown = io.StringIO(), io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        value = body()
    with contextlib.redirect_stdout(shown):  # a displayed value is an output, not stdout
        show(value)
    kept = CapturedIO(out.getvalue(), err.getvalue(), shown.getvalue())
    if "--no-stdout" in words:
        sys.stdout.write(kept.stdout)
        kept.stdout = ""
    if "--no-stderr" in words:
        sys.stderr.write(kept.stderr)
        kept.stderr = ""
    names = [word for word in words if not word.startswith("-")]
    if names:
        namespace[names[0]] = kept


def _writefile(cell: Cell) -> None:
    words = shlex.split(cell.args)
    append = bool({"-a", "--append"} & set(words))
    path = next(w for w in words if not w.startswith("-"))
    print(f"{'Appending to' if append else 'Overwriting' if os.path.exists(path) else 'Writing'} "
          f"{path}")
    with open(path, "a" if append else "w", encoding="utf-8") as file:
        file.write(cell.text)
