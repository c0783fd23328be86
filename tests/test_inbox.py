"""The township inbox's pages, as a browser without script sees them, on
both stores: sign-in, Chinese first, each township's own tasks, the actions
and their history, and the 403s. (tests/test_browser.py drives a real
Chromium through the same flow against running services.)"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from jinja2.ext import babel_extract

from domain.access import Role
from domain.policy import DEFAULT_SEVERITY
from domain.vocabulary import Measure
from services.alerts.inbox.pages import HERE
from services.infra.access import COOKIE, open_accounts
from services.presentation.words import LOCALE
from tests.test_alerts import YEAR, clock, world  # noqa: F401


@pytest.fixture
def inbox(world):  # noqa: F811
    service, w = world
    w.send(
        w.b.register("H-1", date(2025, 1, 1), "yellow", members=3, labour=2, village="Hekou"),
        w.b.income("H-1", date(2026, 5, 31), "9000.00", *YEAR),
        w.b.register(
            "H-2",
            date(2025, 1, 1),
            "blue",
            members=2,
            labour=1,
            township="Yuanjiang",
            village="Baima",
        ),
        w.b.income("H-2", date(2026, 5, 31), "1000.00", *YEAR),
    )
    service.start(relay=False)  # its followers write the tasks view, as in production
    app = service.web_app()
    tokens = {
        "wang": service.accounts.issue("wang", Role.STAFF, "test", township="Jinlong"),
        "zhou": service.accounts.issue("zhou", Role.STAFF, "test", township="Yuanjiang"),
        "li": service.accounts.issue("li", Role.COUNTY, "test"),
        "ops": service.accounts.issue("ops", Role.OPERATOR, "test"),
    }

    def browser(name: str | None = None, expect: int = 200) -> TestClient:
        client = TestClient(app, follow_redirects=True)
        if name:
            r = client.post("/inbox/signin", data={"token": tokens[name]})
            assert r.status_code == expect, r.text
        return client

    browser.tokens = tokens  # type: ignore[attr-defined]  # to sign in again
    task = {t.household_id: t for t in w.tasks(phase="open")}
    return browser, task, service


def test_signing_in_with_a_token_and_out(inbox):
    browser, _, _ = inbox
    anonymous = browser()
    r = anonymous.get("/inbox/tasks")
    assert r.url.path == "/inbox/signin" and "登录码" in r.text  # Chinese first
    r = anonymous.post("/inbox/signin", data={"token": "pw_wrong"})
    assert r.status_code == 401 and "登录码无效、已过期或已被吊销" in r.text
    wang = browser("wang")
    cookie = next(c for c in wang.cookies.jar if c.name == COOKIE)
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert wang.get("/inbox").url.path == "/inbox/cases"  # the procedure's work list
    wang.post("/inbox/signout")
    assert wang.get("/inbox/tasks").url.path == "/inbox/signin"


def copied(app, cookie: str) -> TestClient:
    """Another browser holding a copy of a sign-in cookie (a stolen one)."""
    return TestClient(app, follow_redirects=True, cookies={COOKIE: cookie})


def test_the_cookie_holds_a_session_that_ends_at_sign_out_and_revocation(inbox):
    browser, _, service = inbox
    app = service.web_app()
    token = service.accounts.issue("chen", Role.STAFF, "test", township="Jinlong")
    chen = TestClient(app, follow_redirects=True)
    assert chen.post("/inbox/signin", data={"token": token}).status_code == 200
    cookie = chen.cookies[COOKIE]
    assert token not in cookie and not cookie.startswith("pw_") and cookie.startswith("ps_")
    assert chen.get("/tasks").status_code == 200  # the API takes the session too
    # The token itself in the cookie is refused, so the cookie is never a token.
    assert copied(app, token).get("/inbox/tasks").url.path == "/inbox/signin"
    assert copied(app, token).get("/tasks").status_code == 401
    thief = copied(app, cookie)
    assert thief.get("/inbox/tasks").url.path == "/inbox/tasks"
    chen.post("/inbox/signout")
    assert thief.get("/inbox/tasks").url.path == "/inbox/signin"  # sign-out ended it
    assert thief.get("/tasks").status_code == 401
    assert chen.post("/inbox/signin", data={"token": token}).status_code == 200
    thief = copied(app, chen.cookies[COOKIE])
    service.accounts.revoke("chen", "test")
    assert thief.get("/inbox/tasks").url.path == "/inbox/signin"  # revocation ended it
    assert chen.get("/inbox/tasks").url.path == "/inbox/signin"
    r = chen.post("/inbox/signin", data={"token": token})
    assert r.status_code == 401 and "登录码无效、已过期或已被吊销" in r.text


def test_an_expired_token_signs_in_nowhere(inbox):
    _, _, service = inbox
    app = service.web_app()
    then = datetime.now(UTC) - timedelta(days=2)
    past = open_accounts(service.settings, lambda: then)
    token = past.issue("gao", Role.STAFF, "test", township="Jinlong", lifetime=timedelta(days=1))
    past.close()
    r = TestClient(app).post("/inbox/signin", data={"token": token})
    assert r.status_code == 401 and "登录码无效、已过期或已被吊销" in r.text
    assert (
        TestClient(app).get("/tasks", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


def test_staff_see_their_townships_tasks_in_chinese_and_english(inbox):
    browser, task, _ = inbox
    wang = browser("wang")
    page = wang.get("/inbox/tasks").text
    assert "帮扶任务 · Jinlong" in page and "H-1" in page and "H-2" not in page
    assert "黄卡" in page and "收入低于监测线" in page
    english = wang.get("/inbox/lang/en", params={"next": "/inbox/tasks"})
    assert english.url.path == "/inbox/tasks"
    assert (
        "Help tasks" in english.text and "yellow" in english.text and "帮扶任务" not in english.text
    )
    assert (
        wang.get("/inbox/lang/en", params={"next": "https://evil.example/"}).url.path
        == "/inbox/cases"  # home, never another site
    )


def test_the_task_page_says_who_why_what_and_by_when(inbox):
    browser, task, _ = inbox
    page = browser("wang").get(f"/inbox/tasks/{task['H-1'].task_id}").text
    for words in (
        "Hekou",
        "家庭人口",
        "有劳动能力人数",
        "近12个月人均纯收入 3000.00 元，低于监测线",
        "就业帮扶",
        "走访期限",
        "2026-06-03",
        "生成任务",
        "部门推送的信息",
        "建档：Jinlong Hekou，3 人",
        "工资性收入 9000.00 元",
        # Each suggested measure's department, the form given the first's.
        '就业帮扶 · <span class="department">县人社局</span>',
        'name="department" maxlength="100" value="县人社局"',
        # 3,000 a head is under the allowance's line: civil affairs' check.
        "收入低于低保标准，未享受低保或特困供养",
        '低保 · <span class="department">县民政局</span>',
        # The 2023 line is no public source's: the page says so.
        "监测线 7500 元为假设值，待县乡村振兴局确认。",
    ):
        assert words in page, words


def test_staff_record_a_visit_and_a_measure_then_resolve(inbox):
    browser, task, service = inbox
    wang, tid = browser("wang"), task["H-1"].task_id
    r = wang.post(f"/inbox/tasks/{tid}/acknowledge")
    assert "已记录" in r.text and "办理中" in r.text
    r = wang.post(
        f"/inbox/tasks/{tid}/visit", data={"visited_on": "2026-06-01", "note": "见到户主"}
    )
    assert r.status_code == 200 and "见到户主" in r.text
    r = wang.post(f"/inbox/tasks/{tid}/visit", data={"visited_on": "2026-06-09", "note": ""})
    assert r.status_code == 422 and "不能晚于今天" in r.text
    r = wang.post(
        f"/inbox/tasks/{tid}/visit",
        data={"visited_on": "2026-06-01", "note": "户主电话 13812345678"},
    )
    assert r.status_code == 422 and "请勿填写身份证号" in r.text
    r = wang.post(
        f"/inbox/tasks/{tid}/measure", data={"kind": "public_welfare_post", "department": "人社局"}
    )
    assert r.status_code == 200
    assert wang.post(f"/inbox/tasks/{tid}/dismiss", data={"reason": "  "}).status_code == 422
    r = wang.post(f"/inbox/tasks/{tid}/resolve", data={"outcome": "安排公益岗位"})
    assert r.status_code == 200 and "已办结" in r.text and 'id="actions"' not in r.text
    history = [h for h in service.alerts.task(__import__("uuid").UUID(tid)).history]
    assert [h["what"] for h in history] == [
        "created",
        "acknowledged",
        "visit recorded",
        "measure recorded",
        "resolved",
    ]
    assert {h["by"] for h in history[1:]} == {"wang"}
    assert "H-1" not in wang.get("/inbox/tasks").text  # it left the inbox
    assert "H-1" in wang.get("/inbox/tasks", params={"closed": "true"}).text


def test_another_township_gets_403_in_pages(inbox):
    browser, task, _ = inbox
    zhou, tid = browser("zhou"), task["H-1"].task_id
    assert zhou.get(f"/inbox/tasks/{tid}").status_code == 403
    assert zhou.post(f"/inbox/tasks/{tid}/acknowledge").status_code == 403
    assert zhou.post(f"/inbox/tasks/{tid}/resolve", data={"outcome": "x"}).status_code == 403
    assert zhou.get("/inbox/tasks", params={"township": "Jinlong"}).status_code == 403
    assert zhou.get("/inbox/tasks/00000000-0000-0000-0000-000000000000").status_code == 403
    assert "无权查看" in zhou.get(f"/inbox/tasks/{tid}").text
    assert "H-1" not in zhou.get("/inbox/tasks").text
    assert zhou.get("/inbox/tasks", params={"offset": 2**63}).status_code == 200
    # Operators have no work lists and no household: signed in, they land on
    # the API's description; the what-if (it lists households) is not theirs.
    ops = browser("ops")
    landed = ops.post("/inbox/signin", data={"token": browser.tokens["ops"]})
    assert landed.url.path == "/docs" and "swagger-ui" in landed.text
    assert ops.get("/openapi.json").status_code == 200  # the Swagger page's request, by cookie
    assert ops.get("/inbox/whatif").status_code == 403
    assert ops.get("/inbox/tasks").status_code == 403
    assert zhou.get("/inbox/whatif").status_code == 403  # township staff: not theirs


def test_county_office_sees_every_township_with_counts(inbox):
    browser, task, service = inbox
    li = browser("li")
    page = li.get("/inbox").text
    assert "全县概况" in page and "未办结任务 2 件" in page
    rows = re.findall(r"<tr[^>]*>\s*<td><a href=\"/inbox/tasks\?township=(\w+)\">", page)
    assert rows == ["Jinlong", "Yuanjiang"]
    assert li.get(f"/inbox/tasks/{task['H-2'].task_id}").status_code == 200
    assert li.get("/inbox/tasks/00000000-0000-0000-0000-000000000000").status_code == 404


def test_every_word_the_pages_use_has_its_chinese():
    with (LOCALE / "zh/LC_MESSAGES/messages.po").open("rb") as f:
        chinese = {m.id: m.string for m in read_po(f) if m.id}
    used = set()
    for template in (HERE / "templates").glob("*.html"):
        with template.open("rb") as f:
            used |= {
                msg for _, _, msg, _ in babel_extract(f, ["_"], [], {}) if isinstance(msg, str)
            }
    used |= {f"factor.{c}" for c in DEFAULT_SEVERITY} | {f"because.{c}" for c in DEFAULT_SEVERITY}
    used |= {f"measure.{m}" for m in Measure.__args__} | {f"role.{r.value}" for r in Role}
    used |= {f"card.{c}" for c in ("red", "yellow", "green", "blue")}
    used |= {
        f"timeline.{k}"
        for k in (
            "Registered",
            "CardChanged",
            "IncomeReported",
            "IllnessReported",
            "DisasterReported",
            "EmploymentChanged",
            "LoanIssued",
            "LoanRepaid",
            "LoanOverdue",
        )
    }
    missing = sorted(m for m in used if not chinese.get(m))
    assert not missing, missing
