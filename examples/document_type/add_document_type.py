"""For rule authors and integrators: add a document type without writing Python, then read a material with it.

    python examples/document_type/add_document_type.py

The template is ``commitment.yaml`` beside this file. A plugin registers it through the
``govauto_register_document_types`` hook (installed plugins do the same in their own package); here the plugin
is an object passed to a Runtime. The script renders a sample commitment (marked 样本) and extracts it.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import govauto
from govauto import hookimpl

HERE = Path(__file__).parent


class CommitmentDocuments:
    @hookimpl
    def govauto_register_document_types(self, register: Callable[[Path], None]) -> None:
        register(HERE / "commitment.yaml")


def render_sample(path: Path) -> None:
    """A one-page text-layer PDF with reportlab's built-in Chinese font (no real personal data)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    pdf.setFont("STSong-Light", 20)
    pdf.drawCentredString(A4[0] / 2, 760, "住所（经营场所）申报承诺书")
    pdf.setFont("STSong-Light", 12)
    lines = [
        "承诺人：张三",
        "公民身份号码：110101199003071233",
        "经营场所：广东省深圳市南山区南头街道南山大道100号",
        "本人承诺：申报的经营场所真实、合法、有效，如有不实，愿承担相应法律责任。",
        "承诺日期：2026年11月20日",
        "（样本）",
    ]
    for index, line in enumerate(lines):
        pdf.drawString(72, 700 - index * 28, line)
    pdf.save()


def main() -> int:
    runtime = govauto.Runtime(plugins=[CommitmentDocuments()])
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "commitment.pdf"
        render_sample(sample)
        result = runtime.extract_file(sample, material_kind="premises_proof")
        print(f"recognised as: {result.doc_type} (scores {result.scores})")
        for name, value in result.fields.items():
            page = value.source.page if value.source else "-"
            print(f"  {name}: {value.value!r} confidence {value.confidence:.2f} page {page} valid {value.valid}")
        return 0 if result.doc_type == "premises_commitment" else 1


if __name__ == "__main__":
    sys.exit(main())
