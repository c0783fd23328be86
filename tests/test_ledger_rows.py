"""How a document becomes a ledger row, without a store: the codes in the
catalogue's Chinese, dates as dates, the plan in one cell, a health measure
unnamed; the county sheet's counts; the download's Chinese file name. And
the keyset walk the ledgers read with, on both stores."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import quote

from pydantic import BaseModel

from schemas.cases import MeasureOut, MonitoringOut
from services.cases.ledgerbook import Area, _summary, content_disposition, file_name
from services.cases.ledgers import LEDGERS, monitoring_row, months_between, plan_text
from services.infra.keyset import walk
from services.infra.views import PostgresDocumentView, SQLiteDocumentView, Table, open_view
from services.presentation.words import Words

TERM = Words("zh").term
AT = datetime(2026, 6, 1, 17, 30, tzinfo=UTC)  # 01:30 the next day in China


def measure(i: int, kind: str, state: str, department: str = "乡镇人社站") -> MeasureOut:
    return MeasureOut(
        id=f"m{i}", kind=kind, department=department, due_on=date(2026, 7, i), state=state,
        note="已上岗", added_by="wang", added_at=AT, updated_at=AT, changes=[],
    )  # fmt: skip


def record(**kw) -> MonitoringOut:
    doc = dict(
        household_id="H-1", version=3, township="Jinlong", village=None, status="monitored",
        category="marginal", monitored_since=date(2026, 6, 1), cleared_on=None, cases_opened=1,
        open_case=None, periods=[], measures_done=1, updated_at=AT,
        plan=[
            measure(1, "industry_help", "done"),
            measure(2, "medical_aid", "planned", "县医保局"),
            measure(3, "education_grant", "cancelled", ""),
            measure(4, "workshop", "in_progress"),
        ],
    )  # fmt: skip
    return MonitoringOut(**{**doc, **kw})


def test_a_monitoring_object_as_its_row():
    row = monitoring_row(record(), TERM, date(2026, 6, 2))
    assert len(row) == len(LEDGERS["monitoring"].columns)
    assert row[:5] == ("H-1", "Jinlong", "-", "边缘易致贫户", date(2026, 6, 1))
    assert row[5:7] == (3, 1)  # the cancelled measure is not counted
    assert row[7] == (
        "产业帮扶（乡镇人社站）：已落实；其他帮扶（不列明）：计划中；"
        "教育资助：已取消；帮扶车间（乡镇人社站）：落实中"
    )
    assert row[8] == date(2026, 7, 2)  # the earliest measure still to do
    assert row[9:] == ("无", date(2026, 6, 2))  # updated, on China's calendar
    assert "医" not in plan_text(record().plan, TERM)


def test_months_monitored():
    assert months_between(date(2026, 1, 15), date(2026, 7, 15)) == 6
    assert months_between(date(2026, 1, 15), date(2026, 7, 14)) == 5
    assert months_between(None, date(2026, 7, 14)) is None


def test_the_county_sheet_counts_each_township_and_the_county():
    counts = {("B", "marginal"): 2, ("A", "unstable"): 1, ("A", "sudden"): 3, (None, "sudden"): 1}
    assert list(_summary(LEDGERS["monitoring"], counts)) == [
        ("A", 4, 1, 0, 3), ("B", 2, 0, 2, 0), ("未纳入建档", 1, 0, 0, 1), ("全县", 7, 1, 2, 4),
    ]  # fmt: skip


def test_the_download_is_named_in_chinese():
    today = date(2026, 6, 1)
    assert file_name("cases", Area(), today) == "识别和消除办理台账_全县_2026-06-01.xlsx"
    assert file_name("tasks", Area("Jinlong"), today) == "帮扶任务台账_Jinlong_2026-06-01.xlsx"
    header = content_disposition("monitoring", Area("城关镇", "新村"), today)
    assert header.startswith('attachment; filename="ledger-monitoring-2026-06-01.xlsx"; ')
    assert header.endswith("filename*=UTF-8''" + quote("监测对象台账_城关镇新村_2026-06-01.xlsx"))


class Doc(BaseModel):
    id: str
    place: str | None
    rank: str


WALKED = Table(name="walked", key="id", columns=("place", "rank"), model=Doc, order="rank")


class SQLiteWalked(SQLiteDocumentView[Doc]):
    table = WALKED


class PostgresWalked(PostgresDocumentView[Doc]):
    table = WALKED


def test_a_walk_reads_every_document_once_in_order(store_settings):
    view = open_view(store_settings.store_env("Walked"), "Walked", SQLiteWalked, PostgresWalked)
    # Ranks repeat (as deadlines do): the key breaks the ties between pages.
    docs = [Doc(id=f"d{i:02d}", place="a" if i % 3 else None, rank=f"r{i % 4}") for i in range(23)]
    view.save(docs, None)
    expected = sorted(docs, key=lambda d: (d.rank, d.id))
    for page in (1, 2, 5, 23, 100):
        assert list(walk(view, page)) == expected
    assert list(walk(view, 2, place="a")) == [d for d in expected if d.place == "a"]
    assert list(walk(view, 2, missing=("place",))) == [d for d in expected if d.place is None]
    view.datastore.close()
