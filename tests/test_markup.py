"""torchleet_journal/model/markup.py against hostile text, rendered the way the site renders it.

Each payload goes through one of markup's functions and then through Python-Markdown with
exactly the extensions and configs mkdocs.yml lists (read from it here, so a later change to
the site's configuration is covered). The HTML that comes out must hold no element or attribute
made from the text, no script URL, and still show the text as it was typed.
"""

from __future__ import annotations

import re

import markdown
import pytest
import yaml

from tests.helpers import REPO
from tests.html_scan import Page, attribute_problems, parse
from torchleet_journal.model import markup

# --- the site's Markdown, as mkdocs.yml configures it ---------------------------------------


class _ConfigLoader(yaml.SafeLoader):
    """mkdocs.yml may hold !!python/name or !ENV tags; their values do not matter here."""


_ConfigLoader.add_multi_constructor("", lambda loader, suffix, node: None)


@pytest.fixture(scope="module")
def md() -> markdown.Markdown:
    config = yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_ConfigLoader)
    names, configs = [], {}
    for item in config.get("markdown_extensions") or []:
        if isinstance(item, dict):
            for name, options in item.items():
                names.append(name)
                configs[name] = options or {}
        else:
            names.append(item)
    assert "attr_list" not in names and "md_in_html" not in names
    return markdown.Markdown(extensions=names, extension_configs=configs)


def html_of(md: markdown.Markdown, text: str) -> str:
    md.reset()
    return md.convert(text)


# --- what markup.py may write, and the structure Markdown adds around it ---------------------

INLINE_TAGS = {"p", "a", "img", "code", "span", "br", "em", "strong", "div"}
BLOCK_TAGS = INLINE_TAGS | {"h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote",
                            "table", "thead", "tbody", "tr", "th", "td", "pre", "div", "hr"}
PYGMENTS_CLASS = re.compile(r"^[a-z][a-z0-9]{0,3}$")
CODE_LINE_ANCHOR = re.compile(r"^#?__codelineno-\d+-\d+$")


def _allowed(element, block: bool) -> str | None:
    """Why this element could only have come from the text, or None when markup/structure made it."""
    tag, attrs = element.tag, element.attrs
    if tag not in (BLOCK_TAGS if block else INLINE_TAGS):
        return f"element <{tag}>"
    names = set(attrs)
    if tag == "a":
        if names == {"href"}:
            return None
        if block and attrs.get("class") == "headerlink" and names == {"class", "href", "title"}:
            return None if attrs["href"].startswith("#") else "headerlink off the page"
        if block and names == {"id", "name", "href"} and all(
                CODE_LINE_ANCHOR.match(attrs[n] or "") for n in names):
            return None
        return f"<a> with {sorted(names)}"
    if tag == "img":
        return None if names == {"src", "alt"} else f"<img> with {sorted(names)}"
    if tag in ("span", "div") and attrs == {"class": "arithmatex"}:
        return None  # math, as markup.py (or arithmatex, for README's $$) marks it
    if tag == "span":
        if attrs == {"class": "arithmatex"}:
            return None
        if "pre" in element.inside and (not attrs or names == {"class"} and PYGMENTS_CLASS.match(
                attrs["class"] or "")):
            return None
        return f"<span> with {attrs}"
    if tag in ("h1", "h2", "h3", "h4", "h5", "h6") and names <= {"id"}:
        return None if re.fullmatch(r"[\w-]*", attrs.get("id") or "") else f"heading id {attrs}"
    if tag == "ol" and names <= {"start"}:
        return None if (attrs.get("start") or "1").isdigit() else f"<ol> with {attrs}"
    if tag in ("th", "td") and names <= {"style"}:
        ok = re.fullmatch(r"text-align: (left|right|center);", attrs.get("style") or "")
        return None if ok or not names else f"<{tag}> with {attrs}"
    if tag == "div":
        ok = block and re.fullmatch(r"(language-[\w+-]+ )?highlight", attrs.get("class") or "")
        return None if ok and names == {"class"} else f"<div> with {attrs}"
    return None if not names else f"<{tag}> with {attrs}"


