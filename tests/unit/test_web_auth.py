"""Sessions' signing key, the login throttle and who sees which group."""

from __future__ import annotations

from pathlib import Path

import pytest

from govauto.web import auth
from govauto.web.auth import LoginThrottle, Viewer, secret_key


def test_the_secret_key_comes_from_the_environment_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVAUTO_SECRET_KEY", "k" * 40)
    assert secret_key(tmp_path) == "k" * 40
    assert not (tmp_path / "secret_key").exists()


def test_the_secret_key_file_is_made_once_owner_only_and_reused(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVAUTO_SECRET_KEY", raising=False)
    first = secret_key(tmp_path / "home")
    path = tmp_path / "home" / "secret_key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert secret_key(tmp_path / "home") == first
    assert len(first) >= 64
    path.write_text("short\n")
    with pytest.raises(RuntimeError, match="shorter than 32"):
        secret_key(tmp_path / "home")


def test_the_throttle_blocks_after_the_limit_and_forgets_after_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: now[0])
    throttle = LoginThrottle(limit=3, window=60)
    for _ in range(3):
        assert not throttle.blocked("user:li", "ip:1.2.3.4")
        throttle.failed("user:li", "ip:1.2.3.4")
    assert throttle.blocked("user:li") and throttle.blocked("ip:1.2.3.4")
    assert throttle.blocked("user:zhang", "ip:1.2.3.4")  # the address is blocked for every name
    now[0] += 61
    assert not throttle.blocked("user:li", "ip:1.2.3.4")
    throttle.failed("user:li")
    throttle.succeeded("user:li")
    assert not throttle.blocked("user:li")


def test_the_throttle_does_not_grow_without_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: now[0])
    throttle = LoginThrottle(limit=3, window=10, max_keys=100)
    for i in range(100):
        throttle.failed(f"user:guess{i}")
    now[0] += 11
    throttle.failed("user:last")
    assert len(throttle._failures) == 1


def test_groups_a_viewer_sees() -> None:
    reviewer = Viewer("zhang", "reviewer", frozenset({"440305"}))
    supervisor = Viewer("chen", "supervisor", frozenset({"440305"}))
    admin = Viewer("root", "admin", frozenset())
    assert reviewer.sees_group("440305") and not reviewer.sees_group("110101")
    assert supervisor.sees_group("440305") and not supervisor.sees_group("110101")
    assert admin.sees_group("110101") and admin.is_supervisor and not reviewer.is_supervisor
