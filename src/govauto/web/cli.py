"""``govauto serve`` (the reviewer web page) and ``govauto users ...`` (reviewer accounts).

The lead registers them in :mod:`govauto.cli`::

    app.command("serve")(serve_command)
    app.add_typer(users_app, name="users")

Exit codes: 0 done; 1 the database cannot be used or the server cannot start; 2 bad input (an unknown role, a
name that is taken, a password the policy refuses, an unknown user).
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from govauto.casework import Accounts, ApiTokens
from govauto.errors import AccountError, AccountNotFoundError, ApiTokenError, StoreError
from govauto.store import DATABASE_URL_ENV, open_store

__all__ = ["serve_command", "users_app"]

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

_DB_HELP = f"Database URL (default: ${DATABASE_URL_ENV}, else sqlite:///$GOVAUTO_HOME/govauto.db)."

users_app = typer.Typer(no_args_is_help=True, help="Reviewer accounts for the web page: add, list, change; and the "
                        "API tokens of the systems that send cases.")
token_app = typer.Typer(no_args_is_help=True, help="API tokens for integrators (POST /api/cases): create, list, "
                        "revoke.")
users_app.add_typer(token_app, name="token")


def _fail(message: str, code: int) -> NoReturn:
    err.print(f"error: {message}", markup=False)
    raise typer.Exit(code)


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = 8000,
    db: Annotated[str | None, typer.Option("--db", envvar=DATABASE_URL_ENV, help=_DB_HELP, show_default=False,
                                           show_envvar=False)] = None,
    https: Annotated[bool, typer.Option(
        "--https", help="The site is reached over HTTPS (a TLS proxy in front): Secure cookies and HSTS.")] = False,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "info",
    reload_packs: Annotated[bool, typer.Option(
        "--reload-packs/--no-reload-packs",
        help="Reload changed rule packs while serving (every $GOVAUTO_PACK_POLL seconds, default 2).")] = True,
) -> None:
    """Serve the reviewer web page: queues, cases with their crops and findings, decisions and notices.

    Log in with an account made by `govauto users add`. Session cookies are signed with $GOVAUTO_SECRET_KEY, else
    a key kept in $GOVAUTO_HOME/secret_key (made on first start, mode 0600).
    """
    import os

    import uvicorn

    from govauto.reload import PACK_POLL_ENV
    from govauto.web.app import HTTPS_ENV, create_app

    if https:
        os.environ[HTTPS_ENV] = "1"
    if not reload_packs:
        os.environ[PACK_POLL_ENV] = "0"
    options = {"host": host, "port": port, "log_level": log_level, "proxy_headers": True, "server_header": False,
               "log_config": _log_config()}
    try:
        app = create_app(db)  # fails here, once, when the database cannot be used
    except StoreError as error:
        _fail(str(error), 1)
    out.print(f"govauto reviewer page on http://{host}:{port}/ (Ctrl-C stops it)")
    if workers > 1:  # each worker process builds its own app; the settings travel in the environment
        app.state.web.store.dispose()
        if db:
            os.environ[DATABASE_URL_ENV] = db
        uvicorn.run("govauto.web.app:create_app", factory=True, workers=workers, **options)  # type: ignore[arg-type]
    else:
        uvicorn.run(app, **options)  # type: ignore[arg-type]


def _log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with ID numbers masked in every line it writes."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["mask_ids"] = {"()": "govauto.privacy.MaskingFilter"}
    for handler in config.get("handlers", {}).values():
        handler.setdefault("filters", []).append("mask_ids")
    config.setdefault("loggers", {})["govauto"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def _accounts(db: str | None) -> Accounts:
    try:
        return Accounts(open_store(db))
    except StoreError as error:
        _fail(str(error), 1)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        _fail("no password given (pass it on standard input with --password-stdin, or type it at the prompt)", 2)
    return password


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The login name (lower case letters, digits, . _ -).",
                                        show_default=False)],
    role: Annotated[str, typer.Option(help="reviewer, supervisor or admin.")] = "reviewer",
    group: Annotated[list[str] | None, typer.Option(
        help="A reviewers' group the user works for, e.g. a division code 440305 (repeatable).",
        show_default=False)] = None,
    display_name: Annotated[str | None, typer.Option(help="The name shown on pages and notices.",
                                                     show_default=False)] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input (for scripts).")] = False,
    db: Annotated[str | None, typer.Option("--db", envvar=DATABASE_URL_ENV, help=_DB_HELP, show_default=False,
                                           show_envvar=False)] = None,
) -> None:
    """Create an account (only its argon2id password hash is stored)."""
    accounts = _accounts(db)
    password = _read_password(password_stdin)
    try:
        user = accounts.add_user(name, password, role=role, groups=group or [],  # type: ignore[arg-type]
                                 display_name=display_name)
    except AccountError as error:
        _fail(str(error), 2)
    out.print(f"added {escape(user.username)} ({user.role}; groups: {escape(', '.join(user.groups) or 'none')})")


@users_app.command("list")
def users_list(
    db: Annotated[str | None, typer.Option("--db", envvar=DATABASE_URL_ENV, help=_DB_HELP, show_default=False,
                                           show_envvar=False)] = None,
) -> None:
    """List the accounts: name, display name, role, groups, whether active."""
    table = Table("user", "name", "role", "groups", "active", box=None)
    for user in _accounts(db).list():
        table.add_row(escape(user.username), escape(user.display_name), user.role, escape(", ".join(user.groups)),
                      "yes" if user.active else "no")
    out.print(table)


@users_app.command("passwd")
def users_passwd(
    name: Annotated[str, typer.Argument(help="The login name.", show_default=False)],
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="Read the new password from standard input.")] = False,
    db: Annotated[str | None, typer.Option("--db", envvar=DATABASE_URL_ENV, help=_DB_HELP, show_default=False,
                                           show_envvar=False)] = None,
) -> None:
    """Set a new password (the user's open sessions end)."""
    accounts = _accounts(db)
    password = _read_password(password_stdin)
    try:
        accounts.set_password(name, password)
    except AccountNotFoundError as error:
        _fail(str(error), 2)
    except AccountError as error:
        _fail(str(error), 2)
    out.print(f"password of {escape(name)} changed")


@users_app.command("set")
def users_set(
    name: Annotated[str, typer.Argument(help="The login name.", show_default=False)],
    role: Annotated[str | None, typer.Option(help="A new role: reviewer, supervisor or admin.",
                                             show_default=False)] = None,
    group: Annotated[list[str] | None, typer.Option(help="The user's groups, replacing the current ones (repeatable).",
                                                    show_default=False)] = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive", help="Reactivate or deactivate the account.",
                                                show_default=False)] = None,
    db: Annotated[str | None, typer.Option("--db", envvar=DATABASE_URL_ENV, help=_DB_HELP, show_default=False,
                                           show_envvar=False)] = None,
) -> None:
    """Change an account's role, groups or whether it is active."""
    accounts = _accounts(db)
    try:
        if role is not None:
            accounts.set_role(name, role)  # type: ignore[arg-type]
        if group is not None:
            accounts.set_groups(name, group)
        if active is not None:
            accounts.set_active(name, active)
        user = accounts.get(name)
    except AccountError as error:
        _fail(str(error), 2)
    out.print(f"{escape(user.username)}: {user.role}; groups: {escape(', '.join(user.groups) or 'none')}; "
              f"{'active' if user.active else 'inactive'}")


