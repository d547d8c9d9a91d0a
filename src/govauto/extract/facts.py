"""Extraction results as facts that rules can read.

For every recognised material, each field of its document type becomes ``extracted.<type>.<field>`` (the
value, only when it was read at or above its confidence threshold and passed its validator) and
``extracted.<type>.<field>.source`` (where it was read, as text). Lists describe what could not be trusted:

``extraction.low_confidence``
    fields not read, read below their threshold, or failing their validator: ``document``, ``field``, ``value``,
    ``declared`` (what the applicant typed for it, when the matter pairs them), ``confidence``, ``threshold``,
    ``valid``, ``reason`` (why it is not trusted, for the applicant's notice), ``file``, ``page``;
``extraction.unreadable``
    materials that could not be read: ``file``, ``kind``, ``reason``, ``message``;
``extraction.unrecognised``
    materials of no (or of more than one) document type: ``file``, ``kind``, ``scores``, ``reason``;
``extraction.types``
    the document types recognised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from govauto.extract.model import Field
from govauto.extract.pipeline import Extraction, field_source_text
from govauto.extract.templates import DocumentType

EXTRACTION_LISTS: dict[str, frozenset[str]] = {
    "extraction.low_confidence": frozenset({"document", "field", "value", "declared", "confidence", "threshold",
                                            "valid", "reason", "file", "page"}),
    "extraction.unreadable": frozenset({"file", "kind", "reason", "message"}),
    "extraction.unrecognised": frozenset({"file", "kind", "scores", "reason"}),
    "extraction.types": frozenset({""}),
}


def extracted_paths(types: Iterable[DocumentType]) -> set[str]:
    """The ``extracted.*`` fact paths the given document types provide."""
    paths: set[str] = set()
    for doc_type in types:
        for spec in doc_type.fields:
            paths.add(f"extracted.{doc_type.id}.{spec.name}")
            paths.add(f"extracted.{doc_type.id}.{spec.name}.source")
    return paths


def extraction_facts(extractions: Iterable[Extraction], declared: Mapping[str, Any] | None = None,
                     confirmations: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The facts of a case's extractions (the first material of each document type provides its fields).

    :param declared: the case's declared facts.
    :param confirmations: ``"<type>.<field>" -> declared fact path``: a value read below its threshold that
        equals what the applicant declared is confirmed by the agreement (an OCR error that produces exactly
        the declared text is not a realistic risk) and is used, not referred. A value failing its validator is
        never confirmed this way. An OCR'd value without a validator that *differs* from the declaration is
        disputed: it is not used, and is listed in ``extraction.low_confidence`` for a person to compare.
    """
    declared = declared or {}
    confirmations = confirmations or {}
    facts: dict[str, Any] = {name: [] for name in EXTRACTION_LISTS}
    for result in extractions:
        name = Path(result.file).name
        if result.error is not None:
            facts["extraction.unreadable"].append({"file": name, "kind": result.material_kind,
                                                   "reason": result.error, "message": result.error_message})
            continue
        if result.doc_type is None:
            scores = "、".join(f"{k} {v:.2f}" for k, v in sorted(result.scores.items())) or "无"
            facts["extraction.unrecognised"].append({"file": name, "kind": result.material_kind,
                                                     "scores": scores, "reason": result.reason})
            continue
        if result.doc_type in facts["extraction.types"]:
            continue
        facts["extraction.types"].append(result.doc_type)
        confirmed: set[str] = set()
        disputed: set[str] = set()
        for field_name, value in result.fields.items():
            counterpart = confirmations.get(f"{result.doc_type}.{field_name}")
            if value.value is None or value.valid is False or counterpart is None \
                    or declared.get(counterpart) is None:
                continue
            if declared.get(counterpart) == value.value:
                confirmed.add(field_name)
            elif value.valid is None and value.source is not None and value.source.engine != "pdf-text":
                # OCR'd text with no validator that disagrees with the declaration: an OCR error and a real
                # mismatch look the same, so a person decides (a text layer or a check digit can be trusted)
                disputed.add(field_name)
        for field_name, value in result.fields.items():
            path = f"extracted.{result.doc_type}.{field_name}"
            facts[path + ".source"] = field_source_text(value)
            trusted = field_name in confirmed or (field_name not in disputed and not result.unreliable(field_name))
            facts[path] = value.value if trusted else None
        doubtful = [(n, f, t) for n, f, t in result.low_confidence() if n not in confirmed]
        doubtful += [(n, result.fields[n], result.thresholds.get(n, 0.0)) for n in sorted(disputed)
                     if n not in {d[0] for d in doubtful}]
        for field_name, value, threshold in doubtful:
            counterpart = confirmations.get(f"{result.doc_type}.{field_name}")
            facts["extraction.low_confidence"].append({
                "document": result.doc_type, "field": field_name, "value": value.value,
                "declared": declared.get(counterpart) if counterpart else "无对应申报项",
                "confidence": round(value.confidence, 2), "threshold": threshold, "valid": value.valid,
                "reason": _reason(value, threshold, field_name in disputed),
                "file": name, "page": value.source.page if value.source else None,
            })
    return facts


def _reason(value: Field, threshold: float, disputed: bool) -> str:
    if value.value is None:
        return "未能识别"
    if value.valid is False:
        return "未通过校验"
    if disputed:
        return "与申报不一致且无法校验，可能是识别错误"
    return f"置信度低于{threshold}"


def material_files(materials: Iterable[Any], base_dir: Path) -> list[tuple[str, Path]]:
    """``(kind, path)`` of every material given as a file, relative paths resolved against ``base_dir``."""
    out = []
    for material in materials:
        if material.file:
            path = Path(material.file)
            out.append((material.kind, path if path.is_absolute() else base_dir / path))
    return out
