"""Fault injection: what can go wrong between a robot and an old government system.

A :class:`Fault` says what to do (``kind``) to which requests (``path``, ``method``), how often (``rate``) and how
many times (``times``). A :class:`FaultPlan` holds the portal's ordered faults; for each request the first fault
that matches and that the random draw selects wins.
"""

from __future__ import annotations

import fnmatch
import math
import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Final

KINDS: Final = ("slow", "http500", "down", "drop", "expire_session", "lose_success", "hang")
"""Every fault kind, in the order the documentation lists them."""

SUBMIT_PATHS: Final = ("/gt/establish_submit.do", "/gt/change_submit.do", "/gt/deregister_submit.do")
"""The final submits of the 设立, 变更 and 注销 forms: the only requests ``lose_success`` applies to."""

SUBMIT_PATH: Final = SUBMIT_PATHS[0]
"""The 设立登记 form's final submit."""


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault rule.

    :param kind: ``slow``, ``http500``, ``down``, ``drop``, ``expire_session``, ``lose_success`` (final submits
        only: :data:`SUBMIT_PATHS`) or ``hang``.
    :param path: an :mod:`fnmatch` glob on the URL path (``/gt/*``); ``*`` matches every path.
    :param method: ``GET``, ``POST`` or ``*``.
    :param rate: the probability that a matching request gets the fault, from 0 to 1.
    :param times: apply to the first ``times`` requests the rate selects, then never again; ``None``: no limit.
    :param delay: seconds to wait, for ``slow``.
    :raises ValueError: a field is out of range; the message names the field and the allowed values.
    """

    kind: str
    path: str = "*"
    method: str = "*"
    rate: float = 1.0
    times: int | None = None
    delay: float = 2.0

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or self.kind not in KINDS:
            raise ValueError(f"Fault.kind: unknown kind {self.kind!r}; allowed: {', '.join(KINDS)}")
        if not isinstance(self.path, str) or not self.path:
            raise ValueError(f"Fault.path: must be a non-empty glob on the URL path like '/gt/*', got {self.path!r}")
        if not isinstance(self.method, str) or not self.method:
            raise ValueError(f"Fault.method: must be an HTTP method like 'POST' or '*', got {self.method!r}")
        if isinstance(self.rate, bool) or not isinstance(self.rate, int | float) or not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"Fault.rate: must be a number from 0 to 1 (a probability), got {self.rate!r}")
        if self.times is not None and (isinstance(self.times, bool) or not isinstance(self.times, int)
                                       or self.times < 0):
            raise ValueError(f"Fault.times: must be a whole number >= 0 or null (no limit), got {self.times!r}")
        if (isinstance(self.delay, bool) or not isinstance(self.delay, int | float) or not math.isfinite(self.delay)
                or self.delay < 0):
            raise ValueError(f"Fault.delay: must be a number of seconds >= 0, got {self.delay!r}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        """A fault from its JSON form (the keys are the field names; ``kind`` is required).

        :raises ValueError: not a mapping, an unknown key, no ``kind``, or a field out of range.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"Fault: must be an object with a 'kind', got {data!r}")
        names = [f.name for f in fields(cls)]
        unknown = [k for k in data if k not in names]
        if unknown:
            raise ValueError(f"Fault.{unknown[0]}: unknown field; allowed: {', '.join(names)}")
        if "kind" not in data:
            raise ValueError(f"Fault.kind: missing; allowed: {', '.join(KINDS)}")
        return cls(**dict(data))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, as ``GET /__admin/faults`` shows it."""
        return asdict(self)

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault concerns a request (before the rate and the count are considered)."""
        if self.method != "*" and self.method.upper() != method.upper():
            return False
        if not fnmatch.fnmatchcase(path, self.path):
            return False
        return self.kind != "lose_success" or (method.upper() == "POST" and path in SUBMIT_PATHS)


def as_fault(item: Fault | Mapping[str, Any]) -> Fault:
    """A :class:`Fault` from a fault or its dict form."""
    return item if isinstance(item, Fault) else Fault.from_dict(item)


class FaultPlan:
    """The portal's ordered faults, with how often each was applied; thread-safe."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._faults: list[Fault] = []
        self._used: list[int] = []

    def set(self, faults: Iterable[Fault | Mapping[str, Any]]) -> None:
        """Replace every fault (the counts of ``times`` start again)."""
        parsed = [as_fault(f) for f in faults]
        with self._lock:
            self._faults = parsed
            self._used = [0] * len(parsed)

    def add(self, fault: Fault | Mapping[str, Any]) -> None:
        """Append a fault: it applies when none before it does."""
        parsed = as_fault(fault)
        with self._lock:
            self._faults.append(parsed)
            self._used.append(0)

    def clear(self) -> None:
        """Remove every fault."""
        self.set([])

    def faults(self) -> list[Fault]:
        """The faults, in matching order."""
        with self._lock:
            return list(self._faults)

    def choose(self, method: str, path: str) -> Fault | None:
        """The fault for one request: the first that matches, has times left and is selected by its rate."""
        with self._lock:
            for index, fault in enumerate(self._faults):
                if not fault.matches(method, path):
                    continue
                if fault.times is not None and self._used[index] >= fault.times:
                    continue
                if fault.rate <= 0.0 or (fault.rate < 1.0 and self._random.random() >= fault.rate):
                    continue
                self._used[index] += 1
                return fault
        return None
