"""The monitor's caches: households kept as objects, the rest in compact form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from domain.facts import apply, fold
from domain.household import Conflict, FactRef, Household
from services.households.cache import BoundedCache, CacheSettings, PackedCache, PackedTier
from services.households.heads import (
    FINGERPRINT,
    DigestNotKept,
    Receipts,
    _token,
    pack_head,
    revive,
    unpack_head,
)
from services.households.ids import household_id
from services.households.packing import layout_matches_domain, pack_sheet, unpack_sheet
from services.infra.runtime import tune_malloc
from services.monitor.bootstrap import open_monitor
from tests.helpers import county_facts

MOMENT = datetime(2026, 6, 1, tzinfo=UTC)


def streams() -> tuple[dict[str, Household], dict[str, list]]:
    heads: dict[str, Household] = {}
    events: dict[str, list] = {}
    for code, kind, ref, data in county_facts():
        head = heads.get(code) or heads.setdefault(code, Household.open(code))
        head.receive(kind, ref, data)
        events.setdefault(code, []).extend(head.collect_events())
    return heads, events


def stored(code: str, version: int, receipts: dict[str, str]) -> Household:
    """A household's write model as the store gives it back."""
    return revive(household_id(code), code, version, receipts)


def test_a_packed_household_comes_back_as_assessing_and_advancing_read_it():
    assert layout_matches_domain() == []
    heads, events = streams()
    for _code, stream in events.items():
        # Every prefix of the stream: packed, unpacked, then advanced by the rest.
        for cut in range(1, len(stream) + 1):
            original = fold(stream[:cut])
            copy = unpack_sheet(original.id, pack_sheet(original))
            assert (
                copy.id,
                copy.version,
                copy.created_on,
                copy.modified_on,
                copy.last_fact_at,
            ) == (
                original.id,
                original.version,
                original.created_on,
                original.modified_on,
                original.last_fact_at,
            )
            assert copy.facts == original.facts and not hasattr(copy, "receipts")
            for event in stream[cut:]:
                copy = apply(copy, event)
            assert copy.facts == fold(stream).facts and copy.version == len(stream)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 6, 1, 9, 30, 0, 123456, tzinfo=timezone(timedelta(hours=8))),
        datetime(2026, 6, 1, 9, 30, 0, 7),  # naive
        datetime(
            2026, 11, 1, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")
        ),  # the second 1:30
        datetime(
            1969, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(-timedelta(hours=3, minutes=30))
        ),
    ],
)
def test_a_packed_household_keeps_its_last_fact_time_to_the_microsecond_and_offset(moment):
    household = fold(next(iter(streams()[1].values())))
    household.last_fact_at = moment
    copy = unpack_sheet(household.id, pack_sheet(household))
    # The same instant, wall time and offset (an ambiguous local time in a
    # zone with rules never compares equal across zones, so by timestamp).
    assert copy.last_fact_at.timestamp() == moment.timestamp()
    assert copy.last_fact_at.utcoffset() == moment.utcoffset()
    assert copy.last_fact_at.replace(tzinfo=None) == moment.replace(tzinfo=None)