def problems(page: Page, block: bool = False) -> list[str]:
    found = attribute_problems(page)
    found += [why for e in page.elements if (why := _allowed(e, block))]
    found += [f"comment <!--{c}-->" for c in page.comments]
    return found


def visible(text: str) -> str:
    """What a browser shows of `text` on one line: whitespace runs as one space."""
    return " ".join(text.split())


# --- the corpus -----------------------------------------------------------------------------

RAW_HTML = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x OnErRoR=alert(1)>",
    "<img/src=x/onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<a href='javascript:alert(1)'>x</a>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "</p><script>alert(1)</script><p>",
    "<!-- x --><script>alert(1)</script>",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<div markdown=1 onclick=alert(1)>x</div>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "x < y > z & w",
    "<<script>alert(1)//<</script>",
    "<br onmouseover=alert(1)>",
    "<br/ onclick=alert(1)>",
]
ATTR_LIST = [
    "{: onclick=alert(1) }",
    '{: onclick="alert(1)" }',
    "{#id .cls onclick=alert(1)}",
    '{: href="javascript:alert(1)" }',
    "text {: .x onmouseover=alert(1) }",
    "*em*{: onclick=alert(1)}",
    "`code`{: onclick=alert(1)}",
    "[x](https://ok.example){: onclick=alert(1)}",
    "![x](https://ok.example/a.png){: onerror=alert(1)}",
    "$x$ {: onclick=alert(1)}",
]
CODE_AND_MATH = [
    "`a`<img src=x onerror=alert(1)>`",
    "``a ` <img src=x onerror=alert(1)> ``",
    "`<img src=x onerror=alert(1)>`",
    "```<script>alert(1)</script>```",
    "`unclosed <b>bold</b>",
    "``` still open",
    "$<img src=x onerror=alert(1)>$",
    "$$<script>alert(1)</script>$$",
    r"\(<img src=x onerror=alert(1)>\)",
    r"\[<svg onload=alert(1)>\]",
    "$x$<img src=x onerror=alert(1)>$y$",
    "costs $5 and <b>$6</b>",
    "$a` <img src=x onerror=alert(1)> `b$",
    "`$x$` and $`y`$",
    r"$\href{javascript:alert(1)}{click}$",
    "$ unbalanced <i>",
    r"\(never closed <svg onload=alert(1)>",
    "`a|b` $c|d$ e|f",
]
LINKS = [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](<javascript:alert(1)>)",
    "[x](java\tscript:alert(1))",
    "[x](java&#10;script:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript&#58;alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](//evil.example/)",
    "[x](/\\evil.example/)",
    "[x](\\\\evil.example/)",
    "[x](\\javascript:alert(1))",
    "[x](%6Aavascript:alert(1))",
    '[x](https://ok.example "title" onmouseover=alert(1))',
    '[x](https://ok.example "a\\" onmouseover="alert(1)")',
    "[x](https://ok.example/\"onmouseover=\"alert(1))",
    "[x](https://ok.example/'onmouseover='alert(1))",
    "[x](https://ok.example/><script>alert(1)</script>)",
    "[x](https://ok.example/) onmouseover=alert(1)",
    "[x](https://ok.example/a b <img src=x onerror=alert(1)>)",
    "[<img src=x onerror=alert(1)>](https://ok.example/)",
    "[[nested](javascript:alert(1))](https://ok.example/)",
    "[x](https://ok.example/(javascript:alert(1)))",
    "[x](https://ok.example/)](javascript:alert(1))",
    "[x][r]\n[r]: javascript:alert(1)",
    "[r]: javascript:alert(1)",
    "[x][]",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<https://ok.example/\"onmouseover=\"alert(1)>",
    "<mailto:a@b.example?body=<script>>",
    "<data:text/html,<script>alert(1)</script>>",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    '![x" onerror="alert(1)](https://ok.example/a.png)',
    "![x](https://ok.example/a.png\" onerror=\"alert(1))",
    "[x](https://ok.example/a|b)",
    "[x](mailto:a@b.example)",
    "\\[x\\](javascript:alert(1))",
    # Markdown inside an allowed URL: Python-Markdown reads it inside the href markup.py wrote.
    "https://ok.example/[a](/onmouseover=alert(1)//)",
    "[x](https://ok.example/[a](/onmouseover=alert(1)//))",
    "![[a](/onmouseover=alert(1)//)](https://ok.example/a.png)",
    "<https://ok.example/[a](/onmouseover=alert(1)//)>",
    "[x](https://ok.example/![a](/onerror=alert(1)//))",
    "[x](https://ok.example/$a$b)",
    "[x](https://ok.example/*a*_b_)",
    "[x](https://ok.example/&quot;onmouseover=alert(1))",
    "[x\\](javascript:alert(1))",
]
STRUCTURE = [
    "<!-- progress:end -->",
    "<!-- progress:start -->",
    "---",
    "--- \ntitle: evil\n---",
    "# heading",
    "## {#id onclick=x}",
    "> quote",
    "- item",
    "1. item",
    "* * *",
    "=== tab",
    "!!! danger",
    "!!! danger onclick",
    "??? note",
    "???+ note open",
    "    indented code",
    "~~~ fence",
    "| a | b |",
    "|---|---|",
    "a | b\n---|---\n<b>x</b> | y",
    "trailing backslash \\",
    "line one\nline two\r\nline three",
    "tab\tand\x00nul\x1b[31mesc\x7fdel",
    "[TOC]",
    "&amp; &#38; &nbsp; &unknown;",
    "a\\\\b \\* \\_ \\` \\$ \\< \\& \\| \\{ \\}",
    "*em* _em_ **strong** __strong__ ***both***",
    "~~strike~~ ^^sup^^ ==mark==",
    "\u202eevil\u202c \u2066isolate\u2069",
    "x" * 25_000 + "<img src=x onerror=alert(1)>",
    "<br>line<br/>break<BR >",
]
PAYLOADS = RAW_HTML + ATTR_LIST + CODE_AND_MATH + LINKS + STRUCTURE


