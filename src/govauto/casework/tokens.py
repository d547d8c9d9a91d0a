"""API tokens: how the systems that send cases (``POST /api/cases``) prove who they are.

A token is made for a named client system (``intake-portal``) and shown **once**, when it is made; the store keeps
only its SHA-256. A client sends it in every request as ``Authorization: Bearer <token>``::

    tokens = ApiTokens(store)
    token, secret = tokens.create("intake-portal", created_by="user:admin", expires_in=dt.timedelta(days=365))
    print(secret)                        # gva_...: hand it to the client's operators, it is never shown again
    tokens.verify(secret)                # the ApiToken, or None (unknown, revoked or expired)
    tokens.revoke(token.id)              # from now on refused

**Why SHA-256 and not argon2id** (which the reviewers' passwords use): a token is 256 random bits, so it cannot be
guessed, and a stolen hash cannot be reversed by trying candidates, however fast the hash. A slow hash protects
passwords people choose; for tokens it would only cost every API request tens of milliseconds and megabytes of
memory, an easy lever for denial of service. Tokens are compared by their hash, so the comparison does not leak
the token through timing.
"""

from __future__ import annotations

import builtins
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select, update

from govauto.errors import ApiTokenError
from govauto.store import Store
from govauto.store.casework_schema import api_tokens
from govauto.store.review import new_id

__all__ = ["TOKEN_PREFIX", "ApiToken", "ApiTokens"]

TOKEN_PREFIX = "gva_"
"""Every token starts with it, so that secret scanners and people can recognise one."""

_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
_LAST_USED_EVERY = timedelta(minutes=1)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def token_hash(token: str) -> str:
    """The SHA-256 (hex) of a token, as it is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiToken:
    """A token as the rest of govauto sees it (never the token itself).

    :ivar id: its public id (``tok...``): listed, revoked by, named in the audit trail.
    :ivar name: the client system it is for; API requests are audited as actor ``api:<name>``.
    """

    id: str
    name: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def actor(self) -> str:
        """The audit trail's actor for what the client does: ``api:<name>``."""
        return f"api:{self.name}"

    def valid_at(self, when: datetime) -> bool:
        """Not revoked, and not expired at ``when``."""
        return self.revoked_at is None and (self.expires_at is None or when < self.expires_at)

    @classmethod
    def _of(cls, m: Any) -> ApiToken:
        return cls(id=m["id"], name=m["name"], created_by=m["created_by"], created_at=m["created_at"],
                   expires_at=m["expires_at"], last_used_at=m["last_used_at"], revoked_at=m["revoked_at"])


class ApiTokens:
    """Create, check, list and revoke API tokens in a :class:`~govauto.store.Store`.

    :param clock: returns the current time (aware UTC); tests pass a fake clock.
    """

    def __init__(self, store: Store, *, clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self._clock = clock or _utcnow

    def __repr__(self) -> str:
        return f"ApiTokens({self.store.display_url!r})"

    def create(self, name: str, *, created_by: str, expires_in: timedelta | None = None) -> tuple[ApiToken, str]:
        """Make a token for the client system ``name``.

        :param name: 2-64 characters: lower-case letters, digits, ``.``, ``_``, ``-`` (upper case is folded). Several
            tokens may share a name (a new one before the old one is revoked).
        :param created_by: who made it, e.g. ``user:admin`` (kept with the token).
        :param expires_in: how long it is valid (default: until revoked).
        :returns: the token's record and the token itself, which is not stored and cannot be shown again.
        :raises ApiTokenError: an invalid name, an empty ``created_by`` or an expiry that is not in the future.
        """
        client = name.strip().lower() if isinstance(name, str) else ""
        if not _NAME.fullmatch(client):
            raise ApiTokenError(f"the client name {name!r} is not allowed: use 2-64 characters, letters, digits, '.', "
                                "'_' or '-', starting with a letter or digit (e.g. intake-portal)")
        if not isinstance(created_by, str) or not created_by.strip():
            raise ApiTokenError("say who creates the token (created_by), e.g. 'user:admin'")
        if expires_in is not None and expires_in <= timedelta(0):
            raise ApiTokenError(f"a token must be valid for some time; got {expires_in}")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self._clock()
        values = {"id": new_id("tok"), "name": client, "token_hash": token_hash(secret),
                  "created_by": created_by.strip(), "created_at": now,
                  "expires_at": now + expires_in if expires_in is not None else None,
                  "last_used_at": None, "revoked_at": None}
        with self.store.begin(write=True) as conn:
            conn.execute(insert(api_tokens).values(**values))
        return ApiToken._of(values), secret

    def verify(self, token: str) -> ApiToken | None:
        """The valid token this is, or ``None`` (unknown, revoked, expired, or not a token at all). Records when it
        was last used (at most once a minute)."""
        if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        with self.store.begin() as conn:
            row = conn.execute(select(api_tokens).where(api_tokens.c.token_hash == token_hash(token))).first()
        if row is None:
            return None
        found = ApiToken._of(row._mapping)
        now = self._clock()
        if not found.valid_at(now):
            return None
        if found.last_used_at is None or now - found.last_used_at >= _LAST_USED_EVERY:
            with self.store.begin(write=True) as conn:
                conn.execute(update(api_tokens).where(api_tokens.c.id == found.id).values(last_used_at=now))
        return found

    def get(self, token_id: str) -> ApiToken:
        """The token with this id. :raises ApiTokenError: no such token."""
        with self.store.begin() as conn:
            row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
        if row is None:
            raise ApiTokenError(f"no API token has the id {token_id!r}; `govauto users token list` shows them")
        return ApiToken._of(row._mapping)

    def list(self, *, name: str | None = None, valid_only: bool = False) -> builtins.list[ApiToken]:
        """Every token (optionally of one client, or only valid ones), newest first."""
        query = select(api_tokens).order_by(api_tokens.c.created_at.desc(), api_tokens.c.id.desc())
        if name is not None:
            query = query.where(api_tokens.c.name == name.strip().lower())
        now = self._clock()
        if valid_only:
            query = query.where(api_tokens.c.revoked_at.is_(None),
                                or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > now))
        with self.store.begin() as conn:
            return [ApiToken._of(row._mapping) for row in conn.execute(query)]

    def revoke(self, token_id: str) -> ApiToken:
        """Refuse the token from now on (it is kept, revoked, for the history).

        :raises ApiTokenError: no such token, or it is already revoked.
        """
        now = self._clock()
        with self.store.begin(write=True) as conn:
            row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
            if row is None:
                raise ApiTokenError(f"no API token has the id {token_id!r}; `govauto users token list` shows them")
            if row.revoked_at is not None:
                raise ApiTokenError(f"API token {token_id} ({row.name}) is already revoked")
            conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=now))
            return ApiToken._of({**row._mapping, "revoked_at": now})
