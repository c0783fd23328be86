"""No personal numbers: the detector, and the event contract refusing them."""

from __future__ import annotations

import json
from datetime import date

import pytest

from domain.privacy import PersonalNumber, check_ref, no_personal_numbers
from schemas.events import Rejection, parse_event
from synthetic.sample import Builder

# Separators people type between groups, and digits typed full-width.
DISGUISED = ["138.1234.5678", "138  1234  5678", "6222/0212/3456/7890", "１３８１２３４５６７８"]


@pytest.mark.parametrize(
    "text",
    [
        "430624199001011234",
        "43062419900101123X",
        "身份证 43062419900101123x 已核",
        "电话13812345678",
        "call 138 1234 5678",
        "138-1234-5678",
        "座机 0730-5123456",
        "卡号 6222021234567890123",
        "6222 0212 3456 7890",
        "account 6222-0212-3456-7890-123",
        *DISGUISED,
        "电话：138．1234．5678",
        "卡号 6222\u30000212\u30003456\u30007890",
        "金额 1.5 元, 电话 12.138 1234 5678",
    ],
)
def test_personal_numbers_are_refused_in_free_text(text):
    with pytest.raises(PersonalNumber):
        no_personal_numbers(text)


@pytest.mark.parametrize(
    "text",
    [
        "met the family on 2026-06-02",
        "income 12000.00 yuan for 2025-06-01 to 2026-05-31",
        "house rated D after the flood",
        "loan L-77 of 20000 yuan",
        "村里 3 户, 编号 430624-0004",
        "困难程度 2 级",
        "2026-12-07",
        "30000.00",
        "2026.12.07",
        "收入 12000.00 30000.00 元",
        "2026/12/07 至 2026/12/31, 2026-12-07 14:51",
        "编号 ４３０６２４-0004",
    ],
)
def test_ordinary_text_passes(text):
    assert no_personal_numbers(text) == text


def test_references_hold_no_long_digit_runs():
    assert check_ref("P-0001") == "P-0001"
    with pytest.raises(PersonalNumber):
        check_ref("13812345678")


@pytest.mark.parametrize("number", DISGUISED)
def test_a_message_field_with_a_disguised_number_is_refused_naming_the_field(number):
    message = Builder("privacy").event(
        "household.card_changed", "H-1", date(2026, 12, 7), {"card": "yellow", "reason": number}
    )
    with pytest.raises(Rejection) as refused:
        parse_event(json.dumps(message, ensure_ascii=False))
    (error,) = refused.value.errors
    assert error["field"] == "data.reason" and number not in str(refused.value)


def test_full_width_digits_in_a_reference_are_refused():
    with pytest.raises(PersonalNumber):
        check_ref("P-１３８１２３４５６７８")
