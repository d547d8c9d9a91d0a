"""The reviewer web page in real headless Chromium against a real uvicorn server.

A reviewer logs in, opens a referred case, sees where each field was read (the crop images load), decides 补正
with two findings and one item of their own, and the 一次性告知书 (HTML and PDF) lists exactly those; a second
reviewer confirms a four-eyes decision; a reviewer of another group is refused (403) by URL and by POST; a
cross-site form without the CSRF token is refused and changes nothing.

The screenshots taken on the way are the reviewer guide's (``docs/reviewer-guide.md`` embeds them from
``docs/images/reviewer/``).
"""

from __future__ import annotations

import io
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

import govauto
from govauto.casework import CaseStore, ReviewQueue, Task, WorkCalendar
from govauto.robots.browser import CHROMIUM_ARGS
from govauto.store import Store, open_store
from govauto.web import create_app
from tests.unit.test_web_seeding import PASSWORD, add_users, referred_case_file, seed, sensitive_task

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "images" / "reviewer"
CASE = "NS-2026-000321"
OBJECTION = "NS-2026-000900"


@dataclass
class Running:
    url: str
    store: Store
    home: Path
    task: Task
    sensitive: Task

    @property
    def queue(self) -> ReviewQueue:
        return ReviewQueue(self.store, WorkCalendar.default())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    base = tmp_path_factory.mktemp("web")
    home = base / "home"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GOVAUTO_HOME", str(home))  # decisions write notices under $GOVAUTO_HOME/notices
        env.setenv("GOVAUTO_ESCALATE_SECONDS", "0")
        env.delenv("GOVAUTO_SECRET_KEY", raising=False)
        url = f"sqlite:///{home / 'govauto.db'}"
        store = open_store(url)
        add_users(store)
        runtime = govauto.Runtime(load_entrypoints=False)
        (task_id,) = seed(runtime, store, referred_case_file(base / "case", CASE)).task_ids
        sensitive = sensitive_task(runtime, store, base / "objection", OBJECTION)
        task = ReviewQueue(store, WorkCalendar.default()).get(task_id)
        port = free_port()
        app = create_app(url, runtime=runtime, home=home)
        uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=uv.run, name="uvicorn", daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not uv.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        try:
            yield Running(f"http://127.0.0.1:{port}", store, home, task, sensitive)
        finally:
            uv.should_exit = True
            thread.join(timeout=10)
            store.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS), headless=True)
        yield launched
        launched.close()


def new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def log_in(page: Page, server: Running, name: str, *, shot: str | None = None) -> None:
    page.goto(server.url + "/")
    assert page.url.startswith(server.url + "/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    if shot:
        page.screenshot(path=str(SHOTS / shot))
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(server.url + "/")


def flash(page: Page) -> str:
    return page.locator(".flash").first.inner_text()


def csrf_of(page: Page) -> str:
    value = page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert value
    return value


def test_a_reviewer_asks_for_corrections_and_the_notice_lists_exactly_that(server: Running,
                                                                          browser: Browser) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page(browser)
    log_in(page, server, "zhang", shot="01-login.png")
    assert page.locator("#queue-claimable").get_by_text(CASE).count() == 1
    assert "110101********1233" in page.content() and "110101199003071233" not in page.content()
    page.screenshot(path=str(SHOTS / "02-queue.png"), full_page=True)

    page.click(f"text={CASE}")
    page.wait_for_url(f"{server.url}/cases/{CASE}/v/1")
    lessee = page.locator("#extracted img[src$='/crops/1/lessee.png']")
    lessee.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=lessee.element_handle())
    assert lessee.evaluate("img => img.naturalWidth") > 0
    for image in page.locator("img.crop").all():  # every field's crop loaded, none broken
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete", arg=image.element_handle())
        assert image.evaluate("img => img.naturalWidth") > 0, image.get_attribute("src")
    page.locator("#material-1").screenshot(path=str(SHOTS / "04-crops.png"))
    page.locator("#findings").screenshot(path=str(SHOTS / "03-findings.png"))

    page.click("#claim")
    assert "已认领" in flash(page)
    form = page.locator("#form-correct")
    for box in form.locator("input[name=kept]").all():
        box.set_checked(box.get_attribute("value") in ("applicant.phone", "name.suffix"))
    form.locator("#extra-items").fill("请补充提交经营场所的外景照片")
    page.locator("#decide").screenshot(path=str(SHOTS / "05-decide.png"))
    page.click("#submit-correct")
    assert "告知书已生成" in flash(page)
    page.screenshot(path=str(SHOTS / "06-decided.png"))

    page.click("#notice-html")
    page.wait_for_url(f"{server.url}/cases/{CASE}/v/1/notice.html")
    notice = page.inner_text("body")
    assert page.locator("li").count() == 3
    page.screenshot(path=str(SHOTS / "07-notice.png"), full_page=True)
    pdf_response = page.request.get(f"{server.url}/cases/{CASE}/v/1/notice.pdf")
    assert pdf_response.status == 200 and pdf_response.headers["content-type"] == "application/pdf"
    with pdfplumber.open(io.BytesIO(pdf_response.body())) as pdf:
        pdf_text = "".join(p.extract_text() or "" for p in pdf.pages)

    for text in (notice, pdf_text):
        flat = re.sub(r"\s+", "", text)
        assert "0755-1234" in flat  # applicant.phone
        assert "《中华人民共和国市场主体登记管理条例实施细则》第十五条" in flat
        assert "应当在结尾标明" in flat  # name.suffix
        assert "《企业名称登记管理规定实施办法》第五十三条；《个体工商户登记管理规定》第十四条" in flat
        assert "请补充提交经营场所的外景照片" in flat
        assert "可能使公众误以为" not in flat  # name.forbidden_form was not kept
        assert "李四" not in flat  # extracted.lease.lessee was not kept
        assert "公务员" not in flat  # a referral reason is never a 补正 item
        assert re.findall(r"规则\s*([a-z_.]+)", text) == ["applicant.phone", "name.suffix"]
    assert re.findall(r"(?m)^([0-9]+)[.．]", pdf_text) == ["1", "2", "3"]  # two findings and the item, no more
    assert CaseStore(server.store).get(CASE).status == "correcting"
    page.context.close()


