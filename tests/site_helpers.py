"""Helpers for the tests that publish and serve the journal: a copy of the committed journal,
a free port, waiting for a server to answer, and the browser the site is visited with."""

from __future__ import annotations

import contextlib
import io
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from tests.helpers import REPO, copy_site_config

# The journal's content as a fresh clone holds it: the set CI starts from.
JOURNAL_PARTS = ("entries", "solutions", "results", "README.md")


def copy_committed_journal(base: Path) -> Path:
    """The journal as committed at HEAD, in `base/journal`: no docs/, site/ or cache of its own.

    Templates and mkdocs.yml come from the working copy, like the build code under test.
    """
    root = base / "journal"
    root.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "HEAD",
                              *JOURNAL_PARTS], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        # Python 3.11.4 brought extraction filters; Debian's 3.11.2 has none (the archive is
        # git's own of HEAD, so there it is extracted as it is).
        tar.extractall(root, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    shutil.copytree(REPO / "site_templates", root / "site_templates")
    copy_site_config(root)
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    """Wait until `url` answers 200; fail early if the server's process has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"server exited with status {process.returncode} before {url} "
                                 "answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout:g} s")


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


# --- the browser tests' shared pieces ---------------------------------------------------------

# Debian's Chromium, never a browser Playwright would download; the flags keep it off the network.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 # Offline, as on a train: no host name resolves but localhost's.
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
NO_CHROMIUM = ("needs Debian's chromium at /usr/bin/chromium (`apt-get install chromium`; "
               ".ci/run installs it)")


@contextlib.contextmanager
def served_site(site: Path):
    """`site` served over http on a free localhost port; yields its base URL."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                               "127.0.0.1", "--directory", str(site)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for_http(url, 15, server)
        yield url
    finally:
        server.terminate()
        server.wait()


@contextlib.contextmanager
def chromium():
    """Debian's Chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class OfflineTab:
    """A page in a browser context of its own (width, colour scheme) that records each request
    that would leave the machine, and each script error (console errors too, if asked).

    Chromium resolves no host but localhost (CHROMIUM_ARGS), so nothing leaves; the tab notes
    what tried. (Intercepting every request instead turns the browser's cache off and sends
    each file through Python: a fifth more time per page.)
    """

    def __init__(self, browser, width: int = 1280, scheme: str = "light",
                 console_errors: bool = False):
        self.context = browser.new_context(viewport={"width": width, "height": 900},
                                           color_scheme=scheme)
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context.on("request", self._request)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        if console_errors:
            self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))

    def _request(self, request) -> None:
        url = urlsplit(request.url)
        if url.scheme not in ("file", "data", "blob") and url.hostname != "127.0.0.1":
            self.outside.append(request.url)

    def open(self, url: str):
        self.page.goto(url, wait_until="load")
        return self.page

    def close(self) -> None:
        self.context.close()


class LoggedServer:
    """A process (`mkdocs serve`, `build.py serve`) serving the journal in `root` at `url`, all
    it prints in `log`."""

    def __init__(self, root: Path, command: list[str], url: str, log: Path,
                 change_seconds: float, cwd: Path | None = None,
                 env: dict[str, str] | None = None):
        self.root, self.url, self.log_path = root, url, log
        self.change_seconds = change_seconds
        with open(log, "wb") as output:  # the child keeps its own copy of the file
            self.process = subprocess.Popen(
                command, cwd=cwd, stdout=output, stderr=subprocess.STDOUT, env=env,
                # Tests run as a shell's background job inherit SIGINT ignored; a user's
                # terminal delivers Ctrl-C.
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def page(self, path: str) -> str:
        return fetch(f"{self.url}/{path}")

    def wait_until(self, what: str, check) -> float:
        """Poll until `check()` holds; returns the seconds it took."""
        started = time.monotonic()
        while time.monotonic() < started + self.change_seconds:
            assert self.process.poll() is None, f"the server exited:\n{self.log()[-3000:]}"
            if check():
                return time.monotonic() - started
            time.sleep(0.1)
        raise AssertionError(f"waited {self.change_seconds} s for {what}:\n{self.log()[-3000:]}")

    def stop(self) -> int:
        """Stop it as Ctrl-C would, if it still runs; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


@contextlib.contextmanager
def answering(server: LoggedServer, startup_seconds: float):
    """`server` once it answers at its URL; stopped as Ctrl-C stops it when done."""
    try:
        wait_for_http(server.url + "/", startup_seconds, server.process)
        yield server
    finally:
        server.stop()
