"""The results announcement (结果公告): after the county decides, the
households of one village it made monitoring objects, or whose risk it
cleared, listed on a printable A4 PDF posted in the village in the
township's name (Yongcheng, Henan: 以乡（镇、街道）名义将县级审批后的监测对象名单在所在村公告).

Same privacy as the village notice: a household by its head's name (户主姓名,
unsealed for printing alone) and its size, its category or clearance kind and
the day of the decision; never a code, a case id, a reason, an ID, phone or
bank number, or any health detail. A household the county declined is not
announced (nothing was posted about it as a result).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from fpdf import FontFace

from domain import countyday
from domain.privacy import no_personal_numbers
from schemas.cases import CaseOut
from services.cases.notice import CATEGORIES, CLEARANCE_KINDS, a4_pdf, day_zh, pdf_bytes
from services.households.names import HeadNames
from services.households.statusview import RiskStatusView

TITLES = {
    "identification": "防止返贫监测对象识别结果公告",
    "clearance": "防止返贫监测对象风险消除结果公告",
}
ANNOUNCED = {"identification": "monitored", "clearance": "cleared"}
# A household whose registration came without its head's name: neighbours
# cannot tell a code, and a code's Latin letters would be the only foreign
# text on a posted page, so the row says the name is to be written in, and
# the township fills it in by hand before it signs and posts the list.
NO_NAME = "（待补录）"


@dataclass(frozen=True)
class Announced:
    household_id: str
    what: str  # the category (纳入) or the clearance kind
    decided_on: date
    head_name: str | None = None  # added for printing only (``with_heads``)
    members: int | None = None


def announced(cases: Iterable[CaseOut], kind: str, first: date, last: date) -> list[Announced]:
    """The decisions of ``kind`` approved from ``first`` to ``last`` (county days)."""
    found = []
    for case in cases:
        decision = case.records.get("county_decision")
        if case.kind != kind or case.status != ANNOUNCED[kind] or decision is None:
            continue
        at = decision["at"]  # a datetime, or its ISO text in a stored document
        on = countyday.day(datetime.fromisoformat(at) if isinstance(at, str) else at)
        if not first <= on <= last:
            continue
        if kind == "identification":
            what = CATEGORIES.get(case.category or "", "")
        else:
            what = CLEARANCE_KINDS.get(case.clearance_kind or "", "风险消除")
        found.append(Announced(case.household_id, what, on))
    return sorted(found, key=lambda a: (a.decided_on, a.household_id))


def with_heads(
    rows: list[Announced], names: HeadNames | None, risk: RiskStatusView
) -> list[Announced]:
    """``rows`` with what only printing adds: each head's name, unsealed, and
    the household's size the risk view holds."""
    shown = []
    for row in rows:
        status = risk.get(row.household_id)
        name = names.name(row.household_id) if names is not None else None
        members = status.members if status else None
        shown.append(replace(row, head_name=name, members=members))
    return shown


def announcement_pdf(
    township: str, village: str, kind: str, rows: list[Announced], on: date, font: Path
) -> bytes:
    """The announcement of ``rows`` in ``village``, dated ``on``."""
    township, village = no_personal_numbers(township), no_personal_numbers(village)
    pdf = a4_pdf(TITLES[kind], font)
    pdf.set_font(size=14)
    pdf.cell(text=f"{township}{village}", w=pdf.epw, h=10, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(size=13)
    lines = dict(w=0, h=8, new_x="LMARGIN", new_y="NEXT")
    done = "纳入防止返贫监测对象" if kind == "identification" else "标注风险消除"
    pdf.multi_cell(
        text=f"经入户核实、信息比对、民主评议、村级公示、乡镇审核和县级审定，"
        f"以下农户{done}，现予公告：",
        **lines,
    )
    pdf.ln(4)
    column = "监测对象类别" if kind == "identification" else "消除方式"
    heading = FontFace(emphasis="", fill_color=(235, 235, 235))
    pdf.set_auto_page_break(True, margin=25)  # a long list runs on, its heading repeated
    with pdf.table(
        col_widths=(12, 32, 22, 34, 36), text_align="CENTER", line_height=9,
        headings_style=heading,
    ) as table:  # fmt: skip
        table.row(("序号", "户主姓名", "家庭人口", column, "审定日期"))
        for n, row in enumerate(rows, 1):
            head = no_personal_numbers(row.head_name) if row.head_name else NO_NAME
            size = f"{row.members}人" if row.members else "—"
            table.row((str(n), head, size, row.what, day_zh(row.decided_on)))
    if not rows:
        pdf.multi_cell(text="本期无。", **lines)
    pdf.ln(6)
    pdf.multi_cell(
        text=f"如有异议，可向{township or '乡镇'}反映，或拨打12317防止返贫监测和乡村振兴咨询服务电话。",
        **lines,
    )
    pdf.ln(10)
    office = township + ("办事处" if township.endswith("街道") else "人民政府")
    pdf.cell(text=office, w=0, h=8, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(text=day_zh(on), w=0, h=8, align="R", new_x="LMARGIN", new_y="NEXT")
    return pdf_bytes(pdf, font)