def test_a_second_reviewer_confirms_a_four_eyes_decision(server: Running, browser: Browser) -> None:
    first = new_page(browser)
    log_in(first, server, "zhang")
    first.goto(f"{server.url}/cases/{OBJECTION}")
    first.locator("summary", has_text="准予登记 Approve").click()
    first.locator("#form-approve textarea[name=reasons]").fill("异议成立：经营场所已取得合法使用证明")
    first.locator("#form-approve button[type=submit]").click()
    assert "需另一名审核人复核确认" in flash(first)
    assert first.locator("#confirm").count() == 0  # never one's own decision
    assert server.queue.get(server.sensitive.id).status == "awaiting_confirmation"
    first.context.close()

    second = new_page(browser)
    log_in(second, server, "li")
    awaiting = second.locator("#queue-confirm").get_by_text(OBJECTION)
    assert awaiting.count() == 1  # in "awaiting my confirmation"
    awaiting.click()
    second.locator("#four-eyes").screenshot(path=str(SHOTS / "08-four-eyes.png"))
    assert "异议成立" in second.inner_text("#four-eyes")
    second.click("#confirm")
    assert "已复核确认" in flash(second)
    second.context.close()
    task = server.queue.get(server.sensitive.id)
    assert task.status == "decided" and task.decided_by == "zhang" and task.confirmed_by == "li"
    assert CaseStore(server.store).get(OBJECTION).status == "approved"


def test_a_reviewer_of_another_group_is_refused_by_url_and_by_post(server: Running, browser: Browser) -> None:
    page = new_page(browser)
    log_in(page, server, "wang")
    assert CASE not in page.content()
    csrf = csrf_of(page)  # wang's own valid token: the refusal is about the group, not the token
    response = page.goto(f"{server.url}/cases/{CASE}")
    assert response is not None and response.status == 403
    assert "无权访问" in page.content() and "110101199003071233" not in page.content()
    page.screenshot(path=str(SHOTS / "09-forbidden.png"))
    crop = page.request.get(f"{server.url}/cases/{CASE}/v/1/crops/1/lessee.png")
    assert crop.status == 403
    before = server.queue.get(server.task.id)
    posted = page.request.post(f"{server.url}/tasks/{server.task.id}/claim", form={"csrf_token": csrf},
                               headers={"Origin": server.url}, max_redirects=0)
    assert posted.status == 403
    assert server.queue.get(server.task.id) == before
    page.context.close()


def test_a_cross_site_form_without_the_token_is_refused_and_changes_nothing(server: Running,
                                                                           browser: Browser) -> None:
    task = server.queue.open(OBJECTION, 1, reasons=["objection"], findings=[], group="440305",
                             message="second objection")
    page = new_page(browser)
    log_in(page, server, "li")
    # a page from elsewhere that posts to the review site with li's cookie (SameSite=Lax keeps the cookie off a
    # cross-site POST; even with it, there is no token)
    page.set_content(f'<form method="post" action="{server.url}/tasks/{task.id}/claim">'
                     '<button id="go">go</button></form>')
    with page.expect_navigation():
        page.click("#go")
    assert "403" in page.content() or "CSRF" in page.content() or "被拒绝" in page.content()
    no_token = page.request.post(f"{server.url}/tasks/{task.id}/claim", form={"x": "1"}, max_redirects=0)
    assert no_token.status == 403
    after = server.queue.get(task.id)
    assert after.status == "open" and after.assignee is None
    page.context.close()
