"""NameRegistry: what counts as taken, and how every failure to read the database is reported."""

from __future__ import annotations

import datetime as dt
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import govauto
import pytest

from govauto_name_registry import ENV_VAR, NameRegistry, normalise_name
from govauto_name_registry.names import Entry, one_year_after
from govauto_name_registry.registry import sample_entries
from govauto_name_registry.store import LOOKUP_SQL

TODAY = dt.date(2026, 11, 25)
LISI = "深圳市南山区李四五金店（个体工商户）"
WANGWU = "深圳市南山区王五餐馆（个体工商户）"


# ---- names ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", [
    "深圳市南山区李四五金店(个体工商户)",
    "深圳市南山区李四五金店（个体工商户)",
    " 深圳市南山区 李四五金店 （个体工商户） ",
    "深圳市南山区\u3000李四五金店\t（个体工商户）\n",
    "深圳市南山区李四\u200b五金店（个体工商户）",
])
def test_bracket_width_and_whitespace_do_not_make_a_new_name(variant: str) -> None:
    assert normalise_name(variant) == normalise_name(LISI) == "深圳市南山区李四五金店(个体工商户)"


def test_other_characters_do_make_a_new_name() -> None:
    assert normalise_name("深圳市南山区李四五金铺（个体工商户）") != normalise_name(LISI)
    assert normalise_name("深圳市南山区李四五金店") != normalise_name(LISI)


def test_full_width_ascii_is_half_width() -> None:
    assert normalise_name("Ａ１便利店") == "A1便利店"


@pytest.mark.parametrize(("cancelled", "free_from"), [
    (dt.date(2025, 11, 25), dt.date(2026, 11, 25)),
    (dt.date(2024, 2, 29), dt.date(2025, 3, 1)),
])
def test_one_year_after(cancelled: dt.date, free_from: dt.date) -> None:
    assert one_year_after(cancelled) == free_from
    assert Entry("x", "440305", "cancelled", cancelled).free_from == free_from


# ---- what is taken --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "division", "taken"), [
    (LISI, "440305", True),                                          # registered
    ("深圳市南山区李四五金店(个体工商户)", "440305", True),             # half-width brackets
    ("深圳市南山区 李四五金店（个体工商户）", "440305", True),          # whitespace
    (LISI, "440304", False),                                         # another county-level area
    ("深圳市南山区林记花店（个体工商户）", "440305", True),             # reserved
    ("深圳市南山区陈记糖水铺（个体工商户）", "440305", True),           # cancelled 3 months ago
    ("深圳市南山区差一天茶馆（个体工商户）", "440305", True),           # cancelled 1 year less a day ago
    ("深圳市南山区满年鞋店（个体工商户）", "440305", False),            # cancelled exactly 1 year ago
    ("深圳市南山区老刘修车行（个体工商户）", "440305", False),          # cancelled 2 years ago
    ("深圳市南山区张三便利店（个体工商户）", "440305", False),          # never registered
    ("深圳市福田区赵六水果店（个体工商户）", "440304", True),
    ("", "440305", False),
    ("  ", "440305", False),
])
def test_name_taken(db: Path, name: str, division: str, taken: bool) -> None:
    assert NameRegistry(db, today=TODAY).name_taken(name, division) is taken


def test_cancelled_names_count_back_from_today(db: Path) -> None:
    name = "深圳市南山区陈记糖水铺（个体工商户）"   # cancelled 2026-08-25
    assert NameRegistry(db, today=dt.date(2027, 8, 24)).name_taken(name, "440305")
    assert not NameRegistry(db, today=dt.date(2027, 8, 25)).name_taken(name, "440305")
    days = iter([dt.date(2027, 8, 24), dt.date(2027, 8, 25)])
    registry = NameRegistry(db, today=lambda: next(days))
    assert [registry.name_taken(name, "440305") for _ in range(2)] == [True, False]


def test_lookup_returns_the_stored_entry(db: Path) -> None:
    entry = NameRegistry(db).lookup("深圳市南山区李四五金店(个体工商户)", "440305")
    assert entry == Entry(LISI, "440305", "registered", dt.date(2019, 3, 12))
    assert NameRegistry(db).lookup(LISI, "110101") is None


def test_division_must_be_six_digits(db: Path) -> None:
    with pytest.raises(ValueError, match="6-digit"):
        NameRegistry(db).name_taken(LISI, "44030")


def test_implements_the_govauto_protocol(db: Path) -> None:
    assert isinstance(NameRegistry(db), govauto.BusinessNameRegistry)


def test_lookups_use_the_division_name_index(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        plan = " ".join(str(row) for row in conn.execute(f"EXPLAIN QUERY PLAN {LOOKUP_SQL}", ("440305", "x")))
    assert "names_by_division_key" in plan


def test_many_threads_share_one_registry(db: Path) -> None:
    registry = NameRegistry(db, today=TODAY)
    names = [(LISI, True), ("深圳市南山区张三便利店（个体工商户）", False),
             ("深圳市南山区陈记糖水铺（个体工商户）", True)] * 100
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda item: registry.name_taken(item[0], "440305") is item[1], names))
    assert all(results)


