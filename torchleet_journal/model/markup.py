"""Text into markup: the one place where words from outside the build meet Markdown and HTML.

Everything a page shows that the templates did not write themselves is data: entry text,
notebook Markdown, metric names, exception messages, file names. It reaches the page through
one of three functions here, never raw:

- `plain(text)`: plain text (a task, a tag, a title, a metric name, an error). Every character
  Markdown or HTML could act on becomes a character reference, so the text shows as typed.
- `inline(text)`: the learner's own notes (gaps, learnings): a small, closed subset of Markdown
  (`code`, $math$, *emphasis*, links with an allowed scheme) read by this module's own parser.
  What it recognises it writes out as HTML of its own making; all else is plain text.
- `block(text)`: a notebook's Markdown cell: `inline` line by line, keeping headings, lists,
  quotes, tables and fenced code.

So Python-Markdown, which renders the page afterwards, is only ever handed markup this module
wrote, and no Markdown extension (attr_list braces, raw HTML, link syntax) can turn a learner's
characters into an element or an attribute.
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse

# Characters Markdown or HTML may act on, as references. `*` and `_` stay in `inline` text,
# where they are the learner's emphasis and cannot make anything but <em> and <strong>.
# (The rest of Markdown's punctuation acts only at the start of a line: see `_guard_start`.)
_ENTITY = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
_ENTITY.update({c: f"&#{ord(c)};" for c in "\\`[]{}|$#*_!+-.~"})
_PLAIN_KEEPS = set("!+-.~")
_INLINE_KEEPS = _PLAIN_KEEPS | set("*_")
# What opens a block at the start of a line: a list item, a rule, a fence, an admonition.
_LEADING = re.compile(r"^(?:[-+*](?=\s|$)|([-*_=~!?])(?=\1\1)|\d{1,9}(?=[.)](?:\s|$)))")
PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
ALLOWED_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
# Characters a URL keeps as they are; the rest are percent-encoded, so no quote, space, pipe
# or bracket can end the attribute, the link or a table cell early. Square brackets, `$` and
# `*` are encoded too: Python-Markdown reads Markdown inside the HTML markup.py writes, so
# `https://x/[a](/onmouseover=alert(1)//)` in an href would become a link whose quotes end it.
_URL_SAFE = "!#%&()+,-./:;=?@_~"
_BREAK = re.compile(r"<br\s*/?>", re.I)
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^\s<>]*)>", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BREAK_MARK = "\ue000"  # a private-use character holds a <br> while the text is flattened
MAX_LINE = 20_000  # longer lines are shown as plain text: the parser stays linear in practice


# --- plain text ----------------------------------------------------------------------------


def plain(text: object) -> str:
    """Plain text as inert Markdown: one line, every active character a character reference."""
    return _guard_start(_encode(_one_line(str(text)), _PLAIN_KEEPS))


def _guard_start(text: str) -> str:
    """Text that will follow a list marker or a heading's #s must not open a block of its own."""
    match = _LEADING.match(text)
    if not match:
        return text
    if match.group().isdigit():
        end = match.end()
        return text[:end] + f"&#{ord(text[end])};" + text[end + 1:]
    return f"&#{ord(text[0])};" + text[1:]


def _encode(text: str, keep: set[str] = frozenset()) -> str:
    return "".join(c if c in keep else _ENTITY.get(c, c) for c in text)


def _one_line(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())


def attribute(text: object) -> str:
    """Text for an HTML attribute value quoted with double quotes (an image's alt text).

    As inert as `plain`: Python-Markdown reads Markdown inside raw HTML too, and a link it made
    inside the value would bring quotes that end the attribute. The browser decodes the
    character references, so the value reads as typed.
    """
    return _encode(_one_line(str(text)), _PLAIN_KEEPS)


def code(text: object, github: bool = False) -> str:
    """Text shown as inline code (a metric name, a file name), whatever characters it has."""
    if github:
        return _github_code(str(text))
    return f"<code>{_encode(_one_line(str(text)), _PLAIN_KEEPS)}</code>"


def _github_url(target: str) -> str:
    return target.replace("(", "%28").replace(")", "%29")


def _github_code(text: str) -> str:
    """Inline code for README.md as GitHub reads it: backticks, and `\\|` for a pipe (even there)."""
    text = _one_line(text).replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def yaml_string(text: object) -> str:
    """Plain text as a double-quoted YAML scalar for a page's front matter (its title).

    The text is `plain` first: MkDocs puts the title into the header, the navigation and the
    <title> element without escaping it.
    """
    return json.dumps(plain(text), ensure_ascii=False)


