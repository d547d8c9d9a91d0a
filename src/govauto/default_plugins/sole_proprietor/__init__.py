"""个体工商户 (sole proprietor) registration: the matter, its rule pack and the functions its rules call."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

from govauto.matters import Matter
from govauto.model import (
    CaseEnvelope,
    SoleProprietorChangeCase,
    SoleProprietorDeregisterCase,
    SoleProprietorEstablishCase,
)
from govauto.packs import packs_dir
from govauto.plugins import hookimpl

ESTABLISH = Matter(
    id="sole_proprietor.establish",
    title="个体工商户设立登记",
    case_model=SoleProprietorEstablishCase,
    pack="sole_proprietor.establish",
    required_materials=("application_form", "id_card"),
    time_limit_days=3,
    confirmations={
        "id_card_front.name": "applicant.name",
        "id_card_front.id_number": "applicant.id_number",
        "application_form.name": "applicant.name",
        "application_form.id_number": "applicant.id_number",
        "lease.lessee": "applicant.name",
        "property_certificate.owner": "applicant.name",
        "authorisation.principal": "applicant.name",
        "authorisation.principal_id": "applicant.id_number",
        "authorisation.agent": "agent.name",
        "authorisation.agent_id": "agent.id_number",
    },
    derived_facts={
        "business.online_only": "true when every premises is an online shop (the 住所 then decides jurisdiction)",
    },
    robot="legacy_portal.establish",
)

def _operator_confirmations() -> dict[str, str]:
    """变更 and 注销: what is read from the ID card, the form, the proof of a (new) 经营场所 and the 委托书 must
    equal the registered operator's (the same fields as 设立's, with the operator for the applicant)."""
    return {
        "id_card_front.name": "operator.name",
        "id_card_front.id_number": "operator.id_number",
        "application_form.name": "operator.name",
        "application_form.id_number": "operator.id_number",
        "lease.lessee": "operator.name",
        "property_certificate.owner": "operator.name",
        "authorisation.principal": "operator.name",
        "authorisation.principal_id": "operator.id_number",
        "authorisation.agent": "agent.name",
        "authorisation.agent_id": "agent.id_number",
    }


CHANGE = Matter(
    id="sole_proprietor.change",
    title="个体工商户变更登记",
    case_model=SoleProprietorChangeCase,
    pack="sole_proprietor.change",
    required_materials=("application_form", "id_card"),
    time_limit_days=3,
    confirmations=_operator_confirmations(),
    robot="legacy_portal.change",
)

DEREGISTER = Matter(
    id="sole_proprietor.deregister",
    title="个体工商户注销登记",
    case_model=SoleProprietorDeregisterCase,
    pack="sole_proprietor.deregister",
    required_materials=("application_form", "id_card"),
    time_limit_days=3,
    # the 清税证明's code (checked by its validator) confirmed by the registered one; its 纳税人名称 is not paired:
    # it is read in NFKC form (half-width brackets) and would never equal the typed name
    confirmations={**_operator_confirmations(), "tax_clearance.taxpayer_id": "business.uscc"},
    robot="legacy_portal.deregister",
)


@hookimpl
def govauto_register_matters(register: Callable[[Matter], None]) -> None:
    register(ESTABLISH)
    register(CHANGE)
    register(DEREGISTER)


@hookimpl
def govauto_register_rule_packs(register: Callable[[Path], None]) -> None:
    register(packs_dir() / "sole_proprietor" / "establish")
    register(packs_dir() / "sole_proprietor" / "change")
    register(packs_dir() / "sole_proprietor" / "deregister")


@hookimpl
def govauto_register_functions(register: Callable[..., None]) -> None:
    from govauto.default_plugins.sole_proprietor.functions import FUNCTIONS

    function: Callable[..., Any]
    for name, function in FUNCTIONS.items():
        register(name, function)


@hookimpl
def govauto_enrich_facts(case: CaseEnvelope, facts: MutableMapping[str, Any]) -> None:
    if isinstance(case, SoleProprietorEstablishCase):
        premises = case.business.premises
        facts["business.online_only"] = bool(premises) and all(p.kind == "online" for p in premises)
