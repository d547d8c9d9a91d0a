"""The case contract: what an application handed to govauto looks like.

A case is a mapping (from JSON or YAML) validated by the pydantic model its matter registers. The envelope
(``matter``, ``case_id``, ``submitted_at``, ``authority``, ``materials``) is the same for every matter; the
rest belongs to the matter. :class:`SoleProprietorEstablishCase` is the contract of
``sole_proprietor.establish``; its JSON Schema is printed by ``govauto schema case``.

Validation reports every wrong field at once, by path, never a traceback
(:class:`~govauto.errors.CaseError`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from govauto.errors import CaseError, FieldProblem

CHINA = ZoneInfo("Asia/Shanghai")

MaterialKind = Literal[
    "application_form", "id_card", "premises_proof", "family_relation_proof", "authorisation", "licence", "other"
]


def _as_text(value: Any) -> Any:
    # YAML reads unquoted 13800138000 or 440305 as integers; codes are text, and these never start with 0.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _six_digits(value: str) -> str:
    if not re.fullmatch(r"\d{6}", value):
        raise ValueError(f'must be 6 digits (a GB/T 2260 code like "440305"), got "{value}"')
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=CHINA)


def _valid_until(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str) and value.strip() in ("长期", "长期有效"):
        return "长期"
    return value


Text = Annotated[str, BeforeValidator(_as_text)]
Required = Annotated[str, BeforeValidator(_as_text), AfterValidator(_not_blank)]
Division = Annotated[str, BeforeValidator(_as_text), AfterValidator(_six_digits)]
Timestamp = Annotated[dt.datetime, AfterValidator(_aware)]
ValidUntil = Annotated[dt.date | Literal["长期"], BeforeValidator(_valid_until)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Authority(_Model):
    """The registration authority the application was made to."""

    name: Required
    division: Division = Field(description="GB/T 2260 code of the authority's area")


class Person(_Model):
    """A natural person named in the application."""

    name: Required
    id_number: Text = Field(description="18-character resident ID number (GB 11643); checked by rules, not here")


class Applicant(Person):
    """The 经营者 (operator)."""

    id_valid_until: ValidUntil | None = Field(None, description='ISO date, or "长期" for a long-term ID')
    phone: Text | None = None
    address: Text | None = Field(None, description="住所")
    own_income: bool = Field(False, description="16-17 year old living mainly on their own labour income")
    public_servant: bool = Field(False, description="declared to be a public servant")


class FamilyMember(Person):
    """A member of a family-run (家庭经营) business."""

    relation: Required


class Agent(Person):
    """A person applying on the operator's behalf (委托代理人)."""

    phone: Text | None = None


class Premises(_Model):
    """A place of business (经营场所)."""

    address: Text | None = None
    division: Division
    kind: Literal["commercial", "residential", "online"]
    proof: Literal["lease", "ownership", "commitment", "none"] = "none"
    neighbour_consent: bool | None = Field(None, description="residential only: the affected owners consented")
    url: Text | None = Field(None, description="online only: the platform shop's address")


class Business(_Model):
    """The business being registered."""

    name: Text | None = Field(None, description="optional: a 个体工商户 may register without a name")
    scope: list[Text] = Field(default_factory=list, description="经营范围, standard terms")
    premises: list[Premises] = Field(default_factory=list)
    capital: float | None = Field(None, description="资金数额, yuan")
    employees: int | None = None


class Licence(_Model):
    """A licence the operator already holds."""

    scope_item: Required
    number: Required
    valid_until: dt.date | None = None


class Material(_Model):
    """An uploaded file, or a document already verified through data sharing (``source: shared``)."""

    kind: MaterialKind
    file: Text | None = None
    source: Literal["shared"] | None = None

    @model_validator(mode="after")
    def _one_origin(self) -> Material:
        if (self.file is None) == (self.source is None):
            raise ValueError("give exactly one of 'file' (an uploaded file) or 'source: shared'")
        return self


