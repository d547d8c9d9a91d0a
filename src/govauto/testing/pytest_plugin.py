"""The pytest plugin for rule authors (installed with govauto, entry point ``pytest11``).

* Every example case of a rule pack (``<pack>/examples/*.yaml`` beside a ``pack.yaml``) is collected as a test
  item per engine: ``pytest rules/`` runs them all. ``--govauto-engine NAME`` limits them to one engine.
* Fixtures: ``govauto_runtime`` (a fresh :class:`govauto.Runtime`) and ``review_with_pack`` (review a case
  mapping with a pack directory under development)::

      def test_minor(review_with_pack):
          decision = review_with_pack("rules/my_pack", {...})
          assert decision.outcome == "refer"
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from govauto.errors import PackError
from govauto.outcome import Decision
from govauto.runtime import Runtime


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("govauto", "govauto rule packs")
    group.addoption("--govauto-engine", default=None, help="run pack example cases on this engine only")


_RUNTIME_KEY = pytest.StashKey[tuple[Runtime, Any]]()


def _session_runtime(config: pytest.Config) -> tuple[Runtime, Any]:
    from govauto.testing.packs import example_runtime

    if _RUNTIME_KEY not in config.stash:
        config.stash[_RUNTIME_KEY] = example_runtime()
    return config.stash[_RUNTIME_KEY]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix in (".yaml", ".yml") and file_path.parent.name == "examples" \
            and (file_path.parent.parent / "pack.yaml").is_file():
        return PackExampleFile.from_parent(parent, path=file_path)
    return None


class PackExampleFile(pytest.File):
    """An example case file of a rule pack."""

    def collect(self) -> Iterator[pytest.Item]:
        runtime, _ = _session_runtime(self.config)
        engine_option = self.config.getoption("--govauto-engine")
        engines = [engine_option] if engine_option else runtime.engines
        for engine in engines:
            yield PackExampleItem.from_parent(self, name=f"{self.path.stem}[{engine}]", engine=engine)


class PackExampleFailed(Exception):
    """An example case did not give the outcome or findings its author expects."""


class PackExampleItem(pytest.Item):
    """One example case reviewed by one engine."""

    def __init__(self, *, engine: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.engine = engine

    def runtest(self) -> None:
        from govauto.rules.pack import read_pack
        from govauto.testing.packs import check_example

        runtime, registry = _session_runtime(self.config)
        pack = read_pack(self.path.parent.parent)
        compiled = runtime.compile(pack)
        example = next(e for e in pack.examples if e.file == str(self.path))
        result = check_example(runtime, compiled, example, self.engine, registry)
        if not result.passed:
            raise PackExampleFailed("\n".join(result.problems))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, PackExampleFailed):
            return f"example {self.path.name} on the {self.engine} engine:\n{excinfo.value}"
        if isinstance(excinfo.value, PackError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, f"pack example {self.path.stem} [{self.engine}]"


@pytest.fixture
def govauto_runtime() -> Runtime:
    """A fresh runtime with the built-in and installed plugins."""
    return Runtime()


@pytest.fixture
def review_with_pack(govauto_runtime: Runtime) -> Callable[..., Decision]:
    """``review_with_pack(pack_dir, case, engine=None)``: review ``case`` with the pack in ``pack_dir``."""

    def review(pack_dir: Path | str, case: Any, engine: str | None = None) -> Decision:
        compiled = govauto_runtime.compile(Path(pack_dir))
        return govauto_runtime.review(case, engine=engine, pack=compiled)

    return review
