"""Matters declared in YAML (``matter.yaml``): the case contract built from the declared fields behaves like one
written in Python (validation, every problem by path, JSON Schema, facts for rules), and a bad declaration is
refused with every problem and its line; ``govauto matter new`` and ``govauto matter check``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import govauto
from govauto.cli import app
from govauto.errors import CaseError, MatterError
from govauto.matterfile import MATTER_FILE, find_declarations, read_matter
from govauto.model import fact_paths, validate_case
from govauto.rules.scaffold import new_matter

runner = CliRunner()

MATTER = """\
id: food_stall.register
title: 食品摊贩登记
time_limit_days: 5
required_materials: [application_form, id_card]
robot: legacy_portal.food_stall
fields:
  operator:
    type: person
    required: true
    example: {name: 李四, id_number: "44030519951230662X"}
  phone: {type: string, pattern: '^1[3-9]\\d{9}$', description: 手机号码, example: "13800138000"}
  stall:
    type: object
    required: true
    fields:
      kind: {type: enum, values: [fixed, mobile], required: true, example: fixed}
      area: {type: number, minimum: 0, maximum: 50}
      opened_on: {type: date}
      division: {type: division, required: true}
      seats: {type: integer, minimum: 1, maximum: 20, default: 4}
  products: {type: list, items: {type: string, max_length: 20}, required: true, max_items: 3, example: [熟食]}
  helpers:
    type: list
    items:
      type: object
      fields:
        name: {type: string, required: true}
        certified: {type: boolean}
  insured: {type: boolean, default: false}
  received: {type: datetime}
derived_facts:
  stall.large: true when the stall is over 20 square metres
confirmations:
  id_card_front.name: operator.name
"""


def _write(directory: Path, text: str = MATTER) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MATTER_FILE).write_text(text, "utf-8")
    return directory / MATTER_FILE


def _case(**changes: Any) -> dict[str, Any]:
    case: dict[str, Any] = {
        "matter": "food_stall.register", "case_id": "FS-1", "submitted_at": "2026-03-02T09:30:00+08:00",
        "authority": {"name": "深圳市南山区市场监督管理局", "division": "440305"},
        "materials": [{"kind": "application_form", "source": "shared"}],
        "operator": {"name": "李四", "id_number": "44030519951230662X"},
        "stall": {"kind": "fixed", "division": "440305", "area": 6},
        "products": ["熟食"],
    }
    case.update(changes)
    return case


@pytest.fixture
def declared(tmp_path: Path) -> govauto.Matter:
    return read_matter(_write(tmp_path / "food")).matter


def test_the_declaration_becomes_a_matter(declared: govauto.Matter, tmp_path: Path) -> None:
    assert (declared.id, declared.title, declared.pack) == ("food_stall.register", "食品摊贩登记",
                                                             "food_stall.register")
    assert declared.required_materials == ("application_form", "id_card") and declared.time_limit_days == 5
    assert declared.robot == "legacy_portal.food_stall"
    assert declared.confirmations == {"id_card_front.name": "operator.name"}
    assert declared.derived_facts == {"stall.large": "true when the stall is over 20 square metres"}
    assert declared.source == (tmp_path / "food" / MATTER_FILE).resolve()
    assert issubclass(declared.case_model, govauto.CaseEnvelope)
    paths, lists = fact_paths(declared.case_model)
    assert {"operator.name", "operator.id_number", "phone", "stall.kind", "stall.area", "stall.seats", "insured",
            "received"} <= paths
    assert lists["products"] == {""} and lists["helpers"] == {"name", "certified"}


def test_the_contract_validates_like_a_python_one(declared: govauto.Matter) -> None:
    valid = validate_case(_case(received="2026-03-02T08:00:00"), declared.case_model)
    dumped = valid.model_dump(mode="json")
    assert dumped["stall"]["seats"] == 4 and dumped["insured"] is False and dumped["helpers"] == []
    assert dumped["received"] == "2026-03-02T08:00:00+08:00"  # China time when no offset is given
    with pytest.raises(CaseError) as caught:
        validate_case(_case(phone="12345", stall={"kind": "boat", "division": "4403", "area": 60, "colour": "red"},
                            products=[], operator={"name": " "}, extra=1), declared.case_model)
    problems = {p.path: p.message for p in caught.value.problems}
    assert set(problems) == {"operator.name", "operator.id_number", "phone", "stall.kind", "stall.area",
                             "stall.division", "stall.colour", "products", "extra"}
    assert problems["stall.kind"] == "must be one of 'fixed' or 'mobile', got \"boat\""
    assert "6 digits" in problems["stall.division"] and problems["extra"].startswith("is not a field")
    with pytest.raises(CaseError) as caught:
        validate_case(_case(products=["a", "b", "c", "d"], matter="other.matter"), declared.case_model)
    assert {p.path for p in caught.value.problems} == {"matter", "products"}


def test_json_schema_and_a_review_with_a_pack(declared: govauto.Matter, tmp_path: Path) -> None:
    schema = declared.case_model.model_json_schema()
    assert schema["properties"]["phone"]["anyOf"][0]["pattern"] == "^1[3-9]\\d{9}$"
    assert schema["properties"]["phone"]["examples"] == ["13800138000"]
    assert "operator" in schema["required"] and "stall" in schema["required"]
    pack = tmp_path / "food"
    (pack / "rules").mkdir()
    (pack / "pack.yaml").write_text('id: food_stall.register\nversion: "1.0.0"\nmatter: food_stall.register\n', "utf-8")
    (pack / "rules" / "10.yaml").write_text("""\