class CaseEnvelope(_Model):
    """What every case has, whatever its matter."""

    matter: Required
    case_id: Required
    submitted_at: Timestamp = Field(description="ISO 8601; rules are judged on its China date")
    authority: Authority
    materials: list[Material] = Field(default_factory=list)

    @property
    def submitted_on(self) -> dt.date:
        """The date of submission in China (Asia/Shanghai), on which rules are judged."""
        return self.submitted_at.astimezone(CHINA).date()


class SoleProprietorEstablishCase(CaseEnvelope):
    """个体工商户设立登记: the contract of matter ``sole_proprietor.establish``."""

    matter: Literal["sole_proprietor.establish"]
    applicant: Applicant
    organisation: Literal["individual", "family"] = "individual"
    family_members: list[FamilyMember] = Field(default_factory=list)
    agent: Agent | None = None
    business: Business
    licences: list[Licence] = Field(default_factory=list)


class RegisteredBusiness(_Model):
    """A 个体工商户 already registered: what its business licence says."""

    uscc: Text = Field(description="统一社会信用代码 (GB 32100); checked by rules, not here")
    name: Text | None = Field(None, description="the registered name; a 个体工商户 may have none")
    authority: Authority | None = Field(None, description="the registration authority (登记机关) it is registered with")
    organisation: Literal["individual", "family"] | None = Field(None, description="the registered 组成形式")


ChangeItem = Literal[
    "name", "operator", "operator_address", "premises", "scope", "organisation", "capital", "employees"
]


class Change(_Model):
    """One registered item that changes (变更事项)."""

    item: ChangeItem
    old: Text | None = Field(None, description="the registered value")
    new: Text | None = Field(None, description="the new value (for premises and scope: see the case's premises and "
                                               "scope; for operator: the new operator's name)")
    changed_on: dt.date | None = Field(None, description="the day the change was decided or happened")


class SoleProprietorChangeCase(CaseEnvelope):
    """个体工商户变更登记: the contract of matter ``sole_proprietor.change``."""

    matter: Literal["sole_proprietor.change"]
    business: RegisteredBusiness
    operator: Applicant = Field(description="the registered 经营者, who applies")
    agent: Agent | None = None
    changes: list[Change] = Field(default_factory=list)
    new_operator: Person | None = Field(None, description="a change of operator: the new 经营者")
    premises: list[Premises] = Field(default_factory=list, description="a premises change: the new 经营场所")
    scope: list[Text] = Field(default_factory=list, description="a scope change: the new 经营范围 in full")
    family_members: list[FamilyMember] = Field(default_factory=list,
                                               description="a change to 家庭经营: the members who take part")


class Declarations(_Model):
    """What the operator declares (承诺) on applying for 注销; ``null`` means not declared."""

    taxes_settled: bool | None = Field(None, description="no unpaid taxes (滞纳金、罚款), no unfinished tax matters")
    debts_settled: bool | None = Field(None, description="no debts, or all debts (wages, social insurance ...) paid")
    no_pending_penalty: bool | None = Field(None, description="no administrative penalty left unexecuted")
    not_under_investigation: bool | None = Field(None, description="not under investigation, administrative "
                                                                   "compulsion, litigation or arbitration")
    not_on_abnormal_list: bool | None = Field(None, description="not on the 经营异常名录")
    not_on_dishonest_list: bool | None = Field(None, description="not on the 严重违法失信名单")
    not_revoked: bool | None = Field(None, description="the licence was not revoked (吊销), nor the business "
                                                       "ordered closed")


class SimplifiedProcedure(_Model):
    """简易注销: the push of the application to 税务等有关部门, and their objections."""

    pushed_on: dt.date | None = Field(None, description="the day the application was pushed to 税务等有关部门")
    objections: int = Field(0, ge=0, description="objections received from 税务等有关部门 or others")


class SoleProprietorDeregisterCase(CaseEnvelope):
    """个体工商户注销登记: the contract of matter ``sole_proprietor.deregister``."""

    matter: Literal["sole_proprietor.deregister"]
    business: RegisteredBusiness
    operator: Applicant = Field(description="the registered 经营者, who applies")
    agent: Agent | None = None
    procedure: Literal["ordinary", "simplified"] = Field(description="普通注销 or 简易注销")
    declarations: Declarations = Field(default_factory=lambda: Declarations.model_validate({}))
    tax_clearance: bool | None = Field(None, description="the tax authority's 清税 information was received "
                                                         "(清税证明, or through data sharing)")
    simplified: SimplifiedProcedure | None = None


