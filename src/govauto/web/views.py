"""The pages and actions of the reviewer web application.

Pages (``GET``): ``/login``, ``/logout``, ``/`` (my queue), ``/queue/<group>``, ``/cases/<id>`` and
``/cases/<id>/v/<n>`` (the case), its field crops and its notices. Actions (``POST``, each checked for the CSRF
token before it gets here): log in and out, and ``/tasks/<id>/claim|release|decide|confirm|refuse``, each
answered with a redirect back to the case and a flash message.

**Who sees what.** A person sees a case only when one of its review tasks belongs to a group they see
(:meth:`govauto.web.auth.Viewer.sees_group`: their own groups; every group for an admin); anything else is
``403``, whether asked for by link or by typing the URL, for pages, crops, notices and actions alike. The review
queue then applies its own rules to each action (a task someone else holds, four-eyes ...), and its refusals are
shown as messages. Full ID numbers appear only on the case page; every other page masks them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from govauto.casework import ACTIVE_STATUSES, CaseRecord, HumanDecision, Task
from govauto.errors import (
    CaseNotFoundError,
    GovautoError,
    ReviewPermissionError,
    TaskNotFoundError,
)
from govauto.model import CHINA
from govauto.privacy import mask_id_numbers
from govauto.web.app import WebContext
from govauto.web.auth import LoginRequired, Viewer, current_user, log_in, log_out, require_user
from govauto.web.crops import CropError, CropRefused, CropSource, crop_png
from govauto.web.csrf import CSRF_FIELD, csrf_token

__all__ = ["exception_handlers", "routes"]

log = logging.getLogger("govauto.web")

OUTCOME_LABELS = {"approve": "准予登记 approve", "correct": "补正 correct", "refer": "转交 refer",
                  "reject": "不予登记 reject", "note": "提示 note"}
STATUS_LABELS = {"open": "待认领 open", "claimed": "已认领 claimed", "assigned": "已分派 assigned",
                 "awaiting_confirmation": "待复核确认 awaiting confirmation", "decided": "已决定 decided",
                 "closed": "已关闭 closed"}
CASE_STATUS_LABELS = {"approved": "准予登记 approved", "referred": "人工审核中 referred",
                      "correcting": "待补正 correcting", "rejected": "不予登记 rejected", "closed": "已关闭 closed",
                      "superseded": "已被新版本取代 superseded"}
FIELD_LABELS = {
    "case_id": "案件编号", "matter": "事项", "submitted_at": "提交时间", "authority.name": "登记机关",
    "authority.division": "登记机关区划", "applicant.name": "经营者姓名", "applicant.id_number": "身份证号码",
    "applicant.id_valid_until": "证件有效期至", "applicant.phone": "联系电话", "applicant.address": "住所",
    "applicant.own_income": "以个人收入出资", "applicant.public_servant": "公职人员", "organisation": "组成形式",
    "business.name": "名称", "business.scope": "经营范围", "business.capital": "资金数额（元）",
    "business.employees": "从业人数", "agent.name": "委托代理人", "agent.id_number": "代理人身份证号码",
}
DOC_LABELS = {"application_form": "申请书", "id_card_front": "身份证人像面", "id_card_back": "身份证国徽面",
              "lease": "租赁合同", "property_certificate": "产权证明", "authorisation": "委托书",
              "household_register": "户口簿"}
FLASH_KEY = "flash"
_MAX_FLASHES = 5


# -- small helpers ------------------------------------------------------------------------------------------------

def web(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


def case_url(case_id: str, version: int | None = None) -> str:
    """The case page's path (ids are quoted: a case id is the applicant system's, not ours)."""
    base = f"/cases/{quote(case_id, safe='')}"
    return base if version is None else f"{base}/v/{version}"


def _ident(value: object) -> Markup:
    """Print an identifier (task or case id, URL) as it is: never masked, always escaped."""
    return Markup(escape(str(value)))


def _cn_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def flash(request: Request, kind: str, text: str) -> None:
    """Show ``text`` on the next page (``kind``: ``ok`` or ``error``). Messages are kept short: they travel in
    the session cookie."""
    messages = list(request.session.get(FLASH_KEY, []))[-(_MAX_FLASHES - 1):]
    messages.append([kind, text[:400]])
    request.session[FLASH_KEY] = messages


def render(request: Request, name: str, context: dict[str, Any], *, status: int = 200, full: bool = False,
           viewer: Viewer | None = None) -> Response:
    """Render a template with what every page needs: the viewer, the CSRF token, flash messages, the groups for
    the menu. ``full``: ID numbers are shown in full (the case page); every other page masks them."""
    context_web = web(request)
    shown = viewer if viewer is not None else current_user(request, context_web.accounts)
    flashes = request.session.pop(FLASH_KEY, [])
    templates = context_web.full if full else context_web.masked
    base: dict[str, Any] = {
        "viewer": shown, "csrf_field": CSRF_FIELD, "csrf_token": csrf_token(request), "flashes": flashes,
        "menu_groups": _menu_groups(context_web, shown) if shown is not None else [],
        "ident": _ident, "cn_time": _cn_time, "case_url": case_url, "outcome_labels": OUTCOME_LABELS,
        "status_labels": STATUS_LABELS, "case_status_labels": CASE_STATUS_LABELS, "doc_labels": DOC_LABELS,
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)


def _menu_groups(context: WebContext, viewer: Viewer) -> list[str]:
    if viewer.is_admin:
        return sorted(set(context.accounts.groups()) | viewer.groups)
    return sorted(viewer.groups)


def _forbidden(message: str = "你无权查看或处理此案件。You may not see or act on this case.") -> HTTPException:
    return HTTPException(403, message)


def _safe_next(value: object) -> str:
    """Where to go after logging in: a path on this site only (never ``//host`` or ``http://``)."""
    text = str(value or "")
    parts = urlsplit(text)
    if not text.startswith("/") or text.startswith("//") or "\\" in text or parts.scheme or parts.netloc:
        return "/"
    return text


def _user_or_login(request: Request) -> Viewer:
    return require_user(request, web(request).accounts)


# -- logging in and out -------------------------------------------------------------------------------------------

def login_page(request: Request) -> Response:
    if current_user(request, web(request).accounts) is not None:
        return RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    return render(request, "login.html", {"next": _safe_next(request.query_params.get("next")), "error": None,
                                          "username": ""})


async def login_submit(request: Request) -> Response:
    context = web(request)
    form = await request.form()
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    target = _safe_next(form.get("next"))
    client = request.client.host if request.client else "unknown"
    keys = (f"user:{username.lower()}", f"ip:{client}")
    if context.throttle.blocked(*keys):
        log.warning("login refused (too many failures) for %r from %s", username, client)
        return render(request, "login.html", {"next": target, "username": username,
                                              "error": "登录失败次数过多，请15分钟后再试。Too many failed logins: "
                                                       "try again in 15 minutes."}, status=429)
    user = await run_in_threadpool(context.accounts.authenticate, username, password) if username and password \
        else None
    if user is None:
        context.throttle.failed(*keys)
        log.info("failed login for %r from %s", username, client)
        return render(request, "login.html", {"next": target, "username": username,
                                              "error": "用户名或密码错误。Wrong user name or password."}, status=401)
    context.throttle.succeeded(*keys)
    log_in(request, Viewer.of(user))
    return RedirectResponse(target, status_code=303)


def logout_page(request: Request) -> Response:
    viewer = current_user(request, web(request).accounts)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, "logout.html", {}, viewer=viewer)


