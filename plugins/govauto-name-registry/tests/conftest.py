from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from govauto_name_registry import ENV_VAR, import_csv

TODAY = dt.date(2026, 11, 25)
HEADER = "name,division,status,date\n"
ROWS = """\
深圳市南山区李四五金店（个体工商户）,440305,registered,2019-03-12
深圳市南山区林记花店（个体工商户）,440305,reserved,2026-11-10
深圳市南山区陈记糖水铺（个体工商户）,440305,cancelled,2026-08-25
深圳市南山区老刘修车行（个体工商户）,440305,cancelled,2024-11-25
深圳市南山区满年鞋店（个体工商户）,440305,cancelled,2025-11-25
深圳市南山区差一天茶馆（个体工商户）,440305,cancelled,2025-11-26
深圳市福田区赵六水果店（个体工商户）,440304,registered,2018-05-20
"""


@pytest.fixture(autouse=True)
def _no_registry_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(text: str, name: str = "names.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding=encoding)
        return path
    return write


@pytest.fixture
def db(tmp_path: Path, write_csv: Callable[..., Path]) -> Path:
    """A registry database holding ``ROWS``."""
    path = tmp_path / "names.sqlite"
    import_csv(write_csv(HEADER + ROWS), path)
    return path
