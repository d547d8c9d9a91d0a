"""Schema migrations on SQLite and PostgreSQL: a new database gets exactly the code's tables, a database of govauto
0.3.0 is checked, stamped and upgraded with its data, databases that do not fit are refused untouched, several
processes may open a new database at once; ``govauto db``; the developers' revision command; URLs and drivers."""

from __future__ import annotations

import importlib.util
import itertools
import json
import logging
import multiprocessing
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Column, Integer, String, Table, create_engine, exc, inspect, text
from typer.testing import CliRunner

from govauto.audit import AuditTrail
from govauto.errors import StoreError
from govauto.jobs import JobQueue
from govauto.store import migrate, open_store
from govauto.store._store import create_store_engine
from govauto.store.audit_schema import APPEND_ONLY_MESSAGE
from govauto.store.cli import db_app
from govauto.store.schema import metadata
from tests.store_backends import raw_execute, run_script

LEGACY = Path(__file__).resolve().parents[1] / "data" / "store_0_3_0"


def backend(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def assert_append_only(url: str) -> None:
    """UPDATE and DELETE of audit records fail (there is one at least: a trigger on no row does not fire)."""
    AuditTrail(open_store(url)).record("view", actor="user:zhang", case_id="C-guard")
    for statement in ("UPDATE audit_records SET actor = 'user:x'", "DELETE FROM audit_records"):
        with pytest.raises(exc.IntegrityError, match=APPEND_ONLY_MESSAGE):
            raw_execute(url, [statement])


# -- a new database -----------------------------------------------------------------------------------------------

def test_upgrade_makes_exactly_the_codes_tables(store_url: str) -> None:
    store = open_store(store_url)
    assert migrate.current(store) == migrate.head() == migrate.revisions()[-1].id
    assert migrate.differences(store) == []
    assert tables(store_url) == set(migrate.target_metadata().tables) | {migrate.VERSION_TABLE}
    assert_append_only(store_url)
    assert open_store(store_url) is not None and migrate.current(store) == migrate.head()  # nothing left to do
    result = migrate.upgrade(store)
    assert (result.before, result.after, result.changed) == (migrate.head(), migrate.head(), False)


def test_opening_logs_one_line_when_it_migrates_and_nothing_otherwise(store_url: str,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    open_store(store_url)
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert lines == [f"database {open_store(store_url).display_url}: schema upgraded from an empty database to "
                     f"{migrate.head()}"]
    assert "govauto:govauto@" not in lines[0]
    caplog.clear()
    open_store(store_url)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == []


def test_every_revision_runs_up_and_down(store_url: str) -> None:
    store = open_store(store_url, upgrade=False)
    assert tables(store_url) == set()
    first = migrate.upgrade(store, migrate.BASELINE)
    assert (first.before, first.after) == (None, migrate.BASELINE)
    assert "api_tokens" not in tables(store_url) and "audit_records" in tables(store_url)
    store.create_all()  # 0.3.0's name for the same thing
    assert migrate.current(store) == migrate.head() and migrate.differences(store) == []
    with store.begin(write=True) as conn:
        command.downgrade(migrate.config(conn), "base")
    assert tables(store_url) == {migrate.VERSION_TABLE} and migrate.current(store) is None
    assert migrate.upgrade(store).after == migrate.head() and migrate.differences(store) == []


def test_differences_are_named(store_url: str) -> None:
    store = open_store(store_url)
    raw_execute(store_url, ["DROP INDEX ix_jobs_case_id", "ALTER TABLE users ADD COLUMN nickname VARCHAR(20)"])
    found = migrate.differences(store)
    assert "add_index: ix_jobs_case_id on jobs (the code has it, the database lacks it)" in found
    assert "remove_column: users.nickname (the database has it, the code does not)" in found
    assert len(found) == 2, found


def _open(url: str) -> str | None:
    store = open_store(url)
    try:
        return migrate.current(store)
    finally:
        store.dispose()


def test_several_processes_open_a_new_database_at_once(store_url: str) -> None:
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("spawn")) as pool:
        revisions = list(pool.map(_open, [store_url] * 8))
    assert revisions == [migrate.head()] * 8
    engine = create_engine(store_url)
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT version_num FROM {migrate.VERSION_TABLE}")).scalars().all() == [
            migrate.head()]
    engine.dispose()
    assert migrate.differences(open_store(store_url)) == []


