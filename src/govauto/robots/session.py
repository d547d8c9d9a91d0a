"""A robot's hands on one browser page: explicit waits, frames, dialogs, and faults turned into error kinds.

:class:`RobotSession` wraps a Playwright page for one job. It watches the page's dialogs (accepting only the
``confirm()`` texts the map lists), its document responses (5xx) and failed requests (dropped connections), and
the map's session-expired marker; every wait checks them, so a fault surfaces as the right
:class:`~govauto.errors.RobotError` kind at once instead of as a time-out. There are no sleeps: every wait is a
Playwright wait for an element, bounded by the map's time-outs.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from playwright.sync_api import Dialog, Frame, FrameLocator, Locator, Page, Request, Response
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from govauto.errors import (
    RobotBusinessError,
    RobotDataError,
    RobotError,
    RobotSelectorError,
    RobotTransientError,
)
from govauto.robots.formmap import Locate, Timeouts

PAGE_WENT_AWAY = ("net::ERR", "has been closed", "context was destroyed", "detached", "navigat", "Navigat",
                  "Target closed", "Connection closed")
"""Signs in a Playwright error that the page, frame or browser went away under the robot: worth retrying."""

SLICE_MS = 250
"""Longest single wait between checks for dialogs and faults."""


@dataclass
class PageWatch:
    """What happened on the page since the last :meth:`RobotSession.reset`."""

    refused_dialogs: list[str] = field(default_factory=list)
    accepted_dialogs: list[str] = field(default_factory=list)
    server_errors: list[tuple[int, str, Frame | None]] = field(default_factory=list)
    network_errors: list[tuple[str, str, Frame | None]] = field(default_factory=list)


def classify_playwright_error(exc: Exception, doing: str) -> RobotError:
    """Turn a Playwright exception into a robot error: ``timeout``, ``network`` (the page went away), or
    ``internal`` (a command the browser refused: a bug in the robot, not retried)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, PlaywrightTimeoutError):
        return RobotTransientError(f"{doing}: timed out ({text})", kind="timeout")
    if any(sign in text for sign in PAGE_WENT_AWAY):
        return RobotTransientError(f"{doing}: {text}", kind="network")
    return RobotError(f"{doing}: the browser refused the robot's command: {text}", kind="internal")


