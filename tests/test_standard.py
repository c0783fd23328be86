"""The standard's guarantees through the households' store and the risk
status view, on SQLite and on PostgreSQL: each factor at the edges of its
threshold, the members counted for their days, the county's picture per
township and its gauges, and a view made before the guarantees' columns."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from services.households.app import Households
from services.households.standard import standard_picture
from services.households.statusview import open_view
from services.infra.policyfile import load_policies
from services.monitor.api import standard_gauges
from services.monitor.riskstatus import RiskStatusProjection
from synthetic.sample import Builder
from tests.helpers import feed

TODAY = date(2026, 7, 15)  # past the end of June
YEAR = (TODAY - timedelta(days=365), TODAY - timedelta(days=1))
# Under the packaged policy of 2023 on: line 7,500 (an assumption), band to
# 9,375, the allowance's line 4,000, reimbursement 85% / 80%.


@pytest.fixture
def households(store_settings):
    app = Households(env=store_settings.store_env("Monitor"))
    yield app
    app.close()


@pytest.fixture
def projection(store_settings, households):
    view = open_view(store_settings)
    yield RiskStatusProjection(households, view, load_policies(store_settings), lambda: TODAY)
    view.datastore.close()


def cases(b: Builder) -> dict[str, tuple[list[dict], set[str]]]:
    """One household per case: its messages and the standard's factors expected."""
    on = TODAY - timedelta(days=10)

    def reg(hid, card="yellow", township="金龙镇", members=1):
        return b.register(hid, date(2025, 1, 1), card, members=members, labour=1, township=township)

    def earns(hid, amount="20000.00"):
        return b.income(hid, on, amount, *YEAR)

    def stay(hid, total, reimbursed, in_county=True, referred=None):
        return b.illness(hid, on, total, reimbursed, in_county=in_county, referred=referred)

    return {
        "S-out": (
            [
                reg("S-out"),
                earns("S-out"),
                b.schooling("S-out", on, "c1", "dropped_out", reason="poverty"),
            ],
            {"school_dropout"},
        ),
        "S-back": (
            [
                reg("S-back"),
                earns("S-back"),
                b.schooling("S-back", on - timedelta(days=5), "c1", "dropped_out", reason="work"),
                b.schooling("S-back", on, "c1", "enrolled"),
            ],
            set(),
        ),
        "I-lapsed": (
            [
                reg("I-lapsed", "blue"),
                earns("I-lapsed"),
                b.insurance("I-lapsed", on, "p1", "lapsed"),
            ],
            {"insurance_lapsed"},
        ),
        "I-old": (
            [
                reg("I-old"),
                earns("I-old"),
                b.insurance("I-old", on, "p1", "enrolled", 2026),
                b.insurance("I-old", on, "p1", "lapsed", 2025),
            ],
            set(),
        ),
        "R-85": ([reg("R-85"), earns("R-85"), stay("R-85", "10000.00", "8500.00")], set()),
        "R-84": (
            [reg("R-84"), earns("R-84"), stay("R-84", "10000.00", "8499.99")],
            {"reimbursement_low"},
        ),
        "R-80": ([reg("R-80"), earns("R-80"), stay("R-80", "10000.00", "8000.00", False)], set()),
        "R-79": (
            [reg("R-79"), earns("R-79"), stay("R-79", "10000.00", "7999.99", False, True)],
            {"reimbursement_low"},
        ),
        # Outside the county without a referral: no share is guaranteed.
        "R-unreferred": (
            [
                reg("R-unreferred"),
                earns("R-unreferred"),
                stay("R-unreferred", "10000.00", "7000.00", False, referred=False),
            ],
            set(),
        ),
        "R-blue": (
            [reg("R-blue", "blue"), earns("R-blue"), stay("R-blue", "10000.00", "5000.00")],
            set(),
        ),
        "H-B": ([reg("H-B", township="三塘镇"), earns("H-B"), b.housing("H-B", on, "B")], set()),
        "H-C": (
            [
                reg("H-C", township="三塘镇"),
                earns("H-C"),
                b.housing("H-C", on, "C", date(2026, 3, 1)),
            ],
            {"housing_unsafe"},
        ),
        "H-D-new": (
            [
                reg("H-D-new", township="三塘镇"),
                earns("H-D-new"),
                b.housing("H-D-new", on, "D", date(2026, 7, 1)),
            ],
            {"housing_unsafe"},
        ),
        "W-bad": (
            [reg("W-bad", "green", "三塘镇"), earns("W-bad"), b.water("W-bad", on, ["quantity"])],
            {"water_unsafe"},
        ),
        "W-fixed": (
            [
                reg("W-fixed", "green", "三塘镇"),
                earns("W-fixed"),
                b.water("W-fixed", on - timedelta(days=30), ["quality"]),
                b.water("W-fixed", on),
            ],
            set(),
        ),
        "A-below": (
            [reg("A-below", "red"), earns("A-below", "3999.99")],
            {"income_below_line", "assistance_missing"},
        ),
        "A-at": ([reg("A-at", "red"), earns("A-at", "4000.00")], {"income_below_line"}),
        "A-paid": (
            [
                reg("A-paid", "red"),
                earns("A-paid", "1000.00"),
                b.assistance(
                    "A-paid", on, "dibao", "granted", "100.00", effective=date(2025, 1, 1)
                ),
            ],
            {"income_below_line"},
        ),
        "U-none": (
            [
                b.water("U-none", on, ["access"]),
                b.schooling("U-none", on, "c1", "dropped_out", reason="illness"),
            ],
            set(),
        ),
    }