# -- databases of govauto 0.3.0 -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("dump", "had"), [("jobs_only", 4), ("complete", 11)])
def test_a_database_of_govauto_0_3_0_is_checked_stamped_and_upgraded(store_url: str, dump: str, had: int) -> None:
    run_script(store_url, (LEGACY / f"{dump}.{backend(store_url)}.sql").read_text("utf-8"))
    before = open_store(store_url, upgrade=False)
    assert migrate.current(before) is None and len(migrate.legacy_tables(before)) == had

    store = open_store(store_url)
    assert migrate.current(store) == migrate.head() and migrate.differences(store) == []
    assert_append_only(store_url)
    queue = JobQueue(store)
    assert sorted(job.status.value for job in queue.list()) == ["needs_review", "queued", "succeeded"]
    assert [e.event for e in queue.events(queue.list(status="succeeded")[0].id)] == ["submitted", "leased",
                                                                                     "succeeded"]
    trail = AuditTrail(store)
    old_records = 4 if dump == "complete" else 1  # the dump's, and assert_append_only's
    assert trail.verify().ok and trail.verify().records == old_records
    job = queue.lease("w1")  # the queued job of 0.3.0 runs on, and its audit records continue the old chain
    assert job is not None and job.case_id == "C-2026-0003"
    queue.mark_submitting(job.id, "w1")
    report = trail.verify()
    assert report.ok and report.records == old_records + 1
    assert [r.seq for r in trail.all()] == list(range(1, old_records + 2))


def test_a_0_3_0_database_changed_by_hand_is_refused_and_left_alone(store_url: str) -> None:
    run_script(store_url, (LEGACY / f"complete.{backend(store_url)}.sql").read_text("utf-8"))
    raw_execute(store_url, ["ALTER TABLE jobs ADD COLUMN note TEXT", "DROP INDEX ix_case_versions_matter"])
    with pytest.raises(StoreError) as info:
        open_store(store_url)
    message = str(info.value)
    assert "differ from 0.3.0's" in message and "Nothing was changed" in message
    assert "remove_column: jobs.note" in message and "add_index: ix_case_versions_matter on case_versions" in message
    assert migrate.VERSION_TABLE not in tables(store_url) and "api_tokens" not in tables(store_url)


def test_a_database_upgraded_by_a_newer_govauto_is_refused(store_url: str) -> None:
    open_store(store_url)
    raw_execute(store_url, [f"UPDATE {migrate.VERSION_TABLE} SET version_num = '0999'"])
    with pytest.raises(StoreError, match=r"revision 0999, which this govauto .* does not know: a newer govauto"):
        open_store(store_url)
    raw_execute(store_url, [f"UPDATE {migrate.VERSION_TABLE} SET version_num = '{migrate.head()}'"])
    with pytest.raises(StoreError, match="no schema revision '7777'; the revisions are 0001, "):
        migrate.upgrade(open_store(store_url), "7777")


def test_upgrading_to_an_older_revision_is_refused(store_url: str) -> None:
    store = open_store(store_url)
    with pytest.raises(StoreError, match="newer than 0001: govauto does not downgrade"):
        migrate.upgrade(store, migrate.BASELINE)


# -- govauto db ---------------------------------------------------------------------------------------------------

def db(url: str, *args: str) -> Any:
    return CliRunner().invoke(db_app, ["--db", url, *args])


def test_cli_on_a_new_database(store_url: str) -> None:
    head = migrate.head()
    result = db(store_url, "current")
    assert result.exit_code == 0, result.output
    assert "none: no govauto table yet" in result.output and "govauto:govauto@" not in result.output
    assert tables(store_url) == set()  # current changes nothing
    assert db(store_url, "check").exit_code == 1
    upgraded = db(store_url, "upgrade")
    assert upgraded.exit_code == 0 and f"upgraded from an empty database to {head}" in upgraded.output
    assert f"already at {head}, nothing to do" in db(store_url, "upgrade").output
    state = json.loads(db(store_url, "current", "--json").stdout)
    assert state["current"] == head and state["up_to_date"] is True and "***" in state["url"] + "***"
    checked = db(store_url, "check")
    assert checked.exit_code == 0 and "its tables match the code" in checked.output
    raw_execute(store_url, ["DROP INDEX ix_jobs_case_id"])
    broken = db(store_url, "check", "--json")
    assert broken.exit_code == 1
    assert json.loads(broken.stdout)["differences"] == [
        "add_index: ix_jobs_case_id on jobs (the code has it, the database lacks it)"]
    bad = db(store_url, "upgrade", "9999")
    assert bad.exit_code == 2 and "no schema revision '9999'" in bad.output


