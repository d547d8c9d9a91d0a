"""The HTTP intake API with Starlette's TestClient: tokens, taking in a case as JSON or with uploaded materials,
every contract problem at once, limits, reading cases and notices back, the packs in force; and API tokens
(``govauto.casework.ApiTokens``, ``govauto users token ...``)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

with warnings.catch_warnings():  # starlette asks for httpx2 instead of httpx; httpx is what the project installs
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

import govauto
from govauto.audit import AuditTrail
from govauto.casework import ApiTokens
from govauto.cli import app as cli_app
from govauto.errors import ApiTokenError
from govauto.store import Store, open_store
from govauto.store.casework_schema import api_tokens
from govauto.testing.documents import generate_document
from govauto.web import create_app
from tests.unit.test_web_seeding import PASSWORD, add_users

ROOT = Path(__file__).resolve().parents[2]


def ensure_api_tokens_table(store: Store) -> None:
    """Until the schema revision that adds ``api_tokens`` exists, make the table here (after the migrations ran,
    so that once the revision exists this does nothing)."""
    api_tokens.create(store.engine, checkfirst=True)


@dataclass
class Api:
    store: Store
    home: Path
    url: str
    secret: str
    runtime: govauto.Runtime

    def client(self, max_body: int | None = None) -> TestClient:
        app = create_app(self.url, runtime=self.runtime, home=self.home, pack_poll=0, api_max_body=max_body)
        return TestClient(app, base_url="http://testserver", follow_redirects=False,
                          headers={"Authorization": f"Bearer {self.secret}"})


@pytest.fixture(scope="module")
def api_runtime() -> govauto.Runtime:
    return govauto.Runtime(load_entrypoints=False)


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api_runtime: govauto.Runtime) -> Iterator[Api]:
    home = tmp_path / "home"
    monkeypatch.setenv("GOVAUTO_HOME", str(home))
    monkeypatch.setenv("GOVAUTO_ESCALATE_SECONDS", "0")
    monkeypatch.delenv("GOVAUTO_API_MAX_BODY", raising=False)
    url = f"sqlite:///{home / 'govauto.db'}"
    store = open_store(url)
    ensure_api_tokens_table(store)
    _token, secret = ApiTokens(store).create("intake-portal", created_by="user:test")
    yield Api(store, home, url, secret, api_runtime)
    store.dispose()


def a_case(case_id: str = "API-1", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "cases" / "approve.yaml").read_text("utf-8"))
    data["business"].pop("name")  # no name: no business-name registry is consulted
    data["case_id"] = case_id
    data.update(changes)
    return copy.deepcopy(data)


# -- authentication -----------------------------------------------------------------------------------------------

def test_every_route_needs_a_valid_token(api: Api) -> None:
    with api.client() as client:
        client.headers.pop("Authorization")
        for method, path in (("POST", "/api/cases"), ("GET", "/api/cases/API-1"), ("GET", "/api/packs"),
                             ("GET", "/api/cases/API-1/versions/1/notice.pdf")):
            response = client.request(method, path, json=a_case() if method == "POST" else None)
            assert response.status_code == 401, path
            assert response.json()["error"] == "unauthorized" and response.headers["www-authenticate"] == \
                'Bearer realm="govauto"'
        for header in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer gva_wrong", f"Token {api.secret}"):
            assert client.get("/api/packs", headers={"Authorization": header}).status_code == 401, header
        assert client.get("/api/cases/nothing").status_code == 401  # not even a 404 without a token


def test_a_revoked_or_expired_token_is_refused(api: Api) -> None:
    tokens = ApiTokens(api.store)
    token, secret = tokens.create("short-lived", created_by="user:test", expires_in=dt.timedelta(days=1))
    with api.client() as client:
        ok = client.get("/api/packs", headers={"Authorization": f"Bearer {secret}"})
        assert ok.status_code == 200
        tokens.revoke(token.id)
        refused = client.get("/api/packs", headers={"Authorization": f"Bearer {secret}"})
        assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["www-authenticate"]
    later = ApiTokens(api.store, clock=lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    _, expiring = tokens.create("expiring", created_by="user:test", expires_in=dt.timedelta(days=1))
    assert tokens.verify(expiring) is not None and later.verify(expiring) is None


def test_a_reviewer_session_does_not_open_the_api(api: Api) -> None:
    add_users(api.store)
    with api.client() as client:
        client.headers.pop("Authorization")
        page = client.get("/login")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        assert client.post("/login", data={"username": "zhang", "password": PASSWORD, "csrf_token": csrf,
                                           "next": "/"}).status_code == 303
        assert client.post("/api/cases", json=a_case()).status_code == 401


# -- taking in a case ---------------------------------------------------------------------------------------------

def test_a_case_is_reviewed_stored_and_audited(api: Api) -> None:
    with api.client() as client:
        response = client.post("/api/cases", json=a_case())  # no CSRF token: the API is exempt
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == "/api/cases/API-1/versions/1"
    assert {k: body[k] for k in ("case_id", "version", "matter", "status", "outcome", "machine_outcome",
                                 "received_from")} == {
        "case_id": "API-1", "version": 1, "matter": "sole_proprietor.establish", "status": "approved",
        "outcome": "approve", "machine_outcome": "approve", "received_from": "api:intake-portal"}
    assert body["pack"] == {"id": "sole_proprietor.establish", "version": "1.0.0"} and body["findings"] == []
    assert body["decided_by"].startswith("machine:govauto") and body["robot_job"]  # approved: its robot job
    assert body["links"] == {"self": "/api/cases/API-1/versions/1", "latest": "/api/cases/API-1",
                             "reviewer_page": "/cases/API-1/v/1"}
    records = AuditTrail(api.store).for_case("API-1")
    assert [r.action for r in records] == ["intake", "extraction", "review", "robot_queued"]
    assert records[0].actor == "api:intake-portal" and records[2].actor.startswith("machine:govauto")
    assert records[2].detail["pack"] == {"id": "sole_proprietor.establish", "version": "1.0.0"}


def test_a_correction_gets_its_notice_and_the_client_can_fetch_it(api: Api) -> None:
    case = a_case("API-2")
    case["applicant"]["phone"] = "12345"
    with api.client() as client:
        body = client.post("/api/cases", json=case).json()
        assert (body["outcome"], body["status"]) == ("correct", "correcting")
        assert [f["rule"] for f in body["findings"]] == ["applicant.phone"]
        assert body["findings"][0]["basis"] and body["findings"][0]["facts"] == {"applicant.phone": "12345"}
        assert body["links"]["notice_pdf"] == "/api/cases/API-2/versions/1/notice.pdf"
        pdf = client.get(body["links"]["notice_pdf"])
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        html = client.get(body["links"]["notice_html"])
        assert "一次性告知" in html.text or "补正" in html.text
        assert client.get("/api/cases/API-2/versions/1/notice.doc").status_code == 404
        assert client.get("/api/cases/API-1/versions/1/notice.pdf").status_code == 404  # no case: 404
    downloads = [r for r in AuditTrail(api.store).for_case("API-2") if r.action == "notice_download"]
    assert [r.actor for r in downloads] == ["api:intake-portal", "api:intake-portal"]


def test_reading_cases_back(api: Api) -> None:
    with api.client() as client:
        client.post("/api/cases", json=a_case("API-3"))
        again = a_case("API-3")
        again["applicant"]["public_servant"] = True
        second = client.post("/api/cases", json=again).json()
        assert (second["version"], second["outcome"], second["decided_by"]) == (2, "refer", None)
        assert second["review_tasks"] and second["robot_job"] is None
        latest = client.get("/api/cases/API-3").json()
        assert (latest["version"], latest["status"], latest["outcome"]) == (2, "referred", "refer")
        first = client.get("/api/cases/API-3/versions/1").json()
        assert (first["version"], first["status"]) == (1, "approved")
        missing = client.get("/api/cases/NOPE")
        assert missing.status_code == 404 and missing.json()["error"] == "not_found"
        assert client.get("/api/cases/API-3/versions/9").status_code == 404
        assert client.get("/api/nothing").json() == {"error": "not_found", "message": "GET /api/nothing: Not Found"}
        assert client.delete("/api/cases/API-3").json()["error"] == "method_not_allowed"


def test_every_contract_problem_at_once(api: Api) -> None:
    case = a_case("API-BAD", submitted_at="soon")
    case["applicant"] = {"name": ""}
    case["business"]["premises"][0]["kind"] = "boat"
    case["materials"].append({"kind": "lease", "source": "shared"})
    case["materials"].append({"kind": "id_card", "file": "../../etc/passwd"})
    with api.client() as client:
        response = client.post("/api/cases", json=case)
        assert response.status_code == 422
        body = response.json()
        assert body["error"] == "invalid_case" and "6 problem(s)" in body["message"]
        assert [p["path"] for p in body["problems"]] == ["submitted_at", "materials[3].kind", "applicant.name",
                                                         "applicant.id_number", "business.premises[0].kind",
                                                         "materials[4].file"]
        unknown = client.post("/api/cases", json={**a_case(), "matter": "no.such"}).json()
        assert unknown["problems"][0]["path"] == "matter" and "unknown matter 'no.such'" in \
            unknown["problems"][0]["message"]
        listed = client.post("/api/cases", json=[a_case()]).json()
        assert listed["problems"][0]["message"].startswith("a case is a JSON object")
        assert client.get("/api/cases/API-BAD").status_code == 404  # nothing was stored


def test_the_id_numbers_in_problems_are_masked(api: Api) -> None:
    case = a_case("API-MASK")
    case["applicant"]["own_income"] = "110101199003071233"
    with api.client() as client:
        body = client.post("/api/cases", json=case).json()
    assert "110101199003071233" not in json.dumps(body) and "110101********1233" in json.dumps(body)


def test_no_pack_in_force(api: Api) -> None:
    with api.client() as client:
        response = client.post("/api/cases", json=a_case("API-OLD", submitted_at="2020-01-02T09:00:00+08:00"))
    assert response.status_code == 422 and response.json()["error"] == "no_pack_in_force"
    assert "no version of rule pack sole_proprietor.establish was in force" in response.json()["message"]


def test_bodies_that_are_not_a_case(api: Api) -> None:
    with api.client(max_body=2000) as client:
        assert client.post("/api/cases", content=b"{not json", headers={"Content-Type": "application/json"}) \
            .json()["error"] == "invalid_json"
        wrong = client.post("/api/cases", content=b"<case/>", headers={"Content-Type": "application/xml"})
        assert wrong.status_code == 415 and "got application/xml" in wrong.json()["message"]
        big = client.post("/api/cases", content=b"{" + b" " * 3000 + b"}", headers={"Content-Type": "application/json"})
        assert big.status_code == 413 and "larger than 2000 bytes" in big.json()["message"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while reading
            yield b"{"
            for _ in range(30):
                yield b" " * 100
            yield b"}"

        streamed = client.post("/api/cases", content=chunks(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413


# -- materials uploaded with the case -----------------------------------------------------------------------------

def test_materials_uploaded_with_the_case_are_read(api: Api, tmp_path: Path) -> None:
    case = a_case("API-FILES")
    lease = generate_document("lease", case, tmp_path / "lease.pdf", overrides={"lessee": "李四"})
    case["materials"] = [{"kind": "application_form", "source": "shared"}, {"kind": "id_card", "source": "shared"},
                         {"kind": "premises_proof", "file": "租赁合同.pdf"}]
    files = [("case", (None, json.dumps(case, ensure_ascii=False), "application/json")),
             ("files", ("租赁合同.pdf", lease.path.read_bytes(), "application/pdf"))]
    with api.client() as client:
        response = client.post("/api/cases", files=files)
    assert response.status_code == 201, response.text
    body = response.json()
    assert "extracted.lease.lessee" in [f["rule"] for f in body["findings"]]
    record = govauto.casework.CaseStore(api.store).get("API-FILES")
    assert record.base_dir.is_relative_to((api.home / "uploads").resolve())
    assert (record.base_dir / "租赁合同.pdf").read_bytes() == lease.path.read_bytes()
    assert record.extractions[0]["doc_type"] == "lease"


def test_upload_problems_are_listed_with_the_contract_problems(api: Api) -> None:
    case = a_case("API-UP")
    case["materials"] = [{"kind": "premises_proof", "file": "lease.pdf"}, {"kind": "id_card", "file": "id.jpg"}]
    files = [("case", (None, json.dumps(case))), ("files", ("lease.pdf", b"%PDF-1.4", "application/pdf")),
             ("files", ("other.pdf", b"%PDF-1.4", "application/pdf")), ("note", (None, "hello"))]
    with api.client() as client:
        body = client.post("/api/cases", files=files).json()
        assert [(p["path"], p["message"][:22]) for p in body["problems"]] == [
            ("note", "is not a part of an in"), ("materials[1].file", "no file named 'id.jpg'"),
            ("files[other.pdf]", "no material names this")]
        no_case = client.post("/api/cases", files=[("files", ("a.pdf", b"x", "application/pdf"))]).json()
        assert no_case["message"] == "the multipart body has no part named case (the case as JSON)"
        bad_json = client.post("/api/cases", files=[("case", (None, "{"))])
        assert bad_json.status_code == 400 and bad_json.json()["error"] == "invalid_json"
    assert not (api.home / "uploads").exists()  # nothing was written for refused cases


# -- the packs in force -------------------------------------------------------------------------------------------

def test_the_packs_in_force(api: Api) -> None:
    with api.client() as client:
        body = client.get("/api/packs").json()
    establish = next(p for p in body["packs"] if p["id"] == "sole_proprietor.establish")
    assert establish["version"] == "1.0.0" and establish["effective_from"] == "2025-07-15"
    assert establish["in_force_today"] is True and establish["rules"] > 10
    assert body["reload"] == {"watching": False, "interval_seconds": None, "last": None}  # pack_poll=0


# -- tokens ---------------------------------------------------------------------------------------------------------

def test_tokens_keep_only_a_hash(api: Api) -> None:
    tokens = ApiTokens(api.store)
    token, secret = tokens.create("Intake-Portal ", created_by="user:admin")
    assert token.name == "intake-portal" and token.actor == "api:intake-portal" and secret.startswith("gva_")
    with api.store.begin() as conn:
        stored = conn.execute(select(api_tokens).where(api_tokens.c.id == token.id)).one()._mapping
    assert secret not in json.dumps({k: str(v) for k, v in stored.items()}) and len(stored["token_hash"]) == 64
    assert tokens.verify(secret) is not None and tokens.get(token.id).last_used_at is not None
    assert tokens.verify(secret[:-1]) is None and tokens.verify("not a token") is None
    assert next(t.id for t in tokens.list(name="intake-portal")) == token.id
    tokens.revoke(token.id)
    assert token.id not in [t.id for t in tokens.list(valid_only=True)]
    with pytest.raises(ApiTokenError, match="already revoked"):
        tokens.revoke(token.id)
    with pytest.raises(ApiTokenError, match="no API token has the id 'tokX'"):
        tokens.revoke("tokX")
    with pytest.raises(ApiTokenError, match="is not allowed"):
        tokens.create("a b", created_by="user:admin")
    with pytest.raises(ApiTokenError, match="must be valid for some time"):
        tokens.create("ok", created_by="user:admin", expires_in=dt.timedelta(0))
    with pytest.raises(ApiTokenError, match="created_by"):
        tokens.create("ok", created_by=" ")


def test_the_token_commands(api: Api) -> None:
    runner = CliRunner()
    made = runner.invoke(cli_app, ["users", "token", "create", "portal", "--expires-days", "30", "--db", api.url])
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("gva_") and ApiTokens(api.store).verify(secret) is not None
    listed = runner.invoke(cli_app, ["users", "token", "list", "--db", api.url])
    assert listed.exit_code == 0 and "portal" in listed.output and secret not in listed.output
    token_id = next(t.id for t in ApiTokens(api.store).list(name="portal"))
    assert runner.invoke(cli_app, ["users", "token", "revoke", token_id, "--db", api.url]).exit_code == 0
    assert ApiTokens(api.store).verify(secret) is None
    again = runner.invoke(cli_app, ["users", "token", "revoke", token_id, "--db", api.url])
    assert again.exit_code == 2 and "already revoked" in again.output
    assert runner.invoke(cli_app, ["users", "token", "create", "Bad Name", "--db", api.url]).exit_code == 2
