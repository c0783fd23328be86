"""The synthetic county: deterministic, valid, and shaped like a county."""

from __future__ import annotations

from collections import Counter

from typer.testing import CliRunner

from schemas.events import parse_event
from synthetic.cli import app
from synthetic.county import TOWNSHIPS, Rates, encode, make_county, messages, village_name


def test_same_seed_same_county_and_every_message_valid():
    a = [encode(m)[1] for m in messages(make_county(300, seed=4, months=3))]
    b = [encode(m)[1] for m in messages(make_county(300, seed=4, months=3))]
    c = [encode(m)[1] for m in messages(make_county(300, seed=5, months=3))]
    assert a == b and a != c
    for raw in a:
        parse_event(raw)  # raises on any invalid message
    assert len({parse_event(raw).event_id for raw in a}) == len(a)


def test_places_are_named_in_chinese_and_households_by_ascii_codes():
    county = make_county(14 * 300 * 3, seed=1, months=1)
    places = county.villages
    assert {t for t, _ in places} == set(TOWNSHIPS) and "金龙镇" in TOWNSHIPS
    for township, village in places:
        assert village.endswith("社区" if township == "文星街道" else "村"), (township, village)
        assert all("\u4e00" <= c <= "\u9fff" for c in township + village)
    assert all(h.code.isascii() and h.code.isdigit() for h in county.households)
    # Each township's villages differ, however many it has.
    for township in TOWNSHIPS:
        assert len({village_name(township, k) for k in range(1_000)}) == 1_000
    assert village_name("文星街道", 0) == "石塘社区" and village_name("金龙镇", 400) == "白洲二村"
    # On the wire: UTF-8 JSON with the names as written.
    registered = next(m for m in messages(county) if m["type"] == "household.registered")
    key, value = encode(registered)
    assert key.isascii() and registered["data"]["township"].encode() in value
    assert parse_event(value).data.township == registered["data"]["township"]


def test_card_mix_and_feeds_look_like_a_county():
    county = make_county(20_000, seed=1, months=2)
    cards = Counter(h.card for h in county.households)
    share = {k: v / len(county.households) for k, v in cards.items()}
    assert share["green"] > 0.8 and 0.03 < share["yellow"] < 0.06 and 0.005 < share["red"] < 0.02
    assert 0.01 < share[None] < 0.03  # unknown to the registry
    kinds = Counter(m["type"] for m in messages(county))
    registered = len(county.households) - cards[None]
    assert kinds["household.registered"] == registered
    assert kinds["income.reported"] == 2 * registered  # monthly
    for kind in ("illness.reported", "loan.issued", "loan.repaid", "employment.changed"):
        assert kinds[kind] > 0, kind


def test_last_year_income_gives_a_short_run_a_full_year():
    county = make_county(2_000, seed=3, months=2)
    plain = [m for m in messages(county) if m["type"] == "income.reported"]
    county = make_county(2_000, seed=3, months=2)
    full = [m for m in messages(county, last_year_income=True) if m["type"] == "income.reported"]
    yearly = [m for m in full if m["data"]["period_start"] == "2025-01-01"]
    assert len(full) == len(plain) + len(yearly) and len(yearly) > 1_900
    assert all(m["data"]["period_end"] == "2025-12-31" for m in yearly)


def test_a_flood_hits_a_whole_village_at_once():
    county = make_county(600, seed=2, months=1, per_village=100)
    floods = [
        m
        for m in messages(county, Rates(village_flood=0.5, accident=0))
        if m["type"] == "disaster.reported"
    ]
    by_household = {h.code: (h.township, h.village) for h in county.households}
    hit = Counter(by_household[m["household_id"]] for m in floods)
    sizes = Counter(by_household.values())
    assert hit and all(hit[v] == sizes[v] for v in hit)


def test_generate_command_writes_jsonl(tmp_path):
    out = tmp_path / "county.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "generate",
            "--households",
            "50",
            "--months",
            "2",
            "--start",
            "2026-01-01",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert len(lines) > 100 and f"{len(lines):,} messages" in result.output
    assert CliRunner().invoke(app, ["generate"]).exit_code == 2  # neither --out nor --publish
