"""The household's authorisation form (承诺授权书) as a printable A4 PDF: the
household promises its statements are true and authorises the county's
departments to check its members' income and property, for identification
only. Printed before the cross-check, signed by the head (or a member, or a
proxy with the head's fingerprint) and kept where the case records.

It names the household by its registry code and its village only: the head
signs by hand on paper, so no name, ID, phone or bank number is printed.
"""

from __future__ import annotations

from pathlib import Path

from domain.privacy import no_personal_numbers
from schemas.cases import CaseOut
from services.cases.notice import a4_pdf, pdf_bytes

TITLE = "防止返贫监测对象申请及承诺授权书"
# What the county's cross-check (信息比对) reads, as published procedures list it.
CHECKED = "车辆、商品房、工商登记（经营主体）、财政供养、社会保险、存款等收入和财产信息"


def authorisation_pdf(case: CaseOut, font: Path) -> bytes:
    """The form for ``case``'s household: A4, Chinese, one page."""
    village = no_personal_numbers(case.village or "")
    township = no_personal_numbers(case.township or "")
    committee = village + ("居民委员会" if village.endswith("社区") else "村民委员会")
    pdf = a4_pdf(TITLE, font)
    pdf.set_font(size=14)
    pdf.cell(text=f"{township}{village}", w=pdf.epw, h=10, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(size=13)
    lines = dict(w=0, h=8, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(text=f"户编号：{case.household_id}", **lines)
    pdf.ln(2)
    for paragraph in (
        "一、本户自愿申请纳入防止返贫动态监测，承诺如实提供家庭成员、劳动力、"
        "收入、支出和财产等情况，如有隐瞒或虚报，愿承担相应责任。",
        f"二、本户授权县乡村振兴局会同有关部门，查询、核对本户家庭成员的{CHECKED}，"
        "查询结果仅用于防止返贫监测对象识别和帮扶，不作他用。",
        "三、本授权书经户主签字（或按手印）后生效；户主不能书写的，可由家庭成员或"
        "受托人代为填写，并由户主按手印。",
    ):
        pdf.multi_cell(text=paragraph, **lines)
        pdf.ln(2)
    pdf.ln(8)
    for line in (
        "户主（签字或按手印）：____________________",
        "代填人（签字）：____________________",
        "签订日期：______年____月____日",
        f"本授权书由{committee}存档保管。",
    ):
        pdf.multi_cell(text=line, **lines)
        pdf.ln(3)
    return pdf_bytes(pdf, font)