async def logout_submit(request: Request) -> Response:
    log_out(request)
    return RedirectResponse("/login", status_code=303)


# -- queues -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueRow:
    """A task as the queue pages show it (texts are masked when printed)."""

    task: Task
    applicant: str
    id_number: str
    overdue: bool
    mine: bool
    url: str


def _rows(context: WebContext, viewer: Viewer, tasks: Sequence[Task]) -> list[QueueRow]:
    now = datetime.now(UTC)
    rows = []
    for task in tasks:
        applicant, id_number = context.case_summary(task.case_id, task.case_version)
        rows.append(QueueRow(task, applicant, id_number, task.is_overdue(now), task.assignee == viewer.name,
                             case_url(task.case_id, task.case_version)))
    return rows


def my_queue(request: Request) -> Response:
    viewer = _user_or_login(request)
    context = web(request)
    groups = None if viewer.is_admin else sorted(viewer.groups)
    mine = context.queue.list(status=ACTIVE_STATUSES, assignee=viewer.name)
    waiting = context.queue.list(status=("open", "awaiting_confirmation"), groups=groups, limit=500)
    claimable = [t for t in waiting if t.status == "open"]
    confirm = [t for t in waiting if t.status == "awaiting_confirmation" and t.decided_by != viewer.name]
    return render(request, "queue.html", {
        "title": "我的待办 My queue", "group": None,
        "sections": [("分派给我的 Assigned to me", _rows(context, viewer, mine), "queue-mine"),
                     ("待复核确认 Awaiting my confirmation (four-eyes)", _rows(context, viewer, confirm),
                      "queue-confirm"),
                     ("可认领 Claimable in my groups", _rows(context, viewer, claimable), "queue-claimable")],
    }, viewer=viewer)


