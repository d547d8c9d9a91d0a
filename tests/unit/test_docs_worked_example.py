"""The worked example of docs/rule-authors.md is a real pack: its examples pass on every engine, and the YAML
shown in the guide is byte for byte the pack's files, so the docs and the tested pack cannot drift apart."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import govauto
from govauto.testing.packs import run_examples

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "rule-authors.md"
PACK = ROOT / "docs" / "examples" / "worked_pack"

# A block taken from a pack file: an HTML comment naming the file, right before a fenced yaml block.
FILE_BLOCK = re.compile(r"^<!-- file: (?P<path>\S+) -->\n```yaml\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)


def _shown_files() -> dict[str, str]:
    text = GUIDE.read_bytes().decode("utf-8")  # no newline translation: compare bytes
    shown: dict[str, str] = {}
    for match in FILE_BLOCK.finditer(text):
        assert match["path"] not in shown, f"{match['path']} is shown twice in {GUIDE.name}"
        shown[match["path"]] = match["body"]
    markers = text.count("<!-- file: ")
    assert markers == len(shown), f"{markers - len(shown)} file marker(s) are not followed directly by a ```yaml block"
    return shown


def test_worked_pack_identity() -> None:
    pack = govauto.Runtime(load_entrypoints=False).compile(PACK).pack
    assert (pack.id, pack.matter) == ("worked.example", "sole_proprietor.establish")
    assert 2 <= len(pack.rules) <= 3 and 2 <= len(pack.examples) <= 3


def test_every_example_passes_on_every_engine() -> None:
    engines = govauto.Runtime().engines
    assert {"python", "durable"} <= set(engines)
    results = run_examples(PACK)
    assert {(r.example.name, r.engine) for r in results} == {
        (example.stem, engine) for example in (PACK / "examples").glob("*.yaml") for engine in engines
    }
    failures = [f"{r.example.name} [{r.engine}]: {'; '.join(r.problems)}" for r in results if not r.passed]
    assert not failures, "\n".join(failures)


def test_the_guide_shows_every_file_of_the_pack() -> None:
    files = {path.relative_to(ROOT).as_posix() for path in PACK.rglob("*.yaml")}
    assert set(_shown_files()) == files


@pytest.mark.parametrize("path", sorted(_shown_files()))
def test_block_in_the_guide_is_the_file_byte_for_byte(path: str) -> None:
    shown = _shown_files()[path].encode("utf-8")
    actual = (ROOT / path).read_bytes()
    assert shown == actual, f"the block for {path} in docs/rule-authors.md differs from the file; copy it again"
