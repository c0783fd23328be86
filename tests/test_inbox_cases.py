"""The case pages as a browser without script sees them: a village's work
list in Chinese, the next step's form for the role that takes it, a field
error beside the form, the 403s, the county's overview."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from domain.access import Role
from tests.test_alerts import clock, registered, world  # noqa: F401 (fixtures)

T, V = "Jinlong", "Xinquan"  # the sample builder's township and village
STAGES = ("入户核实", "信息比对", "民主评议", "村级公示", "乡镇审核", "县级审定")


@pytest.fixture
def site(world):  # noqa: F811
    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00", members=1, labour=1))
    service.catch_up()
    (case,) = service.case_list.search(limit=5).items
    # The followers write the views a page waits for after each step.
    service.start(relay=False)
    app = service.web_app()
    people = {
        "li": dict(role=Role.VILLAGE, township=T, village=V),
        "zhao": dict(role=Role.VILLAGE, township=T, village="Other"),
        "wang": dict(role=Role.STAFF, township=T),
        "chen": dict(role=Role.REVIEWER, township=T),
        "zhou": dict(role=Role.APPROVER),
        "county": dict(role=Role.COUNTY),
    }
    tokens = {
        name: service.accounts.issue(name, p.pop("role"), "test", **p) for name, p in people.items()
    }

    def browser(name: str) -> TestClient:
        client = TestClient(app, follow_redirects=True)
        r = client.post("/inbox/signin", data={"token": tokens[name]})
        assert r.status_code == 200, r.text
        return client

    return browser, case, service


SIGNED = {"signed": "yes", "signed_on": "2026-06-01", "signer": "head", "kept_at": "村委会档案室"}


def verification(**changes):
    form = {
        "visited_on": "2026-06-01",
        "members": "1",
        "labour_capable": "1",
        "income_estimate_yuan": "7000",
        "hardship": ["income_below_line"],
        "consent": "yes",
        "note": "务工收入减少",
    }
    return {**form, **changes}


def test_village_staff_sign_in_to_their_cases_in_chinese(site):
    browser, case, _ = site
    li = browser("li")
    home = li.get("/inbox")
    assert home.url.path == "/inbox/cases"
    assert "识别和消除" in home.text and "H" in home.text and "入户核实" in home.text
    assert li.get("/inbox/tasks").status_code == 403  # the task pages are township staff's
    page = li.get(f"/inbox/cases/{case.case_id}").text
    assert 'id="verify"' in page and "收入低于监测线" in page  # the factor list, in Chinese
    # Which departments reported, not what (village staff read no household's facts).
    assert 'id="sources"' in page and "县乡村振兴局" in page and "农业农村局" in page
    assert 'id="timeline"' not in page


def test_a_field_error_is_shown_on_the_form_in_chinese(site):
    browser, case, _ = site
    li = browser("li")
    r = li.post(f"/inbox/cases/{case.case_id}/verification", data=verification(labour_capable="5"))
    assert r.status_code == 422
    assert "有劳动能力人数: 不能多于 1。" in r.text and 'id="verify"' in r.text
    r = li.post(f"/inbox/cases/{case.case_id}/verification", data=verification(members="x"))
    assert r.status_code == 422 and "家庭人口: 请填写整数。" in r.text
    r = li.post(
        f"/inbox/cases/{case.case_id}/verification", data=verification(note="电话 13812345678")
    )
    assert r.status_code == 422 and "请勿填写身份证号" in r.text


def test_a_reviewer_sees_no_verification_form(site):
    browser, case, _ = site
    chen = browser("chen")
    assert chen.get("/inbox").url.path == "/inbox/cases"
    assert "H" not in chen.get("/inbox/cases").text.split('id="cases"')[1]  # not at its stage
    page = chen.get(f"/inbox/cases/{case.case_id}").text
    assert 'id="verify"' not in page and "本环节由其他角色办理" in page
    r = chen.post(f"/inbox/cases/{case.case_id}/verification", data=verification())
    assert r.status_code == 403


def test_the_stages_in_chinese_through_to_the_overview(site, clock):  # noqa: F811
    browser, case, service = site
    li, wang, chen, zhou = browser("li"), browser("wang"), browser("chen"), browser("zhou")
    cid = case.case_id
    r = li.post(f"/inbox/cases/{cid}/verification", data=verification())
    assert r.status_code == 200 and r.url.path == f"/inbox/cases/{cid}" and "已记录" in r.text
    assert "信息比对" in r.text and "完成入户核实" in r.text
    # The village records the signed authorisation; the county office cross-checks.
    assert 'id="authorisation"' in r.text and 'id="crosscheck"' not in r.text
    assert 'id="authorisation"' not in chen.get(f"/inbox/cases/{cid}").text  # not the reviewer's
    r = li.post(f"/inbox/cases/{cid}/authorisation", data=SIGNED)
    assert r.status_code == 200 and "承诺授权书" in r.text and "村委会档案室" in r.text
    assert 'id="crosscheck"' not in r.text and "本环节由其他角色办理" in r.text
    county = browser("county")
    assert 'id="crosscheck"' in county.get(f"/inbox/cases/{cid}").text
    assert wang.post(f"/inbox/cases/{cid}/crosscheck", data={"matches": "yes"}).status_code == 403
    r = county.post(f"/inbox/cases/{cid}/crosscheck", data={"matches": "yes"})
    assert "民主评议" in r.text
    # The village and the township see the check's result.
    for who in (li, wang):
        assert "部门信息与核实一致" in who.get(f"/inbox/cases/{cid}").text
    review = {"held_on": "2026-06-01", "attendees": "12", "agreed": "yes", "category": "unstable"}
    r = li.post(f"/inbox/cases/{cid}/village-review", data=review)
    assert "村级公示" in r.text and 'value="5"' in r.text  # the procedure's minimum
    r = li.post(f"/inbox/cases/{cid}/notice", data={"starts_on": "2026-06-01", "days": ""})
    assert "2026-06-01 – 2026-06-05" in r.text
    assert li.get(f"/inbox/cases/{cid}/notice").status_code == 200
    r = li.post(f"/inbox/cases/{cid}/notice/close", data={})
    assert r.status_code == 409
    clock.advance(days=5)
    r = li.post(f"/inbox/cases/{cid}/notice/close", data={})
    assert "乡镇审核" in r.text
    r = chen.post(f"/inbox/cases/{cid}/township-review", data={"decision": "approve"})
    assert "县级审定" in r.text
    r = zhou.post(
        f"/inbox/cases/{cid}/decision", data={"decision": "approve", "category": "unstable"}
    )
    assert "已纳入监测" in r.text and "脱贫不稳定户" in r.text
    page = r.text
    for stage in STAGES:
        assert stage in page, stage
    service.catch_up()
    overview = browser("county").get("/inbox/cases/overview")
    assert overview.status_code == 200 and "脱贫不稳定户" in overview.text
    # The standard's table: the household's income below the line, in its township.
    standard = overview.text.split('id="standard-townships"')[1].split("</table>")[0]
    assert "两不愁三保障及饮水安全" in overview.text and "收入（一超过）" in standard
    jinlong = standard.split(f"<td>{T}</td>")[1].split("</tr>")[0]
    assert '<td class="num income">1</td>' in jinlong
    assert '<td class="num water">0</td>' in jinlong
    assert '<td class="num water-late">0</td>' in jinlong  # unsafe water past June's end
    assert wang.get("/inbox/cases/overview").status_code == 403
    # The plan's form offers the departments the rule book gives measures to.
    form = wang.get("/inbox/monitoring/H").text.split('id="add-measure"')[1].split("</form>")[0]
    assert 'list="departments"' in form and '<option value="县医保局">' in form
    r = wang.post(
        "/inbox/monitoring/H/plan",
        data={"kind": "public_welfare_post", "department": "乡镇人社站", "due_on": "2026-07-10"},
    )
    assert r.status_code == 200 and "公益岗位" in r.text and "乡镇人社站" in r.text
    r = wang.post("/inbox/monitoring/H/plan/m1", data={"state": "done", "note": "已上岗"})
    assert "已落实" in r.text


def test_another_village_gets_403(site):
    browser, case, _ = site
    zhao = browser("zhao")
    assert zhao.get(f"/inbox/cases/{case.case_id}").status_code == 403
    assert (
        zhao.post(f"/inbox/cases/{case.case_id}/verification", data=verification()).status_code
        == 403
    )
    assert zhao.get("/inbox/cases/not-a-case").status_code == 403
    assert "H" not in zhao.get("/inbox/cases").text.split('id="cases"')[1]


def test_every_case_word_has_its_chinese():
    from domain.case_input import DECLINE_REASONS
    from domain.cases import SIGNERS
    from domain.procedure import CATEGORIES, CLEARANCE_KINDS
    from services.alerts.inbox.casepages import MEASURE_STATES, STAGE_FORMS
    from services.presentation.words import Words

    w = Words("zh")
    words = [("stage", s) for s in STAGE_FORMS] + [("category", c) for c in CATEGORIES]
    words += [("measurestate", s) for s in MEASURE_STATES]
    words += [("role", r) for r in ("village", "reviewer", "approver")]
    words += [("step", s) for s in ("verified", "returned", "monitored", "declined", "approved")]
    words += [("declinereason", r) for r in DECLINE_REASONS] + [("field", "reason_category")]
    words += [("step", s) for s in ("authorised", "declined to authorise")]
    words += [("signer", s) for s in SIGNERS] + [("clearance", k) for k in CLEARANCE_KINDS]
    assert [w.term(k, v) for k, v in words[:6]] == list(STAGES)
    assert all(w.term(k, v) != v.replace("_", " ") for k, v in words)


def test_township_staff_land_on_their_cases_and_a_task_links_to_its_case(site):
    browser, case, service = site
    wang = browser("wang")
    home = wang.get("/inbox")
    assert home.url.path == "/inbox/cases" and case.household_id in home.text
    (task,) = service.tasks.search(limit=5).items
    page = wang.get(f"/inbox/tasks/{task.task_id}").text
    assert "此线索已进入监测对象识别程序" in page and "入户核实" in page
    assert f'href="/inbox/cases/{case.case_id}"' in page


def test_an_objection_during_the_notice_needs_its_handling_said(site, clock):  # noqa: F811
    browser, case, _ = site
    li, cid = browser("li"), case.case_id
    li.post(f"/inbox/cases/{cid}/verification", data=verification())
    li.post(f"/inbox/cases/{cid}/authorisation", data=SIGNED)
    browser("county").post(f"/inbox/cases/{cid}/crosscheck", data={"matches": "yes"})
    review = {"held_on": "2026-06-01", "attendees": "12", "agreed": "yes", "category": "marginal"}
    r = li.post(f"/inbox/cases/{cid}/village-review", data=review)
    assert r.status_code == 422 and "类别与农户身份不符" in r.text  # yellow: out of poverty
    review["category"] = "sudden"
    li.post(f"/inbox/cases/{cid}/village-review", data=review)
    li.post(f"/inbox/cases/{cid}/notice", data={"starts_on": "2026-06-01", "days": "5"})
    objection = {"received_on": "2026-06-01", "text": "有村民反映该户有经营收入"}
    r = li.post(f"/inbox/cases/{cid}/objections", data=objection)
    assert r.status_code == 200 and "有村民反映该户有经营收入" in r.text
    clock.advance(days=5)
    r = li.post(f"/inbox/cases/{cid}/notice/close", data={"handling": ""})
    assert r.status_code == 422 and "请填写" in r.text  # the field's problem, in Chinese
    r = li.post(f"/inbox/cases/{cid}/notice/close", data={"handling": "经核实已计入收入"})
    assert r.status_code == 200 and "乡镇审核" in r.text


def test_a_household_that_declines_in_the_inbox_ends_its_case(site):
    browser, case, service = site
    li, cid = browser("li"), case.case_id
    li.post(f"/inbox/cases/{cid}/verification", data=verification())
    pdf = li.get(f"/inbox/cases/{cid}/authorisation.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    r = li.post(f"/inbox/cases/{cid}/authorisation", data={"signed": "no", "reason": ""})
    assert r.status_code == 422 and "请填写" in r.text
    r = li.post(f"/inbox/cases/{cid}/authorisation", data={"signed": "no", "reason": "户主不同意"})
    assert r.status_code == 200 and "不纳入监测" in r.text and "农户拒绝签订承诺授权书" in r.text
    assert 'id="actions"' not in r.text  # closed: no next step


def test_township_staff_help_first_in_the_inbox_for_a_sudden_hardship(site):
    browser, case, _ = site
    li, wang, cid = browser("li"), browser("wang"), case.case_id
    assert 'id="help-first-form"' not in wang.get(f"/inbox/cases/{cid}").text  # no sudden hardship
    li.post(f"/inbox/cases/{cid}/verification", data=verification(hardship=["disaster_loss"]))
    assert 'id="help-first-form"' not in li.get(f"/inbox/cases/{cid}").text  # the township's
    help_first = {"kind": "relief_fund", "department": "县应急管理局", "due_on": "2026-06-10"}
    r = wang.post(f"/inbox/cases/{cid}/help-first", data=help_first)
    assert r.status_code == 200 and "绿色通道" in r.text and "防贫救助基金" in r.text
    assert "县应急管理局" in li.get(f"/inbox/cases/{cid}").text  # the village sees it too