def group_queue(request: Request) -> Response:
    viewer = _user_or_login(request)
    group = request.path_params["group"]
    if not viewer.sees_group(group):
        raise _forbidden("你不在该组，不能查看其队列。You are not in this group.")
    context = web(request)
    active = context.queue.list(status=ACTIVE_STATUSES, groups=[group], limit=500)
    done = context.queue.list(status=("decided", "closed"), groups=[group], limit=50)
    return render(request, "queue.html", {
        "title": f"组队列 Group queue {group}", "group": group,
        "sections": [("待处理 Active", _rows(context, viewer, active), "queue-active"),
                     ("最近已办结 Recently finished", _rows(context, viewer, done), "queue-done")],
    }, viewer=viewer)


# -- the case -----------------------------------------------------------------------------------------------------

def _case_tasks(context: WebContext, viewer: Viewer, case_id: str) -> list[Task]:
    """The case's tasks the viewer sees; :func:`_forbidden` when none (and the viewer is not an admin)."""
    tasks = context.queue.list(case_id=case_id)
    visible = [t for t in tasks if viewer.sees_group(t.group)]
    if not visible and not viewer.is_admin:
        raise _forbidden()
    return visible


def _record(context: WebContext, case_id: str, version: int | None) -> CaseRecord:
    try:
        return context.cases.get(case_id, version)
    except CaseNotFoundError:
        raise HTTPException(404, "没有这个案件或版本。No such case or version.") from None


def _flatten(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, Mapping):
        out: list[tuple[str, Any]] = []
        for key, item in value.items():
            out += _flatten(item, f"{path}.{key}" if path else str(key))
        return out
    if isinstance(value, list) and any(isinstance(item, (Mapping, list)) for item in value):
        out = []
        for index, item in enumerate(value):
            out += _flatten(item, f"{path}[{index}]")
        return out
    return [(path, value)]


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_shown(v) for v in value) or "—"
    return str(value)


def _lookup(case: Mapping[str, Any], path: str) -> Any:
    current: Any = case
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def _declared(record: CaseRecord) -> list[dict[str, str]]:
    skip = {"materials"}
    rows = []
    for path, value in _flatten(record.case):
        if path.split(".")[0].split("[")[0] in skip or value in (None, [], {}):
            continue
        rows.append({"path": path, "label": FIELD_LABELS.get(path, ""), "value": _shown(value)})
    return rows


def _confirmations(context: WebContext, matter: str) -> dict[str, str]:
    try:
        found = context.runtime.matters.get(matter)
    except GovautoError:
        return {}
    return dict(found.confirmations) if found is not None else {}


