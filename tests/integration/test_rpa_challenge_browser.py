"""The legacy portal's RPA challenge in real headless Chromium: the fields move, the page keeps score."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from govauto.robots.browser import CHROMIUM_ARGS
from govauto.testing.legacy_portal import LegacyPortal

CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="needs Debian's chromium (apt-get install chromium)")


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[LegacyPortal]:
    with LegacyPortal(tmp_path / "portal.db", seed=3) as running:
        yield running


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS), headless=True)
        opened = browser.new_page()
        opened.set_default_timeout(10_000)
        yield opened
        browser.close()


def layout(page: Page) -> list[tuple[str, str, str]]:
    """The form's fields in page order: (name, id, label text)."""
    rows: list[list[str]] = page.eval_on_selector_all(
        "#fields input", "els => els.map(e => [e.name, e.id, e.labels[0].innerText])")
    return [(name, id_, label) for name, id_, label in rows]


def test_ten_rows_by_label_with_the_fields_moving_after_every_submit(portal: LegacyPortal, page: Page) -> None:
    with urllib.request.urlopen(f"{portal.url}/rpa/data.json") as answer:
        data = json.load(answer)
    names = {f["label"]: f["name"] for f in data["fields"]}
    page.goto(f"{portal.url}/rpa/challenge.do")
    assert not page.is_visible("#rpaForm"), "the form shows after Start"
    page.click("#start")
    assert page.is_disabled("#start")
    seen: list[list[tuple[str, str, str]]] = []
    for number, row in enumerate(data["rows"], 1):
        fields = layout(page)
        assert sorted((name, label) for name, _, label in fields) == sorted((n, lab) for lab, n in names.items())
        assert all(page.input_value(f"#{id_}") == "" for _, id_, _ in fields), "a new round starts empty"
        if seen:
            assert [f[0] for f in fields] != [f[0] for f in seen[-1]], "the order changes after each submit"
            assert not {f[1] for f in fields} & {f[1] for f in seen[-1]}, "and so do the ids"
        seen.append(fields)
        assert page.inner_text("#round") == f"Round {number} of 10"
        for label, value in row.items():
            page.get_by_label(label, exact=True).fill(value if number != 10 or label != "Email" else "wrong@x.org")
        page.click("input[type=submit][value=Submit]")
    done = page.wait_for_selector("div.congratulations")
    assert done is not None
    assert done.get_attribute("data-success-rate") == "99" and done.get_attribute("data-correct") == "69"
    elapsed = int(done.get_attribute("data-elapsed-ms") or "-1")
    assert 0 < elapsed < 10_000
    assert f"Your success rate is 99% ( 69 out of 70 fields) in {elapsed} milliseconds" in done.inner_text()
    assert not page.is_visible("#rpaForm")
    [run] = portal.rpa.runs()
    assert run["complete"] and run["correct"] == 69 and run["rounds"][9]["wrong"] == ["labelEmail"]
    assert run["rounds"][0]["values"] == {names[label]: value for label, value in data["rows"][0].items()}