def test_a_packed_stream_head_tells_new_facts_and_leaves_the_rest_to_the_store():
    heads, _ = streams()
    for _code, head in heads.items():
        copy = unpack_head(head.id, pack_head(head))
        assert (copy.id, copy.code, copy.version) == (head.id, head.code, head.version)
        # Its receipts are kept as fingerprints: known keys are for the
        # stored receipts to decide, unknown ones are new.
        for key in head.receipts:
            assert copy.receipts.forgets(key)
            with pytest.raises(DigestNotKept):
                copy.receipts.get(key)
        assert not copy.receipts.forgets("unknown/key")
        assert copy.receipts.get("unknown/key") is None
        # Packed again as it is, it comes back the same.
        again = unpack_head(head.id, pack_head(copy))
        assert all(again.receipts.forgets(k) for k in head.receipts)
        assert not again.receipts.forgets("unknown/key")
    head = next(iter(heads.values()))
    copy = unpack_head(head.id, pack_head(head))
    # A new fact on an unpacked head is stored, and its receipt is exact
    # until the head is packed again.
    later = FactRef("s", "new-1", MOMENT, "ab" * 16)
    income = {
        "amount_yuan": Decimal(1),
        "period_start": MOMENT.date(),
        "period_end": MOMENT.date(),
        "kind": "wage",
    }
    assert copy.receive("income.reported", later, income)
    (event,) = copy.collect_events()
    assert event.originator_version == head.version + 1
    assert not copy.receive("income.reported", later, income)  # a re-delivery
    with pytest.raises(Conflict):  # a changed fact under a stored key
        copy.receive("income.reported", FactRef("s", "new-1", MOMENT, "cd" * 16), income)
    assert unpack_head(copy.id, pack_head(copy)).receipts.forgets(later.key)
    assert pack_head(Household.open("new")) is None  # nothing stored yet: nothing to keep
    # Any digest packs: only the key's fingerprint is kept.
    assert unpack_head(head.id, pack_head(stored("odd", 1, {"s/1": "d"}))).receipts.forgets("s/1")


def _keeps(head: Household, key: str) -> bool:
    """The head holds the key's receipt: as given, or packed as its fingerprint."""
    receipts = head.receipts
    return key in receipts if isinstance(receipts, dict) else receipts.forgets(key)


def test_the_cache_spills_past_its_size_and_gives_back_what_it_kept():
    heads = [stored(f"H-{i}", i + 1, {f"s/{i}": f"{i:032x}"}) for i in range(6)]
    cache = PackedCache(CacheSettings(objects=2, spill_bytes=10_000), pack_head, unpack_head)
    for h in heads:
        cache.put(h.id, h)
    assert len(cache.items) == 2 and len(cache.spilled) == 4 and len(cache) == 6
    back = cache.get(heads[0].id)  # from the compact tier, into the recent ones
    assert (back.code, back.version) == ("H-0", 1)
    assert back.receipts.forgets("s/0") and not back.receipts.forgets(
        "s/1"
    )  # its own, as a fingerprint
    assert heads[0].id.int in cache.items and heads[0].id.int not in cache.spilled

    # A put replaces a spilled copy: the stale one never comes back.
    newer = stored("H-1", 9, {"s/1": "1" * 32, "s/x": "e" * 32})
    cache.put(newer.id, newer)
    assert cache.get(newer.id) is newer
    cache.forget([heads[2].id])
    assert cache.get(heads[2].id) is None
    cache.clear()
    assert len(cache) == 0 and cache.spilled_bytes == 0 and cache.get(heads[3].id) is None


def test_a_cache_of_a_county_twice_its_size_keeps_fewer_objects_and_loses_nothing():
    heads = [stored(f"H-{i}", i + 1, {f"s/{i}": f"{i:032x}"}) for i in range(12)]
    cache = PackedCache(
        CacheSettings(objects=4, spill_bytes=100_000, spilling_objects=2), pack_head, unpack_head
    )
    for h in heads[:7]:
        cache.put(h.id, h)
    assert len(cache.items) == 4  # three spilled: fewer than the objects' size
    cache.put(heads[7].id, heads[7])  # the fourth: the county is twice the size
    assert len(cache.items) == 2 and len(cache.spilled) == 6
    for h in heads[8:]:
        cache.put(h.id, h)
    assert len(cache.items) == 2 and len(cache) == 12
    assert all(_keeps(cache.get(h.id), f"s/{i}") for i, h in enumerate(heads))
    cache.clear()  # a rebuild starts over: the full size again
    for h in heads[:5]:
        cache.put(h.id, h)
    assert len(cache.items) == 4


