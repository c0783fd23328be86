"""The head of household's name, for the village notice villagers can read:
the registry sends it with the registration, the monitor seals it at ingest
and stores it nowhere else, and the printed notice shows it with the
household's size and where objections go. Through the real broker, on a
store of each kind; the PDF is read back with pypdf."""

from __future__ import annotations

import io
import logging
import re
import sqlite3
from datetime import date, timedelta

import psycopg
from pypdf import PdfReader

from services.cases.notice import notice_pdf, printed
from services.households.names import open_names
from services.infra.procedurefile import load_procedure
from services.monitor.bootstrap import open_monitor
from services.presentation.fonts import find_font
from synthetic.sample import Builder
from tests.conftest import _postgres_dsn
from tests.helpers import publish, wait_for
from tests.test_alerts import clock, registered, world  # noqa: F401 (fixtures)
from tests.test_notice import HEALTH_WORDS, ID_NUMBER, LONG_DIGITS, _notice

TODAY = date(2026, 6, 30)
NAME = "王建国"


def _stored_text(settings) -> str:
    """Everything the store holds, as text (every table of every file or of
    the test's schema): where a name in clear would be found."""
    if settings.store == "sqlite":
        out = []
        for db in sorted(settings.sqlite_dir.glob("*.db")):
            raw = db.read_bytes()
            out.append(raw.decode("utf-8", "replace"))
            with sqlite3.connect(db) as conn:
                for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'"):
                    for row in conn.execute(f'SELECT * FROM "{table}"'):
                        out.append(" ".join(_text(v) for v in row))
        return "\n".join(out)
    out = []
    with psycopg.connect(_postgres_dsn(settings)) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (settings.postgres_schema,),
        ).fetchall()
        for (table,) in tables:
            for row in conn.execute(f'SELECT * FROM "{settings.postgres_schema}"."{table}"'):
                out.append(" ".join(_text(v) for v in row))
    return "\n".join(out)


