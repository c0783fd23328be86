"""The village notice (村级公示) as printed: rendered, opened again with pypdf,
and its text and fonts checked. Needs a Chinese font (fonts-wqy-microhei or
fonts-noto-cjk), neither Kafka nor PostgreSQL."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from fontTools import subset
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from schemas.cases import NoticeOut
from services.cases.notice import notice_pdf
from services.infra.settings import Settings
from services.presentation import fonts
from services.presentation.fonts import FontMissing, find_font

IDENTIFICATION_TITLE = "拟纳入防止返贫监测对象公示"
CLEARANCE_TITLE = "拟标注风险消除公示"
HEALTH_WORDS = re.compile(r"[病疾残诊医药]")
LONG_DIGITS = re.compile(r"\d{11,}")
ID_NUMBER = re.compile(r"\d{17}[\dXx]")


def _notice(**changes) -> NoticeOut:
    fields = dict(
        case_id="c0ffee00-aaaa-4bbb-8ccc-deadbeefcafe",
        kind="identification",
        township="金龙镇",
        village="石塘村",
        household_id="HH-XY-000123",
        category="marginal",
        starts_on=date(2026, 3, 2),
        ends_on=date(2026, 3, 8),
        posted_by_role="village",
        objections=0,
    )
    return NoticeOut(**(fields | changes))


@pytest.fixture(scope="module")
def font() -> Path:
    return find_font(Settings().pdf_font)  # POVWATCH_PDF_FONT, else fontconfig's


def _reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def _text(pdf: bytes) -> str:
    # Without white space, nor the NULs pypdf reads between the characters of
    # a CID-keyed CFF font (Noto CJK) in fpdf2's output (pdftotext reads none).
    return re.sub(r"[\s\x00]+", "", "".join(p.extract_text() for p in _reader(pdf).pages))


def test_the_notice_shows_the_household_its_place_category_and_period(font):
    text = _text(notice_pdf(_notice(head_name="李秀英", members=4, hotline="12317"), font))
    assert IDENTIFICATION_TITLE in text
    assert "户主姓名" in text and "李秀英" in text and "4人" in text
    assert "HH-XY-000123" not in text  # the code means nothing to neighbours
    assert "金龙镇" in text and "石塘村" in text
    assert "边缘易致贫户" in text
    assert "公示期：2026年3月2日至2026年3月8日（共7天）" in text
    assert "石塘村村民委员会" in text
    assert "异议" in text and "金龙镇人民政府" in text and "12317" in text
    assert "c0ffee00" not in text and "case" not in text  # no case id, no English


@pytest.mark.parametrize(
    ("category", "shown"),
    [("unstable", "脱贫不稳定户"), ("marginal", "边缘易致贫户"), ("sudden", "突发严重困难户")],
)
def test_each_category_is_shown_in_chinese(font, category, shown):
    assert shown in _text(notice_pdf(_notice(category=category), font))


def test_the_notice_holds_no_personal_number_nor_health_detail(font):
    for kind in ("identification", "clearance"):
        pdf = notice_pdf(_notice(kind=kind, category="sudden"), font)
        raw = "".join(p.extract_text() for p in _reader(pdf).pages)
        for text in (raw, _text(pdf)):
            assert not LONG_DIGITS.search(text)
            assert not ID_NUMBER.search(text)
            assert not HEALTH_WORDS.search(text)


def test_without_a_name_the_registry_code_names_the_household(font):
    text = _text(notice_pdf(_notice(household_id="43062400000123"), font))
    assert "43062400000123" in text


def test_a_clearance_notice_has_its_own_title(font):
    text = _text(notice_pdf(_notice(kind="clearance"), font))
    assert CLEARANCE_TITLE in text
    assert IDENTIFICATION_TITLE not in text
    assert "风险消除" in text and "边缘易致贫户" not in text


def test_the_page_is_a4(font):
    pages = _reader(notice_pdf(_notice(), font)).pages
    assert len(pages) == 1
    box = pages[0].mediabox
    assert abs(float(box.width) - 595) <= 1
    assert abs(float(box.height) - 842) <= 1


def test_the_font_is_embedded_as_a_subset(font):
    pdf = notice_pdf(_notice(), font)
    fonts = [f.get_object() for f in _reader(pdf).pages[0]["/Resources"]["/Font"].values()]
    assert fonts
    for f in fonts:
        assert f["/Subtype"] == "/Type0" and "/ToUnicode" in f
        descendant = f["/DescendantFonts"][0].get_object()
        assert re.fullmatch(r"/[A-Z]{6}\+.+", descendant["/BaseFont"])  # a subset's tag
        descriptor = descendant["/FontDescriptor"].get_object()
        files = [
            descriptor[k].get_object() for k in ("/FontFile2", "/FontFile3") if k in descriptor
        ]
        assert len(files) == 1 and files[0].get_data()
    assert len(pdf) < 200_000  # the glyphs used, not the whole font


def test_a_missing_configured_font_is_a_clear_error(tmp_path):
    missing = tmp_path / "no-such-font.ttf"
    with pytest.raises(FontMissing, match=r"POVWATCH_PDF_FONT=.*no-such-font\.ttf: no such font"):
        find_font(missing)


def test_a_configured_font_is_taken_as_it_is(font):
    assert find_font(font) == font


def test_a_font_without_chinese_glyphs_is_refused(font, tmp_path):
    latin = TTFont(font, fontNumber=fonts.face(font))
    subsetter = subset.Subsetter()
    subsetter.populate(unicodes=range(0x20, 0x7F))
    subsetter.subset(latin)
    path = tmp_path / "latin.ttf" if "glyf" in latin else tmp_path / "latin.otf"
    latin.save(path)
    with pytest.raises(FontMissing, match="has no glyph for"):
        notice_pdf(_notice(), path)


def test_fontconfig_answering_a_latin_font_is_not_taken(monkeypatch, tmp_path):
    latin, chinese = tmp_path / "Latin.ttf", tmp_path / "Chinese-Regular.ttc"
    latin.touch()
    chinese.touch()
    answers = {
        "fc-match": f"{latin}\ten|fr|de",
        "fc-list": f"TrueType\t{chinese}\nTrueType\t{tmp_path / 'gone.ttf'}\n",
    }
    monkeypatch.setattr(fonts, "_fontconfig", lambda *command: answers[command[0]])
    find_font.cache_clear()
    try:
        assert find_font(None) == chinese
    finally:
        find_font.cache_clear()


def test_no_chinese_font_at_all_says_what_to_install(monkeypatch):
    def no_fontconfig(*command, **options):
        raise FileNotFoundError(command[0][0])

    monkeypatch.setattr(fonts.subprocess, "run", no_fontconfig)
    find_font.cache_clear()
    try:
        with pytest.raises(FontMissing, match="fonts-noto-cjk or fonts-wqy-microhei") as e:
            find_font(None)
        assert "POVWATCH_PDF_FONT" in str(e.value)
    finally:
        find_font.cache_clear()


def test_a_notice_needs_its_village(font):
    with pytest.raises(ValueError, match="village"):
        notice_pdf(_notice(village=None), font)
