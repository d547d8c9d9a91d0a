"""Reading a rule pack directory: ``pack.yaml``, the rule files under ``rules/``, example cases under ``examples/``.

Layout::

    rules/sole_proprietor/establish/
        pack.yaml          id, version, matter, title, effective dates, sources
        rules/*.yaml       ``rules:`` lists (files read in name order)
        examples/*.yaml    example cases: ``case:`` and ``expect:`` (outcome and rule ids)

Every problem found is reported at once, each with its file, line and rule id (:class:`~govauto.errors.PackError`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from govauto.errors import PackError, PackProblem

OUTCOMES = ("reject", "refer", "correct", "note")
RULE_KEYS = {"id", "title", "when", "outcome", "message", "basis", "for_each", "let", "description"}
PACK_KEYS = {"id", "version", "matter", "title", "effective_from", "effective_until", "sources", "rules",
             "description"}
RULE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")


class YamlItem(NamedTuple):
    """One ``key: value`` of a YAML mapping as YAML typed it (a :class:`LineDict`'s keys are made text)."""

    key: Any
    value: Any
    line: int
    key_text: str | None
    """The key as written, when it is a plain (unquoted) scalar: ``01`` for a key YAML reads as the number 1."""
    value_text: str | None
    """The value as written, when it is a plain scalar."""


class LineDict(dict[str, Any]):
    """A mapping read from YAML that remembers the line (1-based) of each key."""

    line: int = 0
    lines: dict[str, int]
    items_as_read: list[YamlItem]
    """Every ``key: value`` as YAML typed it, in order, repeated keys included (only on mappings read by
    :func:`load_yaml`)."""


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.lines = {}
    out.items_as_read = []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        value = loader.construct_object(value_node, deep=True)
        out[str(key)] = value
        out.lines[str(key)] = key_node.start_mark.line + 1
        out.items_as_read.append(YamlItem(key, value, key_node.start_mark.line + 1, _plain_text(key_node),
                                          _plain_text(value_node)))
    return out


def _plain_text(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) and node.style is None else None


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> Any:
    """Read a YAML file keeping line numbers on mappings (:class:`LineDict`)."""
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_LineLoader)


@dataclass(frozen=True)
class Source:
    """A legal text a pack cites: short id, full title, and the date it came into force."""

    id: str
    title: str
    effective: str | None = None


@dataclass
class Rule:
    """One rule as its author wrote it, with where it was written."""

    id: str
    title: str
    when: str
    outcome: str
    message: str
    basis: str
    file: str
    line: int
    for_each: str | None = None
    let: dict[str, str] = field(default_factory=dict)
    description: str = ""
    lines: dict[str, int] = field(default_factory=dict)


@dataclass
class Example:
    """An example case with the outcome and findings its author expects."""

    name: str
    file: str
    line: int
    case: dict[str, Any]
    outcome: str
    findings: list[str]
    description: str = ""
    lookups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Data the example's lookups answer from, by kind (``business_names``: taken names)."""


@dataclass
class Pack:
    """A rule pack as read from its directory (not yet compiled)."""

    id: str
    version: str
    matter: str
    title: str
    path: Path
    effective_from: dt.date | None
    effective_until: dt.date | None
    sources: list[Source]
    rules: list[Rule]
    examples: list[Example]