def _text(value: object) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def test_the_name_is_sealed_at_ingest_and_printed_on_the_notice(settings, caplog):
    caplog.set_level(logging.DEBUG)
    b = Builder("hn")
    with open_monitor(settings, today=lambda: TODAY) as monitor:
        publish(
            settings,
            b.register(
                "H-1",
                TODAY - timedelta(days=200),
                "yellow",
                members=3,
                head_name=NAME,
                township="金龙镇",
                village="石塘村",
            ),
            b.register("H-2", TODAY - timedelta(days=200), "blue", members=2),
        )
        wait_for(lambda: monitor.view.get("H-1") and monitor.view.get("H-2"), what="statuses")
    names = open_names(settings)
    try:
        assert names.name("H-1") == NAME and names.name("H-2") is None
        # Nowhere in the store in clear: not in the event, the view, the table.
        assert NAME not in _stored_text(settings)
        assert NAME not in caplog.text
        from services.households.statusview import open_view

        risk = open_view(settings)
        rule = load_procedure(None).notice.model_copy(
            update={"offices": {"金龙镇": "0730-5712345"}}
        )
        notice = printed(_notice(household_id="H-1"), names, risk, rule)
        risk.datastore.close()
    finally:
        names.close()
    assert (notice.head_name, notice.members, notice.office_phone) == (NAME, 3, "0730-5712345")
    pdf = notice_pdf(notice, find_font(settings.pdf_font))
    text = re.sub(
        r"[\s\x00]+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    )
    assert "拟纳入防止返贫监测对象公示" in text and NAME in text and "3人" in text
    assert "入户核实、信息比对、民主评议" in text and "边缘易致贫户" in text
    assert "0730-5712345" in text and "12317" in text
    # No English, no case id, no code, no sentence about privacy.
    assert not re.search(r"[A-Za-z]", text) and "隐私" not in text
    for pattern in (LONG_DIGITS, ID_NUMBER, HEALTH_WORDS):
        assert not pattern.search(text)


def test_a_name_with_digits_is_refused_as_the_contract_says(broker_settings):
    from schemas.events import parse_event
    from synthetic.sample import encode

    b = Builder("hn")
    _, good = encode(b.register("H-3", TODAY, "yellow", head_name="李秀英"))
    assert parse_event(good).data.head_name == "李秀英"
    assert "head_name" not in parse_event(good).data.model_dump()  # never in a stored fact
    _, bad = encode(b.register("H-4", TODAY, "yellow", head_name="李13812345678"))
    import pytest

    from schemas.events import Rejection

    with pytest.raises(Rejection) as refused:
        parse_event(bad)
    assert "head_name" in str(refused.value.as_dict())


def test_the_announcement_and_the_townships_own_pages_name_the_head(world, clock, caplog):  # noqa: F811
    """Two households decided: the announcement names the one the registry
    named, with both sizes; the household's own township's staff and
    reviewer see the name on its case, monitoring and household pages,
    village staff, the county, another township's staff see none, and no
    list, ledger or store holds it."""
    from fastapi.testclient import TestClient
    from openpyxl import load_workbook

    from domain.access import Role
    from services.cases.announcement import NO_NAME
    from tests.helpers import bearer
    from tests.test_cases import T, V, ok, through_notice
    from tests.test_notice import _text

    caplog.set_level(logging.DEBUG)
    service, w = world
    w.send(
        *registered(w, "H", "yellow", "7000.00", members=3, labour=1),
        *registered(w, "H2", "yellow", "7000.00", members=2, labour=1),
    )
    service.parts.names.keep({"H": (T, NAME)})
    app = service.web_app()
    accounts = {
        "li": (Role.VILLAGE, T, V), "wang": (Role.STAFF, T, None),
        "chen": (Role.REVIEWER, T, None), "he": (Role.STAFF, "Dongtang", None),
        "zhou": (Role.APPROVER, None, None), "county": (Role.COUNTY, None, None),
    }  # fmt: skip
    people = {}
    for who, (role, township, village) in accounts.items():
        token = service.accounts.issue(who, role, "test", township=township, village=village)
        people[who] = TestClient(app, headers=bearer(token))  # the API and, signed in, the inbox
        assert people[who].post("/inbox/signin", data={"token": token}).status_code == 200
    service.catch_up()
    cases = {c.household_id: c.case_id for c in service.case_list.search(limit=10).items}
    assert set(cases) == {"H", "H2"}
    for cid in cases.values():
        through_notice(service, people, clock, cid)
        ok(people["chen"].post(f"/cases/{cid}/township-review", json={"approve": True}))
        decision = {"approve": True, "category": "unstable"}
        ok(people["zhou"].post(f"/cases/{cid}/decision", json=decision))
    service.catch_up()

    # The announcement: the head's name and the size; no code, no case id.
    query = {"township": T, "village": V}
    for path in ("/announcements.pdf", "/inbox/announcements.pdf"):
        response = people["li"].get(path, params=query)
        assert response.status_code == 200, (path, response.status_code)
        text = _text(response.content)
        assert f"{NAME}3人脱贫不稳定户" in text and f"{NO_NAME}2人脱贫不稳定户" in text
        assert "H2" not in text and not any(str(c)[:8] in text for c in cases.values())
        for pattern in (LONG_DIGITS, ID_NUMBER, HEALTH_WORDS):
            assert not pattern.search(text)

    # One household's own pages: its township's staff and reviewer only.
    pages = (f"/inbox/cases/{cases['H']}", "/inbox/monitoring/H", "/inbox/households/H")
    for who in ("wang", "chen"):
        for path in pages:
            page = people[who].get(path)
            assert page.status_code == 200 and "户主姓名" in page.text and NAME in page.text, path
    for who in ("li", "zhou", "county"):
        for path in pages:
            page = people[who].get(path)
            assert NAME not in page.text and 'id="head-name"' not in page.text, (who, path)
    for path in pages:  # another township's staff: refused, as for any household not theirs
        assert people["he"].get(path).status_code == 403, path
    unnamed = people["wang"].get(f"/inbox/cases/{cases['H2']}").text
    assert 'id="head-name"' not in unnamed

    # Never in a list, an API answer, a ledger or the store.
    lists = ["/inbox", "/inbox/cases", "/inbox/tasks", "/inbox/ledgers", "/cases", "/tasks"]
    lists += ["/monitoring", f"/cases/{cases['H']}", "/monitoring/H", f"/cases/{cases['H']}/notice"]
    for path in lists:
        response = people["wang"].get(path)
        assert response.status_code == 200 and NAME not in response.text, path
    for path in ("/inbox/cases/overview", "/cases/overview"):
        assert NAME not in people["county"].get(path).text, path
    for kind in ("monitoring", "cases", "cleared", "tasks"):
        workbook = load_workbook(io.BytesIO(people["wang"].get(f"/ledgers/{kind}.xlsx").content))
        cells = [
            str(v) for sheet in workbook for row in sheet.iter_rows(values_only=True) for v in row
        ]
        assert cells and not any(NAME in c for c in cells), kind
    assert NAME not in _stored_text(service.settings) and NAME not in caplog.text
