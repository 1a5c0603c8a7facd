"""A card's back (`torchleet_journal.review.card_back`) as HTML: for the site's Review page and the Anki deck.

Both show the same parts in the same order; they differ only in how code is coloured (the
site's theme styles Pygments' classes, Anki has no such stylesheet, so styles are inline),
where the figure is, and how a learning's Markdown becomes HTML. Everything from the journal
is escaped here: code by Pygments, file names and titles by `markup.plain`, URLs by
`markup.link`'s scheme allowlist, so no element or attribute comes from a learner's text.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from pathlib import Path

from torchleet_journal.base.source_cache import read_each
from torchleet_journal.model import markup
from torchleet_journal.review.card_back import Back, Excerpt


def back_html(back: Back, figure: str | None, note: Callable[[str], str],
              code: dict[Excerpt, str]) -> str:
    """The back as one block of HTML. `figure`: the image's URL (None: no figure shown);
    `note`: a learning's Markdown as HTML; `code`: each excerpt as `highlighted` made it."""
    parts = [code[excerpt] for excerpt in back.code]
    if back.docs:
        parts.append(_links("Docs", [markup.link(d.title, d.url) for d in back.docs]))
    if back.resources:
        parts.append(_links("Read", [markup.link(r.title, r.url) for r in back.resources]))
    if back.learnings:
        parts.append(_links("Learnt", [note(text) for text in back.learnings]))
    if figure:
        parts.append(f'<p><img src="{markup.attribute(figure)}" alt="" loading="lazy"></p>')
    return "".join(parts)


def highlighted(root: Path, backs: Iterable[Back], inline_styles: bool) -> dict[Excerpt, str]:
    """Each excerpt of `backs` as highlighted HTML. Pygments takes milliseconds an excerpt, at
    every build for every card: what it made is kept in .journal/ by the excerpt's text."""
    excerpts = {excerpt: (json.dumps([excerpt.where, excerpt.first, excerpt.lines, excerpt.hits]),
                          inline_styles) for back in backs for excerpt in back.code}
    name = "card-code-anki" if inline_styles else "card-code-site"
    return read_each(root, name, _pygments_version(), excerpts,
                     lambda text, inline: _code(Excerpt(*_tuples(json.loads(text))), inline),
                     lambda html: isinstance(html, str))


def _tuples(fields: list) -> list:
    return [tuple(f) if isinstance(f, list) else f for f in fields]


def _pygments_version() -> str:
    from importlib.metadata import version

    return f"pygments-{version('pygments')}-1"


def _links(title: str, items: list[str]) -> str:
    return f"<p><b>{title}</b></p><ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def _code(excerpt: Excerpt, inline_styles: bool) -> str:
    """An excerpt with its line numbers, the lines that use the gap's names highlighted."""
    from pygments import highlight

    marked = [number - excerpt.first + 1 for number in excerpt.hits]
    formatter = _formatter(inline_styles)(linenostart=excerpt.first, hl_lines=marked)
    code = highlight("\n".join(excerpt.lines) + "\n", _lexer(), formatter)
    return f'<p class="jl-back-where"><code>{markup.plain(excerpt.where)}</code></p>{code}'


@functools.cache
def _lexer():
    from pygments.lexers import PythonLexer

    return PythonLexer(stripnl=False)  # an excerpt may start on a blank line: keep its number


def _formatter(inline_styles: bool) -> Callable:
    from pygments.formatters import HtmlFormatter

    return functools.partial(HtmlFormatter, linenos="inline", cssclass="highlight",
                             wrapcode=True, noclasses=inline_styles)
