"""Starting a new matter and a new rule pack: ``govauto matter new`` and ``govauto pack new`` (for rule authors; no
Python needed).

:func:`new_matter` writes a commented ``matter.yaml`` (:mod:`govauto.matterfile`) that is valid as it is: a small
case contract with an example value on each field, to change into the matter's own.

:func:`new_pack` writes a pack directory that passes ``govauto pack check`` and ``govauto pack test`` at once:
``pack.yaml``, one real commented rule over a fact of the matter's case contract, two example cases (copied from
an installed pack of the same matter, when one has an ``approve`` example, else made from the field examples of
the matter's ``matter.yaml``), a pytest file and a README skeleton. The matter is an installed one, or the one
declared in a ``matter.yaml`` where the pack is written (``govauto matter new`` then ``govauto pack new`` with the
same ``--dir`` put both files in one directory).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import AfterValidator, BaseModel

from govauto.errors import CaseError, GovautoError, UnknownMatterError
from govauto.matterfile import MATERIAL_KINDS, MATTER_FILE, read_matter
from govauto.matters import Matter
from govauto.model import CHINA, CaseEnvelope
from govauto.rules.pack import RULE_ID, Example
from govauto.runtime import Runtime

RULE_FILE = "10_first_rule.yaml"
BASIS_TODO = "【待填写 TODO】法律依据：请替换为法规名称及条款，如《……》第……条"


class PackExistsError(GovautoError):
    """The directory ``govauto pack new`` would write to already exists (and ``force`` was not given)."""


class MatterExistsError(GovautoError):
    """The ``matter.yaml`` ``govauto matter new`` would write already exists (and ``force`` was not given)."""


DEFAULT_MATERIALS = ("application_form", "id_card")
"""The materials ``govauto matter new`` requires unless told otherwise."""


def new_matter(matter_id: str, title: str, directory: Path | str = "rules", *, pack_id: str | None = None,
               time_limit_days: int | None = None, materials: tuple[str, ...] | list[str] = DEFAULT_MATERIALS,
               robot: str | None = None, force: bool = False) -> Path:
    """Write ``<directory>/<matter id with dots as slashes>/matter.yaml`` and return its path.

    The file declares the matter with a small case contract (an applicant, a phone number, premises, a business
    scope), every key commented and every field with an example, so that it is valid at once and ``govauto pack
    new MATTER --dir <directory>`` writes a passing pack beside it. The author then changes the fields into the
    matter's own.

    :param title: the matter's official name, e.g. ``食品摊贩登记``.
    :param pack_id: the rule pack that reviews it (default: the matter id).
    :param time_limit_days: the legal time limit in working days (default: left empty, marked TODO).
    :param materials: the material kinds every application must include.
    :param robot: the id of the robot that enters approved cases into the target system (default: none).
    :param force: replace an existing matter.yaml.
    :raises GovautoError: an id that is not lowercase words joined by dots, an empty title, an unknown material
        kind or a time limit below 1.
    :raises MatterExistsError: the file exists and ``force`` is false.
    """
    for what, value in (("matter id", matter_id), ("pack id", pack_id), ("robot id", robot)):
        if value is not None and not RULE_ID.match(value):
            raise GovautoError(f"the {what} {value!r} must be lowercase words joined by dots, like food_stall.permit")
    if not title.strip():
        raise GovautoError("the title must not be empty: the matter's official name, e.g. 食品摊贩登记")
    unknown = [kind for kind in materials if kind not in MATERIAL_KINDS]
    if unknown:
        raise GovautoError(f"unknown material kind(s) {', '.join(unknown)} (known: {', '.join(MATERIAL_KINDS)})")
    if time_limit_days is not None and time_limit_days < 1:
        raise GovautoError(f"the time limit is a number of working days of at least 1, got {time_limit_days}")
    target = Path(directory, *matter_id.split(".")) / MATTER_FILE
    if target.exists() and not force:
        raise MatterExistsError(f"{target} already exists: edit it, choose another --dir, or pass --force to "
                                "replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    _write(target, _matter_yaml(matter_id, title.strip(), pack_id or matter_id, time_limit_days,
                                list(dict.fromkeys(materials)), robot))
    read_matter(target)  # what was written must be valid: a bug here must not reach a rule author
    return target


def _matter_yaml(matter_id: str, title: str, pack_id: str, time_limit_days: int | None, materials: list[str],
                 robot: str | None) -> str:
    limit = str(time_limit_days) if time_limit_days is not None else \
        "null        # TODO: the legal time limit (法定办结时限) in working days, e.g. 5"
    robot_line = _q(robot) if robot else "null        # the robot (a form map's id) that enters approved cases"
    return f"""\
