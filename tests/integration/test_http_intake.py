"""Cases sent to a running ``govauto serve`` over HTTP are reviewed by the rule pack in force, and the pack is edited
while the server runs: issue 7's "a pack edited while govauto serve runs takes effect on the next case and the audit
shows which version decided each".

The server is the real command in a subprocess (``govauto --packs DIR serve --reload-packs``, uvicorn on a free
loopback port) with a copy of the shipped 设立 pack on the packs path, where it replaces the shipped one. The test
then, posting a case after each step with an API token made by ``govauto users token create``:

1. reviews with the copy as it is (1.0.0: approve);
2. adds a rule and makes it version 1.1.0 (the next case is referred by 1.1.0's new rule);
3. adds a broken rule file and a version 1.2.0: the change is refused (``GET /api/packs`` and the server log name
   the file and line), and the next case is still decided by 1.1.0;
4. removes the broken file and puts a new version 2.0.0 in a new directory beside it, in force from 2027-01-01, with
   1.1.0 ending the day before: a case submitted in 2027 is decided by 2.0.0, one submitted in 2026 still by 1.1.0;

and ``govauto audit show`` names, for each case, the pack version that decided it.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from govauto.store import open_store
from govauto.store.casework_schema import api_tokens

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "rules" / "sole_proprietor" / "establish"
PACK_ID = "sole_proprietor.establish"
POLL = 0.3
MAX_BODY = 200_000

HTTP_RULE = """\
rules:
  - id: business.capital.http_check
    title: 资金数额较大，转人工核实（热更新测试规则）
    when: business.capital > 10000
    outcome: refer
    message: 资金数额为{business.capital}元，由工作人员核实。
    basis: 测试规则（tests/integration/test_http_intake.py）
"""
BROKEN_RULE = """\
rules:
  - id: business.capital.broken
    title: 一条写错的规则
    when: business.capital >
    outcome: refer
    message: 不会出现
    basis: 无
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ensure_api_tokens_table(url: str) -> None:
    """Until the schema revision that adds ``api_tokens`` exists, make the table here (after the migrations ran, so
    that once the revision exists this does nothing)."""
    store = open_store(url)
    try:
        api_tokens.create(store.engine, checkfirst=True)
    finally:
        store.dispose()


def govauto(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "govauto.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


@dataclass
class Server:
    url: str
    token: str
    packs: Path
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes]

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token if token is not None else self.token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    @property
    def pack(self) -> Path:
        return self.packs / "sole_proprietor" / "establish"

    def wait_for(self, what: str, check: Callable[[dict[str, Any]], bool], timeout: float = 20.0) -> dict[str, Any]:
        """Poll ``GET /api/packs`` until ``check`` holds (the watcher polls every POLL seconds)."""
        deadline = time.monotonic() + timeout
        with self.client() as client:
            while True:
                packs = client.get("/api/packs").json()
                if check(packs):
                    return packs
                assert self.process.poll() is None, f"the server stopped:\n{self.log.read_text('utf-8')}"
                assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s: {packs}"
                time.sleep(POLL / 2)


def versions_of(packs: dict[str, Any]) -> list[str]:
    return [p["version"] for p in packs["packs"] if p["id"] == PACK_ID]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("intake")
    home, packs = base / "home", base / "packs"
    shutil.copytree(SHIPPED, packs / "sole_proprietor" / "establish", ignore=shutil.ignore_patterns(".govauto-cache"))
    url = f"sqlite:///{home / 'govauto.db'}"
    env = {**os.environ, "GOVAUTO_HOME": str(home), "GOVAUTO_DATABASE_URL": url, "GOVAUTO_PACK_POLL": str(POLL),
           "GOVAUTO_ESCALATE_SECONDS": "0", "GOVAUTO_DISABLE_PLUGINS": "*", "GOVAUTO_API_MAX_BODY": str(MAX_BODY),
           "GOVAUTO_SECRET_KEY": "k" * 48, "PYTHONUNBUFFERED": "1"}
    env.pop("GOVAUTO_PACKS", None)
    ensure_api_tokens_table(url)
    made = govauto("users", "token", "create", "intake-portal", "--created-by", "user:test", env=env)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("gva_") and "\n" not in token and "intake-portal" in made.stderr

    port = free_port()
    log = base / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "govauto.cli", "--packs", str(packs), "serve", "--port",
                                    str(port), "--reload-packs"], env=env, stdout=sink, stderr=subprocess.STDOUT)
    running = Server(f"http://127.0.0.1:{port}", token, packs, env, log, process)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"govauto serve exited:\n{log.read_text('utf-8')}"
            try:
                if httpx.get(f"{running.url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"govauto serve did not start:\n{log.read_text('utf-8')}"
            time.sleep(0.2)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def a_case(case_id: str, submitted_at: str = "2026-11-20T09:30:00+08:00") -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "cases" / "approve.yaml").read_text("utf-8"))
    data["business"].pop("name")  # no name: no business-name registry is consulted
    data["case_id"] = case_id
    data["submitted_at"] = submitted_at
    return copy.deepcopy(data)


