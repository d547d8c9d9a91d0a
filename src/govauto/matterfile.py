"""Matters declared in YAML: ``matter.yaml``, so that adding a matter needs no Python.

A ``matter.yaml`` says what a :class:`~govauto.matters.Matter` holds (id, title, the pack that reviews it, the
required materials, the legal time limit, the robot) and declares the matter's case contract field by field; the
pydantic model of the contract is built from it (:func:`read_matter`), on top of
:class:`~govauto.model.CaseEnvelope`, so schema export, ``govauto review`` and contract errors work as for a matter
written in Python::

    id: food_stall.register
    title: 食品摊贩登记
    pack: food_stall.register          # the rule pack that reviews it (default: the id)
    time_limit_days: 5                  # the legal time limit, in working days
    required_materials: [application_form, id_card]
    robot: null                         # the robot that enters approved cases (optional)
    fields:                             # the contract beyond the envelope (case_id, submitted_at, authority, materials)
      operator:
        type: person                    # name and id_number
        required: true
      stall:
        type: object
        required: true
        fields:
          kind: {type: enum, values: [fixed, mobile], required: true, example: fixed}
          area: {type: number, minimum: 0, maximum: 50, description: 摊位面积（平方米）, example: 6}

**Where matter files are found** (one mechanism with the rule packs, see :class:`~govauto.Runtime`): beside the
``pack.yaml`` of every registered pack directory, anywhere under a directory of the packs path (``GOVAUTO_PACKS``,
``govauto --packs DIR``, ``Runtime(packs=...)``), given to ``register`` by a ``govauto_register_matters``
implementation, and beside a pack under development when it is compiled (``govauto pack check DIR``).

Every problem of a file is reported at once, each with its file and line (:class:`~govauto.errors.MatterError`),
as for rule packs and form maps.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import keyword
import os
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    create_model,
)
from pydantic.fields import FieldInfo

from govauto.errors import CaseError, FieldProblem, MatterError, PackProblem
from govauto.facts import COMMON_DERIVED_FACTS
from govauto.matters import Matter
from govauto.model import (
    CHINA,
    CaseEnvelope,
    Division,
    MaterialKind,
    Person,
    Required,
    Text,
    Timestamp,
    _as_text,
    _Model,
    _not_blank,
    _problem,
    fact_paths,
    validate_case,
)
from govauto.rules.pack import RULE_ID, LineDict, _read

__all__ = [
    "FIELD_TYPES",
    "MATERIAL_KINDS",
    "MATTER_FILE",
    "MATTER_KEYS",
    "FieldSpec",
    "MatterFile",
    "find_declarations",
    "read_matter",
]

MATTER_FILE = "matter.yaml"
"""The file name of a matter declaration."""

MATTER_KEYS = {"id", "title", "pack", "description", "time_limit_days", "required_materials", "robot", "fields",
               "derived_facts", "confirmations"}
"""The keys a ``matter.yaml`` may have."""

MATERIAL_KINDS: tuple[str, ...] = typing.get_args(MaterialKind)
"""The material kinds a case may list (``required_materials`` names some of them)."""

FIELD_TYPES: dict[str, str] = {
    "string": "text; pattern (a regular expression that must match somewhere: anchor it with ^...$), min_length, "
              "max_length",
    "integer": "a whole number; minimum, maximum",
    "number": "a number (decimals allowed); minimum, maximum",
    "boolean": "true or false",
    "date": "a date, 2026-11-20",
    "datetime": "a date and time, 2026-11-20T09:30:00+08:00 (China time when no offset is given)",
    "enum": "one of the texts listed under values",
    "division": 'a 6-digit GB/T 2260 division code, "440305"',
    "person": "a natural person: name (required) and id_number",
    "list": "a list of items, each as described under items; min_items, max_items",
    "object": "a group of fields, described under fields",
}
"""The field types of a matter's case contract and what each takes."""

_COMMON_KEYS = {"type", "required", "description", "example", "default"}
_TYPE_KEYS: dict[str, set[str]] = {
    "string": {"pattern", "min_length", "max_length"},
    "integer": {"minimum", "maximum"},
    "number": {"minimum", "maximum"},
    "enum": {"values"},
    "list": {"items", "min_items", "max_items"},
    "object": {"fields"},
}
_ITEM_KEYS_REFUSED = {"required", "default", "example"}
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_EXTRACTED = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_RESERVED_ANYWHERE = frozenset({"true", "false", "item"}) | frozenset(name for name in dir(BaseModel)
                                                                       if not name.startswith("_"))
