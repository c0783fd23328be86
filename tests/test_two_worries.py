"""两不愁 where it can be checked: the home verification records 不愁吃 and
不愁穿, and the county's table of the standard (the overview page, the
monthly report's figures) counts the households whose latest verification
found one not met; a later verification finding them met takes the
household out. On a store of each kind, with a view made before the
columns."""

# ruff: noqa: F811 (the fixtures imported are the tests' arguments)
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from domain.access import Role
from domain.task_input import TaskInputError
from domain.twoworries import bits, unmet, visit_hardship
from services.alerts.bootstrap import open_case_views
from services.cases.twoworries import unmet_by_township
from tests.test_alerts import clock, registered, world  # noqa: F401 (fixtures)
from tests.test_cases import T, V, ok, one_case, people, signed, verification  # noqa: F401
from tests.test_standard import _qualified


def test_a_finding_not_met_names_the_hardship_and_a_contradiction_is_refused():
    assert visit_hardship(["illness"], False, True) == ["illness", "food_clothing"]
    assert visit_hardship([], True, True) == []
    with pytest.raises(TaskInputError) as refused:
        visit_hardship(["food_clothing"], True, True)
    assert refused.value.field == "hardship"
    # Each finding on its own; a record naming only the hardship (stored
    # before the findings were) reads 吃、穿有困难 as those it did not record.
    assert unmet({"hardship": ["food_clothing"], "food_met": True, "clothing_met": False}) == (
        "clothing",
    )
    assert unmet({"hardship": ["food_clothing"]}) == ("food", "clothing")
    assert unmet({"hardship": ["food_clothing"], "food_met": True}) == ("clothing",)
    assert unmet({"hardship": [], "food_met": None, "clothing_met": True}) == ()
    assert bits(None) == 0 and bits({"hardship": []}) == 0b100
    assert bits({"food_met": False, "clothing_met": True}) == 0b101


def _inbox(service, app, name, role, **area):
    client = TestClient(app, follow_redirects=True)
    token = service.accounts.issue(name, role, "test", **area)
    assert client.post("/inbox/signin", data={"token": token}).status_code == 200
    return client


def _standard_row(office, township=T):
    page = office.get("/inbox/cases/overview")
    assert page.status_code == 200, page.text
    table = page.text.split('id="standard-townships"')[1].split("</table>")[0]
    assert "不愁吃未达到（入户核实）" in table and "不愁穿未达到（入户核实）" in table
    row = table.split(f"<td>{township}</td>")[1].split("</tr>")[0]
    return {
        f: int(row.split(f'<td class="num visit-{f}">')[1].split("<")[0])
        for f in ("food", "clothing")
    }


def _report_figures(service, county):
    service.parts.report_job.recompute("2026-06")
    report = ok(county.get("/reports/monthly/2026-06"))
    figures = next(s for s in report["sections"] if s["key"] == "standard")["figures"]
    return figures["visit_food_unmet"], figures["visit_clothing_unmet"]


def _demo_table(service):
    from synthetic import cli as demo

    with demo.console.capture() as shown:
        demo._print_standard(service.parts.risk, service.case_list)
    lines = [line for line in shown.get().splitlines() if "whole county" in line]
    return [cell.strip() for cell in lines[0].strip("│ ").split("│")]


