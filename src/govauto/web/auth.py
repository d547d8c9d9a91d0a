"""Who is using the reviewer web page: sessions, logging in and out, roles and the groups a person may see.

Sessions are Starlette's signed cookies (:class:`starlette.middleware.sessions.SessionMiddleware`): HttpOnly,
SameSite=Lax, ``Secure`` when the site is served over HTTPS (``GOVAUTO_WEB_HTTPS=1``), valid for
:data:`SESSION_MAX_AGE`. They hold the account name, when it logged in and the CSRF token; never a password. The
signing key is ``$GOVAUTO_SECRET_KEY``, else the file ``$GOVAUTO_HOME/secret_key`` (made on first start, mode
0600). Every request looks the account up again: a deactivated account, or one whose password changed after the
session began, is logged out.

Roles (:data:`ROLES`): a **reviewer** sees and acts on the tasks of their groups; a **supervisor** the same, and
may assign tasks in their groups; an **admin** sees every group.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections import deque
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.requests import HTTPConnection, Request

from govauto.web.csrf import CSRF_SESSION_KEY, new_csrf_token

__all__ = [
    "ROLES",
    "SECRET_ENV",
    "SESSION_COOKIE",
    "SESSION_MAX_AGE",
    "LoginRequired",
    "LoginThrottle",
    "Viewer",
    "current_user",
    "log_in",
    "log_out",
    "require_user",
    "secret_key",
]

SECRET_ENV = "GOVAUTO_SECRET_KEY"
SECRET_FILE = "secret_key"
SESSION_COOKIE = "govauto_session"
SESSION_MAX_AGE = 8 * 60 * 60
"""Seconds a login lasts: one working day."""

ROLES = ("reviewer", "supervisor", "admin")

_USER_KEY = "user"
_LOGIN_AT_KEY = "login_at"


def secret_key(home: Path) -> str:
    """The key that signs session cookies: ``$GOVAUTO_SECRET_KEY``, else ``home/secret_key`` (created with 64
    random bytes and mode 0600 when it does not exist; never readable by others)."""
    configured = os.environ.get(SECRET_ENV)
    if configured:
        return configured
    path = home / SECRET_FILE
    home.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text("ascii").strip()
        if len(key) < 32:
            raise RuntimeError(f"{path} holds a key shorter than 32 characters: delete it to make a new one, or set "
                               f"{SECRET_ENV}") from None
        return key
    key = secrets.token_urlsafe(64)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


@dataclass(frozen=True)
class Viewer:
    """The logged-in person as the web page sees them: name, role and groups."""

    name: str
    role: str
    groups: frozenset[str]
    display_name: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_supervisor(self) -> bool:
        return self.role in ("supervisor", "admin")

    def sees_group(self, group: str) -> bool:
        """Whether this person may see and act on the tasks of ``group``."""
        return self.is_admin or group in self.groups

    @classmethod
    def of(cls, user: Any) -> Viewer:
        """From a :class:`govauto.casework.User` (anything with ``username``, ``role``, ``groups``)."""
        name = str(user.username)
        return cls(name=name, role=str(user.role), groups=frozenset(str(g) for g in user.groups),
                   display_name=str(getattr(user, "display_name", "") or name))


class LoginRequired(Exception):
    """Raised by :func:`require_user` when nobody is logged in: the app sends the browser to ``/login``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def log_in(request: Request, user: Viewer) -> None:
    """Start a new session for ``user``: the old session's content (and CSRF token) is dropped first."""
    session: MutableMapping[str, Any] = request.session
    session.clear()
    session[_USER_KEY] = user.name
    session[_LOGIN_AT_KEY] = time.time()
    session[CSRF_SESSION_KEY] = new_csrf_token()


def log_out(request: Request) -> None:
    """End the session (the browser's cookie is cleared)."""
    request.session.clear()


def current_user(request: HTTPConnection, accounts: Any) -> Viewer | None:
    """The logged-in person, looked up again in ``accounts``; ``None`` when nobody is, or the account is gone,
    deactivated, or its password changed after the session began (the session is then cleared)."""
    cached = getattr(request.state, "viewer", None)
    if isinstance(cached, Viewer):
        return cached
    session: MutableMapping[str, Any] = request.session
    name = session.get(_USER_KEY)
    if not isinstance(name, str):
        return None
    user = accounts.find(name)
    login_at = session.get(_LOGIN_AT_KEY)
    if user is None or not getattr(user, "active", True) or not isinstance(login_at, (int, float)) \
            or _changed_after(getattr(user, "password_changed_at", None), float(login_at)):
        session.clear()
        return None
    viewer = Viewer.of(user)
    request.state.viewer = viewer
    return viewer


def require_user(request: Request, accounts: Any) -> Viewer:
    """The logged-in person, or :class:`LoginRequired` (the app redirects to the login page)."""
    viewer = current_user(request, accounts)
    if viewer is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path if request.method == "GET" else "/")
    return viewer


def _changed_after(changed: datetime | None, login_at: float) -> bool:
    if changed is None:
        return False
    if changed.tzinfo is None:
        changed = changed.replace(tzinfo=UTC)
    return changed.timestamp() > login_at + 1e-3


@dataclass
class LoginThrottle:
    """Slows down password guessing: after ``limit`` failed logins for one account name, or from one address,
    within ``window`` seconds, further attempts are refused until the oldest failure is ``window`` old."""

    limit: int = 5
    window: float = 15 * 60
    max_keys: int = 10_000
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def blocked(self, *keys: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(key, now)) >= self.limit for key in keys)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)
            if len(self._failures) > self.max_keys:  # many names tried: forget those with no recent failure
                for key in [k for k, times in self._failures.items() if not times or now - times[-1] > self.window]:
                    del self._failures[key]

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        return times