_RESERVED_TOP = frozenset(CaseEnvelope.model_fields) | {name.split(".")[0] for name in COMMON_DERIVED_FACTS}
_MAX_DEPTH = 8
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "rules", "examples"})

EXAMPLE_PERSON = {"name": "张三", "id_number": "110101199003071233"}
"""The person the scaffold puts in a generated example case when a ``person`` field gives no example."""


class _YamlObject(_Model):
    model_config = ConfigDict(regex_engine="python-re")


class _YamlCase(CaseEnvelope):
    model_config = ConfigDict(regex_engine="python-re")


@dataclass(frozen=True)
class FieldSpec:
    """One field of a declared case contract, as its author wrote it (values normalised to their JSON form).

    :ivar type: one of :data:`FIELD_TYPES`.
    :ivar example: an example value that fits the field (JSON form), or ``None``.
    :ivar default: the value an optional field takes when it is left out (JSON form), or ``None``.
    :ivar constraints: the type's constraints as written (``pattern``, ``minimum``, ``values`` ...).
    :ivar items: for a list, its items.
    :ivar fields: for an object, its fields by name.
    """

    name: str
    type: str
    required: bool = False
    description: str = ""
    example: Any = None
    default: Any = None
    constraints: dict[str, Any] = field(default_factory=dict)
    items: FieldSpec | None = None
    fields: dict[str, FieldSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class MatterFile:
    """A matter read from a ``matter.yaml``.

    :ivar digest: SHA-256 of the declaration's content (comments and layout aside): two files that declare a matter
        identically (copies beside two versions of its pack) have the same digest.
    """

    path: Path
    matter: Matter
    fields: dict[str, FieldSpec]
    digest: str

    def example_case(self, submitted_on: dt.date) -> tuple[dict[str, Any] | None, list[FieldProblem]]:
        """A case of this matter made from the fields' examples, submitted on ``submitted_on`` (for the scaffold).

        Every required field and every field with an ``example`` is filled in: with its example, else with a value
        of its type (an enum's first value, a list of one item ...). The envelope gets ``case_id`` ``EXAMPLE-1``,
        an authority in 440305 and one shared material of each required kind.

        :returns: the case, or ``None`` and why it does not fit the contract (give those fields an ``example``).
        """
        case: dict[str, Any] = {
            "matter": self.matter.id,
            "case_id": "EXAMPLE-1",
            "submitted_at": f"{submitted_on.isoformat()}T09:30:00+08:00",
            "authority": {"name": "深圳市南山区市场监督管理局", "division": "440305"},
            "materials": [{"kind": kind, "source": "shared"} for kind in self.matter.required_materials],
        }
        case.update(_example_fields(self.fields, submitted_on))
        try:
            validate_case(case, self.matter.case_model, str(self.path))
        except CaseError as error:
            return None, error.problems
        return case, []


def read_matter(path: Path | str) -> MatterFile:
    """Read and check the matter declared in ``path`` (a ``matter.yaml``, or a directory holding one).

    :raises MatterError: with every problem found, each with its file and line.
    """
    path = Path(path)
    file = path / MATTER_FILE if path.is_dir() else path
    if not file.is_file():
        raise MatterError([PackProblem(str(file), None, f"no such file: a matter is declared in a file named "
                                                        f"{MATTER_FILE} (govauto matter new writes one)")])
    problems: list[PackProblem] = []
    data = _read(file, problems)
    if problems:
        raise MatterError(problems)
    if not isinstance(data, LineDict):
        raise MatterError([PackProblem(str(file), 1, f"{MATTER_FILE} must be a mapping with id, title, pack, "
                                                      "fields ...")])
    return _Reader(file, problems).matter(data)


def find_declarations(root: Path) -> tuple[list[Path], list[Path]]:
    """The rule pack directories (holding ``pack.yaml``) and the ``matter.yaml`` files under ``root``, sorted.

    Hidden directories, ``__pycache__`` and the ``rules/`` and ``examples/`` directories of a pack are not entered.
    """
    packs: list[Path] = []
    matters: list[Path] = []
    for current, dirs, files in os.walk(root, followlinks=True):
        here = Path(current)
        is_pack = "pack.yaml" in files
        if is_pack:
            packs.append(here)
        if MATTER_FILE in files:
            matters.append(here / MATTER_FILE)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__"
                         and not (is_pack and d in _SKIPPED_DIRS))
    return sorted(packs), sorted(matters)