# {title}: a matter declared without Python. Written by `govauto matter new`; the format is explained in
# docs/rule-authors.md ("Declare a matter: matter.yaml"). `govauto matter check` checks it; so does
# `govauto pack check` on the pack beside it.
id: {_q(matter_id)}
title: {_q(title)}
# The rule pack that reviews the matter's cases (its pack.yaml has this id);
# `govauto pack new {matter_id}` writes one beside this file.
pack: {_q(pack_id)}
time_limit_days: {limit}
# The materials every application must include, among:
# {', '.join(MATERIAL_KINDS)}.
required_materials: [{', '.join(materials)}]
robot: {robot_line}

# The case contract: what a case of this matter holds besides what every case holds (matter, case_id,
# submitted_at, authority, materials). Rules read these fields as facts (applicant.name, premises.area ...),
# and `govauto schema case --matter {matter_id}` prints the contract as JSON Schema for the systems that
# send cases.
#
# Each field has a type: string, integer, number, boolean, date, datetime, enum (values: [...]), division (a
# 6-digit GB/T 2260 code), person (name and id_number), list (items: ...) or object (fields: ...), and optionally:
#   required: true      a case without it does not fit the contract and is sent back to the system that sent it
#                       (exit code 2, HTTP 422). Leave it out for what an applicant may forget: a rule with
#                       missing(...) then tells them to bring it (补正).
#   description: ...    what the field means, for people (shown in the JSON Schema)
#   example: ...        an example value; `govauto pack new` builds its example cases from them
#   default: ...        the value of an optional field left out
#   string: pattern (a regular expression that must match; anchor it with ^...$), min_length, max_length
#   integer, number: minimum, maximum     list: min_items, max_items
# Field names are lowercase letters, digits and _. Replace the fields below with the matter's own.
fields:
  applicant:
    type: person
    required: true
    description: 申请人（经营者）
    example: {{name: 张三, id_number: "110101199003071233"}}
  phone:
    type: string
    description: 联系电话（大陆手机号码）
    pattern: '^1[3-9]\\d{{9}}$'
    example: "13800138000"
  premises:
    type: object
    required: true
    description: 经营场所
    fields:
      address: {{type: string, description: 地址, example: 广东省深圳市南山区南山大道100号}}
      division: {{type: division, required: true, description: 所在地行政区划代码, example: "440305"}}
      kind:
        type: enum
        values: [commercial, residential, stall]
        required: true
        description: 场所类型：商业用房、住宅、摊位
        example: stall
      area: {{type: number, minimum: 0, description: 面积（平方米）, example: 6}}
  scope:
    type: list
    items: {{type: string}}
    description: 经营范围（规范表述）
    example: [预包装食品销售]

# Facts a plugin computes for every case (hook govauto_enrich_facts; that needs Python), by name and meaning:
derived_facts: {{}}
# Fields read from the materials that must equal a declared fact (a value read with low confidence that equals it
# is confirmed), e.g. id_card_front.name: applicant.name
confirmations:
  id_card_front.name: applicant.name
  id_card_front.id_number: applicant.id_number
