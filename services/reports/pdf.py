"""The monthly report as a PDF: A4, Chinese first, every section's tables
and its charts as images. The Chinese font is embedded (a subset) as the
village notice's is, so the text can be copied, searched and read back."""

from __future__ import annotations

import base64
from io import BytesIO
from pathlib import Path

from fpdf import FPDF, FontFace

from domain.privacy import no_personal_numbers
from schemas.report import MonthlyReportOut, ReportTable
from services.presentation.fonts import checked_bytes, face

__all__ = ["report_pdf"]


def report_pdf(report: MonthlyReportOut, font: Path, county: str = "") -> bytes:
    pdf = FPDF(format="A4", unit="mm")
    title = f"{county}防止返贫动态监测月报（{report.month}）"
    pdf.set_title(title)
    pdf.set_lang("zh-CN")
    pdf.add_font("report", fname=font, collection_font_number=face(font))
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("report", size=16)
    pdf.cell(text=title, w=pdf.epw, h=10, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(size=9)
    state = "月度终值" if report.final else "本月截至当日"
    pdf.cell(
        text=f"数据截至{report.as_of}（{state}），计算于{report.computed_at:%Y-%m-%d %H:%M} UTC",
        w=pdf.epw, h=6, align="C", new_x="LMARGIN", new_y="NEXT",
    )  # fmt: skip
    for section in report.sections:
        pdf.ln(3)
        pdf.set_font(size=13)
        pdf.cell(text=section.title, w=pdf.epw, h=8, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(size=8)
        pdf.multi_cell(w=0, h=4.5, text=section.basis, new_x="LMARGIN", new_y="NEXT")
        for table in section.tables:
            _table(pdf, table)
        for name in section.charts:
            chart = report.chart(name)
            if chart is not None:
                if pdf.will_page_break(95):
                    pdf.add_page()
                pdf.image(BytesIO(base64.b64decode(chart.png)), w=pdf.epw * 0.9, x=pdf.l_margin)
    return checked_bytes(pdf, "report", font)


def _table(pdf: FPDF, table: ReportTable) -> None:
    pdf.ln(1)
    pdf.set_font(size=10)
    pdf.cell(text=table.title, w=pdf.epw, h=6, new_x="LMARGIN", new_y="NEXT")
    size = 8 if len(table.columns) <= 10 else 6.5 if len(table.columns) <= 13 else 5.5
    pdf.set_font(size=size)
    heading = FontFace(emphasis="", fill_color=(235, 235, 235))
    with pdf.table(text_align="CENTER", line_height=size * 0.6, headings_style=heading) as t:
        t.row([no_personal_numbers(str(c)) for c in table.columns])
        for row in table.rows:
            t.row([no_personal_numbers("" if c is None else str(c)) for c in row])
    pdf.ln(2)
