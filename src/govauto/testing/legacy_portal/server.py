"""The HTTP server: a standard-library ``ThreadingHTTPServer`` and a request handler that owns every byte it sends,
so that faults can stall, cut or drop a response exactly as a failing old system does."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import re
import secrets
import signal
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, MappingProxyType, TracebackType
from typing import Any, Final
from urllib.parse import urlsplit

from govauto.testing.legacy_portal import pages
from govauto.testing.legacy_portal.catalogue import BUSINESS_TYPES
from govauto.testing.legacy_portal.faults import KINDS, SUBMIT_PATHS, Fault, FaultPlan
from govauto.testing.legacy_portal.forms import (
    FormData,
    parse_multipart,
    parse_urlencoded,
    validate_application,
    validate_change,
    validate_deregistration,
)
from govauto.testing.legacy_portal.records import APPLICATION_KINDS, RecordStore
from govauto.testing.legacy_portal.rpa_challenge import PREFIX as RPA_PREFIX
from govauto.testing.legacy_portal.rpa_challenge import RpaChallenge

DEFAULT_USERS: Final[Mapping[str, str]] = MappingProxyType({"robot": "robot-pass"})
"""The account a fresh portal accepts: ``robot`` / ``robot-pass``."""

HANG_SECONDS: Final = 300.0
"""How long a ``hang`` fault holds a request when the portal is not stopped first."""

MAX_BODY: Final = 12 * 1024 * 1024
"""Larger request bodies are refused with 413 (the upload limit is 10 MB)."""

COOKIE: Final = "JSESSIONID"



@dataclass(frozen=True)
class _Form:
    """One application form: ``/gt/KIND.do``, ``/gt/KIND_confirm.do`` and ``/gt/KIND_submit.do``."""

    kind: str
    title: str
    page: Callable[[str], bytes]
    validate: Callable[[FormData, dt.date], tuple[dict[str, Any], str | None]]
    confirm_page: Callable[[Mapping[str, Any], str], bytes]


_FORMS: Final = {
    "establish": _Form("establish", "个体工商户设立登记", pages.establish_page, validate_application,
                       pages.confirm_page),
    "change": _Form("change", "个体工商户变更登记", pages.change_page, validate_change, pages.change_confirm_page),
    "deregister": _Form("deregister", "个体工商户注销登记", pages.deregister_page, validate_deregistration,
                        pages.deregister_confirm_page),
}
_FORM_PATHS: Final = {
    **{f"/gt/{kind}.do": (kind, "page") for kind in _FORMS},
    **{f"/gt/{kind}_confirm.do": (kind, "confirm") for kind in _FORMS},
    **{f"/gt/{kind}_submit.do": (kind, "submit") for kind in _FORMS},
}
_KIND_OF_TYPE: Final = dict(zip(BUSINESS_TYPES, APPLICATION_KINDS, strict=True))
"""业务类型 code (the search's ``ywlx``) → kind of application."""

_PROTECTED: Final = {
    "/main.do": "GET", "/top.do": "GET", "/menu.do": "GET", "/welcome.do": "GET", "/gt/search.do": "GET",
    **{path: "GET" if step == "page" else "POST" for path, (_, step) in _FORM_PATHS.items()},
}
_TOKENS_KEPT: Final = 100
_ID_NUMBER: Final = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")


def mask_ids(text: str) -> str:
    """``text`` with every 18-character ID number masked as ``110101********1233``."""
    return _ID_NUMBER.sub(r"\1********\2", text)


@dataclass
class _Session:
    sid: str
    username: str
    last_seen: float
    login_time: str
    tokens: dict[str, str] = field(default_factory=dict)
    """Token → the kind of form it was rendered in."""
    pending: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    """cid → the kind of form and its checked values, waiting for 确认提交."""


@dataclass
class _Response:
    status: int
    body: bytes = b""
    content_type: str = pages.CONTENT_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)
    record: dict[str, Any] | None = None


def _redirect(location: str, headers: Iterable[tuple[str, str]] = ()) -> _Response:
    return _Response(302, b"", headers=[("Location", location), *headers])


