"""The CSV importer and the command line (``python -m govauto_name_registry``)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from govauto_name_registry import ENV_VAR, NameImportError, NameRegistry, import_csv, read_csv
from govauto_name_registry.__main__ import main
from govauto_name_registry.names import Entry

TODAY = dt.date(2026, 11, 25)
HEADER = "name,division,status,date\n"
LISI = "深圳市南山区李四五金店（个体工商户）"


def _names(db: Path) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return {name: (status, date) for name, status, date in conn.execute("SELECT name, status, date FROM names")}


# ---- reading CSV ---------------------------------------------------------------------------------------------


def test_read_csv(write_csv: Callable[..., Path]) -> None:
    path = write_csv("\ufeffdivision, Name ,date,status,note\n"
                     "440305,深圳市南山区李四五金店（个体工商户）,2019-03-12,Registered,开业\n"
                     "\n"
                     ",,,,\n"
                     "440304,深圳市福田区赵六水果店（个体工商户）,2018-05-20,cancelled,\n")
    assert read_csv(path) == [
        Entry(LISI, "440305", "registered", dt.date(2019, 3, 12)),
        Entry("深圳市福田区赵六水果店（个体工商户）", "440304", "cancelled", dt.date(2018, 5, 20)),
    ]


def test_every_bad_row_is_named_by_file_and_line(write_csv: Callable[..., Path]) -> None:
    path = write_csv(HEADER
                     + f"{LISI},440305,registered,2019-03-12\n"    # line 2: fine
                     + "深圳市南山区甲店（个体工商户）,44030,registered,2019-03-12\n"
                     + "深圳市南山区乙店（个体工商户）,990101,registered,2019-03-12\n"
                     + "深圳市南山区丙店（个体工商户）,440305,active,2019-03-12\n"
                     + "深圳市南山区丁店（个体工商户）,440305,cancelled,2019/03/12\n"
                     + " ,440305,registered,2019-03-12\n"
                     + "深圳市南山区戊店（个体工商户）,440305,registered,2019-03-12,extra\n"
                     + "深圳市南山区己店（个体工商户）,440305\n")
    with pytest.raises(NameImportError) as info:
        read_csv(path)
    problems = info.value.problems
    assert problems == [
        f"{path}:3: division must be a 6-digit GB/T 2260 area code like 440305, got '44030'",
        f"{path}:4: division '990101' is not a GB/T 2260 area code: no province has the code 99",
        f"{path}:5: status must be one of registered, reserved, cancelled, got 'active'",
        f"{path}:6: date must be a date like 2026-11-25, got '2019/03/12'",
        f"{path}:7: name is empty",
        f"{path}:8: the row has more fields than the header (4)",
        f"{path}:9: status must be one of registered, reserved, cancelled, got ''",
        f"{path}:9: date must be a date like 2026-11-25, got ''",
    ]
    assert "nothing was imported (8 problem(s))" in str(info.value)


@pytest.mark.parametrize(("text", "message"), [
    ("", ":1: the file is empty"),
    ("name,division,state,date\n", ":1: missing column(s) status"),
])
def test_header_problems(write_csv: Callable[..., Path], text: str, message: str) -> None:
    with pytest.raises(NameImportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_csv(write_csv(text))


def test_encoding(write_csv: Callable[..., Path]) -> None:
    path = write_csv(HEADER + f"{LISI},440305,registered,2019-03-12\n", encoding="gb18030")
    with pytest.raises(NameImportError, match=r"not utf-8-sig text.*--encoding gb18030"):
        read_csv(path)
    assert read_csv(path, encoding="gb18030")[0].name == LISI


def test_missing_csv(tmp_path: Path) -> None:
    with pytest.raises(NameImportError, match="no such file"):
        read_csv(tmp_path / "nope.csv")


# ---- writing the database ------------------------------------------------------------------------------------


def test_import_creates_then_updates(write_csv: Callable[..., Path], tmp_path: Path) -> None:
    db = tmp_path / "names.sqlite"
    first = import_csv(write_csv(HEADER + f"{LISI},440305,registered,2019-03-12\n"
                                 "深圳市南山区林记花店（个体工商户）,440305,reserved,2026-11-10\n", "a.csv"), db)
    assert (first.rows, first.names) == (2, 2)
    second = import_csv(write_csv(HEADER
                                  # cancelled after it was registered: the cancellation wins
                                  + "深圳市南山区李四五金店(个体工商户),440305,cancelled,2026-10-01\n"
                                  # older than the stored reservation: ignored
                                  + "深圳市南山区林记花店（个体工商户）,440305,cancelled,2020-01-01\n"
                                  + "深圳市福田区赵六水果店（个体工商户）,440304,registered,2018-05-20\n", "b.csv"), db)
    assert (second.rows, second.names) == (3, 3)
    assert _names(db) == {"深圳市南山区李四五金店(个体工商户)": ("cancelled", "2026-10-01"),
                          "深圳市南山区林记花店（个体工商户）": ("reserved", "2026-11-10"),
                          "深圳市福田区赵六水果店（个体工商户）": ("registered", "2018-05-20")}
    assert NameRegistry(db, today=TODAY).name_taken(LISI, "440305")   # cancelled less than a year ago


def test_latest_row_wins_within_one_file(write_csv: Callable[..., Path], tmp_path: Path) -> None:
    db = tmp_path / "names.sqlite"
    import_csv(write_csv(HEADER + f"{LISI},440305,registered,2024-06-01\n"
                         f"{LISI},440305,cancelled,2023-01-01\n"), db)
    assert _names(db) == {LISI: ("registered", "2024-06-01")}


def test_a_bad_row_changes_nothing(write_csv: Callable[..., Path], db: Path) -> None:
    before = db.read_bytes()
    with pytest.raises(NameImportError):
        import_csv(write_csv(HEADER + "深圳市南山区新店（个体工商户）,440305,registered,2026-01-01\n"
                             "深圳市南山区坏店（个体工商户）,440305,registered,someday\n", "bad.csv"), db)
    assert db.read_bytes() == before


def test_refuses_to_touch_another_database(write_csv: Callable[..., Path], tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE accounts (id INTEGER)")
    with pytest.raises(NameImportError, match="not a business-name registry; refusing to change it"):
        import_csv(write_csv(HEADER + f"{LISI},440305,registered,2019-03-12\n"), other)
    with sqlite3.connect(other) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["accounts"]


def test_refuses_a_corrupt_database(write_csv: Callable[..., Path], tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.sqlite"
    corrupt.write_bytes(b"garbage" * 1000)
    with pytest.raises(NameImportError, match=f"{corrupt}: cannot be updated: the file is corrupt"):
        import_csv(write_csv(HEADER + f"{LISI},440305,registered,2019-03-12\n"), corrupt)


def test_missing_directory(write_csv: Callable[..., Path], tmp_path: Path) -> None:
    with pytest.raises(NameImportError, match="does not exist"):
        import_csv(write_csv(HEADER), tmp_path / "no" / "names.sqlite")


# ---- command line --------------------------------------------------------------------------------------------


def test_cli_import_and_check(write_csv: Callable[..., Path], tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "names.sqlite"
    csv_path = write_csv(HEADER + f"{LISI},440305,registered,2019-03-12\n"
                         "深圳市南山区陈记糖水铺（个体工商户）,440305,cancelled,2026-08-25\n"
                         "深圳市南山区老刘修车行（个体工商户）,440305,cancelled,2024-11-25\n")
    assert main(["import", str(csv_path), str(db)]) == 0
    assert "imported 3 row(s)" in capsys.readouterr().out

    assert main(["check", "深圳市南山区李四五金店(个体工商户)", "440305", "--db", str(db)]) == 1
    assert capsys.readouterr().out.startswith(f"taken: “{LISI}” is registered in 440305")
    on_day = ["--db", str(db), "--today", "2026-11-25"]
    assert main(["check", "深圳市南山区陈记糖水铺（个体工商户）", "440305", *on_day]) == 1
    assert "cannot be used again before 2027-08-25" in capsys.readouterr().out
    assert main(["check", "深圳市南山区老刘修车行（个体工商户）", "440305", *on_day]) == 0
    assert capsys.readouterr().out.startswith("available:")
    assert main(["check", LISI, "440304", "--db", str(db)]) == 0
    assert capsys.readouterr().out.startswith("available: no name like")


def test_cli_check_uses_the_environment(monkeypatch: pytest.MonkeyPatch, db: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(ENV_VAR, str(db))
    assert main(["check", "深圳市福田区赵六水果店（个体工商户）", "440304"]) == 1
    assert "sample" not in capsys.readouterr().err
    monkeypatch.delenv(ENV_VAR)
    assert main(["check", "深圳市福田区赵六水果店（个体工商户）", "440304"]) == 1   # also in the sample
    assert "note: using the sample" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "message"), [
    (["check", LISI, "44030"], "error: division must be a 6-digit GB/T 2260 area code like 440305, got '44030'"),
    (["check", LISI, "000000"], "error: division '000000' is not a GB/T 2260 area code"),
    (["check", " ", "440305"], "error: the name is empty"),
    (["check", LISI, "440305", "--db", "{tmp}/missing.sqlite"],
     "error: business-name registry {tmp}/missing.sqlite: the file does not exist"),
    (["import", "{tmp}/missing.csv", "{tmp}/names.sqlite"], "{tmp}/missing.csv: no such file"),
])
def test_cli_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert main([a.replace("{tmp}", str(tmp_path)) for a in args]) == 2
    err = capsys.readouterr().err
    assert message.replace("{tmp}", str(tmp_path)) in err
    assert "Traceback" not in err


def test_cli_bad_csv_row_exit_2(write_csv: Callable[..., Path], tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    csv_path = write_csv(HEADER + f"{LISI},440305,registered,2019-03-12\n{LISI},4403050,registered,2019-03-12\n")
    assert main(["import", str(csv_path), str(tmp_path / "names.sqlite")]) == 2
    assert f"{csv_path}:3: division must be a 6-digit GB/T 2260 area code" in capsys.readouterr().err
    assert not (tmp_path / "names.sqlite").exists()


def test_cli_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check", LISI])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["check", LISI, "440305", "--today", "tomorrow"])
    assert info.value.code == 2
    assert "not a date like 2026-11-25" in capsys.readouterr().err


def test_module_runs_as_a_program(db: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "govauto_name_registry", "check", LISI, "440305", "--db", str(db)],
                            capture_output=True, text=True, timeout=60, encoding="utf-8")
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("taken:")
