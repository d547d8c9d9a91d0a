"""Form maps without a browser: reading and checking maps (every problem with file and line), fact paths,
transforms and credentials."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import govauto
from govauto.errors import FormMapError, PackProblem, RobotConfigError, RobotDataError
from govauto.robots import Credentials, FormMapRobot, LocalRunContext, credentials_for, read_form_map, run_robot
from govauto.robots.credentials import env_names
from govauto.robots.formmap import FactRef, check_facts, resolve
from govauto.robots.registry import load_robots
from govauto.robots.transforms import TransformSpec, gbk_safe, prepare, table_key, transform_problem

from ..conftest import ROOT

BUILT_IN = ROOT / "src" / "govauto" / "default_plugins" / "robots" / "legacy_portal_establish.yaml"

# A small complete map for the legacy portal. Tests edit single lines of it (textually), so the line a problem
# is reported on can be computed from the text.
MAP = """\
robot: test.establish
title: a test map
matter: sole_proprietor.establish
target: legacy_portal
base_url: ${GOVAUTO_TEST_PORTAL:-http://127.0.0.1:8765}
credentials: legacy_portal
charset: gbk
timeouts: {page: 10, action: 3, submit: 20}
frames:
  menu: "frame[name=menu]"
  main: "frame[name=main]"
tables:
  organisation: {individual: "1", family: "2"}
login:
  goto: /login.do
  steps:
    - {fill: "#username", value: credentials.username}
    - {fill: "#password", value: credentials.password}
    - {click: "#loginBtn"}
  success: {frame: menu, selector: "#menuEstablish"}
  failure: ".errmsg"
search:
  frame: main
  steps:
    - {frame: menu, click: "#menuSearch"}
    - {fill: "input[name=zjhm]", value: applicant.id_number}
    - {click: "#btnSearch"}
  done: "#resultTable, .norecord"
  found: "#resultTable tr.row td.slh"
  receipt: {selector: "#resultTable tr.row td.slh", pattern: 'GT\\d{13}'}
form:
  frame: main
  open:
    - {frame: menu, click: "#menuEstablish"}
  ready: "form#gtForm"
  fields:
    - {label: 经营者姓名, selector: "#jyzxm", value: applicant.name, transform: [gbk_safe]}
    - {label: 证件类型, selector: "#zjlx", kind: select, const: "10"}
    - {label: 组成形式, selector: "#zzxs", kind: select, value: organisation, transform: [{lookup: organisation}]}
    - {label: 行政区划, selector: "#xzqh", kind: select, value: "business.premises[0].division"}
    - {label: 经营范围, selector: "input[name=jyfw]", kind: checkboxes, match: label, value: business.scope}
    - {label: 资金数额, selector: "#zczb", value: business.capital, transform: [{divide: 10000}, {number: 4}]}
    - {label: 申请日期, selector: "#sqrq", value: submitted_on, transform: [{date: "%Y%m%d"}]}
    - {label: 申请材料, selector: "#fj", kind: upload, value: "materials[kind=application_form].file", optional: true}
  submit:
    - {click: "#btnSubmit"}
    - {click: "#btnConfirm", submits: true}
  dialogs: {accept: [确认提交本申请吗]}
  success: "#slh"
  receipt: {selector: "#slh", pattern: 'GT\\d{13}'}
  error: ".errmsg"
"""


def edit(text: str, *changes: tuple[str, str]) -> str:
    """``text`` with each ``old`` (which must occur exactly once) replaced by ``new``."""
    for old, new in changes:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in the map"
        text = text.replace(old, new)
    return text


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the only line containing ``needle`` (starting with it, when it starts with ``^``)."""
    if needle.startswith("^"):
        lines = [i for i, line in enumerate(text.splitlines(), start=1) if line.startswith(needle[1:])]
    else:
        lines = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(lines) == 1, f"{needle!r} is on lines {lines}"
    return lines[0]


def write(tmp_path: Path, text: str, name: str = "map.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path) -> list[PackProblem]:
    with pytest.raises(FormMapError) as caught:
        read_form_map(path)
    assert all(p.file == str(path) for p in caught.value.problems)
    return caught.value.problems


@pytest.fixture(scope="module")
def schema_for() -> Callable[[str], Any]:
    return govauto.Runtime(load_entrypoints=False).schema_for


def fact_problems(path: Path, schema_for: Callable[[str], Any]) -> list[PackProblem]:
    form_map = read_form_map(path)
    return check_facts(form_map, schema_for(form_map.matter))


# ---- a valid map -----------------------------------------------------------------------------------------------


def test_a_valid_map_loads(tmp_path: Path, schema_for: Callable[[str], Any],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, MAP)
    form_map = read_form_map(path)
    assert (form_map.id, form_map.matter, form_map.target, form_map.credentials) == (
        "test.establish", "sole_proprietor.establish", "legacy_portal", "legacy_portal")
    assert form_map.file == str(path)
    assert form_map.charset == "gbk"
    assert (form_map.timeouts.page, form_map.timeouts.action, form_map.timeouts.submit) == (10, 3, 20)
    assert form_map.frames == {"menu": "frame[name=menu]", "main": "frame[name=main]"}
    assert form_map.tables == {"organisation": {"individual": "1", "family": "2"}}
    assert form_map.form.fill == "dom"
    fields = {f.label: f for f in form_map.form.fields}
    assert fields["证件类型"].value.const == "10" and fields["证件类型"].kind == "select"
    assert fields["经营范围"].match == "label" and fields["经营范围"].kind == "checkboxes"
    assert fields["申请材料"].optional and not fields["经营者姓名"].optional
    assert all(f.frame == "main" for f in fields.values())  # the form's frame is every field's default
    assert fields["资金数额"].line == line_of(MAP, "label: 资金数额")
    assert [t.name for t in fields["资金数额"].value.transforms] == ["divide", "number"]
    assert [s.submits for s in form_map.form.submit] == [False, True]
    assert form_map.form.accept_dialogs == ("确认提交本申请吗",)
    assert form_map.form.receipt.pattern == r"GT\d{13}"
    assert form_map.search is not None and form_map.search.steps[0].frame == "menu"
    assert form_map.search.steps[1].frame == "main"
    assert form_map.login.steps[0].frame is None  # login has no frame: the top page

    monkeypatch.delenv("GOVAUTO_TEST_PORTAL", raising=False)
    assert form_map.url("/login.do") == "http://127.0.0.1:8765/login.do"
    monkeypatch.setenv("GOVAUTO_TEST_PORTAL", "http://portal.test:9000/")
    assert form_map.url("login.do") == "http://portal.test:9000/login.do"
    assert form_map.url("https://elsewhere.test/x") == "https://elsewhere.test/x"

    assert check_facts(form_map, schema_for(form_map.matter)) == []


def test_the_built_in_map_loads_and_its_facts_exist(schema_for: Callable[[str], Any]) -> None:
    robot = FormMapRobot.from_file(BUILT_IN)
    assert robot.id == "legacy_portal.establish" and robot.matter == "sole_proprietor.establish"
    assert robot.check(schema_for(robot.matter)) == []
    robots = govauto.Runtime(load_entrypoints=False).robots()
    assert robots["legacy_portal.establish"].source == str(BUILT_IN)


@pytest.mark.parametrize("form", ["change", "deregister"])
def test_the_built_in_change_and_deregister_maps_load_and_are_their_matters_robots(
        schema_for: Callable[[str], Any], form: str) -> None:
    path = BUILT_IN.with_name(f"legacy_portal_{form}.yaml")
    robot = FormMapRobot.from_file(path)
    assert (robot.id, robot.matter, robot.target) == (f"legacy_portal.{form}", f"sole_proprietor.{form}",
                                                      "legacy_portal")
    assert robot.check(schema_for(robot.matter)) == []
    assert robot.map.search is not None and robot.map.search.receipt.pattern == robot.map.form.receipt.pattern
    assert sum(step.submits for step in robot.map.form.submit) == 1
    chosen = govauto.Runtime(load_entrypoints=False).robot_for(robot.matter)  # the matter names it
    assert isinstance(chosen, FormMapRobot) and chosen.source == str(path)


def test_typed_fill_mode(tmp_path: Path) -> None:
    typed = edit(MAP, ("form:\n  frame: main\n", "form:\n  frame: main\n  fill: typed\n"))
    assert read_form_map(write(tmp_path, typed)).form.fill == "typed"
    keys = edit(MAP, ("form:\n  frame: main\n", "form:\n  frame: main\n  fill: keys\n"))
    problems = refused(write(tmp_path, keys))
    assert [(p.line, p.message) for p in problems] == [
        (line_of(keys, "fill: keys"), "form.fill: 'keys' must be dom (fast, the default) or typed")]


# ---- each mistake, with its line -------------------------------------------------------------------------------

MISTAKES = [
    pytest.param('{label: 行政区划, selector: "#xzqh",', '{label: 行政区划, selector: "#xzqh", frame: mian,',
                 "label: 行政区划", ["unknown frame 'mian'", "frames: menu, main", "declare it under frames:"],
                 id="unknown-frame"),
    pytest.param("transform: [gbk_safe]", "transform: [gbk_safer]", "transform: [gbk_safer]",
                 ["field '经营者姓名'.transform: unknown transform 'gbk_safer'", "available:", "gbk_safe"],
                 id="unknown-transform"),
    pytest.param("[{lookup: organisation}]", "[{lookup: organization}]", "lookup: organization",
                 ["field '组成形式'.transform: lookup: no table 'organization' under tables: (organisation)"],
                 id="lookup-of-undeclared-table"),
    pytest.param('{date: "%Y%m%d"}', '{date: "YYYYMMDD"}', "YYYYMMDD",
                 ["field '申请日期'.transform: date: 'YYYYMMDD' is not a strftime format", "%Y%m%d"],
                 id="date-format-without-directives"),
    pytest.param('{date: "%Y%m%d"}', '{date: "%Y%q%d"}', "%Y%q%d",
                 ["date: '%Y%q%d' is not a strftime format"], id="date-format-unknown-directive"),
    pytest.param('{date: "%Y%m%d"}', '{date: "%Y%m%d%"}', "%Y%m%d%",
                 ["date: '%Y%m%d%' is not a strftime format"], id="date-format-stray-percent"),
    pytest.param('{date: "%Y%m%d"}', "date", "value: submitted_on, transform: [date",
                 ["date: needs a parameter"], id="date-without-format"),
    pytest.param("{divide: 10000}", "{divide: 0}", "divide: 0", ["divide: cannot be 0"], id="divide-by-zero"),
    pytest.param("{number: 4}", "{number: four}", "number: four", ["number: 'four' must be a whole number"],
                 id="number-places"),
    pytest.param("title: a test map", "titel: a test map", "titel:",
                 ["form map: unknown key 'titel' (expected: ", "title"], id="unknown-top-level-key"),
    pytest.param("kind: upload, value:", "kind: upload, optionl: true, value:", "optionl",
                 ["form.fields[7]: unknown key 'optionl'", "optional"], id="unknown-field-key"),
    pytest.param('- {click: "#loginBtn"}', '- {click: "#loginBtn", wait: 3}', "wait: 3",
                 ["login.steps[2]: unknown key 'wait'"], id="unknown-step-key"),
    pytest.param("charset: gbk", "charset: gbkk", "charset: gbkk",
                 ["charset: unknown encoding 'gbkk' (e.g. gbk, gb18030, big5)"], id="bad-charset"),
    pytest.param("kind: checkboxes", "kind: checkboxs", "kind: checkboxs",
                 ["field '经营范围': unknown kind 'checkboxs'",
                  "(one of text, select, checkbox, checkboxes, radio, upload)"],
                 id="bad-field-kind"),
    pytest.param("match: label", "match: text", "match: text", ["field '经营范围': match must be 'value' or 'label'"],
                 id="bad-match"),
    pytest.param('{click: "#btnConfirm", submits: true}', '{click: "#btnConfirm"}', "^form:",
                 ["form.submit: mark exactly one step with submits: true"], id="no-submits-step"),
    pytest.param('{click: "#btnSubmit"}', '{click: "#btnSubmit", submits: true}', "^form:",
                 ["form.submit: mark exactly one step with submits: true"], id="two-submits-steps"),
    pytest.param('- {click: "#btnSearch"}', '- {click: "#btnSearch", submits: true}', "^robot:",
                 ["submits: true belongs on the form's submit steps only"], id="submits-outside-the-form"),
    pytest.param('{label: 证件类型, selector: "#zjlx", kind: select, const: "10"}',
                 '{label: 证件类型, selector: "#zjlx", kind: select}', "label: 证件类型",
                 ["field '证件类型': needs value: (a fact path) or const:"], id="field-without-value"),
    pytest.param('{label: 证件类型, selector: "#zjlx", kind: select, const: "10"}',
                 '{label: 证件类型, selector: "#zjlx", kind: select, const: "10", value: applicant.id_type}',
                 "label: 证件类型", ["give 'value' (a fact) or 'const', not both"], id="value-and-const"),
    pytest.param('{label: 经营者姓名, selector: "#jyzxm",', '{label: 经营者姓名, selector: "#jyzxm", max_length: -1,',
                 "label: 经营者姓名", ["max_length must be a positive whole number"], id="bad-max-length"),
    pytest.param("pattern: 'GT\\d{13}'}\nform:", "pattern: 'GT(\\d{13}'}\nform:", "GT(",
                 ["search.receipt.pattern: not a regular expression"], id="bad-receipt-pattern"),
    pytest.param("{fill: \"#password\", value: credentials.password}", "{fill: \"#password\"}", '{fill: "#password"}',
                 ["login.steps[1]: 'fill' needs a value: (a fact) or const:"], id="fill-without-value"),
    pytest.param("timeouts: {page: 10,", "timeouts: {page: -1,", "^timeouts:",
                 ["timeouts.page: must be a positive number of seconds"], id="bad-timeout"),
    pytest.param("robot: test.establish", "robot: Test-Establish", "^robot:",
                 ["robot: 'Test-Establish' must be a dotted lower-case id"], id="bad-robot-id"),
]


@pytest.mark.parametrize(("old", "new", "on_line", "fragments"), MISTAKES)
def test_each_mistake_is_reported_with_its_file_and_line(tmp_path: Path, old: str, new: str, on_line: str,
                                                         fragments: list[str]) -> None:
    text = edit(MAP, (old, new))
    path = write(tmp_path, text)
    problems = refused(path)
    assert len(problems) == 1, problems
    problem = problems[0]
    assert problem.line == line_of(text, on_line), problem
    for fragment in fragments:
        assert fragment in problem.message, problem
    assert str(problem).startswith(f"{path}:{problem.line}: ")


def test_a_missing_search_is_refused(tmp_path: Path) -> None:
    start, end = MAP.index("search:\n"), MAP.index("form:\n")
    text = MAP[:start] + MAP[end:]
    problems = refused(write(tmp_path, text))
    assert [(p.line, p.message) for p in problems] == [
        (1, "search: missing; a robot must be able to find an application it may already have entered, or it could "
            "submit twice")]


def test_a_missing_required_section_and_an_unknown_frame_on_a_whole_section(tmp_path: Path) -> None:
    text = edit(MAP, ("  ready: \"form#gtForm\"\n", ""), ("search:\n  frame: main", "search:\n  frame: mian"))
    problems = refused(write(tmp_path, text))
    assert all(p.line for p in problems), problems
    # a missing key is reported once, on the section's first line
    assert [(p.line, p.message) for p in problems if "ready" in p.message] == [
        (line_of(text, "^form:") + 1, "form: missing 'ready'")]
    frame_lines = {p.line for p in problems if "unknown frame 'mian'" in p.message}
    # the section's frame, and every step and locator of the section that inherits it
    assert line_of(text, "frame: mian") in frame_lines
    assert line_of(text, "input[name=zjhm]") in frame_lines


def test_every_problem_of_a_map_is_reported_at_once(tmp_path: Path) -> None:
    text = edit(
        MAP,
        ("charset: gbk", "charset: gbkk"),
        ("title: a test map", "titel: a test map"),
        ("transform: [gbk_safe]", "transform: [gbk_safer]"),
        ("[{lookup: organisation}]", "[{lookup: organization}]"),
        ('{date: "%Y%m%d"}', '{date: "YYYYMMDD"}'),
        ("kind: checkboxes", "kind: checkboxs"),
        ('{label: 行政区划, selector: "#xzqh",', '{label: 行政区划, selector: "#xzqh", frame: mian,'),
        ('{click: "#btnConfirm", submits: true}', '{click: "#btnConfirm"}'),
    )
    path = write(tmp_path, text)
    with pytest.raises(FormMapError) as caught:
        read_form_map(path)
    got = {(p.line, p.message.split(":")[0]) for p in caught.value.problems}
    assert got == {
        (line_of(text, "charset: gbkk"), "charset"),
        (line_of(text, "titel:"), "form map"),
        (line_of(text, "gbk_safer"), "field '经营者姓名'.transform"),
        (line_of(text, "organization"), "field '组成形式'.transform"),
        (line_of(text, "YYYYMMDD"), "field '申请日期'.transform"),
        (line_of(text, "checkboxs"), "field '经营范围'"),
        (line_of(text, "frame: mian"), "field '行政区划'"),
        (line_of(text, "^form:"), "form.submit"),
    }
    message = str(caught.value)
    assert message.startswith("the form map is invalid (8 problem(s)):\n")
    assert f"  {path}:{line_of(text, 'charset: gbkk')}: charset: unknown encoding 'gbkk'" in message


def test_invalid_yaml_names_its_line(tmp_path: Path) -> None:
    text = edit(MAP, ("  ready: \"form#gtForm\"", "  ready: \"form#gtForm\n  oops: ["))
    problems = refused(write(tmp_path, text))
    assert len(problems) == 1 and problems[0].message.startswith("not valid YAML")
    assert problems[0].line is not None and problems[0].line >= line_of(text, "ready:")


def test_an_unreadable_or_empty_map(tmp_path: Path) -> None:
    assert refused(tmp_path / "missing.yaml")[0].message.startswith("cannot read the form map")
    problems = refused(write(tmp_path, "", "empty.yaml"))
    assert [(p.line, p.message) for p in problems] == [(1, "form map: must be a mapping")]


# ---- facts the map reads ---------------------------------------------------------------------------------------

FACT_MISTAKES = [
    pytest.param("value: applicant.name", "value: applicant.nmae", "applicant.nmae",
                 "unknown fact 'applicant.nmae' (did you mean 'applicant.name'?)", id="unknown-fact"),
    pytest.param("value: business.capital", "value: business.capitl", "business.capitl",
                 "unknown fact 'business.capitl' (did you mean 'business.capital'?)", id="unknown-fact-2"),
    pytest.param('"business.premises[0].division"', '"business.premises[0]"', "business.premises[0]",
                 "'business.premises[0]' is a whole item of 'business.premises'; name a field inside it (address, "
                 "division,", id="list-item-without-a-field"),
    pytest.param('"business.premises[0].division"', '"business.premises[0].divison"', "divison",
                 "unknown fact 'business.premises[0].divison': items of 'business.premises' have no 'divison'",
                 id="unknown-item-field"),
    pytest.param('"materials[kind=application_form].file"', '"materials[sort=application_form].file"', "sort=",
                 "unknown fact 'materials[sort=application_form].file': items of 'materials' have no 'sort'",
                 id="unknown-selector-key"),
    pytest.param('"business.premises[0].division"', '"applicant.name[0]"', "applicant.name[0]",
                 "unknown fact 'applicant.name[0]': 'applicant.name' is not a list", id="selector-on-a-scalar"),
    pytest.param("value: applicant.id_number}", "value: credentials.password}", "input[name=zjhm]",
                 "'credentials.password' may be used in login steps only", id="credentials-outside-login"),
    pytest.param("value: business.capital", "value: credentials.username", "#zczb",
                 "'credentials.username' may be used in login steps only", id="credentials-in-a-field"),
]


@pytest.mark.parametrize(("old", "new", "on_line", "message"), FACT_MISTAKES)
def test_facts_the_matter_lacks_are_reported_with_their_line(tmp_path: Path, schema_for: Callable[[str], Any],
                                                             old: str, new: str, on_line: str, message: str) -> None:
    text = edit(MAP, (old, new))
    path = write(tmp_path, text)
    problems = fact_problems(path, schema_for)
    assert len(problems) == 1, problems
    assert problems[0].file == str(path) and problems[0].line == line_of(text, on_line)
    assert problems[0].message.startswith(message), problems[0].message


def test_fact_paths_with_selectors_are_accepted(tmp_path: Path, schema_for: Callable[[str], Any]) -> None:
    text = edit(MAP, ("value: applicant.name", "value: \"family_members[relation=spouse].name\""),
                ("value: business.capital", "value: \"business.scope[0]\""))
    assert fact_problems(write(tmp_path, text), schema_for) == []


class MapsPlugin:
    """A plugin that registers the given form maps."""

    def __init__(self, *paths: Path) -> None:
        self.paths = paths

    @govauto.hookimpl
    def govauto_register_robots(self, register: Callable[[Path], None]) -> None:
        for path in self.paths:
            register(path)


def test_the_runtime_reports_every_problem_of_every_map(tmp_path: Path) -> None:
    broken = edit(MAP, ("charset: gbk", "charset: gbkk"), ("kind: checkboxes", "kind: checkboxs"))
    wrong_facts = edit(MAP, ("robot: test.establish", "robot: test.other"),
                       ("value: applicant.name", "value: applicant.nmae"))
    first, second = write(tmp_path, broken, "broken.yaml"), write(tmp_path, wrong_facts, "facts.yaml")
    runtime = govauto.Runtime([MapsPlugin(first, second)], load_entrypoints=False)
    with pytest.raises(FormMapError) as caught:
        runtime.robots()
    got = [(p.file, p.line, p.message.split(" (")[0]) for p in caught.value.problems]
    assert got == [
        (str(first), line_of(broken, "gbkk"), "charset: unknown encoding 'gbkk'"),
        (str(first), line_of(broken, "checkboxs"), "field '经营范围': unknown kind 'checkboxs'"),
        (str(second), line_of(wrong_facts, "applicant.nmae"), "unknown fact 'applicant.nmae'"),
    ]


def test_the_runtime_loads_a_valid_plugin_map(tmp_path: Path) -> None:
    runtime = govauto.Runtime([MapsPlugin(write(tmp_path, MAP))], load_entrypoints=False)
    robots = runtime.robots()
    assert {"legacy_portal.establish", "test.establish"} <= set(robots)
    assert isinstance(robots["test.establish"], FormMapRobot)


def test_load_robots_refuses_an_unknown_matter(tmp_path: Path, schema_for: Callable[[str], Any]) -> None:
    text = edit(MAP, ("matter: sole_proprietor.establish", "matter: sole_proprietor.dissolve"))
    path = write(tmp_path, text)
    matters = govauto.Runtime(load_entrypoints=False).matters
    with pytest.raises(FormMapError) as caught:
        load_robots([("test", path)], matters, schema_for)
    assert [p.message for p in caught.value.problems] == [
        "matter: no matter 'sole_proprietor.dissolve' is registered (available: sole_proprietor.change, "
        "sole_proprietor.deregister, sole_proprietor.establish)"]


# ---- values from facts -----------------------------------------------------------------------------------------

FACTS: dict[str, Any] = {
    "case_id": "NS-1",
    "applicant.name": "flat wins",
    "applicant": {"name": "张三", "id_number": "110101199003071233"},
    "business": {"premises": [{"address": "南山大道100号", "division": "440305"},
                              {"address": "桃园路1号", "division": "440304"}],
                 "scope": ["日用百货销售", "食品销售（仅销售预包装食品）"]},
    "materials": [{"kind": "id_card", "file": None}, {"kind": "application_form", "file": "form.pdf"}],
}


@pytest.mark.parametrize(("path", "value"), [
    ("case_id", "NS-1"),
    ("applicant.name", "flat wins"),  # a flat fact is used as it is
    ("applicant.id_number", "110101199003071233"),
    ("business.premises[0].division", "440305"),
    ("business.premises[1].address", "桃园路1号"),
    ("business.premises[2].address", None),
    ("business.scope[1]", "食品销售（仅销售预包装食品）"),
    ("materials[kind=application_form].file", "form.pdf"),
    ("materials[kind=id_card].file", None),
    ("materials[kind=lease].file", None),
    ("business.premises[kind=x].address", None),
    ("applicant.phone", None),
    ("applicant.name[0]", None),
])
def test_resolve(path: str, value: Any) -> None:
    assert resolve(FACTS, path) == value


def test_resolve_on_a_real_case() -> None:
    runtime = govauto.Runtime(load_entrypoints=False)
    facts = runtime.facts(runtime.load_case(ROOT / "examples" / "cases" / "approve.yaml"))
    assert resolve(facts, "business.premises[0].division") == "440305"
    assert resolve(facts, "materials[kind=application_form].source") == "shared"
    assert resolve(facts, "materials[kind=application_form].file") is None
    assert resolve(facts, "submitted_on") == "2026-11-20"


def test_fact_paths_are_parsed() -> None:
    assert FactRef.parse("materials[kind=lease].file").segments == (("materials", ("kind", "lease")), ("file", None))
    assert FactRef.parse("business.premises[0].address").segments == (
        ("business", None), ("premises", 0), ("address", None))
    with pytest.raises(ValueError, match="is not a fact path"):
        FactRef.parse("business..name")


# ---- transforms ------------------------------------------------------------------------------------------------

TABLES = {"organisation": {"individual": "1", "family": "2"}, "flags": {"true": "Y", "false": "N"}}


def apply(value: Any, *specs: str | tuple[str, Any]) -> Any:
    transforms = tuple(TransformSpec(s, None) if isinstance(s, str) else TransformSpec(*s) for s in specs)
    for spec in transforms:
        assert transform_problem(spec, TABLES) is None, spec
    return prepare(transforms, TABLES)(value)


def test_date() -> None:
    assert apply("2026-11-20", ("date", "%Y%m%d")) == "20261120"
    assert apply("2026-11-20T09:30:00+08:00", ("date", "%Y-%m-%d")) == "2026-11-20"
    assert apply(dt.date(2026, 1, 2), ("date", "%Y年%m月%d日")) == "2026年01月02日"
    assert apply(dt.datetime(2026, 1, 2, 23, 59), ("date", "%Y%m%d")) == "20260102"
    assert apply(None, ("date", "%Y%m%d")) is None
    with pytest.raises(RobotDataError, match=r"'20/11/2026' is not a date \(YYYY-MM-DD\)"):
        apply("20/11/2026", ("date", "%Y%m%d"))


def test_number_and_divide() -> None:
    yuan_to_wan = (("divide", 10000), ("number", 4))
    assert apply(50000, *yuan_to_wan) == "5"
    assert apply(50000.0, *yuan_to_wan) == "5"
    assert apply("12345", *yuan_to_wan) == "1.2345"
    assert apply(123456789, *yuan_to_wan) == "12345.6789"
    assert apply(10000000, *yuan_to_wan) == "1000"  # never 1E+3
    assert apply(1, *yuan_to_wan) == "0.0001"
    assert apply(3, ("divide", 10000), ("number", 2)) == "0"
    assert apply(2.5, ("multiply", 2)) == "5"
    assert apply(Decimal("1.50"), ("number", 2)) == "1.5"
    with pytest.raises(RobotDataError, match="'五万' is not a number"):
        apply("五万", *yuan_to_wan)
    with pytest.raises(RobotDataError, match="'abc' is not a number"):
        apply("abc", ("number", 0))


def test_lookup() -> None:
    assert apply("individual", ("lookup", "organisation")) == "1"
    assert apply(True, ("lookup", "flags")) == "Y"
    assert apply(["family", "individual"], ("lookup", "organisation")) == ["2", "1"]
    with pytest.raises(RobotDataError) as caught:
        apply("partnership", ("lookup", "organisation"))
    assert "no code for 'partnership' in table 'organisation' (it has: individual, family" in str(caught.value)
    assert caught.value.kind == "data" and caught.value.to_person


# ---- lookup tables as YAML writes them ---------------------------------------------------------------------------

ORGANISATION = '  organisation: {individual: "1", family: "2"}'


def table_map(tmp_path: Path, *tables: str) -> tuple[Path, str]:
    """``MAP`` with more tables (each ``name: {…}``) under ``tables:``, written to a file."""
    text = edit(MAP, (ORGANISATION, "\n".join([ORGANISATION, *(f"  {t}" for t in tables)])))
    return write(tmp_path, text), text


def looked_up(form_map: Any, table: str, value: Any) -> Any:
    return prepare((TransformSpec("lookup", table),), form_map.tables)(value)


def test_unquoted_yaml_booleans_numbers_and_text_are_table_keys(tmp_path: Path) -> None:
    path, _ = table_map(tmp_path, 'reason: {true: "01", false: "02"}', 'level: {1: "A", 2: "B", 10: "C"}',
                        'mixed: {0: zero, false: no_, "yes": words, 2026-01-02: day}')
    form_map = read_form_map(path)
    assert form_map.tables["reason"] == {"true": "01", "false": "02"}
    assert form_map.tables["level"] == {"1": "A", "2": "B", "10": "C"}
    assert looked_up(form_map, "reason", True) == "01" and looked_up(form_map, "reason", False) == "02"
    assert looked_up(form_map, "reason", "true") == "01"  # a yes/no fact given as text
    assert looked_up(form_map, "level", 10) == "C" and looked_up(form_map, "level", "2") == "B"
    # booleans and numbers are different keys, though Python has True == 1 and False == 0
    assert looked_up(form_map, "mixed", 0) == "zero" and looked_up(form_map, "mixed", False) == "no_"
    assert looked_up(form_map, "mixed", "yes") == "words"
    assert looked_up(form_map, "mixed", dt.date(2026, 1, 2)) == "day"
    for absent, table in [(True, "level"), (1, "reason"), ("01", "level"), ("True", "reason"), (True, "mixed")]:
        with pytest.raises(RobotDataError, match="no code for"):
            looked_up(form_map, table, absent)


def test_quoted_table_keys_still_work(tmp_path: Path) -> None:
    path, _ = table_map(tmp_path, 'reason: {"true": "01", "false": "02"}', 'level: {"1": A, "01": B}')
    form_map = read_form_map(path)
    assert looked_up(form_map, "reason", True) == "01" and looked_up(form_map, "reason", "false") == "02"
    assert looked_up(form_map, "level", 1) == "A" and looked_up(form_map, "level", "01") == "B"


def test_table_keys_and_codes_yaml_would_misread_are_refused(tmp_path: Path) -> None:
    path, text = table_map(tmp_path, "flags: {yes: Y, no: N}", "codes: {01: a, b: 007, c: 1.50}",
                           'twice: {true: a, "true": b, 1: c}', "empty: {~: a, b: }")
    problems = [(p.line, p.message) for p in refused(path)]
    assert problems == [
        (line_of(text, "flags:"), 'tables.flags: key yes: YAML reads yes as true; write true, or quote "yes" for '
                                  "the text"),
        (line_of(text, "flags:"), 'tables.flags: key no: YAML reads no as false; write false, or quote "no" for '
                                  "the text"),
        (line_of(text, "codes:"), "tables.codes: key 01: YAML reads 01 as the number 1; write 1, or quote \"01\" "
                                  "for the text"),
        (line_of(text, "codes:"), "tables.codes: the code of b: YAML reads 007 as the number 7; write 7, or quote "
                                  '"007" for the text'),
        (line_of(text, "codes:"), "tables.codes: the code of c: YAML reads 1.50 as the number 1.5; write 1.5, or "
                                  'quote "1.50" for the text'),
        (line_of(text, "twice:"), "tables.twice: true and \"true\" are the same key ('true')"),
        (line_of(text, "empty:"), "tables.empty: key ~: must be text, a whole number or true/false"),
        (line_of(text, "empty:"), "tables.empty: the code of b: must be text, a whole number or true/false"),
    ]


def test_table_key() -> None:
    assert [table_key(v) for v in (True, False, "true", 1, "1", "01", 10, "True", "个人经营")] == [
        "true", "false", "true", "1", "1", "01", "10", "True", "个人经营"]


def test_the_built_in_deregister_map_reads_its_reason_from_a_yes_no() -> None:
    form_map = read_form_map(BUILT_IN.with_name("legacy_portal_deregister.yaml"))
    assert looked_up(form_map, "reason", True) == "01" and looked_up(form_map, "reason", False) == "02"


def test_gbk_safe() -> None:
    assert apply("买买提\u2022艾力", "gbk_safe") == "买买提\u00b7艾力"
    assert "买买提\u00b7艾力".encode("gbk")  # the replacement is a GBK character
    assert gbk_safe("a\u00a0b\u200bc\ufeff") == "a bc"
    assert gbk_safe("\U00020bb7三") == "\U00020bb7三"  # 𠮷 has no GBK equivalent: it stays, for the charset check
    assert gbk_safe(42) == 42
    assert apply(["甲\u30fb乙", "丙"], "gbk_safe") == ["甲\u00b7乙", "丙"]


def test_join_digits_default_and_the_simple_ones() -> None:
    assert apply(["日用百货销售", "食品销售"], "join") == "日用百货销售、食品销售"
    assert apply(["a", "b"], ("join", ";")) == "a;b"
    assert apply("138-0013 8000", "digits") == "13800138000"
    assert apply(None, ("default", "无")) == "无"
    assert apply("", ("default", "无")) == "无"
    assert apply([], ("default", "无")) == "无"
    assert apply("有", ("default", "无")) == "有"
    assert apply("  x1 ", "strip", "upper") == "X1"
    assert apply("AbC", "lower") == "abc"
    assert apply(True, "yes_no") == "是" and apply(False, ("yes_no", ["有", "无"])) == "无"
    assert apply(None, "digits") is None


def test_transforms_apply_to_each_item_of_a_list_except_join_first_and_default() -> None:
    assert apply(["a-1", "b-2"], "upper", "digits") == ["1", "2"]
    assert apply(["individual", "family"], ("lookup", "organisation"), ("join", ",")) == "1,2"
    assert apply(["x", "y"], "first", "upper") == "X"
    assert apply([], "first") is None
    assert apply([10000, 25000], ("divide", 10000), ("number", 1)) == ["1", "2.5"]


def test_transform_problems() -> None:
    assert transform_problem(TransformSpec("lookup", "nope"), TABLES) == (
        "lookup: no table 'nope' under tables: (organisation, flags)")
    assert transform_problem(TransformSpec("lookup", "x"), {}) == "lookup: no table 'x' under tables: (none declared)"
    assert "needs a parameter" in (transform_problem(TransformSpec("number", None), TABLES) or "")
    assert "is not a number" in (transform_problem(TransformSpec("divide", "ten"), TABLES) or "")
    assert "unknown transform 'titlecase'" in (transform_problem(TransformSpec("titlecase", None), TABLES) or "")
    for good in ("%Y%m%d", "%Y-%m-%d", "%Y年%-m月%-d日", "%d/%m/%Y", "100%% %Y"):
        assert transform_problem(TransformSpec("date", good), TABLES) is None, good
    for bad in ("YYYYMMDD", "%Q", "%Y%m%d%", "%%"):
        assert "is not a strftime format" in (transform_problem(TransformSpec("date", bad), TABLES) or ""), bad


# ---- credentials -----------------------------------------------------------------------------------------------

USER_VAR, PASSWORD_VAR = "GOVAUTO_CREDENTIALS_LEGACY_PORTAL_USERNAME", "GOVAUTO_CREDENTIALS_LEGACY_PORTAL_PASSWORD"


@pytest.fixture
def no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No credentials in the environment; the credentials file (not yet written) in tmp_path."""
    for name in list(os.environ):
        if name.startswith("GOVAUTO_CREDENTIALS_"):
            monkeypatch.delenv(name)
    path = tmp_path / "credentials.yaml"
    monkeypatch.setenv("GOVAUTO_CREDENTIALS_FILE", str(path))
    return path


def test_credentials_from_the_environment(no_credentials: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert env_names("legacy_portal") == (USER_VAR, PASSWORD_VAR)
    assert env_names("legacy-portal.v2") == ("GOVAUTO_CREDENTIALS_LEGACY_PORTAL_V2_USERNAME",
                                             "GOVAUTO_CREDENTIALS_LEGACY_PORTAL_V2_PASSWORD")
    monkeypatch.setenv(USER_VAR, "robot")
    monkeypatch.setenv(PASSWORD_VAR, "s3cret")
    found = credentials_for("legacy_portal")
    assert found == Credentials("robot", "s3cret")
    assert "s3cret" not in repr(found)


def test_credentials_from_a_private_file(no_credentials: Path) -> None:
    no_credentials.write_text("legacy_portal: {username: robot, password: \"p@ss: word\"}\n", encoding="utf-8")
    no_credentials.chmod(0o600)
    assert credentials_for("legacy_portal") == Credentials("robot", "p@ss: word")


def test_a_credentials_file_others_can_read_is_refused(no_credentials: Path) -> None:
    no_credentials.write_text("legacy_portal: {username: robot, password: pw}\n", encoding="utf-8")
    no_credentials.chmod(0o644)
    with pytest.raises(RobotConfigError) as caught:
        credentials_for("legacy_portal")
    assert str(caught.value) == f"{no_credentials} can be read by other users: run chmod 600 {no_credentials}"
    assert caught.value.kind == "config"


def test_an_incomplete_credentials_entry(no_credentials: Path) -> None:
    no_credentials.write_text("legacy_portal: {username: robot}\n", encoding="utf-8")
    no_credentials.chmod(0o600)
    with pytest.raises(RobotConfigError, match="'legacy_portal' needs username: and password:"):
        credentials_for("legacy_portal")


def test_missing_credentials_name_the_environment_variables(no_credentials: Path) -> None:
    with pytest.raises(RobotConfigError) as caught:
        credentials_for("legacy_portal")
    message = str(caught.value)
    assert USER_VAR in message and PASSWORD_VAR in message and str(no_credentials) in message
    assert "chmod 600" in message and caught.value.kind == "config"


def test_a_run_without_credentials_fails_before_opening_the_browser(no_credentials: Path, tmp_path: Path) -> None:
    robot = FormMapRobot.from_file(BUILT_IN)

    class NoBrowser:
        def new_context(self, **_: Any) -> None:
            raise AssertionError("no browser should be opened without credentials")

    result = run_robot(robot, {}, browser=NoBrowser(), ctx=LocalRunContext(tmp_path / "art"))  # type: ignore[arg-type]
    assert (result.status, result.error_kind) == ("failed", "config")
    assert result.message is not None and USER_VAR in result.message
