"""What the build reads from mkdocs.yml: the site's name, author and address, and its repository.

The feed needs `site_url`; the notebooks' Colab links and data downloads need `repo_url` to
be a GitHub repository. MkDocs reads the file for itself; this is the one place the build does.

Every URL the configuration gives (`site_url`, `repo_url`, `edit_uri`, `extra.social` links)
passes one check, `checked_url`, both here and in MkDocs' own configuration (the hook's
`on_config` applies `safe_urls`), since MkDocs' theme writes them into attributes unescaped:
http(s) only, with no user name or password, every character that could end an attribute
percent-encoded; anything else is dropped with a one-line warning.
"""

from __future__ import annotations

import functools
import os
import re
import urllib.parse
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml_env_tag import construct_env_tag  # MkDocs' own (a dependency of mkdocs)

from torchleet_journal.base.layout import CONFIG

GITHUB = re.compile(r"^https://github\.com/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/"
                    r"([A-Za-z0-9._-]{1,100}?)(?:\.git)?/?$")
BRANCH = re.compile(r"^(?:edit|blob|tree)/([A-Za-z0-9._/-]+?)/")
DEFAULT_BRANCH = "main"
# mkdocs.yml has `use_directory_urls: false`: a page docs/x.md is served as x.html, from disk
# and from any host path alike. Markdown links name the .md file and MkDocs rewrites them;
# raw HTML (cards, chips), the feed and the notebooks get the final URL from page_url.
PAGE_SUFFIX = ".html"
# What in a URL from the configuration is percent-encoded, so no quote, angle bracket,
# backtick or space can end an attribute or open an element. (Letters beyond ASCII stay: an
# international domain or path is no danger, and encoding its host would break it.)
URL_UNSAFE = re.compile("[\x00-\x20\x7f-\x9f\"'<>`\\\\{}|^\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
URL_KEYS = ("site_url", "repo_url", "edit_uri")


@dataclass(frozen=True)
class SiteConfig:
    site_name: str = ""
    site_url: str | None = None
    site_author: str | None = None
    repo_url: str | None = None
    branch: str = DEFAULT_BRANCH
    about: str = ""  # extra.about: the line under the home page's title
    warnings: tuple[str, ...] = ()  # the URLs dropped, one line each
    # (line, message) for each URL that MkDocs itself refuses (no scheme or no host): no site
    # can be built with it, so a build that makes one stops before anything runs.
    refused: tuple[tuple[int, str], ...] = ()
    # extra.problem_sets as written (torchleet_journal/model/catalog.py checks it) and the line it is on
    problem_sets: object = None
    problem_sets_line: int = 1

    @property
    def github(self) -> tuple[str, str] | None:
        """(owner, repository) when repo_url is a GitHub repository, else None."""
        match = GITHUB.match(self.repo_url or "")
        return (match.group(1), match.group(2)) if match else None


def checked_url(key: str, value: object, text: str = "",
                relative: bool = False) -> tuple[str | None, str | None]:
    """A URL from mkdocs.yml as a page may carry it in an attribute, or None and why, in one
    line located in `text` (the file). `relative`: a path is allowed too (edit_uri, under
    repo_url)."""
    if value is None or value == "":
        return None, None
    url = value.strip() if isinstance(value, str) else ""
    # What a browser makes of it: it drops controls and spaces, and reads `\` as `/`.
    seen = re.sub(r"[\x00-\x20\x7f]", "", url).replace("\\", "/")
    parts = urllib.parse.urlsplit(seen) if "://" in seen or ":" in seen.split("/")[0] else None
    if parts is None and relative and url and not seen.startswith("//"):
        return _quoted(url), None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        problem = f"must be an http:// or https:// URL, got {str(value)[:80]!r}"
    elif parts.username is not None or parts.password is not None:
        # Not repeated here: a terminal's or CI's log is no place for a token either.
        problem = "must not hold a user name or password, got a URL with one before its '@'"
    else:
        return _quoted(url), None
    return None, f"{CONFIG}:{_line_of(text, key)}: '{key}' {problem}; it is left out of the site"


def _quoted(url: str) -> str:
    return URL_UNSAFE.sub(lambda match: urllib.parse.quote(match.group(), safe=""), url)


def _line_of(text: str, key: str) -> int:
    """The line of `key:` in the YAML text (1 when it cannot be told)."""
    name = key.rpartition(".")[2]
    match = re.search(rf"^[ \t-]*{re.escape(name)}[ \t]*:", text, re.M)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def safe_urls(data: MutableMapping, text: str = "") -> list[str]:
    """Check every URL in a parsed mkdocs.yml (a dict or MkDocs' config) in place: each is
    replaced by its checked form, or removed; returns the warnings, one line each."""
    warnings = []
    for key in URL_KEYS:
        url, problem = checked_url(key, data.get(key), text, relative=key == "edit_uri")
        if data.get(key) is not None:
            data[key] = url
        warnings += [problem] if problem else []
    if data.get("repo_url") is None and data.get("edit_uri"):
        data["edit_uri"] = None  # edit links are made under repo_url
    extra = data.get("extra")
    social = extra.get("social") if isinstance(extra, MutableMapping) else None
    if isinstance(social, list):
        kept = []
        for item in social:
            link = item.get("link") if isinstance(item, dict) else None
            url, problem = checked_url("extra.social.link", link, text)
            if url:
                kept.append({**item, "link": url})
            warnings += [problem] if problem else []
        extra["social"] = kept
    return warnings


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
def _parse(source: str, environment: tuple) -> SiteConfig:
    try:
        data = yaml.load(source, Loader=_Loader)
    except yaml.YAMLError:
        return SiteConfig()
    if not isinstance(data, dict):
        return SiteConfig()

    refused = tuple((_line_of(source, key), f"'{key}' must be an http:// or https:// URL, got "
                     f"{data[key][:80]!r}; MkDocs refuses it too: fix it or remove the line")
                    for key in ("site_url", "repo_url") if _mkdocs_refuses(data.get(key)))
    warnings = safe_urls(data, source)

    def text(key: str) -> str | None:
        value = data.get(key)
        return value.strip() or None if isinstance(value, str) else None

    site_url = text("site_url")
    if site_url and not site_url.endswith("/"):
        site_url += "/"
    branch = BRANCH.match(text("edit_uri") or "")
    extra = data.get("extra") if isinstance(data.get("extra"), dict) else {}
    about = extra.get("about") if isinstance(extra.get("about"), str) else ""
    return SiteConfig(text("site_name") or "", site_url, text("site_author"), text("repo_url"),
                      branch.group(1) if branch else DEFAULT_BRANCH, about.strip(),
                      tuple(warnings), refused, _frozen(extra.get("problem_sets")),
                      _line_of(source, "extra.problem_sets"))


def _frozen(value: object) -> object:
    """A list from YAML as a tuple: the parsed config is cached and shared."""
    return tuple(value) if isinstance(value, list) else value


def _mkdocs_refuses(value: object) -> bool:
    """What MkDocs' own URL option refuses (config_options.URL): text with no scheme or host."""
    if not isinstance(value, str) or not value:
        return False
    parts = urllib.parse.urlsplit(value)
    return not (parts.scheme and parts.netloc)