def _extracted(record: CaseRecord, confirmations: Mapping[str, str]) -> list[dict[str, Any]]:
    out = []
    for index, extraction in enumerate(record.extractions):
        doc_type = extraction.get("doc_type")
        fields = []
        for name, data in (extraction.get("fields") or {}).items():
            confidence = float(data.get("confidence") or 0.0)
            threshold = float(data.get("threshold") or 0.0)
            counterpart = confirmations.get(f"{doc_type}.{name}")
            declared = _lookup(record.case, counterpart) if counterpart else None
            source = data.get("source") or None
            fields.append({
                "name": name, "value": _shown(data.get("value")), "confidence": confidence, "threshold": threshold,
                "doubtful": data.get("value") is None or confidence < threshold or data.get("valid") is False,
                "valid": data.get("valid"), "declared_path": counterpart,
                "declared": _shown(declared) if counterpart else None,
                "agrees": None if declared is None or data.get("value") is None else declared == data.get("value"),
                "page": source.get("page") if source else None, "engine": source.get("engine") if source else None,
                "crop": f"{case_url(record.case_id, record.version)}/crops/{index}/{quote(name, safe='')}.png"
                if source else None,
            })
        out.append({"index": index, "file": Path(str(extraction.get("file", ""))).name,
                    "kind": extraction.get("material_kind"), "doc_type": doc_type,
                    "engines": extraction.get("engines") or [], "error": extraction.get("error"),
                    "error_message": extraction.get("error_message") or "", "fields": fields})
    return out


def _notice_files(context: WebContext, record: CaseRecord) -> dict[str, Path]:
    """The notice files of a case version: ``{"html": path, "pdf": path}`` of the notice that stands (the one of
    the final decision's kind; else the newest), or empty."""
    root = context.notices_dir.resolve()
    directory = (root / record.case_id / f"v{record.version}").resolve()
    if not directory.is_relative_to(root) or not directory.is_dir():
        return {}
    kinds = ["correction_notice", "rejection_notice"]
    final = (record.final_decision or {}).get("outcome")
    preferred = {"correct": "correction_notice", "reject": "rejection_notice"}.get(str(final))
    present = [k for k in kinds if (directory / f"{k}.pdf").is_file() or (directory / f"{k}.html").is_file()]
    if not present:
        return {}
    stem = preferred if preferred in present else max(present, key=lambda k: _mtime(directory, k))
    found = {ext: directory / f"{stem}.{ext}" for ext in ("html", "pdf") if (directory / f"{stem}.{ext}").is_file()}
    return {ext: path for ext, path in found.items() if path.resolve().is_relative_to(root)}


def _mtime(directory: Path, stem: str) -> float:
    times = [p.stat().st_mtime for p in (directory / f"{stem}.pdf", directory / f"{stem}.html") if p.is_file()]
    return max(times, default=0.0)


def case_latest(request: Request) -> Response:
    return _case_page(request, None)


def case_version(request: Request) -> Response:
    return _case_page(request, int(request.path_params["version"]))


def _case_page(request: Request, version: int | None) -> Response:
    viewer = _user_or_login(request)
    context = web(request)
    case_id = request.path_params["case_id"]
    tasks = _case_tasks(context, viewer, case_id)
    record = _record(context, case_id, version)
    versions = context.cases.versions(case_id)
    now = datetime.now(UTC)
    version_tasks = [t for t in tasks if t.case_version in (record.version, None)]
    current = next((t for t in version_tasks if t.is_active), version_tasks[-1] if version_tasks else None)
    machine = record.machine_decision
    findings = [dict(f) for f in machine.get("findings", [])]
    history = context.audit.for_case(case_id)
    context.audit.record("view", actor=f"user:{viewer.name}", case_id=case_id, case_version=record.version,
                         detail={"page": "case", "tasks": [t.id for t in tasks],
                                 "latest": version is None})
    groups = sorted(set(context.accounts.groups()) - ({current.group} if current else set()))
    return render(request, "case.html", {
        "title": f"案件 {record.case_id} 第{record.version}版", "record": record, "versions": versions,
        "tasks": tasks, "task": current, "now": now, "findings": findings,
        "machine_outcome": machine.get("outcome"), "pack": machine.get("pack") or {},
        "declared": _declared(record), "extracted": _extracted(record, _confirmations(context, record.matter)),
        "history": [{"seq": r.seq, "at": r.at, "actor": r.actor, "action": r.action,
                     "version": r.case_version, "detail": _summary(r.detail)} for r in history],
        "notices": _notice_files(context, record), "groups": groups,
        "may_decide": current is not None and _may_decide(viewer, current),
        "may_claim": current is not None and current.status == "open",
        "may_release": current is not None and current.status in ("claimed", "assigned")
        and (current.assignee == viewer.name or viewer.is_supervisor),
        "may_confirm": current is not None and current.status == "awaiting_confirmation"
        and current.decided_by != viewer.name,
        "decision": current.decision if current is not None else None,
        "task_events": context.queue.events(current.id) if current is not None else [],
        "latest_version": versions[-1].version if versions else record.version,
    }, full=True, viewer=viewer)


