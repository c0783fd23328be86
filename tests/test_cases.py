"""The monitoring procedure through the HTTP API on a real store of each kind,
with a controlled clock: a department's data opens a lead and a case, each
role takes its stages, the household becomes a monitoring object with a help
plan, and half a year later the clearance job proposes clearance, which goes
through the same chain."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.helpers import clients
from tests.test_alerts import MONDAY, clock, registered, world  # noqa: F401 (fixtures)

T, V = "Jinlong", "Xinquan"  # the sample builder's township and village


@pytest.fixture
def people(world):  # noqa: F811
    service, w = world
    app = service.web_app()
    return clients(
        app,
        service.accounts,
        li=("village", f"{T}/{V}"),
        zhao=("village", f"{T}/Other"),
        wang=("staff", T),
        chen=("reviewer", T),
        he=("reviewer", "Dongtang"),
        zhou=("approver", None),
        county=("county", None),
    )


def one_case(service, **filters):
    service.catch_up()
    (case,) = service.case_list.search(limit=10, **filters).items
    return case


def ok(response, code=200):
    assert response.status_code == code, response.text
    return response.json()


def verification(on, labour=1):
    return {
        "visited_on": on.isoformat(),
        "members": 1,
        "labour_capable": labour,
        "income_estimate_yuan": 7000,
        "hardship": ["income_below_line"],
        "consent": True,
        "note": "入户核实：务工收入减少",
    }


def signed(on):
    return {
        "signed": True,
        "signed_on": on.isoformat(),
        "signer": "head",
        "kept_at": "村委会档案室",
    }


def through_notice(service, people, clock, cid, category="unstable"):  # noqa: F811
    li, wang = people["li"], people["wang"]
    today = clock.now.date()
    ok(li.post(f"/cases/{cid}/verification", json=verification(today)))
    if "crosscheck" in service.cases.case(_u(cid)).stages:
        # The household signs the authorisation; the county office cross-checks.
        ok(li.post(f"/cases/{cid}/authorisation", json=signed(today)))
        assert wang.post(f"/cases/{cid}/crosscheck", json={"matches": True}).status_code == 403
        ok(people["county"].post(f"/cases/{cid}/crosscheck", json={"matches": True}))
    review = {"held_on": today.isoformat(), "attendees": 15, "agreed": True}
    if category:
        review["category"] = category
    ok(li.post(f"/cases/{cid}/village-review", json=review))
    case = ok(li.post(f"/cases/{cid}/notice", json={"starts_on": today.isoformat()}))
    assert case["notice"]["ends_on"] == (today + timedelta(days=4)).isoformat()  # 5 days
    refused = li.post(f"/cases/{cid}/notice/close", json={})
    assert refused.status_code == 409 and "before it ends" in refused.json()["detail"]
    clock.advance(days=5)
    ok(li.post(f"/cases/{cid}/notice/close", json={}))
    service.catch_up()  # the lists read the cases view, which the leading process follows


def _u(cid):
    from uuid import UUID

    return UUID(cid)


def test_a_lead_through_every_stage_a_plan_and_clearance(world, people, clock):  # noqa: F811
    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00", members=1, labour=1))
    case = one_case(service)
    assert (case.kind, case.channel, case.stage, case.township) == (
        "identification", "department", "verify", T,
    )  # fmt: skip
    assert case.stage_due.isoformat() == "2026-06-03"  # 2 working days after Monday
    assert case.leads[0].rule_id == "watch-yellow-blue" and case.leads[0].task_id
    cid = case.case_id

    # The village staff's work list holds it; the reviewer's does not yet.
    li, chen, zhou = people["li"], people["chen"], people["zhou"]
    assert [c["case_id"] for c in ok(li.get("/cases?mine=true"))["items"]] == [cid]
    assert ok(chen.get("/cases?mine=true"))["total"] == 0

    through_notice(service, people, clock, cid)
    notice = ok(li.get(f"/cases/{cid}/notice"))
    assert notice["household_id"] == "H" and notice["village"] == V
    pdf = li.get(f"/cases/{cid}/notice.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    assert [c["case_id"] for c in ok(chen.get("/cases?mine=true"))["items"]] == [cid]
    ok(chen.post(f"/cases/{cid}/township-review", json={"approve": True}))
    decided = ok(
        zhou.post(f"/cases/{cid}/decision", json={"approve": True, "category": "unstable"})
    )
    assert decided["status"] == "monitored" and decided["category"] == "unstable"
    service.catch_up()

    # The lead's help task is closed by the decision; the household is monitored.
    (task,) = service.tasks.search(limit=5).items
    assert task.status == "resolved" and "monitored" in (task.outcome or "")
    record = ok(people["county"].get("/monitoring/H"))
    assert record["status"] == "monitored" and record["category"] == "unstable"
    assert ok(people["county"].get("/monitoring"))["total"] == 1

    # A help plan of two measures, kept by township staff.
    wang, due = people["wang"], (clock.now.date() + timedelta(days=30)).isoformat()
    measure = {"kind": "public_welfare_post", "department": "乡镇人社站", "due_on": due}
    ok(wang.post("/monitoring/H/plan", json=measure))
    plan = ok(
        wang.post(
            "/monitoring/H/plan",
            json={"kind": "medical_aid", "department": "县医保局", "due_on": due},
        )
    )["plan"]
    assert [m["kind"] for m in plan] == ["public_welfare_post", "medical_aid"]
    assert li.post("/monitoring/H/plan", json=measure).status_code == 403  # not village staff
    ok(wang.post("/monitoring/H/plan/m1", json={"state": "done", "note": "已上岗"}))

    # Half a year on, income stable above the line: the job proposes clearance.
    clock.advance(days=190)
    d = clock.now.date()
    w.send(
        w.b.income("H", d, "9000.00", d - timedelta(days=180), d - timedelta(days=1)),
        w.b.income("H", d, "9000.00", d - timedelta(days=365), d - timedelta(days=181)),
    )
    assert service.run_job("clearance") == 1
    assert service.run_job("clearance") == 0  # once a day
    clearance = one_case(service, phase="open")
    assert (clearance.kind, clearance.channel, clearance.stage) == ("clearance", "job", "verify")
    assert clearance.card == "yellow"  # the household's card, as its first case knew it
    through_notice(service, people, clock, clearance.case_id, category=None)
    ok(chen.post(f"/cases/{clearance.case_id}/township-review", json={"approve": True}))
    ok(zhou.post(f"/cases/{clearance.case_id}/decision", json={"approve": True}))
    service.catch_up()
    record = ok(people["county"].get("/monitoring/H"))
    assert record["status"] == "cleared" and record["cases_opened"] == 2
    assert record["periods"][0]["to"] == clock.now.date().isoformat()

    # A cleared household stays on record and can become a lead again.
    clock.advance(days=40)
    w.send(w.b.disaster("H", clock.now.date(), "30000.00", damage="D"))
    again = one_case(service, phase="open")
    assert (again.kind, again.number, again.stage) == ("identification", 3, "verify")
    assert ok(people["county"].get("/monitoring/H"))["cases_opened"] == 3


def test_each_role_is_refused_where_it_does_not_act(world, people, clock):  # noqa: F811
    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00", members=1, labour=1))
    cid = one_case(service).case_id
    body = verification(clock.now.date())
    for name in ("chen", "zhou", "county"):
        r = people[name].post(f"/cases/{cid}/verification", json=body)
        assert r.status_code == 403, (name, r.text)
    # Outside one's area: another village's staff, another township's reviewer.
    assert people["zhao"].get(f"/cases/{cid}").status_code == 403
    assert people["zhao"].post(f"/cases/{cid}/verification", json=body).status_code == 403
    assert people["he"].get(f"/cases/{cid}").status_code == 403
    assert ok(people["zhao"].get("/cases"))["total"] == 0
    # A bad field is named; a step out of order is a conflict.
    bad = people["li"].post(f"/cases/{cid}/verification", json={**body, "labour_capable": 5})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "labour_capable"]
    early = people["county"].post(f"/cases/{cid}/crosscheck", json={"matches": True})
    assert early.status_code == 409
    # The cross-check is the county office's: township staff are refused it.
    assert (
        people["wang"].post(f"/cases/{cid}/crosscheck", json={"matches": True}).status_code == 403
    )
    assert people["county"].get("/cases/overview").status_code == 200
    assert people["wang"].get("/cases/overview").status_code == 403


def test_a_returned_case_a_declined_lead_and_objections(world, people, clock):  # noqa: F811
    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00", members=1, labour=1))
    cid = one_case(service).case_id
    li, chen, zhou = people["li"], people["chen"], people["zhou"]
    today = clock.now.date()
    ok(li.post(f"/cases/{cid}/verification", json=verification(today)))
    ok(li.post(f"/cases/{cid}/authorisation", json=signed(today)))
    ok(people["county"].post(f"/cases/{cid}/crosscheck", json={"matches": True}))
    ok(li.post(
        f"/cases/{cid}/village-review",
        json={"held_on": today.isoformat(), "attendees": 9, "agreed": True, "category": "sudden"},
    ))  # fmt: skip
    ok(li.post(f"/cases/{cid}/notice", json={"starts_on": today.isoformat(), "days": 7}))
    clock.advance(days=2)
    objection = {"received_on": clock.now.date().isoformat(), "text": "有村民认为该户有经营收入"}
    ok(li.post(f"/cases/{cid}/objections", json=objection))
    clock.advance(days=6)
    unsaid = li.post(f"/cases/{cid}/notice/close", json={})
    assert unsaid.status_code == 422  # the objection's handling must be said
    ok(li.post(f"/cases/{cid}/notice/close", json={"handling": "经核实，经营收入已计入"}))
    back = ok(chen.post(
        f"/cases/{cid}/township-review",
        json={"approve": False, "return_to": "verify", "reason": "收入需重新核实"},
    ))  # fmt: skip
    assert back["stage"] == "verify" and back["history"][-1]["what"] == "returned"
    assert back["notice"] is None  # a new notice after the new review
    # Through again, then the county declines with its reason.
    ok(li.post(f"/cases/{cid}/verification", json=verification(clock.now.date())))
    ok(
        people["county"].post(
            f"/cases/{cid}/crosscheck", json={"matches": False, "differences": "有车辆"}
        )
    )
    ok(li.post(
        f"/cases/{cid}/village-review",
        json={"held_on": clock.now.date().isoformat(), "attendees": 9, "agreed": False,
              "note": "评议不同意"},
    ))  # fmt: skip
    ok(chen.post(f"/cases/{cid}/township-review", json={"approve": True}))
    refused = zhou.post(f"/cases/{cid}/decision", json={"approve": False, "reason": "收入达标"})
    assert refused.status_code == 422 and "reason_category" in refused.text
    declined = ok(
        zhou.post(
            f"/cases/{cid}/decision",
            json={"approve": False, "reason": "收入达标", "reason_category": "income_above_range"},
        )
    )
    assert declined["status"] == "declined" and declined["reason"] == "收入达标"
    assert declined["reason_category"] == "income_above_range"
    service.catch_up()
    (task,) = service.tasks.search(limit=5).items
    assert task.status == "dismissed"
    assert ok(people["county"].get("/monitoring/H"))["status"] == "none"


def test_an_overdue_stage_turns_orange_the_next_working_day(world, people, clock):  # noqa: F811
    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00", members=1, labour=1))
    case = one_case(service)
    assert case.stage_due.isoformat() == "2026-06-03"
    clock.advance(days=2)  # Wednesday, the deadline: not yet overdue
    assert service.run_job("case_escalate") == 0
    clock.advance(days=1)  # Thursday: the next working day
    assert service.run_job("case_escalate") == 1
    case = one_case(service)
    assert case.shown == "orange" and case.escalation == 1
    overview = ok(people["county"].get("/cases/overview"))
    (row,) = overview["rows"]
    assert row["township"] == T and row["overdue"] == 1 and row["by_stage"] == {"verify": 1}
    clock.advance(days=6)
    assert service.run_job("case_escalate") == 1
    assert one_case(service).shown == "red"
    # Past the lead-to-decision deadline (20 working days: 2026-06-30, the
    # Dragon Boat Festival on 06-19 off) too, on 07-01.
    assert one_case(service).decision_due.isoformat() == "2026-06-30"
    clock.advance(days=20)  # 06-30
    assert ok(people["county"].get("/cases/overview"))["totals"]["decision_overdue"] == 0
    clock.advance(days=1)
    assert ok(people["county"].get("/cases/overview"))["totals"]["decision_overdue"] == 1


def test_every_case_change_is_published_without_personal_numbers(settings, clock):  # noqa: F811
    """The relay publishes each case and monitoring record version on the
    cases topic; each message reads as its documented model."""
    import json
    import re

    from schemas.cases import CaseOut, MonitoringOut
    from services.alerts.service import AlertsService
    from services.households.app import Households
    from services.households.statusview import open_view
    from services.infra.policyfile import load_policies
    from services.monitor.riskstatus import RiskStatusProjection
    from synthetic.sample import Builder
    from tests.helpers import read_topic
    from tests.test_alerts import feed_at

    households = Households(env=settings.store_env("Monitor"))
    service = AlertsService(settings, clock=clock)
    risk = RiskStatusProjection(
        households, open_view(settings), load_policies(settings), lambda: clock().date()
    )
    try:

        class W:
            b = Builder("kc")

        for i, m in enumerate(registered(W, "H", "yellow", "7000.00", members=1, labour=1)):
            feed_at(households, m, i)
        risk.catch_up()
        service.catch_up()
        case = one_case(service)
        li = clients(service.web_app(), service.accounts, li=("village", f"{T}/{V}"))["li"]
        ok(li.post(f"/cases/{case.case_id}/verification", json=verification(clock.now.date())))
        service.start(schedule=False)
        messages = read_topic(settings, settings.cases_topic, expect=4)
    finally:
        service.stop()
        risk.view.datastore.close()
        households.close()
    models = {"case": CaseOut, "monitoring": MonitoringOut}
    seen = []
    for m in messages:
        body = json.loads(m.value)
        models[body["kind_of_message"]].model_validate_json(m.value)
        assert m.key == b"H" and not re.search(rb"\d{11,}", m.value)
        seen.append((body["kind_of_message"], dict(m.headers)["povwatch.case"].decode()))
    # The record started and its case opened (one transaction), then verified.
    assert [(k, v.split(":")[1]) for k, v in seen] == [
        ("monitoring", "1"), ("monitoring", "2"), ("case", "1"), ("case", "2"),
    ]  # fmt: skip
    assert seen[2][1].split(":")[0] == case.case_id


def test_a_household_that_declines_to_sign_ends_its_case(world, people, clock):  # noqa: F811
    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00", members=1, labour=1))
    cid = one_case(service).case_id
    li, today = people["li"], clock.now.date()
    ok(li.post(f"/cases/{cid}/verification", json=verification(today)))
    form = li.get(f"/cases/{cid}/authorisation.pdf")
    assert form.status_code == 200 and form.content.startswith(b"%PDF")
    assert people["zhao"].get(f"/cases/{cid}/authorisation.pdf").status_code == 403
    # Signed without saying where the form is kept: the field is named.
    bad = li.post(f"/cases/{cid}/authorisation", json={**signed(today), "kept_at": ""})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "kept_at"]
    unsaid = li.post(f"/cases/{cid}/authorisation", json={"signed": False})
    assert unsaid.status_code == 422 and unsaid.json()["detail"][0]["loc"] == ["body", "reason"]
    ended = ok(
        li.post(f"/cases/{cid}/authorisation", json={"signed": False, "reason": "不同意查询资产"})
    )
    assert ended["status"] == "declined" and ended["phase"] == "closed"
    assert "不同意查询资产" in ended["reason"] and ended["records"]["consent"]["signed"] is False
    service.catch_up()
    (task,) = service.tasks.search(limit=5).items
    assert task.status == "dismissed"  # the reason goes back with the lead's task
    record = ok(people["county"].get("/monitoring/H"))
    assert record["status"] == "none" and record["open_case"] is None


def test_the_category_must_fit_the_household(world, people, clock):  # noqa: F811
    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00", members=1, labour=1))
    cid = one_case(service).case_id
    li, today = people["li"], clock.now.date()
    ok(li.post(f"/cases/{cid}/verification", json=verification(today)))
    ok(li.post(f"/cases/{cid}/authorisation", json=signed(today)))
    # The cases view follows the authorisation (an event of the case's steps).
    assert one_case(service).records["consent"]["kept_at"] == "村委会档案室"
    ok(people["county"].post(f"/cases/{cid}/crosscheck", json={"matches": True}))
    review = {"held_on": today.isoformat(), "attendees": 9, "agreed": True}
    # A household registered as out of poverty (yellow) is no 边缘易致贫户.
    unfit = li.post(f"/cases/{cid}/village-review", json={**review, "category": "marginal"})
    assert unfit.status_code == 422 and unfit.json()["detail"][0]["loc"] == ["body", "category"]
    ok(li.post(f"/cases/{cid}/village-review", json={**review, "category": "unstable"}))
    ok(li.post(f"/cases/{cid}/notice", json={"starts_on": today.isoformat()}))
    clock.advance(days=5)
    ok(li.post(f"/cases/{cid}/notice/close", json={}))
    ok(people["chen"].post(f"/cases/{cid}/township-review", json={"approve": True}))
    decision = {"approve": True, "category": "marginal"}
    unfit = people["zhou"].post(f"/cases/{cid}/decision", json=decision)
    assert unfit.status_code == 422 and unfit.json()["detail"][0]["loc"] == ["body", "category"]
    assert ok(people["county"].get(f"/cases/{cid}"))["phase"] == "open"  # nothing lost
    done = ok(
        people["zhou"].post(f"/cases/{cid}/decision", json={**decision, "category": "sudden"})
    )
    assert done["category"] == "sudden"


def test_a_natural_clearance_by_the_village_and_the_results_announced(world, people, clock):  # noqa: F811
    from tests.test_notice import HEALTH_WORDS, _text

    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00", members=1, labour=1))
    cid = one_case(service).case_id
    li, chen, zhou = people["li"], people["chen"], people["zhou"]
    through_notice(service, people, clock, cid)
    ok(chen.post(f"/cases/{cid}/township-review", json={"approve": True}))
    ok(zhou.post(f"/cases/{cid}/decision", json={"approve": True, "category": "unstable"}))
    service.catch_up()
    query = {"township": T, "village": V}
    pdf = li.get("/announcements.pdf", params=query)
    assert pdf.status_code == 200
    text = _text(pdf.content)
    # The registry sent no head's name for H: the row says so, its code is not printed.
    assert "识别结果公告" in text and "（待补录）1人脱贫不稳定户" in text
    assert not HEALTH_WORDS.search(text) and "务工收入" not in text  # no note, no reason
    assert people["zhao"].get("/announcements.pdf", params=query).status_code == 403
    assert people["he"].get("/announcements.pdf", params=query).status_code == 403

    # No measure done: 帮扶消除 is refused at its field, 自然消除 proposed by the village.
    proposal = {"reason": "务工收入稳定，风险自然消除", "kind": "helped"}
    helped = li.post("/monitoring/H/clearance", json=proposal)
    assert helped.status_code == 422 and helped.json()["detail"][0]["loc"] == ["body", "kind"]
    case = ok(li.post("/monitoring/H/clearance", json={**proposal, "kind": "natural"}), 201)
    assert case["kind"] == "clearance" and case["clearance_kind"] == "natural"
    through_notice(service, people, clock, case["case_id"], category=None)
    notice = _text(li.get(f"/cases/{case['case_id']}/notice.pdf").content)
    assert "自然消除" in notice
    ok(chen.post(f"/cases/{case['case_id']}/township-review", json={"approve": True}))
    ok(zhou.post(f"/cases/{case['case_id']}/decision", json={"approve": True}))
    service.catch_up()
    cleared = li.get("/announcements.pdf", params={**query, "kind": "clearance"})
    text = _text(cleared.content)
    assert "风险消除结果公告" in text and "自然消除" in text


def test_help_first_for_a_sudden_hardship_is_on_the_case_the_ledger_and_a_push(
    world,  # noqa: F811
    people,
    clock,  # noqa: F811
):
    from io import BytesIO

    from openpyxl import load_workbook

    from services.notify.messages import line
    from services.notify.notices import news

    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00", members=1, labour=1))
    cid = one_case(service).case_id
    due = (clock.now.date() + timedelta(days=7)).isoformat()
    measure = {"kind": "relief_fund", "department": "县应急管理局", "due_on": due}
    # An income lead is no sudden hardship: no green channel.
    refused = people["wang"].post(f"/cases/{cid}/help-first", json=measure)
    assert refused.status_code == 409 and "sudden severe hardship" in refused.text
    # The home visit finds the flood's damage: sudden severe hardship.
    visit = {**verification(clock.now.date()), "hardship": ["disaster_loss"]}
    ok(people["li"].post(f"/cases/{cid}/verification", json=visit))
    assert people["li"].post(f"/cases/{cid}/help-first", json=measure).status_code == 403
    case = ok(people["wang"].post(f"/cases/{cid}/help-first", json=measure))
    assert case["stage"] == "crosscheck" and case["help_first"][0]["kind"] == "relief_fund"
    assert case["history"][-1]["what"] == "helped first"
    service.catch_up()
    response = people["county"].get("/ledgers/cases.xlsx")
    wb = load_workbook(BytesIO(response.content))
    (row,) = [list(r) for r in wb[T].iter_rows(min_row=2, values_only=True)]
    assert row[0] == "H" and row[-1] == "先帮后认（1项）"
    # The township hears of it: the push names the help, nothing personal.
    pushed = news(service.cases.case(_u(cid)), "HelpedFirst", clock.now, service.cases.procedure)
    assert pushed is not None and pushed.topic == "help_first" and "staff" in pushed.roles
    assert line(pushed, lambda kind, code: code) == f"{V} H 绿色通道先帮后认：relief_fund"
    medical = {**measure, "kind": "medical_aid", "department": "县医保局"}
    ok(people["wang"].post(f"/cases/{cid}/help-first", json=medical))
    pushed = news(service.cases.case(_u(cid)), "HelpedFirst", clock.now, service.cases.procedure)
    assert pushed is not None and pushed.detail == ""  # a health condition's help, unnamed


def test_an_announcement_for_a_place_no_page_can_print_is_refused(people):
    county = people["county"]
    for bad in ("\x1f", "", "村\x00", "🏠村"):
        r = county.get("/announcements.pdf", params={"township": T, "village": bad})
        assert r.status_code == 422, (bad, r.status_code)
    r = county.get("/announcements.pdf", params={"township": T, "village": V, "kind": "clearance"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")  # none yet: 本期无