def read_pack(path: Path | str) -> Pack:
    """Read and structurally validate the pack in directory ``path`` (or a ``pack.yaml`` file).

    :raises PackError: with every problem found, each naming its file, line and rule id.
    """
    path = Path(path)
    directory = path.parent if path.is_file() else path
    manifest = directory / "pack.yaml"
    problems: list[PackProblem] = []
    if not manifest.is_file():
        raise PackError([PackProblem(str(directory), None, "no pack.yaml in this directory: is it a rule pack?")])
    meta = _read(manifest, problems)
    if not isinstance(meta, LineDict):
        problems.append(PackProblem(str(manifest), None, "pack.yaml must be a mapping with id, version, matter ..."))
        raise PackError(problems)

    def need(key: str) -> str:
        value = meta.get(key)
        if value is None or str(value).strip() == "":
            problems.append(PackProblem(str(manifest), meta.line, f"'{key}' is required"))
            return ""
        return str(value)

    for key in meta:
        if key not in PACK_KEYS:
            problems.append(PackProblem(str(manifest), meta.lines.get(key), f"unknown key '{key}' (known: "
                                        + ", ".join(sorted(PACK_KEYS)) + ")"))
    pack_id, version, matter = need("id"), need("version"), need("matter")
    title = str(meta.get("title") or pack_id)
    effective_from = _date(meta, "effective_from", manifest, problems)
    effective_until = _date(meta, "effective_until", manifest, problems)
    if effective_from and effective_until and effective_until < effective_from:
        problems.append(PackProblem(str(manifest), meta.lines.get("effective_until"),
                                    "effective_until is before effective_from"))
    sources = _sources(meta, manifest, problems)

    rules: list[Rule] = []
    if meta.get("rules") is not None:
        rules.extend(_rules(meta["rules"], manifest, meta.lines.get("rules", meta.line), problems))
    rule_dir = directory / "rules"
    for file in sorted(rule_dir.glob("*.y*ml")) if rule_dir.is_dir() else []:
        data = _read(file, problems)
        if data is None:
            continue
        if not isinstance(data, LineDict) or "rules" not in data:
            problems.append(PackProblem(str(file), 1, "a rule file holds a mapping with a 'rules:' list"))
            continue
        extra = set(data) - {"rules"}
        if extra:
            problems.append(PackProblem(str(file), data.lines.get(min(extra)),
                                        f"unknown key(s) {sorted(extra)}: a rule file holds only 'rules:'"))
        rules.extend(_rules(data["rules"], file, data.lines["rules"], problems))
    if not rules:
        problems.append(PackProblem(str(manifest), meta.line, "the pack has no rules (add rules/*.yaml)"))
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            first = seen[rule.id]
            problems.append(PackProblem(rule.file, rule.line, f"duplicate rule id (first at {first.file}:{first.line})",
                                        rule.id))
        seen.setdefault(rule.id, rule)

    examples = _examples(directory / "examples", problems, set(seen))
    if problems:
        raise PackError(problems)
    return Pack(pack_id, version, matter, title, directory, effective_from, effective_until, sources, rules, examples)