def _may_decide(viewer: Viewer, task: Task) -> bool:
    if task.status == "open":
        return True
    if task.status in ("claimed", "assigned"):
        return task.assignee == viewer.name or viewer.is_supervisor
    return False


def _summary(detail: Mapping[str, Any]) -> str:
    parts = []
    for key, value in detail.items():
        if isinstance(value, (list, dict)):
            text = json.dumps(value, ensure_ascii=False)
            text = text if len(text) <= 120 else text[:119] + "…"
        else:
            text = str(value)
        parts.append(f"{key}={text}")
    summary = "; ".join(parts)
    return summary if len(summary) <= 400 else summary[:399] + "…"


def crop(request: Request) -> Response:
    viewer = _user_or_login(request)
    context = web(request)
    case_id = request.path_params["case_id"]
    _case_tasks(context, viewer, case_id)
    record = _record(context, case_id, int(request.path_params["version"]))
    index, name = int(request.path_params["index"]), request.path_params["field"]
    if not 0 <= index < len(record.extractions):
        raise HTTPException(404, "没有这个材料。No such material.")
    data = (record.extractions[index].get("fields") or {}).get(name)
    source = data.get("source") if isinstance(data, Mapping) else None
    if not isinstance(source, Mapping):
        raise HTTPException(404, "该字段没有位置信息。The field has no position.")
    try:
        png = crop_png(CropSource.from_source(source, record.base_dir), context.crops_dir)
    except CropRefused as error:
        log.warning("crop refused for case %s: %s", case_id, error)
        raise _forbidden("该文件不属于本案件。The file is not this case's.") from None
    except CropError as error:
        raise HTTPException(404, f"无法生成截图：{error}") from None
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-store"})


NOTICE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; sandbox"
"""Notices are documents, not pages of the app: their own inline styles only, no script, sandboxed."""


def notice(request: Request) -> Response:
    viewer = _user_or_login(request)
    context = web(request)
    case_id, kind = request.path_params["case_id"], request.path_params["kind"]
    if kind not in ("html", "pdf"):
        raise HTTPException(404, "没有这种格式。No such format.")
    _case_tasks(context, viewer, case_id)
    record = _record(context, case_id, int(request.path_params["version"]))
    path = _notice_files(context, record).get(kind)
    if path is None:
        raise HTTPException(404, "该版本还没有告知书。This version has no notice yet.")
    context.audit.record("notice_download", actor=f"user:{viewer.name}", case_id=case_id,
                         case_version=record.version, detail={"file": path.name})
    filename = f"{record.case_id}-v{record.version}-{path.name}"
    if kind == "pdf":
        return FileResponse(path, media_type="application/pdf", filename=filename,
                            headers={"Cache-Control": "private, no-store"})
    return FileResponse(path, media_type="text/html; charset=utf-8", content_disposition_type="inline",
                        filename=filename, headers={"Content-Security-Policy": NOTICE_CSP,
                                                    "Cache-Control": "private, no-store"})


# -- actions on tasks ---------------------------------------------------------------------------------------------

