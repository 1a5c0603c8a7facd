"""Compiled Jinja templates, cached across processes: the journal's page templates and MkDocs'.

A no-op build would otherwise spend half its time compiling the journal's templates, and every
MkDocs build (each rebuild under `serve` makes a new theme environment) the theme's. The cache
is Jinja's own folder in the per-user temp folder, never one in the journal: a folder that
could come with a clone must hold no code. A compiled template is found by what decides its
code (the environment's syntax settings, the template's name and source), not by its path, so
a journal cloned or copied elsewhere compiles nothing again.
"""

from __future__ import annotations

import hashlib

import jinja2
import jinja2.bccache


class TemplateCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache, keyed by content; a full or read-only temp folder costs only the
    compiling: a cache must never be why a build fails."""

    def get_bucket(self, environment: jinja2.Environment, name: str, filename: str | None,
                   source: str) -> jinja2.bccache.Bucket:
        key = hashlib.sha1(repr((_syntax(environment), name, source)).encode()).hexdigest()
        bucket = jinja2.bccache.Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _syntax(env: jinja2.Environment) -> tuple:
    """The settings that change what a source compiles to (the journal's environment and
    MkDocs' differ in several)."""
    autoescape = env.autoescape if isinstance(env.autoescape, bool) else "by name"
    return (env.block_start_string, env.block_end_string, env.variable_start_string,
            env.variable_end_string, env.comment_start_string, env.comment_end_string,
            env.line_statement_prefix, env.line_comment_prefix, env.trim_blocks,
            env.lstrip_blocks, env.newline_sequence, env.keep_trailing_newline,
            sorted(env.extensions), env.optimized, autoescape, env.finalize is not None,
            env.is_async)


def template_cache() -> TemplateCache | None:
    """The cache in the temp folder as it is now (a few system calls to find it)."""
    try:
        return TemplateCache()
    except (OSError, RuntimeError):  # no temp folder it may safely use
        return None
