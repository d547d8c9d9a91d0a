"""For integrators: review cases from Python and use the decision.

    python examples/review_api.py
"""

from __future__ import annotations

import json
from pathlib import Path

import govauto

HERE = Path(__file__).parent


def main() -> None:
    # 1. A case file (JSON or YAML) ...
    decision = govauto.review(HERE / "cases" / "correct.yaml")
    print(f"{decision.case_id}: {decision.outcome}, {len(decision.findings)} deficiencies, told all at once:")
    for finding in decision.findings:
        print(f"  - [{finding.rule}] {finding.message}  (依据: {finding.basis})")

    # 2. ... or a mapping, e.g. straight from your intake system's JSON.
    case = json.loads(json.dumps(govauto.load_case(HERE / "cases" / "approve.yaml").model_dump(mode="json")))
    case["business"]["name"] = None  # a 个体工商户 may register without a name
    print("mapping:", govauto.review(case).outcome)

    # 3. The public JSON form, as `govauto review --json` prints it.
    print(json.dumps(govauto.review(HERE / "cases" / "reject.yaml").to_dict(), ensure_ascii=False)[:200], "…")

    # 4. Input that does not fit the contract raises CaseError naming every wrong field.
    try:
        govauto.review(HERE / "cases" / "invalid.json")
    except govauto.CaseError as error:
        for problem in error.problems:
            print("refused:", problem)


if __name__ == "__main__":
    main()