STANDARD = {
    "school_dropout",
    "insurance_lapsed",
    "reimbursement_low",
    "housing_unsafe",
    "water_unsafe",
    "assistance_missing",
    "income_below_line",
}


def test_each_guarantees_factor_fires_or_not_at_its_edge_through_the_store(households, projection):
    all_cases = cases(Builder("std"))
    messages = [m for ms, _ in all_cases.values() for m in ms]
    assert set(feed(households, messages)) == {"stored"}
    projection.catch_up()
    view = projection.view
    for hid, (_, expected) in all_cases.items():
        status = view.get(hid)
        assert status is not None, hid
        assert {f.code for f in status.factors} & STANDARD == expected, hid
    # The allowance paid 100 a month counts: 1,000 + 1,200 a year.
    assert view.get("A-paid").per_capita_income_yuan == Decimal("2200.00")
    # Rated C in March: past the end of June; rated D on 1 July: next June.
    assert view.get("H-C").house_fix_overdue and not view.get("H-D-new").house_fix_overdue
    assert view.get("H-D-new").level == "critical"


def test_the_countys_picture_counts_households_per_guarantee_and_township(households, projection):
    all_cases = cases(Builder("pic"))
    feed(households, [m for ms, _ in all_cases.values() for m in ms])
    projection.catch_up()
    picture = standard_picture(projection.view)
    rows = {r.township: r for r in picture.rows}
    assert set(rows) == {"金龙镇", "三塘镇"}  # the stream the registry lacks has no township
    jinlong, santang = rows["金龙镇"], rows["三塘镇"]
    assert jinlong.failing == {
        "income": 3,
        "education": 1,
        "medical": 3,  # a lapse, two stays under the share
        "housing": 0,
        "water": 0,
        "safety_net": 1,
    }
    assert santang.failing["housing"] == 2 and santang.failing["water"] == 1
    assert (jinlong.houses_past_deadline, santang.houses_past_deadline) == (0, 1)
    assert picture.totals.households == jinlong.households + santang.households == 18
    assert picture.totals.failing["medical"] == 3
    only = standard_picture(projection.view, township="三塘镇")
    assert [r.township for r in only.rows] == ["三塘镇"] and only.totals.failing["education"] == 0
    gauges = {m.name: m for m in standard_gauges(picture)}
    failing = {
        (s.labels["guarantee"], s.labels["township"]): s.value
        for s in gauges["povwatch_guarantee_failing_households"].samples
    }
    assert failing[("housing", "三塘镇")] == 2 and failing[("education", "金龙镇")] == 1
    late = {
        s.labels["township"]: s.value
        for s in gauges["povwatch_houses_unsafe_past_deadline"].samples
    }
    assert late == {"三塘镇": 1, "金龙镇": 0}