def _id(text: str) -> str:
    return repr(text[:40])


# --- every payload through every function --------------------------------------------------

FUNCTIONS = {
    "plain": lambda t: markup.plain(t),
    "inline": lambda t: markup.inline(t),
    "inline-github": lambda t: markup.inline(t, github=True),
    "code": lambda t: markup.code(t),
    "code-github": lambda t: markup.code(t, github=True),
    "link-text": lambda t: markup.link(t, "https://ok.example/"),
    "link-href": lambda t: markup.link("label", t),
    "block": lambda t: markup.block(t, 2),
    "yaml_string-title": lambda t: markup.yaml_string(t)[1:-1],
}


def test_the_corpus_is_large_and_distinct():
    assert len(set(PAYLOADS)) == len(PAYLOADS) >= 100


@pytest.mark.parametrize("payload", PAYLOADS, ids=_id)
def test_no_element_attribute_or_script_url_comes_from_the_text(md, payload):
    found = {}
    for name, function in FUNCTIONS.items():
        written = function(payload)
        why = problems(parse(html_of(md, written)), block=name == "block")
        if why:
            found[name] = (why, written)
    assert found == {}


@pytest.mark.parametrize("payload", PAYLOADS, ids=_id)
def test_a_refused_url_leaves_no_link(md, payload):
    page = parse(html_of(md, markup.link("label", payload)))
    hrefs = [e.attrs.get("href") for e in page.elements if e.tag == "a"]
    assert all(markup.safe_url(h) for h in hrefs)


