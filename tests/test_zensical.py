"""Forward compatibility: Zensical, Material's successor, builds the generated docs from the same
mkdocs.yml, strictly, with no asset from outside the site."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

ZENSICAL = shutil.which("zensical")
# A stylesheet or script loaded from another host: a CDN or a font service. (A canonical
# link names the page's published address, site_url's; a browser loads nothing from it.)
OUTSIDE_ASSET = re.compile(r'<(?:link|script)\b(?![^>]*rel="canonical")[^>]*(?:href|src)='
                           r'"(?:https?:)?//[^"]*"')

pytestmark = pytest.mark.skipif(ZENSICAL is None, reason="zensical is not installed "
                                "(pip install -r requirements-dev.txt)")


@pytest.fixture(scope="module")
def zensical_site(seed, tmp_path_factory):
    """The seed journal's generated docs/ and mkdocs.yml, built by `zensical build --strict`."""
    root, report, _ = seed
    # Zensical writes to mkdocs.yml's site_dir, so it builds a copy, beside site/ not over it.
    work = tmp_path_factory.mktemp("zensical")
    shutil.copytree(root / "docs", work / "docs")
    theme = "torchleet_journal/site_templates/overrides"  # what mkdocs.yml names for Zensical
    shutil.copytree(root / theme, work / theme)
    shutil.copy(root / "mkdocs.yml", work / "mkdocs.yml")
    done = subprocess.run([ZENSICAL, "build", "--strict", "--config-file", "mkdocs.yml"],
                          cwd=work, capture_output=True, text=True, timeout=300)
    return work / "site", report, done


def test_zensical_build_succeeds(zensical_site):
    _, _, done = zensical_site
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error" not in (done.stdout + done.stderr).lower()


def test_zensical_renders_the_index_and_every_day(zensical_site):
    site, report, _ = zensical_site
    index = (site / "index.html").read_text()
    for day in report.days:
        assert f'href="days/{day.entry.slug}.html"' in index
        page = (site / f"days/{day.entry.slug}.html").read_text()
        for figure in day.result.figures:
            assert figure in page and (site / f"days/{day.entry.slug}" / figure).is_file()


def test_zensical_keeps_the_math_and_the_local_assets(zensical_site):
    site, _, _ = zensical_site
    day = (site / "days/day-01.html").read_text()
    assert '<span class="arithmatex">' in day
    for asset in ("assets/katex/katex.min.js", "assets/math.js", "assets/extra.css"):
        assert f'{asset}"' in day and (site / asset).is_file()
    for page in (site / "index.html", site / "days/day-01.html"):
        assert OUTSIDE_ASSET.findall(page.read_text()) == []
