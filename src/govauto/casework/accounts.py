"""Reviewer accounts: user names, roles, groups and argon2id password hashes (never a password).

Roles: ``reviewer`` (decides the tasks of their groups), ``supervisor`` (acts on any task, assigns, confirms,
receives escalated tasks of their groups), ``admin`` (manages accounts; acts like a supervisor on tasks)::

    accounts = Accounts(store)
    accounts.add_user("zhang", "a long passphrase", role="reviewer", groups=["440305"], display_name="张三")
    user = accounts.authenticate("zhang", password)      # a User, or None (wrong password, unknown, inactive)

Passwords are hashed with argon2id (argon2-cffi's :class:`~argon2.PasswordHasher`, RFC 9106 low-memory profile by
default). A login for an unknown or inactive user verifies against a dummy hash, so it takes as long as a wrong
password and does not reveal which names exist. A hash made with older parameters is replaced at the next
successful login. Neither passwords nor hashes appear in messages, ``repr`` or logs.
"""

from __future__ import annotations

import builtins
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast, get_args

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from govauto.errors import AccountError, AccountNotFoundError
from govauto.store import Store
from govauto.store.casework_schema import user_groups, users

__all__ = ["ROLES", "SUPERVISOR_ROLES", "SYSTEM_ACTOR", "Accounts", "Role", "User"]

