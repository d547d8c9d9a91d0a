"""Document types as YAML templates: how to recognise a material, and which fields to read from it.

A template (one YAML file per document type)::

    id: id_card_front
    title: 居民身份证（人像面）
    material_kinds: [id_card]            # the case material kinds it can serve
    recognise:
      all: [公民身份号码]                  # every one must appear
      any: [姓名, 性别, 民族, 出生, 住址]   # at least min_any of these
      min_any: 2
      none: [签发机关]                     # none may appear
    fields:
      id_number:
        anchor: 公民身份号码                # label text; the value follows it on the line (or the next line)
        pattern: '[0-9]{17}[0-9Xx]'        # regular expression the value must match (first match is kept)
        normalise: id_number               # see NORMALISERS
        validate: id_checksum              # see VALIDATORS
        threshold: 0.9                     # below this confidence the case goes to a person
      address: {anchor: 住址, lines: 3}    # the value may continue on following lines

Text is compared without spaces, so an OCR engine that splits 公 民 身 份 号 码 still finds the anchor.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from govauto.errors import PackError, PackProblem
from govauto.extract.model import BBox, Document, Field, Page, Source, Word
from govauto.rules.pack import LineDict, load_yaml

DEFAULT_THRESHOLD = 0.8
_CJK_DATE = re.compile(r"(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?")


def _text(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def _no_space(value: str) -> str:
    return re.sub(r"\s+", "", _text(value))


def _id_number(value: str) -> str:
    return _no_space(value).upper()


def _date(value: str) -> str:
    if _no_space(value) in ("长期", "长期有效"):
        return "长期"
    match = _CJK_DATE.search(_text(value))
    if not match:
        return _no_space(value)
    year, month, day = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return f"{year:04d}-{month:02d}-{day:02d}"


def _digits(value: str) -> str:
    return re.sub(r"[^\d.]", "", _text(value))


NORMALISERS: dict[str, Callable[[str], str]] = {
    "text": _text,
    "no_space": _no_space,
    "id_number": _id_number,
    "date": _date,
    "digits": _digits,
}


def _id_checksum(value: str) -> bool:
    from govauto.default_plugins.sole_proprietor.functions import id_checksum_ok

    return bool(id_checksum_ok(value))


def _iso_date(value: str) -> bool:
    if value == "长期":
        return True
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _uscc(value: str) -> bool:
    from govauto.default_plugins.sole_proprietor.functions import uscc_ok

    return bool(uscc_ok(value))


VALIDATORS: dict[str, Callable[[str], bool]] = {"id_checksum": _id_checksum, "date": _iso_date, "uscc": _uscc}


@dataclass(frozen=True)
class FieldSpec:
    """How to read one field."""

    name: str
    anchor: str
    pattern: re.Pattern[str] | None = None
    group: int = 0
    normalise: str = "text"
    validate: str | None = None
    threshold: float | None = None
    lines: int = 1
    required: bool = True
    stop: tuple[str, ...] = ()
    """Texts at which the value ends (besides the other fields' anchors), e.g. a label printed on the same line."""


@dataclass(frozen=True)
class DocumentType:
    """A document type read from its template."""

    id: str
    title: str
    file: str
    material_kinds: tuple[str, ...]
    all_of: tuple[str, ...]
    any_of: tuple[str, ...]
    none_of: tuple[str, ...]
    min_any: int
    fields: tuple[FieldSpec, ...] = field(default=())

    def score(self, text: str) -> float:
        """How well ``text`` (without spaces) fits: 0 when a required keyword is absent or an excluded one
        present, otherwise the share of ``all`` and ``any`` keywords found."""
        if any(k not in text for k in self.all_of) or any(k in text for k in self.none_of):
            return 0.0
        found = sum(1 for k in self.any_of if k in text)
        if found < self.min_any:
            return 0.0
        total = len(self.all_of) + len(self.any_of)
        return (len(self.all_of) + found) / total if total else 0.0


def read_document_type(path: Path) -> DocumentType:
    """Read and validate one template file.

    :raises PackError: naming the file, line and field of every problem.
    """
    problems: list[PackProblem] = []
    try:
        data = load_yaml(path)
    except Exception as exc:
        raise PackError([PackProblem(str(path), None, f"not valid YAML: {exc}")]) from None
    if not isinstance(data, LineDict):
        raise PackError([PackProblem(str(path), None, "a document type is a mapping with id, recognise, fields")])

    def problem(message: str, key: str | None = None, where: LineDict = data) -> None:
        problems.append(PackProblem(str(path), where.lines.get(key, where.line) if key else where.line, message))

    known = {"id", "title", "material_kinds", "recognise", "fields", "description"}
    for key in data:
        if key not in known:
            problem(f"unknown key '{key}' (known: {', '.join(sorted(known))})", key)
    type_id = str(data.get("id") or "")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", type_id):
        problem("'id' is required: lowercase words joined by _, like id_card_front", "id")
    recognise = data.get("recognise")
    if not isinstance(recognise, LineDict):
        problem("'recognise' is required: {all: [...], any: [...], min_any: n, none: [...]}", "recognise")
        recognise = LineDict()
        recognise.lines = {}

    def words(key: str) -> tuple[str, ...]:
        value = recognise.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            problem(f"recognise.{key} must be a list of texts", key, recognise)
            return ()
        return tuple(_no_space(v) for v in value)

    all_of, any_of, none_of = words("all"), words("any"), words("none")
    min_any = recognise.get("min_any", 1 if any_of else 0)
    if not isinstance(min_any, int) or min_any < 0 or min_any > len(any_of):
        problem(f"recognise.min_any must be a whole number from 0 to {len(any_of)}", "min_any", recognise)
        min_any = 0
    if not all_of and not any_of:
        problem("recognise needs at least one keyword in 'all' or 'any'", "recognise")
    fields: list[FieldSpec] = []
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, LineDict) or not raw_fields:
        problem("'fields' is required: a mapping of field name to {anchor, pattern, ...}", "fields")
        raw_fields = LineDict()
        raw_fields.lines = {}
    field_keys = {"anchor", "pattern", "group", "normalise", "validate", "threshold", "lines", "required", "stop"}
    for name, spec in raw_fields.items():
        if not isinstance(spec, LineDict):
            problem(f"field {name}: must be a mapping with at least 'anchor'", name, raw_fields)
            continue
        for key in spec:
            if key not in field_keys:
                problem(f"field {name}: unknown key '{key}' (known: {', '.join(sorted(field_keys))})", key, spec)
        anchor = spec.get("anchor")
        if not isinstance(anchor, str) or not anchor.strip():
            problem(f"field {name}: 'anchor' (the label text) is required", None, spec)
            continue
        pattern = None
        if spec.get("pattern") is not None:
            try:
                pattern = re.compile(str(spec["pattern"]))
            except re.error as exc:
                problem(f"field {name}: invalid pattern: {exc}", "pattern", spec)
        normalise = str(spec.get("normalise", "text"))
        if normalise not in NORMALISERS:
            problem(f"field {name}: unknown normaliser '{normalise}' (known: {', '.join(NORMALISERS)})",
                    "normalise", spec)
        validate = spec.get("validate")
        if validate is not None and validate not in VALIDATORS:
            problem(f"field {name}: unknown validator '{validate}' (known: {', '.join(VALIDATORS)})", "validate", spec)
        threshold = spec.get("threshold")
        if threshold is not None and not (isinstance(threshold, (int, float)) and 0 <= threshold <= 1):
            problem(f"field {name}: threshold must be a number from 0 to 1", "threshold", spec)
            threshold = None
        group = spec.get("group", 0)
        if not isinstance(group, int) or (pattern is not None and group > pattern.groups):
            problem(f"field {name}: group {group!r} is not a group of the pattern", "group", spec)
            group = 0
        lines = spec.get("lines", 1)
        if not isinstance(lines, int) or not 1 <= lines <= 10:
            problem(f"field {name}: lines must be a whole number from 1 to 10", "lines", spec)
            lines = 1
        stop = spec.get("stop") or []
        if not isinstance(stop, list) or not all(isinstance(s, str) and s.strip() for s in stop):
            problem(f"field {name}: stop must be a list of texts", "stop", spec)
            stop = []
        fields.append(FieldSpec(str(name), _no_space(anchor), pattern, group, normalise,
                                str(validate) if validate else None,
                                float(threshold) if threshold is not None else None, lines,
                                bool(spec.get("required", True)), tuple(_no_space(s) for s in stop)))
    kinds = data.get("material_kinds") or []
    if not isinstance(kinds, list):
        problem("material_kinds must be a list of case material kinds", "material_kinds")
        kinds = []
    if problems:
        raise PackError(problems)
    return DocumentType(type_id, str(data.get("title") or type_id), str(path), tuple(str(k) for k in kinds),
                        all_of, any_of, none_of, int(min_any), tuple(fields))


