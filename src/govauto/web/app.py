"""The reviewer web application: :func:`create_app` builds it, ``govauto serve`` runs it with uvicorn.

The layers, outermost first: :class:`SecurityHeaders` (no-store, X-Frame-Options, CSP, ...), Starlette's
``SessionMiddleware`` (the signed session cookie, see :mod:`govauto.web.auth`), :class:`~govauto.web.csrf.
CSRFMiddleware` (every POST checked before any view runs, except under ``/api/``), then the routes of
:mod:`govauto.web.views` and of the intake API, :mod:`govauto.web.api` (bearer tokens, JSON).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govauto.audit import AuditTrail
from govauto.casework import Accounts, ApiTokens, CaseStore, ReviewQueue, WorkCalendar
from govauto.errors import CaseNotFoundError
from govauto.privacy import mask_id_numbers
from govauto.reload import PackWatcher, pack_poll_interval
from govauto.store import DATABASE_URL_ENV, Store, home_dir, open_store
from govauto.web import auth
from govauto.web.auth import SESSION_COOKIE, SESSION_MAX_AGE, LoginThrottle
from govauto.web.csrf import CSRFMiddleware

if TYPE_CHECKING:
    from govauto.runtime import Runtime

__all__ = ["API_MAX_BODY_DEFAULT", "API_MAX_BODY_ENV", "CONTENT_SECURITY_POLICY", "HTTPS_ENV", "SecurityHeaders",
           "WebContext", "create_app", "default_api_max_body"]

log = logging.getLogger("govauto.web")

HTTPS_ENV = "GOVAUTO_WEB_HTTPS"
"""Set to 1 when the site is served over HTTPS (directly or behind a proxy): cookies get ``Secure``, and HSTS."""

ESCALATE_ENV = "GOVAUTO_ESCALATE_SECONDS"
"""How often the app escalates overdue tasks (default 300 s; 0: never, leave it to a cron job)."""

API_MAX_BODY_ENV = "GOVAUTO_API_MAX_BODY"
"""The largest request body ``POST /api/cases`` accepts, in bytes (a case with its material files)."""

API_MAX_BODY_DEFAULT = 16 * 1024 * 1024
"""16 MiB: a case with a few scans and PDFs."""

PACK_POLL_DEFAULT = 2.0
"""Seconds between looks at the rule pack files when ``GOVAUTO_PACK_POLL`` is unset (hot reload, govauto.reload)."""

CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'")
"""The pages need no script at all: none may run."""

_PACKAGE = "govauto.web"


def default_api_max_body() -> int:
    """``GOVAUTO_API_MAX_BODY`` in bytes (default 16 MiB); a value that is not a positive whole number is logged and
    the default used: a typo must not stop the service."""
    raw = os.environ.get(API_MAX_BODY_ENV, "").strip()
    if not raw:
        return API_MAX_BODY_DEFAULT
    if not raw.isdigit() or int(raw) <= 0:
        log.warning("%s=%r is not a positive number of bytes; using %d", API_MAX_BODY_ENV, raw, API_MAX_BODY_DEFAULT)
        return API_MAX_BODY_DEFAULT
    return int(raw)


def _mask_output(value: Any) -> Any:
    """Jinja ``finalize`` for every page but the case page: ID numbers in any printed text are masked."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return mask_id_numbers(value)
    return value


def _templates(masked: bool) -> Jinja2Templates:
    options: dict[str, Any] = {"loader": PackageLoader(_PACKAGE, "templates"),
                               "autoescape": select_autoescape(["html"], default=True),
                               "trim_blocks": True, "lstrip_blocks": True}
    if masked:
        options["finalize"] = _mask_output
    return Jinja2Templates(env=Environment(**options))


@dataclass
class WebContext:
    """What every view needs: the store and its services, the templates, where files live.

    :ivar home: govauto's working directory (``$GOVAUTO_HOME``): crops are cached in ``home/crops`` and notices
        are read from ``home/notices`` (where :mod:`govauto.decisions` writes them).
    """

    store: Store
    home: Path
    runtime_factory: Callable[[], Runtime]
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    api_max_body: int = API_MAX_BODY_DEFAULT
    """The largest body ``POST /api/cases`` accepts, in bytes."""
    _runtime: Runtime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @cached_property
    def accounts(self) -> Accounts:
        return Accounts(self.store)

    @cached_property
    def tokens(self) -> ApiTokens:
        return ApiTokens(self.store)

    @cached_property
    def cases(self) -> CaseStore:
        return CaseStore(self.store)

    @cached_property
    def queue(self) -> ReviewQueue:
        return ReviewQueue(self.store, WorkCalendar.default())

    @cached_property
    def audit(self) -> AuditTrail:
        return AuditTrail(self.store)

    def case_summary(self, case_id: str, version: int | None) -> tuple[str, str]:
        """The applicant's name and masked ID number of a case version, for the queues. A version never changes,
        so they are kept (the latest version, ``None``, is looked up each time)."""
        if version is None:
            return _summary(self.cases, case_id, None)
        return self._summaries(case_id, version)

    @cached_property
    def _summaries(self) -> Callable[[str, int], tuple[str, str]]:
        return functools.lru_cache(maxsize=4096)(functools.partial(_summary, self.cases))

    @cached_property
    def masked(self) -> Jinja2Templates:
        """Templates whose output has every ID number masked (queues, login, errors)."""
        return _templates(masked=True)

    @cached_property
    def full(self) -> Jinja2Templates:
        """Templates that show ID numbers in full: the case page only."""
        return _templates(masked=False)

    @property
    def crops_dir(self) -> Path:
        return self.home / "crops"

    @property
    def notices_dir(self) -> Path:
        return self.home / "notices"

    @property
    def runtime(self) -> Runtime:
        """The govauto runtime (made on first need: carrying out a decision loads the case's matter)."""
        with self._lock:
            if self._runtime is None:
                self._runtime = self.runtime_factory()
            return self._runtime


