"""The monthly report of a small county built through the real chain
(department messages, leads, cases, a decision, a help plan), on a store of
each kind with a controlled clock: the scheduled job computes it once per
period, the API serves its figures, PDF and charts to the county office
only, and an operator computes a past month again."""

# ruff: noqa: F811 (the fixtures imported are the tests' arguments)
from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

from pypdf import PdfReader

from tests.test_alerts import MONDAY, clock, registered, world  # noqa: F401 (fixtures)
from tests.test_cases import T, ok, one_case, people, through_notice  # noqa: F401 (fixtures)


def small_county(service, w, people, clock):  # noqa: F811
    """Five households in two townships: one becomes a monitoring object with
    a plan of two measures (one done), one has an overdue poverty loan (a
    lead left at home verification), one a loan being repaid on time."""
    w.send(
        *registered(w, "H1", "yellow", "7000.00"),
        *registered(w, "H2", "green", "20000.00"),
        *registered(w, "H3", "green", "20000.00"),
        w.b.loan("H3", date(2026, 1, 5), "L3", "5000.00", date(2027, 1, 5)),
        *registered(w, "H4", "yellow", "20000.00"),
        w.b.loan("H4", date(2025, 3, 1), "L4", "8000.00", date(2026, 3, 1)),
        w.b.overdue("H4", MONDAY.date() - timedelta(days=1), "L4", 120, "3000.00"),
        *registered(w, "H5", "blue", "20000.00", township="Dongtang", village="Hexi"),
    )
    case = one_case(service, household_id="H1")
    through_notice(service, people, clock, case.case_id)
    ok(people["chen"].post(f"/cases/{case.case_id}/township-review", json={"approve": True}))
    ok(people["zhou"].post(
        f"/cases/{case.case_id}/decision", json={"approve": True, "category": "unstable"}
    ))  # fmt: skip
    due = (clock.now.date() + timedelta(days=20)).isoformat()
    wang = people["wang"]
    ok(wang.post("/monitoring/H1/plan", json={"kind": "medical_aid", "department": "县医保局", "due_on": due}))  # fmt: skip
    ok(wang.post("/monitoring/H1/plan", json={"kind": "workshop", "department": "乡镇人社站", "due_on": due}))  # fmt: skip
    ok(wang.post("/monitoring/H1/plan/m1", json={"state": "done", "note": "已报销"}))
    service.catch_up()


def section(report, key):
    return next(s for s in report["sections"] if s["key"] == key)


def table(report, key):
    return next(t for s in report["sections"] for t in s["tables"] if t["key"] == key)


