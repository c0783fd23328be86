"""Household cards (明白卡) as a printable PDF: one page a household, A5 or
A4, one PDF for one household or a whole village. A card shows the village,
the household's registry code, whom to call at the township (an office, not
a person's number) and a QR code of the household's declaration link; no
personal detail. The Chinese font is embedded, as in the village notice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Literal

import qrcode
from fpdf import FPDF

from domain.privacy import no_personal_numbers
from services.presentation.fonts import checked_bytes, face

Size = Literal["A5", "A4"]
HARDSHIPS_SHOWN = "因病、因灾或意外、因残、缺劳动力、失业、经营失败、因学或其他原因造成生活困难"


@dataclass(frozen=True)
class CardFace:
    household_id: str
    township: str
    village: str
    link: str


def _qr_png(link: str) -> BytesIO:
    img = qrcode.make(link, error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    out = BytesIO()
    img.save(out, format="PNG")
    out.seek(0)
    return out


def cards_pdf(cards: Iterable[CardFace], font: Path, size: Size = "A5") -> bytes:
    pdf = FPDF(format=size, unit="mm")
    pdf.set_title("防返贫监测明白卡")
    pdf.set_lang("zh-CN")
    pdf.add_font("card", fname=font, collection_font_number=face(font))
    scale = 1.0 if size == "A5" else 1.3
    pdf.set_margins(12 * scale, 12 * scale, 12 * scale)
    pdf.set_auto_page_break(False)
    pages = 0
    for card in cards:
        _page(pdf, card, scale)
        pages += 1
    if not pages:
        raise ValueError("no households to print cards for")
    return checked_bytes(pdf, "card", font)


def _page(pdf: FPDF, card: CardFace, scale: float) -> None:
    village = no_personal_numbers(card.village)
    township = no_personal_numbers(card.township)
    line = dict(w=pdf.epw, new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.set_font("card", size=18 * scale)
    pdf.cell(text="防返贫监测明白卡", h=11 * scale, align="C", **line)
    pdf.set_font(size=12 * scale)
    pdf.cell(text=f"{township} {village}", h=8 * scale, align="C", **line)
    pdf.cell(text=f"户编号：{card.household_id}", h=8 * scale, align="C", **line)
    side = 62 * scale
    pdf.image(_qr_png(card.link), x=(pdf.w - side) / 2, y=pdf.get_y() + 3, w=side, h=side)
    pdf.set_y(pdf.get_y() + side + 6)
    pdf.set_font(size=11 * scale)
    pdf.multi_cell(
        text=f"家里如遇{HARDSHIPS_SHOWN}，可用手机扫描上方二维码申报，"
        "乡镇会安排入户核实，并在同一页面告知办理进度和结果。",
        h=6.5 * scale,
        **line,
    )
    pdf.ln(2)
    pdf.multi_cell(
        text=f"不会用手机的，可直接找村委会，或联系{township}人民政府防返贫监测工作人员。"
        "申报不收取任何费用；本卡只对本户有效，请妥善保管，不要外传。",
        h=6.5 * scale,
        **line,
    )
    pdf.set_y(-14 * scale)
    pdf.set_font(size=7)
    pdf.cell(text=card.link, h=4, align="C", **line)