def test_objects_with_long_streams_are_fewer_and_the_rest_stay_compact():
    # Heads of a month (2 receipts) and of decades (1,000): the same budget holds
    # all of the first and fewer of the second; nothing is lost either way.
    tuning = CacheSettings(resize_every=50, min_objects=10)

    def county(receipts: int) -> list[Household]:
        return [
            stored(
                f"H-{i}", receipts, {f"s/{i}/{j}": f"{i * 1000 + j:032x}" for j in range(receipts)}
            )
            for i in range(400)
        ]

    short, long = county(2), county(1_000)
    budget = 400 * tuning.expansion * (len(pack_head(short[-1])) + 8)  # the short county, with room
    for heads, most in ((short, 400), (long, 10)):  # the long one: at the fewest
        sizes = CacheSettings(
            objects=1_000,
            spill_bytes=100 << 20,
            objects_bytes=budget,
            resize_every=50,
            min_objects=10,
        )
        cache = PackedCache(sizes, pack_head, unpack_head)
        for h in heads:
            cache.put(h.id, h)
        assert len(cache) == 400 and len(cache.items) == most
        assert all(
            _keeps(cache.get(h.id), f"s/{i}/1") and cache.get(h.id).version == len(h.receipts)
            for i, h in enumerate(heads)
        )
        assert len(cache.items) == most


def test_an_unpacked_head_searches_a_years_fingerprints_in_place_and_no_other():
    absent = "s/absent"
    receipts = {f"s/{i}": f"{i:032x}" for i in range(24)}
    head = stored("c", len(receipts), receipts)
    packed = pack_head(head)
    copy = unpack_head(head.id, packed)
    assert len(copy.receipts.packed) == 24 * FINGERPRINT  # 4 bytes a receipt, not 32
    assert all(copy.receipts.forgets(k) for k in receipts)
    assert not copy.receipts.forgets(absent)
    # A fingerprint found across two entries is not one of them.
    fp = _token(absent)[:FINGERPRINT]
    straddling = Receipts(b"\0\0" + fp + b"\0\0")
    assert straddling.packed.find(fp) == 2 and not straddling.forgets(absent)
    copy.receipts["s/new"] = "ef" * 16  # recorded beside the packed ones, packed with them
    # Looked up, then recorded (as a new fact is): under its own key's hash.
    assert copy.receipts.get("s/newer") is None
    copy.receipts["s/newer"] = "cd" * 16
    assert copy.receipts.get("s/newer") == "cd" * 16 and copy.receipts.get("s/new") == "ef" * 16
    again = unpack_head(head.id, pack_head(copy))
    assert again.receipts.forgets("s/new") and again.receipts.forgets("s/newer")
    assert again.receipts.forgets("s/3") and not again.receipts.forgets(absent)


def test_a_full_compact_tier_keeps_what_it_has_and_admits_no_more():
    heads = [stored(f"H-{i}", 1, {f"s/{i}": f"{i:032x}"}) for i in range(5)]
    one = len(pack_head(heads[0])) + CacheSettings.entry_bytes
    cache = PackedCache(CacheSettings(objects=1, spill_bytes=2 * one), pack_head, unpack_head)
    for h in heads:
        cache.put(h.id, h)
    # H-0 and H-1 spilled and fit; H-2 and H-3 found it full; H-4 is recent.
    assert {cache.get(h.id) is not None for h in heads[:2]} == {True}
    assert cache.get(heads[2].id) is None and cache.get(heads[3].id) is None
    # Without pack and unpack nothing is spilled, whatever the budget.
    plain = BoundedCache(CacheSettings(objects=1, spill_bytes=10_000))
    for h in heads:
        plain.put(h.id, h)
    assert len(plain) == 1 and plain.get(heads[0].id) is None


def test_packed_amounts_keep_their_digits():
    aggregate = Household.open("H-d")
    aggregate.receive(
        "income.reported",
        FactRef("s", "1", MOMENT, "d"),
        {
            "amount_yuan": Decimal("12.30"),
            "period_start": MOMENT.date(),
            "period_end": MOMENT.date(),
            "kind": "wage",
        },
    )
    h = fold(aggregate.collect_events())
    copy = unpack_sheet(h.id, pack_sheet(h))
    assert str(copy.facts.incomes[0].amount_yuan) == "12.30"


