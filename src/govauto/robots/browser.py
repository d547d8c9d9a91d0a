"""One Chromium per worker, launched from the system's browser (Playwright never downloads one here).

The browser is Debian's ``chromium`` (``apt-get install -y chromium``) at ``/usr/bin/chromium``, or the path in
``GOVAUTO_CHROMIUM``. A :class:`BrowserHost` belongs to the thread that made it: Playwright's sync API must not be
shared across threads, so a worker process (or thread) holds its own, and each job gets a fresh browser
*context* (its own cookies and session) from it.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from playwright.sync_api import Browser, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from govauto.errors import RobotConfigError

CHROMIUM_ARGS = (
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
)
"""Flags for a headless Chromium on a server with no network beyond the target systems."""

USER_AGENT = "govauto-robot/0.3 (Mozilla/5.0 compatible; Chromium headless)"
"""What the robots tell the target systems they are (a form map may set its own ``user_agent``)."""


def chromium_path() -> str:
    """The Chromium executable to launch.

    :raises RobotConfigError: when there is none, saying how to install it.
    """
    configured = os.environ.get("GOVAUTO_CHROMIUM")
    candidates = [configured] if configured else [shutil.which("chromium"), shutil.which("chromium-browser"),
                                                  "/usr/bin/chromium"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    where = f"GOVAUTO_CHROMIUM={configured} is not an executable" if configured else "no chromium on PATH"
    raise RobotConfigError(f"cannot start a browser: {where}; install it with `apt-get install -y chromium` "
                           "(or set GOVAUTO_CHROMIUM to a Chromium executable)")


class BrowserHost:
    """A Playwright instance and one Chromium, started on first use, for the thread that created the host."""

    def __init__(self, headless: bool = True) -> None:
        self.headless = headless
        self._owner = threading.get_ident()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    def browser(self) -> Browser:
        """The running browser (started, or restarted after a crash, on demand)."""
        if threading.get_ident() != self._owner:
            raise RuntimeError("a BrowserHost belongs to the thread that created it; make one per worker thread")
        if self._browser is not None and self._browser.is_connected():
            return self._browser
        executable = chromium_path()
        if self._playwright is None:
            self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(executable_path=executable, headless=self.headless,
                                                             args=list(CHROMIUM_ARGS))
        except PlaywrightError as exc:
            raise RobotConfigError(f"cannot start {executable}: {str(exc).splitlines()[0]}") from None
        return self._browser

    def close(self) -> None:
        """Close the browser and stop Playwright (idempotent)."""
        try:
            if self._browser is not None:
                self._browser.close()
        except PlaywrightError:
            pass
        finally:
            self._browser = None
            if self._playwright is not None:
                self._playwright.stop()
                self._playwright = None

    def __enter__(self) -> BrowserHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