# ---- reading ----------------------------------------------------------------------------------------------------


class _Reader:
    """Reads one matter.yaml, collecting every problem."""

    def __init__(self, file: Path, problems: list[PackProblem]) -> None:
        self.file = file
        self.problems = problems

    def problem(self, line: int | None, message: str, field_path: str | None = None) -> None:
        self.problems.append(PackProblem(str(self.file), line, f"field {field_path}: {message}" if field_path
                                         else message))

    def matter(self, data: LineDict) -> MatterFile:
        for key in data:
            if key not in MATTER_KEYS:
                self.problem(data.lines.get(key), f"unknown key '{key}' (known: {', '.join(sorted(MATTER_KEYS))})")
        matter_id = self._id(data, "id", required=True)
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            self.problem(data.lines.get("title", data.line), "'title' is required: the matter's official name, "
                                                             "e.g. 个体工商户设立登记")
            title = ""
        pack = self._id(data, "pack", required=False) or matter_id
        description = data.get("description")
        if description is not None and not isinstance(description, str):
            self.problem(data.lines.get("description"), "description must be text")
        time_limit = data.get("time_limit_days")
        if time_limit is not None and (isinstance(time_limit, bool) or not isinstance(time_limit, int)
                                       or time_limit < 1):
            self.problem(data.lines.get("time_limit_days"), f"time_limit_days is the legal time limit in working "
                                                            f"days, a whole number of at least 1; got {time_limit!r}")
            time_limit = None
        materials = self._materials(data)
        robot = self._id(data, "robot", required=False) or None

        specs: dict[str, FieldSpec] = {}
        model: type[CaseEnvelope] | None = None
        raw_fields = data.get("fields")
        if not isinstance(raw_fields, LineDict):
            self.problem(data.lines.get("fields", data.line),
                         "'fields' is required: a mapping of the case contract's fields (write fields: {} for a "
                         "matter whose cases carry only the envelope)")
        else:
            specs = self._fields(raw_fields, "", 1)
            if matter_id and not self.problems:
                model = self._model(matter_id, title, specs)
        paths: set[str] = set()
        if model is not None:
            found, lists = fact_paths(model)
            paths = found | set(lists)
        derived = self._text_map(data, "derived_facts")
        for name in derived:
            line = self._entry_line(data, "derived_facts", name)
            if not RULE_ID.match(name):
                self.problem(line, f"derived fact {name!r}: a fact name is lowercase words joined by dots, like "
                                   "business.online_only")
            elif name in paths or name in COMMON_DERIVED_FACTS:
                self.problem(line, f"derived fact {name!r} is already a fact of the case contract")
        confirmations = self._text_map(data, "confirmations")
        for extracted, declared in confirmations.items():
            line = self._entry_line(data, "confirmations", extracted)
            if not _EXTRACTED.match(extracted):
                self.problem(line, f"confirmations: {extracted!r} must name a field read from a material as "
                                   "DOCUMENT_TYPE.FIELD, like id_card_front.name")
            if model is not None and declared not in paths:
                self.problem(line, f"confirmations: {extracted} → {declared!r}: {declared!r} is not a fact of the "
                                   "case contract" + _did_you_mean(declared, paths))
        if self.problems or model is None:
            raise MatterError(sorted(self.problems, key=lambda p: p.line or 0))
        matter = Matter(id=matter_id, title=str(title).strip(), case_model=model, pack=pack,
                        required_materials=materials, time_limit_days=time_limit, derived_facts=derived,
                        confirmations=confirmations, robot=robot, source=self.file.resolve())
        digest = hashlib.sha256(json.dumps(_plain(data), sort_keys=True, ensure_ascii=False,
                                           default=str).encode("utf-8")).hexdigest()
        return MatterFile(self.file, matter, specs, digest)

    def _id(self, data: LineDict, key: str, *, required: bool) -> str:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.problem(data.lines.get(key, data.line), f"'{key}' is required: lowercase words joined by dots, "
                                                             "like food_stall.register")
            return ""
        if not isinstance(value, str) or not RULE_ID.match(value):
            self.problem(data.lines.get(key), f"{key} must be lowercase words joined by dots, like "
                                              f"food_stall.register; got {value!r}")
            return ""
        return value

    def _materials(self, data: LineDict) -> tuple[str, ...]:
        raw = data.get("required_materials")
        if raw is None:
            return ()
        line = data.lines.get("required_materials")
        if not isinstance(raw, list):
            self.problem(line, "required_materials is a list of material kinds, like [application_form, id_card]")
            return ()
        out: list[str] = []
        for kind in raw:
            if kind not in MATERIAL_KINDS:
                self.problem(line, f"required_materials: unknown material kind {kind!r} (known: "
                                   f"{', '.join(MATERIAL_KINDS)})")
            elif kind in out:
                self.problem(line, f"required_materials: {kind} is listed twice")
            else:
                out.append(kind)
        return tuple(out)

    @staticmethod
    def _entry_line(data: LineDict, key: str, entry: str) -> int | None:
        """The line of ``entry`` in the mapping under ``key`` (else of ``key`` itself)."""
        mapping = data.get(key)
        if isinstance(mapping, LineDict) and entry in mapping.lines:
            return mapping.lines[entry]
        return data.lines.get(key)

    def _text_map(self, data: LineDict, key: str) -> dict[str, str]:
        raw = data.get(key)
        if raw is None:
            return {}
        if not isinstance(raw, Mapping) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                                   for k, v in raw.items()):
            self.problem(data.lines.get(key), f"{key} maps names to texts, like "
                         + ("{business.online_only: true when every premises is an online shop}"
                            if key == "derived_facts" else "{id_card_front.name: applicant.name}"))
            return {}
        return {str(k): str(v) for k, v in raw.items()}

    # -- fields ---------------------------------------------------------------------------------------------------

    def _fields(self, raw: LineDict, prefix: str, depth: int) -> dict[str, FieldSpec]:
        out: dict[str, FieldSpec] = {}
        for name, spec in raw.items():
            path = f"{prefix}{name}"
            line = raw.lines.get(name, raw.line)
            if not _FIELD_NAME.match(name) or keyword.iskeyword(name):
                self.problem(line, f"the name {name!r}: use lowercase letters, digits and _, starting with a "
                                   "letter (like id_number)", path)
                continue
            if name in _RESERVED_ANYWHERE or name.startswith("model_") or (not prefix and name in _RESERVED_TOP):
                where = "of every case (the envelope) or a derived fact" if name in _RESERVED_TOP and not prefix \
                    else "reserved"
                self.problem(line, f"the name {name!r} is {where}: choose another name", path)
                continue
            if not isinstance(spec, LineDict):
                self.problem(line, "describe it by a mapping with at least a type, like "
                                   "{type: string, required: true}", path)
                continue
            parsed = self._field(name, spec, path, depth, item=False)
            if parsed is not None:
                out[name] = parsed
        return out

    def _field(self, name: str, spec: LineDict, path: str, depth: int, *, item: bool) -> FieldSpec | None:
        kind = spec.get("type")
        if kind not in FIELD_TYPES:
            self.problem(spec.lines.get("type", spec.line), f"type must be one of {', '.join(FIELD_TYPES)}; got "
                                                            f"{kind!r}", path)
            return None
        known = (_COMMON_KEYS | _TYPE_KEYS.get(kind, set())) - (_ITEM_KEYS_REFUSED if item else set())
        ok = True
        for key in spec:
            if key not in known:
                ok = False
                if item and key in _ITEM_KEYS_REFUSED:
                    message = (f"the items of a list have no '{key}' of their own: say it on the list (min_items "
                               "for items that must be given, example for an example list)")
                else:
                    owner = [t for t, keys in _TYPE_KEYS.items() if key in keys]
                    hint = f" ({key} is for {' and '.join(owner)} fields)" if owner else ""
                    message = f"unknown key '{key}' for a {kind} field{hint} (known: {', '.join(sorted(known))})"
                self.problem(spec.lines.get(key), message, path)
        required = spec.get("required", False)
        if not isinstance(required, bool):
            self.problem(spec.lines.get("required"), f"required is true or false; got {required!r}", path)
            required, ok = False, False
        description = spec.get("description", "")
        if not isinstance(description, str):
            self.problem(spec.lines.get("description"), "description must be text", path)
            description, ok = "", False
        constraints = {key: spec[key] for key in _TYPE_KEYS.get(kind, set()) if key in spec
                       and key not in ("items", "fields")}
        ok = self._check_constraints(kind, constraints, spec, path) and ok
        items: FieldSpec | None = None
        fields: dict[str, FieldSpec] = {}
        if depth > _MAX_DEPTH and kind in ("list", "object"):
            self.problem(spec.line, f"fields may be nested at most {_MAX_DEPTH} levels deep", path)
            return None
        if kind == "list":
            raw_items = spec.get("items")
            if not isinstance(raw_items, LineDict):
                self.problem(spec.lines.get("items", spec.line), "a list field describes its items: items: {type: "
                                                                  "string} (or an object with fields)", path)
                return None
            items = self._field("item", raw_items, f"{path}[]", depth + 1, item=True)
            if items is None:
                return None
        elif kind == "object":
            raw_fields = spec.get("fields")
            if not isinstance(raw_fields, LineDict) or not raw_fields:
                self.problem(spec.lines.get("fields", spec.line), "an object field lists its fields: fields: "
                                                                  "{name: {type: string}}", path)
                return None
            count = len(self.problems)
            fields = self._fields(raw_fields, f"{path}.", depth + 1)
            ok = ok and len(self.problems) == count
        if not ok:
            return None
        parsed = FieldSpec(name, str(kind), bool(required), description.strip(), None, None, constraints, items,
                           fields)
        annotation = _annotation(parsed, _model_name(path))
        example = self._value(spec, "example", annotation, path)
        default = self._value(spec, "default", annotation, path)
        if spec.get("default") is not None and required:
            self.problem(spec.lines.get("default"), "a required field has no default: the case must give it "
                                                    "(remove required, or the default)", path)
        return FieldSpec(name, str(kind), bool(required), description.strip(), example, default, constraints, items,
                         fields)

    def _check_constraints(self, kind: str, constraints: dict[str, Any], spec: LineDict, path: str) -> bool:
        ok = True

        def bad(key: str, message: str) -> None:
            nonlocal ok
            ok = False
            self.problem(spec.lines.get(key, spec.line), message, path)

        for key in ("min_length", "max_length", "min_items", "max_items"):
            value = constraints.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                bad(key, f"{key} is a whole number of at least 0; got {value!r}")
        for key in ("minimum", "maximum"):
            value = constraints.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                bad(key, f"{key} is a number; got {value!r}")
        for low, high in (("min_length", "max_length"), ("min_items", "max_items"), ("minimum", "maximum")):
            lo, hi = constraints.get(low), constraints.get(high)
            if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and not isinstance(lo, bool) \
                    and not isinstance(hi, bool) and lo > hi:
                bad(high, f"{high} ({hi}) is less than {low} ({lo})")
        if "pattern" in constraints:
            pattern = constraints["pattern"]
            if not isinstance(pattern, str) or not pattern:
                bad("pattern", "pattern is a regular expression written as text; quote it: pattern: '^\\d{6}$'")
            else:
                try:
                    re.compile(pattern)
                except re.error as error:
                    bad("pattern", f"pattern {pattern!r} is not a valid regular expression: {error}")
        if kind == "enum":
            values = constraints.get("values")
            if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
                bad("values", "an enum field lists its values as texts: values: [fixed, mobile] (quote numbers: "
                              "values: ['1', '2'])")
            elif len(set(values)) != len(values):
                bad("values", "an enum field lists each value once")
        return ok

    def _value(self, spec: LineDict, key: str, annotation: Any, path: str) -> Any:
        if spec.get(key) is None:  # absent, or written as null
            return None
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        try:
            value = adapter.validate_python(_plain(spec[key]))
        except ValidationError as error:
            for err in error.errors():
                problem = _problem(err)
                where = f" at {problem.path}" if problem.path else ""
                self.problem(spec.lines.get(key), f"{key}{where}: {problem.message}", path)
            return None
        return adapter.dump_python(value, mode="json")

    def _model(self, matter_id: str, title: str, specs: dict[str, FieldSpec]) -> type[CaseEnvelope]:
        name = _model_name(matter_id) + "Case"
        definitions: dict[str, Any] = {"matter": (Literal[matter_id], ...)}
        for spec in specs.values():
            definitions[spec.name] = _definition(spec, f"{_model_name(matter_id)}{_model_name(spec.name)}")
        model: type[CaseEnvelope] = create_model(
            name, __base__=_YamlCase, __doc__=f"{title}: the case contract of matter ``{matter_id}`` (declared in "
                                               f"{self.file.name}).", __module__=__name__, **definitions)
        return model


