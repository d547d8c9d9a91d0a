"""Fixtures shared by the robot tests: one legacy-portal simulator and one Chromium per module, the map's
``GOVAUTO_PORTAL_URL`` pointing at the simulator (modules whose every test needs it request ``portal_url`` from
an autouse fixture of their own)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from govauto.robots import BrowserHost
from govauto.testing.legacy_portal import LegacyPortal


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LegacyPortal]:
    with LegacyPortal(tmp_path_factory.mktemp("portal") / "portal.db") as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with BrowserHost() as host:
        yield host.browser()


@pytest.fixture
def portal_url(portal: LegacyPortal, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("GOVAUTO_PORTAL_URL", portal.url)  # the maps' base_url is ${GOVAUTO_PORTAL_URL:-...}
    return portal.url
