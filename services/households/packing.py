"""The compact form of a ``FactSheet`` (the read model) the projection and
the alerts keep in memory; that of a stream head (the write model) is in
``services.households.heads``. The caches keep their most recent households
as objects and spill the rest in these forms (``services.households.cache``):
a packed household is many times smaller than its objects, and unpacking it
much cheaper than reading it back from the store.
"""

from __future__ import annotations

import marshal
from dataclasses import fields
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.facts import (
    Assistance,
    Cover,
    Disability,
    Disaster,
    Facts,
    FactSheet,
    House,
    Illness,
    Income,
    Job,
    Loan,
    MemberChange,
    Schooling,
    Water,
)
from services.households.packedvalues import dec, moment, moment_of, undec

# The fields each packed tuple holds, in order; a test compares them with the
# dataclasses, so that a field added to the domain cannot be dropped here.
LAYOUT = {
    Facts: (
        "code",
        "registered",
        "township",
        "village",
        "members",
        "labour_capable",
        "card",
        "flags",
        "incomes",
        "illnesses",
        "disasters",
        "jobs",
        "loans",
        "registered_on",
        "registered_members",
        "registered_labour",
        "schooling",
        "cover",
        "house",
        "water",
        "assistance",
        "member_changes",
        "disabilities",
        "card_before",
        "card_changed_on",
    ),
    Income: ("amount_yuan", "period_start", "period_end", "kind"),
    Illness: (
        "person_ref",
        "severity",
        "total_cost_yuan",
        "reimbursed_yuan",
        "in_county",
        "chronic_disease",
        "occurred_on",
        "referred",
    ),
    Disaster: ("kind", "loss_yuan", "housing_damage", "occurred_on"),
    Job: ("status", "job_kind", "monthly_wage_yuan", "since"),
    Loan: (
        "principal_yuan",
        "due_date",
        "issued_on",
        "repaid_yuan",
        "days_overdue",
        "outstanding_yuan",
    ),
    Schooling: ("status", "stage", "reason", "since"),
    Cover: ("status", "year", "since"),
    House: ("rating", "rated_on"),
    Water: ("supply", "meets_standard", "failing", "checked_on"),
    Assistance: ("scheme", "person_ref", "monthly_yuan", "effective_from"),
    MemberChange: ("person_ref", "delta", "able_to_work", "effective_on"),
    Disability: ("category", "grade", "effective_on"),
}


def pack_sheet(h: FactSheet) -> bytes:
    """A household's read model: its version, times and facts."""
    f = h.facts
    # Empty collections (most of them, most months) packed as None, without
    # running a comprehension.
    return marshal.dumps(
        (
            h.version,
            moment(h.created_on),
            moment(h.modified_on),
            moment(h.last_fact_at),
            f.code,
            f.registered,
            f.township,
            f.village,
            f.members,
            f.labour_capable,
            f.card,
            f.flags,
            [
                (str(i.amount_yuan), i.period_start.toordinal(), i.period_end.toordinal(), i.kind)
                for i in f.incomes
            ]
            if f.incomes
            else None,
            [
                (
                    i.person_ref,
                    i.severity,
                    str(i.total_cost_yuan),
                    str(i.reimbursed_yuan),
                    i.in_county,
                    i.chronic_disease,
                    i.occurred_on.toordinal(),
                    i.referred,
                )
                for i in f.illnesses
            ]
            if f.illnesses
            else None,
            [
                (d.kind, str(d.loss_yuan), d.housing_damage, d.occurred_on.toordinal())
                for d in f.disasters
            ]
            if f.disasters
            else None,
            [
                (p, j.status, j.job_kind, dec(j.monthly_wage_yuan), moment(j.since))
                for p, j in f.jobs.items()
            ]
            if f.jobs
            else None,
            [
                (
                    k,
                    str(a.principal_yuan),
                    a.due_date.toordinal(),
                    a.issued_on.toordinal(),
                    str(a.repaid_yuan),
                    a.days_overdue,
                    dec(a.outstanding_yuan),
                )
                for k, a in f.loans.items()
            ]
            if f.loans
            else None,
            f.registered_on.toordinal() if f.registered_on else None,
            f.registered_members,
            f.registered_labour,
            _standard(f) if _has_standard(f) else None,
            f.card_before,
            f.card_changed_on.toordinal() if f.card_changed_on else None,
        )
    )