def _summary(cases: CaseStore, case_id: str, version: int | None) -> tuple[str, str]:
    try:
        record = cases.get(case_id, version)
    except CaseNotFoundError:
        return "", ""
    applicant = record.case.get("applicant")
    id_number = applicant.get("id_number") if isinstance(applicant, Mapping) else None
    return record.applicant_name or "", mask_id_numbers(str(id_number or ""))


class SecurityHeaders:
    """Adds security headers to every response (a view's own value of a header wins): ``Cache-Control:
    no-store`` (pages carry personal data; static files are cached instead), ``X-Frame-Options: DENY``, a CSP
    without script, ``nosniff``, a same-origin referrer policy, and HSTS over HTTPS."""

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                defaults = {
                    "Cache-Control": "public, max-age=3600" if static else "no-store",
                    "X-Frame-Options": "DENY",
                    "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "same-origin",
                    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                    "Cross-Origin-Opener-Policy": "same-origin",
                    "Cross-Origin-Resource-Policy": "same-origin",
                    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
                }
                if self.https:
                    defaults["Strict-Transport-Security"] = "max-age=31536000"
                for name, value in defaults.items():
                    if name not in headers:
                        headers[name] = value
                if not static and "Pragma" not in headers:
                    headers["Pragma"] = "no-cache"
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(store_url: str | None = None, *, runtime: Runtime | None = None, secret_key: str | None = None,
               home: Path | None = None, https: bool | None = None, pack_poll: float | None = None,
               api_max_body: int | None = None) -> Starlette:
    """The reviewer web application.

    :param store_url: the database (default ``$GOVAUTO_DATABASE_URL``, else ``sqlite:///<home>/govauto.db``).
    :param runtime: the govauto runtime that carries out decisions (default: a :class:`~govauto.Runtime` made on
        the first decision, with the installed plugins).
    :param secret_key: signs session cookies (default ``$GOVAUTO_SECRET_KEY``, else ``<home>/secret_key``, made
        on first start with mode 0600).
    :param home: govauto's working directory (default ``$GOVAUTO_HOME``, else ``./.govauto``): crops are cached
        and notices read there. Notices are written by :mod:`govauto.decisions` under ``$GOVAUTO_HOME``: give
        the same directory.
    :param https: the site is served over HTTPS: ``Secure`` cookies and HSTS (default ``$GOVAUTO_WEB_HTTPS``).
    :param pack_poll: seconds between looks at the rule pack files, to reload changed packs while the app runs
        (default ``$GOVAUTO_PACK_POLL``, else 2; 0: never). The watcher runs while the app runs (its lifespan) and
        is ``app.state.pack_watcher``; ``GET /api/packs`` shows what it last did.
    :param api_max_body: the largest body ``POST /api/cases`` accepts, in bytes (default ``$GOVAUTO_API_MAX_BODY``,
        else 16 MiB); larger requests are answered 413.
    :raises StoreError: the database cannot be opened.
    """
    from govauto.web import api, views

    base = Path(home) if home is not None else home_dir()
    url = store_url or os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{base / 'govauto.db'}"
    store = open_store(url)
    key = secret_key or auth.secret_key(base)
    secure = https if https is not None else os.environ.get(HTTPS_ENV, "").lower() in ("1", "true", "yes")

    def make_runtime() -> Runtime:
        if runtime is not None:
            return runtime
        from govauto.runtime import Runtime

        return Runtime()

    context = WebContext(store=store, home=base, runtime_factory=make_runtime,
                         api_max_body=api_max_body if api_max_body is not None else default_api_max_body())
    if runtime is not None:
        context._runtime = runtime

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        interval = float(os.environ.get(ESCALATE_ENV, "300") or 0)
        task = asyncio.create_task(_escalate_periodically(context, interval)) if interval > 0 else None
        poll = pack_poll if pack_poll is not None else pack_poll_interval(PACK_POLL_DEFAULT)
        watcher = PackWatcher(lambda: context._runtime, poll).start() if poll > 0 else None  # none made: nothing
        _app.state.pack_watcher = watcher  # is in force yet, the first decision reads the pack files
        try:
            yield
        finally:
            if watcher is not None:
                watcher.stop()
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            store.dispose()

    middleware = [
        Middleware(SecurityHeaders, https=secure),
        Middleware(SessionMiddleware, secret_key=key, session_cookie=SESSION_COOKIE, max_age=SESSION_MAX_AGE,
                   same_site="lax", https_only=secure),
        Middleware(CSRFMiddleware, exempt=(api.API_PREFIX,)),
    ]
    static = StaticFiles(packages=[(_PACKAGE, "static")])
    routes = [*views.routes(), *api.routes(), Mount("/static", app=static, name="static")]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=views.exception_handlers(),
                    lifespan=lifespan)
    app.state.web = context
    return app


async def _escalate_periodically(context: WebContext, interval: float) -> None:
    while True:
        try:
            escalated = await run_in_threadpool(context.queue.escalate_overdue)
            if escalated:
                log.info("escalated %d overdue review task(s)", len(escalated))
        except Exception:  # keep the timer alive; the next round tries again
            log.exception("escalating overdue review tasks failed")
        await asyncio.sleep(interval)