class RobotSession:
    """One job's page, with the target's frames, time-outs, dialog policy and session-expired marker."""

    def __init__(self, page: Page, *, base_url: str, frames: Mapping[str, str | Sequence[str]] | None = None,
                 timeouts: Timeouts | None = None, session_expired: Locate | None = None,
                 accept_dialogs: Sequence[str] = (), charset: str | None = None,
                 clicks: Literal["mouse", "dispatch"] = "mouse") -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.frames = dict(frames or {})
        self.timeouts = timeouts or Timeouts()
        self.session_expired = session_expired
        self.accept_dialogs = tuple(accept_dialogs)
        self.charset = charset
        self.clicks = clicks
        """``mouse``: Playwright's click (scrolls, waits until the element is stable, moves the mouse); ``dispatch``:
        a click event fired on the visible element (what old pages' ``onclick`` handlers need, ~40 ms faster)."""
        self.watch = PageWatch()
        self.login_attempted = False
        """Whether a login was tried in this session's browser context (the target may hold a session for it)."""
        page.on("dialog", self._on_dialog)
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_request_failed)

    # ---- watching ----------------------------------------------------------------------------------------------

    def _on_dialog(self, dialog: Dialog) -> None:
        message = dialog.message
        try:
            if dialog.type in ("confirm", "beforeunload") and any(text in message for text in self.accept_dialogs):
                self.watch.accepted_dialogs.append(message)
                dialog.accept()
            else:
                self.watch.refused_dialogs.append(message)
                dialog.dismiss()
        except PlaywrightError:  # the page went away while the dialog was open
            pass

    def _on_response(self, response: Response) -> None:
        if response.status >= 500 and response.request.resource_type == "document":
            self.watch.server_errors.append((response.status, response.url, _frame_of(response.request)))

    def _on_request_failed(self, request: Request) -> None:
        if request.resource_type == "document":
            failure = request.failure or "failed"
            if "ERR_ABORTED" not in failure:  # a navigation replaced by another one: not a fault
                self.watch.network_errors.append((failure, request.url, _frame_of(request)))

    def reset(self) -> None:
        """Forget what was seen so far (at the start of an attempt)."""
        self.watch = PageWatch()

    def raise_problems(self, doing: str, frames: Collection[str | None] | None = None) -> None:
        """Raise the error for the first fault seen: a refused dialog, a dropped connection, a 5xx.

        :param frames: the frames the robot is working in: a 5xx or a dropped connection in another frame (a
            banner frame that failed to load) is forgotten, not raised. ``None``: every frame counts.
        """
        watch = self.watch
        if watch.refused_dialogs:
            message = watch.refused_dialogs[0]
            raise RobotBusinessError(f"{doing}: the system said: {message}")
        if not watch.network_errors and not watch.server_errors:
            return
        relevant = self._frames_in_use(frames) if frames is not None else None

        def counts(frame: Frame | None) -> bool:
            return relevant is None or frame is None or frame == self.page.main_frame or frame in relevant

        watch.network_errors = [e for e in watch.network_errors if counts(e[2])]
        watch.server_errors = [e for e in watch.server_errors if counts(e[2])]
        if watch.network_errors:
            failure, url, _ = watch.network_errors[0]
            raise RobotTransientError(f"{doing}: the connection failed ({failure}) at {_path(url)}", kind="network")
        if watch.server_errors:
            status, url, _ = watch.server_errors[0]
            raise RobotTransientError(f"{doing}: the system answered HTTP {status} at {_path(url)}",
                                      kind="server_error")

    def _frames_in_use(self, names: Collection[str | None]) -> set[Frame] | None:
        """The Playwright frames the map's frame names point at now (``None`` when one cannot be resolved)."""
        frames: set[Frame] = set()
        for name in names:
            if name is None:
                frames.add(self.page.main_frame)
                continue
            try:
                handle = self.scope(name).owner.element_handle(timeout=500)  # type: ignore[union-attr]
                frame = handle.content_frame() if handle is not None else None
            except PlaywrightError:
                return None
            if frame is None:
                return None
            frames.add(frame)
        return frames

    # ---- finding -----------------------------------------------------------------------------------------------

    def scope(self, frame: str | None) -> Page | FrameLocator:
        """The page, or the frame the map calls ``frame``."""
        if frame is None:
            return self.page
        chain = self.frames[frame]
        selectors = [chain] if isinstance(chain, str) else list(chain)
        scope: FrameLocator = self.page.frame_locator(selectors[0])
        for selector in selectors[1:]:
            scope = scope.frame_locator(selector)
        return scope

    def locator(self, selector: str, frame: str | None = None) -> Locator:
        return self.scope(frame).locator(selector)

    def wait_any(self, targets: Mapping[str, Locate], timeout: float, doing: str) -> str:
        """Wait until one of ``targets`` is visible and return its name.

        Meanwhile a refused dialog, a 5xx, a dropped connection or the session-expired marker raise their
        error at once; nothing within ``timeout`` seconds raises a ``timeout``.
        """
        named = {name: (t.frame, self.locator(t.selector, t.frame)) for name, t in targets.items()}
        if self.session_expired is not None:
            marker = self.session_expired
            named["__expired"] = (marker.frame, self.locator(marker.selector, marker.frame))
        # Playwright cannot combine locators of different frames: wait on one combined locator per frame.
        groups: dict[str | None, Locator] = {}
        for frame, loc in named.values():
            groups[frame] = loc if frame not in groups else groups[frame].or_(loc)
        first_frame = next(iter(named.values()))[0]
        in_use = {t.frame for t in targets.values()}
        deadline = time.monotonic() + timeout
        while True:
            self.raise_problems(doing, in_use)
            for name, (_, loc) in named.items():  # the targets first, the expired marker last
                try:
                    visible = loc.first.is_visible()
                except PlaywrightError:
                    visible = False
                if visible:
                    if name == "__expired":
                        self.raise_problems(doing, in_use)
                        raise RobotTransientError(f"{doing}: the session expired", kind="session_expired")
                    return name
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                wanted = " or ".join(f"'{t.selector}'" + (f" in frame {t.frame}" if t.frame else "")
                                     for t in targets.values())
                raise RobotTransientError(f"{doing}: {wanted} did not appear within {timeout:g} s", kind="timeout")
            try:
                groups[first_frame].first.wait_for(state="visible",
                                                   timeout=max(1.0, min(SLICE_MS / len(groups), remaining * 1000)))
            except PlaywrightTimeoutError:
                continue
            except PlaywrightError as exc:  # a frame navigating away under the wait: look again
                error = classify_playwright_error(exc, doing)
                if not error.retryable:
                    raise error from None

    def element(self, selector: str, frame: str | None, what: str, timeout: float | None = None) -> Locator:
        """The element for ``what`` once it is visible (see :meth:`wait_any` for the faults raised meanwhile)."""
        self.wait_any({"element": Locate(selector, frame)}, self.timeouts.action if timeout is None else timeout,
                      what)
        return self.locator(selector, frame)

    def require(self, locator: Locator, selector: str, frame: str | None, what: str) -> None:
        """Raise :class:`RobotSelectorError` when ``selector`` matches nothing on a page that did load."""
        if locator.count() == 0:
            where = f" in frame {frame}" if frame else ""
            raise RobotSelectorError(f"{what}: no element matches '{selector}'{where}; the page loaded but the "
                                     "selector finds nothing: fix the form map (the target system may have changed)")

    # ---- acting ------------------------------------------------------------------------------------------------

    def goto(self, url: str, doing: str) -> None:
        if not re.match(r"^[a-z]+://", url):
            url = self.base_url + "/" + url.lstrip("/")
        try:
            response = self.page.goto(url, wait_until="domcontentloaded", timeout=self.timeouts.page * 1000)
        except PlaywrightError as exc:
            self.raise_problems(doing)
            raise classify_playwright_error(exc, doing) from None
        if response is not None and response.status >= 500:
            raise RobotTransientError(f"{doing}: the system answered HTTP {response.status} at {_path(url)}",
                                      kind="server_error")
        self.raise_problems(doing)

    def click(self, selector: str, frame: str | None, doing: str, before: Callable[[], None] | None = None) -> None:
        """Click the element once visible; ``before`` runs between finding it and clicking (to record a submit)."""
        loc = self.element(selector, frame, doing).first
        if before is not None:
            before()
        try:
            if self.clicks == "dispatch":  # the element is visible: fire the click without Playwright's
                loc.dispatch_event("click", timeout=self.timeouts.action * 1000)  # stability checks (~40 ms)
            else:
                loc.click(timeout=self.timeouts.action * 1000)
        except PlaywrightError as exc:
            self.raise_problems(doing)
            raise classify_playwright_error(exc, doing) from None

    def fill(self, selector: str, frame: str | None, text: str, doing: str, verify: bool = True) -> None:
        self.check_charset(text, doing)
        loc = self.element(selector, frame, doing).first
        try:
            loc.fill(text, timeout=self.timeouts.action * 1000)
            if verify:
                got = loc.input_value(timeout=self.timeouts.action * 1000)
                if got != text:
                    raise RobotDataError(f"{doing}: the field kept {got!r} instead of {text!r} (a length limit "
                                         "or a format the page rewrites); a person must enter it")
        except PlaywrightError as exc:
            self.raise_problems(doing)
            raise classify_playwright_error(exc, doing) from None

    def select(self, selector: str, frame: str | None, value: str, match: str, doing: str) -> None:
        loc = self.element(selector, frame, doing).first
        options: list[list[str]] = loc.evaluate("el => Array.from(el.options || []).map(o => [o.value, o.text.trim()])")
        column = 1 if match == "label" else 0
        chosen = next((o[0] for o in options if o[column] == value), None)
        if chosen is None:
            offered = ", ".join(f"{o[0]} {o[1]}".strip() for o in options[:12])
            raise RobotDataError(f"{doing}: the system offers no option {value!r} (it has: {offered}…)")
        try:
            loc.select_option(value=chosen, timeout=self.timeouts.action * 1000)
        except PlaywrightError as exc:
            raise classify_playwright_error(exc, doing) from None

    def check_boxes(self, selector: str, frame: str | None, values: Sequence[str], match: str, doing: str) -> None:
        """Tick the boxes (or one radio button) whose value or label is in ``values``; untick the others."""
        self.element(selector, frame, doing)
        loc = self.locator(selector, frame)
        boxes: list[list[Any]] = loc.evaluate_all(
            "els => els.map(e => [e.value, ((e.labels && e.labels[0]) ? e.labels[0].innerText : '').trim(), "
            "e.checked])")
        column = 1 if match == "label" else 0
        index = {str(b[column]): i for i, b in enumerate(boxes)}
        missing = [v for v in values if v not in index]
        if missing:
            raise RobotDataError(f"{doing}: the system has no box for {', '.join(map(repr, missing))}")
        wanted = {index[v] for v in values}
        try:
            for i, box in enumerate(boxes):
                if (i in wanted) != bool(box[2]):
                    loc.nth(i).set_checked(i in wanted, timeout=self.timeouts.action * 1000)
        except PlaywrightError as exc:
            raise classify_playwright_error(exc, doing) from None

    def fill_form(self, anchor: Locate, operations: Sequence[Mapping[str, Any]], doing: str) -> list[dict[str, Any]]:
        """Set many fields of one frame in a single round trip, as a person's input would (``input`` and
        ``change`` events), and read every value back.

        Each operation is ``{"label", "selector", "kind": text|select|checkbox|checkboxes|radio, "value"
        (a string, or a list for checkboxes), "match": value|label}``. Returns, per operation, ``{"ok": True}`` or
        ``{"ok": False, "problem": "missing"|"no_option"|"kept", "detail": …}``; the caller turns problems into
        errors naming the field.
        """
        loc = self.element(anchor.selector, anchor.frame, doing).first
        tracing = self.page.context.tracing
        # one evaluate() shows in a trace as a single opaque step: name the fields and selectors it sets
        fields = ", ".join(f"{op.get('label', '?')} {op['selector']}" for op in operations)
        with contextlib.suppress(PlaywrightError):
            tracing.group(f"{doing}: set {len(operations)} field(s): {fields}")
        try:
            results: list[dict[str, Any]] = loc.evaluate(_FILL_FORM_JS, list(operations))
        except PlaywrightError as exc:
            self.raise_problems(doing)
            raise classify_playwright_error(exc, doing) from None
        finally:
            with contextlib.suppress(PlaywrightError):
                tracing.group_end()
        self.raise_problems(doing)
        return results

    def upload(self, selector: str, frame: str | None, path: Path, doing: str) -> None:
        if not path.is_file():
            raise RobotDataError(f"{doing}: the file {path} does not exist")
        loc = self.element(selector, frame, doing).first
        try:
            loc.set_input_files(path, timeout=self.timeouts.action * 1000)
        except PlaywrightError as exc:
            raise classify_playwright_error(exc, doing) from None

    def text(self, target: Locate, doing: str) -> str:
        loc = self.element(target.selector, target.frame, doing).first
        try:
            return loc.inner_text(timeout=self.timeouts.action * 1000).strip()
        except PlaywrightError as exc:
            raise classify_playwright_error(exc, doing) from None

    def check_charset(self, text: str, doing: str) -> None:
        """Raise :class:`RobotDataError` naming the first character the target's charset cannot hold."""
        if self.charset is None:
            return
        for ch in text:
            try:
                ch.encode(self.charset)
            except UnicodeEncodeError:
                raise RobotDataError(
                    f"{doing}: '{ch}' (U+{ord(ch):04X}) cannot be stored by the system ({self.charset}); a person "
                    "must enter the value or choose a substitute") from None

    # ---- evidence ----------------------------------------------------------------------------------------------

    def save_evidence(self, directory: Path) -> list[tuple[str, Path]]:
        """Keep a screenshot and the HTML of the page and of each of its frames; returns (kind, path) pairs."""
        directory.mkdir(parents=True, exist_ok=True)
        saved: list[tuple[str, Path]] = []
        shot = directory / "screenshot.png"
        try:
            self.page.screenshot(path=shot, full_page=True, timeout=5000)
            saved.append(("screenshot", shot))
        except PlaywrightError:
            pass
        for i, frame in enumerate(self.page.frames):
            name = "page" if frame == self.page.main_frame else f"frame-{frame.name or i}"
            path = directory / f"{name}.html"
            try:
                path.write_text(f"<!-- {frame.url} -->\n" + frame.content(), encoding="utf-8")
                saved.append(("html", path))
            except PlaywrightError:
                continue
        return saved