# ---- building the pydantic model ----------------------------------------------------------------------------------


def _model_name(path: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[._\[\]]+", path) if part)


def _annotation(spec: FieldSpec, model_name: str) -> Any:
    """The type of a field's value (not yet optional), its constraints inside."""
    c = spec.constraints
    if spec.type == "string":
        limits = {k: c[k] for k in ("pattern", "min_length", "max_length") if k in c}
        if not limits:
            return Required if spec.required else Text
        # the constraints before the validators, so that the JSON Schema shows them (after, pydantic drops them)
        checks: list[Any] = [BeforeValidator(_as_text)] + ([AfterValidator(_not_blank)] if spec.required else [])
        return Annotated[(str, Field(**limits), *checks)]
    if spec.type in ("integer", "number"):
        bounds = {"ge": c["minimum"]} if "minimum" in c else {}
        if "maximum" in c:
            bounds["le"] = c["maximum"]
        number: type = int if spec.type == "integer" else float
        return Annotated[number, Field(**bounds)] if bounds else number
    if spec.type == "enum":
        return Literal[tuple(c["values"])]
    if spec.type == "list":
        assert spec.items is not None
        item = _annotation(spec.items, model_name + "Item")
        sizes = {"min_length": c["min_items"]} if "min_items" in c else {}
        if spec.required and not c.get("min_items"):
            sizes["min_length"] = 1
        if "max_items" in c:
            sizes["max_length"] = c["max_items"]
        return Annotated[list[item], Field(**sizes)] if sizes else list[item]  # type: ignore[valid-type]
    if spec.type == "object":
        definitions = {f.name: _definition(f, model_name + _model_name(f.name)) for f in spec.fields.values()}
        return create_model(model_name, __base__=_YamlObject, __module__=__name__,  # type: ignore[call-overload]
                            **definitions)
    return {"boolean": bool, "date": dt.date, "datetime": Timestamp, "division": Division,
            "person": Person}[spec.type]


def _definition(spec: FieldSpec, model_name: str) -> tuple[Any, FieldInfo]:
    """``(annotation, FieldInfo)`` of a field for :func:`pydantic.create_model`."""
    annotation = _annotation(spec, model_name)
    extra: dict[str, Any] = {}
    if spec.description:
        extra["description"] = spec.description
    if spec.example is not None:
        extra["examples"] = [spec.example]
    if spec.required:
        return annotation, Field(..., **extra)
    if spec.default is not None:
        return annotation, Field(spec.default, validate_default=True, **extra)
    if spec.type == "list":
        return annotation, Field(default_factory=list, **extra)
    return annotation | None, Field(None, **extra)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _did_you_mean(name: str, known: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ---- example cases (for the scaffold) ----------------------------------------------------------------------------


def _example_fields(specs: Mapping[str, FieldSpec], day: dt.date) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in specs.values():
        if spec.example is not None:
            out[spec.name] = spec.example
        elif spec.required:
            out[spec.name] = _example_value(spec, day)
    return out


def _example_value(spec: FieldSpec, day: dt.date) -> Any:
    c = spec.constraints
    if spec.example is not None:
        return spec.example
    if spec.default is not None:
        return spec.default
    if spec.type == "string":
        length = max(2, c.get("min_length") or 0)
        if c.get("max_length") is not None:
            length = min(length, c["max_length"])
        return ("示例" + "例" * length)[:length]
    if spec.type in ("integer", "number"):
        value = c.get("minimum", 1)
        if "maximum" in c and value > c["maximum"]:
            value = c["maximum"]
        return int(value) if spec.type == "integer" and value == int(value) else value
    if spec.type == "boolean":
        return False
    if spec.type == "date":
        return day.isoformat()
    if spec.type == "datetime":
        return dt.datetime.combine(day, dt.time(9, 30), CHINA).isoformat()
    if spec.type == "enum":
        return c["values"][0]
    if spec.type == "division":
        return "440305"
    if spec.type == "person":
        return dict(EXAMPLE_PERSON)
    if spec.type == "list":
        assert spec.items is not None
        return [_example_value(spec.items, day) for _ in range(max(1, c.get("min_items") or 1))]
    return _example_fields(spec.fields, day)
