"""Working days in China: weekends and public holidays off, make-up working days (调休上班) on.

Legal time limits of administrative matters are counted in working days (工作日), which depend on the State
Council's yearly holiday notice. The data is YAML (``data/holidays_cn.yaml``; its header documents the format),
and a date whose year is not in the data raises :class:`~govauto.errors.CalendarError` naming the year and the
file to extend: a missing year is never silently counted as Monday-Friday::

    calendar = WorkCalendar.default()                    # the shipped data + $GOVAUTO_HOLIDAYS
    calendar.is_working_day(date(2026, 10, 10))          # True: a Saturday made a working day
    calendar.add_working_days(submitted_at, 3)           # 23:59:59 China time of the 3rd working day after
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from govauto.errors import CalendarError
from govauto.model import CHINA

__all__ = ["DEFAULT_HOLIDAYS_FILE", "HOLIDAYS_ENV", "Holiday", "WorkCalendar"]

DEFAULT_HOLIDAYS_FILE = Path(__file__).parent / "data" / "holidays_cn.yaml"
"""The shipped data: China's holidays and make-up working days (2025 and 2026)."""

HOLIDAYS_ENV = "GOVAUTO_HOLIDAYS"
"""Extra holiday files (``:``-separated), read after the shipped one: a year they define replaces the shipped one."""

END_OF_DAY = dt.time(23, 59, 59)
"""A deadline falls at this China time of its last working day."""

_FORMAT = 1
_YEAR_KEYS = {"notice", "verified", "holidays"}
_HOLIDAY_KEYS = {"name", "days_off", "working_days"}


@dataclass(frozen=True)
class Holiday:
    """One holiday of a year's notice: its days off (inclusive) and its make-up working days."""

    year: int
    name: str
    first: dt.date
    last: dt.date
    work: tuple[dt.date, ...]
    source: str
    """The file it was read from."""

    @property
    def days_off(self) -> tuple[dt.date, ...]:
        n = (self.last - self.first).days
        return tuple(self.first + dt.timedelta(days=i) for i in range(n + 1))


@dataclass(frozen=True)
class _Year:
    year: int
    notice: str
    source: str
    holidays: tuple[Holiday, ...]


