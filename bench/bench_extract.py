"""Benchmark: reading generated materials, per document type, variant and OCR engine.

Prints, for each (engine, document type, variant): documents recognised, exact-match rate of each key field,
character accuracy of the fields, the share of wrong values reported as trusted (confidence at or above the
threshold and passing validation: the goal is 0), and seconds per document; then OCR seconds per ID-card image
and per A4 page per engine, and PDF text-layer milliseconds per page with pdfplumber and with pypdfium2.

    make bench                                  # includes this, 50 documents per type and variant
    python bench/bench_extract.py --docs 10     # a quicker look
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

KEY_FIELDS = {
    "id_card_front": ["name", "id_number"],
    "id_card_back": ["valid_until"],
    "application_form": ["name", "id_number"],
    "lease": ["lessee", "start", "end"],
    "property_certificate": ["owner"],
    "household_register": ["name", "id_number"],
    "authorisation": ["principal", "principal_id", "agent", "agent_id"],
}
MATERIAL_KIND = {"id_card_front": "id_card", "id_card_back": "id_card", "application_form": "application_form",
                 "lease": "premises_proof", "property_certificate": "premises_proof",
                 "household_register": "family_relation_proof", "authorisation": "authorisation"}


def _norm(value: Any) -> str:
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", str(value or "")).split()).upper()


def _char_accuracy(truth: str, read: str) -> float:
    if not truth:
        return 1.0 if not read else 0.0
    previous = list(range(len(read) + 1))
    for i, a in enumerate(truth, 1):
        current = [i]
        for j, b in enumerate(read, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return max(0.0, 1 - previous[-1] / len(truth))


def _case(index: int) -> dict[str, Any]:
    import random

    from govauto.testing.generate import generate_case

    case = generate_case(random.Random(index), index, defect_rate=0.0)
    case["organisation"] = "family"
    case["family_members"] = case["family_members"] or [{"name": "李梅", "id_number": "440305199211152022",
                                                         "relation": "配偶"}]
    case["agent"] = case["agent"] or {"name": "赵六", "id_number": "440305198001015818", "phone": "13700137000"}
    case["business"]["premises"] = [{"address": "广东省深圳市南山区南山大道100号", "division": "440305",
                                     "kind": "commercial", "proof": "lease"}]
    return case


def _one(job: tuple[str, str, str, int, str]) -> dict[str, Any]:
    """Generate and read one document (run in a worker process)."""
    engine, kind, variant, index, workdir = job
    import govauto
    from govauto.testing.documents import generate_document

    runtime = govauto.Runtime(load_entrypoints=engine != "tesseract", ocr_engine=engine)
    extractor = runtime.extractor()
    document = generate_document(kind, _case(index), Path(workdir) / f"{engine}-{kind}-{variant}-{index}",
                                 variant=variant, seed=index)
    started = time.perf_counter()
    result = extractor.extract(document.path, MATERIAL_KIND[kind])
    seconds = time.perf_counter() - started
    from govauto.extract.facts import extraction_facts

    matter = runtime.matters["sole_proprietor.establish"]
    declared = runtime.facts(runtime.load_case(_case(index)))
    used = extraction_facts([result], declared, matter.confirmations)
    fields = {}
    for name in KEY_FIELDS[kind]:
        truth = document.truth.get(name)
        read = result.fields.get(name)
        trusted = read is not None and read.value is not None and not result.unreliable(name)
        fields[name] = {"truth": truth, "value": None if read is None else read.value, "trusted": trusted,
                        "used": used.get(f"extracted.{kind}.{name}")}
    return {"engine": engine, "kind": kind, "variant": variant, "recognised": result.doc_type == kind,
            "error": result.error, "seconds": seconds, "pages": result.pages, "fields": fields,
            "ocr": any(e != "pdf-text" for e in result.engines)}


def run_accuracy(engines: list[str], kinds: list[str], variants: list[str], docs: int, workers: int) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        jobs = [(e, k, v, i, workdir) for e in engines for k in kinds for v in variants for i in range(docs)]
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_one, jobs, chunksize=4))
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        groups[(r["engine"], r["kind"], r["variant"])].append(r)
    print(f"\nfield accuracy: {docs} generated documents per type and variant, {workers} worker processes")
    print(f"{'engine':<10}{'type':<22}{'variant':<14}{'recog':>6}  {'key fields exact (trusted share)':<58}"
          f"{'char acc':>9}{'wrong&trusted':>14}{'s/doc':>7}")
    wrong_trusted_total = total_fields = wrong_used_total = 0
    for (engine, kind, variant), rows in sorted(groups.items()):
        recognised = sum(r["recognised"] for r in rows) / len(rows)
        parts, accuracies, wrong_trusted, count = [], [], 0, 0
        for name in KEY_FIELDS[kind]:
            values = [r["fields"][name] for r in rows]
            exact = sum(_norm(v["value"]) == _norm(v["truth"]) for v in values) / len(values)
            trusted = sum(v["trusted"] for v in values) / len(values)
            parts.append(f"{name} {exact:.2f} ({trusted:.2f})")
            accuracies.extend(_char_accuracy(_norm(v["truth"]), _norm(v["value"])) for v in values)
            wrong_trusted += sum(v["trusted"] and _norm(v["value"]) != _norm(v["truth"]) for v in values)
            wrong_used_total += sum(v["used"] is not None and _norm(v["used"]) != _norm(v["truth"]) for v in values)
            count += len(values)
        wrong_trusted_total += wrong_trusted
        total_fields += count
        seconds = statistics.mean(r["seconds"] for r in rows)
        print(f"{engine:<10}{kind:<22}{variant:<14}{recognised:>6.2f}  {', '.join(parts):<58}"
              f"{statistics.mean(accuracies):>9.3f}{wrong_trusted / count:>14.3f}{seconds:>7.2f}")
    print(f"wrong values reported as trusted (confidence and validator alone): {wrong_trusted_total} of "
          f"{total_fields} key fields ({wrong_trusted_total / max(1, total_fields):.4f}; goal 0)")
    print(f"wrong values the review would use (after confirmation by and dispute against the declared data): "
          f"{wrong_used_total} of {total_fields} ({wrong_used_total / max(1, total_fields):.4f}; goal 0)")


def run_speed(engines: list[str], repeats: int) -> None:
    import govauto
    from govauto.extract.images import load_image, preprocess
    from govauto.extract.pdf import render_pages
    from govauto.testing.documents import generate_document

    print(f"\nOCR time, one process, mean of {repeats}")
    with tempfile.TemporaryDirectory() as workdir:
        card = generate_document("id_card_front", _case(1), Path(workdir) / "card", variant="scanned", seed=1)
        lease = generate_document("lease", _case(1), Path(workdir) / "lease", variant="clean", seed=1)
        (_number, page_image, _scale), *_ = list(render_pages(lease.path, [1], dpi=200))
        card_image = load_image(card.path, max_pixels=60_000_000)
        card_image = card_image[0] if isinstance(card_image, list) else card_image
        for engine_name in engines:
            runtime = govauto.Runtime(load_entrypoints=engine_name != "tesseract", ocr_engine=engine_name)
            engine = runtime.extractor().ocr()
            for label, image in (("ID-card image", preprocess(card_image)), ("A4 page, 200 dpi", page_image)):
                engine.recognize(image)  # warm up (model load)
                started = time.perf_counter()
                for _ in range(repeats):
                    engine.recognize(image)
                print(f"  {engine_name:<10} {label:<18} {(time.perf_counter() - started) / repeats:6.2f} s")
        _pdf_speed(lease.path, repeats * 10)


def _pdf_speed(path: Path, repeats: int) -> None:
    import pdfplumber
    import pypdfium2

    started = time.perf_counter()
    pages = 0
    for _ in range(repeats):
        with pdfplumber.open(str(path)) as pdf:
            for page in pdf.pages:
                page.extract_words(split_at_punctuation=True)
                pages += 1
    plumber = (time.perf_counter() - started) / pages * 1000
    started = time.perf_counter()
    pages = 0
    for _ in range(repeats):
        document = pypdfium2.PdfDocument(str(path))
        for page in document:
            page.get_textpage().get_text_range()
            pages += 1
        document.close()
    pdfium = (time.perf_counter() - started) / pages * 1000
    print(f"\nPDF text layer per page (incl. open): pdfplumber words {plumber:.1f} ms, pypdfium2 text {pdfium:.1f} ms "
          f"(ratio {plumber / pdfium:.1f}x)")


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=50, help="documents per type and variant (default 50)")
    parser.add_argument("--engines", default=None, help="comma-separated OCR engines (default: all installed)")
    parser.add_argument("--types", default=",".join(KEY_FIELDS), help="comma-separated document types")
    parser.add_argument("--variants", default="clean,scanned,photographed")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--speed-repeats", type=int, default=3)
    args = parser.parse_args(list(argv) if argv is not None else None)
    import govauto

    engines = args.engines.split(",") if args.engines else govauto.Runtime().ocr_engines
    run_speed(engines, args.speed_repeats)
    run_accuracy(engines, args.types.split(","), args.variants.split(","), args.docs, args.workers)


if __name__ == "__main__":
    main(sys.argv[1:])