rules:
  - id: stall.too_large
    title: 摊位过大
    when: stall.area > 10
    outcome: refer
    message: 摊位面积{stall.area}平方米
    basis: 示例
  - id: helpers.uncertified
    title: 帮工无健康证明
    for_each: helpers
    when: missing(item.certified) or item.certified == false
    outcome: correct
    message: 请提交{item.name}的健康证明
    basis: 示例
""", "utf-8")
    runtime = govauto.Runtime(load_entrypoints=False)
    compiled = runtime.compile(pack)  # registers the matter.yaml beside the pack
    assert "food_stall.register" in runtime.matters
    decision = runtime.review(_case(stall={"kind": "fixed", "division": "440305", "area": 12.5},
                                    helpers=[{"name": "王五", "certified": True}, {"name": "赵六"}]), pack=compiled)
    assert [(f.rule, f.message) for f in decision.findings] == [("stall.too_large", "摊位面积12.5平方米"),
                                                                ("helpers.uncertified", "请提交赵六的健康证明")]
    from govauto.schema import case_schema

    assert case_schema(runtime, "food_stall.register")["$id"].endswith("food_stall.register.json")


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad", """\
id: Food Stall
colour: red
required_materials: [passport, id_card, id_card]
time_limit_days: 0
fields:
  json: {type: string}
  case_id: {type: string}
  a: {type: strng}
  b: {type: string, pattern: '[', minimum: 3}
  c: {type: integer, minimum: 5, maximum: 1}
  d: {type: list}
  e: {type: enum, values: []}
  f: {type: list, items: {type: string, required: true}}
  g: {type: string, required: true, default: x}
  h: {type: object, fields: {x: {type: date, example: not-a-date}}}
  Upper: {type: string}
  k: {type: number, example: many}
confirmations:
  idcard: operator.name
