"""The Atom feed: one entry per day, newest first, linking under site_url, in every page's head."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from tests.helpers import REPO
from torchleet_journal.model.entries import Entry
from torchleet_journal.model.siteconfig import SiteConfig, read_config
from torchleet_journal.pages import feed

A = "{http://www.w3.org/2005/Atom}"


def test_seed_feed_is_atom_with_eight_entries_newest_first(seed):
    site_url = read_config(seed.root).site_url
    assert site_url and site_url.startswith("https://")
    tree = ET.parse(seed.root / "site/feed.xml").getroot()
    assert tree.tag == f"{A}feed"
    for required in ("id", "title", "updated", "author"):
        assert tree.find(f"{A}{required}") is not None, required
    entries = tree.findall(f"{A}entry")
    assert len(entries) == 8
    dates = [e.find(f"{A}updated").text for e in entries]
    assert dates == sorted(dates, reverse=True)
    links = [e.find(f"{A}link").get("href") for e in entries]
    assert links == [f"{site_url}days/day-{n:02d}.html" for n in range(8, 0, -1)]
    for link in links:  # each a page the site has
        assert (seed.root / "site" / link.removeprefix(site_url)).is_file()
    day8 = entries[0]
    assert day8.find(f"{A}title").text == "Day 8: Implement a LSTM Model"
    assert day8.find(f"{A}content").get("type") == "html"
    assert "<li>hidden states</li>" in day8.find(f"{A}content").text


def test_every_page_advertises_the_feed(seed):
    pages = sorted(p for p in (seed.root / "site").rglob("*.html") if p.name != "404.html")
    assert len(pages) >= 12
    for page in pages:
        assert '<link rel="alternate" type="application/atom+xml"' in page.read_text(), page


def entry(day: int, task: str, gaps=()) -> Entry:
    return Entry(day, dt.date(2025, 3, day), task, f"solutions/day{day:02d}.py",
                 f"entries/day-{day:02d}.yaml", gaps=tuple(gaps))


def test_outside_text_is_escaped_text_never_markup():
    config = SiteConfig("A <b>&</b> journal", "https://me.github.io/j/", "Ann \"O'Neil\"")
    xml = feed.atom([entry(1, "Tasks <script>alert(1)</script> & ]]>\x0b"),
                     entry(2, "Two", gaps=["`a<b` and <img src=x onerror=alert(1)>",
                                           "[x](javascript:alert(1))"])], config)
    tree = ET.fromstring(xml)  # parses: nothing broke out of its element
    assert tree.find(f"{A}title").text == "A <b>&</b> journal"
    assert tree.find(f"{A}author/{A}name").text == "Ann \"O'Neil\""
    first, second = tree.findall(f"{A}entry")
    assert first.find(f"{A}title").text == "Day 2: Two"
    assert second.find(f"{A}title").text == "Day 1: Tasks <script>alert(1)</script> & ]]>"
    assert "<script" not in second.find(f"{A}content").text  # HTML content: the tag is text
    html = first.find(f"{A}content").text
    assert "<code>a&lt;b</code>" in html
    assert "<img" not in html and "href" not in html  # the javascript: link stays text


def test_no_site_url_no_feed(tmp_path):
    (tmp_path / "mkdocs.yml").write_text("site_name: x\nmarkdown_extensions:\n"
                                         "  - pymdownx.emoji:\n"
                                         "      emoji_index: !!python/name:material.extensions."
                                         "emoji.twemoji\n")
    config = read_config(tmp_path)
    assert (config.site_name, config.site_url) == ("x", None)
    assert feed.atom([entry(1, "One")], config) is None
    assert read_config(REPO).site_url.endswith("/")
