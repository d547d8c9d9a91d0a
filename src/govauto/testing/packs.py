"""Running a pack's example cases: shared by ``govauto pack test`` and the pytest plugin."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from govauto.errors import CaseError
from govauto.lookups import BUSINESS_NAMES
from govauto.outcome import Decision
from govauto.rules.compiler import CompiledPack
from govauto.rules.pack import Example, read_pack
from govauto.runtime import Runtime


class ExampleNameRegistry:
    """The business-name registry examples run against: the names the current example lists.

    An example may say which names are already taken::

        lookups:
          business_names:
            - {name: 深圳市南山区李四五金店（个体工商户）, division: "440305"}

    so that its outcome does not depend on which registries are installed beside it: in the examples' runtime
    this registry replaces every installed one.
    """

    def __init__(self) -> None:
        self.taken: set[tuple[str, str]] = set()

    def name_taken(self, name: str, division: str) -> bool:
        return (name, division) in self.taken



def example_runtime() -> tuple[Runtime, ExampleNameRegistry]:
    """A runtime for running example cases, whose only name registry is the examples' own."""
    registry = ExampleNameRegistry()
    return Runtime(lookups={BUSINESS_NAMES: [registry]}), registry


@dataclass
class ExampleResult:
    """The result of one example case on one engine."""

    example: Example
    engine: str
    decision: Decision | None
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def check_example(runtime: Runtime, pack: CompiledPack, example: Example, engine: str,
                  registry: ExampleNameRegistry | None = None) -> ExampleResult:
    """Review ``example`` with ``pack`` and compare with its expected outcome and findings (rule ids, counted).

    :param registry: the runtime's :class:`ExampleNameRegistry`, loaded with the example's taken names.
    """
    if registry is not None:
        registry.taken = {(str(n.get("name")), str(n.get("division"))) for n in example.lookups.get(BUSINESS_NAMES, [])}
    try:
        decision = runtime.review(example.case, engine=engine, pack=pack)
    except CaseError as exc:
        return ExampleResult(example, engine, None, [f"{example.file}: the example case is invalid: {exc}"])
    problems: list[str] = []
    if decision.outcome != example.outcome:
        problems.append(f"outcome: expected {example.outcome}, got {decision.outcome}")
    got = Counter(f.rule for f in decision.findings)
    want = Counter(example.findings)
    for rule in sorted(set(got) | set(want)):
        if got[rule] != want[rule]:
            if want[rule] == 0:
                message = next(f.message for f in decision.findings if f.rule == rule)
                problems.append(f"unexpected finding {rule}: {message}")
            elif got[rule] == 0:
                problems.append(f"missing finding {rule}")
            else:
                problems.append(f"finding {rule}: expected {want[rule]} time(s), got {got[rule]}")
    return ExampleResult(example, engine, decision, problems)


def run_examples(path: Path | str, engines: Iterable[str] | None = None) -> list[ExampleResult]:
    """Run every example case of the pack at ``path`` on each engine (default: every registered engine).

    :raises govauto.errors.PackError: when the pack itself is invalid.
    """
    runtime, registry = example_runtime()
    pack = read_pack(path)
    compiled = runtime.compile(pack)
    return [check_example(runtime, compiled, example, engine, registry)
            for example in pack.examples for engine in (engines or runtime.engines)]