"""


@dataclass(frozen=True)
class _Field:
    """A scalar text field of a case contract that may be left blank, so that ``missing(path)`` can fire."""

    path: str
    key_required: bool
    """the key must be present (the field is then blanked, not removed, in the ``correct`` example)."""
    parents_required: bool
    description: str


def new_pack(runtime: Runtime, matter_id: str, directory: Path | str = "rules", *, pack_id: str | None = None,
             version: str = "1.0.0", effective_from: dt.date | None = None, title: str | None = None,
             force: bool = False) -> Path:
    """Create a new rule pack for ``matter_id`` under ``directory`` and return the pack's directory.

    The pack goes to ``<directory>/<pack id with dots as slashes>`` (the pack id defaults to the matter id). It has
    one rule, ``missing(<fact>)`` → ``correct`` over a text fact of the matter's case contract, whose ``basis`` is
    a placeholder to replace. When an installed pack of the same matter has an ``approve`` example, the first one
    is copied (expecting ``approve``) and copied again with the fact left blank (expecting ``correct`` and the
    rule); otherwise no example is written and the README says so. ``submitted_at`` of a copied case that falls
    before ``effective_from`` is moved to ``effective_from``, so the pack is in force for it.

    :param effective_from: the first day the pack applies (default: today, China date).
    :param title: the pack's title (default: the matter's title).
    :param force: write into an existing directory, replacing the files this function writes (others are kept).
    When the matter is not installed, its ``matter.yaml`` is looked for in the pack's directory and in
    ``<directory>/<matter id with dots as slashes>`` (where ``govauto matter new`` writes it) and registered in
    ``runtime``. A target directory holding only that ``matter.yaml`` is written into.

    :raises UnknownMatterError: no installed plugin registers ``matter_id`` and no matter.yaml declares it (the
        message lists the installed matters).
    :raises MatterError: the matter.yaml found is invalid.
    :raises PackExistsError: the target directory exists and ``force`` is false.
    :raises GovautoError: ``pack_id`` is not a dotted lowercase id, or ``version`` is empty.
    """
    pack_id = pack_id or matter_id
    if not RULE_ID.match(pack_id):
        raise GovautoError(f"pack id {pack_id!r} must be lowercase words joined by dots, like {matter_id!r}")
    if not version.strip():
        raise GovautoError("the version must not be empty")
    target = Path(directory, *pack_id.split("."))
    matter = _find_matter(runtime, matter_id, [target, Path(directory, *matter_id.split("."))])
    effective_from = effective_from or dt.datetime.now(CHINA).date()
    if target.exists() and not force and any(p.name != MATTER_FILE for p in target.iterdir()):
        raise PackExistsError(f"{target} already exists: choose another --dir or --id, or pass --force to write "
                              "into it (replacing the files `pack new` writes)")

    source = _approve_example(runtime, matter_id) or _declared_example(matter, effective_from)
    field = _pick_field(runtime, matter, source.case if source else None)
    rule_id = f"{field.path}.missing" if RULE_ID.match(f"{field.path}.missing") else "first_rule.missing"

    (target / "rules").mkdir(parents=True, exist_ok=True)
    _write(target / "pack.yaml", _pack_yaml(pack_id, version, matter, title or matter.title, effective_from))
    _write(target / "rules" / RULE_FILE, _rule_yaml(pack_id, matter, field, rule_id))
    examples: list[str] = []
    if source is not None:
        (target / "examples").mkdir(exist_ok=True)
        examples = _write_examples(runtime, target / "examples", source, field, rule_id, effective_from)
    test_file = f"test_pack_{pack_id.replace('.', '_')}.py"
    _write(target / test_file, _test_py(pack_id))
    _write(target / "README.md", _readme(target, pack_id, version, matter, title or matter.title, effective_from,
                                         field, rule_id, examples, source, test_file))
    return target


def _find_matter(runtime: Runtime, matter_id: str, places: list[Path]) -> Matter:
    """The installed matter, else the one declared in a matter.yaml in one of ``places`` (registered in
    ``runtime``)."""
    matter = runtime.matters.get(matter_id)
    if matter is not None:
        return matter
    for place in places:
        if (place / MATTER_FILE).is_file():
            declared = read_matter(place / MATTER_FILE)
            if declared.matter.id == matter_id:
                return runtime.register_matter_file(place / MATTER_FILE)
    installed = ", ".join(sorted(runtime.matters)) or "none"
    looked = " or ".join(str(p / MATTER_FILE) for p in dict.fromkeys(places))
    raise UnknownMatterError(f"no installed plugin handles matter {matter_id!r} (installed: {installed}) and no "
                             f"{looked} declares it: declare it first with `govauto matter new {matter_id} --title "
                             "...` (same --dir), or check the matter id")


def _declared_example(matter: Matter, effective_from: dt.date) -> Example | None:
    """An ``approve`` example made from the field examples of the matter's matter.yaml (``None`` for a matter
    defined in Python, or when the examples do not make a valid case)."""
    if matter.source is None:
        return None
    case, _problems = read_matter(matter.source).example_case(effective_from)
    if case is None:
        return None
    return Example("approve_example", str(matter.source), 1, case, "approve", [])


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are YAML)."""
    return json.dumps(value, ensure_ascii=False)


