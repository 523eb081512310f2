"""Exports of one rendered item: CSV, XLSX (formatted, Vietnamese headers) and a PDF report.

The PDF uses DejaVu Sans from matplotlib's own data folder, since ReportLab's built-in fonts lack
Vietnamese glyphs, and draws a static chart with matplotlib (no browser, no system libraries).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from haucan.core.cells import protect_sheet, safe_cell
from haucan.dashboards.analysis import Table, vn_number
from haucan.dashboards.charts import PALETTE, pivot_rows
from haucan.dashboards.items import RenderedItem
from haucan.dashboards.models import ChartType

FONT_NAME = "HaucanDejaVu"
FONT_BOLD = "HaucanDejaVu-Bold"


def _header(item: RenderedItem) -> list[str]:
    table = item.table
    corner = table.dim_label(table.row_dims) if table.row_dims else ""
    return [corner or _("Data item"), *[table.label(c) for c in table.col_keys]]


def _raw_rows(table: Table) -> list[list[str | float | None]]:
    return [[table.label(r), *[table.value(r, c) for c in table.col_keys]] for r in table.row_keys]


def stamp(now: datetime | None = None) -> str:
    return timezone.localtime(now or timezone.now()).strftime("%d/%m/%Y %H:%M")


def to_csv(item: RenderedItem) -> bytes:
    """UTF-8 with a BOM so Excel opens Vietnamese text correctly; '.' decimals for machines."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(text) for text in _header(item)])
    for row in _raw_rows(item.table):
        writer.writerow(
            ["" if v is None else (f"{v:g}" if isinstance(v, float) else safe_cell(v)) for v in row]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(item: RenderedItem) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = (item.vis.code or "Bang")[:31]
    header = _header(item)
    width = max(len(header), 2)
    ws.cell(row=1, column=1, value=item.vis.name).font = Font(bold=True, size=14)
    ws.cell(row=2, column=1, value=_("Unit: %(unit)s") % {"unit": item.state.unit.name})
    ws.cell(row=3, column=1, value=_("Period: %(period)s") % {"period": item.period_text})
    ws.cell(row=4, column=1, value=_("Generated: %(time)s") % {"time": stamp()}).font = Font(
        italic=True, color="666666"
    )
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    thin = Side(style="thin", color="B7C4A8")
    fill = PatternFill("solid", fgColor="E9EFE3")
    top = 6
    for col, text in enumerate(header, start=1):
        cell = ws.cell(row=top, column=col, value=text)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, row in enumerate(_raw_rows(item.table), start=top + 1):
        for col, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=col, value=value)
            cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
            if col > 1:
                cell.number_format = "#,##0.##"
    ws.column_dimensions["A"].width = 42
    for col in range(2, width + 1):
        ws.column_dimensions[get_column_letter(col)].width = 18
    ws.freeze_panes = ws.cell(row=top + 1, column=2)
    protect_sheet(ws)  # unit, element and chart names are text, never formulas
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _font_paths() -> tuple[Path, Path]:
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"


def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return
    regular, bold = _font_paths()
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(regular)))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold)))