def test_a_member_leaving_mid_year_counts_for_the_days_they_were_one(households, projection):
    b = Builder("members")
    # Four members from the registration, one leaving after half the window.
    start, end = YEAR
    half = start + (end - start) / 2 + timedelta(days=1)
    messages = [
        b.register("M-1", date(2025, 1, 1), "green", members=4, labour=2),
        b.income("M-1", TODAY - timedelta(days=3), "35000.00", *YEAR),
        b.members("M-1", TODAY - timedelta(days=2), "move_out", "p4", effective=half, able=True),
    ]
    feed(households, messages)
    projection.catch_up()
    status = projection.view.get("M-1")
    assert (status.members, status.labour_capable) == (3, 1)
    days = (end - start).days + 1
    average = (Decimal(4 * (half - start).days) + Decimal(3 * ((end - half).days + 1))) / days
    assert status.per_capita_income_yuan == (Decimal(35000) / average).quantize(Decimal("0.01"))
    assert Decimal("9990") < status.per_capita_income_yuan < Decimal("10010")


def test_unsafe_water_past_the_end_of_june_is_reported_past_due_per_township(
    households, projection
):
    b = Builder("water-late")
    feed(
        households,
        [
            # Found unsafe in March: to be made safe by the end of June, past due now.
            b.register("WL-1", date(2025, 1, 1), "yellow", township="三塘镇"),
            b.water("WL-1", date(2026, 3, 2), ["quality"]),
            # Found in July: its day is next June's.
            b.register("WL-2", date(2025, 1, 1), "yellow", township="三塘镇"),
            b.water("WL-2", TODAY - timedelta(days=5), ["access"]),
            # Found unsafe in March and made safe since: nothing past due.
            b.register("WL-3", date(2025, 1, 1), "yellow", township="金龙镇"),
            b.water("WL-3", date(2026, 3, 2), ["quantity"]),
            b.water("WL-3", date(2026, 7, 1)),
        ],
    )
    projection.catch_up()
    assert projection.view.get("WL-1").water_fix_overdue is True
    assert projection.view.get("WL-2").water_fix_overdue is False
    picture = standard_picture(projection.view)
    rows = {r.township: r for r in picture.rows}
    assert rows["三塘镇"].failing["water"] == 2 and rows["三塘镇"].water_past_deadline == 1
    assert rows["金龙镇"].water_past_deadline == 0 and picture.totals.water_past_deadline == 1
    assert rows["三塘镇"].houses_past_deadline == 0  # each day its own bit
    gauges = {m.name: m for m in standard_gauges(picture)}
    late = {
        s.labels["township"]: s.value for s in gauges["povwatch_water_unsafe_past_deadline"].samples
    }
    assert late == {"三塘镇": 1, "金龙镇": 0}


def test_a_view_made_before_the_guarantees_gains_their_columns(store_settings, households):
    view = open_view(store_settings)
    table = view.table.name
    with view.datastore.transaction(commit=True) as c:
        c.execute(f"ALTER TABLE {_qualified(store_settings, table)} DROP COLUMN standard")
    view.datastore.close()
    reopened = open_view(store_settings)
    projection = RiskStatusProjection(
        households, reopened, load_policies(store_settings), lambda: TODAY
    )
    b = Builder("old")
    feed(
        households,
        [b.register("O-1", date(2025, 1, 1), "yellow"), b.water("O-1", TODAY, ["access"])],
    )
    projection.catch_up()
    assert standard_picture(reopened).totals.failing["water"] == 1
    reopened.datastore.close()


def _qualified(settings, table: str) -> str:
    return f"{settings.postgres_schema}.{table}" if settings.store == "postgres" else table