def test_cli_adopts_a_0_3_0_database(store_url: str) -> None:
    run_script(store_url, (LEGACY / f"jobs_only.{backend(store_url)}.sql").read_text("utf-8"))
    assert "4 table(s) of govauto 0.3.0" in db(store_url, "current").output
    result = db(store_url, "upgrade", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["before"] is None and data["after"] == migrate.head() and data["adopted"] is True
    assert "audit_records" in data["created"] and "jobs" not in data["created"]


def test_cli_history_needs_no_database() -> None:
    result = CliRunner().invoke(db_app, ["history", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in rows] == [r.id for r in migrate.revisions()]
    assert rows[0]["id"] == migrate.BASELINE and rows[0]["down_revision"] is None
    assert [row["head"] for row in rows].count(True) == 1 and rows[-1]["head"]
    assert all(row["down_revision"] == before["id"] for before, row in itertools.pairwise(rows))


def test_cli_reports_an_unreachable_server_with_exit_1() -> None:
    result = CliRunner().invoke(db_app, ["--db", "postgresql://ops:s3cret@127.0.0.1:1/govauto", "current"])
    assert result.exit_code == 1 and "s3cret" not in result.output and "ops:***@127.0.0.1:1" in result.output


def test_the_cli_is_registered() -> None:
    from govauto.cli import app

    result = CliRunner().invoke(app, ["db", "history"])
    assert result.exit_code == 0 and f"{migrate.BASELINE}  baseline" in result.output


# -- URLs and drivers ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg", "postgres+psycopg"])
def test_postgres_urls_use_psycopg_3(scheme: str) -> None:
    engine = create_store_engine(f"{scheme}://ops:s3cret@db.example:5432/govauto")
    assert engine.url.drivername == "postgresql+psycopg"
    assert engine.dialect.driver == "psycopg"


def test_a_missing_psycopg_is_named_with_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "psycopg" else real(name, *a))
    with pytest.raises(StoreError) as info:
        open_store("postgresql://ops:s3cret@db.example/govauto")
    message = str(info.value)
    assert "psycopg 3 driver" in message and "pip install 'govauto[cluster]'" in message
    assert "s3cret" not in message and "ops:***@db.example/govauto" in message


def test_other_databases_are_refused() -> None:
    with pytest.raises(StoreError, match="govauto runs on SQLite and PostgreSQL, not mysql"):
        open_store("mysql://ops:s3cret@db.example/govauto")


def test_an_unreachable_server_is_named_with_what_to_check() -> None:
    with pytest.raises(StoreError) as info:
        open_store("postgresql://ops:s3cret@127.0.0.1:1/govauto")
    message = str(info.value)
    assert "cannot be opened" in message and "check that the server is running" in message
    assert "s3cret" not in message and "GOVAUTO_DATABASE_URL" in message


# -- for govauto developers ---------------------------------------------------------------------------------------

def test_new_revision_writes_the_next_revision_from_the_codes_tables(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    shutil.copytree(migrate.MIGRATIONS_DIR / "versions", versions, ignore=shutil.ignore_patterns("__pycache__"))
    empty = migrate.new_revision("nothing yet", directory=versions)
    number = int(migrate.head()) + 1
    assert empty.name == f"{number:04d}_nothing_yet.py"
    upgrade = empty.read_text().split("def upgrade() -> None:")[1].split("def downgrade")[0]
    assert "pass" in upgrade and "op." not in upgrade
    empty.unlink()
    extra = Table("scratch_notes", metadata, Column("id", Integer, primary_key=True), Column("note", String(50)))
    try:
        written = migrate.new_revision("scratch notes", directory=versions)
    finally:
        metadata.remove(extra)
    source = written.read_text()
    assert written.name == f"{number:04d}_scratch_notes.py"
    assert f"down_revision: str | None = '{migrate.head()}'" in source
    assert "op.create_table('scratch_notes'" in source and "op.drop_table('scratch_notes')" in source
    assert migrate.main(["revision", "-m", " "]) == 1