def post(server: Server, case: dict[str, Any]) -> dict[str, Any]:
    with server.client() as client:
        response = client.post("/api/cases", json=case)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["location"] == body["links"]["self"] == f"/api/cases/{case['case_id']}/versions/1"
    return body


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), "utf-8")


def test_a_pack_edited_while_serving_decides_the_next_case_and_the_audit_names_each_version(server: Server) -> None:
    decided: dict[str, str] = {}  # case id -> the pack version that decided it

    # 1. the copy on the packs path, as shipped
    first = post(server, a_case("HTTP-1"))
    assert (first["outcome"], first["status"], first["pack"]) == ("approve", "approved",
                                                                  {"id": PACK_ID, "version": "1.0.0"})
    assert first["findings"] == [] and first["received_from"] == "api:intake-portal"
    decided["HTTP-1"] = "1.0.0"

    # 2. a rule added and a new version number: in force for the next case
    (server.pack / "rules" / "90_http_check.yaml").write_text(HTTP_RULE, "utf-8")
    edit(server.pack / "pack.yaml", 'version: "1.0.0"', 'version: "1.1.0"')
    packs = server.wait_for("version 1.1.0 in force", lambda p: versions_of(p) == ["1.1.0"])
    assert packs["reload"]["watching"] and packs["reload"]["last"]["ok"]
    second = post(server, a_case("HTTP-2"))
    assert (second["outcome"], second["pack"]["version"]) == ("refer", "1.1.0")
    assert [f["rule"] for f in second["findings"]] == ["business.capital.http_check"]
    assert second["findings"][0]["message"] == "资金数额为50000元，由工作人员核实。"
    decided["HTTP-2"] = "1.1.0"

    # 3. a broken rule (and a version 1.2.0 with it): refused whole, 1.1.0 stays in force
    (server.pack / "rules" / "91_broken.yaml").write_text(BROKEN_RULE, "utf-8")
    edit(server.pack / "pack.yaml", 'version: "1.1.0"', 'version: "1.2.0"')
    packs = server.wait_for("the broken change refused", lambda p: p["reload"]["last"] is not None
                            and not p["reload"]["last"]["ok"] and "1.2.0" not in str(p["reload"]["last"]["reloaded"])
                            and any("91_broken.yaml:4" in problem for problem in p["reload"]["last"]["problems"]))
    assert versions_of(packs) == ["1.1.0"]
    assert "the previous version stays in force" in packs["reload"]["last"]["message"]
    third = post(server, a_case("HTTP-3"))
    assert (third["outcome"], third["pack"]["version"]) == ("refer", "1.1.0")
    decided["HTTP-3"] = "1.1.0"

    # 4. the broken file removed; a new version in a new directory, in force from 2027, the old one ending before
    (server.pack / "rules" / "91_broken.yaml").unlink()
    edit(server.pack / "pack.yaml", 'version: "1.2.0"', 'version: "1.1.0"')
    newer = server.packs / "sole_proprietor" / "establish_2027"
    shutil.copytree(server.pack, newer)
    (newer / "rules" / "90_http_check.yaml").unlink()
    edit(newer / "pack.yaml", 'version: "1.1.0"', 'version: "2.0.0"')
    edit(newer / "pack.yaml", "effective_from: 2025-07-15", "effective_from: 2027-01-01")
    edit(server.pack / "pack.yaml", "effective_until: null", "effective_until: 2026-12-31")
    packs = server.wait_for("versions 1.1.0 and 2.0.0 in force", lambda p: versions_of(p) == ["1.1.0", "2.0.0"]
                            and p["reload"]["last"]["ok"])
    in_2027 = post(server, a_case("HTTP-4", "2027-01-05T10:00:00+08:00"))
    assert (in_2027["outcome"], in_2027["pack"]["version"]) == ("approve", "2.0.0")
    decided["HTTP-4"] = "2.0.0"
    in_2026 = post(server, a_case("HTTP-5", "2026-12-31T23:30:00+08:00"))
    assert (in_2026["outcome"], in_2026["pack"]["version"]) == ("refer", "1.1.0")
    decided["HTTP-5"] = "1.1.0"

    # the latest version of each case, as an integrator reads it back
    with server.client() as client:
        for case_id, version in decided.items():
            body = client.get(f"/api/cases/{case_id}").json()
            assert (body["case_id"], body["version"], body["pack"]["version"]) == (case_id, 1, version)

    # the audit trail: for each case, the pack and version that decided it, and who sent it
    for case_id, version in decided.items():
        shown = govauto("audit", "show", case_id, "--json", env=server.env)
        assert shown.returncode == 0, shown.stderr
        records = [json.loads(line) for line in shown.stdout.splitlines()]
        reviews = [r for r in records if r["action"] == "review"]
        assert [r["detail"]["pack"] for r in reviews] == [{"id": PACK_ID, "version": version}], case_id
        assert [r["actor"] for r in records if r["action"] == "intake"] == ["api:intake-portal"]

    # the server's log has the refusal with its file and line, and each reload
    log = server.log.read_text("utf-8")
    assert "rule pack change refused" in log and "91_broken.yaml:4" in log
    assert f"pack {PACK_ID} version 1.1.0 reloaded" in log and f"pack {PACK_ID} version 2.0.0 reloaded" in log