@pytest.mark.parametrize(
    "roles, ingest_mb, project_mb",
    [("ingest,project", 5, 5), ("ingest", 10, 0), ("project", 0, 10)],
)
def test_a_monitor_process_shares_its_cache_memory_between_its_roles(
    base_settings, tmp_path, roles, ingest_mb, project_mb
):
    settings = base_settings.model_copy(
        update={
            "store": "sqlite",
            "sqlite_dir": tmp_path / "store",
            "state_dir": tmp_path,
            "monitor_roles": roles,
            "monitor_cache_mb": 10,
        }
    )
    service = open_monitor(settings)
    try:
        assert service.households.cache.settings.spill_bytes == ingest_mb * 2**20
        assert service.projection.cache.settings.spill_bytes == project_mb * 2**20
    finally:
        service.stop()


def test_large_buffers_are_returned_to_the_system_on_this_platform():
    # glibc here (Debian): the monitor's peak memory figures rely on it.
    assert tune_malloc() is True


def test_the_cache_withdraws_its_claim_to_completeness_when_it_lets_a_household_go():
    heads = [stored(f"H-{i}", 1, {f"s/{i}": f"{i:032x}"}) for i in range(4)]
    cache = PackedCache(CacheSettings(objects=1, spill_bytes=10_000), pack_head, unpack_head)
    cache.claim_complete()
    for h in heads:
        cache.put(h.id, h)
    assert cache.complete  # spilled, not let go
    assert cache.get(heads[0].id).code == "H-0" and cache.complete
    cache.forget([heads[1].id])
    assert not cache.complete
    # A full compact tier lets the next one go.
    full = PackedCache(CacheSettings(objects=1, spill_bytes=1), pack_head, unpack_head)
    full.claim_complete()
    for h in heads[:3]:
        full.put(h.id, h)
    assert not full.complete
    cache.claim_complete()
    cache.clear()
    assert not cache.complete


def test_the_compact_tier_finds_each_entry_among_its_bucket():
    from uuid import UUID

    tier = PackedTier()
    tier.size_for(0, 1)  # 1,024 buckets
    # Ids sharing their low bits share a bucket; one copy holds another's id.
    ids = [(i << 64) | 7 for i in range(1, 6)]
    copies = {k: bytes([i]) * (i * 10) for i, k in enumerate(ids)}
    copies[ids[2]] = b"x" + UUID(int=ids[3]).bytes + b"\x00\x00"
    for k, v in copies.items():
        assert tier.add(k, v)
    assert len(tier) == 5 and ids[4] in tier and 7 not in tier
    assert tier.pop(ids[3]) == copies[ids[3]] and ids[3] not in tier
    assert tier.pop(ids[3]) is None
    for k in (ids[0], ids[4], ids[2], ids[1]):
        assert tier.pop(k) == copies[k]
    assert len(tier) == 0 and tier.nbytes == 0 and tier.buckets[7] is None
    assert not tier.add(ids[0], b"\x00" * 0x10000)  # too long for an entry


def test_a_household_taken_out_leaves_no_copy_behind_until_it_is_put_back():
    heads = [stored(f"H-{i}", i + 1, {f"s/{i}": f"{i:032x}"}) for i in range(6)]
    cache = PackedCache(CacheSettings(objects=2, spill_bytes=100_000), pack_head, unpack_head)
    for h in heads:
        cache.put(h.id, h)
    assert len(cache.items) == 2 and len(cache.spilled) == 4
    # One from each tier: out of both, and nothing else pushed out or packed.
    taken = [cache.take(heads[0].id), cache.take(heads[5].id)]
    assert [t.version for t in taken] == [1, 6]
    assert len(cache.items) == 1 and len(cache.spilled) == 3
    assert cache.take(heads[0].id) is None and cache.get(heads[0].id) is None
    taken[0].version = 7  # changed while out: only the new state comes back
    cache.put(heads[0].id, taken[0])
    assert cache.get(heads[0].id).version == 7 and len(cache) == 5
    # Put back the way a projection's batch does it (no copy left to drop):
    # the same, and what it pushes out is packed as before.
    taken[1].version = 9
    cache.put(heads[5].id, taken[1])
    assert len(cache.items) == 2 and len(cache) == 6
    assert cache.get(heads[5].id).version == 9
    assert cache.get(heads[1].id).version == 2  # from the compact tier
