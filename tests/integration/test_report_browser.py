"""The KPI report of a demo batch over the three matters opens in Chromium with its charts drawn (issue 7)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from govauto.pipeline import process_case
from govauto.report import build_report
from govauto.robots.browser import CHROMIUM_ARGS, chromium_path
from govauto.runtime import Runtime
from govauto.store import open_store

ROOT = Path(__file__).parents[2]


def _demo_batch() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_batch", ROOT / "examples" / "demo_batch.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("report-batch")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVAUTO_HOME", str(tmp / "home"))
        runtime = Runtime()
        files = _demo_batch().write_batch(tmp / "batch", runtime)
        store = open_store(f"sqlite:///{tmp / 'govauto.db'}")
        for path in files:
            process_case(runtime, store, path)
        report = build_report(store)
        store.dispose()
    assert {row["matter"] for row in report.tables["outcomes"]} == {
        "sole_proprietor.establish", "sole_proprietor.change", "sole_proprietor.deregister"}
    out = tmp / "report.html"
    out.write_text(report.to_html(), encoding="utf-8")
    yield out


def test_the_demo_batch_report_opens_with_every_chart_drawn(report_html: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS),
                                             headless=True)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("request", lambda request: errors.append(f"network request to {request.url}")
                    if not request.url.startswith(("file:", "data:", "blob:")) else None)
            page.goto(report_html.as_uri())
            charts = page.locator("div.js-plotly-plot")
            page.wait_for_function("document.querySelectorAll('div.js-plotly-plot svg.main-svg').length > 0")
            count = charts.count()
            assert count >= 4, f"only {count} chart(s) in the report"
            for index in range(count):
                chart = charts.nth(index)
                # drawn: an SVG with at least one bar or marker, and a title
                assert chart.locator("svg.main-svg").count() >= 1
                assert chart.locator("g.trace, path.point, g.points path").count() >= 1, f"chart {index} is empty"
            text = page.inner_text("body")
            for matter in ("sole_proprietor.establish", "sole_proprietor.change", "sole_proprietor.deregister"):
                assert matter in text
            assert errors == [], errors  # self-contained: no script error, nothing fetched from the network
        finally:
            browser.close()
