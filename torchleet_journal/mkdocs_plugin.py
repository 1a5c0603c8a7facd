"""The MkDocs plugin `torchleet-journal` (also loadable as a hook by its path): plain `mkdocs serve`, `build` and `gh-deploy` render docs/ first, running nothing.

docs/ is rendered by `pipeline.render_stored`, build.py's own render stage, from the entries and
the stored results: a page is the same whichever command made it, and a day whose stored result
no longer matches its solution says so. Under `mkdocs serve` the sources are watched and every
change renders again. Zensical ignores `hooks:`; for it, `python build.py` renders docs/.

A journal's mkdocs.yml names it under `plugins:` (the installed package's `mkdocs.plugins`
entry point); the engine's own repository names this file under `hooks:`, so a clone works
with nothing installed but the lock. It also puts the engine's theme overrides (the Atom link,
KaTeX, the search name) behind the journal's own `site_templates/overrides/`, if any.

This module imports the journal only when it renders: under
build.py (which sets RENDERED_BY_BUILD) it renders nothing, and only lends MkDocs the
journal's cache of compiled templates (torchleet_journal/pages/template_cache.py, which imports only Jinja)
and checks the URLs of the configuration (torchleet_journal/model/siteconfig.py, which imports only YAML).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

# Set by build.py when it runs mkdocs itself: docs/ is rendered, and build.py watches the sources.

log = logging.getLogger("mkdocs.hooks.journal")
_serving = False  # under `mkdocs serve` a mistake is shown and the last good pages stay up
# What the site held from docs/ after the last build, and what this build makes: `serve
# --dirty` builds into the same folder every time and never removes what docs/ no longer has.
_built: set[str] = set()
_building: set[str] = set()


def _rendered_by_build() -> bool:
    _importable()
    from torchleet_journal.website.mkdocs_env import RENDERED_BY_BUILD

    return bool(os.environ.get(RENDERED_BY_BUILD))


def on_startup(command: str, dirty: bool) -> None:
    global _serving
    _serving = command == "serve"


def on_config(config):
    _check_urls(config)
    _theme_dirs(config)
    if not _rendered_by_build():
        _render(_root(config))
    return config


def _theme_dirs(config) -> None:
    """The journal's overrides, then the engine's, ahead of the theme's own templates."""
    _importable()
    from torchleet_journal.base.layout import theme_dirs

    dirs = config.theme.dirs
    for folder in reversed(theme_dirs(_root(config))):
        if str(folder) not in dirs:
            dirs.insert(0, str(folder))


def _check_urls(config) -> None:
    """The theme writes repo_url, site_url and the links made from them into attributes as
    they are: each passes the journal's one URL check first, or is dropped (see siteconfig)."""
    _importable()
    from torchleet_journal.model.siteconfig import safe_urls

    try:
        text = Path(config.config_file_path).read_text(encoding="utf-8")
    except (OSError, TypeError, UnicodeDecodeError):
        text = ""
    for warning in safe_urls(config, text):
        if not _rendered_by_build():  # build.py has said it once already
            print(warning, file=sys.stderr)


def on_env(env, config, files):
    """The theme's compiled templates come from the journal's template cache: MkDocs makes a
    new environment at every build (each rebuild under `serve` too) and compiled them all again,
    half of a one-page rebuild's time at a year of days."""
    _importable()
    from torchleet_journal.pages.template_cache import template_cache

    if env.bytecode_cache is None:
        env.bytecode_cache = template_cache()
    return env


def on_files(files, config):
    global _building
    _building = {f.dest_uri for f in files if getattr(f, "src_dir", None) == config.docs_dir}
    return files


def on_post_build(config):
    """Remove from the site what the last build made and docs/ no longer has: a deleted day's
    page would otherwise be served, and linked from nowhere, until the server stops."""
    global _built
    site = Path(config.site_dir)
    for gone in sorted(_built - _building):
        (site / gone).unlink(missing_ok=True)
    _built = _building


def on_serve(server, config, builder):
    """Rebuild when what docs/ is made from changes, and not for the hook's own writes to docs/."""
    global _serving
    _serving = True  # also under `mkdocs serve --clean`, whose startup says "build"
    if _rendered_by_build():
        return server
    server.unwatch(config.docs_dir)
    for path in _sources(_root(config)):
        server.watch(str(path))
    return server


def _root(config) -> Path:
    """The journal is the folder of its mkdocs.yml."""
    return Path(config.config_file_path).resolve().parent


def _render(root: Path) -> None:
    _importable()
    from mkdocs.exceptions import Abort

    from torchleet_journal.base.errors import InputError
    from torchleet_journal.build.pipeline import render_stored

    try:
        report = render_stored(root)
    except InputError as error:
        for mistake in error.mistakes:
            print(mistake, file=sys.stderr)  # the lines build.py prints, and not as a log warning
        count = len(error.mistakes)
        found = f"{count} problem{'s' if count != 1 else ''} found"
        if not _serving:
            raise Abort(f"{found}; docs/ was left as it was and nothing was built.") from None
        print(f"{found}; docs/ is left as it was: the last good pages stay up.", file=sys.stderr)
        return
    log.info(f"journal: rendered docs/ from the stored results, {len(report.written)} files "
             "changed")
    if report.stale_skipped:
        days = ", ".join(f"day {d}" for d in report.stale_skipped)
        log.info(f"journal: not run with its current solution: {days}; `python build.py` runs it")


def _sources(root: Path) -> list[Path]:
    """What docs/ is made from: the folders `build.py serve` watches, results/, and runs' deps."""
    _importable()
    from torchleet_journal.build.serve import WATCHED
    from torchleet_journal.model.results import RESULTS_DIR, recorded_deps

    folders = [root / name for name in (*WATCHED, RESULTS_DIR) if (root / name).is_dir()]
    deps = [root / rel for rel in sorted(recorded_deps(root)[0])
            if rel.split("/")[0] not in WATCHED and (root / rel).is_file()]
    return folders + deps


def _importable() -> None:
    # The `mkdocs` script puts only its own folder on sys.path; the journal's code sits beside
    # this file. Appended, so it shadows no module MkDocs imports.
    code = str(Path(__file__).resolve().parent.parent)
    if code not in sys.path:
        sys.path.append(code)


def _plugin_class():
    from mkdocs.plugins import BasePlugin

    class JournalPlugin(BasePlugin):
        """`plugins: [torchleet-journal]`: the hook functions above, as a plugin's events."""

        def on_startup(self, *, command, dirty):
            on_startup(command, dirty)

        def on_config(self, config):
            return on_config(config)

        def on_env(self, env, *, config, files):
            return on_env(env, config, files)

        def on_files(self, files, *, config):
            return on_files(files, config)

        def on_post_build(self, *, config):
            on_post_build(config)

        def on_serve(self, server, *, config, builder):
            return on_serve(server, config, builder)

    return JournalPlugin


def __getattr__(name: str):
    # The entry point names `JournalPlugin`: made on first use, so loading this file as a hook
    # never imports mkdocs.plugins' machinery for nothing.
    if name == "JournalPlugin":
        return _plugin_class()
    raise AttributeError(name)
