"""The write model: one event stream per household, fed from Kafka.

The application records, in one transaction, a household's new events and a
tracking record for the Kafka position (topic, partition, offset) that carried
them. The tracking record is what makes ingestion exactly-once: a redelivered
offset fails to record, and a restart resumes from the store, not from Kafka.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import (
    ProcessRecorder,
    Tracking,
    Transcoder,
    Transcoding,
)

from domain.facts import FactSheet, fold
from domain.household import Conflict, FactRef, Household, receipt_key
from services.households.cache import CacheSettings, HouseholdCache, PackedCache
from services.households.heads import Receipts, pack_head, revive, settle, unpack_head
from services.households.ids import household_id as id_of
from services.households.reads import raw_states
from services.infra.transcoder import DateAsISO, OrjsonTranscoder


class FactRefAsDict(Transcoding):
    type = FactRef
    name = "fact_ref"  # stored as {"_type_": "fact_ref", "_data_": {...}}; see read_heads

    def encode(self, obj: FactRef) -> dict[str, Any]:
        return obj.__dict__

    def decode(self, data: dict[str, Any]) -> FactRef:
        return FactRef(**data)


def position_name(topic: str, partition: int) -> str:
    """The name under which the store tracks a Kafka partition's position."""
    return f"kafka:{topic}:{partition}"


def kafka_position(topic: str, partition: int, offset: int) -> Tracking:
    # Notification ids start at 1; Kafka offsets at 0.
    return Tracking(application_name=position_name(topic, partition), notification_id=offset + 1)


@dataclass(frozen=True)
class Outcome:
    status: str  # stored | duplicate | conflict | redelivered | rejected
    detail: str = ""


@dataclass(frozen=True)
class Fact:
    """One valid department message, ready for its household's stream."""

    kind: str
    household_id: str
    ref: FactRef
    data: dict[str, Any]


class Staged:
    """Facts applied to their households, not yet committed."""

    def __init__(self, outcomes: list[Outcome], households: dict[UUID, Household]) -> None:
        self.outcomes, self.households = outcomes, households


def read_heads(app: Application[UUID], codes: dict[UUID, str]) -> dict[UUID, Household]:
    """The write model of these households that have a stream: each stored
    event read as plain JSON for its version and receipt, none replayed."""
    found: dict[UUID, tuple[int, dict[str, str]]] = {}
    for oid, version, state in raw_states(app, codes):  # in version order
        receipts = found[oid][1] if oid in found else {}
        found[oid] = (version, receipts)
        ref = state.get("ref")
        if ref is not None:
            r = ref["_data_"]
            receipts[receipt_key(r["source"], r["event_id"])] = r["digest"]
    return {oid: revive(oid, codes[oid], v, receipts) for oid, (v, receipts) in found.items()}