class WorkCalendar:
    """Working days of the years in its data files.

    A day is a working day when it is a weekday outside every holiday's days off, or a listed make-up working
    day. Dates are China dates; a ``datetime`` is first converted to China time (a naive one is taken as China
    time).

    :raises CalendarError: (every query) the date's year is not in the data.
    """

    def __init__(self, years: Iterable[_Year], sources: Iterable[Path]) -> None:
        self._years = {y.year: y for y in years}
        self.sources = tuple(sources)
        self._off: dict[dt.date, str] = {}
        self._work: dict[dt.date, str] = {}
        for year in self._years.values():
            for holiday in year.holidays:
                for day in holiday.days_off:
                    self._off[day] = holiday.name
                for day in holiday.work:
                    self._work[day] = holiday.name

    # -- loading ------------------------------------------------------------------------------------------------

    @classmethod
    def from_yaml(cls, *paths: Path | str) -> WorkCalendar:
        """A calendar from one or more data files; a year defined in a later file replaces the earlier one.

        :raises CalendarError: a file is missing, not YAML, or malformed (the file, year and entry are named).
        """
        if not paths:
            raise CalendarError("no holiday file given: pass at least one, e.g. WorkCalendar.default()")
        files = tuple(Path(p) for p in paths)
        stamps = tuple(_stamp(p) for p in files)
        return _load(tuple(str(p) for p in files), stamps)

    @classmethod
    def default(cls) -> WorkCalendar:
        """The shipped data (``holidays_cn.yaml``) and, after it, the files in ``$GOVAUTO_HOLIDAYS``.

        Files are read again only when they change (their modification time and size are checked each call).
        """
        extra = [p for p in os.environ.get(HOLIDAYS_ENV, "").split(os.pathsep) if p.strip()]
        return cls.from_yaml(DEFAULT_HOLIDAYS_FILE, *extra)

    # -- queries ------------------------------------------------------------------------------------------------

    @property
    def years(self) -> tuple[int, ...]:
        """The years the data covers, ascending."""
        return tuple(sorted(self._years))

    def covers(self, day: dt.date) -> bool:
        """Whether the data has the year of ``day`` (a query about it will not raise)."""
        return _china_date(day).year in self._years

    def holidays(self, year: int) -> tuple[Holiday, ...]:
        """The holidays of ``year`` as listed in its notice. :raises CalendarError: the year is not covered."""
        self._require(year)
        return self._years[year].holidays

    def notice(self, year: int) -> str:
        """The notice the year's data comes from. :raises CalendarError: the year is not covered."""
        self._require(year)
        return self._years[year].notice

    def holiday_name(self, day: dt.date) -> str | None:
        """The holiday ``day`` is a day off of, or ``None``. :raises CalendarError: the year is not covered."""
        day = _china_date(day)
        self._require(day.year)
        return self._off.get(day)

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day. :raises CalendarError: its year is not covered."""
        day = _china_date(day)
        self._require(day.year)
        if day in self._work:
            return True
        return day.weekday() < 5 and day not in self._off

    def next_working_day(self, day: dt.date, *, inclusive: bool = True) -> dt.date:
        """The first working day on or after ``day`` (after it when ``inclusive`` is false).

        :raises CalendarError: the search reaches a year that is not covered.
        """
        current = _china_date(day)
        if not inclusive:
            current += dt.timedelta(days=1)
        while not self.is_working_day(current):
            current += dt.timedelta(days=1)
        return current

    def add_working_days(self, start: dt.datetime, n: int) -> dt.datetime:
        """The end (23:59:59 China time) of the ``n``-th working day after ``start``.

        The day of ``start`` itself is not counted (as in 民法典 第二百零一条: a period counted in days starts
        the next day); a ``start`` on a non-working day counts as if made on the next working day. With a limit
        of 3 working days, a case received on Friday 2026-09-18 is due at the end of Tuesday 09-22 (Sunday 09-20
        is a make-up working day: 20, 21, 22); one received on Saturday 09-19 counts from that Sunday and is due
        at the end of Wednesday 09-23. ``n = 0`` gives the end of the start's (next) working day.

        :param start: an aware datetime (a naive one is taken as China time).
        :raises CalendarError: a day on the way is in a year that is not covered.
        :raises ValueError: ``n`` is negative.
        """
        if n < 0:
            raise ValueError(f"a number of working days cannot be negative, got {n}")
        day = self.next_working_day(_china_date(start))
        for _ in range(n):
            day = self.next_working_day(day, inclusive=False)
        return dt.datetime.combine(day, END_OF_DAY, CHINA)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """How many working days are after ``start`` and up to ``end`` inclusive (negative when ``end`` is
        earlier). ``working_days_between(d, add_working_days(d, n))`` is ``n`` when ``d`` is a working day.

        :raises CalendarError: a day in between is in a year that is not covered.
        """
        first, last = _china_date(start), _china_date(end)
        sign = 1
        if last < first:
            first, last, sign = last, first, -1
        count = 0
        day = first + dt.timedelta(days=1)
        while day <= last:
            if self.is_working_day(day):
                count += 1
            day += dt.timedelta(days=1)
        return sign * count

    def _require(self, year: int) -> None:
        if year in self._years:
            return
        covered = ", ".join(str(y) for y in self.years) or "no year"
        files = ", ".join(str(p) for p in self.sources)
        raise CalendarError(
            f"the working-day calendar has no data for {year} (it covers {covered}; read from {files}): add a "
            f"{year} section with the holidays and make-up working days of the State Council's notice "
            f"(国务院办公厅关于{year}年部分节假日安排的通知) to a YAML file in the layout of "
            f"{DEFAULT_HOLIDAYS_FILE.name} and name it in ${HOLIDAYS_ENV}; docs/casework.md describes the format")

    def __repr__(self) -> str:
        return f"WorkCalendar(years={list(self.years)})"


def _china_date(value: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=CHINA)
        return aware.astimezone(CHINA).date()
    return value


def _stamp(path: Path) -> tuple[int, int]:
    try:
        info = path.stat()
    except OSError as error:
        raise CalendarError(f"{path}: cannot read the holiday file ({error.strerror or error}); check the path"
                            + (f" in ${HOLIDAYS_ENV}" if path != DEFAULT_HOLIDAYS_FILE else "")) from None
    return info.st_mtime_ns, info.st_size


@lru_cache(maxsize=16)
def _load(paths: tuple[str, ...], stamps: tuple[tuple[int, int], ...]) -> WorkCalendar:
    del stamps  # part of the cache key only: a changed file is read again
    years: dict[int, _Year] = {}
    for name in paths:
        for year in _read_file(Path(name)):
            years[year.year] = year
    calendar = WorkCalendar(years.values(), (Path(p) for p in paths))
    _check_overlaps(years)
    return calendar


def _read_file(path: Path) -> list[_Year]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CalendarError(f"{path}: cannot read the holiday file ({error.strerror or error})") from None
    except yaml.YAMLError as error:
        raise CalendarError(f"{path}: not valid YAML: {error}") from None
    except ValueError as error:  # PyYAML builds dates while parsing: 2027-13-01 fails here
        raise CalendarError(f"{path}: a value is not a date ({error}); write dates as YYYY-MM-DD") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("years"), Mapping):
        raise CalendarError(f"{path}: expected a mapping with `format: {_FORMAT}` and `years:` (year → notice and "
                            "holidays); see the header of the shipped holidays_cn.yaml")
    if data.get("format", _FORMAT) != _FORMAT:
        raise CalendarError(f"{path}: format {data.get('format')!r} is not supported; this govauto reads "
                            f"format {_FORMAT}")
    unknown = set(data) - {"format", "years"}
    if unknown:
        raise CalendarError(f"{path}: unknown top-level key(s) {', '.join(sorted(map(str, unknown)))}; "
                            "only `format` and `years` are allowed")
    return [_read_year(path, key, value) for key, value in data["years"].items()]


def _read_year(path: Path, key: Any, value: Any) -> _Year:
    if isinstance(key, bool) or not isinstance(key, int) or not 1949 < key < 2200:
        raise CalendarError(f"{path}: year key {key!r} is not a year like 2026")
    where = f"{path}: year {key}"
    if not isinstance(value, Mapping):
        raise CalendarError(f"{where}: expected a mapping with `notice` and `holidays`")
    unknown = set(value) - _YEAR_KEYS
    if unknown:
        raise CalendarError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; allowed: "
                            f"{', '.join(sorted(_YEAR_KEYS))}")
    notice = value.get("notice")
    if not isinstance(notice, str) or not notice.strip():
        raise CalendarError(f"{where}: `notice` must name the State Council notice the dates come from")
    raw = value.get("holidays")
    if not isinstance(raw, list) or not raw:
        raise CalendarError(f"{where}: `holidays` must be a list of holidays (name, days_off, working_days)")
    holidays = tuple(_read_holiday(path, key, i, item) for i, item in enumerate(raw))
    return _Year(key, notice.strip(), str(path), holidays)


def _read_holiday(path: Path, year: int, index: int, item: Any) -> Holiday:
    where = f"{path}: year {year}, holiday #{index + 1}"
    if not isinstance(item, Mapping):
        raise CalendarError(f"{where}: expected a mapping with name, days_off and working_days")
    name = item.get("name")
    if isinstance(name, str) and name.strip():
        where += f" ({name.strip()})"
    else:
        raise CalendarError(f"{where}: `name` is missing")
    unknown = set(item) - _HOLIDAY_KEYS
    if unknown:
        raise CalendarError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; allowed: "
                            f"{', '.join(sorted(_HOLIDAY_KEYS))}")
    off = item.get("days_off")
    if isinstance(off, list):
        if len(off) != 2:
            raise CalendarError(f"{where}: `days_off` must be one date or [first, last], got {len(off)} values")
        first, last = (_date(where, "days_off", v) for v in off)
    else:
        first = last = _date(where, "days_off", off)
    if last < first:
        raise CalendarError(f"{where}: `days_off` ends ({last}) before it starts ({first})")
    if (last - first).days > 31:
        raise CalendarError(f"{where}: `days_off` spans {(last - first).days + 1} days; a holiday is at most a few "
                            "days, check the dates")
    if abs(first.year - year) > 1 or abs(last.year - year) > 1:
        raise CalendarError(f"{where}: `days_off` ({first} to {last}) is not in or next to {year}")
    raw_work = item.get("working_days", [])
    if raw_work is None:
        raw_work = []
    if not isinstance(raw_work, list):
        raw_work = [raw_work]
    work = tuple(_date(where, "working_days", v) for v in raw_work)
    for day in work:
        if day.weekday() < 5:
            raise CalendarError(f"{where}: make-up working day {day} is a {day.strftime('%A')}; make-up days "
                                "(调休上班) are Saturdays or Sundays, check the date")
        if first <= day <= last:
            raise CalendarError(f"{where}: {day} is listed both as a day off and as a make-up working day")
    return Holiday(year, name.strip(), first, last, work, str(path))


def _date(where: str, key: str, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise CalendarError(f"{where}: `{key}` value {value!r} is not a date; write it as YYYY-MM-DD")


def _check_overlaps(years: Mapping[int, _Year]) -> None:
    off: dict[dt.date, str] = {}
    for year in years.values():
        for holiday in year.holidays:
            for day in holiday.days_off:
                off[day] = f"{holiday.source}: year {year.year} ({holiday.name})"
    for year in years.values():
        for holiday in year.holidays:
            for day in holiday.work:
                if day in off:
                    raise CalendarError(f"{holiday.source}: year {year.year} ({holiday.name}): make-up working day "
                                        f"{day} is a day off in {off[day]}")