# ---- classification -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Classification:
    """Which document type a material is: ``type`` is ``None`` when none or several match (see ``scores``)."""

    type: DocumentType | None
    scores: dict[str, float]
    reason: str = ""


def classify(document: Document, types: Mapping[str, DocumentType], material_kind: str | None = None,
             forced: str | None = None) -> Classification:
    """Classify by keyword scores; never guesses: no match or a tie between matches is reported as such."""
    if forced is not None:
        if forced not in types:
            raise KeyError(f"unknown document type {forced!r} (known: {', '.join(sorted(types))})")
        return Classification(types[forced], {forced: 1.0}, "given")
    text = _no_space(document.text)
    candidates = [t for t in types.values() if not material_kind or not t.material_kinds
                  or material_kind in t.material_kinds or material_kind == "other"]
    scores = {t.id: round(t.score(text), 3) for t in candidates}
    matching = sorted((s, i) for i, s in scores.items() if s > 0)
    if not matching:
        return Classification(None, scores, "no document type matches")
    if len(matching) > 1 and matching[-1][0] - matching[-2][0] < 0.2:
        return Classification(None, scores, f"several document types match: {matching[-1][1]}, {matching[-2][1]}")
    return Classification(types[matching[-1][1]], scores)


# ---- field extraction ---------------------------------------------------------------------------------------