Role = Literal["reviewer", "supervisor", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
SUPERVISOR_ROLES: frozenset[str] = frozenset({"supervisor", "admin"})
"""Roles that may act on any group's tasks, assign tasks and confirm four-eyes decisions."""

SYSTEM_ACTOR = "system"
"""The actor name of automatic steps (routing, escalation); reserved: no account can be named so."""

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
_RESERVED = frozenset({SYSTEM_ACTOR, "machine", "robot"})


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class User:
    """An account as the rest of govauto sees it (no password hash).

    :ivar username: the login name, lower case.
    :ivar role: ``reviewer``, ``supervisor`` or ``admin``.
    :ivar groups: the reviewers' groups the user works for, sorted (a group is e.g. an authority's division code).
    :ivar active: inactive accounts cannot log in or act on tasks (they are kept for the history).
    """

    username: str
    display_name: str
    role: Role
    groups: tuple[str, ...]
    active: bool
    created_at: datetime
    password_changed_at: datetime

    @property
    def is_supervisor(self) -> bool:
        """A supervisor or admin: may act on every group's tasks, assign them and confirm decisions."""
        return self.role in SUPERVISOR_ROLES

    def in_group(self, group: str) -> bool:
        return group in self.groups


def normalise_username(username: str) -> str:
    """User names are compared in lower case, without surrounding spaces."""
    return username.strip().lower()


def load_user(conn: Connection, username: str) -> User | None:
    """The account named ``username`` read in the caller's transaction, or ``None``."""
    row = conn.execute(select(users).where(users.c.username == normalise_username(username))).first()
    if row is None:
        return None
    groups = conn.execute(select(user_groups.c.group_name).where(user_groups.c.username == row.username)
                          .order_by(user_groups.c.group_name)).scalars().all()
    return _user(row._mapping, groups)


def group_members(conn: Connection, group: str, *, active: bool | None = True) -> list[User]:
    """The accounts in ``group`` (by default only active ones), ordered by user name, in the caller's transaction."""
    query = (select(users).join(user_groups, user_groups.c.username == users.c.username)
             .where(user_groups.c.group_name == group).order_by(users.c.username))
    if active is not None:
        query = query.where(users.c.active == active)
    return [_with_groups(conn, row._mapping) for row in conn.execute(query)]


def _with_groups(conn: Connection, m: Any) -> User:
    groups = conn.execute(select(user_groups.c.group_name).where(user_groups.c.username == m["username"])
                          .order_by(user_groups.c.group_name)).scalars().all()
    return _user(m, groups)


def _user(m: Any, groups: Iterable[str]) -> User:
    return User(username=m["username"], display_name=m["display_name"], role=cast(Role, m["role"]),
                groups=tuple(groups), active=bool(m["active"]), created_at=m["created_at"],
                password_changed_at=m["password_changed_at"])


_dummy_lock = threading.Lock()
_dummy_hashes: dict[tuple[int, int, int, int, int], str] = {}


class Accounts:
    """Create, change and authenticate reviewer accounts in a :class:`~govauto.store.Store`.

    :param hasher: the argon2id hasher (default: argon2-cffi's defaults, RFC 9106 low-memory profile). Tests pass
        a cheaper one; a hasher of another argon2 type is refused.
    :param min_password_length: the shortest password accepted (default 10 characters).
    :param clock: returns the current time (aware UTC); tests pass a fake clock.
    :raises AccountError: the hasher is not argon2id.
    """

    def __init__(self, store: Store, *, hasher: PasswordHasher | None = None,
                 min_password_length: int = MIN_PASSWORD_LENGTH, clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.hasher = hasher or PasswordHasher()
        if self.hasher.type is not Type.ID:
            raise AccountError(f"passwords are hashed with argon2id; the hasher given uses {self.hasher.type.name}: "
                               "create it with PasswordHasher(type=argon2.Type.ID)")
        self.min_password_length = min_password_length
        self._clock = clock or _utcnow

    def __repr__(self) -> str:
        return f"Accounts({self.store.display_url!r})"

    # -- managing -----------------------------------------------------------------------------------------------

    def add_user(self, username: str, password: str, *, role: Role, groups: Iterable[str] = (),
                 display_name: str | None = None) -> User:
        """Create an active account.

        :param username: 2-64 characters: lower-case letters, digits, ``.``, ``_``, ``-`` (upper case is folded).
        :param password: at least ``min_password_length`` characters; only its argon2id hash is stored.
        :param role: ``reviewer``, ``supervisor`` or ``admin``.
        :param groups: the reviewers' groups the user works for.
        :param display_name: the name shown to people and on notices (default: the user name).
        :raises AccountError: the name is invalid, reserved or taken, the role unknown, the password too short.
        """
        name = self._valid_name(username)
        self._valid_role(role)
        group_names = self._valid_groups(groups)
        hashed = self._hash(password)
        shown = (display_name or "").strip() or name
        if len(shown) > 200:
            raise AccountError(f"a display name has at most 200 characters, got {len(shown)}")
        now = self._clock()
        try:
            with self.store.begin(write=True) as conn:
                if conn.execute(select(users.c.username).where(users.c.username == name)).first() is not None:
                    raise AccountError(f"the user name {name!r} is taken; choose another, or change that account "
                                       "with set_password / set_role / set_groups")
                conn.execute(insert(users).values(username=name, display_name=shown, role=role, password_hash=hashed,
                                                  active=True, created_at=now, updated_at=now,
                                                  password_changed_at=now))
                for group in group_names:
                    conn.execute(insert(user_groups).values(username=name, group_name=group))
                return self._must(conn, name)
        except IntegrityError:
            raise AccountError(f"the user name {name!r} is taken; choose another") from None

    def set_password(self, username: str, password: str) -> None:
        """Replace the user's password (its hash). :raises AccountNotFoundError: no such user.
        :raises AccountError: the password does not meet the policy."""
        hashed = self._hash(password)
        now = self._clock()
        with self.store.begin(write=True) as conn:
            user = self._must(conn, username)
            conn.execute(update(users).where(users.c.username == user.username)
                         .values(password_hash=hashed, password_changed_at=now, updated_at=now))

    def set_role(self, username: str, role: Role) -> User:
        """Change the user's role. :raises AccountNotFoundError: no such user. :raises AccountError: unknown role."""
        self._valid_role(role)
        with self.store.begin(write=True) as conn:
            user = self._must(conn, username)
            conn.execute(update(users).where(users.c.username == user.username)
                         .values(role=role, updated_at=self._clock()))
            return self._must(conn, user.username)

    def set_groups(self, username: str, groups: Iterable[str]) -> User:
        """Replace the user's groups. :raises AccountNotFoundError: no such user."""
        group_names = self._valid_groups(groups)
        with self.store.begin(write=True) as conn:
            user = self._must(conn, username)
            conn.execute(delete(user_groups).where(user_groups.c.username == user.username))
            for group in group_names:
                conn.execute(insert(user_groups).values(username=user.username, group_name=group))
            conn.execute(update(users).where(users.c.username == user.username).values(updated_at=self._clock()))
            return self._must(conn, user.username)

    def set_active(self, username: str, active: bool) -> User:
        """Deactivate (or reactivate) an account: an inactive one cannot log in or act on tasks; its name stays in
        the history. :raises AccountNotFoundError: no such user."""
        with self.store.begin(write=True) as conn:
            user = self._must(conn, username)
            conn.execute(update(users).where(users.c.username == user.username)
                         .values(active=active, updated_at=self._clock()))
            return self._must(conn, user.username)

    # -- reading ------------------------------------------------------------------------------------------------

    def get(self, username: str) -> User:
        """The account. :raises AccountNotFoundError: no such user."""
        with self.store.begin() as conn:
            return self._must(conn, username)

    def find(self, username: str) -> User | None:
        """The account, or ``None``."""
        with self.store.begin() as conn:
            return load_user(conn, username)

    def list(self, *, role: Role | None = None, active: bool | None = None) -> builtins.list[User]:
        """Every account, by user name, optionally only one role or only (in)active ones."""
        query = select(users).order_by(users.c.username)
        if role is not None:
            query = query.where(users.c.role == role)
        if active is not None:
            query = query.where(users.c.active == active)
        with self.store.begin() as conn:
            return [_with_groups(conn, row._mapping) for row in conn.execute(query)]

    def members(self, group: str, *, role: Role | None = None, active: bool | None = True) -> builtins.list[User]:
        """The accounts in ``group``, by user name: by default the active ones of any role."""
        with self.store.begin() as conn:
            found = group_members(conn, group, active=active)
        return [u for u in found if role is None or u.role == role]

    def groups(self) -> builtins.list[str]:
        """Every group some account belongs to, sorted."""
        with self.store.begin() as conn:
            return builtins.list(conn.execute(select(user_groups.c.group_name).distinct()
                                              .order_by(user_groups.c.group_name)).scalars())

    def count(self) -> int:
        """How many accounts exist (e.g. to offer creating the first admin)."""
        with self.store.begin() as conn:
            return int(conn.execute(select(func.count()).select_from(users)).scalar_one())

    # -- logging in ---------------------------------------------------------------------------------------------

    def authenticate(self, username: str, password: str) -> User | None:
        """The active account whose password this is, else ``None`` (wrong password, unknown or inactive user).

        Unknown and inactive users cost one argon2 verification too, like a wrong password. After a successful
        login, a hash made with other parameters than the hasher's is replaced by a new one.
        """
        name = normalise_username(username) if isinstance(username, str) else ""
        if not isinstance(password, str):
            password = ""  # never matches (passwords have a minimum length); still costs a verification
        with self.store.begin() as conn:
            row = conn.execute(select(users).where(users.c.username == name)).first() if name else None
        if row is None:
            self._verify_dummy(password)
            return None
        stored: str = row.password_hash
        try:
            self.hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if not row.active:
            return None
        if self.hasher.check_needs_rehash(stored):
            rehashed = self.hasher.hash(password)
            with self.store.begin(write=True) as conn:  # only if nobody changed the password meanwhile
                conn.execute(update(users).where(users.c.username == name, users.c.password_hash == stored)
                             .values(password_hash=rehashed))
        return self.get(name)

    # -- helpers ------------------------------------------------------------------------------------------------

    def _verify_dummy(self, password: str) -> None:
        h = self.hasher
        key = (h.time_cost, h.memory_cost, h.parallelism, h.hash_len, h.salt_len)
        with _dummy_lock:
            dummy = _dummy_hashes.get(key)
            if dummy is None:
                dummy = _dummy_hashes[key] = h.hash(secrets.token_urlsafe(24))
        try:
            h.verify(dummy, password if isinstance(password, str) else "")
        except (VerificationError, InvalidHashError):
            pass

    def _hash(self, password: str) -> str:
        if not isinstance(password, str):
            raise AccountError(f"a password must be text, got {type(password).__name__}")
        if len(password) < self.min_password_length or not password.strip():
            raise AccountError(f"the password is too short: use at least {self.min_password_length} characters "
                               "(a passphrase of several words is easy to remember)")
        if len(password) > MAX_PASSWORD_LENGTH:
            raise AccountError(f"the password is longer than {MAX_PASSWORD_LENGTH} characters")
        return self.hasher.hash(password)

    @staticmethod
    def _valid_name(username: str) -> str:
        if not isinstance(username, str):
            raise AccountError(f"a user name must be text, got {type(username).__name__}")
        name = normalise_username(username)
        if not _USERNAME.fullmatch(name):
            raise AccountError(f"the user name {username!r} is not allowed: use 2-64 characters, letters, digits, "
                               "'.', '_' or '-', starting with a letter or digit (e.g. zhang.san)")
        if name in _RESERVED:
            raise AccountError(f"the user name {name!r} is reserved for govauto's own steps; choose another")
        return name

    @staticmethod
    def _valid_role(role: str) -> None:
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")

    @staticmethod
    def _valid_groups(groups: Iterable[str]) -> builtins.list[str]:
        if isinstance(groups, str):
            raise AccountError(f"groups must be a list of group names, got the string {groups!r}; write [{groups!r}]")
        names: builtins.list[str] = []
        for group in groups:
            if not isinstance(group, str) or not group.strip() or len(group.strip()) > 100:
                raise AccountError(f"a group name must be 1-100 characters of text, got {group!r}")
            if group.strip() not in names:
                names.append(group.strip())
        return sorted(names)

    @staticmethod
    def _must(conn: Connection, username: str) -> User:
        user = load_user(conn, username)
        if user is None:
            raise AccountNotFoundError(normalise_username(username))
        return user