Case = CaseEnvelope
"""Any validated case (an instance of its matter's model)."""


# ---- reading and validating ---------------------------------------------------------------------------------


EXAMPLE_KEYS = frozenset({"description", "lookups", "case", "expect"})
"""The keys of a rule pack's example file; :func:`read_case_file` reads such a file as its ``case:``."""


def read_case_file(path: Path | str) -> dict[str, Any]:
    """Read a case file (``.json``, ``.yaml`` or ``.yml``) into a mapping.

    A rule pack's example file (``case:`` and ``expect:``, see ``docs/rule-authors.md``) is read as its ``case:``,
    so ``govauto review`` can review an example; what it expects is left to ``govauto pack test``.

    :raises CaseError: when the file is missing, unreadable or not a mapping.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CaseError([FieldProblem("", "file not found")], str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseError([FieldProblem("", f"cannot read the file: {exc}")], str(path)) from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise CaseError([FieldProblem("", f"not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}")],
                        str(path)) from None
    if not isinstance(data, dict):
        raise CaseError([FieldProblem("", f"a case is a mapping with matter, case_id ..., got {type(data).__name__}")],
                        str(path))
    if "matter" not in data and isinstance(data.get("case"), dict) and "expect" in data and set(data) <= EXAMPLE_KEYS:
        return dict(data["case"])
    return data


def validate_case(data: Mapping[str, Any], model: type[CaseEnvelope], source: str | None = None) -> CaseEnvelope:
    """Validate ``data`` against ``model``.

    :raises CaseError: listing every field that does not fit, by path.
    """
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise CaseError([_problem(err) for err in exc.errors()], source) from None


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith(("function-", "literal[", "date", "str", "int", "float", "bool", "list", "tagged")):
            continue  # a union branch name pydantic adds, not a field
        else:
            out += ("." if out else "") + part
    return out


def _problem(err: Any) -> FieldProblem:
    kind = err["type"]
    value = err.get("input")
    message = err["msg"]
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
    elif kind == "missing":
        message = "is required"
    elif kind == "extra_forbidden":
        message = "is not a field of this contract (check the spelling)"
    elif kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        message = f"must be one of {expected}, got {json.dumps(value, ensure_ascii=False, default=str)}"
    elif kind.startswith(("string_type", "int_", "float_", "bool_", "date_", "datetime_", "list_type", "model_")):
        message = f"{message[0].lower()}{message[1:]}, got {json.dumps(value, ensure_ascii=False, default=str)}"
    return FieldProblem(_path(tuple(err["loc"])), message)


def fact_paths(model: type[BaseModel]) -> tuple[set[str], dict[str, set[str]]]:
    """The dotted fact paths a model provides, and for each list its item paths (``""`` for scalar items)."""
    paths: set[str] = set()
    lists: dict[str, set[str]] = {}
    _walk(model, "", paths, lists)
    return paths, lists


def _walk(model: type[BaseModel], prefix: str, paths: set[str], lists: dict[str, set[str]]) -> None:
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        sub_model, is_list = _inner(info.annotation)
        if is_list:
            item_paths: set[str] = set()
            if sub_model is not None:
                _walk(sub_model, "", item_paths, {})
            else:
                item_paths.add("")
            lists[path] = item_paths
        elif sub_model is not None:
            paths.add(path)
            _walk(sub_model, f"{path}.", paths, lists)
        else:
            paths.add(path)


def _inner(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    import typing

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is list:
        inner, _ = _inner(args[0])
        return inner, True
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        for arg in args:
            if arg is not type(None):
                found, is_list = _inner(arg)
                if found is not None or is_list:
                    return found, is_list
        return None, False
    if origin is typing.Annotated:
        return _inner(args[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False
