"""``govauto db ...``: the database's schema revision, its migrations, and whether its tables match the code.

``upgrade`` runs the migrations the database lacks (what every govauto command does when it opens the database;
run it by hand to migrate at a moment of your choosing, e.g. before starting new workers). ``current`` and
``check`` change nothing. ``--json`` prints one JSON object.

Exit codes: 0 done (``check``: the tables match); 1 the database cannot be used or upgraded, or (``check``) its
tables differ from the code's; 2 bad input (an unknown revision).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from govauto.errors import StoreError
from govauto.store import migrate
from govauto.store._store import DATABASE_URL_ENV, Store, open_store

__all__ = ["db_app"]

db_app = typer.Typer(no_args_is_help=True, help="The database schema: upgrade it, show its revision and the "
                                               "migrations, check its tables.")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

_DB_KEY = "govauto.db.url"
_DB_HELP = f"Database URL (default: ${DATABASE_URL_ENV}, else sqlite:///$GOVAUTO_HOME/govauto.db)."


def _fail(message: str, code: int) -> NoReturn:
    err.print(f"error: {message}", markup=False)
    raise typer.Exit(code)


def _json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False))


def _store(ctx: typer.Context) -> Store:
    try:
        return open_store(ctx.meta.get(_DB_KEY), upgrade=False)
    except StoreError as error:
        _fail(str(error), 1)


@db_app.callback()
def _db(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option("--db", envvar=DATABASE_URL_ENV, help=_DB_HELP, show_default=False,
                                           show_envvar=False)] = None,
) -> None:
    """The database schema: upgrade it, show its revision and the migrations, check its tables."""
    ctx.meta[_DB_KEY] = db


@db_app.command("upgrade")
def upgrade_command(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="The revision to reach (default: the newest).")] = "head",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object: url, before, after, adopted, "
                                                         "created.")] = False,
) -> None:
    """Run the migrations the database lacks (a new database gets every table; one of govauto 0.3.0 is checked
    and adopted first). Safe while other govauto processes use the database."""
    known = [r.id for r in migrate.revisions()]
    if revision != "head" and revision not in known:
        _fail(f"there is no schema revision {revision!r}; the revisions are {', '.join(known)} (govauto db history)",
              2)
    store = _store(ctx)
    try:
        result = migrate.upgrade(store, revision)
    except StoreError as error:
        _fail(str(error), 1)
    finally:
        store.dispose()
    if as_json:
        _json({"url": store.display_url, "before": result.before, "after": result.after, "adopted": result.adopted,
               "created": list(result.created)})
        return
    if result.adopted:
        created = f" (created the missing tables {', '.join(result.created)})" if result.created else ""
        out.print(f"{store.display_url}: govauto 0.3.0 tables checked and stamped {migrate.BASELINE}{created}",
                  markup=False)
    if result.changed and result.before != result.after:
        out.print(f"{store.display_url}: upgraded from {result.before or 'an empty database'} to {result.after}",
                  markup=False)
    elif not result.adopted:
        out.print(f"{store.display_url}: already at {result.after}, nothing to do", markup=False)


@db_app.command("current")
def current_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object: url, current, head, up_to_date, "
                                                         "legacy_tables.")] = False,
) -> None:
    """Show the database's schema revision and whether it is the newest (changes nothing)."""
    store = _store(ctx)
    try:
        current = migrate.current(store)
        legacy = migrate.legacy_tables(store) if current is None else []
    except StoreError as error:
        _fail(str(error), 1)
    finally:
        store.dispose()
    head = migrate.head()
    if as_json:
        _json({"url": store.display_url, "current": current, "head": head, "up_to_date": current == head,
               "legacy_tables": legacy})
        return
    if current == head:
        state = f"{current} (the newest)"
    elif current is not None:
        state = f"{current}; the newest is {head}: run govauto db upgrade (or any govauto command upgrades it)"
    elif legacy:
        state = (f"none, but it has {len(legacy)} table(s) of govauto 0.3.0: govauto db upgrade checks them, "
                 f"records revision {migrate.BASELINE} and upgrades to {head}")
    else:
        state = f"none: no govauto table yet (govauto db upgrade creates them, at {head})"
    out.print(f"{store.display_url}: {state}", markup=False)


@db_app.command("history")
def history_command(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per revision and line.")] = False,
) -> None:
    """List the migrations this govauto ships, oldest first (needs no database)."""
    for revision in migrate.revisions():
        if as_json:
            _json({"id": revision.id, "down_revision": revision.down_revision, "message": revision.message,
                   "head": revision.is_head})
        else:
            first, *_ = revision.message.splitlines() or [""]
            out.print(f"{revision.id}  {first}" + ("  (head)" if revision.is_head else ""), markup=False)


@db_app.command("check")
def check_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object: url, current, head, ok, "
                                                         "differences.")] = False,
) -> None:
    """Compare the database's tables with the code's: exit 0 when they match exactly, 1 listing each difference
    (changes nothing)."""
    store = _store(ctx)
    try:
        current = migrate.current(store)
        found = migrate.differences(store)
    except StoreError as error:
        _fail(str(error), 1)
    finally:
        store.dispose()
    head = migrate.head()
    ok = not found and current == head
    if as_json:
        _json({"url": store.display_url, "current": current, "head": head, "ok": ok, "differences": found})
    elif ok:
        out.print(f"{store.display_url}: at {head}, its tables match the code", markup=False)
    else:
        out.print(f"{store.display_url}: at {current or 'no revision'} (newest {head}); {len(found)} difference(s) "
                  "from the code's tables", markup=False)
        for line in found:
            out.print(f"  {line}", markup=False)
        if current != head:
            err.print("run govauto db upgrade first", markup=False)
    if not ok:
        raise typer.Exit(1)
