"""The authorisation form (承诺授权书) and the results announcement (结果公告)
as printed: rendered, opened again with pypdf and their text checked, as the
village notice's is (tests/test_notice.py). Needs a Chinese font, neither
Kafka nor PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from schemas.cases import CaseOut
from services.cases.announcement import NO_NAME, announced, announcement_pdf
from services.cases.authorisation import authorisation_pdf
from services.cases.notice import notice_pdf
from services.infra.settings import Settings
from services.presentation.fonts import find_font
from tests.test_notice import HEALTH_WORDS, ID_NUMBER, LONG_DIGITS, _notice, _reader, _text

DECIDED = datetime(2026, 3, 20, 2, tzinfo=UTC)  # 10:00 in the county


@pytest.fixture(scope="module")
def font():
    return find_font(Settings().pdf_font)


def _case(household: str, **changes) -> CaseOut:
    fields = dict(
        case_id="c0ffee00-aaaa-4bbb-8ccc-deadbeefcafe", version=9, household_id=household,
        number=1, kind="identification", channel="department", township="金龙镇",
        village="石塘村", card="yellow", stage=None, stage_started=date(2026, 3, 20),
        stage_due=None, due_assumed=False, decision_due=date(2026, 3, 30),
        status="monitored", phase="closed", escalation=0, shown="normal", proposal="monitored",
        category="unstable", notice=None, objections=[],
        records={
            "verify": {"note": "户主患慢性病，身份证430624199001011234"},
            "county_decision": {"outcome": "monitored", "reason": "因病致贫风险", "at": DECIDED},
        },
        reason="因病致贫风险", leads=[], opened_at=DECIDED, updated_at=DECIDED, history=[],
    )  # fmt: skip
    return CaseOut(**(fields | changes))


def _clean(text: str) -> None:
    assert not HEALTH_WORDS.search(text), HEALTH_WORDS.findall(text)
    assert not LONG_DIGITS.search(text) and not ID_NUMBER.search(text)
    assert not any(c.isascii() and c.isalpha() for c in text.replace("HH", "").replace("XY", ""))


def test_the_authorisation_form_says_what_the_household_signs(font):
    pdf = authorisation_pdf(_case("HH-XY-000123", stage="crosscheck", status="open"), font)
    reader = _reader(pdf)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    text = _text(pdf)
    for must in (
        "防止返贫监测对象申请及承诺授权书", "金龙镇石塘村", "户编号：HH-XY-000123",
        "授权县乡村振兴局", "车辆", "商品房", "财政供养", "户主（签字或按手印）",
        "签订日期", "本授权书由石塘村村民委员会存档保管",
    ):  # fmt: skip
        assert must in text, must
    _clean(text)  # the case's notes and reason (health, an ID) never reach it


def test_the_results_announcement_lists_the_villages_decisions_and_nothing_personal(font):
    cases = [
        _case("HH-XY-000123"),
        _case("HH-XY-000124", category="sudden", card="blue"),
        _case("HH-XY-000125", status="declined", category=None),  # never announced
        _case(
            "HH-XY-000126",
            records={"county_decision": {"outcome": "monitored", "at": datetime(2026, 2, 27)}},
        ),  # decided before the period
        _case("HH-XY-000127", kind="clearance", status="cleared", clearance_kind="natural"),
    ]
    rows = announced(cases, "identification", date(2026, 3, 1), date(2026, 3, 31))
    assert [r.household_id for r in rows] == ["HH-XY-000123", "HH-XY-000124"]
    # As printed: the head's name and size of the one the registry named, none of the other.
    rows = [replace(rows[0], head_name="王建国", members=3), replace(rows[1], members=2)]
    text = _text(announcement_pdf("金龙镇", "石塘村", "identification", rows, DECIDED.date(), font))
    for must in (
        "防止返贫监测对象识别结果公告", "金龙镇石塘村", "户主姓名", "家庭人口",
        "王建国3人脱贫不稳定户", f"{NO_NAME}2人突发严重困难户", "2026年3月20日",
        "入户核实、信息比对、民主评议", "12317", "金龙镇人民政府",
    ):  # fmt: skip
        assert must in text, must
    assert "HH-XY" not in text and "c0ffee00" not in text  # no code, no case id
    _clean(text)
    cleared = announced(cases, "clearance", date(2026, 3, 1), date(2026, 3, 31))
    cleared = [replace(cleared[0], head_name="李秀英", members=1)]
    text = _text(
        announcement_pdf("文星街道", "城东社区", "clearance", cleared, DECIDED.date(), font)
    )
    assert "风险消除结果公告" in text and "李秀英1人自然消除" in text
    assert "文星街道办事处" in text and "HH-XY" not in text
    _clean(text)


def test_a_name_holding_a_personal_number_is_not_printed(font):
    (row,) = announced([_case("HH-XY-000123")], "identification", date(2026, 3, 1), DECIDED.date())
    with pytest.raises(ValueError, match="ID, phone or bank"):
        announcement_pdf(
            "金龙镇", "石塘村", "identification",
            [replace(row, head_name="王13812345678")], DECIDED.date(), font,
        )  # fmt: skip


def test_a_long_announcement_runs_onto_more_pages(font):
    rows = announced(
        [_case(f"HH-XY-{n:06d}") for n in range(60)], "identification",
        date(2026, 3, 1), date(2026, 3, 31),
    )  # fmt: skip
    heads = [
        f"王{'一二三四五六七八九十'[n // 10]}{'甲乙丙丁戊己庚辛壬癸'[n % 10]}" for n in range(60)
    ]
    rows = [replace(r, head_name=h, members=2) for r, h in zip(rows, heads, strict=True)]
    pdf = announcement_pdf("金龙镇", "石塘村", "identification", rows, DECIDED.date(), font)
    text = _text(pdf)
    assert len(_reader(pdf).pages) > 1
    assert all(h in text for h in heads) and text.count("户主姓名") == len(_reader(pdf).pages)


def test_the_clearance_notice_shows_its_kind(font):
    for kind, shown in (("helped", "帮扶消除"), ("natural", "自然消除")):
        notice = _notice(kind="clearance", category=None, clearance_kind=kind)
        assert shown in _text(notice_pdf(notice, font))