def test_food_not_met_at_the_visit_counts_until_a_later_visit_finds_it_met(world, people, clock):
    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00", members=1, labour=1))
    cid = one_case(service).case_id
    app = service.web_app()
    li = _inbox(service, app, "li-form", Role.VILLAGE, township=T, village=V)
    office = _inbox(service, app, "office", Role.COUNTY)
    assert _standard_row(office) == {"food": 0, "clothing": 0}

    # The village worker's form: food found not met, clothing met.
    form = {
        "visited_on": clock.now.date().isoformat(), "members": "1", "labour_capable": "1",
        "income_estimate_yuan": "7000", "hardship": ["income_below_line"], "consent": "yes",
        "food_unmet": "yes",
    }  # fmt: skip
    page = li.post(f"/inbox/cases/{cid}/verification", data=form)
    assert page.status_code == 200 and "不愁吃" in page.text
    case = ok(people["county"].get(f"/cases/{cid}"))
    visit = case["records"]["verify"]
    assert (visit["food_met"], visit["clothing_met"]) == (False, True)
    assert "food_clothing" in visit["hardship"]  # 两不愁 fails, for every rule reading it
    service.catch_up()
    assert _standard_row(office) == {"food": 1, "clothing": 0}
    assert _report_figures(service, people["county"]) == (1, 0)
    assert _demo_table(service)[-2:] == ["1", "0"]  # the county's row, as the demo prints it
    # The county's table is the county's: township staff are refused it.
    wang = _inbox(service, app, "wang-form", Role.STAFF, township=T)
    assert wang.get("/inbox/cases/overview").status_code == 403

    # The township returns the case to verification; the new visit finds both met.
    today = clock.now.date()
    ok(people["li"].post(f"/cases/{cid}/authorisation", json=signed(today)))
    ok(people["county"].post(f"/cases/{cid}/crosscheck", json={"matches": True}))
    review = {"held_on": today.isoformat(), "attendees": 9, "agreed": False, "note": "需复核"}
    ok(people["li"].post(f"/cases/{cid}/village-review", json=review))
    ok(people["chen"].post(
        f"/cases/{cid}/township-review",
        json={"approve": False, "return_to": "verify", "reason": "吃穿情况需重新核实"},
    ))  # fmt: skip
    again = {**verification(today), "food_met": True, "clothing_met": True}
    ok(people["li"].post(f"/cases/{cid}/verification", json=again))
    service.catch_up()
    assert _standard_row(office) == {"food": 0, "clothing": 0}
    assert _report_figures(service, people["county"]) == (0, 0)


def test_the_household_counts_by_its_latest_case_verified(world, people, clock):
    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00", members=1, labour=1))
    cid = one_case(service).case_id
    found = {**verification(clock.now.date()), "food_met": False, "clothing_met": False}
    ok(people["li"].post(f"/cases/{cid}/verification", json=found))
    service.catch_up()
    view = service.case_list
    first = view.get(cid)
    assert unmet_by_township(view) == {T: {"food": 1, "clothing": 1}}
    # A later case (the household's next number) not yet verified leaves the
    # first case's findings standing; once verified with both met, it counts none.
    later = first.model_copy(update={"case_id": "later", "number": 2, "records": {}})
    view.save([later], None)
    assert unmet_by_township(view) == {T: {"food": 1, "clothing": 1}}
    met = {"verify": {**first.records["verify"], "food_met": True, "clothing_met": True}}
    view.save([later.model_copy(update={"records": met})], None)
    assert unmet_by_township(view) == {T: {"food": 0, "clothing": 0}}


def test_a_cases_view_made_before_the_columns_opens_and_counts(
    world, people, clock, store_settings
):
    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00", members=1, labour=1))
    cid = one_case(service).case_id
    found = {**verification(clock.now.date()), "food_met": False, "clothing_met": True}
    ok(people["li"].post(f"/cases/{cid}/verification", json=found))
    service.catch_up()
    view = service.case_list
    table = _qualified(store_settings, view.table.name)
    with view.datastore.transaction(commit=True) as c:
        for column in ("two_worries", "number"):
            c.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    old, monitoring = open_case_views(store_settings)
    try:
        # Opened, it fills the columns from the cases' documents: a case
        # verified (or closed) before them counts; the lists read as before.
        assert unmet_by_township(old) == {T: {"food": 1, "clothing": 0}}
        assert old.search(limit=5).total == 1 and old.get(cid).records["verify"]
        old.save([old.get(cid)], None)
        assert unmet_by_township(old) == {T: {"food": 1, "clothing": 0}}
    finally:
        old.datastore.close()
        monitoring.datastore.close()