async def _task_action(request: Request, act: Callable[[WebContext, Viewer, Task, FormData], str]) -> Response:
    """Run ``act`` for the viewer on the task in the URL (in a worker thread), flash what it says, and go back to
    the case. The viewer must see the task's group (else 403); the queue's own refusals become messages."""
    context = web(request)
    viewer = await run_in_threadpool(require_user, request, context.accounts)
    form = await request.form()
    task_id = request.path_params["task_id"]
    try:
        task = await run_in_threadpool(context.queue.get, task_id)
    except TaskNotFoundError:
        raise HTTPException(404, "没有这个任务。No such task.") from None
    if not viewer.sees_group(task.group):
        raise _forbidden()
    back = case_url(task.case_id, task.case_version)
    try:
        message = await run_in_threadpool(act, context, viewer, task, form)
    except ReviewPermissionError as error:
        flash(request, "error", f"无权操作：{mask_id_numbers(str(error))}")
    except GovautoError as error:
        flash(request, "error", f"未能完成：{mask_id_numbers(str(error))}")
    else:
        flash(request, "ok", message)
    return RedirectResponse(back, status_code=303)


def _lines(form: FormData, name: str) -> list[str]:
    text = str(form.get(name) or "")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _do_claim(context: WebContext, viewer: Viewer, task: Task, form: FormData) -> str:
    context.queue.claim(task.id, viewer.name)
    return "已认领该任务。You hold this task now."


def _do_release(context: WebContext, viewer: Viewer, task: Task, form: FormData) -> str:
    context.queue.release(task.id, viewer.name)
    return "已退回组队列。The task is back in the group's queue."


def _do_decide(context: WebContext, viewer: Viewer, task: Task, form: FormData) -> str:
    from govauto.decisions import decide_task

    outcome = str(form.get("outcome") or "")
    note = str(form.get("note") or "")
    if outcome == "refer":
        target = str(form.get("refer_to") or "supervisor")
        if target.startswith("group:"):
            return _route(context, viewer, task, target.removeprefix("group:"), note)
        decision = HumanDecision("refer", reasons=_lines(form, "reasons"), note=note)
    elif outcome == "correct":
        decision = HumanDecision("correct", kept_findings=[str(v) for v in form.getlist("kept")],
                                 extra_items=_lines(form, "extra_items"), note=note)
    elif outcome == "reject":
        decision = HumanDecision("reject", kept_findings=[str(v) for v in form.getlist("kept")],
                                 reasons=_lines(form, "reasons"), note=note)
    elif outcome == "approve":
        decision = HumanDecision("approve", reasons=_lines(form, "reasons"), note=note)
    else:
        return _refuse_input("请选择决定：准予、补正、转交或不予登记。Choose a decision.")
    result = decide_task(context.runtime, context.store, task.id, viewer.name, decision)
    label = OUTCOME_LABELS.get(decision.outcome, decision.outcome)
    if decision.outcome == "refer":
        who = result.task.assignee or "本组主管"
        return f"已转交 {who}。Referred to {who}."
    if not result.final:
        return f"决定（{label}）已提交，需另一名审核人复核确认（四眼原则）。Awaiting a second reviewer's confirmation."
    return _final_message(label, result.job_id, result.notice_files)


def _route(context: WebContext, viewer: Viewer, task: Task, group: str, note: str) -> str:
    if not viewer.is_supervisor:
        return _refuse_input("只有主管可以将任务转交其他组；请转交本组主管。Only supervisors route to another group.")
    moved = context.queue.route(task.id, group, by=viewer.name)
    context.audit.record("referral", actor=f"user:{viewer.name}", case_id=task.case_id,
                         case_version=task.case_version,
                         detail={"task": task.id, "group": moved.group, "previous_group": task.group, "note": note})
    return f"已转交 {moved.group} 组。Routed to group {moved.group}."


def _final_message(label: str, job_id: str | None, files: Sequence[Path]) -> str:
    text = f"已决定：{label}。"
    if job_id:
        text += f" 已排队录入原系统（作业 {job_id}）。"
    if files:
        text += " 告知书已生成，可在本页下载。The notice is ready on this page."
    return text


def _do_confirm(context: WebContext, viewer: Viewer, task: Task, form: FormData) -> str:
    from govauto.decisions import confirm_task

    result = confirm_task(context.runtime, context.store, task.id, viewer.name)
    outcome = str((result.task.decision or {}).get("outcome", ""))
    return "已复核确认。" + _final_message(OUTCOME_LABELS.get(outcome, outcome), result.job_id, result.notice_files)


