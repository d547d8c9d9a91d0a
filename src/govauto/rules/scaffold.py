"""Starting a new rule pack: ``govauto pack new MATTER`` (for rule authors; no Python needed).

:func:`new_pack` writes a pack directory that passes ``govauto pack check`` and ``govauto pack test`` at once:
``pack.yaml``, one real commented rule over a fact of the matter's case contract, two example cases (copied from
an installed pack of the same matter, when one has an ``approve`` example), a pytest file and a README skeleton.
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

from govauto.errors import CaseError, GovautoError
from govauto.matters import Matter
from govauto.model import CHINA, CaseEnvelope
from govauto.rules.pack import RULE_ID, Example
from govauto.runtime import Runtime

RULE_FILE = "10_first_rule.yaml"
BASIS_TODO = "【待填写 TODO】法律依据：请替换为法规名称及条款，如《……》第……条"


class PackExistsError(GovautoError):
    """The directory ``govauto pack new`` would write to already exists (and ``force`` was not given)."""


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
    :raises UnknownMatterError: no installed plugin registers ``matter_id`` (the message lists those that do).
    :raises PackExistsError: the target directory exists and ``force`` is false.
    :raises GovautoError: ``pack_id`` is not a dotted lowercase id, or ``version`` is empty.
    """
    matter = runtime.matters.get(matter_id)
    if matter is None:
        runtime.schema_for(matter_id)  # raises UnknownMatterError listing the installed matters
        raise AssertionError("unreachable")
    pack_id = pack_id or matter_id
    if not RULE_ID.match(pack_id):
        raise GovautoError(f"pack id {pack_id!r} must be lowercase words joined by dots, like {matter_id!r}")
    if not version.strip():
        raise GovautoError("the version must not be empty")
    effective_from = effective_from or dt.datetime.now(CHINA).date()
    target = Path(directory, *pack_id.split("."))
    if target.exists() and not force:
        raise PackExistsError(f"{target} already exists: choose another --dir or --id, or pass --force to write "
                              "into it (replacing the files `pack new` writes)")

    source = _approve_example(runtime, matter_id)
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
    origin = f"# Copied by `govauto pack new` from {_origin(source)}.\n{note}"
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


def _origin(source: Example) -> str:
    """Where an example was copied from: its pack directory's last two parts and its file name."""
    path = Path(source.file)
    return "/".join((*path.parts[-4:-2], "examples", path.name))


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
                        + f"\n\nBoth were copied from {_origin(source)}. Add one example per outcome "
                          "and one per rule that can fire.")
    else:
        example_text = ("TODO: no installed pack of this matter has an `approve` example to copy, so none was "
                        f"written. Write `examples/*.yaml` (`case:` as in the case contract, `govauto schema case "
                        f"--matter {matter.id}`, and `expect:`): one per outcome and one per rule that can fire.")
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

`govauto pack check` and `govauto pack test` need no registration. To review real cases with the pack, a plugin
registers its directory (hook `govauto_register_rule_packs`). If a pack with the same id is already installed,
give this one a new `version` and an `effective_from` after the last day of the installed one (whose
`effective_until` must be set), or two versions would be in force on the same days and both would be refused.
"""
