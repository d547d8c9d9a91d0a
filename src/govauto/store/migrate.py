"""Schema migrations: the database's tables are made and changed by Alembic revisions shipped in the package.

:func:`~govauto.store.open_store` calls :func:`upgrade`, so a new database gets every table and an older one the
revisions it lacks; ``govauto db upgrade|current|history|check`` does the same by hand. The revisions live in
``govauto/store/migrations/versions/`` (``0001`` is the baseline: the tables of govauto 0.3.0) and the schema's
revision is kept in the table ``govauto_alembic_version`` (not Alembic's default ``alembic_version``, so that
govauto can share a database with an application that has its own migrations)::

    from govauto.store import open_store
    from govauto.store import migrate

    store = open_store(url, upgrade=False)   # as it is
    migrate.current(store)                   # "0001", or None for an empty database (or one of govauto 0.3.0)
    migrate.upgrade(store)                   # what open_store() does
    migrate.differences(store)               # [] when the tables match the code exactly

**Several processes at once.** :func:`upgrade` first reads the revision without a lock and returns at once when
it is the newest. Otherwise it takes a lock for the whole migration (PostgreSQL: a transaction-scoped advisory
lock; SQLite: the write lock, ``BEGIN IMMEDIATE``), reads the revision again and runs what is left in that one
transaction: a second process waits, then finds nothing to do. Both databases run DDL in transactions, so a
migration that fails leaves the database as it was.

**Databases of govauto 0.3.0** were made without migrations (tables present, no revision table). They are
checked against the baseline's tables, missing tables are created (a 0.3.0 database made before the audit trail
and casework existed has only the job tables), the audit table's append-only guards are added, the baseline is
recorded ("stamped"), and the later revisions run. Tables that differ from the baseline stop the upgrade with a
:class:`~govauto.errors.StoreError` listing the differences: nothing is changed then.

**Adding a revision** (govauto developers): change the tables in ``govauto/store/*_schema.py``, then run
``python -m govauto.store.migrate revision -m "what changed"``: it writes
``migrations/versions/NNNN_what_changed.py`` with the operations Alembic finds by comparing a database at the
newest revision with the code's tables. Read and complete it (data migrations, SQLite's batch mode for column
changes), then run the tests: ``tests/unit/test_store_migrations.py`` checks that upgrading gives exactly the
code's tables on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import functools
import logging
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, MetaData, inspect, text

from govauto.errors import StoreError
from govauto.store._store import Store, _import_table_modules, create_store_engine
from govauto.store.schema import metadata

__all__ = [
    "BASELINE",
    "MIGRATIONS_DIR",
    "VERSION_TABLE",
    "Revision",
    "UpgradeResult",
    "config",
    "current",
    "describe_difference",
    "differences",
    "head",
    "legacy_tables",
    "new_revision",
    "revisions",
    "target_metadata",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
"""Alembic's script directory: ``env.py``, the revision template and ``versions/``."""

VERSION_TABLE = "govauto_alembic_version"
"""The table that holds the database's schema revision."""

BASELINE = "0001"
"""The first revision: every table of govauto 0.3.0."""

_PG_LOCK_KEY = 7261746  # PostgreSQL advisory lock that serialises migrations (7261747: leases, 7261748: audit)
log = logging.getLogger("govauto.store")


@dataclass(frozen=True)
class Revision:
    """One migration: its id (``0001``), what it does, the revision it follows (``None`` for the baseline)."""

    id: str
    message: str
    down_revision: str | None
    is_head: bool


@dataclass(frozen=True)
class UpgradeResult:
    """What :func:`upgrade` did: the revision before (``None``: an empty database or one of govauto 0.3.0) and
    after, whether a 0.3.0 database was adopted (checked and stamped), and the tables created while adopting it."""

    before: str | None
    after: str | None
    adopted: bool = False
    created: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.before != self.after or self.adopted


def target_metadata() -> MetaData:
    """govauto's tables, every table module imported: what the newest revision must produce."""
    _import_table_modules()
    return metadata


def include_name(name: str | None, type_: str, _parent_names: Any) -> bool:
    """Alembic's filter: only govauto's tables are compared (a shared database may hold others)."""
    return type_ != "table" or name in target_metadata().tables


def config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for govauto's migrations; ``connection`` is the one ``env.py`` migrates (else it
    opens ``sqlalchemy.url``, or ``$GOVAUTO_DATABASE_URL``)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    cfg.set_main_option("truncate_slug_length", "40")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def head() -> str:
    """The newest revision this govauto knows."""
    heads = _script().get_heads()
    if len(heads) != 1:  # pragma: no cover - a packaging mistake, caught by the migration tests
        raise StoreError("(none)", f"govauto's migrations have {len(heads)} heads ({', '.join(heads)}): they must "
                                   "form one line; merge them")
    return heads[0]