def _do_refuse(context: WebContext, viewer: Viewer, task: Task, form: FormData) -> str:
    from govauto.decisions import refuse_confirmation

    refuse_confirmation(context.runtime, context.store, task.id, viewer.name, str(form.get("note") or ""))
    return "已退回原审核人重新决定。The decision went back to its reviewer."


class _InputError(GovautoError):
    """A form that does not say what to do (shown as a message)."""


def _refuse_input(message: str) -> str:
    raise _InputError(message)


async def claim(request: Request) -> Response:
    return await _task_action(request, _do_claim)


async def release(request: Request) -> Response:
    return await _task_action(request, _do_release)


async def decide(request: Request) -> Response:
    return await _task_action(request, _do_decide)


async def confirm(request: Request) -> Response:
    return await _task_action(request, _do_confirm)


async def refuse(request: Request) -> Response:
    return await _task_action(request, _do_refuse)


def health(request: Request) -> Response:
    return Response("ok\n", media_type="text/plain")


# -- wiring -------------------------------------------------------------------------------------------------------

def routes() -> list[BaseRoute]:
    """Every route of the app (static files are mounted by :func:`govauto.web.app.create_app`)."""
    return [
        Route("/", my_queue, methods=["GET"], name="home"),
        Route("/login", login_page, methods=["GET"], name="login"),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout_page, methods=["GET"], name="logout"),
        Route("/logout", logout_submit, methods=["POST"]),
        Route("/queue/{group}", group_queue, methods=["GET"], name="group_queue"),
        Route("/cases/{case_id}", case_latest, methods=["GET"], name="case"),
        Route("/cases/{case_id}/v/{version:int}", case_version, methods=["GET"], name="case_version"),
        Route("/cases/{case_id}/v/{version:int}/crops/{index:int}/{field}.png", crop, methods=["GET"]),
        Route("/cases/{case_id}/v/{version:int}/notice.{kind}", notice, methods=["GET"]),
        Route("/tasks/{task_id}/claim", claim, methods=["POST"]),
        Route("/tasks/{task_id}/release", release, methods=["POST"]),
        Route("/tasks/{task_id}/decide", decide, methods=["POST"]),
        Route("/tasks/{task_id}/confirm", confirm, methods=["POST"]),
        Route("/tasks/{task_id}/refuse", refuse, methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
    ]


_ERROR_TITLES = {400: "请求有误 Bad request", 401: "请登录 Log in", 403: "无权访问 Forbidden",
                 404: "未找到 Not found", 405: "不支持的操作 Method not allowed", 500: "服务器错误 Server error"}


def _error_page(request: Request, status: int, message: str) -> Response:
    try:
        return render(request, "error.html", {"title": _ERROR_TITLES.get(status, str(status)), "status": status,
                                              "message": message}, status=status)
    except Exception:  # the error page itself failed (the database is down ...): plain text, no traceback
        log.exception("rendering the error page failed")
        return Response(f"{status} {_ERROR_TITLES.get(status, '')}\n", status_code=status, media_type="text/plain")


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):  # the intake API answers in JSON, also for routes it does not have
        from govauto.web.api import error

        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else ""
        return error(exc.status_code, code, f"{request.method} {request.url.path}: {detail}",
                     headers=exc.headers)
    detail = exc.detail if isinstance(exc.detail, str) and exc.status_code != 500 else ""
    return _error_page(request, exc.status_code, detail)


def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(f"/login?next={quote(exc.next_path, safe='/')}", status_code=303)


def _server_error(request: Request, exc: Exception) -> Response:
    log.error("error on %s %s: %s", request.method, request.url.path, mask_id_numbers(repr(exc)), exc_info=exc)
    return _error_page(request, 500, "出错了，已记录。请稍后再试或联系管理员。Something went wrong; it was logged.")


def exception_handlers() -> dict[Any, Callable[[Request, Exception], Response]]:
    """Errors as pages: 403/404 say why, 500 never shows a traceback, no login sends to ``/login``."""
    return {HTTPException: _http_error, LoginRequired: _login_required, Exception: _server_error}
