"""The business-name registry lookup (kind ``business_names``), backed by a SQLite file.

Where the names come from:

* ``NameRegistry(path)``: the SQLite file at ``path``, built with ``python -m govauto_name_registry import``;
* ``NameRegistry.from_environment()`` (what the plugin registers): the file named by the environment variable
  ``GOVAUTO_NAME_REGISTRY``, or, when it is unset or empty, the small sample shipped in this package
  (``data/sample_names.csv``, loaded into memory on first use; nothing is written to disk).

Constructing a registry does no I/O. Each lookup opens its own read-only connection (``mode=ro``; SQLite
connections must not be shared between threads), so a registry object may be used from any number of threads
and a database replaced on disk is seen by the next lookup.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Mapping
from contextlib import closing
from importlib import resources
from pathlib import Path
from typing import Final

from govauto import LookupUnavailableError

from govauto_name_registry import store
from govauto_name_registry.importer import parse_csv
from govauto_name_registry.names import STATUSES, Entry, is_six_digits, normalise_name

ENV_VAR: Final = "GOVAUTO_NAME_REGISTRY"
SAMPLE_CSV: Final = "data/sample_names.csv"
CHINA_STANDARD_TIME: Final = dt.timezone(dt.timedelta(hours=8), "CST")

log = logging.getLogger(__name__)


def today_in_china() -> dt.date:
    """Today's date at the registration authorities (UTC+8), whatever the server's time zone."""
    return dt.datetime.now(CHINA_STANDARD_TIME).date()


class NameRegistry:
    """Answers whether a business name is already taken in a county-level area.

    Implements :class:`govauto.BusinessNameRegistry`. A name is taken in ``division`` when the same name
    (compared with :func:`~govauto_name_registry.names.normalise_name`) is registered or reserved there, or was
    cancelled there less than one year ago.

    :param path: the SQLite registry file; ``None`` for the sample shipped with the package.
    :param today: the date "less than one year ago" counts back from (a date, or a function returning one);
        default: today in China (UTC+8), read at each lookup.
    :param timeout: seconds to wait while an import holds a write lock on the file.
    """

    def __init__(self, path: str | os.PathLike[str] | None, *, today: dt.date | Callable[[], dt.date] | None = None,
                 timeout: float = store.DEFAULT_TIMEOUT) -> None:
        self.path: Path | None = None if path is None else Path(os.path.abspath(os.path.expanduser(path)))
        if today is None:
            self._today: Callable[[], dt.date] = today_in_china
        elif isinstance(today, dt.date):
            fixed = today
            self._today = lambda: fixed
        else:
            self._today = today
        self.timeout = timeout

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, *,
                         today: dt.date | Callable[[], dt.date] | None = None) -> NameRegistry:
        """The registry named by ``GOVAUTO_NAME_REGISTRY``, or the shipped sample when it is unset or empty.

        Nothing is opened or checked here: a missing or unreadable file is reported by the first lookup.
        """
        value = (os.environ if environ is None else environ).get(ENV_VAR, "").strip()
        return cls(value or None, today=today)

    @classmethod
    def sample(cls, *, today: dt.date | Callable[[], dt.date] | None = None) -> NameRegistry:
        """The sample registry shipped in the package (a few names; for demonstrations and tests only)."""
        return cls(None, today=today)

    @property
    def source(self) -> str:
        """Where the names come from, for messages."""
        return str(self.path) if self.path is not None else "the sample shipped with govauto-name-registry"

    def __repr__(self) -> str:
        return f"NameRegistry({str(self.path)!r})" if self.path is not None else "NameRegistry.sample()"

    def name_taken(self, name: str, division: str) -> bool:
        """Whether ``name`` is registered, reserved or cancelled less than a year ago in area ``division``.

        :param division: the 6-digit GB/T 2260 code of the registration authority's area.
        :raises govauto.LookupUnavailableError: when the database is missing, locked, corrupt or not a registry.
        :raises ValueError: when ``division`` is not six digits.
        """
        entry = self.lookup(name, division)
        return entry is not None and entry.blocks(self._today())

    def lookup(self, name: str, division: str) -> Entry | None:
        """The stored entry for ``name`` in ``division`` (whatever its status), or ``None``.

        :raises govauto.LookupUnavailableError: as :meth:`name_taken`.
        :raises ValueError: when ``division`` is not six digits.
        """
        if not is_six_digits(division):
            raise ValueError(f"division must be a 6-digit GB/T 2260 area code like 440305, got {division!r}")
        key = normalise_name(name)
        if not key:
            return None
        try:
            with closing(self._connect()) as conn:
                store.check(conn)
                row = conn.execute(store.LOOKUP_SQL, (division, key)).fetchone()
        except store.SchemaMismatch as exc:
            raise self._unavailable(f"{exc}: (re)build it from its CSV with `python -m govauto_name_registry "
                                    f"import CSV DB`") from None
        except sqlite3.Error as exc:
            raise self._unavailable(_reason(exc, self.timeout)) from exc
        if row is None:
            return None
        return self._entry(row)

    def today(self) -> dt.date:
        """The date lookups count back from."""
        return self._today()

    # ---- internals -----------------------------------------------------------------------------------------

    def _unavailable(self, reason: str) -> LookupUnavailableError:
        return LookupUnavailableError(f"business-name registry {self.source}: {reason}")

    def _connect(self) -> sqlite3.Connection:
        if self.path is None:
            return _sample_connection()
        try:
            is_file, exists = self.path.is_file(), self.path.exists()
        except OSError as exc:
            raise self._unavailable(f"cannot be accessed: {exc.strerror or exc}") from None
        if not exists:
            raise self._unavailable(f"the file does not exist (set {ENV_VAR} to a database built with "
                                    f"`python -m govauto_name_registry import CSV DB`, or unset it to use the "
                                    f"shipped sample)")
        if not is_file:
            raise self._unavailable("is not a file")
        return sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=self.timeout)

    def _entry(self, row: tuple[object, ...]) -> Entry:
        name, division, status, day = row
        try:
            if status not in STATUSES:
                raise ValueError(f"unknown status {status!r}")
            return Entry(str(name), str(division), status, dt.date.fromisoformat(str(day)))
        except ValueError as exc:
            raise self._unavailable(f"holds an invalid row for {name!r} in {division}: {exc}") from None


def _reason(exc: sqlite3.Error, timeout: float) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return f"the file is corrupt or not a SQLite database ({text})"
    if "locked" in text or "busy" in text:
        return f"the database stayed locked by another process for {timeout:g} s ({text})"
    if "unable to open" in text:
        return f"the file cannot be opened; check its permissions ({text})"
    if "no such table" in text or "no such column" in text:
        return f"the file is not a complete business-name registry ({text})"
    return f"cannot be read ({text})"


# ---- the shipped sample ------------------------------------------------------------------------------------

_sample_lock = threading.Lock()
_sample_image: bytes | None = None


def sample_entries() -> list[Entry]:
    """The entries of the shipped sample CSV."""
    csv_file = resources.files("govauto_name_registry").joinpath(SAMPLE_CSV)
    return parse_csv(csv_file.read_text(encoding="utf-8").splitlines(keepends=True), f"<package>/{SAMPLE_CSV}")


def _build_sample(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN")
    store.initialise(conn)
    store.upsert(conn, sample_entries())
    conn.execute("COMMIT")


def _sample_connection() -> sqlite3.Connection:
    """A new in-memory database holding the sample (built from the CSV once per process, then copied)."""
    global _sample_image
    conn = sqlite3.connect(":memory:", isolation_level=None)
    if not hasattr(conn, "deserialize"):  # SQLite built without it: build each time (the sample is tiny)
        _build_sample(conn)
        return conn
    with _sample_lock:
        if _sample_image is None:
            log.info("using the sample business-name registry shipped with govauto-name-registry; set %s to use "
                     "a real one", ENV_VAR)
            with closing(sqlite3.connect(":memory:", isolation_level=None)) as build:
                _build_sample(build)
                _sample_image = build.serialize()
        image = _sample_image
    conn.deserialize(image)
    return conn