# ---- choosing the fact the first rule reads -------------------------------------------------------------------

def _approve_example(runtime: Runtime, matter_id: str) -> Example | None:
    """The first ``approve`` example (in file-name order) of the installed packs of ``matter_id``, by pack id."""
    for pack_id in sorted(runtime.packs()):
        for pack in reversed(runtime.pack_versions(pack_id)):  # the latest version first
            if pack.matter != matter_id:
                continue
            for example in sorted(pack.examples, key=lambda e: e.file):
                if example.outcome == "approve" and not _has_files(example.case):
                    return example
    return None


def _has_files(case: dict[str, Any]) -> bool:
    materials = case.get("materials") or []
    return any(isinstance(m, dict) and m.get("file") for m in materials)


def _text_fields(model: type[BaseModel], prefix: str = "", parents_required: bool = True) -> Iterator[_Field]:
    """The scalar text fields of ``model`` that accept a blank value, depth first (lists are not entered)."""
    for name, info in model.model_fields.items():
        if not prefix and name in CaseEnvelope.model_fields:
            continue  # matter, case_id, submitted_at, authority, materials: the same for every matter
        annotation = info.annotation
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        inner = args[0] if typing.get_origin(annotation) in (typing.Union, _union_type()) and len(args) == 1 \
            else annotation
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            yield from _text_fields(inner, f"{prefix}{name}.", parents_required and info.is_required())
        elif inner is str and not any(isinstance(m, AfterValidator) for m in info.metadata):
            yield _Field(f"{prefix}{name}", info.is_required(), parents_required, info.description or "")


def _union_type() -> Any:
    import types

    return types.UnionType


def _pick_field(runtime: Runtime, matter: Matter, case: dict[str, Any] | None) -> _Field:
    """A text fact for the first rule: preferably a required key under required parents; with an example case,
    one that the case fills in and that may be blanked without the case leaving the contract."""
    schema = runtime.schema_for(matter.id)
    fields = [f for f in _text_fields(matter.case_model) if f.path in schema.paths]
    fields.sort(key=lambda f: (not f.parents_required, not f.key_required))
    if not fields:
        raise GovautoError(f"the case contract of {matter.id} has no text field a first rule could read")
    if case is None:
        return fields[0]
    for field in fields:
        value = _get(case, field.path)
        if isinstance(value, str) and value.strip():
            try:
                runtime.load_case(_blanked(case, field))
            except CaseError:
                continue
            return field
    return fields[0]


def _get(case: dict[str, Any], path: str) -> Any:
    value: Any = case
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _blanked(case: dict[str, Any], field: _Field) -> dict[str, Any]:
    """A copy of ``case`` without ``field`` (or with it blank, when the contract requires the key)."""
    out = copy.deepcopy(case)
    *parents, last = field.path.split(".")
    holder = out
    for key in parents:
        holder = holder[key]
    if field.key_required:
        holder[last] = ""
    else:
        del holder[last]
    return out


