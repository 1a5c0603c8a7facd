"""The PyTorch API index: which `torch.*` classes and functions each day's solution uses.

Found by reading the solution's code with `ast`, never by running or importing it: names are
resolved through the imports that bind them (`import torch.nn as nn`, `from torch import
optim`, `from torch.nn import *`), and kept only when `torchleet_journal/model/torch_api.txt`, the list of
torch's public names, has them, so a local variable called `torch` or a typo is not listed.
The answer is cached by the solution's hash: a cached build parses nothing.
"""

from __future__ import annotations

import ast
import functools
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from torchleet_journal.base.files import sha256_bytes
from torchleet_journal.base.source_cache import read_each
from torchleet_journal.model.ipython import translate
from torchleet_journal.model.notebook import cells_of
from torchleet_journal.model.source import parse

API_LIST = Path(__file__).with_name("torch_api.txt")
IMPORTERS = {"import_module", "__import__"}  # importlib.import_module("x"), __import__("x")
DOCS = "https://pytorch.org/docs/stable/"
# Namespaces documented on one page, each name an anchor on it; the rest have a page per name
# under generated/ (https://pytorch.org/docs/stable/generated/torch.nn.LSTM.html).
ONE_PAGE = {
    "torch.utils.data": "data.html", "torch.utils.tensorboard": "tensorboard.html",
    "torch.utils.checkpoint": "checkpoint.html", "torch.nn.init": "nn.init.html",
    "torch.distributions": "distributions.html", "torch.amp": "amp.html",
    "torch.testing": "testing.html", "torch.hub": "hub.html", "torch.onnx": "onnx.html",
    "torch.distributed": "distributed.html", "torch.profiler": "profiler.html",
    "torch.export": "export.html", "torch.masked": "masked.html", "torch.library": "library.html",
    "torch.random": "random.html", "torch.nested": "nested.html",
}


def docs_url(name: str) -> str:
    """The official documentation page of a torch class or function."""
    page = ONE_PAGE.get(namespace(name))
    return f"{DOCS}{page}#{name}" if page else f"{DOCS}generated/{name}.html"


def namespace(name: str) -> str:
    """`torch.nn.functional.relu` -> `torch.nn.functional`."""
    return name.rpartition(".")[0]


# --- reading a solution --------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def known_names(path: Path = API_LIST) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def python_of(source: str, notebook: bool) -> list[str]:
    """The code to read: a script whole, or a notebook's code cells without IPython lines."""
    if not notebook:
        return [source]
    try:
        cells = cells_of(source)
    except ValueError:
        return []
    return [translate(cell["source"]).code for cell in cells if cell["kind"] == "code"]


def apis_in(source: str, known: frozenset[str], notebook: bool = False) -> list[str]:
    """The torch classes and functions `source` names, sorted; a cell that does not parse is
    skipped (a script that does not parse has none)."""
    body = []
    for code in python_of(source, notebook):
        tree = parse(code)
        body += tree.body if tree else []
    finder = _Finder(known)
    finder.walk(body, finder.scope(body, {}))
    return sorted(finder.found)


def apis_by_line(code: str, known: frozenset[str]) -> dict[int, set[str]]:
    """The torch names each line of `code` uses (by line number), by `apis_in`'s rules; {} if
    it does not parse. A review card links the docs of the lines it shows."""
    tree = parse(code)
    if tree is None:
        return {}
    finder = _Finder(known)
    finder.walk(tree.body, finder.scope(tree.body, {}))
    return dict(finder.lines)


def string_literals(source: str, notebook: bool = False) -> list[str]:
    """The one-line string constants in `source`'s code, and the paths it joins from them,
    once each: the names of the files a solution may read (`pd.read_csv("ep2_data.csv")`,
    `HERE / "data" / "day02.csv"`), read the way `apis_in` reads code."""
    found: dict[str, None] = {}
    for code in python_of(source, notebook):
        tree = parse(code)
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and "\n" not in node.value and 0 < len(node.value) < 256:
                found[node.value] = None
            elif isinstance(node, (ast.BinOp, ast.Call)):
                parts = _path_parts(node)
                if len(parts) > 1:
                    found["/".join(parts)] = None
    return list(found)


