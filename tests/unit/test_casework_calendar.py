"""Working days: the shipped 2025-2026 data, checked day by day against chinese-calendar when it is installed;
deadlines over weekends, holidays and make-up days; loud failures outside the data and on malformed files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govauto.casework import DEFAULT_HOLIDAYS_FILE, HOLIDAYS_ENV, WorkCalendar
from govauto.errors import CalendarError
from govauto.model import CHINA

COVERED = (2025, 2026)


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return WorkCalendar.from_yaml(DEFAULT_HOLIDAYS_FILE)


def every_day(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [first + dt.timedelta(days=i) for i in range((dt.date(year + 1, 1, 1) - first).days)]


def test_every_day_of_2025_and_2026_agrees_with_chinese_calendar(calendar: WorkCalendar) -> None:
    chinese_calendar = pytest.importorskip(
        "chinese_calendar", reason="the cross-check needs the chinese-calendar package (development only): "
                                   ".venv/bin/pip install chinesecalendar")
    wrong = [(day.isoformat(), calendar.is_working_day(day))
             for year in COVERED for day in every_day(year)
             if calendar.is_working_day(day) != chinese_calendar.is_workday(day)]
    assert wrong == [], f"days where holidays_cn.yaml disagrees with chinese-calendar: {wrong}"


def test_the_shipped_data_matches_the_notices(calendar: WorkCalendar) -> None:
    # independent of chinese-calendar: counts and the make-up days straight from the two notices
    assert calendar.years == COVERED
    makeup = {year: [d for d in every_day(year) if d.weekday() >= 5 and calendar.is_working_day(d)]
              for year in COVERED}
    assert makeup[2025] == [dt.date(2025, 1, 26), dt.date(2025, 2, 8), dt.date(2025, 4, 27), dt.date(2025, 9, 28),
                            dt.date(2025, 10, 11)]
    assert makeup[2026] == [dt.date(2026, 1, 4), dt.date(2026, 2, 14), dt.date(2026, 2, 28), dt.date(2026, 5, 9),
                            dt.date(2026, 9, 20), dt.date(2026, 10, 10)]
    days_off = {year: sum(len(h.days_off) for h in calendar.holidays(year)) for year in COVERED}
    assert days_off == {2025: 1 + 8 + 3 + 5 + 3 + 8, 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7}
    assert calendar.holiday_name(dt.date(2026, 2, 17)) == "春节"
    assert calendar.holiday_name(dt.date(2026, 9, 25)) == "中秋节"
    assert calendar.holiday_name(dt.date(2025, 10, 6)) == "国庆节、中秋节"
    assert calendar.holiday_name(dt.date(2026, 3, 2)) is None
    assert "2025年部分节假日安排" in calendar.notice(2025)


@pytest.mark.parametrize(("start", "n", "due"), [
    (dt.datetime(2026, 11, 20, 9, 30, tzinfo=CHINA), 3, dt.date(2026, 11, 25)),  # Friday → Wednesday
    (dt.datetime(2026, 11, 21, 9, 30, tzinfo=CHINA), 3, dt.date(2026, 11, 26)),  # Saturday: as if Monday
    (dt.datetime(2026, 11, 20, 9, 30, tzinfo=CHINA), 0, dt.date(2026, 11, 20)),
    (dt.datetime(2026, 11, 22, 9, 30, tzinfo=CHINA), 0, dt.date(2026, 11, 23)),  # Sunday, 0 days: Monday
    (dt.datetime(2026, 9, 30, 10, 0, tzinfo=CHINA), 3, dt.date(2026, 10, 10)),   # 国庆; make-up Saturday 10-10
    (dt.datetime(2026, 9, 24, 10, 0, tzinfo=CHINA), 1, dt.date(2026, 9, 28)),    # 中秋 09-25..27
    (dt.datetime(2026, 9, 18, 10, 0, tzinfo=CHINA), 3, dt.date(2026, 9, 22)),    # make-up Sunday 09-20 counts
    (dt.datetime(2026, 9, 19, 10, 0, tzinfo=CHINA), 3, dt.date(2026, 9, 23)),    # Saturday: as if Sunday 09-20
    (dt.datetime(2026, 2, 13, 10, 0, tzinfo=CHINA), 3, dt.date(2026, 2, 25)),    # 春节 02-15..23; 02-14 works
    (dt.datetime(2026, 2, 16, 10, 0, tzinfo=CHINA), 3, dt.date(2026, 2, 27)),    # inside 春节: from 02-24
    (dt.datetime(2025, 12, 31, 10, 0, tzinfo=CHINA), 2, dt.date(2026, 1, 5)),    # over the year: 元旦 01-01..03,
    (dt.datetime(2025, 1, 24, 10, 0, tzinfo=CHINA), 3, dt.date(2025, 2, 5)),     # Sunday 01-04 works; 2025 春节
    (dt.datetime(2026, 11, 20, 17, 30, tzinfo=dt.UTC), 1, dt.date(2026, 11, 24)),  # 01:30 Saturday in China
    (dt.datetime(2026, 11, 20, 23, 30), 1, dt.date(2026, 11, 23)),               # naive: China time (Friday)
])
def test_add_working_days(calendar: WorkCalendar, start: dt.datetime, n: int, due: dt.date) -> None:
    end = calendar.add_working_days(start, n)
    assert end == dt.datetime.combine(due, dt.time(23, 59, 59), CHINA)
    if calendar.is_working_day(start):
        assert calendar.working_days_between(start, end) == n


def test_working_days_between(calendar: WorkCalendar) -> None:
    assert calendar.working_days_between(dt.date(2026, 9, 30), dt.date(2026, 10, 10)) == 3
    assert calendar.working_days_between(dt.date(2026, 10, 10), dt.date(2026, 9, 30)) == -3
    assert calendar.working_days_between(dt.date(2026, 2, 14), dt.date(2026, 2, 23)) == 0
    assert calendar.working_days_between(dt.date(2025, 12, 31), dt.date(2026, 12, 31)) == 248
    assert calendar.working_days_between(dt.date(2026, 1, 5), dt.date(2026, 12, 31)) == 248 - 2  # 01-04 works
    # 2025: 261 weekdays - 18 weekdays off (1 + 6 + 1 + 3 + 1 + 6) + 5 make-up days
    assert sum(calendar.is_working_day(d) for d in every_day(2025)) == 248
    assert sum(calendar.is_working_day(d) for d in every_day(2026)) == 248
    assert calendar.next_working_day(dt.date(2026, 10, 1)) == dt.date(2026, 10, 8)
    assert calendar.next_working_day(dt.date(2026, 10, 8), inclusive=False) == dt.date(2026, 10, 9)
    with pytest.raises(ValueError, match="negative"):
        calendar.add_working_days(dt.datetime(2026, 1, 5, tzinfo=CHINA), -1)


@pytest.mark.parametrize("day", [dt.date(2024, 12, 31), dt.date(2027, 1, 4), dt.date(2030, 6, 1)])
def test_a_year_outside_the_data_fails_loudly(calendar: WorkCalendar, day: dt.date) -> None:
    with pytest.raises(CalendarError, match=rf"no data for {day.year} \(it covers 2025, 2026; read from .*"
                                            r"holidays_cn\.yaml\).*GOVAUTO_HOLIDAYS"):
        calendar.is_working_day(day)
    assert not calendar.covers(day)


def test_a_deadline_running_into_an_uncovered_year_fails(calendar: WorkCalendar) -> None:
    with pytest.raises(CalendarError, match="2027"):
        calendar.add_working_days(dt.datetime(2026, 12, 28, 10, tzinfo=CHINA), 5)
    assert calendar.add_working_days(dt.datetime(2026, 12, 28, 10, tzinfo=CHINA), 3).date() == dt.date(2026, 12, 31)


YEAR_2027 = """\
format: 1
years:
  2027:
    notice: a test notice, not the real one
    holidays:
      - name: 元旦
        days_off: 2027-01-01
        working_days: []
      - name: 测试
        days_off: [2027-01-04, 2027-01-05]
        working_days: [2027-01-09]
