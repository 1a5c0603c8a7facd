"""The built site in headless Chromium, offline: table, math, images, search, theme toggle.

The site is the committed journal built once (nothing trains), served on localhost by
`python -m http.server`. Chromium resolves no host but localhost, and every request that
would leave it is recorded: the site must work on a train. (The screenshots for a person to
look at are test_site_visitor's.)
"""

from __future__ import annotations

import pytest

from tests.site_helpers import CHROMIUM, NO_CHROMIUM, OfflineTab

pytestmark = pytest.mark.browser

# A word from day 6's learnings ("a great ML observability tool") found nowhere in its task.
SEARCH_WORD, SEARCH_DAY = "observability", "day-06"

if not CHROMIUM.exists():
    pytest.skip(NO_CHROMIUM, allow_module_level=True)


class Tab(OfflineTab):
    """A desktop tab on the served site that also counts console errors."""

    def __init__(self, browser, base_url: str):
        super().__init__(browser, width=1400, console_errors=True)
        self.base_url = base_url

    def open(self, path: str):
        return super().open(self.base_url + path)


@pytest.fixture
def tab(browser, site_url):
    tab = Tab(browser, site_url)
    yield tab
    tab.close()


def _pages(seed) -> list[str]:
    """Every page of the site, as a URL path under its root ("" for the index)."""
    site = seed.root / "site"
    return sorted("" if p == site / "index.html" else p.relative_to(site).as_posix()
                  for p in site.rglob("*.html") if p.name != "404.html")


def test_days_page_shows_the_progress_table(tab, seed):
    _, report, _ = seed
    page = tab.open("days/index.html")
    table = page.locator("article table", has_text="Key Learnings")
    assert table.locator("tbody tr").count() == len(report.days) == 8
    assert table.locator(".jl-status.jl-passed").count() == 8


def test_day_1_math_is_typeset(tab):
    page = tab.open("days/day-01.html")
    page.wait_for_selector(".arithmatex .katex", timeout=5000)
    assert page.locator(".arithmatex .katex-html").count() >= 1
    assert "\\(" not in page.locator(".arithmatex").first.inner_text(), "delimiters left as text"


def test_every_page_loads_offline_with_images_and_no_console_errors(tab, seed):
    paths = _pages(seed)
    assert {"", "days/day-01.html", "days/day-08.html"} <= set(paths)
    for path in paths:
        page = tab.open(path)
        # Lazy images (the Review page's, inside closed answers) load when seen: ask for each now
        # and wait for it, so an image that does not load fails and one not yet seen does not.
        images = page.eval_on_selector_all("article img", """imgs => Promise.all(imgs.map(
            async i => { i.loading = 'eager'; try { await i.decode(); } catch (e) {}
                         return [i.getAttribute('src'), i.naturalWidth]; }))""")
        broken = [src for src, width in images if width == 0]
        assert not broken, f"{path}: images that did not load: {broken}"
        if path.startswith("days/day-"):
            assert images, f"{path} shows no figure"
    assert tab.errors == [], "console errors"
    assert tab.outside == [], "requests that left localhost"


def test_search_finds_a_day_by_a_word_from_its_learnings(tab, seed):
    entry = (seed.root / f"entries/{SEARCH_DAY}.yaml").read_text()
    assert SEARCH_WORD in entry.split("learnings:")[1].split("resources:")[0]
    page = tab.open("")
    page.wait_for_load_state("networkidle")  # the search worker has its index
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially(SEARCH_WORD, delay=30)  # keystrokes, as Material listens for them
    hit = page.locator(f".md-search-result__list a[href*='days/{SEARCH_DAY}.html'] mark").first
    hit.wait_for(timeout=10_000)
    assert hit.inner_text().lower() == SEARCH_WORD
    assert tab.errors == [] and tab.outside == []


def test_dark_light_toggle_switches_the_scheme(tab):
    page = tab.open("days/day-01.html")
    toggle = page.locator("form[data-md-component=palette] label:not([hidden])")
    assert page.get_attribute("body", "data-md-color-scheme") == "default"
    toggle.click()
    page.wait_for_function("document.body.dataset.mdColorScheme === 'slate'", timeout=5000)
    toggle.click()
    page.wait_for_function("document.body.dataset.mdColorScheme === 'default'", timeout=5000)
    assert tab.errors == [] and tab.outside == []
