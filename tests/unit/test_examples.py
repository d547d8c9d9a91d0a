"""The runnable examples under examples/ run, and the example cases show one case per outcome."""

from __future__ import annotations

import runpy
import sys

import pytest

from ..conftest import ROOT


@pytest.mark.parametrize("script", ["review_api.py", "custom_plugin.py"])
def test_example_script_runs(script: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [script])
    runpy.run_path(str(ROOT / "examples" / script), run_name="__main__")
    assert capsys.readouterr().out.strip()


def test_one_example_case_per_outcome() -> None:
    from govauto.testing.packs import example_runtime

    runtime = example_runtime()[0]  # with an (empty) name registry, so named cases are not referred
    paths = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
    outcomes = {path.stem: runtime.review(path).outcome for path in paths}
    assert outcomes == {"approve": "approve", "correct": "correct", "refer": "refer", "reject": "reject"}
