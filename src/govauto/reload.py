"""Hot reload of rule packs: policy changes, the rules change, the services keep running.

:meth:`govauto.Runtime.reload_packs` re-reads the registered pack directories whose files changed (and the
matter.yaml files, and what appeared on the packs path), compiles them off to the side and swaps them in only when
every one is valid (a :class:`ReloadReport` says what happened).
:class:`PackWatcher` polls the files and calls it: ``govauto serve`` runs one (``GOVAUTO_PACK_POLL`` seconds,
default 2; ``--no-reload-packs`` or ``0`` turns it off).

Whether a pack changed is decided by its :func:`pack_signature`: the directory and the modification time (ns)
and size of ``pack.yaml`` and of every ``rules/*.yaml``. Polling the standard library's ``os.stat`` keeps it free
of dependencies and works on network file systems where file events do not arrive.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from govauto.errors import PackProblem

if TYPE_CHECKING:
    from govauto.runtime import Runtime

__all__ = ["PACK_POLL_ENV", "PackSignature", "PackWatcher", "ReloadReport", "matter_signature", "pack_poll_interval",
           "pack_signature", "watch_executor"]

log = logging.getLogger("govauto.reload")

PACK_POLL_ENV = "GOVAUTO_PACK_POLL"
"""Seconds between looks at the rule pack files (``govauto serve``: default 2; workers: off unless > 0)."""

PackSignature = tuple[str, tuple[tuple[str, int, int], ...]]
"""``(directory, ((file name, mtime_ns, size), ...))``; a missing file has mtime and size -1."""


def pack_signature(directory: Path) -> PackSignature:
    """What decides whether the pack in ``directory`` changed: ``pack.yaml`` and every ``rules/*.yaml`` (the files
    :func:`~govauto.rules.pack.read_pack` reads rules from), each with its modification time and size."""
    rules = directory / "rules"
    files = [directory / "pack.yaml", *sorted(rules.glob("*.y*ml") if rules.is_dir() else [])]
    entries: list[tuple[str, int, int]] = []
    for file in files:
        try:
            stat = file.stat()
        except OSError:
            entries.append((str(file.relative_to(directory)), -1, -1))
        else:
            entries.append((str(file.relative_to(directory)), stat.st_mtime_ns, stat.st_size))
    return str(directory), tuple(entries)


def matter_signature(file: Path) -> PackSignature:
    """What decides whether a ``matter.yaml`` changed: its modification time (ns) and size (-1 when missing)."""
    try:
        stat = file.stat()
    except OSError:
        return str(file), ((file.name, -1, -1),)
    return str(file), ((file.name, stat.st_mtime_ns, stat.st_size),)


def pack_poll_interval(default: float) -> float:
    """Seconds between polls from ``GOVAUTO_PACK_POLL`` (``default`` when unset; 0 or less: no polling).

    A value that is not a number is logged and ``default`` is used: a typo must not stop a service.
    """
    raw = os.environ.get(PACK_POLL_ENV, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        log.warning("%s=%r is not a number of seconds; using %s", PACK_POLL_ENV, raw, default)
        return default


@dataclass(frozen=True)
class ReloadedPack:
    """A pack version now in force from files that changed."""

    id: str
    version: str
    path: Path


@dataclass
class ReloadReport:
    """What :meth:`~govauto.Runtime.reload_packs` did.

    :ivar reloaded: the changed packs now in force (empty when nothing changed or the change was refused).
    :ivar unchanged: directories of packs whose files did not change (kept compiled as they were).
    :ivar problems: why the change was refused, each with its file and line; when there are any, nothing changed
        and the previous versions stay in force.
    """

    reloaded: list[ReloadedPack] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    problems: list[PackProblem] = field(default_factory=list)
    changed: list[Path] = field(default_factory=list)
    """Pack directories whose files changed, and matter.yaml files that changed (reloaded, or refused when there
    are problems); what appeared on the packs path counts as changed."""
    matters: list[str] = field(default_factory=list)
    """Ids of the matters whose declaration (matter.yaml) was added or changed, now in force."""

    @property
    def ok(self) -> bool:
        """No problems: the changed packs (if any) are in force."""
        return not self.problems

    def __str__(self) -> str:
        if self.problems:
            lines = "\n".join(f"  {p}" for p in self.problems)
            return (f"rule pack change refused ({len(self.problems)} problem(s)); the previous version stays in "
                    f"force:\n{lines}")
        if not self.reloaded and not self.matters:
            return "no rule pack changed"
        return "; ".join([*(f"matter {m} reloaded" for m in self.matters),
                          *(f"pack {p.id} version {p.version} reloaded ({p.path})" for p in self.reloaded)])


class PackWatcher:
    """Polls the rule pack files of a runtime and reloads them when they change (a daemon thread).

    :param runtime: the runtime, or a callable returning it (``None`` while it is not made yet: nothing to watch;
        the web app makes its runtime on the first decision).
    :param interval: seconds between polls.

    A refused change is logged once with every problem; the watcher tries again when the files change again.
    Nothing it does raises into its host: every error is logged and the next poll goes on.
    """

    def __init__(self, runtime: Runtime | Callable[[], Runtime | None], interval: float = 2.0) -> None:
        self._runtime = runtime
        self.interval = interval
        self.last_report: ReloadReport | None = None
        """The report of the last reload tried (``None`` until a change was seen)."""
        self.last_reload_at: dt.datetime | None = None
        """When it was tried (aware UTC)."""
        self._seen: tuple[Runtime, Mapping[Path, PackSignature]] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _current(self) -> Runtime | None:
        from govauto.runtime import Runtime

        runtime = self._runtime
        if isinstance(runtime, Runtime):
            return runtime
        return runtime()

    def check(self) -> ReloadReport | None:
        """Poll once: reload when a pack's files changed since the last poll. Never raises.

        :returns: the report of the reload, or ``None`` when nothing was tried (nothing changed, no runtime yet,
            or an unexpected error, which is logged).
        """
        try:
            runtime = self._current()
            if runtime is None:
                return None
            signatures = runtime.pack_signatures()
            if self._seen is not None and self._seen[0] is runtime and self._seen[1] == signatures:
                return None
            report = runtime.reload_packs()
            self._seen = (runtime, signatures)  # a refused change is not tried again until the files change again
            if report.changed:
                self.last_report, self.last_reload_at = report, dt.datetime.now(dt.UTC)
            for matter in report.matters:
                log.info("matter %s reloaded", matter)
            for pack in report.reloaded:
                log.info("pack %s version %s reloaded from %s", pack.id, pack.version, pack.path)
            if report.problems:
                log.error("%s", report)
            return report
        except Exception:  # never take the host down: the next poll tries again
            log.exception("checking the rule packs for changes failed")
            return None

    def start(self) -> PackWatcher:
        """Start polling in a daemon thread (named ``govauto-pack-watcher``)."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="govauto-pack-watcher", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop polling (waits up to ``timeout`` seconds for a reload under way to end)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> PackWatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.check()
            self._stop.wait(self.interval)


def watch_executor(executor: object) -> PackWatcher | None:
    """For :func:`govauto.jobs.runner.run_worker`: a started watcher over the executor's ``runtime`` attribute
    when ``GOVAUTO_PACK_POLL`` is set above 0 and the executor has a :class:`~govauto.Runtime` there, else ``None``.

    Workers do not poll by default: the robots that ship fill forms from a case's facts and review nothing, so
    packs matter to a worker only when its executor reviews cases with its runtime.
    """
    from govauto.runtime import Runtime

    interval = pack_poll_interval(0.0)
    if interval <= 0:
        return None
    runtime = getattr(executor, "runtime", None)
    if not isinstance(runtime, Runtime):
        log.info("%s is set, but the executor has no govauto runtime: no rule packs to reload", PACK_POLL_ENV)
        return None
    return PackWatcher(runtime, interval).start()
