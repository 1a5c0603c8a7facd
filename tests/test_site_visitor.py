"""The site as a visitor meets it, in headless Chromium with the network blocked.

- axe-core finds no serious or critical accessibility problem on any page, light or dark;
- the home page is a gallery: a card per day with its thumbnail, linking to the day, and
  nothing wider than a 390 px phone;
- site/ opened from disk (file://) navigates from a card to its day, and searches;
- a day page links to the days before and after it and its tags to the tags page;
- a fresh build's figures carry at least 1.5 pixels per displayed pixel (sharp on 2x screens);
- an old journal shows no running streak.

The seed journal is built once and served on localhost (`site_url`) or read from disk;
screenshots of home, a day and TorchLeet at 1280 and 390 px, light and dark, go to
artifacts/screenshots/ for a person (and CI's artifacts) to look at.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.helpers import REPO, make_journal
from tests.site_helpers import CHROMIUM, NO_CHROMIUM, OfflineTab
from torchleet_journal.build.pipeline import Options, build

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "artifacts" / "screenshots"
PHONE, DESKTOP = 390, 1280
SCHEMES = ("light", "dark")
SERIOUS = ("serious", "critical")

if not CHROMIUM.exists():
    pytest.skip(NO_CHROMIUM, allow_module_level=True)


@pytest.fixture
def visitor(browser):
    made: list[OfflineTab] = []

    def make(width: int = DESKTOP, scheme: str = "light") -> OfflineTab:
        made.append(OfflineTab(browser, width, scheme))
        return made[-1]

    yield make
    for v in made:
        assert v.outside == [], f"requests that left the machine: {v.outside}"
        assert v.errors == [], f"script errors: {v.errors}"
        v.close()


def pages_of(root: Path) -> list[str]:
    site = root / "site"
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if p.name != "404.html")


# --- accessibility -------------------------------------------------------------------------

# One highlighted token of each kind (class, and whether it sits on a highlighted line): the
# colours axe must check in a code block. A day's listing has thousands of tokens of a few
# dozen kinds, and checking each one took axe 3 s a page.
MARK_TOKEN_KINDS = """() => {
  const seen = new Set();
  for (const span of document.querySelectorAll('.highlight code span[class]')) {
    const kind = span.className + (span.closest('.hll') ? ' on-hll' : '');
    if (!seen.has(kind)) { seen.add(kind); span.setAttribute('data-axe-token', ''); }
  }
  return seen.size;
}"""


def axe_violations(axe, page) -> list[dict]:
    """axe-core's violations on the page: everything outside code blocks, and inside them one
    token of each kind."""
    page.evaluate(axe.axe_script)  # once a page: parsing axe costs as much as a run
    run = "([context, options]) => axe.run(context, options).then(found => found.violations)"
    options = {"resultTypes": ["violations"]}
    violations = page.evaluate(run, [{"exclude": [[".highlight code"]]}, options])
    if page.evaluate(MARK_TOKEN_KINDS):
        only_colours = {**options, "runOnly": ["color-contrast"]}
        violations += page.evaluate(run, [{"include": [["[data-axe-token]"]]}, only_colours])
    return violations


@pytest.mark.parametrize("scheme", SCHEMES)
def test_axe_finds_no_serious_violation_on_any_page(visitor, seed, site_url, scheme):
    from axe_playwright_python.sync_playwright import Axe

    axe, found = Axe(), {}
    tab = visitor(scheme=scheme)
    pages = pages_of(seed.root)
    assert len(pages) >= 14, pages  # home, days, TorchLeet, gaps, tags, times and eight days
    for path in pages:
        page = tab.open(site_url + path)
        want = "slate" if scheme == "dark" else "default"
        assert page.get_attribute("body", "data-md-color-scheme") == want
        serious = [f"{v['id']} ({len(v['nodes'])}): {v['nodes'][0]['target']}"
                   for v in axe_violations(axe, page) if v["impact"] in SERIOUS]
        if serious:
            found[path] = serious
    assert found == {}


# --- the home page -------------------------------------------------------------------------


def test_home_has_a_thumbnail_card_per_day_linking_to_it(visitor, seed, site_url):
    _, report, _ = seed
    page = visitor().open(site_url)
    cards = page.locator("article.jl-card")
    assert cards.count() == len(report.days) == 8
    for i in range(cards.count()):
        card = cards.nth(i)
        image = card.locator("img.jl-card-image")
        assert image.evaluate("i => i.complete && i.naturalWidth > 0"), f"card {i}: no thumbnail"
        href = card.locator(".jl-card-title a").get_attribute("href")
        assert href == f"days/day-{8 - i:02d}.html", "newest first, each to its own day"
    # The title's link covers the card: a click on the picture opens the day.
    box = cards.first.locator("img").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url("**/days/day-08.html")


def test_home_fits_a_phone_without_sideways_scrolling(visitor, site_url):
    page = visitor(width=PHONE).open(site_url)
    wide = page.evaluate("""() => [...document.querySelectorAll('.md-content *')]
        .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
        .map(e => e.tagName + '.' + e.className)""")
    assert wide == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE


def test_the_progress_table_stacks_its_rows_on_a_phone(visitor, site_url):
    page = visitor(width=PHONE).open(site_url + "days/index.html")
    assert page.locator("article table tbody tr").count() == 8
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    widths = page.eval_on_selector_all("article table td", "tds => tds.map(t => t.offsetWidth)")
    assert max(widths) <= PHONE, "a cell wider than the phone"


def test_no_running_streak_when_the_last_entry_is_old(visitor, seed, site_url):
    _, report, _ = seed
    last = max(d.entry.date for d in report.days)
    page = visitor().open(site_url)
    current = page.locator(".jl-stat-current .jl-stat-value").inner_text()
    assert (dt.date.today() - last).days > 1, "the seed journal's last entry is long past"
    assert current == "0 days"
    assert "5 days" in page.locator(".jl-stat", has_text="Longest streak").inner_text()


# --- from disk -----------------------------------------------------------------------------


def test_from_disk_a_card_opens_its_day_and_search_finds_it(visitor, seed):
    tab = visitor()
    page = tab.open((seed.root / "site/index.html").as_uri())
    page.locator(".jl-card-title a", has_text="Implement a LSTM Model").click()
    page.wait_for_url("**/days/day-08.html")
    assert page.url.startswith("file://")
    assert page.locator("h1").inner_text().startswith("Day 8")
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially("observability", delay=30)
    hit = page.locator(".md-search-result__list a[href*='day-06.html']").first
    hit.wait_for(timeout=10_000)


# --- a day page ----------------------------------------------------------------------------


def test_a_day_links_to_its_neighbours_and_its_tags(visitor, site_url):
    page = visitor().open(site_url + "days/day-05.html")
    assert page.locator(".jl-lead").inner_text().strip(), "the solution's docstring leads"
    page.locator(".jl-pager a[rel=next]").click()
    page.wait_for_url("**/days/day-06.html")
    page.locator(".jl-pager a[rel=prev]").click()
    page.wait_for_url("**/days/day-05.html")
    chip = page.locator("article a.jl-chip").first
    tag = chip.inner_text().split()[0]
    chip.click()
    page.wait_for_url("**/tags.html#tag-*")
    anchor = page.url.split("#")[1]
    target = page.locator(f"[id='{anchor}']")
    assert target.inner_text().split()[0] == tag
    assert target.is_visible()


@pytest.fixture(scope="module")
def fresh_journal(tmp_path_factory):
    """A toy journal built now, by the real build: its figures come from today's capture."""
    root = make_journal(tmp_path_factory.mktemp("fresh"), days={1: TOY_WITH_TITLE})
    build(root, Options())
    return root


