"""A card's back (`journal.card_back`) as HTML: for the site's Review page and the Anki deck.

Both show the same parts in the same order; they differ only in how code is coloured (the
site's theme styles Pygments' classes, Anki has no such stylesheet, so styles are inline),
where the figure is, and how a learning's Markdown becomes HTML. Everything from the journal
is escaped here: code by Pygments, file names and titles by `markup.plain`, URLs by
`markup.link`'s scheme allowlist, so no element or attribute comes from a learner's text.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from . import markup
from .card_back import Back, Excerpt


def back_html(back: Back, figure: str | None, note: Callable[[str], str],
              inline_styles: bool = False) -> str:
    """The back as one block of HTML. `figure`: the image's URL (None: no figure shown);
    `note`: a learning's Markdown as HTML."""
    parts = [_code(excerpt, inline_styles) for excerpt in back.code]
    if back.docs:
        parts.append(_links("Docs", [markup.link(d.title, d.url) for d in back.docs]))
    if back.resources:
        parts.append(_links("Read", [markup.link(r.title, r.url) for r in back.resources]))
    if back.learnings:
        parts.append(_links("Learnt", [note(text) for text in back.learnings]))
    if figure:
        parts.append(f'<p><img src="{markup.attribute(figure)}" alt="" loading="lazy"></p>')
    return "".join(parts)


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
