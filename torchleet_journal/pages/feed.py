"""The Atom feed: one entry per day, newest first, for readers who follow the journal.

Written as XML by `xml.etree`, which escapes every piece of text; the day's task and gaps go in
as HTML made by `markup`, so the feed shows what the day page shows.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from torchleet_journal.model import markup
from torchleet_journal.model.siteconfig import SiteConfig, page_url

ATOM = "http://www.w3.org/2005/Atom"
FEED = "feed.xml"
# Characters XML 1.0 cannot hold at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def day_url(site_url: str, entry) -> str:
    """A day's page under the site's address."""
    return page_url(f"days/{entry.slug}.md", site_url)


def atom(entries: list, config: SiteConfig) -> str | None:
    """The feed's XML, or None when mkdocs.yml has no site_url to make its links absolute."""
    if not config.site_url:
        return None
    entries = sorted(entries, key=lambda e: (e.date, e.day), reverse=True)
    title = config.site_name or "Journal"
    feed = ET.Element("feed", xmlns=ATOM)
    _text(feed, "title", title)
    _text(feed, "id", config.site_url)
    ET.SubElement(feed, "link", rel="self", href=f"{config.site_url}{FEED}",
                  type="application/atom+xml")
    ET.SubElement(feed, "link", rel="alternate", href=config.site_url, type="text/html")
    _text(feed, "updated", _stamp(entries[0].date) if entries else "1970-01-01T00:00:00Z")
    author = ET.SubElement(feed, "author")
    _text(author, "name", config.site_author or title)
    _text(feed, "generator", "TorchLeet journal build.py")
    for entry in entries:
        url = day_url(config.site_url, entry)
        item = ET.SubElement(feed, "entry")
        _text(item, "title", f"Day {entry.day}: {entry.task}")
        _text(item, "id", url)
        ET.SubElement(item, "link", rel="alternate", href=url, type="text/html")
        _text(item, "published", _stamp(entry.date))
        _text(item, "updated", _stamp(entry.date))
        _text(item, "summary", entry.task)
        _text(item, "content", _content(entry), type="html")
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def _content(entry) -> str:
    """The day as HTML: its task, then its gaps (the learner's Markdown, made safe by markup)."""
    html = f"<p>{markup.plain(entry.task)}</p>"
    if entry.gaps:
        items = "".join(f"<li>{markup.inline(gap)}</li>" for gap in entry.gaps)
        html += f"<p>Gaps:</p><ul>{items}</ul>"
    return html


def _text(parent: ET.Element, tag: str, text: str, **attributes) -> ET.Element:
    element = ET.SubElement(parent, tag, **attributes)
    element.text = _NOT_XML.sub("", text)
    return element


def _stamp(date: dt.date) -> str:
    return f"{date.isoformat()}T00:00:00Z"
