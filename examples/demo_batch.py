"""Write a demo batch: the example cases of every installed rule pack, as case files ``govauto process`` takes.

Used by ``make demo`` (examples/demo_review.sh) so that the KPI report has cases of every matter (设立, 变更,
注销) and every outcome. Each pack's examples are the cases its author wrote to pin the pack's behaviour
(``examples/*.yaml`` in the pack directory, ``case:`` plus ``expect:``); only the ``case:`` part is written.

    python examples/demo_batch.py OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from govauto import Runtime


def write_batch(out_dir: Path, runtime: Runtime | None = None) -> list[Path]:
    """Write each example case of the newest version of every installed pack to ``out_dir``; return the files.

    Case ids are kept (they are unique within a pack); a case id used by two packs gets the pack id as prefix.
    """
    runtime = runtime or Runtime()
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    seen: set[str] = set()
    for pack_id in sorted(runtime.packs()):
        pack = runtime.pack_versions(pack_id)[-1]
        for example in pack.examples:
            case = dict(example.case)
            case_id = str(case.get("case_id", example.name))
            if case_id in seen:
                case_id = f"{pack_id}-{case_id}"
                case["case_id"] = case_id
            seen.add(case_id)
            path = out_dir / f"{pack.matter}.{example.name}.yaml"
            path.write_text(yaml.safe_dump(case, allow_unicode=True, sort_keys=False), encoding="utf-8")
            written.append(path)
    return written


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python examples/demo_batch.py OUT_DIR")
    files = write_batch(Path(sys.argv[1]))
    matters = sorted({f.name.split(".")[0] + "." + f.name.split(".")[1] for f in files})
    print(f"{len(files)} example cases of {len(matters)} matters ({', '.join(matters)}) written to {sys.argv[1]}")


if __name__ == "__main__":
    main()
