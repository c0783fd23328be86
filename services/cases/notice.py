"""The village notice (村级公示) as a printable A4 PDF, posted in the village.

It shows only what ``NoticeOut`` holds: the household's reference code, never
an ID, phone or bank number, a name, or any health detail. Objections go to
the village committee or the township government, named by their office.
The Chinese font is embedded (subset), so the text can be copied and searched.
"""

from __future__ import annotations

import functools
import subprocess
from datetime import date
from pathlib import Path

from fontTools.ttLib import TTCollection
from fpdf import FPDF, FontFace

from domain.privacy import no_personal_numbers
from schemas.cases import NoticeOut

__all__ = ["FontMissing", "a4_pdf", "day_zh", "find_font", "notice_pdf", "pdf_bytes"]

EMBEDDABLE = (".ttf", ".otf", ".ttc", ".otc")
_HINT = "install fonts-noto-cjk or fonts-wqy-microhei, or set POVWATCH_PDF_FONT"
_ZH_CN = 0x0804  # Windows language id of Chinese (PRC) in a font's name table

TITLES = {
    "identification": "防止返贫监测对象拟纳入公示",
    "clearance": "防止返贫监测对象拟风险消除公示",
}
CATEGORIES = {"unstable": "脱贫不稳定户", "marginal": "边缘易致贫户", "sudden": "突发严重困难户"}
CLEARANCE_KINDS = {"helped": "帮扶消除", "natural": "自然消除"}


class FontMissing(RuntimeError):
    """No font with Chinese glyphs to print the notice with."""


@functools.cache
def find_font(configured: Path | None) -> Path:
    """The configured font, else the one fontconfig finds for Chinese."""
    if configured is not None:
        if not configured.is_file():
            raise FontMissing(f"POVWATCH_PDF_FONT={configured}: no such font file")
        if configured.suffix.lower() not in EMBEDDABLE:
            raise FontMissing(f"POVWATCH_PDF_FONT={configured}: not a {'/'.join(EMBEDDABLE)} font")
        return configured
    # fontconfig always answers fc-match, with a Latin font when it has no
    # Chinese one: take its answer only when it covers Simplified Chinese.
    # TrueType outlines first: pypdf reads fpdf2's CFF (Noto CJK) text with NULs.
    best = _fontconfig(
        "fc-match", "-f", "%{file}\t%{lang}", ":lang=zh-cn:fontformat=TrueType"
    ).split("\t")
    if len(best) == 2 and "zh-cn" in best[1].split("|") and _embeddable(best[0]):
        return Path(best[0])
    listed = _fontconfig("fc-list", "-f", "%{fontformat}\t%{file}\n", ":lang=zh").splitlines()
    found = sorted(
        (kind != "TrueType", "bold" in file.lower(), file)
        for kind, _, file in (line.partition("\t") for line in listed)
        if _embeddable(file)
    )
    if not found:
        raise FontMissing(f"no font with Chinese glyphs for the village notice: {_HINT}")
    return Path(found[0][2])


def _embeddable(file: str) -> bool:
    return file.lower().endswith(EMBEDDABLE) and Path(file).is_file()


def _fontconfig(*command: str) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        raise FontMissing(f"cannot ask fontconfig for a Chinese font ({e}): {_HINT}") from e


@functools.cache
def _face(font: Path) -> int:
    """In a font collection, the first face named in Simplified Chinese
    (Noto CJK's first face is Japanese: some characters' forms differ)."""
    if font.suffix.lower() not in (".ttc", ".otc"):
        return 0
    for i, face in enumerate(TTCollection(font, lazy=True).fonts):
        if any(r.platformID == 3 and r.langID == _ZH_CN for r in face["name"].names):
            return i
    return 0


def a4_pdf(title: str, font: Path) -> FPDF:
    """An A4 page in Chinese with ``title`` and the font embedded, its
    margins and title set, for the printed documents of the procedure."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(title)
    pdf.set_lang("zh-CN")
    pdf.add_font("notice", fname=font, collection_font_number=_face(font))
    pdf.set_margins(25, 25, 25)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("notice", size=20)
    pdf.cell(text=title, w=pdf.epw, h=14, align="C", new_x="LMARGIN", new_y="NEXT")
    return pdf


def pdf_bytes(pdf: FPDF, font: Path) -> bytes:
    """The document's bytes; refused when the font lacks a glyph it needed."""
    out = bytes(pdf.output())
    missing = pdf.fonts["notice"].missing_glyphs
    if missing:
        shown = "".join(sorted({chr(c) for c in missing}))[:20]
        raise FontMissing(f"{font} has no glyph for {shown!r}: {_HINT}")
    return out


def day_zh(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def notice_pdf(notice: NoticeOut, font: Path) -> bytes:
    """The notice as PDF bytes: A4, Chinese first, one page."""
    if not notice.village:
        raise ValueError(f"case {notice.case_id}: a village notice needs the household's village")
    # The registry's own code for the household (validated as a code where it
    # entered); the notice names the household by it and by nothing else.
    household = notice.household_id
    village = no_personal_numbers(notice.village)
    township = no_personal_numbers(notice.township or "")
    committee = village + ("居民委员会" if village.endswith("社区") else "村民委员会")
    days = (notice.ends_on - notice.starts_on).days + 1
    if notice.kind == "clearance":
        what, column = "拟风险消除的监测对象", "拟办事项"
        value = CLEARANCE_KINDS.get(notice.clearance_kind or "", "风险消除")
    else:
        what, column = "拟纳入监测对象的农户", "拟认定类别"
        value = CATEGORIES.get(notice.category or "", "待认定")

    pdf = a4_pdf(TITLES[notice.kind], font)
    pdf.set_font(size=14)
    pdf.cell(text=f"{township}{village}", w=pdf.epw, h=10, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(size=13)
    lines = dict(h=8, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(
        w=0,
        text=f"根据防止返贫动态监测和帮扶工作要求，经入户核实和民主评议，现将{what}公示如下：",
        **lines,
    )
    pdf.ln(4)
    heading = FontFace(emphasis="", fill_color=(235, 235, 235))
    with pdf.table(
        col_widths=(15, 55, 50), text_align="CENTER", line_height=10, headings_style=heading
    ) as table:
        for row in (("序号", "户编号", column), ("1", household, value)):
            table.row(row)
    pdf.ln(6)
    pdf.multi_cell(
        w=0,
        text=f"公示期：{day_zh(notice.starts_on)}至{day_zh(notice.ends_on)}（共{days}天）",
        **lines,
    )
    objections_to = f"{committee}或{township or '乡镇'}人民政府"
    pdf.multi_cell(
        w=0,
        text=f"公示期内，村民如有异议，可以书面或口头形式向{objections_to}反映。"
        "为保护农户隐私，本公示只列户编号，不列个人信息。",
        **lines,
    )
    pdf.ln(14)
    pdf.cell(text=committee, w=0, h=8, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(text=day_zh(notice.starts_on), w=0, h=8, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(-20)
    pdf.set_font(size=8)
    pdf.cell(text=f"Village notice, case {notice.case_id}", w=0, h=5, align="C")
    return pdf_bytes(pdf, font)
