"""The inbox for township staff who read Chinese: places named in Chinese
characters go through the township filter's URLs (inbox and API) and come
back the same, each rule's source is shown in Chinese, and the task lists
and the county overview say nothing in English."""

from __future__ import annotations

import html
import re
from datetime import date
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from domain.access import Role
from services.infra.rulefile import load_rules
from services.presentation.words import LOCALE
from tests.helpers import bearer
from tests.test_alerts import YEAR, clock, world  # noqa: F401

JINLONG, LINGBEI = "金龙镇", "岭北镇"


@pytest.fixture
def inbox(world):  # noqa: F811
    service, w = world
    w.send(
        w.b.register("H-1", date(2025, 1, 1), "yellow", township=JINLONG, village="荷花村"),
        w.b.income("H-1", date(2026, 5, 31), "3000.00", *YEAR),
        w.b.register("H-2", date(2025, 1, 1), "blue", township=LINGBEI, village="新安村"),
        w.b.income("H-2", date(2026, 5, 31), "1000.00", *YEAR),
    )
    service.start(relay=False)
    app = service.web_app()
    tokens = {
        "wang": service.accounts.issue("wang", Role.STAFF, "test", township=JINLONG),
        "li": service.accounts.issue("li", Role.COUNTY, "test"),
        "ops": service.accounts.issue("ops", Role.OPERATOR, "test"),
    }

    def browser(name: str) -> TestClient:
        client = TestClient(app, follow_redirects=True)
        assert client.post("/inbox/signin", data={"token": tokens[name]}).status_code == 200
        return client

    task = {t.household_id: t for t in w.tasks(phase="open")}
    return browser, task, app, tokens


def main_text(page: str) -> str:
    """What the page says below its bar (which names the account)."""
    main = page.split("<main>", 1)[1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", " ", main))


def links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]


def test_the_task_page_names_the_rules_source_in_chinese(inbox):
    browser, task, _, _ = inbox
    wang, tid = browser("wang"), task["H-1"].task_id
    page = wang.get(f"/inbox/tasks/{tid}").text
    rule = re.search(r'<dd id="rule">(.*?)</dd>', page, re.S).group(1)
    assert "方案第三部分第（一）项：黄卡、蓝卡户实行回头帮" in rule
    assert "watch-yellow-blue" in rule and "plan §3(1)" not in rule
    assert "荷花村" in page and JINLONG in page
    english = wang.get("/inbox/lang/en", params={"next": f"/inbox/tasks/{tid}"}).text
    rule = re.search(r'<dd id="rule">(.*?)</dd>', english, re.S).group(1)
    assert html.unescape(rule) == f"watch-yellow-blue ({task['H-1'].source})"
    assert task["H-1"].source.startswith("plan §3(1): yellow and blue households")
    # What the task's state refuses is said in Chinese too.
    wang.get("/inbox/lang/zh", params={"next": "/inbox"})
    assert wang.post(f"/inbox/tasks/{tid}/resolve", data={"outcome": "已安排"}).status_code == 200
    again = wang.post(f"/inbox/tasks/{tid}/resolve", data={"outcome": "已安排"})
    assert again.status_code == 409 and "该任务已办结，不能再办理此项" in again.text


def test_a_chinese_township_round_trips_through_the_township_filter(inbox):
    browser, task, app, tokens = inbox
    li = browser("li")
    overview = li.get("/inbox").text
    encoded = quote(JINLONG)
    assert f'href="/inbox/tasks?township={encoded}"' in overview  # percent-encoded UTF-8
    page = li.get(f"/inbox/tasks?township={encoded}")
    assert page.status_code == 200 and parse_qs(urlsplit(str(page.url)).query) == {
        "township": [JINLONG]
    }
    assert f"帮扶任务 · {JINLONG}" in page.text
    assert "H-1" in page.text and "H-2" not in page.text
    # The tabs, the way back from a task and the language switch keep the filter.
    closed = next(h for h in links(page.text) if "closed=true" in h)
    assert parse_qs(urlsplit(closed).query)["township"] == [JINLONG]
    assert "H-1" not in li.get(closed).text
    back = links(li.get(f"/inbox/tasks/{task['H-1'].task_id}").text)
    assert f"/inbox/tasks?township={encoded}" in back
    switch = next(h for h in links(page.text) if h.startswith("/inbox/lang/en"))
    english = li.get(switch)
    assert parse_qs(urlsplit(str(english.url)).query) == {"township": [JINLONG]}
    assert f"Help tasks · {JINLONG}" in english.text and "H-2" not in english.text
    # Township staff land on their cases; the bar's link to their tasks names
    # their own township in its characters.
    wang = browser("wang")
    landing = wang.get("/inbox")
    assert landing.url.path == "/inbox/cases"
    assert f'href="/inbox/tasks?township={encoded}"' in landing.text
    mine = wang.get(f"/inbox/tasks?township={encoded}")
    assert parse_qs(urlsplit(str(mine.url)).query) == {"township": [JINLONG]}
    assert f"帮扶任务 · {JINLONG}" in mine.text
    # The API's filter, a query parameter like the inbox's.
    api = TestClient(app)
    body = api.get("/tasks", params={"township": JINLONG}, headers=bearer(tokens["li"])).json()
    assert [(t["household_id"], t["township"]) for t in body["items"]] == [("H-1", JINLONG)]
    mine = api.get(f"/tasks?township={encoded}", headers=bearer(tokens["wang"]))
    assert mine.status_code == 200 and mine.json()["total"] == 1
    theirs = api.get("/tasks", params={"township": LINGBEI}, headers=bearer(tokens["wang"]))
    assert theirs.status_code == 403
    # A township's name as a metric label.
    metrics = api.get("/metrics", headers=bearer(tokens["ops"])).text
    assert f'povwatch_tasks_open{{status="open",township="{JINLONG}"}} 1.0' in metrics


def test_the_task_lists_and_the_overview_say_nothing_in_english(inbox):
    browser, task, _, _ = inbox
    li, wang = browser("li"), browser("wang")
    pages = [
        li.get("/inbox").text,
        li.get("/inbox/tasks").text,
        li.get("/inbox/tasks", params={"township": JINLONG, "closed": "true"}).text,
        wang.get("/inbox/tasks").text,
        li.get("/inbox/tasks/00000000-0000-0000-0000-000000000000").text,
    ]
    for page in pages:
        words = set(re.findall(r"[A-Za-z]+", main_text(page)))
        assert words <= {"H"}, words  # the household codes (H-1) are references


def test_every_rule_has_its_title_and_source_in_chinese():
    with (LOCALE / "zh/LC_MESSAGES/messages.po").open("rb") as f:
        chinese = {m.id: m.string for m in read_po(f) if m.id}
    for rule in load_rules(None).rules:
        for key in (f"rule.{rule.id}", f"source.rule.{rule.id}"):
            assert re.search(r"[\u4e00-\u9fff]", chinese.get(key) or ""), key