def _path_parts(node: ast.AST) -> list[str]:
    """The string parts of a path built in code, in order: `here / "data" / "x.csv"` and
    `os.path.join(here, "data", "x.csv")` give ["data", "x.csv"]."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return _path_parts(node.left) + _path_parts(node.right)
    if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) \
            in ("join", "Path", "PurePath"):
        return [part for arg in node.args for part in _path_parts(arg)]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    return []


def imported_modules(source: str | bytes, notebook: bool = False) -> set[str]:
    """The top-level modules `source` imports itself, wherever the import stands (in a function,
    under `try:`), with literal dynamic imports too. Relative imports name the journal's own
    files, whose hashes the key already covers. A cell that does not parse names none."""
    if notebook and isinstance(source, bytes):
        source = source.decode("utf-8", errors="replace")
    tops: set[str] = set()
    for code in python_of(source, notebook):
        tree = parse(code)  # bytes: a PEP 263 coding cookie is honoured
        for node in ast.walk(tree) if tree else ():
            tops |= _names_imported(node)
    return tops


def _names_imported(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Import):
        return {alias.name.partition(".")[0] for alias in node.names}
    if isinstance(node, ast.ImportFrom) and not node.level and node.module:
        return {node.module.partition(".")[0]}
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
            node.func, "id", None)
        name = node.args[0].value
        # Only a module's name: `__import__("/abs/secret")` names a path, which no import finds.
        if called in IMPORTERS and isinstance(name, str) and \
                all(part.isidentifier() for part in name.split(".")):
            return {name.partition(".")[0]}
    return set()


class _Finder:
    """Walks a module scope by scope, with what each name is bound to by a torch import."""

    def __init__(self, known: frozenset[str]):
        self.known = known
        self.found: set[str] = set()
        self.lines: dict[int, set[str]] = defaultdict(set)  # line number -> names used there
        self.members = defaultdict(dict)  # namespace -> {short name: full name}, for import *
        for name in known:
            self.members[namespace(name)][name.rpartition(".")[2]] = name

    def scope(self, body: list[ast.AST], outer: dict[str, str],
              args: set[str] = frozenset()) -> dict[str, str]:
        """What names mean in one function or module body, `outer` being what encloses it."""
        imported, other = {}, set(args)
        for node in _own_nodes(body):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if _is_torch(alias.name):  # `import torch.nn` binds `torch`
                        bound = alias.asname or alias.name.split(".")[0]
                        imported[bound] = alias.name if alias.asname else bound
            elif isinstance(node, ast.ImportFrom) and not node.level and _is_torch(node.module):
                for alias in node.names:
                    if alias.name == "*":
                        imported.update(self.members.get(node.module, {}))
                    else:
                        imported[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            else:
                other |= _bound(node)
        # A name bound here by anything but a torch import is a local: it hides the outer one.
        # (Bound both ways, as in `try: import torch` / `except: torch = None`, the import wins.)
        return {k: v for k, v in outer.items() if k not in other} | imported

    def walk(self, body: list[ast.AST], names: dict[str, str]) -> None:
        """Resolve every name under `body`. A stack, not recursion: a 1,500-term expression
        that Python runs is deeper than Python's recursion limit."""
        stack = [(node, names) for node in body]
        while stack:
            node, names = stack.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                outside = [*node.args.defaults, *node.args.kw_defaults,
                           *getattr(node, "decorator_list", []), getattr(node, "returns", None)]
                stack += [(child, names) for child in outside if child is not None]
                inner = node.body if isinstance(node.body, list) else [ast.Expr(node.body)]
                inner_names = self.scope(inner, names, _arguments(node.args))
                stack += [(child, inner_names) for child in inner]
                continue
            chain = _chain(node) if isinstance(node, (ast.Attribute, ast.Name)) else None
            if chain is not None:
                self._resolve(chain, names, node.lineno)
                continue
            stack += [(child, names) for child in ast.iter_child_nodes(node)]

    def _resolve(self, chain: list[str], names: dict[str, str], line: int) -> None:
        root = names.get(chain[0])
        if root is None:
            return
        parts = root.split(".") + chain[1:]
        # The longest real name the chain starts with: `nn.LSTM.forward` is torch.nn.LSTM.
        for end in range(len(parts), 0, -1):
            name = ".".join(parts[:end])
            if name in self.known:
                self.found.add(name)
                self.lines[line].add(name)
                return


def _is_torch(module: str | None) -> bool:
    return module is not None and (module == "torch" or module.startswith("torch."))


def _chain(node: ast.AST) -> list[str] | None:
    """`a.b.c` as ['a', 'b', 'c'] when it is names all the way down; None otherwise."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or not parts and not isinstance(node.ctx, ast.Load):
        return None  # not a chain of names, or a bare name being assigned
    return [node.id, *reversed(parts)]


def _own_nodes(body: list[ast.AST]):
    """Every node of a scope's body, not descending into nested functions or classes' bodies."""
    stack = list(body)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue  # its name is bound here (see _bound); what is inside is its own scope
        stack.extend(ast.iter_child_nodes(node))


def _bound(node: ast.AST) -> set[str]:
    """Names a node binds in its scope other than by import."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
        return {node.id}
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, ast.ExceptHandler) and node.name:
        return {node.name}
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return set()
    if isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
        return {node.name}
    return set()


def _arguments(args: ast.arguments) -> set[str]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return {a.arg for a in every if a is not None}


# --- the days' APIs, cached ----------------------------------------------------------------


def day_apis(root: Path, solutions: dict[int, tuple[str, bool]]) -> dict[int, list[str]]:
    """Each day's APIs, from its solution's source and whether it is a notebook.

    Cached by the hash of the source and of the API list: only a new or changed solution is
    parsed, and the API list is read only then.
    """
    list_hash = sha256_bytes(API_LIST.read_bytes())[:16]
    return read_each(root, "apis", list_hash, solutions,
                     lambda source, notebook: apis_in(source, known_names(), notebook),
                     lambda apis: isinstance(apis, list) and all(isinstance(a, str) for a in apis))


@dataclass
class Api:
    """One torch name across the journal: where its docs are and which days used it."""

    name: str
    url: str
    days: list  # the entries that used it, by day
    first: object  # the entry it first appeared in


def index(apis: dict[int, list[str]], entries: list) -> dict[str, list[Api]]:
    """Every API used, grouped by namespace (torch first, then by name), each with its days."""
    by_day = {e.day: e for e in entries}
    users = defaultdict(list)
    for day in sorted(apis):
        for name in apis[day]:
            users[name].append(by_day[day])
    groups = defaultdict(list)
    for name in sorted(users):
        days = users[name]
        first = min(days, key=lambda e: (e.date, e.day))
        groups[namespace(name)].append(Api(name, docs_url(name), days, first))
    return dict(sorted(groups.items(), key=lambda item: (item[0] != "torch", item[0])))
