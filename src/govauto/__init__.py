"""govauto: machines review the simple matters, read the materials, and hand every unclear case to a person.

The public API::

    import govauto

    decision = govauto.review("case.yaml")          # or a mapping, or a validated Case
    decision.outcome                                # "approve" | "correct" | "refer" | "reject"
    for finding in decision.findings:               # every deficiency at once (一次性告知)
        print(finding.rule, finding.message, finding.basis)

Plugins implement the hooks in :mod:`govauto.hookspecs` with ``@govauto.hookimpl``.
"""

from __future__ import annotations

import threading

from govauto.errors import (
    CaseError,
    EngineError,
    ExpressionError,
    FieldProblem,
    GovautoError,
    LookupUnavailableError,
    MaterialError,
    MatterError,
    OcrEngineUnavailableError,
    OcrError,
    PackError,
    PackNotInForceError,
    PackProblem,
    PluginError,
    UnknownMatterError,
)
from govauto.lookups import BusinessNameRegistry
from govauto.matters import Matter
from govauto.model import (
    Case,
    CaseEnvelope,
    SoleProprietorChangeCase,
    SoleProprietorDeregisterCase,
    SoleProprietorEstablishCase,
)
from govauto.outcome import Decision, Finding, RuleTrace
from govauto.plugins import hookimpl
from govauto.runtime import CaseInput, Runtime

__version__ = "0.3.0"

__all__ = [
    "BusinessNameRegistry",
    "Case",
    "CaseEnvelope",
    "CaseError",
    "CaseInput",
    "Decision",
    "EngineError",
    "ExpressionError",
    "FieldProblem",
    "Finding",
    "GovautoError",
    "LookupUnavailableError",
    "MaterialError",
    "Matter",
    "MatterError",
    "OcrEngineUnavailableError",
    "OcrError",
    "PackError",
    "PackNotInForceError",
    "PackProblem",
    "PluginError",
    "RuleTrace",
    "Runtime",
    "SoleProprietorChangeCase",
    "SoleProprietorDeregisterCase",
    "SoleProprietorEstablishCase",
    "UnknownMatterError",
    "__version__",
    "default_runtime",
    "hookimpl",
    "load_case",
    "review",
]

_default: Runtime | None = None
_default_lock = threading.Lock()


def default_runtime() -> Runtime:
    """The process-wide runtime used by :func:`review` (created, with all installed plugins, on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Runtime()
        return _default


def review(case: CaseInput, *, engine: str | None = None, explain: bool = False) -> Decision:
    """Review one case and return the decision, with every finding at once.

    :param case: a mapping in the case contract (``docs/case-contract.md``), a path to a JSON/YAML case file,
        or a validated :class:`Case`.
    :param engine: ``"python"`` (default) or ``"durable"``; both give identical findings.
    :param explain: also record every rule evaluated with its inputs and result in ``Decision.trace``.
    :raises CaseError: when the case does not fit the contract; ``.problems`` names each wrong field by path.
    """
    return default_runtime().review(case, engine=engine, explain=explain)


def load_case(case: CaseInput) -> Case:
    """Validate a case (mapping or file path) against its matter's contract without reviewing it.

    :raises CaseError: when the case does not fit the contract.
    """
    return default_runtime().load_case(case)
