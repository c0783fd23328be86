"""The ledgers (台账) on a real store of each kind: cases taken through the
procedure as tests/test_cases.py takes them, then each ledger downloaded
over the API and exported with ``povwatch export``, opened again with
openpyxl: its sheets, its rows, and no personal detail in any cell."""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from services.cli import app
from services.infra.excel import XLSX
from tests.helpers import clients
from tests.test_alerts import clock, registered, world  # noqa: F401 (fixtures)
from tests.test_cases import T, V, ok, one_case, through_notice

D, DV = "Dongtang", "Shuikou"


@pytest.fixture
def people(world):  # noqa: F811
    service, w = world
    return clients(
        service.web_app(),
        service.accounts,
        li=("village", f"{T}/{V}"),
        wang=("staff", T),
        sun=("staff", D),
        chen=("reviewer", T),
        zhou=("approver", None),
        county=("county", None),
    )


def book(response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    return load_workbook(BytesIO(response.content))


def rows(ws):
    return [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]


def no_personal_detail(wb) -> None:
    text = " ".join(
        str(v) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for v in r if v
    )
    assert not re.search(r"\d{11,}", text)
    # Illness, medical costs, the notes and reasons staff wrote: none of it.
    assert not set("病疾残诊医药") & set(text), text
    for words in ("务工收入减少", "已上岗", "income_below_line", "medical_cost_high"):
        assert words not in text


def monitored(service, people, clock):  # noqa: F811
    """H, in Jinlong: through every stage to a monitoring object with a plan."""
    cid = one_case(service, household_id="H").case_id
    through_notice(service, people, clock, cid)
    ok(people["chen"].post(f"/cases/{cid}/township-review", json={"approve": True}))
    ok(
        people["zhou"].post(
            f"/cases/{cid}/decision", json={"approve": True, "category": "unstable"}
        )
    )
    due = (clock.now.date() + timedelta(days=30)).isoformat()
    wang = people["wang"]
    post = {"kind": "public_welfare_post", "department": "乡镇人社站", "due_on": due}
    ok(wang.post("/monitoring/H/plan", json=post))
    aid = {"kind": "medical_aid", "department": "县医保局", "due_on": due}
    ok(wang.post("/monitoring/H/plan", json=aid))
    ok(wang.post("/monitoring/H/plan/m1", json={"state": "done", "note": "已上岗"}))
    service.catch_up()
    return due


def test_each_ledger_for_the_county_a_township_and_a_village(world, people, clock):  # noqa: F811
    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00"))
    due = monitored(service, people, clock)
    w.send(*registered(w, "H2", "yellow", "7000.00"))
    w.send(*registered(w, "D1", "blue", "7000.00", township=D, village=DV))
    service.catch_up()
    county, today = people["county"], clock.now.date()

    # Monitoring objects: the county sheet counts by category, then each township's rows.
    response = county.get("/ledgers/monitoring.xlsx")
    name = f"监测对象台账_全县_{today.isoformat()}.xlsx"
    assert f"filename*=UTF-8''{quote(name)}" in response.headers["content-disposition"]
    wb = book(response)
    assert wb.sheetnames == ["全县汇总", T]
    summary = wb["全县汇总"]
    assert [c.value for c in summary[1]] == [
        "乡镇", "合计", "脱贫不稳定户", "边缘易致贫户", "突发严重困难户",
    ]  # fmt: skip
    assert rows(summary) == [[T, 1, 1, 0, 0], ["全县", 1, 1, 0, 0]]
    ws = wb[T]
    assert ws.freeze_panes == "A2" and ws["A1"].value == "户编号"
    ((hid, town, village, category, since, n, done, plan, next_due, open_case, _),) = rows(ws)
    assert (hid, town, village, category, n, done) == ("H", T, V, "脱贫不稳定户", 2, 1)
    assert ws["E2"].is_date and since.date() == today
    assert plan == "公益岗位（乡镇人社站）：已落实；其他帮扶（不列明）：计划中"
    assert next_due.date().isoformat() == due and open_case == "无"
    no_personal_detail(wb)

    # Open cases by stage and deadline: one sheet per township.
    wb = book(county.get("/ledgers/cases.xlsx"))
    assert wb.sheetnames == ["全县汇总", D, T]
    assert rows(wb["全县汇总"])[-1][:3] == ["全县", 2, 2]  # both at home verification
    ((hid, town, village, kind, channel, stage, *_),) = rows(wb[T])
    assert (hid, town, village, kind, channel, stage) == (
        "H2",
        T,
        V,
        "监测对象识别",
        "部门预警",
        "入户核实",
    )
    assert rows(wb[D])[0][:3] == ["D1", D, DV]
    no_personal_detail(wb)

    # Township staff get their own township; another one's is 403.
    assert book(people["wang"].get("/ledgers/cases.xlsx")).sheetnames == [T]
    assert people["sun"].get(f"/ledgers/cases.xlsx?township={T}").status_code == 403
    assert book(people["sun"].get(f"/ledgers/cases.xlsx?township={D}")).sheetnames == [D]
    # Village staff their village; the help tasks are not theirs.
    (village_sheet,) = book(people["li"].get("/ledgers/cases.xlsx")).worksheets
    assert [r[0] for r in rows(village_sheet)] == ["H2"]
    assert people["li"].get("/ledgers/tasks.xlsx").status_code == 403
    assert county.get("/ledgers/nothing.xlsx").status_code == 422
    assert county.get("/ledgers/cases.xlsx", params={"township": "a\x00"}).status_code == 422

    # Help tasks: the open ones first, by deadline; the resolved one last.
    wb = book(county.get("/ledgers/tasks.xlsx"))
    assert [(r[0], r[6]) for r in rows(wb[T])] == [("H2", "待签收"), ("H", "已办结")]
    no_personal_detail(wb)


def test_cleared_households_and_the_export_command(world, people, clock, store_settings, tmp_path):  # noqa: F811
    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00"))
    monitored(service, people, clock)
    since = clock.now.date()
    clock.advance(days=190)
    d = clock.now.date()
    w.send(
        w.b.income("H", d, "9000.00", d - timedelta(days=180), d - timedelta(days=1)),
        w.b.income("H", d, "9000.00", d - timedelta(days=365), d - timedelta(days=181)),
    )
    assert service.run_job("clearance") == 1
    clearance = one_case(service, phase="open")
    through_notice(service, people, clock, clearance.case_id, category=None)
    ok(people["chen"].post(f"/cases/{clearance.case_id}/township-review", json={"approve": True}))
    ok(people["zhou"].post(f"/cases/{clearance.case_id}/decision", json={"approve": True}))
    service.catch_up()

    wb = book(people["county"].get("/ledgers/cleared.xlsx"))
    ((hid, town, _, category, start, cleared, months, n, done, plan),) = rows(wb[T])
    assert (hid, town, category, n, done) == ("H", T, "脱贫不稳定户", 2, 1)
    assert start.date() == since and cleared.date() == clock.now.date() and months == 6
    assert rows(wb["全县汇总"])[-1][:3] == ["全县", 1, 1]
    assert book(people["county"].get("/ledgers/monitoring.xlsx")).sheetnames == ["全县汇总"]

    # The operators' command writes the same workbook.
    env = {
        "POVWATCH_STORE": store_settings.store,
        "POVWATCH_SQLITE_DIR": str(store_settings.sqlite_dir),
        "POVWATCH_POSTGRES_SCHEMA": store_settings.postgres_schema,
    }
    out = tmp_path / "cleared.xlsx"
    for args in (["cleared"], ["cleared", "--township", T]):
        done = CliRunner().invoke(app, ["export", *args, "--out", str(out)], env=env)
        assert done.exit_code == 0, done.output
        assert "1 rows written" in done.output
        exported = load_workbook(out)
        assert exported.sheetnames == (["全县汇总", T] if len(args) == 1 else [T])
        assert rows(exported[T]) == rows(wb[T])
    bad = CliRunner().invoke(app, ["export", "everything", "--out", str(out)], env=env)
    assert bad.exit_code == 2


def test_a_ledger_on_a_day_without_documents_has_its_headers(world, people):  # noqa: F811
    wb = book(people["county"].get("/ledgers/monitoring.xlsx"))
    assert wb.sheetnames == ["全县汇总"] and rows(wb["全县汇总"]) == [["全县", 0, 0, 0, 0]]
    (ws,) = book(people["wang"].get("/ledgers/monitoring.xlsx")).worksheets
    assert ws.title == T and ws.max_row == 1 and ws["D1"].value == "监测对象类别"