def test_an_updated_database_is_seen_by_the_next_lookup(db: Path, tmp_path: Path) -> None:
    from govauto_name_registry.importer import import_entries

    registry = NameRegistry(db, today=TODAY)
    assert not registry.name_taken("深圳市南山区新开张面馆（个体工商户）", "440305")
    import_entries([Entry("深圳市南山区新开张面馆（个体工商户）", "440305", "registered", TODAY)], db)
    assert registry.name_taken("深圳市南山区新开张面馆（个体工商户）", "440305")


# ---- failures: always LookupUnavailableError naming the file ---------------------------------------------------


def _unavailable(registry: NameRegistry, match: str) -> govauto.LookupUnavailableError:
    with pytest.raises(govauto.LookupUnavailableError, match=match) as info:
        registry.name_taken(LISI, "440305")
    assert str(registry.path) in str(info.value)
    assert not isinstance(info.value, sqlite3.Error)
    return info.value


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.sqlite"
    registry = NameRegistry(path)                    # constructing it opens nothing
    error = _unavailable(registry, "does not exist")
    assert ENV_VAR in str(error)
    assert not path.exists()                         # read-only: a lookup never creates the file


def test_directory(tmp_path: Path) -> None:
    _unavailable(NameRegistry(tmp_path), "is not a file")


def test_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.sqlite"
    path.write_bytes(b"this is not a database at all" * 200)
    _unavailable(NameRegistry(path), "corrupt or not a SQLite database")


def test_truncated_database(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[:100] + b"\xff" * (len(data) - 100))
    _unavailable(NameRegistry(db), "corrupt|not a business-name registry|cannot be read")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    path.touch()
    _unavailable(NameRegistry(path), "not a business-name registry")
    assert path.stat().st_size == 0


def test_another_applications_database(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE names (name TEXT)")
    _unavailable(NameRegistry(path), "not a business-name registry")


def test_other_format_version(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    _unavailable(NameRegistry(db), "format version 99")


def test_locked_database(db: Path) -> None:
    writer = sqlite3.connect(db, isolation_level=None)
    try:
        writer.execute("BEGIN EXCLUSIVE")
        _unavailable(NameRegistry(db, timeout=0.05), "locked")
    finally:
        writer.close()
    assert NameRegistry(db).name_taken(LISI, "440305")


def test_invalid_row(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE names SET date = 'soon'")
    _unavailable(NameRegistry(db), "invalid row")


# ---- where the names come from -------------------------------------------------------------------------------


def test_environment_names_the_file(monkeypatch: pytest.MonkeyPatch, db: Path) -> None:
    monkeypatch.setenv(ENV_VAR, str(db))
    assert NameRegistry.from_environment().path == db


def test_environment_path_is_made_absolute(monkeypatch: pytest.MonkeyPatch, db: Path) -> None:
    monkeypatch.chdir(db.parent)
    registry = NameRegistry.from_environment({ENV_VAR: db.name})
    monkeypatch.chdir("/")
    assert registry.path == db and registry.name_taken(LISI, "440305")


@pytest.mark.parametrize("environ", [{}, {ENV_VAR: ""}, {ENV_VAR: "  "}])
def test_sample_when_unset(environ: dict[str, str]) -> None:
    registry = NameRegistry.from_environment(environ)
    assert registry.path is None and "sample" in registry.source


def test_sample_contents() -> None:
    entries = sample_entries()
    assert len(entries) >= 14
    assert len({e.division for e in entries}) >= 8
    assert Entry(LISI, "440305", "registered", dt.date(2019, 3, 12)) in entries
    assert any(e.name == WANGWU and e.division == "440305" and e.status == "registered" for e in entries)
    cancelled = {e.date for e in entries if e.status == "cancelled"}
    assert {dt.date(2026, 8, 25), dt.date(2024, 11, 25)} <= cancelled


def test_sample_lookups() -> None:
    registry = NameRegistry.sample(today=TODAY)
    assert registry.name_taken(LISI, "440305")
    assert registry.name_taken(WANGWU, "440305")
    assert registry.name_taken("深圳市南山区陈记糖水铺（个体工商户）", "440305")       # cancelled 3 months ago
    assert not registry.name_taken("深圳市南山区老刘修车行（个体工商户）", "440305")   # cancelled 2 years ago
    assert not registry.name_taken("深圳市南山区张三便利店（个体工商户）", "440305")


def test_sample_writes_nothing_to_the_package() -> None:
    import govauto_name_registry

    package = Path(govauto_name_registry.__file__).parent
    before = sorted(p for p in package.rglob("*") if "__pycache__" not in p.parts)
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(lambda _: NameRegistry.sample().name_taken(LISI, "440305"), range(20)))
    assert sorted(p for p in package.rglob("*") if "__pycache__" not in p.parts) == before
