"""The households' store and the risk status view, the same tests on SQLite
and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from domain.household import FactRef
from schemas.events import parse_event
from services.households.app import Households, kafka_position, read_heads
from services.households.cache import CacheSettings, PackedCache
from services.households.heads import FINGERPRINT, _token, pack_head, unpack_head
from services.households.ids import household_id
from services.households.statusview import open_view
from services.infra.policyfile import load_policies
from services.monitor.riskstatus import RiskStatusProjection
from synthetic.sample import Builder, sample_events
from tests.helpers import feed

TODAY = date(2026, 6, 30)


@pytest.fixture
def households(store_settings):
    app = Households(env=store_settings.store_env("Monitor"))
    yield app
    app.close()


@pytest.fixture
def projection(store_settings, households):
    view = open_view(store_settings)
    yield RiskStatusProjection(households, view, load_policies(store_settings), lambda: TODAY)
    view.datastore.close()


def test_a_kafka_position_is_recorded_once(households):
    b = Builder("k")
    msg = b.register("H-1", TODAY, "yellow")
    ev = parse_event(json.dumps(msg))
    ref = FactRef(ev.source, ev.event_id, ev.occurred_at, ev.digest())
    first = households.receive(ev.type, "H-1", ref, ev.data.model_dump(), kafka_position("t", 0, 0))
    again = households.receive(ev.type, "H-1", ref, ev.data.model_dump(), kafka_position("t", 0, 0))
    assert (first.status, again.status) == ("stored", "redelivered")
    assert households.resume_from("t", 0) == 1 and households.resume_from("t", 1) is None
    assert households.household("H-1").version == 2


def test_same_event_id_from_another_offset_is_a_duplicate_or_a_conflict(households):
    b = Builder("d")
    msg = b.income("H-2", TODAY, "100.00", TODAY - timedelta(days=30), TODAY)
    changed = json.loads(json.dumps(msg))
    changed["data"]["amount_yuan"] = "999.00"
    assert feed(households, [msg, msg, changed]) == ["stored", "duplicate", "conflict"]
    assert len(households.household("H-2").facts.incomes) == 1


def test_rebuild_equals_live(households, projection, store_settings):
    messages = sample_events(TODAY)
    # Live: project after every message, as the service does.
    for offset, m in enumerate(messages):
        ev = parse_event(json.dumps(m))
        households.receive(
            ev.type,
            ev.household_id,
            FactRef(ev.source, ev.event_id, ev.occurred_at, ev.digest()),
            ev.data.model_dump(),
            kafka_position("t", 0, offset),
        )
        projection.catch_up()
    live = {s.household_id: s for s in projection.view.search(limit=100).items}
    assert len(live) == 6
    assert projection.rebuild() == projection.position()
    rebuilt = {s.household_id: s for s in projection.view.search(limit=100).items}
    assert rebuilt == live
    # In three processes, each replaying a range of household ids: the same view.
    assert projection.rebuild(workers=3, settings=store_settings) == projection.position()
    assert {s.household_id: s for s in projection.view.search(limit=100).items} == live
    levels = {h: s.level for h, s in rebuilt.items()}
    assert levels["430624-0003"] == "none" and levels["430624-0002"] == "high"


def test_view_filters_pages_and_counts(households, projection):
    feed(households, sample_events(TODAY))
    projection.catch_up()
    view = projection.view
    assert view.search(township="岭北镇").total == 2
    assert {s.household_id for s in view.search(township="金龙镇", card="yellow").items} == {
        "430624-0001",
        "430624-0005",
    }
    page = view.search(limit=2, offset=4)
    assert page.total == 6 and len(page.items) == 2
    counts = view.counts("card", "level")
    assert counts[(None, "high")] == 1  # the household the registry does not know
    assert sum(counts.values()) == 6
    # Counted with search's filters: the same rows search finds.
    jinlong = view.counts("card", township="金龙镇")
    assert sum(jinlong.values()) == view.search(township="金龙镇").total
    assert jinlong[("yellow",)] == 2
    below = view.counts("township", before="430624-0003", card=["yellow", "red"])
    assert (
        sum(below.values()) == view.search(before="430624-0003", card=["yellow", "red"]).total > 0
    )
    # Below another column than the order's (a second deadline).
    assert view.counts("card", before=("township", "金"), township=None) == view.counts(
        "card", township="岭北镇"
    )
    with pytest.raises(ValueError):
        view.counts("card", before=("colour", "x"))
    with pytest.raises(ValueError):
        view.search(colour="red")
    with pytest.raises(ValueError):
        view.counts("card", colour="red")


def test_loan_totals_for_the_county_overdue_ratio(households, projection):
    feed(households, sample_events(TODAY))
    projection.catch_up()
    # One household has one loan, past due: 1 open, 1 overdue.
    totals = projection.view.totals()
    assert (totals["open_loans"], totals["overdue_loans"]) == (1, 1)


def test_a_household_out_of_memory_is_read_back_as_its_stream_head(households):
    b = Builder("head")
    registered = b.register("H-9", TODAY, "yellow")
    income = b.income("H-9", TODAY, "100.00", TODAY - timedelta(days=30), TODAY)
    assert feed(households, [registered, income]) == ["stored", "stored"]
    stored = households.household("H-9")
    households.cache.clear()

    (head,) = read_heads(households, {stored.id: "H-9"}).values()
    assert head.version == stored.version == 3
    assert head.receipts == households.get_or_open("H-9").receipts and len(head.receipts) == 2
    assert read_heads(households, {household_id("H-none"): "H-none"}) == {}

    # Decided from the head alone, the stream goes on where it stopped.
    changed = json.loads(json.dumps(income))
    changed["data"]["amount_yuan"] = "999.00"
    later = b.income("H-9", TODAY, "50.00", TODAY - timedelta(days=60), TODAY - timedelta(days=31))
    assert feed(households, [income, changed, later], partition=1) == [
        "duplicate",
        "conflict",
        "stored",
    ]
    households.cache.clear()
    assert feed(households, [later], partition=2) == ["duplicate"]
    h = households.household("H-9")
    assert h.version == 4 and [i.amount_yuan for i in h.facts.incomes] == [100, 50]


def test_a_packed_head_that_may_know_a_fact_has_it_decided_from_the_store(households):
    b = Builder("fp")
    registered = b.register("H-8", TODAY, "blue")
    income = b.income("H-8", TODAY, "80.00", TODAY - timedelta(days=30), TODAY)
    assert feed(households, [registered]) == ["stored"]
    aggregate_id = households.household("H-8").id
    # The head as the compact tier gives it back, holding besides its own the
    # fingerprint of the income's key too (as one in 2**32 new keys would).
    head = unpack_head(aggregate_id, pack_head(households.cache.get(aggregate_id)))
    ev = parse_event(json.dumps(income))
    head.receipts.packed += _token(f"{ev.source}/{ev.event_id}")[:FINGERPRINT]
    households.cache.put(aggregate_id, head)
    # Not taken for a re-delivery: the stored receipts say it is new.
    assert feed(households, [income], partition=1) == ["stored"]
    assert [i.amount_yuan for i in households.household("H-8").facts.incomes] == [80]
    # And what the store does know is told apart from a packed head too.
    households.cache.put(
        aggregate_id, unpack_head(aggregate_id, pack_head(households.cache.get(aggregate_id)))
    )
    changed = json.loads(json.dumps(income))
    changed["data"]["amount_yuan"] = "81.00"
    assert feed(households, [registered, income, changed], partition=2) == [
        "duplicate",
        "duplicate",
        "conflict",
    ]
    assert households.household("H-8").version == 3


def test_stored_events_are_the_librarys_json_byte_for_byte():
    # Events are written with orjson; a store must read the same as if the
    # library had written them, and read what the library wrote.
    from eventsourcing.persistence import JSONTranscoder

    from domain.household import FACT_TYPES, Household
    from services.infra.transcoder import OrjsonTranscoder
    from tests.helpers import county_facts

    app = Households(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    assert isinstance(app.mapper.transcoder, OrjsonTranscoder)
    library = JSONTranscoder()
    app.register_transcodings(library)
    aggregates: dict[str, Household] = {}
    kinds = set()
    for code, kind, ref, data in county_facts():
        kinds.add(kind)
        aggregates.setdefault(code, Household(code)).receive(kind, ref, data)
    events = [e for h in aggregates.values() for e in h.collect_events()]
    for event in events:
        state = {
            k: v for k, v in vars(event).items() if k not in ("originator_id", "originator_version")
        }
        ours = app.mapper.transcoder.encode(state)
        assert ours == library.encode(state)
        assert library.decode(ours) == app.mapper.transcoder.decode(ours) == state
    assert kinds == set(FACT_TYPES) and len(events) > 500
    # What orjson refuses, the library's encoder still writes.
    assert app.mapper.transcoder.encode({"n": 2**70, 1: "x"}) == library.encode(
        {"n": 2**70, 1: "x"}
    )


def test_reevaluation_walks_every_household_onto_the_new_day(households, projection):
    b = Builder("re")
    due = TODAY + timedelta(days=10)
    for i in range(5):
        feed(
            households,
            [b.register(f"R{i}", TODAY, "yellow"), b.loan(f"R{i}", TODAY, f"L{i}", "5000", due)],
            topic=f"re{i}",
        )
    projection.catch_up()
    assert [projection.view.get(f"R{i}").overdue_loans for i in range(5)] == [0] * 5
    # No department speaks; the loans fall due all the same.
    later = TODAY + timedelta(days=40)
    projection.today = lambda: later
    assert projection.reevaluate(batch=2) == 5
    for i in range(5):
        status = projection.view.get(f"R{i}")
        assert (status.evaluated_on, status.overdue_loans) == (later, 1)
    assert projection.view.keys(limit=2) == ["R0", "R1"]
    assert projection.view.keys(after="R3") == ["R4"]


def test_the_view_writes_a_computed_status_as_its_model_would(projection):
    # The projector hands the view the domain's RiskStatus, not RiskStatusOut:
    # the row must be the one the model would have written, on every store.
    from domain.risk import assess
    from schemas.status import RiskStatusOut
    from services.households.statusview import RISK_STATUS
    from tests.helpers import county_sheets

    on = date(2026, 12, 31)
    policy = projection.policies.in_force(on)
    statuses = [assess(h.facts, policy, on) for h in county_sheets().values()]
    assert {s.level for s in statuses} >= {"none", "high"} and any(s.factors for s in statuses)
    for status in statuses:
        assert RISK_STATUS.row(status) == RISK_STATUS.row(RiskStatusOut.model_validate(status))
    projection.view.save(statuses, None)
    for status in statuses:
        assert projection.view.get(status.household_id) == RiskStatusOut.model_validate(status)


def test_following_ahead_writes_each_batch_before_the_next_and_retries_a_failed_one(
    households, projection, store_settings
):
    # While following, the next batch is built as the last is written; a
    # failed save is read again and the view ends as a synchronous pass ends.
    from concurrent.futures import ThreadPoolExecutor

    from tests.helpers import county_facts

    for offset, (code, kind, ref, data) in enumerate(county_facts()):
        households.receive(kind, code, ref, data, kafka_position("ahead", 0, offset))
    top = households.recorder.max_notification_id()
    save, calls = projection.view.save, []

    def flaky_save(docs, tracking):
        calls.append(tracking.notification_id)
        if len(calls) in (2, 4):
            raise RuntimeError("the store went away")
        save(docs, tracking)

    projection.view.save = flaky_save
    with ThreadPoolExecutor(1) as writer:
        assert projection.run_ahead(writer, limit=100) == 100
        assert projection.run_ahead(writer, limit=100) == 100  # its save will fail
        with pytest.raises(RuntimeError):
            projection.run_ahead(writer, limit=100)  # the last save failed: nothing new is sent
        assert projection.position() == 100  # only what was stored
        assert projection.run_ahead(writer, limit=100) == 100  # 101-200 again
        assert projection.run_ahead(writer, limit=100) == 100  # its save will fail too
        # A synchronous pass (the API's) is not the one to report it: it
        # starts from what the view holds.
        assert projection.run_once(limit=100) == 100 and projection.position() == 300
        while projection.run_ahead(writer, limit=100):
            pass
    assert projection.position() == top
    # Each failed batch read again from the view's position.
    assert calls[:5] == [100, 200, 200, 300, 300]
    ahead = {s.household_id: s for s in projection.view.search(limit=1000).items}
    del projection.view.save
    projection.rebuild()
    assert {s.household_id: s for s in projection.view.search(limit=1000).items} == ahead
    assert len(ahead) > 40


def test_households_spilled_to_compact_form_decide_and_project_as_if_never_spilled(
    households, store_settings
):
    # Hot tiers of one household: every other one is spilled and unpacked again.
    households.cache = PackedCache(
        CacheSettings(objects=1, spill_bytes=1 << 20), pack_head, unpack_head
    )
    view = open_view(store_settings)
    try:
        projection = RiskStatusProjection(
            households,
            view,
            load_policies(store_settings),
            lambda: TODAY,
            cache=CacheSettings(objects=1, spill_bytes=1 << 20, spilling_objects=2_000),
        )
        messages = sample_events(TODAY)
        assert set(feed(households, messages)) == {"stored"}
        projection.catch_up()
        assert len(households.cache.spilled) > 1 and len(projection.cache.spilled) > 1
        live = {s.household_id: s for s in view.search(limit=100).items}
        # Re-deliveries and a conflict are told from the spilled heads.
        changed = json.loads(json.dumps(messages[-1]))
        changed["data"] = {
            **changed["data"],
            **{k: "999.00" for k in changed["data"] if k.endswith("_yuan")},
        }
        assert feed(households, [*messages, changed], partition=1) == ["duplicate"] * len(
            messages
        ) + ["conflict"]
        projection.rebuild()
        assert {s.household_id: s for s in view.search(limit=100).items} == live
    finally:
        view.datastore.close()


@pytest.fixture
def postgres_settings(base_settings, postgres_up):
    from tests.conftest import _drop_schema, _fresh_schema

    schema = _fresh_schema(base_settings)
    yield base_settings.model_copy(update={"store": "postgres", "postgres_schema": schema})
    _drop_schema(base_settings, schema)


def test_a_view_table_with_a_jsonb_body_is_converted_keeping_its_rows(postgres_settings):
    # PostgreSQL views kept the body as jsonb before it became text; opening
    # the view converts such a table. (SQLite's was always text.)
    from domain.facts import fold
    from domain.household import Household
    from domain.risk import assess
    from schemas.status import RiskStatusOut
    from tests.helpers import county_facts

    code, kind, ref, data = next(iter(county_facts()))
    aggregate = Household(code)
    aggregate.receive(kind, ref, data)
    household = fold(aggregate.collect_events())
    on = date(2026, 12, 31)
    status = RiskStatusOut.model_validate(
        assess(household.facts, load_policies(postgres_settings).in_force(on), on)
    )
    view = open_view(postgres_settings)
    view.save([status], None)
    schema = postgres_settings.postgres_schema
    with view.datastore.transaction(commit=True) as curs:
        curs.execute(
            f"ALTER TABLE {schema}.risk_status ALTER COLUMN body TYPE jsonb USING body::jsonb"
        )
    view.datastore.close()

    reopened = open_view(postgres_settings)
    with reopened.datastore.transaction(commit=False) as curs:
        curs.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = %s "
            "AND table_name = 'risk_status' AND column_name = 'body'",
            (schema,),
        )
        assert curs.fetchone()["data_type"] == "text"
    assert reopened.get(code) == status
    reopened.save([status.model_copy(update={"level": "high"})], None)
    assert [s.household_id for s in reopened.search(level="high").items] == [code]
    reopened.datastore.close()


def test_a_reassessment_that_keeps_the_indexed_columns_stays_on_its_page(postgres_settings):
    # A status with two factors and the guarantees is about a kilobyte; the
    # table's pages keep room for one new version each, so that a monthly
    # reassessment (same township, village, card and level) is a HOT update
    # that writes no index entry. A table made with less room gets it.
    from schemas.status import FactorOut, RiskStatusOut

    factor = FactorOut(
        code="assistance_missing",
        severity="watch",
        reason="per-capita income 949.49 yuan is below the minimum-living line of 4000 "
        "and the household gets no allowance",
        figures={"per_capita_income_yuan": "949.49", "dibao_line_yuan": "4000"},
    )
    statuses = [
        RiskStatusOut(
            household_id=f"430624{i:08d}",
            registered=True,
            township="文星街道",
            village="新湖社区",
            card="green",
            members=4,
            labour_capable=2,
            evaluated_on=date(2026, 11, 30),
            policy_from=date(2023, 1, 1),
            per_capita_income_yuan=None,
            previous_per_capita_income_yuan=None,
            half_year_per_capita_income_yuan=None,
            income_stale=False,
            medical_self_paid_yuan=0,
            employed_members=0,
            housing_damage="none",
            open_loans=0,
            overdue_loans=0,
            factors=[factor, factor, factor],
            level="watch",
            guarantees=["income", "safety_net"],
        )
        for i in range(40)
    ]
    assert all(len(s.model_dump_json()) > 1000 for s in statuses)
    schema = postgres_settings.postgres_schema
    view = open_view(postgres_settings)
    with view.datastore.transaction(commit=True) as curs:
        curs.execute(f"ALTER TABLE {schema}.risk_status SET (fillfactor = 90)")
    view.datastore.close()
    view = open_view(postgres_settings)  # an older table: reopened, it gets the room
    try:
        view.save(statuses, None)

        def pages() -> dict[str, str]:
            with view.datastore.transaction(commit=False) as curs:
                curs.execute(f"SELECT household_id, ctid::text AS t FROM {schema}.risk_status")
                return {r["household_id"]: r["t"].split(",")[0] for r in curs.fetchall()}

        before = pages()
        assert len(set(before.values())) > 1  # several pages, each full to its fillfactor
        # One household of each page reassessed a month later, in one batch.
        firsts = {page: key for key, page in sorted(before.items())}
        later = [
            s.model_copy(update={"evaluated_on": date(2026, 12, 31)})
            for s in statuses
            if s.household_id in firsts.values()
        ]
        view.save(later, None)
        after = pages()
        assert {k: after[k] for k in firsts.values()} == {k: before[k] for k in firsts.values()}
        assert view.get(later[0].household_id) == later[0]
    finally:
        view.datastore.close()


def test_partitions_taken_back_as_they_were_left_keep_the_cache_and_its_claim(
    store_settings, households
):
    b = Builder("back")
    ours = [("t", 0), ("t", 1)]
    assert households.assign(ours, among=2) == {("t", 0): None, ("t", 1): None}
    assert households.cache.complete  # nothing recorded: every household is new
    assert feed(households, [b.register("H-1", TODAY, "yellow")], partition=0) == ["stored"]
    kept = households.cache.get(household_id("H-1"))
    assert kept is not None and kept.version == 2

    # A rebalance hands the same partitions back, at the positions this
    # process recorded: nobody wrote them meanwhile.
    assert households.assign(ours, among=2) == {("t", 0): 1, ("t", 1): None}
    assert households.cache.complete
    assert households.cache.get(household_id("H-1")) is kept

    # The topic gained partitions (keys may have moved): forgotten.
    households.assign(ours, among=4)
    assert len(households.cache) == 0 and not households.cache.complete
    households.assign(ours, among=2)
    feed(households, [b.income("H-1", TODAY, "10.00", TODAY - timedelta(days=30), TODAY)], start=1)
    assert households.cache.get(household_id("H-1")) is not None

    # Another process wrote one of them in between: forgotten, and the
    # store is read for what the other wrote.
    other = Households(env=store_settings.store_env("Monitor"))
    try:
        assert feed(other, [b.register("H-2", TODAY, "blue")], partition=1) == ["stored"]
    finally:
        other.close()
    households.assign(ours, among=2)
    assert len(households.cache) == 0 and not households.cache.complete
    assert feed(
        households,
        [b.income("H-2", TODAY, "20.00", TODAY - timedelta(days=30), TODAY)],
        partition=1,
        start=1,
    ) == ["stored"]
    assert households.household("H-2").version == 3

    # Other partitions than those left: forgotten too.
    households.assign(ours, among=2)
    assert households.cache.get(household_id("H-2")) is not None
    households.assign([("t", 0)], among=2)
    assert len(households.cache) == 0
