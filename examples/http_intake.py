"""For integrators: send cases to a running ``govauto serve`` over HTTP and read the decisions back.

    govauto users token create intake-portal        # prints the API token, once
    govauto serve --port 8000                       # the reviewer page and the intake API
    GOVAUTO_API_TOKEN=gva_... python examples/http_intake.py http://127.0.0.1:8000

It sends ``examples/cases/correct.yaml`` as JSON (a 补正 case: every deficiency at once, and the 一次性告知书),
then the same case with one material file uploaded beside it (multipart), then a case that does not fit the
contract, and reads the first case back. See docs/integrators.md, "HTTP intake".
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import yaml

from govauto.testing.documents import generate_document

HERE = Path(__file__).parent


def show(response: httpx.Response) -> dict[str, Any]:
    """Print what the API answered and return its JSON."""
    body: dict[str, Any] = response.json()
    if response.is_success:
        pack = body["pack"]
        print(f"{response.status_code}: case {body['case_id']} v{body['version']} → {body['outcome']} "
              f"({body['status']}), decided by rule pack {pack['id']} {pack['version']}")
        for finding in body["findings"]:
            print(f"  - [{finding['rule']}] {finding['message']}  (依据: {finding['basis']})")
    else:  # 401 no or a bad token, 413 too large, 422 the case does not fit (every problem at once)
        print(f"{response.status_code} {body['error']}: {body['message']}")
        for problem in body.get("problems", []):
            print(f"  - {problem['path']}: {problem['message']}")
    return body


def main(base_url: str) -> None:
    token = os.environ.get("GOVAUTO_API_TOKEN")
    if not token:
        sys.exit("set GOVAUTO_API_TOKEN to a token made by `govauto users token create NAME`")
    case = yaml.safe_load((HERE / "cases" / "correct.yaml").read_text("utf-8"))
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as api:
        # 1. A case as JSON: its materials are documents shared by other systems (source: shared).
        body = show(api.post("/api/cases", json=case))
        if "notice_pdf" in body["links"]:
            notice = api.get(body["links"]["notice_pdf"])
            Path("notice.pdf").write_bytes(notice.content)
            print(f"  the 一次性告知书 for the applicant: notice.pdf ({len(notice.content)} bytes)")

        # 2. The applicant brings a document: the same case again (its next version) with the file uploaded. Each
        #    material's `file` names a file part of the request; the server reads it like `govauto review` does.
        #    (A synthetic form, marked 样本, made by govauto's document generator: `govauto sandbox documents`.)
        with tempfile.TemporaryDirectory() as scratch:
            form = generate_document("application_form", case, Path(scratch) / "application_form.pdf").path
            case["materials"].append({"kind": "application_form", "file": "application_form.pdf"})
            files = [("case", (None, json.dumps(case, ensure_ascii=False), "application/json")),
                     ("files", ("application_form.pdf", form.read_bytes(), "application/pdf"))]
            show(api.post("/api/cases", files=files))

        # 3. A case that does not fit the contract: 422, with every wrong field by its path.
        show(api.post("/api/cases", json={**case, "submitted_at": "yesterday", "applicant": {"name": ""}}))

        # 4. Read it back later: the latest version, and a person's decision once a reviewer made it.
        latest = api.get(f"/api/cases/{case['case_id']}").json()
        print(f"latest: v{latest['version']} {latest['status']}, outcome {latest['outcome']}, "
              f"decided by {latest['decided_by'] or 'nobody yet (a person reviews it)'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