def chart_png(item: RenderedItem) -> bytes | None:
    """A static picture of the item for the PDF (bars, lines or a pie), or None for tables."""
    table = item.table
    if item.vis.type in (ChartType.PIVOT, ChartType.MAP) or not table.values:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import FuncFormatter

    regular, _bold = _font_paths()
    from matplotlib import font_manager

    family = font_manager.FontProperties(fname=str(regular)).get_name()
    plt.rcParams["font.family"] = family
    fig, ax = plt.subplots(figsize=(7.5, 3.4), dpi=150)
    try:
        labels = [table.label(r) for r in table.row_keys]
        series = table.col_keys or [()]
        kind = item.vis.type
        if kind in (ChartType.KPI, ChartType.GAUGE):
            total = sum(table.values.values())
            ax.axis("off")
            ax.text(
                0.5, 0.55, vn_number(total), ha="center", va="center", fontsize=40, color=PALETTE[0]
            )
            if item.previous:
                ax.text(
                    0.5,
                    0.15,
                    _("Previous period: %(value)s") % {"value": vn_number(item.previous)},
                    ha="center",
                    fontsize=12,
                    color="#555555",
                )
        elif kind in (ChartType.PIE, ChartType.DONUT):
            values = [table.value(r, series[0]) or 0 for r in table.row_keys]
            ax.pie(
                values,
                labels=labels,
                colors=PALETTE,
                autopct="%1.0f%%",
                wedgeprops={"width": 0.45} if kind == ChartType.DONUT else None,
                textprops={"fontsize": 7},
            )
        else:
            count = max(len(series), 1)
            width = 0.8 / count
            positions = list(range(len(labels)))
            for i, ser in enumerate(series):
                values = [table.value(r, ser) or 0 for r in table.row_keys]
                name = table.label(ser) if ser else item.vis.name
                color = PALETTE[i % len(PALETTE)]
                if kind in (ChartType.LINE, ChartType.AREA):
                    ax.plot(positions, values, marker="o", label=name, color=color)
                    if kind == ChartType.AREA:
                        ax.fill_between(positions, values, alpha=0.25, color=color)
                else:
                    ax.bar(
                        [p + i * width - 0.4 + width / 2 for p in positions],
                        values,
                        width=width,
                        label=name,
                        color=color,
                    )
            ax.set_xticks(positions)
            ax.set_xticklabels(
                labels, rotation=30 if len(labels) > 4 else 0, ha="right", fontsize=7
            )
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: vn_number(v, 0)))
            ax.tick_params(axis="y", labelsize=7)
            ax.spines[["top", "right"]].set_visible(False)
            if len(series) > 1:
                ax.legend(fontsize=7, frameon=False)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(fig)


def to_pdf(item: RenderedItem) -> bytes:
    """An A4 report: title, unit, period, the chart, the table and the generation time."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as PdfTable

    _register_fonts()
    wide = len(item.table.col_keys) > 5
    pagesize = landscape(A4) if wide else A4
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=pagesize,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=item.vis.name,
        author="Hậu Cần Số",
    )
    title = ParagraphStyle("t", fontName=FONT_BOLD, fontSize=15, leading=19, spaceAfter=6)
    body = ParagraphStyle("b", fontName=FONT_NAME, fontSize=10, leading=13)
    small = ParagraphStyle("s", fontName=FONT_NAME, fontSize=8, leading=10, textColor="#555555")
    cell = ParagraphStyle("c", fontName=FONT_NAME, fontSize=8, leading=10)
    head = ParagraphStyle("h", fontName=FONT_BOLD, fontSize=8, leading=10)
    story: list[object] = [
        Paragraph(item.vis.name, title),
        Paragraph(_("Unit: %(unit)s") % {"unit": item.state.unit.name}, body),
        Paragraph(_("Period: %(period)s") % {"period": item.period_text}, body),
        Spacer(1, 4 * mm),
    ]
    png = chart_png(item)
    if png:
        usable = pagesize[0] - 30 * mm
        story += [
            Image(io.BytesIO(png), width=usable, height=usable * 3.4 / 7.5),
            Spacer(1, 4 * mm),
        ]
    header = [Paragraph(text, head) for text in _header(item)]
    rows = [[Paragraph(label, cell), *cells] for label, cells in pivot_rows(item.table)]
    if rows:
        grid = PdfTable([header, *rows], repeatRows=1, hAlign="LEFT")
        grid.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), FONT_NAME),
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E9EFE3")),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#B7C4A8")),
                    ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        story.append(grid)
    else:
        story.append(Paragraph(_("No data for this unit and period."), body))
    story += [
        Spacer(1, 6 * mm),
        Paragraph(_("Generated: %(time)s") % {"time": stamp()} + " · Hậu Cần Số", small),
    ]
    doc.build(story)
    return out.getvalue()
