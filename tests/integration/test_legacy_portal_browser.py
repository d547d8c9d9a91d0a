"""The legacy-portal simulator in real headless Chromium: frames, GBK forms, alert() and confirm(), an upload."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Frame, Page, sync_playwright
from stdnum.cn import ric

from govauto.testing.legacy_portal import Fault, LegacyPortal

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
ID_NUMBER = "44030519900215201" + ric.calc_check_digit("44030519900215201" + "0")
TINY_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[LegacyPortal]:
    with LegacyPortal(tmp_path / "portal.db") as running:
        yield running


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


@pytest.fixture
def dialogs(page: Page) -> list[str]:
    """The text of every alert() and confirm(), each accepted."""
    seen: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        seen.append(dialog.message)
        dialog.accept()

    page.on("dialog", on_dialog)
    return seen


def wait_until(page: Page, condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll ``condition``, letting Playwright run meanwhile (the sync API delivers events, dialogs included,
    only while one of its calls runs, so ``time.sleep`` would leave a dialog open)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(50)


def frame(page: Page, name: str) -> Frame:
    wait_until(page, lambda: page.frame(name=name) is not None)
    found = page.frame(name=name)
    assert found is not None
    return found


def log_in(page: Page, portal: LegacyPortal) -> None:
    page.goto(portal.url)
    assert page.url.endswith("/login.do")
    page.fill("#username", "robot")
    page.fill("#password", "robot-pass")
    page.click("#loginBtn")
    page.wait_for_url("**/main.do")
    frame(page, "top").wait_for_selector("#logout")


def open_form(page: Page) -> Frame:
    frame(page, "menu").click("#menuEstablish")
    main = frame(page, "main")
    main.wait_for_url("**/gt/establish.do")
    main.wait_for_selector("#gtForm")
    return main


def fill_form(main: Frame, *, id_number: str = ID_NUMBER, upload: Path | None = None) -> None:
    main.fill("#wbywh", "浏览器-0001")
    main.fill("#jyzxm", "王五")
    main.select_option("#zjlx", "10")
    main.fill("#zjhm", id_number)
    main.fill("#lxdh", "13912345678")
    main.fill("#jyzzs", "广东省深圳市南山区粤海街道科技园路1号")
    main.fill("#ztmc", "南山区王五小吃店")
    main.select_option("#zzxs", label="家庭经营")
    main.select_option("#xzqh", label="南山区")
    main.fill("#jycs", "广东省深圳市南山区粤海街道科技园路2号101")
    main.get_by_label("日用百货销售", exact=True).check()
    main.get_by_label("餐饮服务", exact=True).check()
    main.fill("#zczb", "3.5")
    main.fill("#cyrs", "2")
    main.fill("#sqrq", dt.date.today().strftime("%Y%m%d"))
    if upload is not None:
        main.set_input_files("#fj", str(upload))


def test_a_robot_logs_in_fills_the_form_confirms_and_reads_the_receipt(
        page: Page, portal: LegacyPortal, dialogs: list[str], tmp_path: Path) -> None:
    pdf = tmp_path / "申请书.pdf"
    pdf.write_bytes(TINY_PDF)
    log_in(page, portal)
    main = open_form(page)
    fill_form(main, upload=pdf)
    main.click("#btnSubmit")
    main.wait_for_url("**/gt/establish_confirm.do")
    assert main.inner_text("#c_jyzxm") == "王五"
    assert main.inner_text("#c_xzqh") == "南山区" and main.inner_text("#c_zzxs") == "家庭经营"
    assert main.inner_text("#c_jyfw").split() == ["日用百货销售", "餐饮服务"]
    assert main.inner_text("#c_fj") == "申请书.pdf"
    assert dialogs == [] and portal.records() == []

    main.click("#btnConfirm")
    main.wait_for_selector("#slh")
    assert dialogs == ["确认提交本申请吗？"]
    assert "申请已受理" in main.inner_text("body")
    receipt = main.inner_text("#slh")
    [record] = portal.records()
    assert record["receipt"] == receipt and record["jyzxm"] == "王五" and record["wbywh"] == "浏览器-0001"
    assert record["zzxs"] == "2" and record["xzqh"] == "440305" and record["zjhm"] == ID_NUMBER
    assert record["jyfw"] == ["C0001", next(c for c, n in _labels().items() if n == "餐饮服务")]
    assert record["upload_name"] == "申请书.pdf" and record["upload_sha256"] == hashlib.sha256(TINY_PDF).hexdigest()

    frame(page, "menu").click("#menuSearch")
    main.wait_for_url("**/gt/search.do")
    main.fill("#wbywh", "浏览器-0001")  # Chromium sends the query string in GBK
    main.click("#btnSearch")
    main.wait_for_selector("#resultTable")
    assert main.inner_text("#resultTable tr.row td.slh") == receipt
    assert main.inner_text("#resultTable tr.row td.jyzxm") == "王五"


def _labels() -> dict[str, str]:
    from govauto.testing.legacy_portal import scope_items

    return {item.code: item.label for item in scope_items()}


def test_checkform_alerts_a_malformed_id_number_and_the_server_a_wrong_check_digit(
        page: Page, portal: LegacyPortal, dialogs: list[str]) -> None:
    log_in(page, portal)
    main = open_form(page)
    fill_form(main, id_number="4403051990021520")
    main.click("#btnSubmit")
    wait_until(page, lambda: dialogs)
    assert dialogs == ["证件号码格式不正确"]
    assert main.url.endswith("/gt/establish.do")

    wrong_check = ID_NUMBER[:17] + ("1" if ID_NUMBER[17] != "1" else "2")
    main.fill("#zjhm", wrong_check)
    main.click("#btnSubmit")
    wait_until(page, lambda: len(dialogs) == 2)
    assert dialogs[1] == "证件号码校验位错误"  # the server's alert, then history.back()
    main.wait_for_url("**/gt/establish.do")
    main.wait_for_selector("#gtForm")
    assert portal.records() == []


def test_an_expired_session_shows_the_timeout_page_in_the_main_frame(
        page: Page, portal: LegacyPortal) -> None:
    log_in(page, portal)
    open_form(page)
    assert portal.expire_sessions() == 1
    frame(page, "menu").click("#menuSearch")
    main = frame(page, "main")
    main.wait_for_selector("#sessionTimeout")
    assert main.inner_text("#sessionTimeout") == "会话已超时，请重新登录"
    main.get_by_role("link", name="重新登录").click()
    page.wait_for_url("**/login.do")  # target="_top" leaves the frames


def test_chromium_does_not_resend_a_submit_whose_answer_was_cut(
        page: Page, portal: LegacyPortal, dialogs: list[str]) -> None:
    log_in(page, portal)
    main = open_form(page)
    fill_form(main)
    main.click("#btnSubmit")
    main.wait_for_selector("#btnConfirm")
    portal.add_fault(Fault("lose_success", times=1))
    main.click("#btnConfirm", no_wait_after=True)
    wait_until(page, lambda: portal.stats()["faults_applied"]["lose_success"] == 1)
    page.wait_for_timeout(500)
    assert len(portal.records()) == 1  # committed once; the robot never saw the receipt
    assert main.query_selector("#slh") is None