# ---- the files ------------------------------------------------------------------------------------------------

def _pack_yaml(pack_id: str, version: str, matter: Matter, title: str, effective_from: dt.date) -> str:
    return f"""\
# {title}: the rule pack that reviews matter {matter.id} ({matter.title}).
# Written by `govauto pack new`; the keys are explained in docs/rule-authors.md ("pack.yaml").
id: {_q(pack_id)}
version: {_q(version)}
matter: {_q(matter.id)}
title: {_q(title)}
# The first day the legal texts below apply: a case is reviewed by the version of the pack in force on the China
# date of its submitted_at.
effective_from: {effective_from.isoformat()}
# The last day they apply; null means until further notice. When the law changes, copy the pack, give the copy a
# new version and effective_from, and set effective_until here to the day before.
effective_until: null
# The legal texts the rules cite, each {{id, title, effective}} (id and title required). For example:
#   - id: 条例
#     title: 中华人民共和国市场主体登记管理条例（国务院令第746号）
#     effective: "2022-03-01"
sources: []
"""


def _rule_yaml(pack_id: str, matter: Matter, field: _Field, rule_id: str) -> str:
    about = f" ({field.description})" if field.description else ""
    return f"""\
# The first rule of pack {pack_id}: a real rule to start from. Change it into the pack's first real rule, then add
# rules here or in more files (20_....yaml, 30_....yaml: files are read in name order). See docs/rule-authors.md.
rules:
  # id: lowercase words joined by dots, unique in the pack; reports key on it, so never reuse it for another rule.
  - id: {rule_id}
    # title: a short name for people.
    title: {_q("未填写" + field.path)}
    # when: the condition under which the rule FIRES (finds a deficiency). {field.path} is a fact of the case
    # contract of {matter.id}{about};
    # `govauto schema case --matter {matter.id}` shows every fact.
    when: missing({field.path})
    # outcome: reject | refer (a person decides) | correct (补正: the applicant fixes it) | note (never blocks).
    outcome: correct
    # message: what the applicant is told: what is wrong and what to bring; {{fact}} inserts a fact's value.
    message: {_q(f"申请未填写“{field.path}”，请补充后重新提交。")}
    # basis: the legal basis (law and article). TODO: replace this placeholder before the pack is used.
    basis: {_q(BASIS_TODO)}
"""


def _write_examples(runtime: Runtime, directory: Path, source: Example, field: _Field, rule_id: str,
                    effective_from: dt.date) -> list[str]:
    case = copy.deepcopy(source.case)
    note = ""
    if runtime.load_case(case).submitted_on < effective_from:
        case["submitted_at"] = f"{effective_from.isoformat()}T09:30:00+08:00"
        note = (f"# submitted_at was moved to {effective_from} (the pack's effective_from), so that the pack is in "
                "force for the case.\n")
    origin = f"# {_origin(source, capital=True)}.\n{note}"
    approve = source.name if source.name.startswith("approve") else f"approve_{source.name}"
    correct = f"correct_{rule_id.replace('.', '_')}"
    blank = _blanked(case, field)
    blank["case_id"] = f"{case.get('case_id', 'EXAMPLE')}-MISSING"
    lookups = {"lookups": source.lookups} if source.lookups else {}
    documents = {
        approve: {"description": "A case the rules of this pack let through.", **lookups,
                  "case": case, "expect": {"outcome": "approve", "findings": []}},
        correct: {"description": f"The approve case with {field.path} left out: rule {rule_id} fires.", **lookups,
                  "case": blank, "expect": {"outcome": "correct", "findings": [rule_id]}},
    }
    for name, document in documents.items():
        body = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)
        _write(directory / f"{name}.yaml", origin + body)
    return list(documents)