"""


def test_an_admin_extends_the_calendar_with_a_file_of_their_own(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    extra = tmp_path / "holidays_2027.yaml"
    extra.write_text(YEAR_2027, encoding="utf-8")
    monkeypatch.setenv(HOLIDAYS_ENV, str(extra))
    calendar = WorkCalendar.default()
    assert calendar.years == (2025, 2026, 2027)
    assert not calendar.is_working_day(dt.date(2027, 1, 4)) and calendar.is_working_day(dt.date(2027, 1, 9))
    assert calendar.add_working_days(dt.datetime(2026, 12, 31, 10, tzinfo=CHINA), 2).date() == dt.date(2027, 1, 7)
    replaced = tmp_path / "replace_2026.yaml"
    replaced.write_text("years:\n  2026:\n    notice: a test notice\n    holidays:\n"
                        "      - {name: 元旦, days_off: 2026-01-01}\n", encoding="utf-8")
    monkeypatch.setenv(HOLIDAYS_ENV, f"{extra}:{replaced}")
    mine = WorkCalendar.default()
    assert mine.is_working_day(dt.date(2026, 10, 1))  # the shipped 2026 was replaced as a whole
    assert mine.notice(2026) == "a test notice"
    monkeypatch.setenv(HOLIDAYS_ENV, str(tmp_path / "missing.yaml"))
    with pytest.raises(CalendarError, match=r"missing\.yaml: cannot read the holiday file.*GOVAUTO_HOLIDAYS"):
        WorkCalendar.default()


@pytest.mark.parametrize(("change", "message"), [
    (("working_days: [2027-01-09]", "working_days: [2027-01-08]"),
     r"year 2027, holiday #2 \(测试\): make-up working day 2027-01-08 is a Friday"),
    (("days_off: [2027-01-04, 2027-01-05]", "days_off: [2027-01-05, 2027-01-04]"), "ends .* before it starts"),
    (("days_off: [2027-01-04, 2027-01-05]", "off: [2027-01-04, 2027-01-05]"), r"unknown key\(s\) False"),
    (("days_off: 2027-01-01", "days_off: 2027-13-01"), r"a value is not a date \(month must be in 1..12\)"),
    (("days_off: 2027-01-01", "days_off: next monday"), "is not a date; write it as YYYY-MM-DD"),
    (("  2027:", "  twenty:"), "year key 'twenty' is not a year"),
    (("    notice: a test notice, not the real one\n", ""), "`notice` must name the State Council notice"),
    (("working_days: [2027-01-09]", "working_days: [2027-01-02]\n      - name: x\n        days_off: 2027-01-02"),
     "2027-01-02 is a day off"),
    (("format: 1", "format: 2"), "format 2 is not supported"),
])
def test_a_malformed_file_is_refused_with_its_place(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = tmp_path / "bad.yaml"
    old, new = change
    assert old in YEAR_2027
    path.write_text(YEAR_2027.replace(old, new), encoding="utf-8")
    with pytest.raises(CalendarError, match=message) as raised:
        WorkCalendar.from_yaml(path)
    assert str(path) in str(raised.value)