@dataclass
class _Line:
    page: Page
    words: list[Word]
    text: str = ""
    owners: list[int] = field(default_factory=list)
    """For each character of ``text``, the index of the word it came from."""

    def __post_init__(self) -> None:
        for index, word in enumerate(self.words):
            piece = _no_space(word.text)
            self.text += piece
            self.owners.extend([index] * len(piece))

    def char_x(self, position: int) -> float:
        """The approximate left edge of character ``position`` (characters spread evenly over their word)."""
        if not self.owners:
            return 0.0
        position = min(max(position, 0), len(self.owners) - 1)
        owner = self.owners[position]
        first = self.owners.index(owner)
        count = self.owners.count(owner)
        x0, _, x1, _ = self.words[owner].bbox
        return x0 + (x1 - x0) * (position - first) / count

    def char_width(self) -> float:
        widths = [(w.bbox[2] - w.bbox[0]) / max(1, len(_no_space(w.text))) for w in self.words if w.text.strip()]
        return sorted(widths)[len(widths) // 2] if widths else 0.0


def _page_lines(page: Page) -> list[_Line]:
    grouped: dict[int, list[Word]] = {}
    for word in page.words:
        grouped.setdefault(word.line, []).append(word)
    return [_Line(page, sorted(ws, key=lambda w: w.bbox[0])) for _, ws in sorted(grouped.items())]


def extract_fields(document: Document, doc_type: DocumentType,
                   default_threshold: float = DEFAULT_THRESHOLD) -> dict[str, tuple[Field, float]]:
    """Read every field of ``doc_type``: ``name -> (Field, threshold)``. A field not found has value ``None``
    and confidence 0."""
    lines = [line for page in document.pages for line in _page_lines(page)]
    anchors = {spec.anchor for spec in doc_type.fields}
    out: dict[str, tuple[Field, float]] = {}
    for spec in doc_type.fields:
        threshold = spec.threshold if spec.threshold is not None else default_threshold
        out[spec.name] = (_read_field(document, lines, spec, anchors), threshold)
    return out


def _read_field(document: Document, lines: list[_Line], spec: FieldSpec, anchors: set[str]) -> Field:
    for index, line in enumerate(lines):
        at = line.text.find(spec.anchor)
        if at < 0:
            continue
        start = at + len(spec.anchor)
        segments: list[tuple[_Line, int, int]] = []
        end = _value_end(line.text, start, (anchors - {spec.anchor}) | set(spec.stop))
        if line.text[start:end].strip(":：") != "":
            segments.append((line, start, end))
        following = lines[index + 1:index + 1 + spec.lines] if not segments else \
            lines[index + 1:index + spec.lines]
        # a continuation line of a value written after its label starts under the value, not under the label
        column = line.char_x(start + len(line.text[start:end]) - len(line.text[start:end].lstrip(":："))) \
            if segments else None
        for extra in following:
            if extra.page is not line.page or any(a in extra.text for a in anchors) or not extra.text:
                break
            if column is not None and extra.char_x(0) < column - extra.char_width():
                break
            segments.append((extra, 0, len(extra.text)))
        value_text = "".join(seg.text[s:e] for seg, s, e in segments).lstrip(":：")
        offset = len("".join(seg.text[s:e] for seg, s, e in segments)) - len(value_text)
        if spec.pattern is not None:
            match = spec.pattern.search(value_text)
            if not match:
                continue  # the anchor appears here without a value of the right form: look further
            raw = match.group(spec.group)
            first, last = match.start(spec.group) + offset, match.end(spec.group) + offset
        else:
            raw = value_text
            first, last = offset, offset + len(value_text)
        if not raw:
            continue
        words, page, boxes = _words_between(segments, first, last)
        confidence = min((w.confidence for w in words), default=0.0)
        value = NORMALISERS[spec.normalise](raw)
        valid = VALIDATORS[spec.validate](value) if spec.validate else None
        bbox = _union(boxes)
        return Field(value, confidence, Source(document.file, page.number, bbox, page.engine, page.unit), raw, valid)
    return Field(None, 0.0, None)


def _value_end(text: str, start: int, other_anchors: set[str]) -> int:
    end = len(text)
    for anchor in other_anchors:
        position = text.find(anchor, start)
        if position >= 0:
            end = min(end, position)
    return end


def _words_between(segments: list[tuple[_Line, int, int]], first: int,
                   last: int) -> tuple[list[Word], Page, list[BBox]]:
    """The words holding characters ``first``..``last`` of the joined segments, their page, and per line the
    box of just those characters (a word may hold a label and its value, e.g. OCR's 姓名张三)."""
    words: list[Word] = []
    boxes: list[BBox] = []
    page = segments[0][0].page
    cursor = 0
    for line, start, end in segments:
        chosen = [position for offset, position in enumerate(range(start, end)) if first <= cursor + offset < last]
        cursor += end - start
        if not chosen:
            continue
        page = line.page
        for position in chosen:
            word = line.words[line.owners[position]]
            if not words or words[-1] is not word:
                words.append(word)
        x0 = line.char_x(chosen[0])
        last_word = line.words[line.owners[chosen[-1]]]
        after = chosen[-1] + 1
        x1 = line.char_x(after) if after < len(line.owners) and line.owners[after] == line.owners[chosen[-1]] \
            else last_word.bbox[2]
        tops = [line.words[line.owners[p]].bbox[1] for p in chosen]
        bottoms = [line.words[line.owners[p]].bbox[3] for p in chosen]
        boxes.append((x0, min(tops), x1, max(bottoms)))
    return words, page, boxes


def _union(boxes: list[BBox]) -> BBox:
    if not boxes:
        return (0.0, 0.0, 0.0, 0.0)
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
