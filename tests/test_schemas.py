from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from schemas import generate
from schemas.events import EVENT_MODELS, Rejection, parse_event
from synthetic.sample import Builder

ON = date(2026, 3, 1)


def every_type() -> list[dict]:
    b = Builder("s")
    return [
        b.register("H", ON, "yellow", flags=["relocated", "dibao"]),
        b.event("household.card_changed", "H", ON, {"card": "green", "reason": "stable income"}),
        b.income("H", ON, "1234.56", ON - timedelta(days=30), ON),
        b.illness("H", ON, "9000", "7650.00", severity="chronic"),
        b.disaster("H", ON, "0", damage="none", kind="drought"),
        b.employment("H", ON, "p-2", "employed", job_kind="public_welfare_post"),
        b.loan("H", ON, "L1", "50000", ON + timedelta(days=365)),
        b.event("loan.repaid", "H", ON, {"loan_id": "L1", "amount_yuan": "100.5"}),
        b.overdue("H", ON, "L1", 31, "49899.50"),
        b.schooling("H", ON, "c-1", "dropped_out", reason="poverty"),
        b.insurance("H", ON, "p-2", "lapsed"),
        b.housing("H", ON, "C"),
        b.water("H", ON, ["quality", "access"], supply="dispersed"),
        b.assistance("H", ON, "disability_living", "granted", "65", person="p-3"),
        b.members("H", ON, "move_out", "p-4", effective=ON + timedelta(days=1), able=True),
    ]


def test_every_type_is_accepted():
    messages = every_type()
    assert {m["type"] for m in messages} == set(EVENT_MODELS)
    for m in messages:
        ev = parse_event(json.dumps(m))
        assert ev.type == m["type"]


def test_data_hands_the_household_plain_values():
    # The consumer passes dict(ev.data) to the household (no deep copy): a
    # nested model would reach the store as an object it cannot encode.
    from pydantic import BaseModel

    for m in every_type():
        ev = parse_event(json.dumps(m))
        data = dict(ev.data)
        # The head's name is taken out at ingest and never dumped (sealed apart).
        assert data.pop("head_name", None) is None or m["type"] == "household.registered"
        assert data == ev.data.model_dump()
        assert not any(isinstance(v, BaseModel) for v in data.values()), m["type"]


def test_money_is_exact():
    m = every_type()[2]
    m["data"]["amount_yuan"] = 0.1  # a JSON number, not a string
    ev = parse_event(json.dumps(m))
    assert str(ev.data.amount_yuan) == "0.1"


def mutate(index: int, path: str, value) -> bytes:
    m = every_type()[index]
    target = m
    *parents, last = path.split(".")
    for p in parents:
        target = target[p]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return json.dumps(m).encode()


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (mutate(0, "data.members", 0), "data.members"),
        (mutate(0, "data.labour_capable", 5), "data"),  # more than members
        (mutate(0, "data.card", "purple"), "data.card"),
        (mutate(0, "data.flags", ["rich"]), "data.flags.0"),
        (mutate(2, "data.amount_yuan", "-1"), "data.amount_yuan"),
        (mutate(2, "data.amount_yuan", "1.234"), "data.amount_yuan"),
        (mutate(2, "data.amount_yuan", "NaN"), "data.amount_yuan"),
        (mutate(2, "data.period_end", "2020-01-01"), "data"),  # before period_start
        (mutate(2, "data.kind", "lottery"), "data.kind"),
        (mutate(3, "data.reimbursed_yuan", "9000.01"), "data"),
        (mutate(3, "data.person_ref", "430624199001011234"), "data.person_ref"),
        (mutate(3, "data.person_ref", "13912345678"), "data.person_ref"),
        (mutate(3, "data.in_county", "yes"), "data.in_county"),
        (mutate(3, "data.referred", True), "data"),  # a referral is for a stay outside
        (mutate(3, "data.referred", "yes"), "data.referred"),
        (mutate(4, "data.housing_damage", "B"), "data.housing_damage"),
        (mutate(5, "data.status", "retired"), "data.status"),
        (mutate(6, "data.principal_yuan", "0"), "data.principal_yuan"),
        (mutate(8, "data.days_overdue", 0), "data.days_overdue"),
        (mutate(0, "occurred_at", "2026-03-01T09:00:00"), "occurred_at"),  # no offset
        (mutate(0, "occurred_at", "1899-03-01T09:00:00+08:00"), "occurred_at"),
        (mutate(0, "schema_version", 2), "schema_version"),
        (mutate(0, "household_id", KeyError), "household_id"),
        (mutate(0, "data.township", "Jin\x00long"), "data.township"),
        (mutate(2, "data.bonus", 1), "data.bonus"),
        (mutate(0, "type", "household.moved"), "type"),
        # The standard's departments: each rule names its field.
        (mutate(9, "data.status", "expelled"), "data.status"),
        (mutate(9, "data.reason", KeyError), "data"),  # a dropout gives its reason
        (mutate(9, "data.stage", "senior_secondary"), "data.stage"),  # not compulsory
        (mutate(9, "data.person_ref", "430624201001011234"), "data.person_ref"),
        (mutate(10, "data.status", "pending"), "data.status"),
        (mutate(10, "data.year", "2026"), "data.year"),
        (mutate(10, "data.year", 1999), "data.year"),
        (mutate(11, "data.rating", "E"), "data.rating"),
        (mutate(11, "data.rated_on", "2026-02-30"), "data.rated_on"),
        (mutate(12, "data.failing", []), "data"),  # not met, and nothing fails
        (mutate(12, "data.failing", ["taste"]), "data.failing.0"),
        (mutate(12, "data.failing", ["quality", "quality"]), "data"),
        (mutate(12, "data.meets_standard", "no"), "data.meets_standard"),
        (mutate(13, "data.scheme", "pension"), "data.scheme"),
        (mutate(13, "data.person_ref", KeyError), "data"),  # a disability subsidy names its member
        (mutate(13, "data.monthly_yuan", "0"), "data.monthly_yuan"),
        (mutate(13, "data.monthly_yuan", KeyError), "data"),  # granted without an amount
        (mutate(14, "data.change", "marriage"), "data.change"),
        (mutate(14, "data.effective_on", "2101-01-01"), "data.effective_on"),
        (mutate(14, "data.change", "birth"), "data"),  # a newborn able to work
    ],
)
def test_each_rule_rejects_naming_the_field(raw: bytes, field: str):
    with pytest.raises(Rejection) as caught:
        parse_event(raw)
    assert field in [e["field"] for e in caught.value.errors], caught.value.errors


def test_bad_bytes_are_rejected_as_bad_json():
    for raw in (b"\xff\xfe\x00", b"{", b"", b'{"a": 1,}'):
        with pytest.raises(Rejection) as caught:
            parse_event(raw)
        assert caught.value.code == "bad_json"


def test_digest_ignores_formatting_but_not_content():
    a = every_type()[2]
    a["data"]["amount_yuan"] = "1234.50"
    b = json.loads(json.dumps(a))
    b["data"] = dict(reversed(list(b["data"].items())))  # other key order
    b["data"]["amount_yuan"] = 1234.5  # a number, one digit fewer: the same amount
    assert parse_event(json.dumps(a)).digest() == parse_event(json.dumps(b, indent=2)).digest()
    b["data"]["amount_yuan"] = "1234.51"
    assert parse_event(json.dumps(a)).digest() != parse_event(json.dumps(b)).digest()


def test_json_schema_files_match_the_models():
    assert generate.stale() == []