def revisions() -> list[Revision]:
    """Every revision, oldest first."""
    top = head()
    found = [Revision(id=script.revision, message=(script.doc or "").strip(),
                      down_revision=_single(script.down_revision), is_head=script.revision == top)
             for script in _script().walk_revisions()]
    return list(reversed(found))


def _single(value: str | Sequence[str] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return ", ".join(value)


def _heads(conn: Connection) -> str | None:
    # Read directly, not through Alembic's MigrationContext: this runs at every open_store(), and Alembic's context
    # logs two lines each time it is made.
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    found = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(found) > 1:
        raise StoreError(_display(conn), f"the table {VERSION_TABLE} names {len(found)} schema revisions "
                                         f"({', '.join(found)}) where there should be one: it was edited by hand")
    return found[0] if found else None


def _display(conn: Connection) -> str:
    return conn.engine.url.render_as_string(hide_password=True)


def current(store: Store) -> str | None:
    """The database's schema revision; ``None`` when it has none (empty, or made by govauto 0.3.0: see
    :func:`legacy_tables`).

    :raises StoreError: the database cannot be used.
    """
    with store.begin() as conn:
        return _heads(conn)


def legacy_tables(store: Store) -> list[str]:
    """govauto's tables in a database that has no schema revision (one made by govauto 0.3.0); empty when it has
    a revision or no such table."""
    with store.begin() as conn:
        if _heads(conn) is not None:
            return []
        return _present(conn)


def _present(conn: Connection) -> list[str]:
    known = set(_baseline().baseline_metadata().tables)
    return sorted(name for name in inspect(conn).get_table_names() if name in known)


def _baseline() -> Any:
    module: ModuleType = _script().get_revision(BASELINE).module
    return module


def upgrade(store: Store, revision: str = "head") -> UpgradeResult:
    """Bring the database to ``revision`` (default the newest), adopting a database of govauto 0.3.0 first.

    :raises StoreError: the database cannot be used; it is at a revision this govauto does not know (a newer
        govauto upgraded it); ``revision`` is unknown or older than the database's; or it holds govauto's tables
        without a revision and they differ from govauto 0.3.0's (each difference is named; nothing is changed).
    """
    target = head() if revision == "head" else revision
    before = current(store)
    if before == target:
        return UpgradeResult(before, before)
    created: tuple[str, ...]
    with store.begin(write=True) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        before = _heads(conn)
        _check_known(store, before, target)
        adopted, created = False, ()
        if before is None and _present(conn):
            created = _adopt(store, conn)
            adopted = True
        try:
            with _quiet_alembic():
                command.upgrade(config(conn), target)
        except CommandError as error:
            raise StoreError(store.display_url, f"cannot be upgraded to {target}: {error}") from None
        result = UpgradeResult(before, _heads(conn), adopted, created)
    if adopted:
        made = f", created {', '.join(created)}" if created else ""
        log.info("database %s: govauto 0.3.0 tables checked%s, stamped %s and upgraded to %s", store.display_url,
                 made, BASELINE, result.after)
    elif result.changed:
        log.info("database %s: schema upgraded from %s to %s", store.display_url, before or "an empty database",
                 result.after)
    return result


@contextmanager
def _quiet_alembic() -> Iterator[None]:
    """Alembic logs its context and each revision at INFO; govauto logs one line for the whole upgrade instead."""
    logger = logging.getLogger("alembic")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)


def _check_known(store: Store, before: str | None, target: str) -> None:
    known = {r.id for r in revisions()}
    if before is not None and before not in known:
        from govauto import __version__

        raise StoreError(store.display_url, f"its schema is at revision {before}, which this govauto ({__version__}, "
                                            f"newest revision {head()}) does not know: a newer govauto upgraded it. "
                                            "Install that version (or newer), or restore a backup from before the "
                                            "upgrade")
    if target not in known:
        listed = ", ".join(r.id for r in revisions())
        raise StoreError(store.display_url, f"there is no schema revision {target!r}; the revisions are {listed} "
                                            "(govauto db history)")
    if before is not None and before != target and before not in _ancestors(target):
        raise StoreError(store.display_url, f"its schema is at revision {before}, newer than {target}: govauto "
                                            "does not downgrade; restore a backup to go back")


def _ancestors(revision: str) -> set[str]:
    return {script.revision for script in _script().iterate_revisions(revision, "base")}


