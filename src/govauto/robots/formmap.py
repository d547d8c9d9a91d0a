"""Form maps: a robot for a legacy web form, written in YAML that ops and policy officers can read.

A map says where the target system is, how to log in, which frames it has, how to open the form, which fact
goes into which field (with transforms), how to submit, how success is recognised and where the receipt
number is read, and how to search for an application already entered (so a case is never entered twice).
``docs/form-maps.md`` is the guide; ``src/govauto/default_plugins/robots/legacy_portal_establish.yaml`` is the
worked example.

:func:`read_form_map` checks the map's structure and :func:`check_facts` the facts it names against the
matter's case contract; both report every problem at once, each with its file and line
(:class:`~govauto.errors.FormMapError`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from govauto.errors import FormMapError, PackProblem
from govauto.robots.credentials import CREDENTIAL_FIELDS
from govauto.robots.transforms import TransformSpec, table_key, transform_problem
from govauto.rules.compiler import FactSchema
from govauto.rules.pack import LineDict, YamlItem, load_yaml

FIELD_KINDS = ("text", "select", "checkbox", "checkboxes", "radio", "upload")
STEP_ACTIONS = ("goto", "click", "fill", "select", "check", "wait_for", "press")
ROBOT_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_SEGMENT = re.compile(r"^(?P<name>[a-z_][a-z0-9_]*)(?:\[(?P<index>\d+|(?P<key>[a-z_][a-z0-9_]*)=(?P<eq>[^\]]+))\])?$")
_YAML_TYPES = {int: "number", float: "number", dt.date: "date", dt.datetime: "date and time"}
_ENV = re.compile(r"\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?::-(?P<default>[^}]*))?\}")


@dataclass(frozen=True)
class Locate:
    """Where an element is: a CSS/Playwright selector, inside a declared frame (``None``: the top page)."""

    selector: str
    frame: str | None = None
    pattern: str | None = None
    """For a receipt: the regular expression the number must match (the whole match, or group 1, is kept)."""
    line: int | None = None


@dataclass(frozen=True)
class ValueSpec:
    """Where a value comes from: a fact path (``business.premises[0].address``, ``materials[kind=lease].file``)
    or a constant, then transforms."""

    path: str | None = None
    const: Any = None
    transforms: tuple[TransformSpec, ...] = ()
    fallbacks: tuple[str, ...] = ()
    """Facts to use, in order, when ``path`` is empty (``value: [premises[0].address, premises[0].url]``)."""

    @property
    def paths(self) -> tuple[str, ...]:
        return ((self.path,) if self.path else ()) + self.fallbacks


@dataclass(frozen=True)
class Step:
    """One action: ``goto`` a URL, ``click``/``fill``/``select``/``check``/``press`` an element, ``wait_for`` one."""

    action: str
    selector: str | None = None
    frame: str | None = None
    url: str | None = None
    value: ValueSpec | None = None
    key: str | None = None
    submits: bool = False
    """The application may exist in the target once this step ran (the final submit): the job records that
    before the step, so a retry after an unknown outcome searches first instead of submitting again."""
    line: int | None = None


@dataclass(frozen=True)
class FieldSpec:
    """One form field: its label (for messages), where it is, what kind of input, and its value."""

    label: str
    selector: str
    kind: str
    value: ValueSpec
    frame: str | None = None
    match: Literal["value", "label"] = "value"
    optional: bool = False
    max_length: int | None = None
    line: int | None = None


@dataclass(frozen=True)
class LoginSpec:
    goto: str
    steps: tuple[Step, ...]
    success: Locate
    failure: Locate | None = None
    busy: tuple[str, ...] = ()
    """Texts of the failure message that mean "try again later" (too many users), not wrong credentials."""


@dataclass(frozen=True)
class SearchSpec:
    steps: tuple[Step, ...]
    done: Locate
    """Shown when the search has answered (results or 'nothing found')."""
    found: Locate
    receipt: Locate


@dataclass(frozen=True)
class FormSpec:
    open: tuple[Step, ...]
    ready: Locate
    fields: tuple[FieldSpec, ...]
    submit: tuple[Step, ...]
    success: Locate
    receipt: Locate
    error: Locate | None = None
    accept_dialogs: tuple[str, ...] = ()
    fill: Literal["dom", "typed"] = "dom"
    """``dom``: set every field of a frame in one round trip, firing input/change events (fast); ``typed``: one
    Playwright ``fill``/``select_option``/``check`` per field (slower; for pages whose scripts need key events)."""


@dataclass(frozen=True)
class Timeouts:
    """Seconds: a page to load, an element to act on, the target to answer a submit."""

    page: float = 15.0
    action: float = 5.0
    submit: float = 30.0


@dataclass(frozen=True)
class FormMap:
    """A robot for one matter on one target system, read from YAML (see the module docstring)."""

    id: str
    title: str
    matter: str
    target: str
    base_url: str
    credentials: str
    login: LoginSpec
    form: FormSpec
    file: str
    max_sessions: int = 1
    charset: str | None = None
    timeouts: Timeouts = field(default_factory=Timeouts)
    frames: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    """Frame name → its selector, or a list of selectors for a frame inside a frame."""
    tables: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    home: str | None = None
    logout: tuple[Step, ...] = ()
    session_expired: Locate | None = None
    search: SearchSpec | None = None
    user_agent: str | None = None
    clicks: Literal["mouse", "dispatch"] = "mouse"
    """How clicks are made: ``mouse`` (Playwright's full click) or ``dispatch`` (a click event on the visible
    element: faster, enough for pages whose buttons run ``onclick`` handlers and submit forms)."""

    def url(self, path: str) -> str:
        """An absolute URL for ``path`` (relative paths start at ``base_url``, with ``${VAR:-default}`` read from
        the environment when the robot runs)."""
        if re.match(r"^[a-z]+://", path):
            return path
        return expand_env(self.base_url).rstrip("/") + "/" + path.lstrip("/")

    def fact_paths(self) -> list[tuple[str, int | None]]:
        """Every fact path the map reads, with its line."""
        out: list[tuple[str, int | None]] = []
        steps = [*self.login.steps, *self.form.open, *self.form.submit, *self.logout,
                 *(self.search.steps if self.search else ())]
        for step in steps:
            if step.value is not None:
                out.extend((path, step.line) for path in step.value.paths)
        for spec in self.form.fields:
            out.extend((path, spec.line) for path in spec.value.paths)
        return out


def expand_env(text: str) -> str:
    """Replace ``${NAME}`` and ``${NAME:-default}`` with environment values.

    :raises RobotConfigError: when a variable without a default is not set.
    """
    from govauto.errors import RobotConfigError

    def sub(match: re.Match[str]) -> str:
        value = os.environ.get(match["name"])
        if value is None:
            if match["default"] is None:
                raise RobotConfigError(f"environment variable {match['name']} is not set (the form map uses it)")
            return match["default"]
        return value

    return _ENV.sub(sub, text)


# ---- reading ---------------------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[PackProblem] = []
        self.frames: dict[str, str | tuple[str, ...]] = {}
        self.tables: dict[str, dict[str, str]] = {}

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(PackProblem(self.file, line, message))

    def mapping(self, value: Any, where: str, line: int | None, allowed: Iterable[str],
                required: Iterable[str] = ()) -> LineDict | None:
        if not isinstance(value, LineDict):
            self.problem(line, f"{where}: must be a mapping")
            return None
        allowed = set(allowed)
        for key in value:
            if key not in allowed:
                expected = ", ".join(sorted(allowed))
                self.problem(value.lines.get(key), f"{where}: unknown key '{key}' (expected: {expected})")
        for key in required:
            if key not in value:
                self.problem(value.line, f"{where}: missing '{key}'")
        return value

    def text(self, data: LineDict, key: str, where: str, default: str | None = None) -> str | None:
        value = data.get(key, default)
        if value is None:
            return None
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.problem(data.lines.get(key), f"{where}.{key}: must be text")
            return default
        return str(value)

    def frame(self, data: LineDict, where: str, default: str | None) -> str | None:
        name = data.get("frame", default)
        if name is not None and name not in self.frames:
            declared = ", ".join(self.frames) or "none declared"
            self.problem(data.lines.get("frame", data.line),
                         f"{where}: unknown frame '{name}' (frames: {declared}; declare it under frames:)")
        return None if name is None else str(name)

    def locate(self, value: Any, where: str, line: int | None, default_frame: str | None = None,
               pattern: bool = False) -> Locate | None:
        if value is None:  # a required one that is missing was reported by the section ("missing 'ready'")
            return None
        if isinstance(value, str):
            value = _line_dict({"selector": value}, line)
        data = self.mapping(value, where, line, ["selector", "frame", *(["pattern"] if pattern else [])],
                            ["selector"])
        if data is None:
            return None
        regex = self.text(data, "pattern", where)
        if regex is not None:
            try:
                re.compile(regex)
            except re.error as exc:
                self.problem(data.lines.get("pattern"), f"{where}.pattern: not a regular expression ({exc})")
        return Locate(self.text(data, "selector", where) or "", self.frame(data, where, default_frame), regex,
                      data.line)

    def value(self, data: LineDict, where: str) -> ValueSpec | None:
        if "value" in data and "const" in data:
            self.problem(data.line, f"{where}: give 'value' (a fact) or 'const', not both")
        transforms = self.transforms(data.get("transform"), where, data.lines.get("transform"))
        if "const" in data:
            return ValueSpec(const=data["const"], transforms=transforms)
        if "value" in data:
            raw = data["value"]
            paths = raw if isinstance(raw, list) else [raw]
            if not paths or not all(isinstance(p, str) and p for p in paths):
                self.problem(data.lines.get("value"), f"{where}.value: must be a fact path such as applicant.name, "
                             "or a list of them (the first that has a value is used); const: for a fixed value")
                return None
            return ValueSpec(path=paths[0], transforms=transforms, fallbacks=tuple(paths[1:]))
        return None

    def transforms(self, value: Any, where: str, line: int | None) -> tuple[TransformSpec, ...]:
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        out: list[TransformSpec] = []
        for item in items:
            if isinstance(item, str):
                spec = TransformSpec(item, None, line)
            elif isinstance(item, LineDict) and len(item) == 1:
                name = next(iter(item))
                spec = TransformSpec(name, item[name], item.line)
            else:
                self.problem(line, f"{where}.transform: each transform is a name or {{name: parameter}}")
                continue
            problem = transform_problem(spec, self.tables)
            if problem:
                self.problem(spec.line, f"{where}.transform: {problem}")
            out.append(spec)
        return tuple(out)

    def table(self, name: str, data: Mapping[str, Any]) -> dict[str, str]:
        """A code table with its keys and codes in :func:`~govauto.robots.transforms.table_key` form: a YAML
        ``true``, ``"true"`` and a fact ``True`` are the same key (see docs/form-maps.md, Tables)."""
        items = getattr(data, "items_as_read", None)
        if items is None:  # not read from a YAML file: nothing to check against what was written
            items = [YamlItem(k, v, getattr(data, "line", 0), None, None) for k, v in data.items()]
        out: dict[str, str] = {}
        written: dict[str, str] = {}
        for item in items:
            shown = item.key_text or (f'"{item.key}"' if isinstance(item.key, str) else repr(item.key))
            key = self.table_entry(item.key, item.key_text, item.line, f"tables.{name}: key {shown}")
            code = self.table_entry(item.value, item.value_text, item.line, f"tables.{name}: the code of {shown}")
            if key is None:
                continue
            if key in written:
                self.problem(item.line, f"tables.{name}: {written[key]} and {shown} are the same key ('{key}')")
            written[key] = shown
            out[key] = code or ""
        return out

    def table_entry(self, value: Any, text: str | None, line: int, where: str) -> str | None:
        """A table key or code in ``table_key`` form, or ``None`` (reported) when it is not a single value or
        YAML read it as other than it is written (``01`` is the number 1, ``yes`` is true, ``1.50`` is 1.5)."""
        if value is None or isinstance(value, (list, dict)):
            self.problem(line, f"{where}: must be text, a whole number or true/false")
            return None
        canonical = table_key(value)
        if text is None or isinstance(value, str):
            return canonical
        if canonical == (text.lower() if isinstance(value, bool) else text):
            return canonical
        read_as = canonical if isinstance(value, bool) else f"the {_YAML_TYPES.get(type(value), 'value')} {canonical}"
        self.problem(line, f"{where}: YAML reads {text} as {read_as}; write {canonical}, or quote \"{text}\" for "
                     "the text")
        return None

    def steps(self, value: Any, where: str, line: int | None, default_frame: str | None = None) -> tuple[Step, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(line, f"{where}: must be a list of steps")
            return ()
        out: list[Step] = []
        for i, raw in enumerate(value):
            here = f"{where}[{i}]"
            data = self.mapping(raw, here, line, [*STEP_ACTIONS, "frame", "value", "const", "transform", "submits",
                                                  "key"])
            if data is None:
                continue
            actions = [a for a in STEP_ACTIONS if a in data]
            if len(actions) != 1:
                self.problem(data.line, f"{here}: give exactly one action of {', '.join(STEP_ACTIONS)}")
                continue
            action = actions[0]
            target = self.text(data, action, here)
            frame = self.frame(data, here, default_frame)
            spec = self.value(data, here)
            if action in {"fill", "select"} and spec is None:
                self.problem(data.line, f"{here}: '{action}' needs a value: (a fact) or const:")
            if action == "press" and "key" not in data:
                self.problem(data.line, f"{here}: 'press' needs key: (e.g. Enter)")
            out.append(Step(action=action, selector=None if action == "goto" else target, frame=frame,
                            url=target if action == "goto" else None, value=spec, key=self.text(data, "key", here),
                            submits=bool(data.get("submits", False)), line=data.line))
        return tuple(out)

    def fields(self, value: Any, where: str, line: int | None, default_frame: str | None) -> tuple[FieldSpec, ...]:
        if not isinstance(value, list) or not value:
            self.problem(line, f"{where}: must be a non-empty list of fields")
            return ()
        out: list[FieldSpec] = []
        labels: set[str] = set()
        for i, raw in enumerate(value):
            here = f"{where}[{i}]"
            data = self.mapping(raw, here, line, ["label", "selector", "frame", "kind", "value", "const", "transform",
                                                  "match", "optional", "max_length"], ["label", "selector"])
            if data is None:
                continue
            label = self.text(data, "label", here) or f"#{i}"
            here = f"field '{label}'"
            if label in labels:
                self.problem(data.line, f"{here}: the label is used twice (labels name fields in messages)")
            labels.add(label)
            kind = self.text(data, "kind", here, "text") or "text"
            if kind not in FIELD_KINDS:
                self.problem(data.lines.get("kind"), f"{here}: unknown kind '{kind}' (one of {', '.join(FIELD_KINDS)})")
            match = self.text(data, "match", here, "value") or "value"
            if match not in ("value", "label"):
                self.problem(data.lines.get("match"), f"{here}: match must be 'value' or 'label'")
                match = "value"
            spec = self.value(data, here)
            if spec is None:
                self.problem(data.line, f"{here}: needs value: (a fact path) or const:")
                spec = ValueSpec(const="")
            max_length = data.get("max_length")
            if max_length is not None and not (isinstance(max_length, int) and max_length > 0):
                self.problem(data.lines.get("max_length"), f"{here}: max_length must be a positive whole number")
                max_length = None
            out.append(FieldSpec(label=label, selector=self.text(data, "selector", here) or "", kind=kind, value=spec,
                                 frame=self.frame(data, here, default_frame),
                                 match="label" if match == "label" else "value",
                                 optional=bool(data.get("optional", False)), max_length=max_length, line=data.line))
        return tuple(out)


def _line_dict(values: Mapping[str, Any], line: int | None) -> LineDict:
    out = LineDict(values)
    out.line = line or 0
    out.lines = {k: line or 0 for k in values}
    return out


TOP_KEYS = ["robot", "title", "matter", "target", "max_sessions", "base_url", "credentials", "charset", "timeouts",
            "frames", "tables", "home", "login", "logout", "session_expired", "search", "form", "user_agent",
            "description", "clicks"]


def read_form_map(path: Path | str) -> FormMap:
    """Read a form map and check its structure: keys, frames, tables, transforms, steps, selectors.

    :raises FormMapError: with every problem found, each naming its file and line.
    """
    path = Path(path)
    reader = _Reader(str(path))
    try:
        raw = load_yaml(path)
    except OSError as exc:
        raise FormMapError([PackProblem(str(path), None, f"cannot read the form map: {exc.strerror}")]) from None
    except Exception as exc:  # yaml.YAMLError and friends
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise FormMapError([PackProblem(str(path), line, f"not valid YAML: {exc}")]) from None
    top = reader.mapping(raw, "form map", 1, TOP_KEYS, ["robot", "matter", "target", "base_url", "credentials",
                                                         "login", "form"])
    if top is None:
        raise FormMapError(reader.problems)

    frames = top.get("frames") or {}
    if isinstance(frames, Mapping) and all(isinstance(v, str) or (isinstance(v, list) and v and all(
            isinstance(s, str) for s in v)) for v in frames.values()):
        reader.frames = {str(k): v if isinstance(v, str) else tuple(v) for k, v in frames.items()}
    else:
        reader.problem(top.lines.get("frames"), "frames: must map a frame name to its selector "
                       "(main: \"frame[name=main]\"), or a list of them for "
                       "nested frames")
    tables = top.get("tables") or {}
    if isinstance(tables, Mapping) and all(isinstance(t, Mapping) for t in tables.values()):
        reader.tables = {str(k): reader.table(str(k), t) for k, t in tables.items()}
    else:
        reader.problem(top.lines.get("tables"), "tables: must map a table name to a mapping of value → code")

    robot_id = reader.text(top, "robot", "form map") or ""
    if robot_id and not ROBOT_ID.match(robot_id):
        reader.problem(top.lines.get("robot"),
                       f"robot: '{robot_id}' must be a dotted lower-case id (legacy_portal.establish)")
    max_sessions = top.get("max_sessions", 1)
    if not (isinstance(max_sessions, int) and not isinstance(max_sessions, bool) and max_sessions >= 1):
        reader.problem(top.lines.get("max_sessions"), "max_sessions: must be a whole number ≥ 1")
        max_sessions = 1
    charset = reader.text(top, "charset", "form map")
    if charset is not None:
        try:
            "".encode(charset)
        except LookupError:
            reader.problem(top.lines.get("charset"), f"charset: unknown encoding '{charset}' (e.g. gbk, gb18030, big5)")
    timeouts = Timeouts()
    if "timeouts" in top:
        data = reader.mapping(top["timeouts"], "timeouts", top.lines.get("timeouts"), ["page", "action", "submit"])
        if data is not None:
            values = {}
            for key in data:
                if isinstance(data[key], (int, float)) and data[key] > 0:
                    values[key] = float(data[key])
                else:
                    reader.problem(data.lines.get(key), f"timeouts.{key}: must be a positive number of seconds")
            timeouts = Timeouts(**values)

    login = _read_login(reader, top)
    form = _read_form(reader, top)
    search = _read_search(reader, top) if "search" in top else None
    session_expired = (reader.locate(top["session_expired"], "session_expired", top.lines.get("session_expired"))
                       if "session_expired" in top else None)
    logout = reader.steps(top.get("logout"), "logout", top.lines.get("logout"))
    login_steps = login.steps if login is not None else ()
    if any(step.submits for step in [*login_steps, *logout, *(search.steps if search else ())]):
        reader.problem(top.line, "submits: true belongs on the form's submit steps only")
    if form is not None and sum(step.submits for step in form.submit) != 1:
        reader.problem(top.lines.get("form"), "form.submit: mark exactly one step with submits: true (the step after "
                       "which the application may exist in the target)")
    if search is None:
        reader.problem(top.line, "search: missing; a robot must be able to find an application it may already have "
                       "entered, or it could submit twice")

    clicks = top.get("clicks", "mouse")
    if clicks not in ("mouse", "dispatch"):
        reader.problem(top.lines.get("clicks"), f"clicks: '{clicks}' must be mouse (the default) or dispatch")
    if reader.problems or form is None or login is None:
        raise FormMapError(reader.problems)
    return FormMap(id=robot_id, title=reader.text(top, "title", "form map") or robot_id,
                   matter=reader.text(top, "matter", "form map") or "",
                   target=reader.text(top, "target", "form map") or "",
                   base_url=reader.text(top, "base_url", "form map") or "",
                   credentials=reader.text(top, "credentials", "form map") or "", login=login, form=form,
                   file=str(path), max_sessions=max_sessions, charset=charset, timeouts=timeouts,
                   frames=reader.frames, tables=reader.tables, home=reader.text(top, "home", "form map"),
                   logout=logout, session_expired=session_expired, search=search,
                   user_agent=reader.text(top, "user_agent", "form map"),
                   clicks="dispatch" if clicks == "dispatch" else "mouse")


def _read_login(reader: _Reader, top: LineDict) -> LoginSpec | None:
    data = reader.mapping(top.get("login"), "login", top.lines.get("login"),
                          ["goto", "steps", "success", "failure", "frame", "busy"], ["goto", "steps", "success"])
    if data is None:
        return None
    frame = reader.frame(data, "login", None)
    steps = reader.steps(data.get("steps"), "login.steps", data.lines.get("steps"), frame)
    success = reader.locate(data.get("success"), "login.success", data.lines.get("success"))
    failure = (reader.locate(data["failure"], "login.failure", data.lines.get("failure"), frame)
               if "failure" in data else None)
    busy = data.get("busy") or []
    if not isinstance(busy, list) or not all(isinstance(t, str) for t in busy):
        reader.problem(data.lines.get("busy"), "login.busy: a list of texts meaning 'try again later'")
        busy = []
    if success is None:
        return None
    return LoginSpec(reader.text(data, "goto", "login") or "/", steps, success, failure, tuple(busy))


def _read_form(reader: _Reader, top: LineDict) -> FormSpec | None:
    data = reader.mapping(top.get("form"), "form", top.lines.get("form"),
                          ["frame", "open", "ready", "fields", "submit", "success", "receipt", "error", "dialogs",
                           "fill"],
                          ["ready", "fields", "submit", "success", "receipt"])
    if data is None:
        return None
    frame = reader.frame(data, "form", None)
    accept: tuple[str, ...] = ()
    if "dialogs" in data:
        dialogs = reader.mapping(data["dialogs"], "form.dialogs", data.lines.get("dialogs"), ["accept"])
        if dialogs is not None:
            texts = dialogs.get("accept") or []
            if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
                reader.problem(dialogs.lines.get("accept"), "form.dialogs.accept: a list of texts of confirm() "
                               "dialogs to accept")
            else:
                accept = tuple(texts)
    ready = reader.locate(data.get("ready"), "form.ready", data.lines.get("ready"), frame)
    success = reader.locate(data.get("success"), "form.success", data.lines.get("success"), frame)
    receipt = reader.locate(data.get("receipt"), "form.receipt", data.lines.get("receipt"), frame, pattern=True)
    error = reader.locate(data["error"], "form.error", data.lines.get("error"), frame) if "error" in data else None
    fields = reader.fields(data.get("fields"), "form.fields", data.lines.get("fields"), frame)
    fill = data.get("fill", "dom")
    if fill not in ("dom", "typed"):
        reader.problem(data.lines.get("fill"), f"form.fill: '{fill}' must be dom (fast, the default) or typed")
        fill = "dom"
    if ready is None or success is None or receipt is None:
        return None
    return FormSpec(fill="typed" if fill == "typed" else "dom",
                    open=reader.steps(data.get("open"), "form.open", data.lines.get("open"), frame), ready=ready,
                    fields=fields,
                    submit=reader.steps(data.get("submit"), "form.submit", data.lines.get("submit"), frame),
                    success=success, receipt=receipt, error=error, accept_dialogs=accept)


def _read_search(reader: _Reader, top: LineDict) -> SearchSpec | None:
    data = reader.mapping(top.get("search"), "search", top.lines.get("search"),
                          ["frame", "steps", "done", "found", "receipt"], ["steps", "done", "found", "receipt"])
    if data is None:
        return None
    frame = reader.frame(data, "search", None)
    steps = reader.steps(data.get("steps"), "search.steps", data.lines.get("steps"), frame)
    done = reader.locate(data.get("done"), "search.done", data.lines.get("done"), frame)
    found = reader.locate(data.get("found"), "search.found", data.lines.get("found"), frame)
    receipt = reader.locate(data.get("receipt"), "search.receipt", data.lines.get("receipt"), frame, pattern=True)
    if done is None or found is None or receipt is None:
        return None
    return SearchSpec(steps, done, found, receipt)


# ---- facts -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactRef:
    """A parsed fact path: segments, each a name with an optional ``[index]`` or ``[key=value]`` selector."""

    segments: tuple[tuple[str, int | tuple[str, str] | None], ...]

    @classmethod
    def parse(cls, text: str) -> FactRef:
        segments: list[tuple[str, int | tuple[str, str] | None]] = []
        for part in text.split("."):
            m = _SEGMENT.match(part)
            if not m:
                raise ValueError(f"'{text}' is not a fact path (e.g. applicant.name, business.premises[0].address, "
                                 "materials[kind=lease].file)")
            selector: int | tuple[str, str] | None = None
            if m["index"] is not None:
                selector = (m["key"], m["eq"]) if m["key"] else int(m["index"])
            segments.append((m["name"], selector))
        return cls(tuple(segments))


def check_facts(form_map: FormMap, schema: FactSchema) -> list[PackProblem]:
    """Every fact the map reads that the matter's cases do not provide, with a suggestion."""
    import difflib

    problems: list[PackProblem] = []
    known = sorted([*schema.paths, *schema.lists])
    login_lines = {step.line for step in form_map.login.steps}
    for path, line in form_map.fact_paths():
        if path in CREDENTIAL_FIELDS:
            if line not in login_lines:
                problems.append(PackProblem(form_map.file, line, f"'{path}' may be used in login steps only"))
            continue
        message = _fact_problem(path, schema)
        if message:
            close = difflib.get_close_matches(path, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append(PackProblem(form_map.file, line, message + hint))
    return problems


def _fact_problem(path: str, schema: FactSchema) -> str | None:
    try:
        ref = FactRef.parse(path)
    except ValueError as exc:
        return str(exc)
    prefix: list[str] = []
    for i, (name, selector) in enumerate(ref.segments):
        prefix.append(name)
        joined = ".".join(prefix)
        if selector is None:
            continue
        if joined not in schema.lists:
            return f"unknown fact '{path}': '{joined}' is not a list"
        rest = ".".join(n for n, _ in ref.segments[i + 1:])
        items = schema.item_paths(joined)
        if any(s is not None for _, s in ref.segments[i + 1:]):
            return f"unknown fact '{path}': only one [ ] selector is supported"
        if isinstance(selector, tuple) and selector[0] not in items:
            return f"unknown fact '{path}': items of '{joined}' have no '{selector[0]}' ({', '.join(sorted(items))})"
        if rest and rest not in items:
            return f"unknown fact '{path}': items of '{joined}' have no '{rest}' ({', '.join(sorted(items))})"
        if not rest and "" not in items:
            return f"'{path}' is a whole item of '{joined}'; name a field inside it ({', '.join(sorted(items))})"
        return None
    if path in schema.paths or path in schema.lists:
        return None
    return f"unknown fact '{path}'"


def resolve(facts: Mapping[str, Any], path: str) -> Any:
    """The value of a fact path in a case's facts (``None`` when it is absent or the list has no such item)."""
    if path in facts:
        return facts[path]
    ref = FactRef.parse(path)
    current: Any = facts
    for name, selector in ref.segments:
        if not isinstance(current, Mapping) or name not in current:
            return None
        current = current[name]
        if selector is None:
            continue
        if not isinstance(current, list):
            return None
        if isinstance(selector, int):
            current = current[selector] if selector < len(current) else None
        else:
            key, wanted = selector
            current = next((item for item in current if isinstance(item, Mapping) and str(item.get(key)) == wanted),
                           None)
    return current
