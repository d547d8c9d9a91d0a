"""Credentials for target systems: read from the environment or a credentials file, never from a form map.

A map names its credentials (``credentials: legacy_portal``); they are looked up, in order, in

1. the environment: ``GOVAUTO_CREDENTIALS_LEGACY_PORTAL_USERNAME`` and ``GOVAUTO_CREDENTIALS_LEGACY_PORTAL_PASSWORD``
   (the name upper-cased, every other character than a letter or digit as ``_``);
2. the YAML file named by ``GOVAUTO_CREDENTIALS_FILE`` (default ``~/.config/govauto/credentials.yaml``)::

       legacy_portal: {username: robot, password: "…"}

   which must be readable by its owner only (``chmod 600``), as ssh insists for keys.

The password is never logged, never put in an error message and never recorded in a Playwright trace (the
robot pauses tracing while it logs in).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from govauto.errors import RobotConfigError

CREDENTIAL_FIELDS = {"credentials.username": "username", "credentials.password": "password"}
"""The names a form map's login steps use for the credentials' parts."""


@dataclass(frozen=True)
class Credentials:
    """A user name and password for one target system (the password is hidden from ``repr``)."""

    username: str
    password: str = field(repr=False)


def credentials_file() -> Path:
    """Where the credentials file is looked for."""
    return Path(os.environ.get("GOVAUTO_CREDENTIALS_FILE", Path.home() / ".config" / "govauto" / "credentials.yaml"))


def env_names(name: str) -> tuple[str, str]:
    """The environment variables that hold the credentials called ``name``."""
    key = re.sub(r"[^A-Za-z0-9]", "_", name).upper()
    return f"GOVAUTO_CREDENTIALS_{key}_USERNAME", f"GOVAUTO_CREDENTIALS_{key}_PASSWORD"


def credentials_for(name: str) -> Credentials:
    """The credentials called ``name``, from the environment or the credentials file.

    :raises RobotConfigError: when they are in neither place, or the file is unsafe or malformed.
    """
    user_var, password_var = env_names(name)
    user, password = os.environ.get(user_var), os.environ.get(password_var)
    if user and password is not None:
        return Credentials(user, password)
    path = credentials_file()
    if path.is_file():
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise RobotConfigError(f"{path} can be read by other users: run chmod 600 {path}", kind="config")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise RobotConfigError(f"{path} is not valid YAML: {exc}", kind="config") from None
        entry = data.get(name) if isinstance(data, dict) else None
        if isinstance(entry, dict) and entry.get("username") and entry.get("password") is not None:
            return Credentials(str(entry["username"]), str(entry["password"]))
        if entry is not None:
            raise RobotConfigError(f"{path}: '{name}' needs username: and password:", kind="config")
    raise RobotConfigError(
        f"no credentials '{name}': set {user_var} and {password_var}, or add '{name}: {{username: …, password: …}}' "
        f"to {path} (chmod 600)", kind="config")
