"""The demo's walk (synthetic/walkthrough.py) on a real store of each kind:
one lead to a monitoring object, then its 自然消除 clearance, each step by the
role the procedure gives it."""

from __future__ import annotations

from pathlib import Path

from domain.cases import Case
from tests.test_alerts import clock, registered, world  # noqa: F401 (fixtures)
from tests.test_notice import _text


def test_the_demo_walks_a_lead_to_a_natural_clearance(world, store_settings, tmp_path):  # noqa: F811
    from synthetic.walkthrough import demo_people, walk

    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00", members=1, labour=1))
    (case,) = service.case_list.search(limit=5).items
    people = demo_people(service, case.township or "", case.village or "")
    settings = store_settings
    if settings.store == "postgres":  # the notices' folder, beside no SQLite store
        settings = settings.model_copy(update={"sqlite_dir": tmp_path})
    walk(settings, service, case.case_id, {k: p for k, (_, _, p) in people.items()})

    record = service.cases.record("H")
    assert record is not None and record.status == "cleared" and record.cases_opened == 2
    first, second = (service.cases.case(Case.create_id("H", n)) for n in (1, 2))
    assert first.outcome == "monitored" and first.category == "unstable"
    by = {h["what"]: (h["by"], h["role"]) for h in first.history}
    assert by["authorised"] == ("demo-village", "village")
    assert by["cross-checked"] == ("demo-county", "county")
    assert (second.kind, second.clearance_kind, second.outcome) == (
        "clearance",
        "natural",
        "cleared",
    )
    notice = _text((Path(settings.sqlite_dir) / f"notice-{second.id}.pdf").read_bytes())
    assert "拟标注风险消除公示" in notice and "自然消除" in notice