# --- URLs ----------------------------------------------------------------------------------


def safe_url(url: str) -> bool:
    """Whether a link may point here: http(s), mailto, or a relative path (no other scheme).

    Browsers drop tabs and newlines inside a URL, decode entities and read '\\' as '/', so
    `java\\tscript:`, `javascript&#58;` and `/\\host` are checked as what they become.
    """
    clean = re.sub(r"[\x00-\x20]", "", html.unescape(url)).replace("\\", "/")
    scheme = _SCHEME.match(clean)
    if scheme:
        return scheme.group(1).lower() in ALLOWED_SCHEMES
    return not clean.startswith("//")


def url(value: str) -> str | None:
    """An allowed URL made safe for an attribute, a Markdown link and a table cell; else None."""
    value = value.strip()
    if not value or not safe_url(value):
        return None
    return urllib.parse.quote(value, safe=_URL_SAFE)


def file_url(path: str) -> str:
    """A relative path to one of the site's files (a solution's name is the learner's choice)
    as a Markdown link target: all but letters, digits, `/` and `-._~` percent-encoded, so no
    backtick, bracket, parenthesis or space in a file name can end the link or start markup."""
    return urllib.parse.quote(path, safe="/")


def link(text: str, href: str | None, github: bool = False) -> str:
    """A link the templates write, with its text as plain text; just the text if no href."""
    target = url(href) if href else None
    label = plain(text)
    if not target:
        return label
    if github:  # README.md: a Markdown link, its URL free of ( ) and spaces
        return f"[{label}]({_github_url(target)})"
    return f'<a href="{html.escape(target)}">{label}</a>'


# --- the learner's Markdown ----------------------------------------------------------------


def inline(text: object, github: bool = False) -> str:
    """The learner's note as safe inline Markdown on one line.

    `github`: for README.md, where GitHub renders `$math$` itself and a `|` anywhere in a row,
    even inside math, ends a table cell.
    """
    marked = _BREAK.sub(_BREAK_MARK, str(text).replace(_BREAK_MARK, ""))
    line = _one_line(marked).replace(_BREAK_MARK, "<br>")
    if len(line) > MAX_LINE:
        return plain(line)
    return _Inline(line, github).render(links=True, leading=True)


def block(text: str, shift: int = 0) -> str:
    """A notebook's Markdown cell, headings moved `shift` levels down, made safe line by line."""
    lines = _CONTROL.sub("", text.replace("\t", "    ").replace("\r\n", "\n")).splitlines()
    refs = _references(lines)
    out: list[str] = []
    inside: list[str] | None = None  # the lines of an open fence or $$ block
    opener = language = ""
    for line in lines:
        if inside is not None:
            if line.strip() == opener == "$$":
                out += ["", _Inline("", False).math("\n".join(inside), display=True), ""]
                inside = None
            elif line.strip().startswith(opener) and set(line.strip()) == {opener[0]}:
                out += ["", fence("\n".join(inside), language or "text"), ""]
                inside = None
            else:
                inside.append(line)
        elif line.strip() == "$$":
            inside, opener = [], "$$"
        elif _FENCE.match(line):
            match = _FENCE.match(line)
            inside, opener, language = [], match.group(1), match.group(2)
        elif _REFERENCE.match(line):
            continue  # a link definition: its links were resolved where they are used
        else:
            out.append(_block_line(line, shift, refs))
    if inside is not None:  # never closed: what followed the opening is shown as code
        out += ["", fence("\n".join(inside), language or "text"), ""]
    return "\n".join(out)


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([A-Za-z0-9_+-]{0,30})")
_REFERENCE = re.compile(r"^ {0,3}\[([^\]]{1,200})\]:\s*<?(\S+?)>?(?:\s+.*)?$")
_STRUCTURE = re.compile(r"^((?: {0,12}(?:#{1,6}(?= |$)|>|[-*+](?= )|\d{1,9}[.)](?= ))[ ]?)*)")
# Matched on the stripped line (is_table_rule): with the spaces around the line's first pipe
# left in, two runs of spaces could share 60,000 of them any way, and matching took minutes.
_TABLE_RULE = re.compile(r"\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?")
_RULE = re.compile(r"^ {0,3}([-*_=])(\s*\1){2,}\s*$")


