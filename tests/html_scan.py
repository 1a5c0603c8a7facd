"""Reading generated HTML as a browser would: which elements, attributes and URLs it has.

Shared by the markup unit tests and the hostile-input build, so both judge a page by one rule:
no event handler, no script URL, nothing the templates or torchleet_journal/model/markup.py did not write.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

# Attributes a browser reads as a URL (srcset and style can hold one too).
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "background",
                  "data", "srcset", "cite", "manifest", "ping"}
# Attributes whose value is the page's words, which may mention a scheme as text. (A URL
# attribute is judged by its scheme: `a/javascript:x` is a harmless relative path.)
TEXT_ATTRIBUTES = {"alt", "title", "aria-label", "content", "placeholder", "value"}
ALLOWED_SCHEMES = ("http", "https", "mailto")
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    inside: tuple[str, ...]  # the open elements around it, outermost first


class Page(HTMLParser):
    """One HTML document, read into its elements, its visible text, comments and scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.text: list[str] = []
        self.comments: list[str] = []
        self.scripts: list[str] = []  # inline script bodies
        self._open: list[str] = []

    VOID = {"br", "img", "hr", "meta", "link", "input", "source", "wbr", "area", "base", "col",
            "embed", "param", "track"}

    def handle_starttag(self, tag, attrs):
        self.elements.append(Element(tag, dict(attrs), tuple(self._open)))
        if tag not in self.VOID:
            self._open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.elements.append(Element(tag, dict(attrs), tuple(self._open)))

    def handle_endtag(self, tag):
        if tag in self._open:
            while self._open and self._open.pop() != tag:
                pass

    def handle_data(self, data):
        if self._open and self._open[-1] == "script":
            self.scripts.append(data)
        elif not (self._open and self._open[-1] == "style"):
            self.text.append(data)

    def handle_comment(self, data):
        self.comments.append(data)

    @property
    def visible(self) -> str:
        return "".join(self.text)


def parse(markup: str) -> Page:
    page = Page()
    page.feed(markup)
    page.close()
    return page


def squeezed(value: str) -> str:
    """A value as a URL parser reads it: entities decoded, ASCII whitespace and controls gone."""
    return re.sub(r"[\x00-\x20\x7f]", "", html.unescape(value)).lower()


def url_problem(value: str) -> str | None:
    """Why a URL attribute's value is not an allowed link, or None."""
    clean = squeezed(value).replace("\\", "/")
    scheme = _SCHEME.match(clean)
    if scheme and scheme.group(1) not in ALLOWED_SCHEMES:
        return f"scheme {scheme.group(1)!r}"
    if clean.startswith("//"):
        return "protocol-relative host"
    return None


def attribute_problems(page: Page) -> list[str]:
    """Event handlers, script URLs anywhere in an attribute, links with other schemes."""
    problems = []
    for element in page.elements:
        for name, value in element.attrs.items():
            where = f"<{element.tag} {name}={value!r}>"
            if name.startswith("on"):
                problems.append(f"event handler {where}")
            if value is None:
                continue
            if name in URL_ATTRIBUTES:
                why = url_problem(value)
                if why:
                    problems.append(f"{why} in {where}")
            elif name not in TEXT_ATTRIBUTES and any(s in squeezed(value) for s in BAD_SCHEMES):
                problems.append(f"script URL in {where}")
            if name == "style" and "url(" in squeezed(value):
                problems.append(f"url() in style {where}")
    return problems
