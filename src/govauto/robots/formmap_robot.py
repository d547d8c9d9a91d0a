"""A robot driven by a YAML form map (:mod:`govauto.robots.formmap`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from govauto.errors import (
    PackProblem,
    RobotBusinessError,
    RobotConfigError,
    RobotDataError,
    RobotError,
    RobotSelectorError,
    RobotTransientError,
)
from govauto.robots.base import EntryContext, Robot
from govauto.robots.credentials import CREDENTIAL_FIELDS, Credentials
from govauto.robots.formmap import FieldSpec, FormMap, Locate, Step, ValueSpec, check_facts, read_form_map, resolve
from govauto.robots.session import RobotSession
from govauto.robots.transforms import Apply, prepare
from govauto.rules.compiler import FactSchema

T = TypeVar("T")


class FormMapRobot(Robot):
    """The robot a form map describes; see ``docs/form-maps.md``."""

    def __init__(self, form_map: FormMap) -> None:
        self.map = form_map
        self.id = form_map.id
        self.title = form_map.title
        self.matter = form_map.matter
        self.target = form_map.target
        self.max_sessions = form_map.max_sessions
        self.credentials = form_map.credentials
        self.source = form_map.file
        self.where = Path(form_map.file).name
        """The map's file name, as messages cite it (``legacy_portal_establish.yaml:94``)."""
        self.user_agent = form_map.user_agent
        self._transforms: dict[int, Apply] = {}

    @classmethod
    def from_file(cls, path: Path | str) -> FormMapRobot:
        """Read a form map (:func:`~govauto.robots.formmap.read_form_map`) into a robot."""
        return cls(read_form_map(path))

    def check(self, schema: FactSchema) -> list[PackProblem]:
        return check_facts(self.map, schema)

    # ---- the robot's steps -------------------------------------------------------------------------------------

    def open_session(self, page: Page) -> RobotSession:
        m = self.map
        return RobotSession(page, base_url=m.url("/"), frames=m.frames, timeouts=m.timeouts,
                            session_expired=m.session_expired, accept_dialogs=m.form.accept_dialogs,
                            charset=m.charset, clicks=m.clicks)

    def login(self, session: RobotSession, credentials: Credentials) -> None:
        tries = 0

        def once() -> None:
            nonlocal tries
            if tries:  # the failed try may have opened a session the system still counts: end it first
                self._logout_quietly(session)
            tries += 1
            self._login(session, credentials)

        _again_on_glitch(session, once)

    def _login(self, session: RobotSession, credentials: Credentials) -> None:
        spec = self.map.login
        session.goto(self.map.url(spec.goto), "opening the login page")
        for step in spec.steps:
            self._step(session, step, {}, credentials, "logging in")
        targets = {"ok": spec.success}
        if spec.failure is not None:
            targets["failed"] = spec.failure
        if session.wait_any(targets, self.map.timeouts.page, "logging in") == "failed":
            assert spec.failure is not None
            message = session.text(spec.failure, "reading the login error")
            if any(text in message for text in spec.busy):
                raise RobotTransientError(f"logging in: the system is busy: {message}", kind="busy")
            raise RobotConfigError(f"logging in as {credentials.username!r} was refused: {message} (check the "
                                   f"credentials '{self.credentials}')", kind="login")

    def logged_in(self, session: RobotSession) -> bool:
        if self.map.home is None:
            return False
        try:
            session.goto(self.map.url(self.map.home), "opening the home page")
            session.wait_any({"ok": self.map.login.success}, self.map.timeouts.action, "checking the session")
        except RobotTransientError:
            return False
        return True

    def find(self, session: RobotSession, facts: Mapping[str, Any]) -> str | None:
        return _again_on_glitch(session, lambda: self._find(session, facts))

    def _find(self, session: RobotSession, facts: Mapping[str, Any]) -> str | None:
        spec = self.map.search
        if spec is None:  # read_form_map refuses such maps; a subclass may drop search on purpose
            return None
        for step in spec.steps:
            self._step(session, step, facts, None, "searching for the application")
        session.wait_any({"done": spec.done}, self.map.timeouts.page, "searching for the application")
        found = session.locator(spec.found.selector, spec.found.frame)
        if found.count() == 0:
            return None
        return self._receipt(session, spec.receipt, "reading the receipt number found by the search")

    def enter(self, session: RobotSession, entry: EntryContext) -> str:
        form = self.map.form
        final = next(i for i, step in enumerate(form.submit) if step.submits)

        def prepare() -> None:  # nothing is submitted before the final step: safe to do again
            for step in form.open:
                self._step(session, step, entry.facts, None, "opening the form")
            session.wait_any({"ready": form.ready}, self.map.timeouts.page, "opening the form")
            if form.fill == "typed":
                for spec in form.fields:
                    self._field(session, spec, entry)
            else:
                self._fill_dom(session, entry)
            for step in form.submit[:final]:
                self._step(session, step, entry.facts, None, "submitting")

        _again_on_glitch(session, prepare)
        for step in form.submit[final:]:
            self._step(session, step, entry.facts, None, "submitting",
                       before=entry.mark_submitting if step.submits else None)
        targets = {"success": form.success}
        if form.error is not None:
            targets["error"] = form.error
        if session.wait_any(targets, self.map.timeouts.submit, "waiting for the system's answer") == "error":
            assert form.error is not None
            message = session.text(form.error, "reading the system's error")
            raise RobotBusinessError(f"the system refused the application: {message}")
        return self._receipt(session, form.receipt, "reading the receipt number")

    def logout(self, session: RobotSession) -> None:
        def once() -> None:
            for step in self.map.logout:
                self._step(session, step, {}, None, "logging out")

        _again_on_glitch(session, once)

    def _logout_quietly(self, session: RobotSession) -> None:
        try:
            self.logout(session)
        except (RobotError, PlaywrightError):
            session.reset()

    # ---- helpers -----------------------------------------------------------------------------------------------

    def _receipt(self, session: RobotSession, target: Locate, doing: str) -> str:
        text = session.text(target, doing)
        if target.pattern is None:
            if not text:
                raise RobotBusinessError(f"{doing}: '{target.selector}' is empty", kind="receipt")
            return text
        match = re.search(target.pattern, text)
        if match is None:
            raise RobotBusinessError(f"{doing}: {text!r} at '{target.selector}' does not look like a receipt number "
                                     f"({target.pattern}); the application may exist: a person checks the system",
                                     kind="receipt")
        return match.group(1) if match.groups() else match.group(0)

    def _value(self, spec: ValueSpec, facts: Mapping[str, Any], credentials: Credentials | None) -> Any:
        if spec.path is None:
            value = spec.const
        elif spec.path in CREDENTIAL_FIELDS:
            if credentials is None:
                raise RobotConfigError(f"{spec.path} may be used in login steps only")
            value = getattr(credentials, CREDENTIAL_FIELDS[spec.path])
        else:
            value = None
            for path in spec.paths:
                value = resolve(facts, path)
                if value not in (None, "", []):
                    break
        if spec.transforms:
            key = id(spec)
            if key not in self._transforms:
                self._transforms[key] = prepare(spec.transforms, self.map.tables)
            value = self._transforms[key](value)
        return value

    def _step(self, session: RobotSession, step: Step, facts: Mapping[str, Any], credentials: Credentials | None,
              doing: str, before: Callable[[], None] | None = None) -> None:
        where = f"{doing} ({self.where}:{step.line})"
        if before is not None and step.action != "click":
            before()
        if step.action == "goto":
            session.goto(self.map.url(step.url or "/"), where)
            return
        selector = step.selector or ""
        if step.action == "click":
            session.click(selector, step.frame, where, before=before)
        elif step.action == "wait_for":
            session.element(selector, step.frame, where, self.map.timeouts.page)
        elif step.action == "press":
            session.element(selector, step.frame, where).first.press(step.key or "Enter")
        else:
            value = self._value(step.value, facts, credentials) if step.value else None
            if step.action == "fill":
                session.fill(selector, step.frame, _text(value), where, verify=credentials is None)
            elif step.action == "select":
                session.select(selector, step.frame, _text(value), "value", where)
            elif step.action == "check":
                session.element(selector, step.frame, where).first.set_checked(value is None or bool(value))

    def _field_value(self, session: RobotSession, spec: FieldSpec, entry: EntryContext) -> Any:
        """The field's value, transformed and checked (``None``: an optional field with nothing to enter)."""
        doing = f"field '{spec.label}'"
        try:
            value = self._value(spec.value, entry.facts, None)
        except RobotDataError as exc:
            raise RobotDataError(f"{doing}: {exc}") from None
        if value is None or value == "" or value == []:
            if spec.optional:
                return None
            source = " or ".join(spec.value.paths) or "its constant"
            raise RobotDataError(f"{doing}: the case has no value for {source}, which the system requires")
        if spec.kind in ("checkboxes", "radio"):
            value = [_text(v) for v in (value if isinstance(value, list) else [value])]
            for text in value:
                session.check_charset(text, doing)
        elif spec.kind == "checkbox":
            value = bool(value)
        elif spec.kind != "upload":
            value = _text(value)
            session.check_charset(value, doing)
            if spec.max_length is not None and len(value) > spec.max_length:
                raise RobotDataError(f"{doing}: {len(value)} characters, the system takes {spec.max_length}")
        return value

    def _fill_dom(self, session: RobotSession, entry: EntryContext) -> None:
        """Set the form's fields frame by frame, one round trip each; uploads through Playwright."""
        by_frame: dict[str | None, list[tuple[FieldSpec, Any]]] = {}
        uploads: list[tuple[FieldSpec, Any]] = []
        for spec in self.map.form.fields:
            value = self._field_value(session, spec, entry)
            if value is None:
                continue
            (uploads if spec.kind == "upload" else by_frame.setdefault(spec.frame, [])).append((spec, value))
        ready = self.map.form.ready
        for frame, items in by_frame.items():
            anchor = ready if frame == ready.frame else Locate("body", frame)
            operations = [{"label": spec.label, "selector": spec.selector,
                           "kind": "checkboxes" if spec.kind == "radio" else spec.kind,
                           "value": value, "match": spec.match} for spec, value in items]
            results = session.fill_form(anchor, operations, "filling the form")
            for (spec, value), result in zip(items, results, strict=True):
                if result.get("ok"):
                    continue
                doing = f"field '{spec.label}' ({self.where}:{spec.line})"
                detail = result.get("detail")
                if result["problem"] == "missing":
                    where = f" in frame {spec.frame}" if spec.frame else ""
                    raise RobotSelectorError(f"{doing}: no element matches '{spec.selector}'{where}; the page loaded "
                                             "but the selector finds nothing: fix the form map (the target system "
                                             "may have changed)")
                if result["problem"] == "no_option" and spec.kind in ("checkboxes", "radio"):
                    # for boxes the page reports the values that have none (not the ones it offers)
                    missing = ", ".join(repr(v) for v in str(detail).split(", "))
                    raise RobotDataError(f"{doing}: the system has no box for {missing}")
                if result["problem"] == "no_option":
                    raise RobotDataError(f"{doing}: the system offers no choice for {value!r} (it has: {detail})")
                raise RobotDataError(f"{doing}: the field kept {detail!r} instead of {value!r} (a length limit or "
                                     "a format the page rewrites); a person must enter it")
        for spec, value in uploads:
            path = Path(_text(value))
            session.upload(spec.selector, spec.frame, path if path.is_absolute() else entry.base_dir / path,
                           f"field '{spec.label}'")

    def _field(self, session: RobotSession, spec: FieldSpec, entry: EntryContext) -> None:
        doing = f"field '{spec.label}'"
        value = self._field_value(session, spec, entry)
        if value is None:
            return
        locator = session.locator(spec.selector, spec.frame)
        session.require(locator, spec.selector, spec.frame, doing + f" ({self.where}:{spec.line})")
        if spec.kind == "text":
            session.fill(spec.selector, spec.frame, value, doing)
        elif spec.kind == "select":
            session.select(spec.selector, spec.frame, value, spec.match, doing)
        elif spec.kind in ("checkboxes", "radio"):
            session.check_boxes(spec.selector, spec.frame, value, spec.match, doing)
        elif spec.kind == "checkbox":
            session.element(spec.selector, spec.frame, doing).first.set_checked(value)
        elif spec.kind == "upload":
            path = Path(_text(value))
            session.upload(spec.selector, spec.frame, path if path.is_absolute() else entry.base_dir / path, doing)


GLITCHES = ("server_error", "network")
"""Error kinds worth one more immediate try of a step that cannot submit (a 500 or a dropped connection)."""


def _again_on_glitch(session: RobotSession, action: Callable[[], T], tries: int = 3) -> T:
    """Run ``action`` (which must not submit anything), again at once after a 5xx or a dropped connection.

    A legacy system under load fails single requests; going back to the start of the job for each would make
    every attempt a dice roll over a dozen requests. Other errors, and the last glitch, propagate.
    """
    for attempt in range(1, tries + 1):
        try:
            return action()
        except RobotTransientError as exc:
            if exc.kind not in GLITCHES or attempt == tries:
                raise
            session.reset()
    raise AssertionError("unreachable")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)