def _origin(source: Example, capital: bool = False) -> str:
    """Where an example came from: copied from an installed pack's example (its pack directory's last two parts and
    its file name), or made from the field examples of a matter.yaml."""
    path = Path(source.file)
    if path.name == MATTER_FILE:
        try:
            shown = path.relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            shown = str(path)
        text = f"made by `govauto pack new` from the field examples of {shown}"
    else:
        text = "copied by `govauto pack new` from " + "/".join((*path.parts[-4:-2], "examples", path.name))
    return text[0].upper() + text[1:] if capital else text


def _test_py(pack_id: str) -> str:
    return f'''\
"""The example cases of rule pack {pack_id} (written by `govauto pack new`).

`pytest <this directory>` runs this test, and the govauto pytest plugin also collects every examples/*.yaml as
a test of its own, once per rule engine. `govauto pack test <this directory>` runs the same examples without
pytest.
"""

from pathlib import Path

from govauto import Runtime
from govauto.testing.packs import run_examples

PACK = Path(__file__).resolve().parent


def test_pack_compiles() -> None:
    """The pack is valid: what `govauto pack check` checks."""
    Runtime().compile(PACK)


def test_examples_pass() -> None:
    """Every example case gives the outcome and findings it expects, on every rule engine."""
    failures = [f"{{r.example.name}} [{{r.engine}}]: {{'; '.join(r.problems)}}"
                for r in run_examples(PACK) if not r.passed]
    assert not failures, "\\n".join(failures)
'''


def _readme(target: Path, pack_id: str, version: str, matter: Matter, title: str, effective_from: dt.date,
            field: _Field, rule_id: str, examples: list[str], source: Example | None, test_file: str) -> str:
    if source is not None:
        example_text = "\n".join(f"| `examples/{name}.yaml` | {outcome} |"
                                 for name, outcome in zip(examples, ("approve", f"correct (`{rule_id}`)"), strict=True))
        example_text = ("| example | expects |\n|---|---|\n" + example_text
                        + f"\n\nThe approve case was {_origin(source)}. Add one example per outcome "
                          "and one per rule that can fire.")
    else:
        example_text = ("TODO: no installed pack of this matter has an `approve` example to copy"
                        + (f", and the field examples of {matter.source} do not make a valid case (give each "
                           "required field an `example:`)" if matter.source is not None else "")
                        + f", so none was written. Write `examples/*.yaml` (`case:` as in the case contract, "
                        f"`govauto schema case --matter {matter.id}`, and `expect:`): one per outcome and one per rule "
                        "that can fire.")
    return f"""\
# {title} (`{pack_id}`)

The rule pack that reviews matter `{matter.id}` ({matter.title}): version {version}, in force from
{effective_from.isoformat()} until further notice.

## Purpose

TODO: what the pack reviews, which cases it approves, and what it leaves to a person (`refer`).

## Legal sources

TODO: the legal texts the rules cite; keep this table and `sources:` in `pack.yaml` the same.

| id | title | in force from |
|---|---|---|
| TODO | TODO | TODO |

## Rules

TODO: one line per rule, in the order of the rule files.

| rule id | outcome | what it finds | basis |
|---|---|---|---|
| `{rule_id}` | correct | `{field.path}` is not filled in (a starting rule: change it) | TODO |

## Examples

{example_text}

## How to test

```
govauto pack check {target.as_posix()}    # the pack is valid
govauto pack test {target.as_posix()}     # every example gives what it expects, on every engine
pytest {target.as_posix()}                # the same through pytest ({test_file} and examples/*.yaml)
```

## Putting the pack in use

`govauto pack check` and `govauto pack test` need no registration. To review real cases with the pack, put the
directory it is under on the packs path (`govauto --packs DIR ...`, or `GOVAUTO_PACKS=DIR` for `govauto serve`),
or have a plugin register its directory (hook `govauto_register_rule_packs`); a `matter.yaml` beside `pack.yaml`
is installed with it. A pack on the packs path replaces a plugin's pack with the same id. Versions of one pack
must not be in force on the same days: give a new version its own `version` and an `effective_from` after the
last day of the one before (whose `effective_until` must be set), or both would be refused.
"""
