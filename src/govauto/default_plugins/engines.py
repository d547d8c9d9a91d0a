"""Built-in rule engines: ``python`` (the reference evaluator) and ``durable`` (durable-rules)."""

from __future__ import annotations

from collections.abc import Callable

from govauto.plugins import hookimpl
from govauto.rules.engines import PythonEngine, RuleEngine


def _durable() -> RuleEngine:
    from govauto.rules.durable_engine import DurableEngine  # imported lazily: it loads a C extension

    return DurableEngine()


@hookimpl
def govauto_register_rule_engines(register: Callable[[str, Callable[[], RuleEngine]], None]) -> None:
    register("python", PythonEngine)
    register("durable", _durable)