def test_the_monthly_report_of_a_small_county(world, people, clock):  # noqa: F811
    service, w = world
    small_county(service, w, people, clock)
    county = people["county"]
    assert county.get("/reports/monthly/2026-06").status_code == 404  # not computed yet

    clock.now = clock.now.replace(month=7, day=1, hour=4)  # the job's night after June
    assert service.run_job("monthly_report") == 2  # June's final figures, July's so far
    assert service.run_job("monthly_report") == 0  # each period once

    june = ok(county.get("/reports/monthly/2026-06"))
    assert (june["month"], june["as_of"], june["final"]) == ("2026-06", "2026-06-30", True)
    assert [s["key"] for s in june["sections"]] == [
        "households", "monitoring", "poverty_changes", "leads", "stages", "measures", "loans",
        "standard", "feeds",
    ]  # fmt: skip
    # The standard: H1's income below the line is the one guarantee failing.
    standard = section(june, "standard")
    assert standard["figures"]["failing_income"] == 1 and standard["figures"]["households"] == 5
    # The county's row: households, the six guarantees, late houses, late water,
    # 不愁吃 and 不愁穿 not met at the home verification.
    assert table(june, "standard")["rows"][-1] == ["全县合计", 5, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert table(june, "standard")["columns"][2:4] == ["收入（一超过）", "义务教育"]
    feeds = section(june, "feeds")  # the departments' feed health of the month
    assert feeds["tables"][0]["columns"][:3] == ["部门", "最近一条", "本月接收"]
    assert feeds["figures"]["stale_income_households"] >= 0

    # Households by card and level: the risk view's own grouped counts.
    counts = service.risk.counts("township", "card", "level")
    assert {(r["township"], r["card"], r["level"]): r["households"]
            for r in section(june, "households")["figures"]["by_township"]} == counts  # fmt: skip
    hh = table(june, "households")
    assert hh["rows"][-1][:2] == ["全县合计", 5] and [r[0] for r in hh["rows"]] == [
        "Dongtang", T, "全县合计",
    ]  # fmt: skip

    mon = section(june, "monitoring")["figures"]
    assert (mon["new"], mon["cleared"], mon["by_category"]["unstable"]) == (1, 0, 1)
    assert mon["trend"]["months"][-1] == "2026-06" and mon["trend"]["by_township"][T][-1] == 1
    assert sum(mon["trend"]["by_township"][T]) == 1  # monitored since June only

    # Two leads in June from departments' data: H1's income, H4's loan.
    assert section(june, "leads")["figures"]["by_channel"]["department"] == 2
    # H4's case waits at home verification, past its deadline by June's end.
    assert section(june, "stages")["figures"]["by_stage"]["verify"] == {
        "open": 1, "on_time": 0, "overdue": 1,
    }  # fmt: skip
    measures = section(june, "measures")["figures"]
    assert (measures["planned"], measures["added"]) == (2, 2)
    assert (measures["by_state"]["done"], measures["by_state"]["planned"]) == (1, 1)

    loans = section(june, "loans")["figures"]
    # By balance (the banks' way): H4's 3,000 yuan the bank reports overdue of
    # 8,000 open (H3's 5,000 besides); by count, one of two loans.
    assert (loans["balance_yuan"], loans["overdue_balance_yuan"]) == ("8000.00", "3000.00")
    assert (loans["ratio"], loans["basis"]) == ("0.3750", "balance")
    assert (loans["open_loans"], loans["overdue_loans"], loans["ratio_by_count"]) == (
        2, 1, "0.5000",
    )  # fmt: skip
    assert loans["within_limit"] is False and loans["limit"] == "0.01"
    assert table(june, "loans")["rows"][-1] == [
        "全县合计", "8000.00", "3000.00", "37.50%", 2, 1, "50.00%", "否",
    ]  # fmt: skip

    # The charts, drawn by the job, are SVG with their glyphs as paths.
    assert set(june["charts"]) == {"trend", "stages", "loans"}
    svg = county.get(june["charts"]["trend"])
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content and len(svg.content) > 5000

    pdf = county.get("/reports/monthly/2026-06.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    reader = PdfReader(BytesIO(pdf.content))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "防止返贫动态监测月报（2026-06）" in text and "50.00%" in text
    assert sum(len(p.images) for p in reader.pages) == 3  # the three charts
    assert "H1" not in text and "H4" not in text  # counts, never a household

    july = ok(county.get("/reports/monthly/2026-07"))
    assert (july["final"], july["as_of"]) == (False, "2026-07-01")
    assert section(july, "monitoring")["figures"]["new"] == 0


def test_only_the_county_office_reads_it_and_a_past_month_is_computed_again(world, people, clock):
    service, w = world
    small_county(service, w, people, clock)
    clock.now = clock.now.replace(month=7, day=1, hour=4)
    service.run_job("monthly_report")
    assert people["wang"].get("/reports/monthly/2026-06").status_code == 403
    assert people["wang"].get("/reports/monthly/2026-06.pdf").status_code == 403
    bad = people["county"].get("/reports/monthly/2026-13")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["path", "month"]
    assert people["county"].get("/reports/monthly/2026-06/charts/nope.svg").status_code == 404

    # An operator computes June again in July: its monitoring figures come
    # from the records' dated periods, so they are June's still.
    first = ok(people["county"].get("/reports/monthly/2026-06"))
    again = service.parts.report_job.recompute("2026-06")
    assert again.computed_at == clock.now and again.final
    second = ok(people["county"].get("/reports/monthly/2026-06"))
    assert section(second, "monitoring") == section(first, "monitoring")
    assert service.run_job("monthly_report") == 0  # the recomputation left the periods alone


def test_an_operator_writes_the_report_from_the_terminal(
    world, people, clock, store_settings, tmp_path
):
    import json

    from typer.testing import CliRunner

    from services.cli import app

    service, w = world
    small_county(service, w, people, clock)
    clock.now = clock.now.replace(month=7, day=1, hour=4)
    service.run_job("monthly_report")
    env = {
        "POVWATCH_STORE": store_settings.store,
        "POVWATCH_SQLITE_DIR": str(store_settings.sqlite_dir),
        "POVWATCH_POSTGRES_SCHEMA": store_settings.postgres_schema,
    }
    run = lambda *args: CliRunner().invoke(app, ["report", *args], env=env)  # noqa: E731
    pdf, figures = tmp_path / "report.pdf", tmp_path / "report.json"
    done = run("--month", "2026-06", "--out", str(pdf), "--json", str(figures))
    assert done.exit_code == 0, done.output
    assert "computed" not in done.output.split("\n")[0]  # the stored figures, not recomputed
    api = ok(people["county"].get("/reports/monthly/2026-06"))
    assert json.loads(figures.read_text()) == api
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "防止返贫动态监测月报（2026-06）" in text and "50.00%" in text
    assert "全县合计" in done.output
    again = run("--month", "2026-06", "--recompute")
    assert again.exit_code == 0 and "computed 2026-06" in again.output, again.output
    bad = run("--month", "2026-6")
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output
