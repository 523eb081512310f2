"""A petroleum note as a printable PDF in the layout of Decree 30/2020/NĐ-CP.

The national motto top right, the issuing unit top left (its parent above it), the number and
the place and date, the title, the lines, and the signature blocks. Decree 30 asks for Times New
Roman; an air-gapped server has no such font, so DejaVu Sans from matplotlib's data folder is used
(it covers every Vietnamese diacritic, unlike ReportLab's built-in fonts).
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

FONT = "PetroleumDejaVu"
FONT_BOLD = "PetroleumDejaVu-Bold"
FONT_ITALIC = "PetroleumDejaVu-Oblique"

TITLES = {
    "receipt": "PHIẾU NHẬP XĂNG DẦU",
    "issue": "PHIẾU XUẤT XĂNG DẦU",
    "transfer_out": "PHIẾU XUẤT ĐIỀU CHUYỂN XĂNG DẦU",
    "transfer_in": "PHIẾU NHẬP ĐIỀU CHUYỂN XĂNG DẦU",
    "loss": "BIÊN BẢN HAO HỤT XĂNG DẦU",
    "consumption": "PHIẾU TIÊU THỤ XĂNG DẦU",
    "count": "BIÊN BẢN KIỂM KÊ XĂNG DẦU",
    "reversal": "PHIẾU ĐIỀU CHỈNH (ĐẢO) XĂNG DẦU",
}


def _register() -> None:
    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_ITALIC, str(folder / "DejaVuSans-Oblique.ttf")))


def _n(value: object) -> str:
    """1.234.567,5 (Vietnamese separators)."""
    if value in (None, ""):
        return ""
    amount = Decimal(str(value)).normalize()
    text = f"{amount:,f}"
    whole, _dot, fraction = text.partition(".")
    whole = whole.replace(",", ".")
    return f"{whole},{fraction}" if fraction else whole


def note_pdf(context: dict[str, Any]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register()
    document = context["document"]
    lines = context["lines"]
    unit = document.unit
    parent = unit.parent
    base = ParagraphStyle("base", fontName=FONT, fontSize=10, leading=13)
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
    bold_center = ParagraphStyle("bc", parent=center, fontName=FONT_BOLD)
    italic_center = ParagraphStyle("ic", parent=center, fontName=FONT_ITALIC)
    title = ParagraphStyle("title", parent=bold_center, fontSize=14, leading=18)

    out = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(
        out,
        pagesize=page,
        leftMargin=20 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{TITLES.get(document.doc_type, '')} {document.number}",
    )
    day = document.date
    heading = Table(
        [
            [
                Paragraph((parent.name if parent else "").upper(), center),
                Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold_center),
            ],
            [
                Paragraph(f"<u>{unit.name.upper()}</u>", bold_center),
                Paragraph("<u>Độc lập - Tự do - Hạnh phúc</u>", bold_center),
            ],
            [
                Paragraph(f"Số: {document.number}", center),
                Paragraph(
                    f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}", italic_center
                ),
            ],
        ],
        colWidths=[110 * mm, 140 * mm],
    )
    meta = document.meta
    facts = [
        ("Lệnh số", meta.get("order_number", "")),
        (
            "Đơn vị giao / nhận",
            document.counterparty or (document.counter_unit.name if document.counter_unit else ""),
        ),
        ("Kênh bảo đảm", context.get("channel", "")),
        ("Số xe", meta.get("vehicle_plate", "")),
        ("Người nhận", meta.get("recipient", "")),
        ("Nhiệm vụ", meta.get("task", "")),
        ("Giải trình", document.note),
    ]
    story: list[Any] = [
        heading,
        Spacer(1, 6 * mm),
        Paragraph(TITLES.get(document.doc_type, "PHIẾU XĂNG DẦU"), title),
        Spacer(1, 4 * mm),
    ]
    for label, value in facts:
        if value:
            story.append(Paragraph(f"{label}: {value}", base))
    header = [
        "TT",
        "Tên xăng dầu",
        "Kho / bể",
        "ĐVT",
        "Phải (15 °C)",
        "Thực tế",
        "Nhiệt độ (°C)",
        "Tỷ trọng 15 °C",
        "VCF",
        "Thực (lít 15 °C)",
        "Đơn giá",
        "Thành tiền",
    ]
    rows: list[list[Any]] = [[Paragraph(h, bold_center) for h in header]]
    for i, line in enumerate(lines, start=1):
        m = line.meta
        rows.append(
            [
                str(i),
                Paragraph(line.item.name, base),
                Paragraph(line.location.name, base),
                line.item.uom,
                _n(m.get("due")),
                _n(m.get("actual")),
                _n(m.get("temperature")),
                _n(m.get("density15")),
                m.get("vcf", ""),
                _n(abs(line.quantity)),
                _n(m.get("price")),
                _n(m.get("amount")),
            ]
        )
    rows.append(
        [
            "",
            Paragraph("Cộng", bold_center),
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            _n(context["total"]),
            "",
            _n(context["amount"] or ""),
        ]
    )
    table = Table(
        rows,
        repeatRows=1,
        colWidths=[
            10 * mm,
            45 * mm,
            35 * mm,
            12 * mm,
            20 * mm,
            20 * mm,
            17 * mm,
            20 * mm,
            15 * mm,
            22 * mm,
            18 * mm,
            26 * mm,
        ],
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("ALIGN", (4, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story += [Spacer(1, 4 * mm), table, Spacer(1, 8 * mm)]
    signatures = Table(
        [
            [
                Paragraph(t, bold_center)
                for t in ("NGƯỜI NHẬN", "NGƯỜI GIAO", "THỦ KHO", "THỦ TRƯỞNG ĐƠN VỊ")
            ],
            [Paragraph("(Ký, ghi rõ họ tên)", italic_center)] * 3
            + [Paragraph("(Ký, ghi rõ họ tên, đóng dấu)", italic_center)],
        ],
        colWidths=[62 * mm] * 4,
    )
    story.append(signatures)
    story.append(Spacer(1, 20 * mm))
    story.append(Paragraph(f"Người lập phiếu: {document.created_by}", base))
    doc.build(story)
    return out.getvalue()
