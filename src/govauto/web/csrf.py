"""Cross-site request forgery: every form carries the session's token, and every POST must send it back.

:func:`csrf_token` gives the session's token (made on first use, and anew at each login); templates put it in
every form as the hidden field :data:`CSRF_FIELD`. :class:`CSRFMiddleware` sits inside the session middleware and
checks **every** request that is not ``GET``, ``HEAD`` or ``OPTIONS`` before any view runs: the body is read (at
most :data:`MAX_BODY` bytes), the form parsed, and the field compared with the session's token in constant time.
A missing or wrong token, or an ``Origin`` header of another site, is answered ``403`` and the view never runs;
otherwise the view gets the body exactly as it came.

Paths under an ``exempt`` prefix (the intake API, ``/api/``) are not checked: they authenticate with a bearer token
in the ``Authorization`` header, which a browser never sends on its own to another site, and never with the session
cookie, so a forged cross-site request carries nothing that would let it act.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSRF_FIELD", "CSRF_SESSION_KEY", "MAX_BODY", "CSRFMiddleware", "csrf_token", "new_csrf_token"]

CSRF_FIELD = "csrf_token"
"""The hidden form field that carries the token."""

CSRF_SESSION_KEY = "csrf"
"""Where the session keeps its token."""

MAX_BODY = 1 << 20
"""The largest form body accepted (1 MiB): review forms are small."""

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_REFUSED_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>请求被拒绝 Forbidden</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body><main class="narrow"><h1>请求被拒绝（403）</h1>
<p class="flash error">{reason}</p>
<p>请返回上一页，刷新后重新提交。Go back, reload the page and submit again.</p>
<p><a href="/">返回我的待办 Back to my queue</a></p></main></body></html>
"""


def new_csrf_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def csrf_token(request: Request) -> str:
    """The session's token, made on first use (templates call this for every form)."""
    session: MutableMapping[str, Any] = request.session
    token = session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = new_csrf_token()
        session[CSRF_SESSION_KEY] = token
    return token


class CSRFMiddleware:
    """Refuses (403) every state-changing request without the session's token; see the module's docstring.

    Must run inside Starlette's ``SessionMiddleware`` (it reads ``scope["session"]``).

    :param exempt: path prefixes not checked: routes that authenticate with a bearer token and never with the
        session cookie (see the module's docstring).
    """

    def __init__(self, app: ASGIApp, *, max_body: int = MAX_BODY, exempt: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_body = max_body
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS \
                or (self.exempt and str(scope.get("path", "")).startswith(self.exempt)):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not _same_origin(headers):
            await _refuse("请求来自其他网站。The request came from another site.")(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body:
                await PlainTextResponse("request body too large", status_code=413)(scope, receive, send)
                return
        data = bytes(body)
        if not await self._token_ok(scope, data):
            await _refuse("表单校验码缺失或无效（CSRF）。The form's security token is missing or wrong.")(
                scope, receive, send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _token_ok(self, scope: Scope, data: bytes) -> bool:
        session = scope.get("session")
        expected = session.get(CSRF_SESSION_KEY) if isinstance(session, dict) else None
        if not isinstance(expected, str) or not expected:
            return False
        delivered = False

        async def once() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": data, "more_body": False}

        request = Request(scope, once)
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            return False
        try:
            form = await request.form()
        except Exception:  # a malformed body is refused like a missing token
            return False
        try:
            token = form.get(CSRF_FIELD)
            return isinstance(token, str) and hmac.compare_digest(token.encode(), expected.encode())
        finally:
            await form.close()


def _same_origin(headers: Headers) -> bool:
    """False when the browser says the request comes from another origin (``Origin``, else ``Referer``)."""
    host = headers.get("host", "")
    origin = headers.get("origin")
    if origin is None:
        referer = headers.get("referer")
        if referer is None:
            return True  # not sent by every client; the token decides
        origin = referer
    if origin == "null":
        return False
    return urlsplit(origin).netloc == host


def _refuse(reason: str) -> Response:
    return HTMLResponse(_REFUSED_PAGE.format(reason=reason), status_code=403)