TOY_WITH_TITLE = """
import matplotlib.pyplot as plt

plt.plot([0, 1, 2], [3, 1, 2])
plt.title("a toy curve")
plt.show()
"""


def test_fresh_figures_have_pixels_to_spare_on_a_2x_screen(visitor, fresh_journal):
    page = visitor().open((fresh_journal / "site/days/day-01.html").as_uri())
    sizes = page.eval_on_selector_all(
        ".jl-figure img", "imgs => imgs.map(i => [i.naturalWidth, i.clientWidth])")
    assert sizes, "the day shows no figure"
    for natural, shown in sizes:
        assert shown > 200 and natural >= 1.5 * shown, (natural, shown)
    figure = page.locator(".jl-figure").first
    assert figure.locator("img").get_attribute("alt") == "Plot: a toy curve"
    assert figure.locator("figcaption").inner_text() == "a toy curve"


# --- screenshots ---------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_screenshots_for_a_person_to_look_at(visitor, site_url, scheme):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (DESKTOP, PHONE):
        tab = visitor(width=width, scheme=scheme)
        for name, path in (("home", ""), ("day-08", "days/day-08.html"),
                           ("torchleet", "torchleet.html")):
            page = tab.open(site_url + path)
            shot = SCREENSHOTS / f"{name}-{width}-{scheme}.png"
            # Animations finished: Material fades its tabs in, and a half-faded capture misleads.
            page.screenshot(path=str(shot), full_page=True, animations="disabled")
            assert shot.stat().st_size > 20_000, f"{shot} looks empty"
