"""The legacy portal's RPA challenge over plain HTTP: input rows, the page, submissions and the recorded runs."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govauto.testing.legacy_portal import Fault, LegacyPortal
from govauto.testing.legacy_portal.rpa_challenge import FIELDS, ROUNDS, challenge_rows


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[LegacyPortal]:
    with LegacyPortal(tmp_path / "portal.db", seed=5) as running:
        yield running


def request(portal: LegacyPortal, method: str, path: str, body: Any = None) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", portal.port, timeout=10)
    try:
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode("utf-8")
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        conn.close()


def get_json(portal: LegacyPortal, path: str) -> Any:
    status, content_type, body = request(portal, "GET", path)
    assert status == 200 and content_type.startswith("application/json"), (status, body)
    return json.loads(body)


def open_run(portal: LegacyPortal, query: str = "") -> str:
    status, _, body = request(portal, "GET", "/rpa/challenge.do" + query)
    assert status == 200
    match = re.search(r'data-run="([0-9a-f]+)"', body.decode("gbk"))
    assert match
    return match.group(1)


def row_values(row: dict[str, str]) -> dict[str, str]:
    return {name: row[label] for name, label in FIELDS}


def test_the_input_rows_are_ten_distinct_rows_fixed_by_the_seed(portal: LegacyPortal) -> None:
    data = get_json(portal, "/rpa/data.json")
    assert data["seed"] == 5, "the portal's seed is the default"
    assert [f["label"] for f in data["fields"]] == ["First Name", "Last Name", "Company Name", "Role in Company",
                                                    "Address", "Email", "Phone Number"]
    assert data["fields"][0] == {"name": "labelFirstName", "label": "First Name"}
    rows = data["rows"]
    assert len(rows) == ROUNDS == 10 and rows == challenge_rows(5)
    assert len({(r["First Name"], r["Last Name"]) for r in rows}) == 10
    assert all(re.fullmatch(r"\d{10}", r["Phone Number"]) and "@" in r["Email"] for r in rows)
    assert get_json(portal, "/rpa/data.json?seed=9")["rows"] == challenge_rows(9) != rows
    assert request(portal, "GET", "/rpa/data.json?seed=x")[0] == 400


def test_the_page_needs_no_session_and_each_opening_is_a_new_run(portal: LegacyPortal) -> None:
    status, content_type, body = request(portal, "GET", "/rpa/challenge.do")
    html = body.decode("gbk")
    assert status == 200 and content_type == "text/html; charset=GBK"
    assert 'id="start"' in html and 'id="rpaForm"' in html and '<input type="submit" value="Submit">' in html
    assert all(f'"{name}"' in html and f'"{label}"' in html for name, label in FIELDS)
    assert "fetch('/rpa/submit'" in html and "congratulations" in html
    portal.rpa.clear()
    first, second = open_run(portal), open_run(portal, "?seed=2")
    assert first != second
    assert [(r["run"], r["seed"], r["submitted"]) for r in portal.rpa.runs()] == [(first, 5, 0), (second, 2, 0)]


def test_submissions_are_checked_field_by_field_and_recorded_per_run(portal: LegacyPortal) -> None:
    run = open_run(portal)
    rows = challenge_rows(5)
    for number, row in enumerate(rows, 1):
        values = row_values(row)
        if number == 3:
            values["labelEmail"] = "nobody@example.org"
            values.pop("labelPhone")
        status, _, body = request(portal, "POST", "/rpa/submit", {"run": run, "round": number, "values": values})
        answer = json.loads(body)
        assert status == 200 and answer["round"] == number and answer["fields"] == 7
        assert answer["correct"] == (5 if number == 3 else 7)
        assert answer["wrong"] == (["labelEmail", "labelPhone"] if number == 3 else [])
    result = get_json(portal, f"/rpa/results.json?run={run}")
    assert result["complete"] and result["submitted"] == 10 and (result["correct"], result["fields"]) == (68, 70)
    assert [r["round"] for r in result["rounds"]] == list(range(1, 11))
    assert result["rounds"][0]["values"] == row_values(rows[0])
    assert result["rounds"][2]["values"]["labelPhone"] == ""
    assert portal.rpa.run(run) == result
    assert get_json(portal, "/rpa/results.json")["runs"] == [result]


@pytest.mark.parametrize(("body", "status", "error"), [
    ({"run": "nope", "round": 1, "values": {}}, 404, "unknown challenge run"),
    ({"run": "RUN", "round": 0, "values": {}}, 400, "round: must be a whole number from 1 to 10"),
    ({"run": "RUN", "round": True, "values": {}}, 400, "round:"),
    ({"run": "RUN", "round": 1, "values": {"labelFirstName": 1}}, 400, "values:"),
    ([1, 2], 400, "body: must be a JSON object"),
    (b"{not json", 400, "body: not valid UTF-8 JSON"),
])
def test_a_bad_submission_is_refused_with_a_message(portal: LegacyPortal, body: Any, status: int, error: str) -> None:
    run = open_run(portal)
    if isinstance(body, dict) and body["run"] == "RUN":
        body = {**body, "run": run}
    got, content_type, data = request(portal, "POST", "/rpa/submit", body)
    assert (got, content_type) == (status, "application/json; charset=UTF-8")
    assert error in json.loads(data)["error"]
    assert (portal.rpa.run(run) or {})["submitted"] == 0


def test_a_round_is_taken_once(portal: LegacyPortal) -> None:
    run = open_run(portal)
    values = row_values(challenge_rows(5)[0])
    assert request(portal, "POST", "/rpa/submit", {"run": run, "round": 1, "values": values})[0] == 200
    status, _, body = request(portal, "POST", "/rpa/submit", {"run": run, "round": 1, "values": {}})
    assert status == 409 and "submitted already" in json.loads(body)["error"]
    assert (portal.rpa.run(run) or {})["correct"] == 7


def test_methods_unknown_pages_faults_statistics_and_reset(portal: LegacyPortal) -> None:
    assert request(portal, "GET", "/rpa/submit")[0] == 405
    assert request(portal, "POST", "/rpa/challenge.do", b"")[0] == 405
    assert request(portal, "GET", "/rpa/nothing")[0] == 404
    assert request(portal, "GET", "/rpa/results.json?run=nope")[0] == 404
    portal.set_faults([Fault("http500"), Fault("drop")])
    run = open_run(portal)  # the challenge is never faulted ...
    assert get_json(portal, "/rpa/data.json")["seed"] == 5
    stats = portal.stats()
    assert stats["requests"] == 0 and stats["faults_applied"]["http500"] == 0  # ... nor counted
    portal.reset()
    assert portal.rpa.run(run) is not None, "a reset without records keeps the runs"
    portal.reset(records=True)
    assert portal.rpa.runs() == []
