"""Matters: the kinds of application govauto can review (``sole_proprietor.establish`` ...)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from govauto.model import CaseEnvelope


@dataclass(frozen=True)
class Matter:
    """A kind of application, registered by a plugin through ``govauto_register_matters``.

    :param id: dotted id used in cases' ``matter`` field, e.g. ``sole_proprietor.establish``.
    :param title: the matter's official name.
    :param case_model: the pydantic model of its case contract (a subclass of :class:`~govauto.model.CaseEnvelope`).
    :param pack: the id of the rule pack that reviews it.
    :param required_materials: material kinds every application must include.
    :param time_limit_days: the legal time limit in working days.
    :param derived_facts: facts the matter adds to every case beyond its contract's fields, with what they mean
        (rule packs may read them; ``govauto_enrich_facts`` implementations compute them).
    :param confirmations: extracted field (``"id_card_front.name"``) → the declared fact it must equal
        (``"applicant.name"``): a value read with low confidence that equals the declared one is confirmed.
    :param robot: the id of the robot that enters its approved cases into the target system (``None``: the only
        robot registered for the matter, if there is exactly one).
    :param source: the ``matter.yaml`` the matter was declared in (:mod:`govauto.matterfile`); ``None`` for a
        matter defined in Python.
    """

    id: str
    title: str
    case_model: type[CaseEnvelope]
    pack: str
    required_materials: tuple[str, ...] = ()
    time_limit_days: int | None = None
    derived_facts: dict[str, str] = field(default_factory=dict)
    confirmations: dict[str, str] = field(default_factory=dict)
    robot: str | None = None
    source: Path | None = None