_FILL_FORM_JS = """(anchor, ops) => {
  const doc = anchor.ownerDocument;
  const fire = (el) => {
    el.dispatchEvent(new Event('input', {bubbles: true}));
    el.dispatchEvent(new Event('change', {bubbles: true}));
  };
  const labelOf = (el) => ((el.labels && el.labels[0]) ? el.labels[0].innerText : '').trim();
  return ops.map((op) => {
    const els = Array.from(doc.querySelectorAll(op.selector));
    if (els.length === 0) return {ok: false, problem: 'missing'};
    if (op.kind === 'text') {
      const el = els[0];
      el.focus();
      el.value = op.value;
      fire(el);
      el.blur();
      return el.value === op.value ? {ok: true} : {ok: false, problem: 'kept', detail: el.value};
    }
    if (op.kind === 'select') {
      const el = els[0];
      const opts = Array.from(el.options || []);
      const hit = opts.find((o) => (op.match === 'label' ? o.text.trim() : o.value) === op.value);
      if (!hit) return {ok: false, problem: 'no_option',
                        detail: opts.slice(0, 12).map((o) => (o.value + ' ' + o.text.trim()).trim()).join(', ')};
      el.value = hit.value;
      fire(el);
      return el.value === hit.value ? {ok: true} : {ok: false, problem: 'kept', detail: el.value};
    }
    if (op.kind === 'checkbox') {
      const el = els[0];
      if (el.checked !== op.value) { el.click(); }
      return el.checked === op.value ? {ok: true} : {ok: false, problem: 'kept', detail: String(el.checked)};
    }
    const wanted = new Set(op.value);
    const keyOf = (el) => (op.match === 'label' ? labelOf(el) : el.value);
    const have = new Set(els.map(keyOf));
    const missing = op.value.filter((v) => !have.has(v));
    if (missing.length) return {ok: false, problem: 'no_option', detail: missing.join(', ')};
    for (const el of els) {
      const on = wanted.has(keyOf(el));
      if (el.checked !== on) { el.click(); }
    }
    const wrong = els.filter((el) => el.checked !== wanted.has(keyOf(el)));
    return wrong.length ? {ok: false, problem: 'kept', detail: wrong.map(keyOf).join(', ')} : {ok: true};
  });
}"""


def _frame_of(request: Request) -> Frame | None:
    try:
        return request.frame
    except PlaywrightError:  # a service worker's request, or the frame is gone
        return None


def _path(url: str) -> str:
    return re.sub(r"^[a-z]+://[^/]+", "", url) or "/"
