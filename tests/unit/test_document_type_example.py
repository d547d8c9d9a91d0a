"""The worked example of docs/document-types.md runs, and the guide shows the template file as it is."""

from __future__ import annotations

import re
import runpy
import sys

import pytest

from ..conftest import ROOT


def test_worked_example_reads_every_field(capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["add_document_type.py"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(ROOT / "examples" / "document_type" / "add_document_type.py"), run_name="__main__")
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "recognised as: premises_commitment" in out
    assert "id_number: '110101199003071233' confidence 1.00 page 1 valid True" in out
    assert "address: '广东省深圳市南山区南头街道南山大道100号'" in out
    guide = (ROOT / "docs" / "document-types.md").read_text("utf-8")
    assert out.strip().splitlines()[1] in guide


def test_guide_shows_the_template_verbatim() -> None:
    guide = (ROOT / "docs" / "document-types.md").read_text("utf-8")
    block = re.search(r"<!-- file: examples/document_type/commitment.yaml -->\n```yaml\n(.*?)```", guide, re.S)
    assert block is not None
    assert block.group(1) == (ROOT / "examples" / "document_type" / "commitment.yaml").read_text("utf-8")