def test_requests_without_a_valid_token_are_refused(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:
        refused = anonymous.post("/api/cases", json=a_case("HTTP-NOAUTH"))
        assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
        assert refused.headers["www-authenticate"].startswith("Bearer")
    with server.client("gva_not-a-token") as client:
        refused = client.get("/api/cases/HTTP-1")
        assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["www-authenticate"]


def test_a_case_that_does_not_fit_is_refused_with_every_problem(server: Server) -> None:
    case = a_case("HTTP-BAD")
    case["submitted_at"] = "yesterday"
    case["applicant"]["name"] = ""
    case["business"]["premises"][0]["division"] = "44030"
    case["materials"].append({"kind": "id_card", "file": "/etc/passwd"})
    with server.client() as client:
        refused = client.post("/api/cases", json=case)
        assert refused.status_code == 422
        paths = [p["path"] for p in refused.json()["problems"]]
        assert paths == ["submitted_at", "applicant.name", "business.premises[0].division", "materials[3].file"]
        assert client.get("/api/cases/HTTP-BAD").status_code == 404  # nothing was stored


def test_an_oversized_body_is_refused(server: Server) -> None:
    case = a_case("HTTP-BIG")
    case["business"]["scope"] = ["日用百货销售" * 10] * (MAX_BODY // 100)
    with server.client() as client:
        refused = client.post("/api/cases", json=case)
    assert refused.status_code == 413 and refused.json()["error"] == "too_large"


def test_the_integrators_example_script(server: Server, tmp_path: Path) -> None:
    """examples/http_intake.py against the running server: JSON, an upload, a refusal, a read-back."""
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "http_intake.py"), server.url],
                            env={**server.env, "GOVAUTO_API_TOKEN": server.token}, cwd=tmp_path, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    decided = [line for line in lines if line.startswith("201: case NS-2026-000124")]
    assert [line.split()[3] for line in decided] == ["v1", "v2"]
    assert all("decided by rule pack sole_proprietor.establish" in line for line in decided)
    assert any(line.startswith("422 invalid_case") for line in lines)
    assert "  - submitted_at: " in result.stdout and "  - applicant.name: must not be empty" in result.stdout
    assert any(line.startswith("latest: v2 ") for line in lines)
    without = subprocess.run([sys.executable, str(ROOT / "examples" / "http_intake.py"), server.url],
                             env={k: v for k, v in server.env.items() if k != "GOVAUTO_API_TOKEN"}, cwd=tmp_path,
                             capture_output=True, text=True, timeout=60, check=False)
    assert without.returncode != 0 and "set GOVAUTO_API_TOKEN" in without.stderr
