"""``govauto tasks``: list, assign (to a person or the least-loaded member), escalate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govauto.casework import Accounts
from govauto.cli import app
from govauto.pipeline import process_case
from govauto.runtime import Runtime
from govauto.store import open_store

EXAMPLES = Path(__file__).parents[2] / "examples" / "cases"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("GOVAUTO_HOME", str(tmp_path / "home"))
    url = f"sqlite:///{tmp_path / 'govauto.db'}"
    store = open_store(url)
    process_case(Runtime(), store, EXAMPLES / "refer.yaml")  # submitted 2026-11-20: due 2026-11-25, overdue since
    accounts = Accounts(store)
    accounts.add_user("wang", "correct horse battery", role="reviewer", groups=["440305"])
    accounts.add_user("li", "correct horse staple", role="reviewer", groups=["440305"])
    accounts.add_user("zhao", "correct horse other", role="reviewer", groups=["440304"])
    return url


def _tasks(runner: CliRunner, db: str, *args: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["tasks", "list", "--json", "--db", db, *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_list_assign_and_escalate(db: str) -> None:
    runner = CliRunner()
    [task] = _tasks(runner, db)
    assert task["case_id"] == "NS-2026-000125" and task["group"] == "440305" and task["status"] == "open"
    refused = runner.invoke(app, ["tasks", "assign", str(task["id"]), "zhao", "--db", db])
    assert refused.exit_code == 2 and "zhao" in refused.output  # another group's reviewer
    done = runner.invoke(app, ["tasks", "assign", str(task["id"]), "--least-loaded", "440305", "--db", db])
    assert done.exit_code == 0, done.output
    assert _tasks(runner, db)[0]["assignee"] == "li"  # both have none: ties go by name
    escalated = runner.invoke(app, ["tasks", "escalate", "--json", "--db", db])
    assert escalated.exit_code == 0
    [row] = [json.loads(line) for line in escalated.output.splitlines()]
    assert row["escalated"] is True and row["priority"] > task["priority"]  # type: ignore[operator]


def test_unknown_task_and_missing_target_exit_2(db: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["tasks", "assign", "R-nope", "wang", "--db", db]).exit_code == 2
    assert runner.invoke(app, ["tasks", "assign", "R-nope", "--db", db]).exit_code == 2
