"""Seeding the reviewer web page's tests: accounts, and cases taken through the real pipeline.

The helpers here are shared by the unit tests (``test_web_*.py``) and the browser test
(``tests/integration/test_web_review.py``); the tests below check that the seeded data is what they expect.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from argon2 import PasswordHasher

import govauto
from govauto.casework import Accounts, CaseStore, ReviewQueue, Task, WorkCalendar
from govauto.pipeline import Processed, process_case
from govauto.store import Store
from govauto.testing.documents import generate_document

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "cases"
PASSWORD = "correct horse battery staple"
GROUP = "440305"
OTHER_GROUP = "110101"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
"""Accounts are made with cheap hashes (the app's own hasher verifies them by their parameters)."""

USERS: dict[str, tuple[str, list[str], str]] = {
    "zhang": ("reviewer", [GROUP], "张审核"),
    "li": ("reviewer", [GROUP], "李审核"),
    "wang": ("reviewer", [OTHER_GROUP], "王审核"),
    "chen": ("supervisor", [GROUP], "陈主管"),
    "root": ("admin", [], "管理员"),
}
"""zhang and li review group 440305 (Nanshan), wang group 110101 (another authority), chen supervises 440305."""

REFERRED_WITH_MATERIALS = ["applicant.public_servant", "applicant.phone", "name.suffix", "name.forbidden_form",
                           "name.conflict_unchecked", "extracted.lease.lessee"]
"""The findings of :func:`referred_case_file`, in order."""


def add_users(store: Store) -> Accounts:
    """The accounts of :data:`USERS`, each with :data:`PASSWORD`."""
    accounts = Accounts(store, hasher=FAST_HASHER)
    for name, (role, groups, shown) in USERS.items():
        if accounts.find(name) is None:
            accounts.add_user(name, PASSWORD, role=role, groups=groups, display_name=shown)  # type: ignore[arg-type]
    return accounts


def referred_case_file(directory: Path, case_id: str = "NS-2026-000321") -> Path:
    """A case the review refers, with two text-layer PDFs (application form, lease) and several deficiencies.

    From ``examples/cases/approve.yaml``: the operator declares being a public servant (→ refer), the phone is a
    landline and the name lacks （个体工商户） and says 有限公司 (→ three 补正 findings), and the lease names 李四,
    not the operator (→ 补正 with a field read from the lease). The ID card is shared by the data-sharing
    platform (no file, so no OCR is needed).
    """
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / "approve.yaml").read_text("utf-8"))
    data["case_id"] = case_id
    data["applicant"].update(phone="0755-1234", public_servant=True)
    data["business"]["name"] = "深圳市南山区张三贸易有限公司"
    materials = directory / "materials"
    form = generate_document("application_form", data, materials / "application_form.pdf")
    lease = generate_document("lease", data, materials / "lease.pdf", overrides={"lessee": "李四"})
    data["materials"] = [
        {"kind": "application_form", "file": str(form.path.relative_to(directory))},
        {"kind": "id_card", "source": "shared"},
        {"kind": "premises_proof", "file": str(lease.path.relative_to(directory))},
    ]
    path = directory / "case.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def refer_example(directory: Path, case_id: str) -> Path:
    """``examples/cases/refer.yaml`` (a 17-year-old on their own income: refer, no materials) as ``case_id``."""
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / "refer.yaml").read_text("utf-8"))
    data["case_id"] = case_id
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{case_id}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def seed(runtime: govauto.Runtime, store: Store, case_file: Path) -> Processed:
    """Take a case file through the real pipeline (intake, extraction, review, referral)."""
    return process_case(runtime, store, case_file, enqueue=False)


def sensitive_task(runtime: govauto.Runtime, store: Store, directory: Path, case_id: str) -> Task:
    """A case the machine rejects (``examples/cases/reject.yaml``), then a review task opened on it (as after an
    objection): approving it overrides the machine's reject, which needs a second reviewer (four-eyes)."""
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / "reject.yaml").read_text("utf-8"))
    data["case_id"] = case_id
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{case_id}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    processed = seed(runtime, store, path)
    assert processed.decision.outcome == "reject", processed.decision
    return ReviewQueue(store, WorkCalendar.default()).open(
        case_id, processed.record.version, reasons=["objection"],
        findings=[f.to_dict() for f in processed.decision.findings], group=GROUP, time_limit_days=3,
        message="申请人对不予登记提出异议 objection to the rejection")


@pytest.fixture(scope="module")
def seeding_runtime() -> govauto.Runtime:
    return govauto.Runtime(load_entrypoints=False)


def test_the_referred_case_has_the_findings_the_web_tests_tick(tmp_path: Path, seeding_runtime: govauto.Runtime,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVAUTO_HOME", str(tmp_path / "home"))
    store = govauto_store(tmp_path)
    processed = seed(seeding_runtime, store, referred_case_file(tmp_path / "case"))
    assert processed.decision.outcome == "refer"
    assert [f.rule for f in processed.decision.findings] == REFERRED_WITH_MATERIALS
    record = CaseStore(store).get("NS-2026-000321")
    lease = next(e for e in record.extractions if e["doc_type"] == "lease")
    assert lease["fields"]["lessee"]["value"] == "李四"
    assert lease["fields"]["lessee"]["source"]["unit"] == "pt"
    (task,) = ReviewQueue(store, WorkCalendar.default()).list(case_id="NS-2026-000321")
    assert task.group == GROUP and task.status == "open"


def test_the_sensitive_task_overrides_a_machine_reject(tmp_path: Path, seeding_runtime: govauto.Runtime,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVAUTO_HOME", str(tmp_path / "home"))
    store = govauto_store(tmp_path)
    task = sensitive_task(seeding_runtime, store, tmp_path / "cases", "NS-2026-000900")
    assert task.machine_outcome == "reject"
    assert task.due_at is not None and task.due_at > dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def govauto_store(directory: Path) -> Store:
    from govauto.store import open_store

    return open_store(f"sqlite:///{directory / 'govauto.db'}")
