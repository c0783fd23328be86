"""The village notice (村级公示) as a printable A4 PDF, posted in the village.

A notice exists so that neighbours can object, so it names the household as
they know it: the head's name (from the registry, unsealed for the notice
alone) and the household's size, with the category or the clearance and the
dates. It shows only what ``NoticeOut`` holds: never an ID, phone or bank
number, or any health detail. Objections go to the village committee or the
township government, by the office's telephone, and to the hotline 12317.
The Chinese font is embedded (subset), so the text can be copied and searched.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fpdf import FPDF, FontFace

from domain.privacy import no_personal_numbers
from domain.procedure import Notice
from schemas.cases import NoticeOut
from services.households.names import HeadNames
from services.households.statusview import RiskStatusView
from services.presentation.fonts import checked_bytes, face

__all__ = [
    "a4_pdf",
    "day_zh",
    "for_print",
    "notice_pdf",
    "pdf_bytes",
    "printed",
]

TITLES = {
    "identification": "拟纳入防止返贫监测对象公示",
    "clearance": "拟标注风险消除公示",
}
CATEGORIES = {"unstable": "脱贫不稳定户", "marginal": "边缘易致贫户", "sudden": "突发严重困难户"}
CLEARANCE_KINDS = {"helped": "帮扶消除", "natural": "自然消除"}


def a4_pdf(title: str, font: Path) -> FPDF:
    """An A4 page in Chinese with ``title`` and the font embedded, its
    margins and title set, for the printed documents of the procedure."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(title)
    pdf.set_lang("zh-CN")
    pdf.add_font("notice", fname=font, collection_font_number=face(font))
    pdf.set_margins(25, 25, 25)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("notice", size=20)
    pdf.cell(text=title, w=pdf.epw, h=14, align="C", new_x="LMARGIN", new_y="NEXT")
    return pdf


def pdf_bytes(pdf: FPDF, font: Path) -> bytes:
    """The document's bytes; refused when the font lacks a glyph it needed."""
    return checked_bytes(pdf, "notice", font)


def day_zh(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def for_print(
    notice: NoticeOut, head_name: str | None, members: int | None, rule: Notice
) -> NoticeOut:
    """The notice with what only its printing adds: the registry's head's name
    and household size, and where objections go (the procedure file's)."""
    return notice.model_copy(
        update={
            "head_name": head_name,
            "members": members,
            "office_phone": rule.offices.get(notice.township or ""),
            "hotline": rule.hotline,
        }
    )


def printed(
    notice: NoticeOut, names: HeadNames | None, risk: RiskStatusView, rule: Notice
) -> NoticeOut:
    """``for_print`` with the head's name unsealed and the size the risk view holds."""
    status = risk.get(notice.household_id)
    name = names.name(notice.household_id) if names is not None else None
    return for_print(notice, name, status.members if status else None, rule)


def notice_pdf(notice: NoticeOut, font: Path) -> bytes:
    """The notice as PDF bytes: A4, in Chinese, one page."""
    if not notice.village:
        raise ValueError(f"case {notice.case_id}: a village notice needs the household's village")
    village = no_personal_numbers(notice.village)
    township = no_personal_numbers(notice.township or "")
    committee = village + ("居民委员会" if village.endswith("社区") else "村民委员会")
    days = (notice.ends_on - notice.starts_on).days + 1
    pdf = a4_pdf(TITLES[notice.kind], font)
    pdf.set_font(size=14)
    pdf.cell(text=f"{township}{village}", w=pdf.epw, h=10, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(size=13)
    lines = dict(h=8, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(w=0, text=_opening(notice), **lines)
    pdf.ln(4)
    heading = FontFace(emphasis="", fill_color=(235, 235, 235))
    with pdf.table(
        col_widths=(14, 40, 26, 46), text_align="CENTER", line_height=10, headings_style=heading
    ) as table:
        for row in _rows(notice):
            table.row(row)
    pdf.ln(6)
    pdf.multi_cell(
        w=0,
        text=f"公示期：{day_zh(notice.starts_on)}至{day_zh(notice.ends_on)}（共{days}天）",
        **lines,
    )
    for line in _objections(notice, committee, township):
        pdf.multi_cell(w=0, text=line, **lines)
    pdf.ln(14)
    pdf.cell(text=committee, w=0, h=8, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(text=day_zh(notice.starts_on), w=0, h=8, align="R", new_x="LMARGIN", new_y="NEXT")
    return pdf_bytes(pdf, font)


def _opening(notice: NoticeOut) -> str:
    """The steps taken, in the mechanism's words."""
    if notice.kind == "clearance":
        return (
            "根据防止返贫动态监测和帮扶工作要求，经入户核实、民主评议，"
            "现将拟标注风险消除的监测对象公示如下："
        )
    return (
        "根据防止返贫动态监测和帮扶工作要求，经入户核实、信息比对、民主评议，"
        "现将拟纳入防止返贫监测对象的农户公示如下："
    )


def _rows(notice: NoticeOut) -> tuple[tuple[str, ...], ...]:
    # The head's name as the registry gives it (its code where the registry
    # gave none); the household's size; what is proposed.
    head = no_personal_numbers(notice.head_name) if notice.head_name else notice.household_id
    size = f"{notice.members}人" if notice.members else "—"
    if notice.kind == "clearance":
        kind = CLEARANCE_KINDS.get(notice.clearance_kind or "", "风险消除")
        return (("序号", "户主姓名", "家庭人口", "拟办事项"), ("1", head, size, kind))
    category = CATEGORIES.get(notice.category or "", "待认定")
    return (("序号", "户主姓名", "家庭人口", "拟认定类别"), ("1", head, size, category))


def _objections(notice: NoticeOut, committee: str, township: str) -> list[str]:
    """Where objections go: the sentence, then each office's number on its own
    line (so that no number breaks across lines)."""
    office = f"{township or '乡镇'}人民政府"
    lines = [f"公示期内，如有异议，请以书面或口头形式向{committee}或{office}反映。"]
    if notice.office_phone:
        lines.append(f"{office}电话：{notice.office_phone}")
    if notice.hotline:
        lines.append(f"全国防止返贫监测和乡村振兴咨询服务平台：{notice.hotline}")
    return lines