# `(url "title")`. Possessive (*+, ++): the runs of spaces before the URL, before the title and
# after it are each taken whole, or `(` and 20,000 spaces are tried every way (cubic).
_DESTINATION = re.compile(r"\(\s*+(?:<([^<>\n]*+)>|((?:[^\s()]|\([^\s()]*+\))*+))"
                          r"(?:\s++(?:\"[^\"]*+\"|'[^']*+'|\([^()]*+\)))?\s*+\)")


def is_table_rule(line: str) -> bool:
    """Whether `line` is a Markdown table's rule row (`|---|:--:|`), in time linear in it."""
    return _TABLE_RULE.fullmatch(line.strip()) is not None


def _references(lines: list[str]) -> dict[str, str]:
    refs = {}
    for line in lines:
        match = _REFERENCE.match(line)
        if match:
            refs[match.group(1).strip().lower()] = match.group(2)
    return refs


def fence(text: str, language: str = "") -> str:
    """A fenced code block that no backtick run inside `text` can close early."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{text.rstrip()}\n{ticks}"


def _block_line(line: str, shift: int, refs: dict[str, str]) -> str:
    if _RULE.match(line) or is_table_rule(line):
        return line.strip()  # a horizontal rule, a setext underline or a table's rule row
    prefix = _STRUCTURE.match(line).group(1)
    rest = line[len(prefix):]
    prefix = re.sub(r"#{1,6}", lambda m: "#" * min(6, len(m.group()) + shift), prefix)
    if len(rest) > MAX_LINE:
        return prefix + plain(rest)
    if "|" in rest and _unescaped_pipe(rest):
        cells = re.split(r"(?<!\\)\|", rest)
        text = "|".join(_Inline(c, False, refs).render(links=True) for c in cells)
    else:
        text = _Inline(rest.strip(), False, refs).render(links=True)
    # What follows the line's own structure must not open a block of its own: `!!! note` or
    # `??? x` would make an admonition or a <details> whose classes are the cell's words.
    return prefix + _guard_start(text)


def _unescaped_pipe(text: str) -> bool:
    return re.search(r"(?<!\\)\|", text) is not None


class _Inline:
    """A left-to-right reader of one line of the learner's Markdown.

    It knows backslash escapes, code spans, $math$ (and \\(..\\) / \\[..\\]), links, images,
    reference links, autolinks and <br>; everything else is text. Rules follow CommonMark where
    they matter (a code span closes on a run of as many backticks as it opened with).
    """

    def __init__(self, text: str, github: bool, refs: dict[str, str] | None = None):
        self.text = text
        self.github = github
        self.refs = refs or {}
        self._brackets: dict[int, int] | None = None  # each `[`'s closing `]`, made on first use

    def render(self, links: bool, leading: bool = False) -> str:
        text, out, i = self.text, [], 0
        while i < len(text):
            piece, i = self._token(i, links)
            out.append(piece)
        rendered = "".join(out)
        return _guard_start(rendered) if leading else rendered

    def _token(self, i: int, links: bool) -> tuple[str, int]:
        text, c = self.text, self.text[i]
        if c == "\\" and text[i + 1:i + 2] in ("(", "["):
            found = self._tex_delimited(i)
            if found:
                return found
        if c == "\\" and text[i + 1:i + 2] in PUNCTUATION and text[i + 1:i + 2]:
            return _ENTITY.get(text[i + 1], text[i + 1]), i + 2
        if c == "`":
            return self._code(i)
        if c == "$":
            found = self._dollar_math(i)
            if found:
                return found
        if links and (c == "[" or (c == "!" and text[i + 1:i + 2] == "[")):
            found = self._link(i)
            if found:
                return found
        if c == "<":
            return self._angle(i, links)
        if c in _ENTITY and c not in _INLINE_KEEPS:
            return _ENTITY[c], i + 1
        return c, i + 1

    # code and math

    def _code(self, i: int) -> tuple[str, int]:
        text = self.text
        run = len(text[i:]) - len(text[i:].lstrip("`"))
        ticks = "`" * run
        j = i + run
        while True:
            j = text.find(ticks, j)
            if j == -1:
                return _ENTITY["`"] * run, i + run
            end = j + run
            if text[end:end + 1] != "`":
                break
            j = end + len(text[end:]) - len(text[end:].lstrip("`"))
        content = text[i + run:j]
        if content.startswith(" ") and content.endswith(" ") and content.strip():
            content = content[1:-1]
        return (_github_code(content) if self.github else code(content)), j + run

    def _dollar_math(self, i: int) -> tuple[str, int] | None:
        text = self.text
        if text.startswith("$$", i):
            end = text.find("$$", i + 2)
            if end > i + 2:
                return self.math(text[i + 2:end], display=True), end + 2
            return None
        # $x$: no space just inside either dollar, and no digit right after the closing one,
        # so "costs $5 and $6" stays text.
        match = re.compile(r"\$(?=\S)((?:\\.|[^\\$])+?)(?<=\S)\$(?!\d)").match(text, i)
        if match:
            return self.math(match.group(1), display=False), match.end()
        return None

    def _tex_delimited(self, i: int) -> tuple[str, int] | None:
        close = "\\)" if self.text[i + 1] == "(" else "\\]"
        end = self.text.find(close, i + 2)
        if end == -1:
            return None
        return self.math(self.text[i + 2:end], display=close == "\\]"), end + 2

    def math(self, tex: str, display: bool) -> str:
        """Math as arithmatex would mark it, its TeX as text: the page's KaTeX typesets it."""
        if self.github:  # GitHub typesets $..$ itself; a pipe would end the table cell
            tex = tex.replace("|", r"\vert ").replace("<", r"\lt ").replace(">", r"\gt ")
            tex = tex.replace("$", r"\$")
            return f"$${tex}$$" if display else f"${tex}$"
        opening, closing = (r"\[", r"\]") if display else (r"\(", r"\)")
        return f'<span class="arithmatex">{_encode(opening + tex + closing)}</span>'

    # links

    def _link(self, i: int) -> tuple[str, int] | None:
        image = self.text[i] == "!"
        start = i + 1 if image else i
        close = self._closing_bracket(start)
        if close is None:
            return None
        label = self.text[start + 1:close]
        after = close + 1
        if self.text[after:after + 1] == "(":
            parsed = self._destination(after)
            if parsed is None:
                return None
            target, end = parsed
        else:  # a reference: [text][ref], [ref][] or [ref]
            ref_end = after
            ref = label
            if self.text[after:after + 1] == "[":
                ref_close = self._closing_bracket(after)
                if ref_close is None:
                    return None
                ref = self.text[after + 1:ref_close] or label
                ref_end = ref_close + 1
            target = self.refs.get(ref.strip().lower())
            if target is None:
                return None
            end = ref_end
        href = url(target)
        if href is None:  # a scheme that is not allowed: shown as the text it is
            return None
        if image:
            return f'<img src="{html.escape(href)}" alt="{attribute(label)}">', end
        inner = _Inline(label, self.github, self.refs).render(links=False)
        if self.github:  # README.md: a Markdown link, its URL free of ( ) | and spaces
            return f"[{inner}]({_github_url(href)})", end
        return f'<a href="{html.escape(href)}">{inner}</a>', end

    def _closing_bracket(self, i: int) -> int | None:
        """Where the `[` at `i` closes, nesting counted and `\\]` skipped; None if it never does."""
        if self._brackets is None:
            # Matched once for the whole line: scanning ahead from every `[` took quadratic
            # time, so a notebook line of 20,000 `[` took forty seconds.
            self._brackets, opened, j = {}, [], 0
            while j < len(self.text):
                c = self.text[j]
                if c == "\\":
                    j += 2
                    continue
                if c == "[":
                    opened.append(j)
                elif c == "]" and opened:
                    self._brackets[opened.pop()] = j
                j += 1
        return self._brackets.get(i)

    def _destination(self, i: int) -> tuple[str, int] | None:
        """The URL of `(url "title")` starting at `i`, and where the link ends."""
        match = _DESTINATION.match(self.text, i)
        if not match:
            return None
        target = match.group(1) if match.group(1) is not None else match.group(2)
        return target, match.end()

    def _angle(self, i: int, links: bool) -> tuple[str, int]:
        match = _BREAK.match(self.text, i)
        if match:
            return "<br>", match.end()
        match = _AUTOLINK.match(self.text, i)
        if match and links and url(match.group(1)):
            target = match.group(1)
            return f'<a href="{html.escape(url(target))}">{_encode(target)}</a>', match.end()
        return _ENTITY["<"], i + 1
