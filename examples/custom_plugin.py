"""For plugin authors: a plugin that adds a rule function and listens to decisions, used in a Runtime.

Installed plugins announce themselves in their pyproject.toml::

    [project.entry-points.govauto]
    my_plugin = "my_package.plugin"

Here the plugin object is passed to a Runtime directly.

    python examples/custom_plugin.py
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import govauto
from govauto import hookimpl

HERE = Path(__file__).parent


class AuditPrinter:
    """Prints every decision, and offers rules a function ``in_special_zone(division)``."""

    @hookimpl
    def govauto_register_functions(self, register: Callable[..., None]) -> None:
        register("in_special_zone", lambda division: division in {"440305", "440304"})

    @hookimpl
    def govauto_decision_made(self, case: govauto.Case, decision: govauto.Decision) -> None:
        print(f"[audit] {case.case_id} decided {decision.outcome} by {decision.pack_id} {decision.pack_version}")


def main() -> None:
    runtime = govauto.Runtime(plugins=[AuditPrinter()])
    for info in runtime.plugins():
        if info.functions:
            print(f"{info.name}: functions {', '.join(info.functions[:5])}{' …' if len(info.functions) > 5 else ''}")
    for path in sorted((HERE / "cases").glob("*.yaml")):
        runtime.review(path)


if __name__ == "__main__":
    main()
