"""The hooks a govauto plugin can implement.

Every hook is named ``govauto_*`` and is called with keyword arguments only. Registration hooks receive a
``register`` callback, which the plugin calls once per thing it provides::

    from govauto import hookimpl

    @hookimpl
    def govauto_register_rule_packs(register):
        register(Path(__file__).parent / "rules" / "my_pack")

The built-in matters, functions and engines are registered through these same hooks
(``govauto.default_plugins``). The reference for plugin authors is ``docs/hooks.md``; a test keeps the two
in step.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from govauto.extract.ocr import OcrEngine
    from govauto.jobs.model import Job
    from govauto.lookups import Lookup
    from govauto.matters import Matter
    from govauto.model import Case
    from govauto.outcome import Decision
    from govauto.pipeline import ReviewRequest
    from govauto.robots.base import Robot
    from govauto.rules.engines import RuleEngine

PROJECT_NAME = "govauto"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


@hookspec
def govauto_register_matters(register: Callable[[Matter | Path], None]) -> None:
    """Register the matters (kinds of application) this plugin handles.

    :param register: call ``register(Matter(...))`` once per matter: its id (``sole_proprietor.establish``),
        title, case model, required materials, time limit and the id of the rule pack that reviews it; or
        ``register(path)`` with a ``matter.yaml`` declaring one (:mod:`govauto.matterfile`).
    """


@hookspec
def govauto_register_rule_packs(register: Callable[[Path], None]) -> None:
    """Register rule-pack directories (a ``pack.yaml`` with its ``rules/`` and ``examples/``).

    :param register: call ``register(path)`` once per pack directory. Packs are read and compiled lazily,
        the first time a case of their matter is reviewed, and once per :class:`~govauto.Runtime`
        (so once per process through :func:`govauto.review`). A ``matter.yaml`` beside the ``pack.yaml`` is
        registered as a matter at once.
    """


@hookspec
def govauto_register_functions(register: Callable[..., None]) -> None:
    """Register functions that rule expressions may call to derive facts.

    :param register: call ``register(name, function)``; ``function`` must be pure (its result depends only
        on its arguments), take fact values and constants, and return a JSON-like scalar, a list of them,
        or ``None`` for "unknown". ``name`` is how rules call it (``age_on(applicant.id_number, submitted_on)``).
    """


@hookspec
def govauto_register_lookups(register: Callable[[str, Lookup], None]) -> None:
    """Register data-sharing connectors, such as the registry of existing business names.

    :param register: call ``register(kind, lookup)``; ``kind`` names the protocol the lookup implements
        (``business_names``: :class:`govauto.lookups.BusinessNameRegistry`).
    """


@hookspec
def govauto_register_rule_engines(register: Callable[[str, Callable[[], RuleEngine]], None]) -> None:
    """Register rule engines that evaluate compiled packs.

    :param register: call ``register(name, factory)``; ``factory()`` returns a
        :class:`govauto.rules.engines.RuleEngine`. Built in: ``python`` and ``durable``.
    """


@hookspec
def govauto_register_ocr_engines(register: Callable[[str, Callable[[], OcrEngine]], None]) -> None:
    """Register OCR engines that read scans and photos.

    :param register: call ``register(name, factory)``; ``factory()`` returns a
        :class:`govauto.extract.ocr.OcrEngine`. It is called only when the engine is first used, so importing
        a heavy library belongs in the factory. Built in: ``tesseract``.
    """


@hookspec
def govauto_register_document_types(register: Callable[[Path], None]) -> None:
    """Register document types (YAML templates): how to recognise a material and which fields to read.

    :param register: call ``register(path)`` with a template file, or a directory of ``*.yaml`` templates.
    """


@hookspec
def govauto_register_robots(register: Callable[[Path | Robot], None]) -> None:
    """Register robots that enter approved cases into legacy systems.

    :param register: call ``register(path)`` with a YAML form map (``docs/form-maps.md``), or
        ``register(robot)`` with an instance of a :class:`govauto.robots.Robot` subclass for a flow a map cannot
        describe. Maps are read, and the facts they name checked against their matter, when robots are first
        used; an invalid map is refused with every problem's file and line.
    """


@hookspec
def govauto_job_failed(job: Job, error: str) -> None:
    """Called when a robot job ends failed or needs a person: a notification, its result is ignored.

    :param job: the job as stored (status ``failed`` or ``needs_review``, error kind, attempts, artifacts).
    :param error: the error message, with ID numbers masked.
    """


@hookspec
def govauto_review_requested(case: Case, task: ReviewRequest) -> None:
    """Called for every case handed to people: a rule said ``refer``, a field was read with low confidence, a
    material was unreadable, or a robot met a business error.

    :param case: the validated case.
    :param task: why, and what the reviewer needs: case id and version, reasons (rule ids, ``robot.business``
        …), the findings, priority, the matter's time limit, the group, whether a decision is sensitive, and the
        store. The built-in implementation (plugin ``govauto.default_plugins.review_queue``) opens a task in the
        project's review queue; a plugin may send it to a ticket system as well, or instead (disable the
        built-in with ``GOVAUTO_DISABLE_PLUGINS``).
    """


@hookspec
def govauto_enrich_facts(case: Case, facts: MutableMapping[str, Any]) -> None:
    """Add derived facts to a case's facts before its rules are evaluated.

    :param case: the validated case.
    :param facts: the flat fact mapping (dotted paths to values); add entries, never remove or change one.
    """


@hookspec
def govauto_decision_made(case: Case, decision: Decision) -> None:
    """Called after every review decision, whatever its outcome: a notification, its result is ignored.

    :param case: the case that was reviewed.
    :param decision: the decision with all its findings.
    """
