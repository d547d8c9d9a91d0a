"""The HTTP intake API: the systems that receive applications send cases; govauto reviews each one with the packs
in force (hot-reloaded while ``govauto serve`` runs) and answers in JSON.

Every route needs an API token (``govauto users token create NAME``) sent as ``Authorization: Bearer <token>``;
the reviewers' session cookies are not accepted here, so these routes need no CSRF token. What a client does is
audited as actor ``api:<NAME>``.

=======  =============================================  =======================================================
method   path                                           what
=======  =============================================  =======================================================
POST     ``/api/cases``                                 take in a case: ``application/json`` (the case contract),
                                                        or ``multipart/form-data`` (a part ``case``, and the
                                                        material files its ``materials[].file`` name) → ``201``
GET      ``/api/cases/{case_id}``                       the latest version: status, outcome, findings, pack
GET      ``/api/cases/{case_id}/versions/{n}``          one version
GET      ``/api/cases/{case_id}/versions/{n}/notice.pdf``  its notice (一次性告知书 or rejection), also ``.html``
GET      ``/api/packs``                                 the rule packs installed, and the last hot reload
=======  =============================================  =======================================================

Errors are JSON too: ``{"error": "<code>", "message": "...", "problems": [{"path": ..., "message": ...}]}`` with
``400`` (not JSON), ``401`` (no or a bad token), ``404``, ``413`` (the body is larger than
``GOVAUTO_API_MAX_BODY`` bytes), ``415`` (another content type), ``422`` (the case does not fit its contract:
every problem at once, by field path; or no version of its pack was in force on its submitted date) and ``500``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message

from govauto.casework import ApiToken, CaseRecord
from govauto.errors import CaseError, CaseNotFoundError, FieldProblem, GovautoError, PackNotInForceError
from govauto.privacy import mask_id_numbers
from govauto.store.review import new_id
from govauto.web.app import API_MAX_BODY_ENV, WebContext

__all__ = ["API_PREFIX", "error", "routes"]

log = logging.getLogger("govauto.web.api")

API_PREFIX = "/api/"
"""Every API route starts with it (the CSRF check of the reviewers' forms does not apply there)."""

_MAX_FILES = 50
_CHUNK = 64 * 1024
_SPOOL = 1024 * 1024
_UPLOAD_NAME = re.compile(r"[^/\\\x00-\x1f]{1,200}")
_JSON = "application/json"
_MULTIPART = "multipart/form-data"


def _context(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


def error(status: int, code: str, message: str, problems: list[FieldProblem] | None = None,
          headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The JSON error every API route answers with (messages have ID numbers masked)."""
    body: dict[str, Any] = {"error": code, "message": mask_id_numbers(message)}
    if problems is not None:
        body["problems"] = [{"path": p.path, "message": mask_id_numbers(p.message)} for p in problems]
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def _json(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=dict(headers or {}))


# ---- authentication ---------------------------------------------------------------------------------------------

Endpoint = Callable[[Request, ApiToken], Awaitable[Response]]


def _api(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    """Wrap an endpoint: the bearer token is checked first (401 without a valid one), and an unexpected error is
    logged and answered 500 in JSON, never with a traceback."""

    async def run(request: Request) -> Response:
        try:
            token = await _authenticate(request)
            if isinstance(token, Response):
                return token
            return await endpoint(request, token)
        except Exception as exc:  # the client gets JSON; the log gets the details
            log.error("error on %s %s: %s", request.method, request.url.path, mask_id_numbers(repr(exc)),
                      exc_info=exc)
            return error(500, "server_error", "something went wrong; it was logged, try again later or tell the "
                                              "operators")

    run.__name__ = endpoint.__name__
    run.__doc__ = endpoint.__doc__
    return run


async def _authenticate(request: Request) -> ApiToken | Response:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    challenge = 'Bearer realm="govauto"'
    if scheme.lower() != "bearer" or not value.strip():
        return error(401, "unauthorized", "this API needs a token: send `Authorization: Bearer <token>` (an operator "
                                          "makes one with `govauto users token create NAME`)",
                     headers={"WWW-Authenticate": challenge})
    token = await run_in_threadpool(_context(request).tokens.verify, value.strip())
    if token is None:
        client = request.client.host if request.client else "?"
        log.warning("API request %s %s from %s refused: unknown, revoked or expired token", request.method,
                    request.url.path, client)
        return error(401, "unauthorized", "the API token is unknown, revoked or expired; ask the operators for a new "
                                          "one", headers={"WWW-Authenticate": f'{challenge}, error="invalid_token"'})
    return token


# ---- taking in a case -------------------------------------------------------------------------------------------

async def post_case(request: Request, token: ApiToken) -> Response:
    """Take in a case: validate it, store it as its next version, read its materials, review it with the version of
    its pack in force on its submitted date, act on the outcome (robot job, notice, review task) and answer 201 with
    the decision."""
    context = _context(request)
    limit = context.api_max_body
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return _too_large(limit)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in (_JSON, _MULTIPART):
        return error(415, "unsupported_media_type", f"send the case as {_JSON}, or as {_MULTIPART} with a part "
                                                    "named case and the material files; got "
                                                    f"{media or 'no content type'}")
    body = await _read_body(request, limit)
    if body is None:
        return _too_large(limit)
    uploads: dict[str, UploadFile] = {}
    problems: list[FieldProblem] = []
    try:
        if media == _JSON:
            data = _parse_json(body)
        else:
            data, uploads, problems = await _parse_multipart(request, body, limit)
        if isinstance(data, Response):
            return data
        return await _take_in(request, token, data, uploads, problems)
    finally:
        body.close()
        for upload in uploads.values():
            await upload.close()


async def _take_in(request: Request, token: ApiToken, data: Any, uploads: dict[str, UploadFile],
                   problems: list[FieldProblem]) -> Response:
    context = _context(request)
    if not isinstance(data, dict):
        return error(422, "invalid_case", "the case does not fit the contract", [FieldProblem(
            "", f"a case is a JSON object with matter, case_id, submitted_at ...; got {type(data).__name__}")])
    problems = [*problems, *_material_problems(data, uploads)]
    runtime = await run_in_threadpool(lambda: context.runtime)
    try:
        valid = await run_in_threadpool(runtime.load_case, data)
    except CaseError as exc:
        problems = [*exc.problems, *problems]
        valid = None
    if problems or valid is None:
        return error(422, "invalid_case", f"the case does not fit the contract ({len(problems)} problem(s)); "
                                          "fix every field listed and send it again", problems)
    directory = _save_uploads(context, uploads) if uploads else None
    from govauto.pipeline import process_case

    try:
        done = await run_in_threadpool(lambda: process_case(
            runtime, context.store, valid, base_dir=directory or context.home, actor=token.actor,
            notices_dir=context.notices_dir))
    except (CaseError, PackNotInForceError) as exc:
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
        if isinstance(exc, CaseError):
            return error(422, "invalid_case", "the case does not fit the contract", exc.problems)
        return error(422, "no_pack_in_force", str(exc))
    except GovautoError as exc:  # a broken installed pack, the database ...: the operators must act
        log.error("case %s from %s could not be reviewed: %s", valid.case_id, token.actor,
                  mask_id_numbers(str(exc)))
        return error(500, "review_failed", f"the case could not be reviewed: {exc}")
    record = await run_in_threadpool(context.cases.get, done.record.case_id, done.record.version)
    body = _record_json(context, record)
    body["review_tasks"] = list(done.task_ids)
    body["robot_job"] = done.job_id
    log.info("case %s v%d from %s: %s (%s %s)", record.case_id, record.version, token.actor, done.decision.outcome,
             done.decision.pack_id, done.decision.pack_version)
    return _json(body, 201, {"Location": body["links"]["self"]})


def _too_large(limit: int) -> Response:
    return error(413, "too_large", f"the request is larger than {limit} bytes ({API_MAX_BODY_ENV}): send fewer or "
                                   "smaller material files")


async def _read_body(request: Request, limit: int) -> IO[bytes] | None:
    """The body in a spooled temporary file (in memory up to 1 MiB), or ``None`` once it grows past ``limit``."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # closed by the caller
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            spool.close()
            return None
        spool.write(chunk)
    spool.seek(0)
    return spool


def _parse_json(body: IO[bytes]) -> Any:
    try:
        return json.loads(body.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return error(400, "invalid_json", f"the body is not JSON (UTF-8): {exc}")


async def _parse_multipart(request: Request, body: IO[bytes], limit: int) \
        -> tuple[Any, dict[str, UploadFile], list[FieldProblem]]:
    """The case (the part ``case``) and the uploaded files by file name; problems with the parts."""
    ended = False

    async def replay() -> Message:
        nonlocal ended
        chunk = body.read(_CHUNK)
        if chunk:
            return {"type": "http.request", "body": chunk, "more_body": True}
        if not ended:
            ended = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    try:
        form = await Request(request.scope, replay).form(max_files=_MAX_FILES, max_fields=_MAX_FILES,
                                                         max_part_size=limit)
    except Exception as exc:  # starlette raises its own and multipart's errors: all mean a malformed body
        return error(400, "invalid_multipart", f"the multipart body cannot be read: {exc}"), {}, []
    uploads: dict[str, UploadFile] = {}
    problems: list[FieldProblem] = []
    case_text: str | None = None
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key == "case":
                case_text = (await value.read()).decode("utf-8", errors="replace")
                continue
            name = value.filename or ""
            if not _UPLOAD_NAME.fullmatch(name) or name in (".", ".."):
                problems.append(FieldProblem(f"files[{key}]", f"the file name {name!r} cannot be used: give each "
                                                              "file a plain name (no / or \\), as its material names "
                                                              "it"))
            elif name in uploads:
                problems.append(FieldProblem(f"files[{name}]", "two files have this name; give each its own"))
            else:
                uploads[name] = value
        elif key == "case":
            case_text = value
        else:
            problems.append(FieldProblem(key, "is not a part of an intake request: send a part named case (the case "
                                              "as JSON) and the material files"))
    if case_text is None:
        return error(422, "invalid_case", "the multipart body has no part named case (the case as JSON)",
                     problems), uploads, []
    try:
        data = json.loads(case_text)
    except json.JSONDecodeError as exc:
        return error(400, "invalid_json", f"the part named case is not JSON: {exc}"), uploads, []
    return data, uploads, problems


def _material_problems(case: Mapping[str, Any], uploads: Mapping[str, UploadFile]) -> list[FieldProblem]:
    """A material's ``file`` must name a file uploaded with the case (never a path on the server), and every
    uploaded file must be named by a material."""
    problems: list[FieldProblem] = []
    materials = case.get("materials")
    named: set[str] = set()
    for index, material in enumerate(materials if isinstance(materials, list) else []):
        file = material.get("file") if isinstance(material, Mapping) else None
        if file is None:
            continue
        if not uploads:
            problems.append(FieldProblem(f"materials[{index}].file", "a material file is uploaded with the case: send "
                                         f"{_MULTIPART} with the file as a part (its file name as here), or give "
                                         "source: shared for a document verified through data sharing"))
        elif not isinstance(file, str) or file not in uploads:
            problems.append(FieldProblem(f"materials[{index}].file", f"no file named {file!r} was uploaded with the "
                                         f"case (uploaded: {', '.join(sorted(uploads))})"))
        else:
            named.add(file)
    for name in sorted(set(uploads) - named):
        problems.append(FieldProblem(f"files[{name}]", "no material names this file: add it to materials "
                                                        "(kind and file), or leave it out"))
    return problems


def _save_uploads(context: WebContext, uploads: Mapping[str, UploadFile]) -> Path:
    """Write the uploaded files into a directory of their own under ``$GOVAUTO_HOME/uploads``: the case's base
    directory, which the reviewer page later reads the field crops from."""
    directory = context.home / "uploads" / dt.datetime.now(dt.UTC).strftime("%Y%m%d") / new_id("U")
    directory.mkdir(parents=True)
    for name, upload in uploads.items():
        upload.file.seek(0)
        with (directory / name).open("wb") as out:
            shutil.copyfileobj(upload.file, out)
    return directory.resolve()


# ---- reading cases ----------------------------------------------------------------------------------------------

def _case_path(case_id: str, version: int | None = None) -> str:
    base = f"/api/cases/{quote(case_id, safe='')}"
    return base if version is None else f"{base}/versions/{version}"


def _record_json(context: WebContext, record: CaseRecord) -> dict[str, Any]:
    """A stored case version as the API shows it."""
    from govauto.web.views import _notice_files, case_url

    review = record.machine_decision
    final = record.final_decision
    links: dict[str, str] = {"self": _case_path(record.case_id, record.version),
                             "latest": _case_path(record.case_id),
                             "reviewer_page": case_url(record.case_id, record.version)}
    for kind in sorted(_notice_files(context, record)):
        links[f"notice_{kind}"] = f"{_case_path(record.case_id, record.version)}/notice.{kind}"
    return {
        "case_id": record.case_id,
        "version": record.version,
        "matter": record.matter,
        "status": record.status,
        "outcome": final["outcome"] if final else review.get("outcome"),
        "decided_by": final["decided_by"] if final else None,
        "submitted_at": record.case.get("submitted_at"),
        "received_at": record.created_at.isoformat(),
        "received_from": record.created_by,
        "pack": review.get("pack"),
        "findings": review.get("findings", []),
        "machine_outcome": review.get("outcome"),
        "final_decision": final,
        "links": links,
    }


async def get_case(request: Request, token: ApiToken) -> Response:
    """The latest version of a case (or the one in the path)."""
    context = _context(request)
    case_id = request.path_params["case_id"]
    version = request.path_params.get("version")
    try:
        record = await run_in_threadpool(context.cases.get, case_id, version)
    except CaseNotFoundError as exc:
        return error(404, "not_found", str(exc))
    return _json(_record_json(context, record))


async def get_notice(request: Request, token: ApiToken) -> Response:
    """The notice of a case version (``notice.pdf`` or ``notice.html``), for the client to hand to the applicant."""
    from govauto.web.views import NOTICE_CSP, _notice_files

    context = _context(request)
    case_id, kind = request.path_params["case_id"], request.path_params["kind"]
    if kind not in ("html", "pdf"):
        return error(404, "not_found", f"no notice format {kind!r}: use notice.pdf or notice.html")
    try:
        record = await run_in_threadpool(context.cases.get, case_id, int(request.path_params["version"]))
    except CaseNotFoundError as exc:
        return error(404, "not_found", str(exc))
    path = _notice_files(context, record).get(kind)
    if path is None:
        return error(404, "not_found", f"version {record.version} of case {case_id} has no notice (only 补正 and "
                                       "reject outcomes have one)")
    await run_in_threadpool(lambda: context.audit.record("notice_download", actor=token.actor, case_id=case_id,
                                                         case_version=record.version, detail={"file": path.name}))
    filename = f"{record.case_id}-v{record.version}-{path.name}"
    if kind == "pdf":
        return FileResponse(path, media_type="application/pdf", filename=filename)
    return FileResponse(path, media_type="text/html; charset=utf-8", filename=filename,
                        headers={"Content-Security-Policy": NOTICE_CSP})


async def get_packs(request: Request, token: ApiToken) -> Response:
    """The rule packs installed (every version, with its dates and whether it is in force today) and what the last
    hot reload did: a refused change lists its problems, and the versions shown are still the ones in force."""
    from govauto.model import CHINA

    context = _context(request)
    runtime = await run_in_threadpool(lambda: context.runtime)
    today = dt.datetime.now(CHINA).date()

    def installed() -> list[dict[str, Any]]:
        out = []
        for pack_id in sorted(runtime.packs()):
            for pack in runtime.pack_versions(pack_id):
                out.append({"id": pack.id, "version": pack.version, "matter": pack.matter, "title": pack.title,
                            "effective_from": pack.effective_from.isoformat() if pack.effective_from else None,
                            "effective_until": pack.effective_until.isoformat() if pack.effective_until else None,
                            "in_force_today": (pack.effective_from or dt.date.min) <= today
                            <= (pack.effective_until or dt.date.max),
                            "rules": len(pack.rules)})
        return out

    try:
        packs = await run_in_threadpool(installed)
    except GovautoError as exc:
        return error(500, "packs_invalid", f"the installed rule packs cannot be read: {exc}")
    watcher = getattr(request.app.state, "pack_watcher", None)
    reload: dict[str, Any] = {"watching": bool(watcher is not None and watcher.running),
                              "interval_seconds": watcher.interval if watcher is not None else None, "last": None}
    if watcher is not None and watcher.last_report is not None:
        report = watcher.last_report
        reload["last"] = {
            "at": watcher.last_reload_at.isoformat() if watcher.last_reload_at else None,
            "ok": report.ok,
            "message": str(report),
            "reloaded": [{"id": p.id, "version": p.version, "path": str(p.path)} for p in report.reloaded],
            "matters": list(report.matters),
            "problems": [str(p) for p in report.problems],
        }
    return _json({"packs": packs, "reload": reload})


def routes() -> list[BaseRoute]:
    """The API's routes (mounted by :func:`govauto.web.app.create_app`)."""
    return [
        Route("/api/cases", _api(post_case), methods=["POST"], name="api_cases"),
        Route("/api/cases/{case_id}", _api(get_case), methods=["GET"], name="api_case"),
        Route("/api/cases/{case_id}/versions/{version:int}", _api(get_case), methods=["GET"],
              name="api_case_version"),
        Route("/api/cases/{case_id}/versions/{version:int}/notice.{kind}", _api(get_notice), methods=["GET"]),
        Route("/api/packs", _api(get_packs), methods=["GET"], name="api_packs"),
    ]