def _read(file: Path, problems: list[PackProblem]) -> Any:
    try:
        return load_yaml(file)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problems.append(PackProblem(str(file), line, f"not valid YAML: {exc.problem or exc}"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(PackProblem(str(file), None, f"cannot read: {exc}"))
    return None


def _date(meta: LineDict, key: str, file: Path, problems: list[PackProblem]) -> dt.date | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(PackProblem(str(file), meta.lines.get(key), f"{key}: expected a date like 2025-07-15, "
                                    f"got {value!r}"))
        return None


def _sources(meta: LineDict, file: Path, problems: list[PackProblem]) -> list[Source]:
    out: list[Source] = []
    raw = meta.get("sources") or []
    if not isinstance(raw, list):
        problems.append(PackProblem(str(file), meta.lines.get("sources"), "sources must be a list"))
        return out
    for entry in raw:
        if not isinstance(entry, Mapping) or not entry.get("id") or not entry.get("title"):
            line = entry.line if isinstance(entry, LineDict) else meta.lines.get("sources")
            problems.append(PackProblem(str(file), line, "each source needs 'id' and 'title'"))
            continue
        effective = entry.get("effective")
        out.append(Source(str(entry["id"]), str(entry["title"]), str(effective) if effective else None))
    return out


def _rules(raw: Any, file: Path, line: int, problems: list[PackProblem]) -> list[Rule]:
    if not isinstance(raw, list):
        problems.append(PackProblem(str(file), line, "'rules' must be a list of rules"))
        return []
    out: list[Rule] = []
    for entry in raw:
        if not isinstance(entry, LineDict):
            problems.append(PackProblem(str(file), line, f"a rule must be a mapping, got {entry!r}"))
            continue
        rule_id = str(entry.get("id") or "")

        def problem(message: str, key: str | None = None, rid: str = rule_id, e: LineDict = entry) -> None:
            problems.append(PackProblem(str(file), e.lines.get(key, e.line) if key else e.line, message, rid or None))

        for key in entry:
            if key not in RULE_KEYS:
                problem(f"unknown key '{key}' (known: {', '.join(sorted(RULE_KEYS))})", key)
        if not rule_id:
            problem("the rule has no 'id'")
        elif not RULE_ID.match(rule_id):
            problem("a rule id is lowercase words joined by dots, like applicant.id_number.checksum", "id")
        if isinstance(entry.get("when"), bool):  # YAML reads `when: true` as a boolean
            entry["when"] = "true" if entry["when"] else "false"
        for key in ("title", "when", "message", "basis"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                problem(f"'{key}' is required and must be text", key if key in entry else None)
        outcome = entry.get("outcome")
        if outcome not in OUTCOMES:
            problem(f"outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}", "outcome" if outcome else None)
        for_each = entry.get("for_each")
        if for_each is not None and not isinstance(for_each, str):
            problem("for_each names a list fact, like business.premises", "for_each")
        let = entry.get("let") or {}
        if not isinstance(let, Mapping) or not all(isinstance(v, str) for v in let.values()):
            problem("let maps names to expressions, like {age: age_on(applicant.id_number, submitted_on)}", "let")
            let = {}
        out.append(Rule(
            id=rule_id, title=str(entry.get("title") or ""), when=str(entry.get("when") or ""),
            outcome=str(outcome), message=str(entry.get("message") or ""), basis=str(entry.get("basis") or ""),
            file=str(file), line=entry.line, for_each=for_each if isinstance(for_each, str) else None,
            let={str(k): str(v) for k, v in let.items()}, description=str(entry.get("description") or ""),
            lines=dict(entry.lines),
        ))
    return out


def _examples(directory: Path, problems: list[PackProblem], rule_ids: set[str]) -> list[Example]:
    out: list[Example] = []
    for file in sorted(directory.glob("*.y*ml")) if directory.is_dir() else []:
        data = _read(file, problems)
        if data is None:
            continue
        if not isinstance(data, LineDict) or not isinstance(data.get("case"), Mapping) or \
                not isinstance(data.get("expect"), Mapping):
            problems.append(PackProblem(str(file), 1, "an example holds 'case:' (a case) and 'expect:' "
                                        "(outcome and findings)"))
            continue
        expect = data["expect"]
        outcome = expect.get("outcome")
        if outcome not in ("approve", "correct", "refer", "reject"):
            problems.append(PackProblem(str(file), data.lines.get("expect"),
                                        f"expect.outcome must be approve, correct, refer or reject, got {outcome!r}"))
            continue
        findings = expect.get("findings") or []
        if not isinstance(findings, list):
            problems.append(PackProblem(str(file), data.lines.get("expect"),
                                        "expect.findings must be a list of rule ids"))
            continue
        for rid in findings:
            if str(rid) not in rule_ids:
                problems.append(PackProblem(str(file), data.lines.get("expect"),
                                            f"expect.findings names rule '{rid}', which the pack does not have"))
        lookups = data.get("lookups") or {}
        if not isinstance(lookups, Mapping) or not all(isinstance(v, list) for v in lookups.values()):
            problems.append(PackProblem(str(file), data.lines.get("lookups"),
                                        "lookups maps a kind (business_names) to a list of records"))
            lookups = {}
        out.append(Example(file.stem, str(file), data.line, _plain(data["case"]), str(outcome),
                           [str(r) for r in findings], str(data.get("description") or ""), _plain(lookups)))
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