# --- plain text shows as typed -------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS, ids=_id)
def test_plain_text_shows_exactly_as_typed(md, payload):
    page = parse(html_of(md, markup.plain(payload)))
    typed = visible(re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", " ", payload))
    assert visible(page.visible) == typed
    assert {e.tag for e in page.elements} <= {"p"}


@pytest.mark.parametrize("payload", PAYLOADS, ids=_id)
def test_a_page_title_is_plain_text_in_yaml(md, payload):
    """The front matter title is a YAML string whose value shows as typed once rendered."""
    value = yaml.safe_load(markup.yaml_string(payload))
    assert isinstance(value, str) and "\n" not in value
    assert visible(parse(html_of(md, value)).visible) == visible(
        re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", " ", payload))


@pytest.mark.parametrize("payload", PAYLOADS, ids=_id)
def test_code_shows_its_content(md, payload):
    page = parse(html_of(md, markup.code(payload)))
    assert [e.tag for e in page.elements] == ["p", "code"]
    shown = visible(re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", " ", payload))
    assert visible(page.visible) == shown


# The learner's notes without any Markdown: shown exactly as typed.
LITERAL_NOTES = [
    "x < y > z & w", "a 'quoted' \"word\"", "{braces} and [brackets]", "#hash at start",
    "50% of 2 * 3", "path\\to\\file", "a|b|c", "<!-- progress:end -->", "1. not a list",
    "- not a list either", "!!! not an admonition", "&amp; stays &amp;", "{: onclick=x }",
    "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "<javascript:alert(1)>",
    "costs $5 and $6", "see [this] and [that]",
]


@pytest.mark.parametrize("note", LITERAL_NOTES, ids=_id)
def test_notes_without_markdown_show_as_typed(md, note):
    page = parse(html_of(md, markup.inline(note)))
    assert visible(page.visible) == visible(note)
    assert {e.tag for e in page.elements} <= {"p"}


def test_the_learners_markdown_keeps_its_meaning(md):
    page = parse(html_of(md, markup.inline(
        "Use `nn.Conv2d(<in>, out)` and $x^2 < y$, *see* [docs](https://pytorch.org/docs/?a=1&b=2)")))
    codes = [e for e in page.elements if e.tag == "code"]
    assert len(codes) == 1 and "nn.Conv2d(<in>, out)" in page.visible
    assert "\\(x^2 < y\\)" in page.visible
    links = [e.attrs["href"] for e in page.elements if e.tag == "a"]
    assert links == ["https://pytorch.org/docs/?a=1&b=2"]
    assert [e.tag for e in page.elements].count("em") == 1


@pytest.mark.parametrize("href", ["https://pytorch.org/docs/stable/nn.html#torch.nn.Conv2d",
                                  "http://example.org/a_(b)", "mailto:me@example.org",
                                  "../day-01/", "notes/file.md", "#section"])
def test_a_safe_link_keeps_its_href(md, href):
    for written in (markup.link("label", href), markup.inline(f"[label]({href})")):
        page = parse(html_of(md, written))
        assert [e.attrs["href"] for e in page.elements if e.tag == "a"] == [href]
        assert visible(page.visible) == "label"


def test_a_reference_link_in_a_notebook_cell_resolves_only_to_an_allowed_url(md):
    cell = ("[good][a] and [bad][b] and [c]\n\n[a]: https://ok.example/\n"
            "[b]: javascript:alert(1)\n[c]: <data:text/html,x>")
    page = parse(html_of(md, markup.block(cell)))
    assert [e.attrs["href"] for e in page.elements if e.tag == "a"] == ["https://ok.example/"]
    assert "[bad][b]" in page.visible and "[c]" in page.visible


# --- notebook cells: block structure kept, never an element from the text -----------------

CELLS = [
    "# Title <img src=x onerror=alert(1)>\n\nText with [x](javascript:alert(1)).",
    "## {#id .cls onclick=alert(1)}\n### Heading {: onclick=x}",
    "```html\n<script>alert(1)</script>\n```\n<script>alert(2)</script>",
    "```\nclosed by `` ` `` only?\n````\n<img src=x onerror=alert(1)>",
    "````\n```\n</code></pre><script>alert(1)</script>\n```\n````",
    "~~~js title=\"<img src=x onerror=alert(1)>\" onclick=x\nx\n~~~",
    "```js {: onclick=x}\nx\n```",
    "```\nnever closed <script>alert(1)</script>",
    "$$\n<img src=x onerror=alert(1)>\n$$",
    "$$\n\\href{javascript:alert(1)}{x}\n$$\n$$ unclosed <svg onload=alert(1)>",
    "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |",
    "| `a|b` | $c|d$ |\n|:-|-:|\n| x | y |",
    "| {: onclick=x} | ok |\n| --- | --- |",
    "[r]: javascript:alert(1)\n\n[x][r] [r] [r][]",
    "[r]: https://ok.example/ \"title\" onclick=x\n\n[x][r]",
    "[ R ]: https://ok.example/\n\n[x][r]",
    "[r]: https://ok.example/[a](/onmouseover=alert(1)//)\n\n[see][r] ![img][r]",
    "> !!! danger onclick\n> ??? note",
    "!!! note\n    <img src=x onerror=alert(1)>",
    "???+ danger \"<b>\"\n    body",
    "- item <b>\n    - nested [x](javascript:alert(1))\n1. one\n2) two <script>",
    "    <script>indented code</script>",
    "Setext <b>\n===\n\nAnother\n---",
    "<!-- progress:end -->\n<div onclick=alert(1)>\n\nmarkdown</div>",
    "line with trailing backslash\\\nnext line",
    "<details open ontoggle=alert(1)><summary>x</summary></details>",
    "\t\tindented by tabs <b>",
    "a\r\nb\rc\x00d\x1be",
    "* * *\n___\n- - -",
    "# " + "h" * 30_000,
    "[" * 19_999 + "\n" + "[" * 19_000 + "](javascript:alert(1))",  # (quadratic once: 40 s a line)
    "[x](https://ok.example/)\n[TOC]",
]


@pytest.mark.parametrize("cell", CELLS, ids=_id)
def test_a_notebook_cell_makes_no_element_from_its_text(md, cell):
    for shift in (0, 2):
        page = parse(html_of(md, markup.block(cell, shift)))
        assert problems(page, block=True) == []


def test_notebook_cells_keep_their_structure(md):
    cell = ("# Title\n\nSome *text* with `code`.\n\n- one\n- two\n\n| a | b |\n|---|---|\n"
            "| 1 | 2 |\n\n```python\nprint('<b>')\n```\n\n$$\nx^2\n$$\n\n> quoted")
    page = parse(html_of(md, markup.block(cell, 2)))
    tags = {e.tag for e in page.elements}
    assert {"h3", "em", "code", "ul", "li", "table", "td", "pre", "span", "blockquote"} <= tags
    assert "print('<b>')" in page.visible and "\\[x^2\\]" in page.visible


def test_admonition_markers_in_a_cell_stay_text(md):
    page = parse(html_of(md, markup.block("!!! danger onclick\n??? note\n> !!! tip", 0)))
    assert "!!! danger onclick" in page.visible and "??? note" in page.visible
    assert not any(e.tag in ("details", "div") for e in page.elements)


# --- README.md as GitHub reads it: a pipe anywhere ends a table cell -----------------------


def unescaped_pipes(text: str) -> int:
    """Cell separators as GitHub's table scanner counts them: `|` not right after a `\\`."""
    return len(re.findall(r"(?<!\\)\|", text))


@pytest.mark.parametrize("payload", PAYLOADS, ids=_id)
def test_github_cells_never_end_early(payload):
    for written in (markup.inline(payload, github=True), markup.code(payload, github=True),
                    markup.plain(payload), markup.link(payload, "https://ok.example/a|b", True),
                    markup.link("x", payload, github=True)):
        assert unescaped_pipes(written) == 0, written
        assert "\n" not in written
