"""Business names and areas: how names are compared, which area codes are accepted, what blocks a name.

Two names are the same name when they are equal after :func:`normalise_name`: full-width and half-width
forms of ASCII characters are the same (``（`` and ``(``, ``Ａ`` and ``A``), and whitespace (including the
ideographic space ``U+3000``) and invisible zero-width characters are ignored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, Literal

Status = Literal["registered", "reserved", "cancelled"]
STATUSES: Final[tuple[Status, ...]] = ("registered", "reserved", "cancelled")

# Full-width forms U+FF01..U+FF5E are the ASCII characters U+0021..U+007E shifted by 0xFEE0.
_TO_HALF_WIDTH: Final = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_INVISIBLE: Final = frozenset("\u200b\u200c\u200d\u2060\ufeff")

# GB/T 2260 province-level codes (the first two digits of every area code).
_PROVINCES: Final = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)


def normalise_name(name: str) -> str:
    """The comparison key of a business name: half-width brackets and ASCII, no whitespace.

    >>> normalise_name("深圳市南山区 李四五金店(个体工商户)") == normalise_name("深圳市南山区李四五金店（个体工商户）")
    True
    """
    return "".join(ch for ch in name.translate(_TO_HALF_WIDTH) if not ch.isspace() and ch not in _INVISIBLE)


def is_six_digits(division: str) -> bool:
    """Whether ``division`` has the shape of a GB/T 2260 code: exactly six ASCII digits."""
    return len(division) == 6 and division.isascii() and division.isdigit()


def division_problem(division: str) -> str | None:
    """What is wrong with an area code given by a person (CSV row, command line), or ``None`` if nothing."""
    if not is_six_digits(division):
        return f"division must be a 6-digit GB/T 2260 area code like 440305, got {division!r}"
    if division[:2] not in _PROVINCES:
        return f"division {division!r} is not a GB/T 2260 area code: no province has the code {division[:2]}"
    return None


def one_year_after(day: dt.date) -> dt.date:
    """The same day one year later; 29 February becomes 1 March (the year is then complete)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return dt.date(day.year + 1, 3, 1)


@dataclass(frozen=True)
class Entry:
    """One name in the registry: its current status in one area and the date that status began."""

    name: str
    division: str
    status: Status
    date: dt.date

    @property
    def free_from(self) -> dt.date | None:
        """For a cancelled name, the first day another applicant may use it again; otherwise ``None``.

        A cancelled (注销) or revoked (撤销) name stays blocked until one full year has passed
        (《企业名称登记管理规定实施办法》第二十四条: “已经注销……未满1年的原企业名称”).
        """
        return one_year_after(self.date) if self.status == "cancelled" else None

    def blocks(self, today: dt.date) -> bool:
        """Whether this entry makes the name unavailable to a new applicant on ``today``."""
        free_from = self.free_from
        return free_from is None or today < free_from
