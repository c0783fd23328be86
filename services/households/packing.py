"""Compact forms of the households the monitor keeps in memory.

Two forms: a ``Household`` aggregate (the write model: code, version,
receipts' fingerprints) for ingestion, and a ``FactSheet`` (the read model)
for the projection and the alerts. The caches keep their most recent
households as objects and spill the rest in these forms
(``services.households.cache``): a packed household is many times smaller
than its objects, and unpacking it much cheaper than reading it back from
the store.
"""

from __future__ import annotations

import hashlib
import marshal
from dataclasses import fields
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import Snapshot
from eventsourcing.utils import get_topic

from domain.facts import (
    Assistance,
    Cover,
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
from domain.household import Household
from services.households.packedvalues import dec, moment, moment_of, undec

_HOUSEHOLD_TOPIC = get_topic(Household)


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
}


class DigestNotKept(LookupError):
    """A packed head knows a key only by its fingerprint: whether the fact is
    a re-delivery or a conflict is for the stored receipts to tell."""


FINGERPRINT = 4  # bytes of a key's hash a packed head keeps for each receipt


class Receipts:
    """An unpacked household's receipts, read and written by key as the plain
    dict (``Household.receive`` does both: this is a ``ReceiptBook``).
    Receipts recorded since unpacking are held as the key's 16-byte hash and
    the digest; packed ones only as a 4-byte fingerprint of the key, searched
    in place, so that unpacking a household costs the same after a year of
    receipts as after a month, and its receipts take a few bytes each.

    A key whose fingerprint is not among the packed ones is new: the usual
    case, decided here. One whose fingerprint is (a re-delivery, or one chance
    in 2**32 for each receipt of a new key's sharing it) has no digest here
    to compare: ``forgets`` says so before deciding, and ``get`` raises
    ``DigestNotKept``; the ingester then reads the head from the store
    (``Households.stage``)."""

    __slots__ = ("packed", "added", "last_key", "last_token")

    def __init__(self, packed: bytes = b"") -> None:
        self.packed = packed  # fingerprints, FINGERPRINT bytes each
        self.added: dict[bytes, str] = {}  # key hash -> digest, since unpacking
        # The key last looked up and its hash: a new fact is looked up, then set.
        self.last_key, self.last_token = "", b""

    def _token(self, key: str) -> bytes:
        if key != self.last_key:
            self.last_token, self.last_key = _token(key), key
        return self.last_token

    def forgets(self, key: str) -> bool:
        """True when deciding on ``key`` needs the stored receipts."""
        token = self._token(key)
        return token not in self.added and _holds(self.packed, token[:FINGERPRINT])

    def get(self, key: str, default: str | None = None) -> str | None:
        token = self._token(key)
        digest = self.added.get(token)
        if digest is not None:
            return digest
        if _holds(self.packed, token[:FINGERPRINT]):
            raise DigestNotKept(key)
        return default

    def __setitem__(self, key: str, digest: str) -> None:
        self.added[self._token(key)] = digest


def settle(household: Household) -> None:
    """Keeps a committed household's receipts as fingerprints, as packing
    would: one kept as an object then costs a fingerprint a receipt too, not
    a key and a digest as strings in a dict, and its size stays near what
    the cache's budget reckons from its compact copy. A later
    re-delivery of one of its facts is decided from the store."""
    household.receipts = Receipts(_fingerprints(household.receipts))


def revive(key: UUID, code: str, version: int, receipts: Receipts | dict[str, str]) -> Household:
    """A household's write model at ``version``, from what deciding needs,
    through the library's own snapshot mechanism (no event is replayed).
    Its times are not kept: the read model carries them."""
    state = {"code": code, "receipts": receipts, "_created_on": None, "_modified_on": None}
    snapshot = Snapshot(
        originator_id=key,
        originator_version=version,
        timestamp=_NO_TIME,
        topic=_HOUSEHOLD_TOPIC,
        state=state,
    )
    return cast(Household, snapshot.mutate(None))


_NO_TIME = datetime(1970, 1, 1, tzinfo=UTC)  # a snapshot's own time: never stored nor read


def _fingerprints(receipts: Any) -> bytes:
    if isinstance(receipts, Receipts):
        return receipts.packed + b"".join(token[:FINGERPRINT] for token in receipts.added)
    return b"".join(_token(key)[:FINGERPRINT] for key in receipts)


def _holds(packed: bytes, fingerprint: bytes) -> bool:
    i = packed.find(fingerprint)
    while i >= 0 and i % FINGERPRINT:  # found across two entries: look on
        i = packed.find(fingerprint, i + 1)
    return i >= 0


def pack_head(household: Household) -> bytes | None:
    """A household with nothing pending, as bytes: its code, version and
    receipts' fingerprints (None: something not stored yet, not to keep)."""
    if household.pending_events:
        return None
    return marshal.dumps((household.code, household.version, _fingerprints(household.receipts)))


def unpack_head(key: UUID, data: bytes) -> Household:
    code, version, packed = marshal.loads(data)
    return revive(key, code, version, Receipts(packed))


def _token(key: str) -> bytes:
    # A 128-bit hash, as the stores' own ids are: two keys of one household
    # colliding is as likely as two households' ids colliding.
    return hashlib.blake2b(key.encode(), digest_size=16).digest()


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
            _standard(f)
            if f.schooling or f.cover or f.house or f.water or f.assistance or f.member_changes
            else None,
        )
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
    )


def _unpack_standard(f: Facts, packed: tuple[Any, ...]) -> None:
    schooling, cover, house, water, assistance, changes = packed
    day = date.fromordinal
    f.schooling = {
        p: Schooling(st, stage, r, moment_of(since)) for p, st, stage, r, since in schooling
    }
    f.cover = {p: Cover(st, year, moment_of(since)) for p, st, year, since in cover}
    f.house = House(house[0], day(house[1])) if house else None
    f.water = Water(water[0], water[1], tuple(water[2]), day(water[3])) if water else None
    f.assistance = [Assistance(k, p, undec(m), day(d)) for k, p, m, d in assistance]
    f.member_changes = [MemberChange(p, d, a, day(o)) for p, d, a, o in changes]


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
    return FactSheet(
        key, version, moment_of(created), moment_of(modified), moment_of(last_fact), facts
    )


def layout_matches_domain() -> list[str]:
    """The dataclasses whose fields differ from what is packed (empty: none)."""
    return [
        cls.__name__ for cls, names in LAYOUT.items() if tuple(f.name for f in fields(cls)) != names
    ]