class LegacyPortal:
    """An old government registration system (个体工商户登记管理系统) to run robots against.

    :param db_path: the SQLite file of the records; created when missing, kept across restarts.
    :param host: the address to listen on.
    :param port: the port; ``0`` picks a free one (read :attr:`url` after :meth:`start`).
    :param idle_timeout: seconds without a request after which a session expires.
    :param users: user name → password of the accounts that may log in.
    :param max_sessions: refuse logins while this many sessions are active; ``None``: no limit.
    :param seed: the seed of the random draws of fault rates (the same seed, the same faults).
    :param verbose: write one line per request to stderr (ID numbers masked).
    """

    def __init__(self, db_path: Path | str, host: str = "127.0.0.1", port: int = 0, idle_timeout: float = 600.0,
                 users: Mapping[str, str] = DEFAULT_USERS, max_sessions: int | None = None,
                 seed: int | None = None, *, verbose: bool = False) -> None:
        if idle_timeout <= 0:
            raise ValueError(f"idle_timeout: must be a number of seconds > 0, got {idle_timeout!r}")
        if max_sessions is not None and max_sessions < 1:
            raise ValueError(f"max_sessions: must be a whole number >= 1 or None (no limit), got {max_sessions!r}")
        if not users:
            raise ValueError("users: at least one user name and password is needed, e.g. {'robot': 'robot-pass'}")
        self.db_path = Path(db_path)
        self.host = host
        self.port = port
        self.idle_timeout = float(idle_timeout)
        self.users = dict(users)
        self.max_sessions = max_sessions
        self.seed = seed
        self.verbose = verbose
        self.store = RecordStore(self.db_path)
        self.rpa = RpaChallenge(seed or 0)
        """The RPA challenge's runs (``/rpa/``; see :mod:`govauto.testing.legacy_portal.rpa_challenge`)."""
        self._lock = threading.RLock()
        self._faults = FaultPlan(seed)
        self._sessions: dict[str, _Session] = {}
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._reset_stats()

    # ---- life cycle --------------------------------------------------------------------------------------------

    def start(self) -> LegacyPortal:
        """Listen and serve in a background daemon thread.

        :returns: this portal.
        :raises OSError: the address is in use.
        """
        with self._lock:
            if self._server is not None:
                return self
            self._stopping.clear()
            server = _Server((self.host, self.port), _Handler, self)
            self.port = server.server_address[1]
            self._server = server
            self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name=f"legacy-portal:{self.port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: close the listening socket and every connection, release ``hang`` and ``slow`` faults."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5.0)
        server.wait_idle(timeout=2.0)

    def __enter__(self) -> LegacyPortal:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` of the running portal."""
        if self._server is None:
            raise RuntimeError("LegacyPortal.url: the portal is not running; call start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the portal is serving."""
        return self._server is not None

    # ---- faults ------------------------------------------------------------------------------------------------

    def set_faults(self, faults: Iterable[Fault | Mapping[str, Any]]) -> None:
        """Replace the faults (matched in order; the first that applies wins).

        :raises ValueError: a fault is invalid; nothing is changed then.
        """
        self._faults.set(faults)

    def add_fault(self, fault: Fault | Mapping[str, Any]) -> None:
        """Append one fault."""
        self._faults.add(fault)

    def clear_faults(self) -> None:
        """Remove every fault."""
        self._faults.clear()

    def faults(self) -> list[Fault]:
        """The faults, in matching order."""
        return self._faults.faults()

    # ---- records, stats, sessions ------------------------------------------------------------------------------

    def records(self, form: str = "establish") -> list[dict[str, Any]]:
        """Every application of one form stored, oldest first: ``establish`` (设立登记, ``jyfw`` as a list of
        codes), ``change`` (变更登记, ``bgsx`` and ``xjyfw`` lists) or ``deregister`` (注销登记, ``cnsx`` a list,
        ``qsbj`` a bool).

        :raises ValueError: an unknown form.
        """
        return self.store.all(form)

    def stats(self) -> dict[str, Any]:
        """Counters since start or the last :meth:`reset` (see ``GET /__admin/stats``)."""
        with self._lock:
            self._purge_expired()
            return {
                "requests": self._requests,
                "active_sessions": len(self._sessions),
                "max_active_sessions": self._max_active,
                "concurrent_requests": self._concurrent,
                "max_concurrent_requests": self._max_concurrent,
                "submits": self._submits,
                "logins": self._logins,
                "faults_applied": dict(self._faults_applied),
            }

    def reset(self, records: bool = False) -> None:
        """Clear the faults and the counters, and every record (and RPA-challenge run) when ``records`` is true."""
        self._faults.clear()
        with self._lock:
            self._reset_stats()
        if records:
            self.store.clear()
            self.rpa.clear()

    def expire_sessions(self) -> int:
        """Expire every session now.

        :returns: how many sessions were active.
        """
        with self._lock:
            self._purge_expired()
            count = len(self._sessions)
            self._sessions.clear()
            return count

    # ---- internals used by the handler -------------------------------------------------------------------------

    def _reset_stats(self) -> None:
        self._requests = 0
        self._concurrent = getattr(self, "_concurrent", 0)
        self._max_concurrent = self._concurrent
        self._submits = 0
        self._logins = 0
        self._max_active = len(self._sessions)
        self._faults_applied = dict.fromkeys(KINDS, 0)

    def _purge_expired(self) -> None:
        limit = time.monotonic() - self.idle_timeout
        for sid in [sid for sid, s in self._sessions.items() if s.last_seen < limit]:
            del self._sessions[sid]

    def _begin(self) -> None:
        with self._lock:
            self._requests += 1
            self._concurrent += 1
            self._max_concurrent = max(self._max_concurrent, self._concurrent)

    def _end(self) -> None:
        with self._lock:
            self._concurrent -= 1

    def _choose_fault(self, method: str, path: str, query: FormData) -> Fault | None:
        kind = query.get("__fault")
        if kind:
            delay = query.get("__delay")
            flagged = Fault(kind, delay=float(delay) if delay else 2.0)
            fault = flagged if flagged.matches(method, path) else None
        else:
            fault = self._faults.choose(method, path)
        if fault is not None:
            with self._lock:
                self._faults_applied[fault.kind] += 1
        return fault

    def _wait(self, seconds: float) -> bool:
        """Sleep, or less if the portal stops; whether it stopped."""
        return self._stopping.wait(seconds)

    def _session(self, sid: str | None) -> _Session | None:
        if not sid:
            return None
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return None
            now = time.monotonic()
            if now - session.last_seen > self.idle_timeout:
                del self._sessions[sid]
                return None
            session.last_seen = now
            return session

    def _expire(self, sids: Iterable[str]) -> None:
        with self._lock:
            for sid in sids:
                self._sessions.pop(sid, None)

    def _login(self, username: str, password: str, old_sids: Iterable[str]) -> tuple[_Session | None, str]:
        expected = self.users.get(username)
        if not username or expected is None or not hmac.compare_digest(expected.encode(), password.encode()):
            return None, "用户名或密码错误"
        with self._lock:
            for sid in old_sids:  # a new session at login, as servlet containers do against session fixation
                self._sessions.pop(sid, None)
            self._purge_expired()
            if self.max_sessions is not None and len(self._sessions) >= self.max_sessions:
                return None, "系统繁忙，在线用户已达上限，请稍后再试"
            session = _Session(secrets.token_hex(16).upper(), username, time.monotonic(),
                               dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"))
            self._sessions[session.sid] = session
            self._logins += 1
            self._max_active = max(self._max_active, len(self._sessions))
            return session, ""

    def _logout(self, sids: Iterable[str]) -> None:
        self._expire(sids)

    def _new_token(self, session: _Session, kind: str) -> str:
        token = secrets.token_hex(12)
        with self._lock:
            session.tokens[token] = kind
            while len(session.tokens) > _TOKENS_KEPT:
                del session.tokens[next(iter(session.tokens))]
        return token

    def _log(self, line: str) -> None:
        if self.verbose:
            print(mask_ids(line), file=sys.stderr, flush=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], portal: LegacyPortal) -> None:
        self.portal = portal
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._idle = threading.Condition(self._connections_lock)
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (socket.getfqdn), which can stall without DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)
            self._idle.notify_all()

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def wait_idle(self, timeout: float) -> None:
        with self._idle:
            self._idle.wait_for(lambda: not self._connections, timeout=timeout)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError) or self.portal._stopping.is_set():
            return
        if self.portal.verbose:
            traceback.print_exc()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "Apache-Coyote/1.1"
    timeout = 120
    _status: int | str = "-"
    _fault: str = ""

    # ---- plumbing ----------------------------------------------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def version_string(self) -> str:
        return self.server_version

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line per request is written by _handle instead

    def log_message(self, format: str, *args: Any) -> None:
        self.server.portal._log(f"{self.address_string()} - {format % args}")

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    @property
    def portal(self) -> LegacyPortal:
        return self.server.portal

    def _cookies(self) -> list[str]:
        values: list[str] = []
        for header in self.headers.get_all("Cookie") or []:
            for part in header.split(";"):
                name, _, value = part.strip().partition("=")
                if name == COOKIE and value:
                    values.append(value.strip('"'))
        return values

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            self._send(_Response(411, pages.status_page(411, "Length Required")))
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True
            self._send(_Response(413, pages.status_page(413, "Request Entity Too Large")))
            return None
        return self.rfile.read(length) if length else b""

    def _form(self, body: bytes) -> FormData:
        content_type = self.headers.get("Content-Type", "")
        if content_type.lower().startswith("multipart/form-data"):
            return parse_multipart(body, content_type)
        return parse_urlencoded(body.decode("latin-1"))

    def _send(self, response: _Response, *, cut_after: int | None = None) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        length = len(response.body) if cut_after is None else len(response.body) + 4096
        self.send_header("Content-Length", str(length))
        if response.content_type.startswith("text/html"):
            self.send_header("Pragma", "No-cache")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Expires", "Thu, 01 Jan 1970 00:00:00 GMT")
        for name, value in response.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(response.body if cut_after is None else response.body[:cut_after])
        self.wfile.flush()
        self._status = response.status

    def _drop(self) -> None:
        """Close the connection without (another) byte; the base class then writes nothing more."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.connection.close()

    # ---- dispatch ----------------------------------------------------------------------------------------------

    def _handle(self, method: str) -> None:
        self._status = "-"
        self._fault = ""
        split = urlsplit(self.path)
        path = split.path or "/"
        try:
            if path.startswith("/__admin/"):
                body = self._read_body() if method == "POST" else b""
                if body is not None:
                    self._admin(method, path, body, parse_urlencoded(split.query))
                return
            if path.startswith(RPA_PREFIX):  # the RPA challenge: no session, no faults, not counted
                body = self._read_body() if method == "POST" else b""
                if body is not None:
                    status, content_type, data = self.portal.rpa.handle(method, path, parse_urlencoded(split.query),
                                                                        body)
                    self._send(_Response(status, data, content_type, [("Cache-Control", "no-store")]))
                return
            self.portal._begin()
            try:
                self._serve(method, path, parse_urlencoded(split.query))
            finally:
                self.portal._end()
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except OSError:
            self.close_connection = True
            if not self.portal._stopping.is_set():
                raise
        finally:
            fault = f" [fault {self._fault}]" if self._fault else ""
            self.portal._log(f'{self.address_string()} "{self.requestline}" {self._status}{fault}')

    def _serve(self, method: str, path: str, query: FormData) -> None:
        body = self._read_body() if method == "POST" else b""
        if body is None:
            return
        try:
            fault = self.portal._choose_fault(method, path, query)
        except ValueError as exc:
            self._send(_Response(400, str(exc).encode(), "text/plain; charset=UTF-8"))
            return
        kind = fault.kind if fault is not None else ""
        self._fault = kind
        final_submit = method == "POST" and path in SUBMIT_PATHS
        if fault is not None:
            if kind == "slow":
                if self.portal._wait(fault.delay):
                    self._drop()
                    return
            elif kind == "http500":
                self._send(_Response(500, pages.error_500_page()))
                return
            elif kind == "down":
                self._send(_Response(503, pages.down_page(), headers=[("Retry-After", "600")]))
                return
            elif kind == "drop":
                self._drop()
                return
            elif kind == "expire_session":
                self.portal._expire(self._cookies())
            elif kind == "hang" and not final_submit:
                self.portal._wait(HANG_SECONDS)
                self._drop()
                return
        try:
            response = self._route(method, path, query, body)
        except Exception:
            if self.portal.verbose:
                traceback.print_exc()
            response = _Response(500, pages.error_500_page())
        if kind == "lose_success":
            self.close_connection = True
            self._send(response, cut_after=100)
            self._drop()
        elif kind == "hang":
            self.portal._wait(HANG_SECONDS)
            self._drop()
        else:
            self._send(response)

    def _route(self, method: str, path: str, query: FormData, body: bytes) -> _Response:
        if path == "/":
            return _redirect("/login.do")
        if path == "/login.do":
            if method == "POST":
                return self._login(self._form(body))
            return _Response(200, pages.login_page())
        if path == "/logout.do":
            self.portal._logout(self._cookies())
            return _redirect("/login.do")
        if path == "/static/css/style.css":
            return _Response(200, pages.encode(pages.STYLE_SHEET), "text/css; charset=GBK",
                             [("Cache-Control", "max-age=3600")])
        expected = _PROTECTED.get(path)
        if expected is None:
            return _Response(404, pages.not_found_page(path))
        session = next((s for s in map(self.portal._session, self._cookies()) if s is not None), None)
        if session is None:
            return _Response(200, pages.timeout_page())
        if method != expected:
            return _Response(405, pages.status_page(405, f"HTTP method {method} is not supported by this URL"),
                             headers=[("Allow", expected)])
        if path == "/main.do":
            return _Response(200, pages.frameset_page())
        if path == "/top.do":
            return _Response(200, pages.top_page(session.username))
        if path == "/menu.do":
            return _Response(200, pages.menu_page())
        if path == "/welcome.do":
            return _Response(200, pages.welcome_page(session.username, session.login_time))
        if path in _FORM_PATHS:
            kind, step = _FORM_PATHS[path]
            form = _FORMS[kind]
            if step == "page":
                return _Response(200, form.page(self.portal._new_token(session, kind)))
            if step == "confirm":
                return self._confirm(session, form, self._form(body))
            return self._submit(session, form, self._form(body))
        return self._search(query)

    # ---- pages with logic --------------------------------------------------------------------------------------

    def _login(self, form: FormData) -> _Response:
        username = form.get("j_username").strip()
        session, error = self.portal._login(username, form.get("j_password"), self._cookies())
        if session is None:
            return _Response(200, pages.login_page(error, username))
        cookie = f"{COOKIE}={session.sid}; Path=/; HttpOnly"
        return _redirect("/main.do", [("Set-Cookie", cookie)])

    def _confirm(self, session: _Session, form: _Form, data: FormData) -> _Response:
        with self.portal._lock:
            known = session.tokens.get(data.get("token")) == form.kind  # a token of this session and this form
        if not known:
            return _Response(200, pages.alert_page("页面已失效，请重新打开申请页面"))
        values, problem = form.validate(data, dt.date.today())
        if problem:
            return _Response(200, pages.alert_page(problem))
        cid = secrets.token_hex(10)
        with self.portal._lock:
            session.pending[cid] = (form.kind, values)
        return _Response(200, form.confirm_page(values, cid))

    def _submit(self, session: _Session, form: _Form, data: FormData) -> _Response:
        with self.portal._lock:
            kind, values = session.pending.get(data.get("cid"), ("", {}))
        if kind != form.kind:  # unknown, of another session, or confirmed on another form
            return _Response(200, pages.alert_page("提交信息已失效，请重新填写"))
        record = self.portal.store.insert(values, username=session.username, session_id=session.sid, kind=kind)
        with self.portal._lock:
            self.portal._submits += 1
        return _Response(200, pages.success_page(record, form.title, f"/gt/{kind}.do"), record=record)

    def _search(self, query: FormData) -> _Response:
        zjhm, wbywh = query.get("zjhm").strip(), query.get("wbywh").strip()
        tyxydm, ywlx = query.get("tyxydm").strip(), query.get("ywlx").strip()
        if query.get("q") != "1":
            return _Response(200, pages.search_page())
        if not zjhm and not wbywh and not tyxydm:
            return _Response(200, pages.search_page(alert="请输入查询条件", ywlx=ywlx))
        if ywlx and ywlx not in _KIND_OF_TYPE:
            return _Response(200, pages.search_page(zjhm, wbywh, alert="业务类型不正确", tyxydm=tyxydm))
        kinds = [_KIND_OF_TYPE[ywlx]] if ywlx else list(APPLICATION_KINDS)
        found = [(record["created_at"], order, record["id"], record)
                 for order, kind in enumerate(kinds)
                 for record in self.portal.store.search(zjhm=zjhm or None, wbywh=wbywh or None,
                                                        tyxydm=tyxydm or None, kind=kind)]
        results = [record for *_, record in sorted(found, key=lambda item: item[:3])]
        return _Response(200, pages.search_page(zjhm, wbywh, results, tyxydm=tyxydm, ywlx=ywlx))

    # ---- admin -------------------------------------------------------------------------------------------------

    def _json(self, status: int, data: Any) -> None:
        body = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
        self._send(_Response(status, body, "application/json; charset=UTF-8", [("Cache-Control", "no-store")]))

    def _admin(self, method: str, path: str, body: bytes, query: FormData) -> None:
        portal = self.portal
        name = path[len("/__admin/"):].rstrip("/")
        allowed = {"records": "GET", "stats": "GET", "faults": "GET POST", "reset": "POST", "expire-sessions": "POST"}
        if name not in allowed:
            self._json(404, {"error": f"{path}: no such admin endpoint; known: "
                                      + ", ".join(f"/__admin/{n}" for n in allowed)})
            return
        if method not in allowed[name].split():
            self._json(405, {"error": f"{path}: use {' or '.join(allowed[name].split())}"})
            return
        data: Any = {}
        if method == "POST" and body.strip():
            try:
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                self._json(400, {"error": f"body: not valid UTF-8 JSON ({exc})"})
                return
            if not isinstance(data, dict):
                self._json(400, {"error": "body: must be a JSON object"})
                return
        if name == "records":
            form = query.get("form") or "establish"
            if form not in APPLICATION_KINDS:
                self._json(400, {"error": f"form: unknown form {form!r}; one of {', '.join(APPLICATION_KINDS)}",
                                 "field": "form"})
                return
            self._json(200, portal.records(form))
        elif name == "stats":
            self._json(200, portal.stats())
        elif name == "faults" and method == "GET":
            self._json(200, {"faults": [f.to_dict() for f in portal.faults()]})
        elif name == "faults":
            faults = data.get("faults")
            if not isinstance(faults, list):
                self._json(400, {"error": "faults: must be a list of fault objects, e.g. "
                                          '{"faults": [{"kind": "http500", "rate": 0.5}]}', "field": "faults"})
                return
            parsed: list[Fault] = []
            for index, item in enumerate(faults):
                try:
                    parsed.append(Fault.from_dict(item))
                except (TypeError, ValueError) as exc:
                    message = str(exc)
                    where = f"faults[{index}]"
                    match = re.match(r"Fault\.(\w+): ", message)
                    if match:
                        where = f"{where}.{match.group(1)}"
                        message = message[match.end():]
                    self._json(400, {"error": f"{where}: {message}", "field": where})
                    return
            portal.set_faults(parsed)
            self._json(200, {"faults": [f.to_dict() for f in parsed]})
        elif name == "reset":
            records = data.get("records", False)
            if not isinstance(records, bool):
                self._json(400, {"error": "records: must be true or false", "field": "records"})
                return
            portal.reset(records=records)
            self._json(200, {"reset": True, "records": records})
        else:
            self._json(200, {"expired": portal.expire_sessions()})


def serve(db_path: Path | str, host: str = "127.0.0.1", port: int = 8765, idle_timeout: float = 600.0,
          users: Mapping[str, str] = DEFAULT_USERS, max_sessions: int | None = None, seed: int | None = None, *,
          verbose: bool = False, on_start: Callable[[LegacyPortal], None] | None = None,
          stop: threading.Event | None = None) -> None:
    """Run a portal until Ctrl-C, SIGTERM or ``stop`` is set, then shut it down cleanly (blocking; the CLI's).

    :param on_start: called with the running portal (to print its URL).
    :param stop: an event that ends serving when set (for callers in other threads).
    """
    portal = LegacyPortal(db_path, host, port, idle_timeout, users, max_sessions, seed, verbose=verbose)
    done = stop or threading.Event()
    previous: Any = None
    in_main = threading.current_thread() is threading.main_thread()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    if in_main:
        previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        portal.start()
        if on_start is not None:
            on_start(portal)
        while not done.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        portal.stop()
        if in_main:
            signal.signal(signal.SIGTERM, previous)
