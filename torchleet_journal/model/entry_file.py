"""Reading one entry file: its bytes, safely, into a YAML mapping with the line of each key.

Only reading: what the fields must hold is `torchleet_journal.model.entries`' business. Whatever stops a file
from being read (not a regular file, too large, not UTF-8, invalid YAML, an alias, a value YAML
cannot build) is an `Unreadable` with the line to fix; a mistake found later is located with the
lines kept here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from torchleet_journal.base.errors import Mistake, shown

MAX_ENTRY_BYTES = 1 << 20
# YAML notices an unclosed quote or bracket, or a key without its colon, lines later; the line
# where that token began is the one to fix.
OPENED_AT = ("while scanning a simple key", "while scanning a quoted", "while parsing a flow")

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
    """Safe YAML that leaves dates as strings, so an impossible date gets our own message."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}



@dataclass
class EntryFile:
    """A parsed entry file: its data and the line each key (as written) and list item sits on."""

    path: str
    data: dict[str, Any] | None = None
    key_lines: dict[str, int] = field(default_factory=dict)
    item_lines: dict[str, list[int]] = field(default_factory=dict)
    mistakes: list[Mistake] = field(default_factory=list)

    def line(self, key: str, index: int | None = None) -> int:
        if index is not None and index < len(self.item_lines.get(key, [])):
            return self.item_lines[key][index]
        return self.key_lines.get(key, 1)

    def report(self, key: str | None, message: str, index: int | None = None) -> None:
        self.mistakes.append(Mistake(self.path, self.line(key, index) if key else 1, message))


class Unreadable(Exception):
    """A problem that stops one file from being read; the other files are still checked."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message



def read_text(path: Path) -> str:
    if path.exists() and not path.is_file() and not path.is_dir():
        # A FIFO would block the build forever, a device would never end.
        raise Unreadable(1, "an entry must be a regular file, got a pipe, socket or device; "
                          "remove it and write the entry as a file")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_ENTRY_BYTES + 1)  # no more, however large the file is
    except IsADirectoryError:
        raise Unreadable(1, "an entry must be a file, got a folder; move what is in it "
                          "elsewhere and remove it") from None
    except OSError as err:
        raise Unreadable(1, f"cannot read the file, got {err.strerror}; check that it exists "
                          "and that you may read it") from None
    if len(raw) > MAX_ENTRY_BYTES:
        raise Unreadable(1, f"an entry may be at most 1 MiB, got {path.stat().st_size:,} bytes;"
                          " keep long notes and data beside the solution")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line_start = raw.rfind(b"\n", 0, err.start) + 1
        raise Unreadable(raw.count(b"\n", 0, err.start) + 1, f"entries must be UTF-8 text, got "
                          f"byte {raw[err.start]:#04x} at column {err.start - line_start + 1}; "
                          "save the file as UTF-8") from None
    return text


def read_yaml(text: str) -> tuple[yaml.MappingNode, dict]:
    _refuse_aliases(text)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = _construct(loader, node, text) if node is not None else None
    except yaml.MarkedYAMLError as err:
        raise _yaml_problem(text, err) from None
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1
        column = err.position - text.rfind("\n", 0, err.position)
        raise Unreadable(line, f"YAML does not allow control characters, got "
                          f"{chr(err.character)!r} at column {column}; delete it") from None
    finally:
        loader.dispose()
    if data is None:
        raise Unreadable(1, "file is empty; it needs at least day, date, task and solution "
                          "(`python build.py new \"<task>\"` writes a filled-in one)")
    if not isinstance(data, dict):
        kind = "a list; remove the leading '- '" if isinstance(data, list) else shown(data)
        raise Unreadable(1, f"an entry must be a mapping of fields (day: 9, date: ..., task: "
                          f"...), got {kind}")
    return node, data


def _refuse_aliases(text: str) -> None:
    """An alias repeats a value anywhere: a 50 KB gap a thousand times is 50 MB of pages."""
    if "*" not in text:
        return
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                raise Unreadable(event.start_mark.line + 1, f"YAML aliases are not allowed in an "
                                  f"entry, got *{event.anchor}; write the text out where it is "
                                  "used")
    except yaml.YAMLError:
        return  # the full read below reports the syntax error, with its line


def _construct(loader, node: yaml.Node, text: str):
    """The document's values, or the line of the first one YAML cannot build (`!!int abc`)."""
    try:
        return loader.construct_document(node)
    except yaml.MarkedYAMLError:
        raise  # a tag YAML does not know, a node of the wrong kind: reported with its column
    except Exception as err:
        # PyYAML's constructors fail in their own ways on a value they cannot read: ValueError
        # (!!int abc), AttributeError (!!timestamp yesterday), KeyError (!!bool maybe),
        # IndexError (an empty !!float); each is the user's value, never a traceback.
        bad = _unbuildable(text)
        line = bad.start_mark.line + 1 if bad else node.start_mark.line + 1
        what = (f"{shown(bad.value)} as {bad.tag.replace('tag:yaml.org,2002:', '!!')}"
                if isinstance(bad, yaml.ScalarNode) else f"a value ({shown(str(err))})")
        raise Unreadable(line, f"YAML cannot read {what}; remove the !!tag or write the value "
                          "as plain text") from None


def _unbuildable(text: str) -> yaml.Node | None:
    """The first top-level value YAML cannot build, to point at its line."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        for _, value in root.value if isinstance(root, yaml.MappingNode) else ():
            try:
                loader.construct_object(value, deep=True)
            except Exception:
                return value
    finally:
        loader.dispose()
    return None


def _yaml_problem(text: str, err: yaml.MarkedYAMLError) -> Unreadable:
    opened = err.context_mark and (err.context or "").startswith(OPENED_AT)
    mark = (err.context_mark if opened else err.problem_mark) or err.context_mark
    line = mark.line + 1 if mark else 1
    what = ", ".join(part for part in (err.context, err.problem) if part)
    lines = text.split("\n")
    source = lines[line - 1].strip() if line <= len(lines) else ""
    column = f" at column {mark.column + 1}" if mark else ""
    return Unreadable(line, f"invalid YAML{column}: {what}, got {shown(source)}; check the "
                       "indentation, close quotes and brackets, quote text that contains ': '")


def located(rel: str, node: yaml.MappingNode, data: dict) -> EntryFile:
    doc = EntryFile(rel, data)
    for key_node, value_node in node.value:
        key = key_node.value
        line = key_node.start_mark.line + 1
        if key in doc.key_lines:
            doc.mistakes.append(Mistake(rel, line, f"field {key!r} must appear once, got it "
                                        f"again (first on line {doc.key_lines[key]}); delete one"))
        doc.key_lines[key] = line  # the value read is the last one, so errors point there
        if isinstance(value_node, yaml.SequenceNode):
            doc.item_lines[key] = [item.start_mark.line + 1 for item in value_node.value]
    return doc
