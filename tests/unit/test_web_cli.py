"""``govauto users ...`` and ``govauto serve``'s options (the lead registers both in ``govauto.cli``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from govauto.casework import Accounts
from govauto.store import open_store
from govauto.web.cli import serve_command, users_app

runner = CliRunner()


def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(users_app, name="users")
    app.command("serve")(serve_command)
    return app


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'govauto.db'}"


def test_users_add_reads_the_password_from_stdin_and_stores_only_a_hash(db: str) -> None:
    result = runner.invoke(cli(), ["users", "add", "zhang", "--role", "reviewer", "--group", "440305", "--group",
                                   "440306", "--display-name", "张三", "--password-stdin", "--db", db],
                           input="a long passphrase\n")
    assert result.exit_code == 0, result.output
    assert "added zhang (reviewer; groups: 440305, 440306)" in result.output
    accounts = Accounts(open_store(db))
    user = accounts.authenticate("zhang", "a long passphrase")
    assert user is not None and user.groups == ("440305", "440306") and user.display_name == "张三"
    assert "a long passphrase" not in result.output
    with open_store(db).begin() as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM users").scalar_one()
    assert stored.startswith("$argon2id$")


def test_users_add_refuses_bad_input_with_exit_code_2(db: str) -> None:
    bad_role = runner.invoke(cli(), ["users", "add", "zhang", "--role", "boss", "--password-stdin", "--db", db],
                             input="a long passphrase\n")
    assert bad_role.exit_code == 2 and "boss" in bad_role.output
    short = runner.invoke(cli(), ["users", "add", "zhang", "--password-stdin", "--db", db], input="short\n")
    assert short.exit_code == 2
    empty = runner.invoke(cli(), ["users", "add", "zhang", "--password-stdin", "--db", db], input="\n")
    assert empty.exit_code == 2 and "no password" in empty.output
    assert runner.invoke(cli(), ["users", "add", "zhang", "--password-stdin", "--db", db],
                         input="a long passphrase\n").exit_code == 0
    taken = runner.invoke(cli(), ["users", "add", "zhang", "--password-stdin", "--db", db],
                          input="a long passphrase\n")
    assert taken.exit_code == 2 and "taken" in taken.output


def test_users_list_set_and_passwd(db: str) -> None:
    runner.invoke(cli(), ["users", "add", "li", "--group", "440305", "--password-stdin", "--db", db],
                  input="a long passphrase\n")
    changed = runner.invoke(cli(), ["users", "set", "li", "--role", "supervisor", "--group", "110101", "--inactive",
                                    "--db", db])
    assert changed.exit_code == 0, changed.output
    assert "li: supervisor; groups: 110101; inactive" in changed.output
    listed = runner.invoke(cli(), ["users", "list", "--db", db])
    assert "li" in listed.output and "supervisor" in listed.output and "no" in listed.output
    runner.invoke(cli(), ["users", "set", "li", "--active", "--db", db])
    assert runner.invoke(cli(), ["users", "passwd", "li", "--password-stdin", "--db", db],
                         input="another long one\n").exit_code == 0
    assert Accounts(open_store(db)).authenticate("li", "another long one") is not None
    missing = runner.invoke(cli(), ["users", "passwd", "nobody", "--password-stdin", "--db", db],
                            input="another long one\n")
    assert missing.exit_code == 2


def test_serve_has_the_documented_options() -> None:
    result = runner.invoke(cli(), ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--host", "--port", "--db", "--https"):
        assert option in result.output
    assert "127.0.0.1" in result.output and "8000" in result.output


def test_serve_reports_a_database_it_cannot_open(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = runner.invoke(cli(), ["serve", "--db", f"sqlite:///{blocker}/sub/govauto.db"])
    assert result.exit_code == 1
    assert "error:" in result.output
