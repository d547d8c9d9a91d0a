"""Reviewer accounts: argon2id hashes only, authentication, rehashing, and the account rules (on SQLite and
PostgreSQL: the ``store_url`` fixture)."""

from __future__ import annotations

from typing import Literal

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import Text, cast, select

from govauto.casework import Accounts
from govauto.errors import AccountError, AccountNotFoundError
from govauto.store import Store, open_store
from govauto.store.casework_schema import users
from govauto.store.migrate import target_metadata

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery staple"


@pytest.fixture
def store(store_url: str) -> Store:
    return open_store(store_url)


@pytest.fixture
def accounts(store: Store) -> Accounts:
    return Accounts(store, hasher=CHEAP)


def stored_hash(store: Store, username: str) -> str:
    with store.begin() as conn:
        return str(conn.execute(select(users.c.password_hash).where(users.c.username == username)).scalar_one())


def test_authenticate_ok_bad_and_unknown(accounts: Accounts) -> None:
    created = accounts.add_user("Zhang.San", PASSWORD, role="reviewer", groups=["440305", "440306", "440305"],
                                display_name="张三")
    assert (created.username, created.display_name, created.role) == ("zhang.san", "张三", "reviewer")
    assert created.groups == ("440305", "440306") and created.active and not created.is_supervisor
    user = accounts.authenticate(" ZHANG.san ", PASSWORD)
    assert user is not None and user.username == "zhang.san"
    assert accounts.authenticate("zhang.san", PASSWORD + "!") is None
    assert accounts.authenticate("zhang.san", "") is None
    assert accounts.authenticate("nobody", PASSWORD) is None
    assert accounts.authenticate("", PASSWORD) is None


class CountingHasher(PasswordHasher):
    """A cheap argon2id hasher that records the hashes it verifies against."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.calls: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.calls.append(str(hash)[:10])
        return super().verify(hash, password)


def test_unknown_and_inactive_users_cost_a_verification_too(store: Store) -> None:
    hasher = CountingHasher()
    accounts = Accounts(store, hasher=hasher)
    accounts.add_user("li", PASSWORD, role="reviewer")
    calls = hasher.calls
    assert accounts.authenticate("ghost", PASSWORD) is None
    accounts.set_active("li", False)
    assert accounts.authenticate("li", PASSWORD) is None
    assert accounts.authenticate("li", "wrong password here") is None
    assert calls == ["$argon2id$"] * 3
    accounts.set_active("li", True)
    assert accounts.authenticate("li", PASSWORD) is not None


def everything_stored(store: Store) -> str:
    """Every value of every govauto table, as text."""
    with store.begin() as conn:
        return "\n".join(str(value) for table in target_metadata().sorted_tables
                         for row in conn.execute(select(*(cast(c, Text) for c in table.columns)))
                         for value in row)


def test_only_argon2id_hashes_are_stored_never_the_password(accounts: Accounts, store: Store) -> None:
    accounts.add_user("wang", PASSWORD, role="supervisor", groups=["440305"])
    hashed = stored_hash(store, "wang")
    assert hashed.startswith("$argon2id$v=19$") and PASSWORD not in hashed
    assert CHEAP.verify(hashed, PASSWORD)
    accounts.set_password("wang", "another long passphrase")
    assert stored_hash(store, "wang") != hashed
    assert accounts.authenticate("wang", PASSWORD) is None
    assert accounts.authenticate("wang", "another long passphrase") is not None
    stored = everything_stored(store)
    assert "$argon2id$" in stored and "wang" in stored
    assert PASSWORD not in stored and "another long passphrase" not in stored
    assert "password_hash" not in repr(accounts.get("wang"))


def test_a_hash_with_old_parameters_is_replaced_at_login(store: Store) -> None:
    Accounts(store, hasher=CHEAP).add_user("chen", PASSWORD, role="reviewer")
    old = stored_hash(store, "chen")
    stronger = Accounts(store, hasher=PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    assert stronger.authenticate("chen", "wrong password here") is None
    assert stored_hash(store, "chen") == old  # a failed login changes nothing
    assert stronger.authenticate("chen", PASSWORD) is not None
    new = stored_hash(store, "chen")
    assert new != old and "m=16,t=2,p=1" in new
    assert stronger.authenticate("chen", PASSWORD) is not None and stored_hash(store, "chen") == new


def test_account_rules(accounts: Accounts, store: Store) -> None:
    with pytest.raises(AccountError, match="too short") as short:
        accounts.add_user("zhao", "s3cret!", role="reviewer")
    assert "s3cret!" not in str(short.value)
    with pytest.raises(AccountError, match="unknown role 'boss'"):
        accounts.add_user("zhao", PASSWORD, role="boss")  # type: ignore[arg-type]
    with pytest.raises(AccountError, match="not allowed"):
        accounts.add_user("张三", PASSWORD, role="reviewer")
    with pytest.raises(AccountError, match="reserved"):
        accounts.add_user("system", PASSWORD, role="admin")
    with pytest.raises(AccountError, match="list of group names"):
        accounts.add_user("zhao", PASSWORD, role="reviewer", groups="440305")
    accounts.add_user("zhao", PASSWORD, role="reviewer")
    with pytest.raises(AccountError, match="taken"):
        accounts.add_user("ZHAO", PASSWORD, role="reviewer")
    with pytest.raises(AccountNotFoundError, match="'ghost'"):
        accounts.get("ghost")
    with pytest.raises(AccountNotFoundError):
        accounts.set_password("ghost", PASSWORD)
    with pytest.raises(AccountError, match="argon2id"):
        Accounts(store, hasher=PasswordHasher(type=Type.I))


def test_groups_members_and_roles(accounts: Accounts) -> None:
    accounts.add_user("zhang", PASSWORD, role="reviewer", groups=["440305"])
    accounts.add_user("li", PASSWORD, role="reviewer", groups=["440305", "440306"])
    accounts.add_user("chen", PASSWORD, role="supervisor", groups=["440305"])
    accounts.add_user("root", PASSWORD, role="admin")
    assert accounts.groups() == ["440305", "440306"]
    assert [u.username for u in accounts.members("440305")] == ["chen", "li", "zhang"]
    assert [u.username for u in accounts.members("440305", role="reviewer")] == ["li", "zhang"]
    accounts.set_active("li", False)
    assert [u.username for u in accounts.members("440305")] == ["chen", "zhang"]
    assert [u.username for u in accounts.members("440305", active=None)] == ["chen", "li", "zhang"]
    assert accounts.set_groups("zhang", ["440306"]).groups == ("440306",)
    assert accounts.set_role("zhang", "supervisor").is_supervisor
    assert [u.username for u in accounts.list(role="admin")] == ["root"]
    assert accounts.count() == 4 and accounts.find("nobody") is None