class Households(Application[UUID]):
    """Commands and queries on households' event streams."""

    name = "Monitor"

    def __init__(
        self, env: Any = None, cache: CacheSettings | HouseholdCache | None = None
    ) -> None:
        super().__init__(env)
        # The write model of the households of the partitions this process
        # owns; only valid while it is their sole writer (see ``assign``).
        if cache is None or isinstance(cache, CacheSettings):
            cache = PackedCache(cache or CacheSettings(), pack_head, unpack_head)
        self.cache: HouseholdCache = cache
        # What ``assign`` last took: the topic's partition count and each
        # partition's position as this process last recorded it.
        self._held: tuple[int, dict[str, int | None]] | None = None

    def construct_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()

    def construct_transcoder(self) -> Transcoder:
        if self.env.get("TRANSCODER_TOPIC"):  # a deployment's own choice
            return super().construct_transcoder()
        transcoder = OrjsonTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: Transcoder) -> None:
        super().register_transcodings(transcoder)  # type: ignore[arg-type]
        transcoder.register(DateAsISO())
        transcoder.register(FactRefAsDict())

    # -- the cache's scope --------------------------------------------------

    def assign(
        self, partitions: Iterable[tuple[str, int]], among: int = 0
    ) -> dict[tuple[str, int], int | None]:
        """Takes these Kafka partitions (of ``among`` in the topic) as this
        process's own and returns the offset each resumes from (None: nothing
        recorded).

        The rule that lets ``stage`` skip reading the store: a household's
        messages are keyed by its id, so they all come through one partition;
        when no partition taken has a recorded position, no household of them
        has a stream yet, and the cache will see each one created. The cache
        withdraws the claim as soon as it lets one go.

        Every write to a household records its partition's position in the
        same transaction, so partitions taken back as this process left them
        (the same ones, of as many, each at the position it last recorded)
        were written by nobody meanwhile: the cache and its claim stay, and a
        rebalance that hands a process its own partitions again costs no
        reading. Otherwise the cache is forgotten."""
        positions = {(t, p): self.resume_from(t, p) for t, p in partitions}
        held = (among, {position_name(t, p): o for (t, p), o in positions.items()})
        if held != self._held:
            self.cache.clear()
            if positions and all(offset is None for offset in positions.values()):
                self.cache.claim_complete()
        self._held = held
        return positions

    def forget_all(self) -> None:
        """Forgets every household kept: another writer may have touched them
        (a failed batch, the store lost)."""
        self.cache.clear()
        self._held = None

    def abandon(self, staged: Staged) -> None:
        """Forgets the households of a staged batch that will not be committed."""
        self.cache.forget(staged.households)

    # -- commands ---------------------------------------------------------

    def receive(
        self, kind: str, household_id: str, ref: FactRef, data: dict[str, Any], tracking: Tracking
    ) -> Outcome:
        """Appends one fact to its household's stream, exactly once per
        (source, event_id) and per Kafka position. A conflict records nothing:
        the caller dead-letters it, then skips its position."""
        staged = self.stage([Fact(kind, household_id, ref, data)])
        (outcome,) = staged.outcomes
        if outcome.status == "conflict":
            self.abandon(staged)
            return outcome
        return outcome if self.commit(staged, tracking) else Outcome("redelivered")

    def stage(self, facts: list[Fact]) -> Staged:
        """Applies facts, in order, to their households (from the cache, or
        read in one query) through ``Household.receive``; nothing is stored
        until ``commit``. A registration's head's name never enters a stream:
        the ingestor seals it apart first (``services/households/names.py``)."""
        for f in facts:
            if f.kind == "household.registered":
                f.data.pop("head_name", None)
        ids = {f.household_id: id_of(f.household_id) for f in facts}
        codes = {aggregate_id: code for code, aggregate_id in ids.items()}
        working: dict[UUID, Household] = {}
        missing = {}
        for aggregate_id, code in codes.items():
            cached = self.cache.get(aggregate_id)
            if cached is None:
                missing[aggregate_id] = code
            else:
                working[aggregate_id] = cached
        # A complete cache (see ``assign``) has every stream there is: the
        # rest are new, with no query per poll. Were one stored all the same,
        # its version 1 would fail to insert, the poll would fail whole, and
        # the consumer forgets every household and retries.
        read = {} if self.cache.complete else read_heads(self, missing)
        for aggregate_id, code in missing.items():
            found = read.get(aggregate_id)
            working[aggregate_id] = found or Household.open(code, id=aggregate_id)
        # A packed household keeps its receipts' fingerprints, not their
        # digests: a fact whose key it may know (a re-delivery, nearly always)
        # is decided from the stored receipts, read for all such households in
        # one query.
        unsure = {}
        for f in facts:
            aggregate_id = ids[f.household_id]
            receipts = getattr(working[aggregate_id], "receipts", None)
            if isinstance(receipts, Receipts) and receipts.forgets(f.ref.key):
                unsure[aggregate_id] = codes[aggregate_id]
        if unsure:
            working.update(read_heads(self, unsure))
        outcomes = []
        try:
            for f in facts:
                household = working[ids[f.household_id]]
                try:
                    stored = household.receive(f.kind, f.ref, f.data)
                except Conflict as e:
                    outcomes.append(Outcome("conflict", str(e)))
                    continue
                outcomes.append(Outcome("stored" if stored else "duplicate"))
        except Exception:
            self.cache.forget(working)
            raise
        return Staged(outcomes, working)

    def commit(self, staged: Staged, tracking: Tracking) -> bool:
        """Stores every staged event and the Kafka position in one
        transaction; False when that position was already recorded."""
        processing = ProcessingEvent[UUID](tracking=tracking)
        # What ProcessingEvent.collect_events does, without its per-object
        # protocol checks (they cost more than the rest on a large poll).
        for household in staged.households.values():
            processing.events.extend(household.collect_events())
        try:
            recordings = self._record(processing)
        except Exception:
            self.abandon(staged)  # they hold uncommitted changes
            if self.recorder.has_tracking_id(tracking.application_name, tracking.notification_id):
                return False
            raise
        for household in staged.households.values():
            settle(household)
        self.cache.put_many(staged.households.items())
        if self._held is not None and tracking.application_name in self._held[1]:
            self._held[1][tracking.application_name] = tracking.notification_id
        self._notify(recordings)
        return True

    def skip(self, tracking: Tracking, outcome: Outcome) -> Outcome:
        """Records that a Kafka position was handled without storing a fact
        (it went to the dead-letter topic)."""
        return outcome if self.commit(Staged([], {}), tracking) else Outcome("redelivered")

    def get_or_open(self, household_id: str) -> Household:
        try:
            household: Household = self.repository.get(Household.create_id(household_id))
            return household
        except AggregateNotFoundError:
            return Household.open(household_id)

    # -- queries ----------------------------------------------------------

    def household(self, household_id: str, version: int | None = None) -> FactSheet | None:
        """The household's facts (as of ``version``), folded from its stream."""
        events = self.repository.event_store.get(id_of(household_id), lte=version)
        return fold(events)

    def resume_from(self, topic: str, partition: int) -> int | None:
        """The next Kafka offset to read for a partition, from the store's own
        tracking records (None when nothing was recorded yet)."""
        return self.recorder.max_tracking_id(position_name(topic, partition))

    def history(self, household_id: str) -> list:
        """The household's stored domain events, oldest first."""
        return list(self.repository.event_store.get(id_of(household_id)))