def _adopt(store: Store, conn: Connection) -> tuple[str, ...]:
    """Check a database of govauto 0.3.0 against the baseline, create its missing tables, add the guards, stamp."""
    baseline = _baseline()
    expected: MetaData = baseline.baseline_metadata()
    with _quiet_alembic():
        context = MigrationContext.configure(conn, opts={
            "include_name": lambda name, type_, _parents: type_ != "table" or name in expected.tables,
            "compare_type": True})
        found = compare_metadata(context, expected)
    missing: list[str] = []
    problems: list[str] = []
    for diff in found:
        if isinstance(diff, tuple) and diff[0] == "add_table":
            missing.append(diff[1].name)
        elif isinstance(diff, tuple) and diff[0] == "add_index" and diff[1].table.name in missing:
            continue
        else:
            problems.append(describe_difference(diff))
    if problems:
        shown = "; ".join(problems[:12]) + (f"; and {len(problems) - 12} more" if len(problems) > 12 else "")
        raise StoreError(store.display_url, f"it holds govauto's tables without a schema revision, as govauto 0.3.0 "
                                            f"made them, but they differ from 0.3.0's: {shown}. Nothing was changed. "
                                            "Undo the changes made by hand, or restore a backup (govauto db "
                                            "check lists the differences)")
    if missing:
        expected.create_all(conn, tables=[expected.tables[name] for name in missing])
    baseline.create_guards(conn)
    with _quiet_alembic():
        command.stamp(config(conn), BASELINE)
    return tuple(missing)


def differences(store: Store) -> list[str]:
    """How the database's tables differ from the code's (``[]``: they match exactly), one line each, e.g.
    ``add_column: jobs.note (the code has it, the database lacks it)``. Only govauto's tables are compared.

    :raises StoreError: the database cannot be used.
    """
    with store.begin() as conn, _quiet_alembic():
        context = MigrationContext.configure(conn, opts={"include_name": include_name, "compare_type": True,
                                                         "version_table": VERSION_TABLE})
        return [describe_difference(diff) for diff in compare_metadata(context, target_metadata())]


_DIFF_MEANING = {
    "add": "the code has it, the database lacks it",
    "remove": "the database has it, the code does not",
    "modify": "the database's differs from the code's",
}


def describe_difference(diff: Any) -> str:
    """One line for one of Alembic's differences (a tuple, or a list of column changes)."""
    if isinstance(diff, list):
        return "; ".join(describe_difference(part) for part in diff)
    kind = str(diff[0])
    meaning = _DIFF_MEANING.get(kind.split("_", 1)[0], "")
    if kind in ("add_table", "remove_table"):
        what = diff[1].name
    elif kind in ("add_column", "remove_column"):
        what = f"{diff[2]}.{diff[3].name}"
    elif kind.startswith("modify_"):
        what = f"{diff[2]}.{diff[3]}: {diff[-2]!r} in the database, {diff[-1]!r} in the code"
        meaning = ""
    else:
        item = diff[1]
        table = getattr(getattr(item, "table", None), "name", None)
        what = f"{getattr(item, 'name', item)}" + (f" on {table}" if table else "")
    return f"{kind}: {what}" + (f" ({meaning})" if meaning else "")


# -- for govauto developers ---------------------------------------------------------------------------------------

def new_revision(message: str, *, autogenerate: bool = True, directory: Path | None = None) -> Path:
    """Write the next revision file (``NNNN_<message>.py``) and return its path.

    With ``autogenerate`` its operations are those Alembic finds between a scratch SQLite database brought to the
    newest revision and the code's tables; review them (PostgreSQL-only details, data migrations, batch mode).

    :raises StoreError: the message is empty, or the directory cannot be written.
    """
    if not message.strip():
        raise StoreError("(none)", "a revision needs a message saying what it changes, e.g. -m 'api tokens'")
    versions = directory or MIGRATIONS_DIR / "versions"
    numbers = [int(m.group(1)) for f in versions.glob("*.py") if (m := re.match(r"(\d{4})_", f.name))]
    rev_id = f"{max(numbers, default=0) + 1:04d}"
    with tempfile.TemporaryDirectory(prefix="govauto-revision-") as scratch:
        store = Store(create_store_engine(f"sqlite:///{Path(scratch) / 'scratch.db'}"))
        try:
            upgrade(store)
            with store.begin(write=True) as conn:
                cfg = config(conn)
                cfg.set_main_option("version_locations", str(versions))
                try:
                    script = command.revision(cfg, message=message.strip(), autogenerate=autogenerate, rev_id=rev_id)
                except (CommandError, OSError) as error:
                    raise StoreError(store.display_url, f"cannot write the revision: {error}") from None
        finally:
            store.dispose()
    _script.cache_clear()
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def main(argv: Sequence[str] | None = None, *, out: Callable[[str], Any] = print) -> int:
    """``python -m govauto.store.migrate revision -m MESSAGE [--empty]``: write the next revision."""
    parser = argparse.ArgumentParser(prog="python -m govauto.store.migrate",
                                     description="govauto's schema migrations (for govauto developers).")
    sub = parser.add_subparsers(dest="command", required=True)
    rev = sub.add_parser("revision", help="write the next revision from the difference between the code's tables "
                                          "and the newest revision")
    rev.add_argument("-m", "--message", required=True, help="what the revision changes (its file name and doc)")
    rev.add_argument("--empty", action="store_true", help="an empty revision, nothing compared")
    args = parser.parse_args(argv)
    try:
        path = new_revision(args.message, autogenerate=not args.empty)
    except StoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    out(f"wrote {path}: read it, complete it, and run tests/unit/test_store_migrations.py")
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through main()
    sys.exit(main())
