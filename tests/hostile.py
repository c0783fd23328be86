"""Hostile messages: each mutation turns a valid message into an invalid one
(every mutation below is invalid whatever the random draws)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import date
from typing import Any

from synthetic.county import make_county, messages
from synthetic.sample import Builder

Mutation = Callable[[dict[str, Any], random.Random], tuple[bytes | None, bytes]]


def _raw(m: dict[str, Any]) -> bytes:
    return json.dumps(m, ensure_ascii=False, allow_nan=True).encode()


def _key(m: dict[str, Any]) -> bytes:
    return str(m.get("household_id", "x")).encode()


def bad_utf8(m, rng):
    return _key(m), _raw(m)[: rng.randrange(5, 40)] + bytes(
        [rng.choice((0xFF, 0xFE, 0xC0, 0x80))]
    ) + b'"}'


def truncated_json(m, rng):
    raw = _raw(m)
    return _key(m), raw[: rng.randrange(1, len(raw) - 1)]


def wrong_type(m, rng):
    field = rng.choice(["event_id", "household_id", "occurred_at", "source", "data"])
    m[field] = rng.choice(
        [123, 4.5, True, None, [], ["x"]] + ([{"a": 1}] if field != "data" else [7])
    )
    return _key(m), _raw(m)


def nan_money(m, rng):
    money = [k for k in m["data"] if k.endswith("_yuan")]
    if not money:
        return wrong_type(m, rng)
    raw = _raw(m).replace(
        json.dumps(m["data"][money[0]]).encode(),
        rng.choice([b"NaN", b"Infinity", b"-Infinity", b'"NaN"', b'"Infinity"']),
        1,
    )
    return _key(m), raw


def absurd_money(m, rng):
    money = [k for k in m["data"] if k.endswith("_yuan")]
    if not money:
        return wrong_type(m, rng)
    m["data"][money[0]] = rng.choice(
        [
            f"-{rng.randrange(1, 10**9)}.{rng.randrange(1, 99):02d}",
            str(rng.randrange(10**10, 10**20)),
            "1.234",
            "12,50",
            "1e400",
        ]
    )
    return _key(m), _raw(m)


def far_dates(m, rng):
    year = rng.choice([rng.randrange(1, 1999), rng.randrange(2101, 9999)])
    m["occurred_at"] = f"{year:04d}-06-01T09:00:00+08:00"
    return _key(m), _raw(m)


def unknown_enum(m, rng):
    word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randrange(3, 12)))
    if rng.random() < 0.5:
        m["type"] = f"x{word}.reported"
    else:
        enums = {
            "card",
            "kind",
            "severity",
            "status",
            "housing_damage",
            "job_kind",
            "stage",
            "rating",
            "supply",
            "scheme",
            "change",
        } & set(m["data"])
        if not enums:
            m["type"] = f"x.{word}"
        else:
            m["data"][sorted(enums)[0]] = "x" + word
    return _key(m), _raw(m)


def control_chars(m, rng):
    text = {"township", "village", "reason"} & set(m["data"])
    char = chr(rng.choice(list(range(0, 32)) + [127]))
    if text:
        field = sorted(text)[0]
        m["data"][field] = m["data"][field][:3] + char + "x"
    else:
        m["household_id"] = m["household_id"][:4] + char
    return _key(m), _raw(m)


def oversized(m, rng):
    if rng.random() < 0.5:
        m["household_id"] = "H" * rng.randrange(65, 5000)
    else:
        m["data"]["note" if rng.random() < 0.5 else "township"] = "长" * rng.randrange(201, 3000)
    return _key(m), _raw(m)


def deep_nesting(m, rng):
    depth = rng.randrange(50, 3000)
    raw = _raw(m)[:-1] + b', "extra": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"
    return _key(m), raw


def key_mismatch(m, rng):
    return f"OTHER{rng.randrange(10**6)}".encode(), _raw(m)


def missing_field(m, rng):
    required = ["type", "household_id", "occurred_at", "data"] + [
        k
        for k in m["data"]
        if k not in ("flags", "chronic_disease", "job_kind", "monthly_wage_yuan")
        # defaults of the standard's messages: leaving one out is still valid
        and k not in ("failing", "able_to_work", "referred", "head_name")
    ]
    field = rng.choice(required)
    if field in m:
        del m[field]
    else:
        del m["data"][field]
    return _key(m), _raw(m)


def id_number_ref(m, rng):
    number = "".join(str(rng.randrange(10)) for _ in range(rng.choice((11, 15, 17, 18, 19))))
    m["type"], m["data"] = (
        "illness.reported",
        {
            "person_ref": rng.choice([number, number[:17] + "X", "p-" + number]),
            "severity": "major",
            "total_cost_yuan": "100.00",
            "reimbursed_yuan": "50.00",
            "in_county": True,
        },
    )
    return _key(m), _raw(m)


def number_in_text(m, rng):
    number = rng.choice(
        ["13812345678", "138 1234 5678", "6222 0212 3456 7890", "43062419900101123X"]
    )
    m["type"], m["data"] = "household.card_changed", {"card": "yellow", "reason": f"联系 {number}"}
    return _key(m), _raw(m)


_IMPOSSIBLE_STANDARD = [
    ("schooling.reported", {"person_ref": "c1", "status": "dropped_out", "stage": "primary"}),
    (
        "schooling.reported",
        {"person_ref": "c1", "status": "enrolled", "stage": "primary", "reason": "poverty"},
    ),
    ("water.checked", {"supply": "central", "meets_standard": False, "failing": []}),
    ("water.checked", {"supply": "central", "meets_standard": True, "failing": ["quality"]}),
    (
        "assistance.changed",
        {
            "scheme": "dibao",
            "status": "stopped",
            "effective_from": "2026-01-01",
            "monthly_yuan": "1",
        },
    ),
    (
        "assistance.changed",
        {
            "scheme": "dibao",
            "status": "granted",
            "effective_from": "2026-01-01",
            "monthly_yuan": "300",
            "person_ref": "p1",
        },
    ),
    (
        "household.members_changed",
        {"change": "birth", "person_ref": "n1", "effective_on": "2026-01-01", "able_to_work": True},
    ),
    (
        "illness.reported",
        {
            "person_ref": "p1",
            "severity": "major",
            "total_cost_yuan": "100.00",
            "reimbursed_yuan": "50.00",
            "in_county": True,
            "referred": False,
        },
    ),
]


def impossible(m, rng):
    if rng.random() < 0.4:
        m["type"], m["data"] = rng.choice(_IMPOSSIBLE_STANDARD)
        return _key(m), _raw(m)
    choice = rng.randrange(4)
    if choice == 0:
        m["type"], m["data"] = (
            "income.reported",
            {
                "amount_yuan": "10.00",
                "period_start": "2026-05-01",
                "period_end": "2026-04-01",
                "kind": "wage",
            },
        )
    elif choice == 1:
        m["type"], m["data"] = (
            "illness.reported",
            {
                "person_ref": "p1",
                "severity": "minor",
                "total_cost_yuan": "10.00",
                "reimbursed_yuan": "10.01",
                "in_county": False,
            },
        )
    elif choice == 2:
        m["type"], m["data"] = (
            "household.registered",
            {"township": "T", "village": "V", "members": 2, "labour_capable": 3, "card": "red"},
        )
    else:
        m["schema_version"] = rng.choice([0, 2, "1", None])
    return _key(m), _raw(m)


def not_an_object(m, rng):
    return _key(m), rng.choice([b"[]", b"null", b"42", b'"text"', b"", b"   ", b"true"])


MUTATIONS: list[Mutation] = [
    bad_utf8,
    truncated_json,
    wrong_type,
    nan_money,
    absurd_money,
    far_dates,
    unknown_enum,
    control_chars,
    oversized,
    deep_nesting,
    key_mismatch,
    missing_field,
    id_number_ref,
    number_in_text,
    impossible,
    not_an_object,
]


def base_messages(n: int = 300, seed: int = 3) -> list[dict[str, Any]]:
    county = [
        m for _, m in zip(range(n), messages(make_county(max(n // 4, 10), seed=seed, months=2)))
    ]
    return county + standard_messages()


def standard_messages() -> list[dict[str, Any]]:
    """Each message type of the standard's departments, in each of its
    shapes: the county's first months hold few of them."""
    b, on = Builder("hostile-std"), date(2026, 3, 1)
    return [
        b.schooling("H1", on, "c1", "dropped_out", reason="poverty", stage="primary"),
        b.schooling("H1", on, "c1", "enrolled"),
        b.insurance("H1", on, "p1", "lapsed"),
        b.housing("H1", on, "D", rated_on=date(2026, 2, 20)),
        b.water("H1", on, ["quality", "quantity"], supply="dispersed"),
        b.water("H1", on),
        b.assistance("H1", on, "dibao", "granted", "450.00"),
        b.assistance("H1", on, "tekun", "stopped"),
        b.assistance("H1", on, "disability_care", "changed", "65.00", person="p2"),
        b.members("H1", on, "birth", "n1"),
        b.members("H1", on, "move_in", "p5", able=True),
        b.illness("H1", on, "9000.00", "4000.00", in_county=False, referred=False),
        b.illness("H1", on, "9000.00", "7300.00", in_county=False, referred=True),
    ]


def corpus(size: int, seed: int = 1) -> list[tuple[bytes | None, bytes, str]]:
    rng = random.Random(seed)
    valid = base_messages()
    out = []
    for _ in range(size):
        mutation = rng.choice(MUTATIONS)
        key, raw = mutation(json.loads(json.dumps(rng.choice(valid))), rng)
        out.append((key, raw, mutation.__name__))
    return out


HANDWRITTEN: list[tuple[bytes | None, bytes, str]] = [
    (b"H", b"\xff\xfe\xfd", "binary"),
    (b"H", b"{}", "empty object"),
    (b"H", b'{"event_id": "e", "type": "income.reported"}', "mostly missing"),
    (None, b'{"type": "household.registered", "data": {}}', "no key, missing fields"),
    (b"H", '{"event_id": "e\u0000"}'.encode(), "NUL in a string"),
    (b"H", b'{"a": ' * 100_000 + b"1" + b"}" * 100_000, "very deep nesting"),
    (b"H", b'"' + b"x" * 200_000 + b'"', "over 64 KiB"),
]
