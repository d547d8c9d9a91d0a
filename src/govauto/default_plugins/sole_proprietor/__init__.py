"""个体工商户 (sole proprietor) registration: the matter, its rule pack and the functions its rules call."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

from govauto.matters import Matter
from govauto.model import CaseEnvelope, SoleProprietorEstablishCase
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


@hookimpl
def govauto_register_matters(register: Callable[[Matter], None]) -> None:
    register(ESTABLISH)


@hookimpl
def govauto_register_rule_packs(register: Callable[[Path], None]) -> None:
    register(packs_dir() / "sole_proprietor" / "establish")


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
