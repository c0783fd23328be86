"""The synthetic county's feeds from the standard's departments (plan §3(2)):
medical insurance, education, housing, water, civil affairs, the disabled
persons' federation, and the registry's member changes. They report exceptions and their repair, at the
rates in ``synthetic.county.Rates`` (settings, not findings)."""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

Emit = Any  # the messages' maker: (type, household, day, source, data) -> message


def standard_feeds(
    h: Any, first: date, rng: random.Random, rates: Any, emit: Emit
) -> Iterator[dict[str, Any]]:
    """One month of the standard's departments for a registered household:
    medical insurance, schooling, housing, water, civil affairs, members.
    Each draws from ``rng`` in this order, so a seed gives the same messages."""
    yield from _insurance(h, first, rng, rates, emit)
    yield from _schooling(h, first, rng, rates, emit)
    yield from _housing(h, first, rng, rates, emit)
    yield from _water(h, first, rng, rates, emit)
    yield from _assistance(h, first, rng, rates, emit)
    yield from _disability(h, first, rates, emit)
    yield from _members(h, first, rng, rates, emit)


def _insurance(
    h: Any, first: date, rng: random.Random, rates: Any, emit: Emit
) -> Iterator[dict[str, Any]]:
    """Medical insurance's enrolments: a member's lapse, and its repair."""
    person = f"m{rng.randrange(1, h.members + 1)}"
    if h.lapsed and rng.random() < rates.insurance_back:
        back = min(h.lapsed)  # not set.pop(): its order follows the process's string hashing
        h.lapsed.discard(back)
        yield emit(
            "insurance.changed",
            h,
            first + timedelta(days=5),
            "medical-insurance",
            {"person_ref": back, "status": "enrolled", "year": first.year},
        )
    elif rng.random() < rates.insurance_lapse:
        h.lapsed.add(person)
        yield emit(
            "insurance.changed",
            h,
            first + timedelta(days=5),
            "medical-insurance",
            {"person_ref": person, "status": "lapsed", "year": first.year},
        )


def _schooling(
    h: Any, first: date, rng: random.Random, rates: Any, emit: Emit
) -> Iterator[dict[str, Any]]:
    """Education's compulsory schooling: a child's dropout, and the return."""
    if h.dropped and rng.random() < rates.school_back:
        child = min(h.dropped)  # the same seed, the same county, in every process
        h.dropped.discard(child)
        yield emit(
            "schooling.reported",
            h,
            first + timedelta(days=8),
            "education",
            {"person_ref": child, "status": "enrolled", "stage": "junior_secondary"},
        )
    elif rng.random() < rates.dropout:
        child = f"c{rng.randrange(1, 3)}"
        h.dropped.add(child)
        yield emit(
            "schooling.reported",
            h,
            first + timedelta(days=8),
            "education",
            {
                "person_ref": child,
                "status": "dropped_out",
                "stage": rng.choice(("primary", "junior_secondary")),
                "reason": rng.choice(("poverty", "illness", "weariness", "work")),
            },
        )


def _housing(
    h: Any, first: date, rng: random.Random, rates: Any, emit: Emit
) -> Iterator[dict[str, Any]]:
    """Housing's safety ratings: an unsafe house (C or D), and its repair."""
    rated = None
    if h.unsafe_house and rng.random() < rates.house_fixed:
        rated, h.unsafe_house = rng.choice(("A", "B")), False
    elif not h.unsafe_house and rng.random() < rates.house_rating:
        rated = rng.choice(("B", "C", "C", "D"))
        h.unsafe_house = rated in ("C", "D")
    if rated is not None:
        day = first + timedelta(days=12)
        yield emit(
            "housing.rated", h, day, "housing", {"rating": rated, "rated_on": day.isoformat()}
        )


def _water(
    h: Any, first: date, rng: random.Random, rates: Any, emit: Emit
) -> Iterator[dict[str, Any]]:
    """Water's drinking-water checks: a failing supply, and its repair."""
    check = None
    if h.bad_water and rng.random() < rates.water_fixed:
        check = []
    elif not h.bad_water and rng.random() < rates.water_check:
        check = (
            []
            if rng.random() >= rates.water_fails
            else [rng.choice(("quality", "quantity", "access"))]
        )
    if check is not None:
        h.bad_water = bool(check)
        yield emit(
            "water.checked",
            h,
            first + timedelta(days=15),
            "water",
            {
                "supply": rng.choice(("central", "central", "dispersed")),
                "meets_standard": not check,
                "failing": check,
            },
        )


def _assistance(
    h: Any, first: date, rng: random.Random, rates: Any, emit: Emit
) -> Iterator[dict[str, Any]]:
    """Civil affairs' subsistence allowance (低保): raised, or stopped."""
    if h.dibao_yuan and rng.random() < rates.assistance_change:
        stop = rng.random() < 0.3
        h.dibao_yuan = 0.0 if stop else h.dibao_yuan + 50.0
        yield emit(
            "assistance.changed",
            h,
            first + timedelta(days=3),
            "civil-affairs",
            {"scheme": "dibao", "status": "stopped", "effective_from": first.isoformat()}
            if stop
            else {
                "scheme": "dibao",
                "status": "changed",
                "effective_from": first.isoformat(),
                "monthly_yuan": f"{h.dibao_yuan:.2f}",
            },
        )


def _members(
    h: Any, first: date, rng: random.Random, rates: Any, emit: Emit
) -> Iterator[dict[str, Any]]:
    """The registry's member changes: a birth, a death, a move in or out."""
    change = None
    r = rng.random()
    if r < rates.birth:
        change, h.joined = "birth", h.joined + 1
        who = f"n{h.joined}"
    elif r < rates.birth + rates.death and h.members > 1:
        change, who = "death", f"m{h.members}"
    elif r < rates.birth + rates.death + rates.move:
        change = rng.choice(("move_in", "move_out")) if h.members > 1 else "move_in"
        h.joined += change == "move_in"
        who = f"n{h.joined}" if change == "move_in" else f"m{h.members}"
    if change is not None:
        h.members += 1 if change in ("birth", "move_in") else -1
        yield emit(
            "household.members_changed",
            h,
            first + timedelta(days=18),
            "poverty-office",
            {
                "change": change,
                "person_ref": who,
                "effective_on": (first + timedelta(days=17)).isoformat(),
                "able_to_work": change == "move_in" and rng.random() < 0.5,
            },
        )


def _disability(h: Any, first: date, rates: Any, emit: Emit) -> Iterator[dict[str, Any]]:
    """Now and then a member's disability certificate (plan §3(2)6: every
    disabled person certified). Drawn from the household and month, not from
    the feeds' generator, so that the other feeds stay as they were."""
    draw = zlib.crc32(f"{h.code}:{first.isoformat()}".encode()) / 2**32
    if draw >= rates.disability:
        return
    grade = 1 + int(draw / rates.disability * 4)  # 1 to 4, the severe ones half
    yield emit(
        "disability.changed",
        h,
        first + timedelta(days=20),
        "disabled-persons-federation",
        {
            "person_ref": f"m{h.members}",
            "status": "certified",
            "effective_on": (first + timedelta(days=19)).isoformat(),
            "category": ("physical", "visual", "intellectual", "hearing")[grade - 1],
            "grade": grade,
        },
    )