def _tokens(db: str | None) -> ApiTokens:
    try:
        return ApiTokens(open_store(db))
    except StoreError as error:
        _fail(str(error), 1)


def _when(value: Any) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value is not None else "-"


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="The client system the token is for, e.g. intake-portal.",
                                        show_default=False)],
    expires_days: Annotated[int | None, typer.Option("--expires-days", min=1, help="Days the token is valid "
                                                     "(default: until revoked).", show_default=False)] = None,
    created_by: Annotated[str, typer.Option(help="Who creates it, kept with the token.")] = "system:cli",
    db: Annotated[str | None, typer.Option("--db", envvar=DATABASE_URL_ENV, help=_DB_HELP, show_default=False,
                                           show_envvar=False)] = None,
) -> None:
    """Create an API token and print it once on standard output (only its SHA-256 is stored): the client sends it as
    `Authorization: Bearer <token>`. Details go to standard error, so `TOKEN=$(govauto users token create x)`
    works."""
    import datetime as dt

    try:
        token, secret = _tokens(db).create(name, created_by=created_by, expires_in=dt.timedelta(days=expires_days)
                                           if expires_days else None)
    except ApiTokenError as error:
        _fail(str(error), 2)
    err.print(f"API token {token.id} for {token.name} (expires: {_when(token.expires_at)}); it is shown only now, "
              "keep it in the client's secret store:", markup=False)
    print(secret)


@token_app.command("list")
def token_list(
    name: Annotated[str | None, typer.Option(help="Only the tokens of this client.", show_default=False)] = None,
    db: Annotated[str | None, typer.Option("--db", envvar=DATABASE_URL_ENV, help=_DB_HELP, show_default=False,
                                           show_envvar=False)] = None,
) -> None:
    """List the API tokens (never the tokens themselves): id, client, created, expires, last used, revoked."""
    table = Table("id", "client", "created", "by", "expires", "last used", "revoked", box=None)
    for token in _tokens(db).list(name=name):
        table.add_row(token.id, escape(token.name), _when(token.created_at), escape(token.created_by),
                      _when(token.expires_at), _when(token.last_used_at), _when(token.revoked_at))
    out.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(metavar="ID", help="The token's id (govauto users token list).",
                                            show_default=False)],
    db: Annotated[str | None, typer.Option("--db", envvar=DATABASE_URL_ENV, help=_DB_HELP, show_default=False,
                                           show_envvar=False)] = None,
) -> None:
    """Revoke an API token: requests with it are refused (401) from now on."""
    try:
        token = _tokens(db).revoke(token_id)
    except ApiTokenError as error:
        _fail(str(error), 2)
    out.print(f"API token {token.id} of {escape(token.name)} revoked")
