"""Leads people bring, checked without a store: staff's and households'."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.leads import DESCRIPTION_MAX, HARDSHIPS, declared_lead, staff_lead
from domain.task_input import PersonalText, TaskInputError

AT = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def test_staff_name_the_hardships_seen_from_the_factor_list():
    lead = staff_lead("zhang", AT, ["income_drop", "medical_cost_high", "income_drop"], "走访发现")
    assert lead["channel"] == "staff" and lead["by"] == "zhang"
    assert lead["factors"] == ["income_drop", "medical_cost_high"] and lead["note"] == "走访发现"
    with pytest.raises(TaskInputError, match="factors"):
        staff_lead("zhang", AT, [], "")
    with pytest.raises(TaskInputError, match="unknown factor"):
        staff_lead("zhang", AT, ["bad_luck"], "")


def test_a_household_declares_one_hardship_in_its_own_words():
    lead = declared_lead(AT, "illness", "  家里老人住院，花费很大  ")
    assert lead["channel"] == "household" and lead["hardship"] == "illness"
    assert lead["factors"] == ["medical_cost_high"] and lead["note"] == "家里老人住院，花费很大"
    assert declared_lead(AT, "schooling", "孩子上学费用高")["factors"] == []
    assert set(HARDSHIPS) == {
        "illness",
        "disaster",
        "disability",
        "labour_lacking",
        "job_loss",
        "business_failure",
        "schooling",
        "other",
    }


@pytest.mark.parametrize(
    "hardship, text, field",
    [
        ("lottery", "家里困难", "hardship"),
        ("illness", "", "description"),
        ("illness", "病", "description"),
        ("illness", "很" * (DESCRIPTION_MAX + 1), "description"),
    ],
)
def test_a_declaration_s_problem_is_named_by_its_field(hardship, text, field):
    with pytest.raises(TaskInputError) as e:
        declared_lead(AT, hardship, text)
    assert e.value.field == field


def test_a_personal_number_in_a_declaration_is_refused():
    with pytest.raises(PersonalText):
        declared_lead(AT, "other", "请打我电话 13812345678")
