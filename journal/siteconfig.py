"""What the build reads from mkdocs.yml: the site's name, author and address, and its repository.

The feed needs `site_url`; the notebooks' Colab links and data downloads need `repo_url` to
be a GitHub repository. MkDocs reads the file for itself; this is the one place the build does.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml_env_tag import construct_env_tag  # MkDocs' own (a dependency of mkdocs)

CONFIG = "mkdocs.yml"
GITHUB = re.compile(r"^https://github\.com/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/"
                    r"([A-Za-z0-9._-]{1,100}?)(?:\.git)?/?$")
BRANCH = re.compile(r"^(?:edit|blob|tree)/([A-Za-z0-9._/-]+?)/")
DEFAULT_BRANCH = "main"
# mkdocs.yml has `use_directory_urls: false`: a page docs/x.md is served as x.html, from disk
# and from any host path alike. Markdown links name the .md file and MkDocs rewrites them;
# raw HTML (cards, chips), the feed and the notebooks get the final URL from page_url.
PAGE_SUFFIX = ".html"


@dataclass(frozen=True)
class SiteConfig:
    site_name: str = ""
    site_url: str | None = None
    site_author: str | None = None
    repo_url: str | None = None
    branch: str = DEFAULT_BRANCH
    about: str = ""  # extra.about: the line under the home page's title

    @property
    def github(self) -> tuple[str, str] | None:
        """(owner, repository) when repo_url is a GitHub repository, else None."""
        match = GITHUB.match(self.repo_url or "")
        return (match.group(1), match.group(2)) if match else None


def page_url(page: str, base: str = "") -> str:
    """The URL of docs/`page` (a .md path, maybe with #anchor), from `base`: "" at the site's
    top, "../" from days/, or the site_url for an absolute link."""
    path, _, anchor = page.partition("#")
    url = base + path.removesuffix(".md") + PAGE_SUFFIX
    return f"{url}#{anchor}" if anchor else url


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Reads `!ENV` as MkDocs does (with MkDocs' own reader of it), other tags as nothing."""


_Loader.add_multi_constructor("", lambda loader, suffix, node: None)
_Loader.add_constructor("!ENV", construct_env_tag)


def read_config(root: Path) -> SiteConfig:
    """mkdocs.yml's site settings; a missing or unreadable file gives the defaults (the site
    build, which needs the file, says what is wrong with it)."""
    try:
        text = (root / CONFIG).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return SiteConfig()
    # `!ENV` makes the answer depend on the environment too (serve's can change between builds)
    return _parse(text, tuple(sorted(os.environ.items())) if "!ENV" in text else ())


@functools.lru_cache(maxsize=4)
def _parse(text: str, environment: tuple) -> SiteConfig:
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError:
        return SiteConfig()
    if not isinstance(data, dict):
        return SiteConfig()

    def text(key: str) -> str | None:
        value = data.get(key)
        return value.strip() or None if isinstance(value, str) else None

    site_url = text("site_url")
    if site_url and not re.match(r"^https?://[^\s/]+", site_url):
        site_url = None  # the feed's links must be absolute
    if site_url and not site_url.endswith("/"):
        site_url += "/"
    branch = BRANCH.match(text("edit_uri") or "")
    extra = data.get("extra") if isinstance(data.get("extra"), dict) else {}
    about = extra.get("about") if isinstance(extra.get("about"), str) else ""
    return SiteConfig(text("site_name") or "", site_url, text("site_author"), text("repo_url"),
                      branch.group(1) if branch else DEFAULT_BRANCH, about.strip())
