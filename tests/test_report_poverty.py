"""The monthly report's 返贫 and 致贫 counts, through the real chain (the
registry's messages, the monitor's projection, the report's job) on a store
of each kind: a card turned red in the month counts once, per township, by
what the card was before."""

# ruff: noqa: F811 (the fixtures imported are the tests' arguments)
from __future__ import annotations

from datetime import date
from io import BytesIO

from pypdf import PdfReader

from tests.test_alerts import clock, registered, world  # noqa: F401 (fixtures)
from tests.test_cases import ok, people  # noqa: F401 (fixtures)
from tests.test_report import section, table


def changed(w, hid, on, card):
    return w.b.event("household.card_changed", hid, on, {"card": card, "reason": "核实"})


def test_households_that_fell_back_or_newly_into_poverty_in_the_month(world, people, clock):
    service, w = world
    w.send(
        *registered(w, "P1", "green", "20000.00"),  # Jinlong
        changed(w, "P1", date(2026, 6, 10), "red"),  # 返贫 in June
        *registered(w, "P2", "yellow", "20000.00"),
        changed(w, "P2", date(2026, 5, 20), "red"),  # 返贫, but in May
        *registered(w, "P3", "blue", "20000.00", township="Dongtang", village="Hexi"),
        changed(w, "P3", date(2026, 6, 15), "red"),  # 致贫: a marginal household
        # 致贫: a household the registry did not know, registered red in June.
        w.b.register("P4", date(2026, 6, 20), "red", township="Dongtang", village="Hexi"),
        *registered(w, "P5", "green", "20000.00"),
        changed(w, "P5", date(2026, 6, 12), "yellow"),  # no card turned red
        *registered(w, "P6", "red", "20000.00"),  # red since last year: neither
    )
    service.catch_up()
    clock.now = clock.now.replace(month=7, day=1, hour=4)
    assert service.run_job("monthly_report") == 2
    county = people["county"]

    june = ok(county.get("/reports/monthly/2026-06"))
    figures = section(june, "poverty_changes")["figures"]
    assert (figures["returned"], figures["newly_poor"]) == (1, 2)
    assert table(june, "poverty_changes")["columns"] == ["乡镇", "返贫（户）", "致贫（户）"]
    assert table(june, "poverty_changes")["rows"] == [
        ["Dongtang", 0, 2], ["Jinlong", 1, 0], ["全县合计", 1, 2],
    ]  # fmt: skip
    text = "".join(
        p.extract_text()
        for p in PdfReader(BytesIO(county.get("/reports/monthly/2026-06.pdf").content)).pages
    )
    assert "返贫与致贫" in text and "致贫（户）" in text

    july = ok(county.get("/reports/monthly/2026-07"))
    assert section(july, "poverty_changes")["figures"] == {
        "returned": 0, "newly_poor": 0, "by_township": [],
    }  # fmt: skip
