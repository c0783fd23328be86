"""The county office's what-if page as a browser without script sees it, on
both stores: a bad upload refused with its reason in Chinese (size, text,
the loader's line and field, a date, a policy not in force), a run followed
by refreshing until its table and workbook, and the 403s. (The same in real
Chromium over a county's feeds: tests/test_browser_whatif.py.)"""

from __future__ import annotations

import re
import time
from io import BytesIO

from openpyxl import load_workbook

from services.alerts.inbox.whatifpages import FILE_LIMIT
from tests.test_alerts import clock, world  # noqa: F401
from tests.test_inbox import inbox  # noqa: F401
from tests.test_whatif_domain import IN_FORCE, raised


def post(client, policy: bytes | None, on: str = "2026-06-01", rules: bytes | None = None):
    files = {}
    if policy is not None:
        files["policy"] = ("new.toml", policy, "text/plain")
    if rules is not None:
        files["rules"] = ("new.yaml", rules, "text/plain")
    return client.post("/inbox/whatif", data={"on": on}, files=files, follow_redirects=False)


def test_a_bad_upload_is_refused_with_its_reason(inbox):  # noqa: F811
    browser, _, _ = inbox
    li = browser("li")
    page = li.get("/inbox/whatif")
    assert page.status_code == 200 and "拟议政策文件（TOML）" in page.text
    assert 'http-equiv="refresh"' not in page.text
    r = post(li, b"#" * (FILE_LIMIT + 1))
    assert r.status_code == 413 and "上传的文件过大：每个文件不超过 64 KB。" in r.text
    r = post(li, "政策".encode("gbk"))
    assert r.status_code == 422 and "政策文件不是 UTF-8 编码的文本文件。" in r.text
    r = post(li, None)
    assert r.status_code == 422 and "请选择拟议政策文件。" in r.text
    r = post(li, raised("9000").encode(), on="June")
    assert r.status_code == 422 and "评估日期应为年-月-日格式" in r.text
    r = post(li, raised("9000").encode(), on="2019-06-01")
    assert r.status_code == 422 and "没有生效的条目" in r.text
    bad = IN_FORCE.replace("loan_overdue_high_days = 90", "loan_overdue_high_days = 9.5")
    r = post(li, bad.encode())
    line = bad.splitlines().index("loan_overdue_high_days = 9.5") + 1
    assert r.status_code == 422 and "政策文件有误，未运行测算。" in r.text
    assert f"第 {line} 行" in r.text and "字段 loan_overdue_high_days" in r.text
    r = post(li, raised("9000").encode(), rules=b"rules:\n  - id: x\n    cards: [purple]\n")
    assert r.status_code == 422 and "规则文件有误，未运行测算。" in r.text
    assert "第 3 行" in r.text and "字段 rules.0.cards.0" in r.text


def test_a_run_is_followed_to_its_table_and_workbook(inbox):  # noqa: F811
    browser, _, _ = inbox
    li = browser("li")
    r = post(li, raised("9500", band="12000").encode())
    assert r.status_code == 303
    where = r.headers["location"]
    deadline = time.monotonic() + 60
    page = li.get(where)
    while 'http-equiv="refresh"' in page.text and time.monotonic() < deadline:
        assert "本页会自动刷新" in page.text
        time.sleep(0.5)
        page = li.get(where)
    assert 'id="outcome"' in page.text, page.text
    # H-1 (9,000 yuan a person over 3 people a year: 3,000) stays below both
    # lines; H-2 (500) too: nothing changes level, both stay leads.
    assert re.search(r"共评估 2 户；0 户有变化", page.text)
    book = load_workbook(BytesIO(li.get(where + "/changes.xlsx").content), read_only=True)
    assert [r[0] for r in book["变化农户"].iter_rows(values_only=True)] == ["户编号"]
    summary = list(book["乡镇汇总"].iter_rows(values_only=True))
    assert summary[-1][:3] == ("合计", 2, 0)
    assert "new.toml" in li.get("/inbox/whatif").text  # listed among the recent runs

    zhou = browser("zhou")  # township staff: not theirs
    assert zhou.get("/inbox/whatif").status_code == 403
    assert zhou.get(where).status_code == 403
    # Nor the operators': the run's table, its workbook (each household that
    # changes) and a new run of their own are refused.
    ops = browser("ops")
    for path in ("/inbox/whatif", where, where + "/changes.xlsx"):
        r = ops.get(path)
        assert r.status_code == 403 and "户编号" not in r.text, path
    assert post(ops, raised("9000").encode()).status_code == 403
    assert "new.toml" not in ops.get("/inbox/whatif").text
    assert zhou.get(where + "/changes.xlsx").status_code == 403
    assert post(zhou, raised("9000").encode()).status_code == 403