""")
    with pytest.raises(MatterError) as caught:
        read_matter(bad)
    shown = [(p.line, p.message.split(":")[0]) for p in caught.value.problems]
    assert shown == [(1, "id must be lowercase words joined by dots, like food_stall.register; got 'Food Stall'"),
                     (1, "'title' is required"), (2, "unknown key 'colour' (known"),
                     (3, "required_materials"), (3, "required_materials"), (4, "time_limit_days is the legal time "
                                                                                "limit in working days, a whole "
                                                                                "number of at least 1; got 0"),
                     (6, "field json"), (7, "field case_id"), (8, "field a"), (9, "field b"), (9, "field b"),
                     (10, "field c"), (11, "field d"), (12, "field e"), (13, "field f[]"), (14, "field g"),
                     (15, "field h.x"), (16, "field Upper"), (17, "field k"), (19, "confirmations")]
    text = str(caught.value)
    assert "the matter declaration is invalid (20 problem(s))" in text
    assert f"{bad}:8: field a: type must be one of string, integer" in text
    assert "unknown material kind 'passport'" in text and "id_card is listed twice" in text
    assert "'json' is reserved" in text and "'case_id' is of every case" in text
    assert "unknown key 'minimum' for a string field (minimum is for integer and number fields)" in text
    assert "pattern '[' is not a valid regular expression" in text and "maximum (1) is less than minimum (5)" in text
    assert "field h.x: example: input should be a valid date" in text and "field k: example: input should be a" in text


def test_unreadable_and_odd_files(tmp_path: Path) -> None:
    with pytest.raises(MatterError, match="no such file"):
        read_matter(tmp_path)
    with pytest.raises(MatterError, match=r":2: not valid YAML"):
        read_matter(_write(tmp_path / "a", "id: x\n  title: [\n"))
    with pytest.raises(MatterError, match="must be a mapping"):
        read_matter(_write(tmp_path / "b", "- id: x\n"))
    with pytest.raises(MatterError, match="'fields' is required"):
        read_matter(_write(tmp_path / "c", "id: a.b\ntitle: t\n"))
    with pytest.raises(MatterError, match="is not a fact of the case contract \\(did you mean 'phone'\\?\\)"):
        read_matter(_write(tmp_path / "d", "id: a.b\ntitle: t\nfields: {phone: {type: string}}\n"
                                           "confirmations: {id_card_front.name: phon}\n"))
    empty = read_matter(_write(tmp_path / "e", "id: a.b\ntitle: t\nfields: {}\n"))
    assert empty.matter.pack == "a.b" and empty.matter.required_materials == ()


def test_identical_declarations_have_the_same_digest(tmp_path: Path) -> None:
    one = read_matter(_write(tmp_path / "one"))
    spaced = "# a comment\n" + MATTER.replace("title: 食品摊贩登记", "title:  食品摊贩登记")
    two = read_matter(_write(tmp_path / "two", spaced))
    three = read_matter(_write(tmp_path / "three", MATTER.replace("time_limit_days: 5", "time_limit_days: 6")))
    assert one.digest == two.digest != three.digest


def test_example_case_from_the_field_examples(tmp_path: Path) -> None:
    declaration = read_matter(_write(tmp_path / "food"))
    case, problems = declaration.example_case(dt.date(2026, 3, 2))
    assert problems == [] and case is not None
    assert case["submitted_at"] == "2026-03-02T09:30:00+08:00"
    assert case["operator"]["id_number"] == "44030519951230662X" and case["products"] == ["熟食"]
    assert case["stall"]["division"] == "440305" and case["stall"]["kind"] == "fixed"
    assert [m["kind"] for m in case["materials"]] == ["application_form", "id_card"]
    unfit = read_matter(_write(tmp_path / "code", "id: a.b\ntitle: t\nfields:\n"
                                                  "  code: {type: string, required: true, pattern: '^X\\d+$'}\n"))
    case, problems = unfit.example_case(dt.date(2026, 3, 2))
    assert case is None and [p.path for p in problems] == ["code"]


def test_find_declarations(tmp_path: Path) -> None:
    _write(tmp_path / "a" / "b")
    (tmp_path / "a" / "b" / "pack.yaml").write_text("id: x\n", "utf-8")
    _write(tmp_path / "a" / "b" / "examples" / "not_here")  # inside a pack's examples: not searched
    _write(tmp_path / "c")
    _write(tmp_path / ".hidden")
    packs, matters = find_declarations(tmp_path)
    assert packs == [tmp_path / "a" / "b"]
    assert matters == [tmp_path / "a" / "b" / MATTER_FILE, tmp_path / "c" / MATTER_FILE]


def test_matter_new_writes_a_valid_commented_declaration(tmp_path: Path) -> None:
    result = runner.invoke(app, ["matter", "new", "food_stall.permit", "--title", "食品摊贩登记", "--dir",
                                 str(tmp_path), "--time-limit", "5", "--material", "application_form",
                                 "--material", "premises_proof", "--robot", "legacy_portal.stall"])
    assert result.exit_code == 0, result.output
    path = tmp_path / "food_stall" / "permit" / MATTER_FILE
    assert f"created {path}" in result.output and "govauto pack new food_stall.permit" in result.output
    text = path.read_text("utf-8")
    assert text.count("\n#") > 10 and all(len(line) <= 120 for line in text.splitlines())
    matter = read_matter(path).matter
    assert (matter.time_limit_days, matter.required_materials, matter.robot) == (5, ("application_form",
                                                                                    "premises_proof"),
                                                                                "legacy_portal.stall")
    data = yaml.safe_load(text)
    assert data["time_limit_days"] == 5 and set(data["fields"]) == {"applicant", "phone", "premises", "scope"}
    again = runner.invoke(app, ["matter", "new", "food_stall.permit", "--title", "x", "--dir", str(tmp_path)])
    assert again.exit_code == 2 and "already exists" in again.output
    assert runner.invoke(app, ["matter", "new", "food_stall.permit", "--title", "新", "--dir", str(tmp_path),
                               "--force"]).exit_code == 0
    assert read_matter(path).matter.title == "新" and read_matter(path).matter.time_limit_days is None


@pytest.mark.parametrize(("args", "message"), [
    (["Bad.Id", "--title", "t"], "must be lowercase words joined by dots"),
    (["a.b", "--title", " "], "the title must not be empty"),
    (["a.b", "--title", "t", "--material", "passport"], "unknown material kind(s) passport"),
])
def test_matter_new_refuses_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["matter", "new", *args, "--dir", str(tmp_path)])
    assert result.exit_code == 2 and message in result.output and not any(tmp_path.iterdir())


def test_matter_check(tmp_path: Path) -> None:
    good = new_matter("food_stall.permit", "食品摊贩登记", tmp_path)
    _write(tmp_path / "other", MATTER)
    result = runner.invoke(app, ["matter", "check", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "ok: matter food_stall.permit (食品摊贩登记)" in result.output
    assert "ok: matter food_stall.register" in result.output
    assert "fields applicant, phone, premises, scope" in result.output
    bad = _write(tmp_path / "bad", "id: a.b\ntitle: t\nfields: {x: {type: strng}}\n")
    result = runner.invoke(app, ["matter", "check", str(good), str(bad)])
    assert result.exit_code == 1 and f"{bad}:3: field x: type must be one of" in result.output
    taken = _write(tmp_path / "taken", "id: sole_proprietor.establish\ntitle: t\nfields: {}\n")
    result = runner.invoke(app, ["matter", "check", str(taken)])
    assert result.exit_code == 1 and "already declared in Python by a plugin" in result.output
    assert runner.invoke(app, ["matter", "check", str(tmp_path / "nowhere")]).exit_code == 2


def test_the_schema_command_prints_a_declared_contract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / "food")
    monkeypatch.setenv("GOVAUTO_PACKS", str(tmp_path))
    result = runner.invoke(app, ["schema", "case", "--matter", "food_stall.register"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["title"] == "FoodStallRegisterCase"