def _has_standard(f: Facts) -> bool:
    return bool(
        f.schooling
        or f.cover
        or f.house
        or f.water
        or f.assistance
        or f.member_changes
        or f.disabilities
    )


def _standard(f: Facts) -> tuple[Any, ...]:
    """The guarantees' facts, which most households lack (packed as None)."""
    return (
        [(p, s.status, s.stage, s.reason, moment(s.since)) for p, s in f.schooling.items()],
        [(p, c.status, c.year, moment(c.since)) for p, c in f.cover.items()],
        (f.house.rating, f.house.rated_on.toordinal()) if f.house else None,
        (f.water.supply, f.water.meets_standard, f.water.failing, f.water.checked_on.toordinal())
        if f.water
        else None,
        [
            (a.scheme, a.person_ref, dec(a.monthly_yuan), a.effective_from.toordinal())
            for a in f.assistance
        ],
        [
            (c.person_ref, c.delta, c.able_to_work, c.effective_on.toordinal())
            for c in f.member_changes
        ],
        [(p, d.category, d.grade, d.effective_on.toordinal()) for p, d in f.disabilities.items()],
    )


def _unpack_standard(f: Facts, packed: tuple[Any, ...]) -> None:
    # A copy packed before disabilities were kept has six parts.
    schooling, cover, house, water, assistance, changes, *later = packed
    day = date.fromordinal
    f.schooling = {
        p: Schooling(st, stage, r, moment_of(since)) for p, st, stage, r, since in schooling
    }
    f.cover = {p: Cover(st, year, moment_of(since)) for p, st, year, since in cover}
    f.house = House(house[0], day(house[1])) if house else None
    f.water = Water(water[0], water[1], tuple(water[2]), day(water[3])) if water else None
    f.assistance = [Assistance(k, p, undec(m), day(d)) for k, p, m, d in assistance]
    f.member_changes = [MemberChange(p, d, a, day(o)) for p, d, a, o in changes]
    if later:
        f.disabilities = {p: Disability(c, g, day(o)) for p, c, g, o in later[0]}


def unpack_sheet(key: UUID, data: bytes) -> FactSheet:
    (
        version,
        created,
        modified,
        last_fact,
        code,
        registered,
        township,
        village,
        members,
        labour,
        card,
        flags,
        incomes,
        illnesses,
        disasters,
        jobs,
        loans,
        registered_on,
        registered_members,
        registered_labour,
        standard,
        *card_change,  # packed before the card's last change was kept: none
    ) = marshal.loads(data)
    day = date.fromordinal
    facts = Facts(
        code,
        registered,
        township,
        village,
        members,
        labour,
        card,
        flags,
        [Income(Decimal(a), day(s), day(e), k) for a, s, e, k in incomes] if incomes else [],
        [
            Illness(p, s, Decimal(t), Decimal(r), c, d, day(o), ref)
            for p, s, t, r, c, d, o, ref in illnesses
        ]
        if illnesses
        else [],
        [Disaster(k, Decimal(loss), dmg, day(o)) for k, loss, dmg, o in disasters]
        if disasters
        else [],
        {p: Job(s, k, undec(w), moment_of(since)) for p, s, k, w, since in jobs} if jobs else {},
        {
            k: Loan(Decimal(pr), day(due), day(iss), Decimal(rep), days, undec(out))
            for k, pr, due, iss, rep, days, out in loans
        }
        if loans
        else {},
        day(registered_on) if registered_on else None,
        registered_members,
        registered_labour,
    )
    if standard is not None:
        _unpack_standard(facts, standard)
    if card_change and card_change[1] is not None:
        facts.card_before, facts.card_changed_on = card_change[0], day(card_change[1])
    return FactSheet(
        key, version, moment_of(created), moment_of(modified), moment_of(last_fact), facts
    )


def layout_matches_domain() -> list[str]:
    """The dataclasses whose fields differ from what is packed (empty: none)."""
    return [
        cls.__name__ for cls, names in LAYOUT.items() if tuple(f.name for f in fields(cls)) != names
    ]
