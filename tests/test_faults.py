"""Faults injected for real: processes killed with SIGKILL, the broker
restarted, PostgreSQL stopped. Nothing valid is lost, nothing is stored or
tasked twice, and the DLQ holds exactly the invalid messages.

CI runs short versions; POVWATCH_FAULT_SCALE=4 scripts/test.sh tests/test_faults.py
runs the long ones (at least 20,000 events, a database outage over a minute)."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time

import pytest
from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient

from domain import countyday
from services.alerts.service import AlertsService
from services.households.app import Households
from services.households.statusview import open_view
from services.infra import kafka
from services.infra.policyfile import load_policies
from services.infra.rulefile import load_rules
from services.monitor.api import create_app
from services.monitor.bootstrap import open_monitor
from services.monitor.riskstatus import RiskStatusProjection
from tests.conftest import _drop_schema, _fresh_schema, own_topics
from tests.faults import ROOT, SCALE, Corpus, Proc, dead_letter_origins, publish, stored_facts
from tests.helpers import read_topic, wait_for


@pytest.fixture
def pg(base_settings, kafka_up, postgres_up):
    """A fresh PostgreSQL schema and topics of this test's own."""
    schema = _fresh_schema(base_settings)
    store = base_settings.model_copy(update={"store": "postgres", "postgres_schema": schema})
    with own_topics(store) as settings:
        yield settings
    _drop_schema(base_settings, schema)


def ends(offsets: list[tuple[int, int]]) -> dict[int, int]:
    out: dict[int, int] = {}
    for partition, offset in offsets:
        out[partition] = max(out.get(partition, 0), offset + 1)
    return out


def caught_up(settings, households: Households, end: dict[int, int]) -> bool:
    try:
        return all(
            (households.resume_from(settings.events_topic, p) or 0) >= e for p, e in end.items()
        )
    except OperationalError:  # the database is still coming back
        return False


def ingestion_state(settings, service, end: dict[int, int]) -> str:
    """Which partitions the ingestor holds and how far the store is on each."""
    ingestor = service.ingestor
    try:
        stored = {p: service.households.resume_from(settings.events_topic, p) for p in end}
    except OperationalError as e:
        stored = {"store": type(e).__name__}
    return (
        f"healthy={ingestor.healthy} "
        f"assigned={sorted(tp.partition for tp in ingestor.consumer.assignment())} "
        f"stored={stored} ends={end}"
    )


def check_nothing_lost_or_doubled(settings, corpus: Corpus, offsets) -> None:
    households = Households(env=settings.store_env("Monitor"))
    try:
        _, keys = stored_facts(households)  # asserts no fact is stored twice
        assert keys == corpus.valid_keys
        expected_dead = {offsets[i] for i in corpus.invalid_at}
        assert set(dead_letter_origins(settings)) == expected_dead
    finally:
        households.close()


def check_statuses_equal_a_rebuild(settings) -> None:
    households = Households(env=settings.store_env("Monitor"))
    view = open_view(settings)
    try:
        live = {s.household_id: s for s in view.search(limit=1_000_000).items}
        projection = RiskStatusProjection(households, view, load_policies(settings))
        projection.rebuild()
        rebuilt = {s.household_id: s for s in view.search(limit=1_000_000).items}
        assert live == rebuilt
    finally:
        view.datastore.close()
        households.close()


def test_monitor_killed_mid_stream_loses_nothing_and_doubles_nothing(pg, tmp_path):
    rng = random.Random(7)
    corpus = Corpus.county(households=1_000 * SCALE, months=4 + SCALE // 2, seed=21)
    assert len(corpus.sent) >= (5_000 if SCALE == 1 else 20_000)
    monitor = Proc(pg, "monitor", tmp_path / "monitor.log").start()
    offsets: list = []
    publisher = threading.Thread(
        target=lambda: offsets.extend(publish(pg, corpus.sent, pause_every=400, pause=0.15))
    )
    publisher.start()
    households = Households(env=pg.store_env("Monitor"))
    try:
        for _ in range(5):
            time.sleep(rng.uniform(0.8, 2.5))
            monitor.kill()
            monitor.start()
        publisher.join()
        wait_for(
            lambda: caught_up(pg, households, ends(offsets)),
            timeout=180,
            what="the restarted monitor to ingest everything",
        )
        wait_for(
            lambda: RiskStatusProjection(households, open_view(pg), load_policies(pg)).lag() == 0,
            timeout=60,
            what="the projection to catch up",
        )
    finally:
        monitor.stop()
        households.close()
    check_nothing_lost_or_doubled(pg, corpus, offsets)
    check_statuses_equal_a_rebuild(pg)


def expected_tasks(settings) -> set[str]:
    """Households the default rules open a task for, from the stored facts."""
    from domain.risk import assess
    from services.households.reads import replay

    rules, policies = load_rules(settings.rules_file), load_policies(settings)
    households = Households(env=settings.store_env("Monitor"))
    today = countyday.today()
    out = set()
    for h, _ in replay(households, households.recorder.max_notification_id() or 0):
        rule = rules.match(assess(h.facts, policies.in_force(today), today))
        if rule is not None and rule.action == "open":
            out.add(h.facts.code)
    households.close()
    return out


def test_alerts_killed_mid_stream_makes_every_task_once(pg, tmp_path):
    rng = random.Random(8)
    corpus = Corpus.county(
        households=600 * SCALE, months=3, seed=22, invalid_every=10**9, duplicate_every=10**9
    )
    alerts = Proc(pg, "alerts", tmp_path / "alerts.log").start()
    with open_monitor(pg):
        publisher = threading.Thread(
            target=lambda: publish(pg, corpus.sent, pause_every=300, pause=0.2)
        )
        publisher.start()
        for _ in range(4):
            time.sleep(rng.uniform(1.0, 3.0))
            alerts.kill()
            alerts.start()
        publisher.join()
        service = AlertsService(pg)  # to watch the store; it does not run
        try:
            wait_for(
                lambda: (
                    service.triggers.lag() == 0
                    and service.relay_position.max_tracking_id("Alerts")
                    == service.alerts.recorder.max_notification_id()
                ),
                timeout=120,
                what="the alerts to evaluate and publish everything",
            )
            wanted = expected_tasks(pg)
            assert len(wanted) > 10
            service.task_view.catch_up()
            tasks = [t.household_id for t in service.tasks.search(limit=100_000).items]
            # Every household the rules pick has its task, and none has two. (A
            # household may also keep a task from a crossing that later facts undid.)
            assert len(tasks) == len(set(tasks)) and wanted <= set(tasks)
            assert all(service.alerts.watch(h).tasks_opened == 1 for h in tasks)
            # Each task became one lead, opening one case: none lost, none twice.
            wait_for(lambda: service.parts.leads.lag() == 0, timeout=60, what="the leads")
            service.catch_up()
            cases = service.case_list.search(limit=100_000).items
            assert sorted(c.household_id for c in cases) == sorted(tasks)
            assert all(len(c.leads) == 1 and c.leads[0].task_id for c in cases)
        finally:
            alerts.stop()
            service.stop()
    messages = read_topic(pg, pg.tasks_topic, expect=len(tasks), timeout=15)
    first_versions = [
        m.key.decode() for m in messages if dict(m.headers)["povwatch.task"].endswith(b":1")
    ]
    assert set(first_versions) == set(tasks)  # re-sent copies share (task id, version)


def test_alerts_killed_during_stage_changes_loses_and_doubles_no_step(pg, tmp_path):
    """Township staff record verifications while the alerts process is killed
    twice: every verification is recorded once (a retried request that had
    landed is refused as a step the case has passed)."""
    import httpx

    from domain.access import Role
    from tests.helpers import bearer, free_port

    corpus = Corpus.county(households=300, months=3, seed=23, invalid_every=10**9)
    port = free_port()
    web = pg.model_copy(update={"alerts_port": port})
    alerts = Proc(web, "alerts", tmp_path / "alerts.log", http=True).start()
    service = AlertsService(pg)  # to read the store and issue accounts; it does not run
    try:
        with open_monitor(pg):
            publish(pg, corpus.sent)
            wait_for(
                lambda: service.triggers.lag() == 0 and service.parts.leads.lag() == 0
                and service.alerts.recorder.max_notification_id() is not None,
                timeout=120, what="leads from the county's tasks",
            )  # fmt: skip
        service.catch_up()
        cases = service.case_list.search(limit=10_000, phase="open").items
        assert len(cases) >= 5
        tokens = {
            t: service.accounts.issue(f"staff-{t}", Role.STAFF, "test", township=t)
            for t in {c.township for c in cases if c.township}
        }
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(base), timeout=60, what="the alerts API")
        answered: dict[str, int] = {}
        refused: list[str] = []  # requests the killed process did not answer

        def verify_all() -> None:
            for c in cases:
                body = {
                    "visited_on": countyday.today().isoformat(), "members": 2, "labour_capable": 1,
                    "income_estimate_yuan": 6000, "hardship": [], "consent": True,
                }  # fmt: skip
                for _ in range(200):  # the process may be down: try again
                    try:
                        r = httpx.post(
                            f"{base}/cases/{c.case_id}/verification", json=body,
                            headers=bearer(tokens[c.township]), timeout=10,
                        )  # fmt: skip
                    except httpx.HTTPError:
                        refused.append(c.case_id)
                        time.sleep(0.2)
                        continue
                    if r.status_code in (200, 409):
                        answered[c.case_id] = r.status_code
                        break
                    time.sleep(0.2)

        worker = threading.Thread(target=verify_all)
        worker.start()
        for pause in (0.3, 0.5):
            time.sleep(pause)
            alerts.kill()
            alerts.start()
        worker.join(timeout=300)
        assert len(answered) == len(cases) and refused  # the kills fell among the requests
        for c in cases:
            case = service.cases.case(__import__("uuid").UUID(c.case_id))
            steps = [h["what"] for h in case.history]
            assert steps.count("verified") == 1, steps
            assert case.stage == "crosscheck"
    finally:
        alerts.stop()
        service.stop()


def _answers(base: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_broker_restarted_mid_stream(pg, tmp_path):
    corpus = Corpus.county(households=500 * SCALE, months=3, seed=23)
    half = len(corpus.sent) // 2
    offsets: list = []
    with open_monitor(pg) as service:
        offsets += publish(pg, corpus.sent[:half])
        wait_for(
            lambda: (service.households.recorder.max_notification_id() or 0) > 100,
            what="ingestion under way",
        )
        subprocess.run([str(ROOT / "scripts/kafka.sh"), "stop"], check=True)
        time.sleep(3)
        subprocess.run([str(ROOT / "scripts/kafka.sh"), "start"], check=True)
        kafka.ensure_topics(pg)  # answers once the broker serves metadata again
        offsets += publish(pg, corpus.sent[half:])
        wait_for(
            lambda: caught_up(pg, service.households, ends(offsets)),
            timeout=180,
            what="ingestion to finish after the broker came back",
            state=lambda: ingestion_state(pg, service, ends(offsets)),
        )
    check_nothing_lost_or_doubled(pg, corpus, offsets)


def test_database_outage_pauses_then_resumes_by_itself(pg, tmp_path):
    outage = 65 if SCALE > 1 else 12
    corpus = Corpus.county(households=500 * SCALE, months=3, seed=24)
    half = len(corpus.sent) // 2
    offsets: list = []
    with open_monitor(pg) as service:
        api = TestClient(
            create_app(
                service.households,
                service.view,
                service.accounts,
                service._ready,
                policies=lambda: service.projection.policies,
            )
        )
        offsets += publish(pg, corpus.sent[:half])
        wait_for(
            lambda: caught_up(pg, service.households, ends(offsets)),
            timeout=180,
            what="the first half ingested",
            state=lambda: ingestion_state(pg, service, ends(offsets)),
        )
        before = {p: service.households.resume_from(pg.events_topic, p) for p in ends(offsets)}
        subprocess.run([str(ROOT / "scripts/postgres.sh"), "stop"], check=True)
        try:
            offsets += publish(pg, corpus.sent[half:])
            ingestor = service.ingestor
            wait_for(lambda: not ingestor.healthy, timeout=60, what="ingestion to pause")
            assert api.get("/readyz").status_code == 503
            time.sleep(outage)
            assert ingestor.consumer.paused() == ingestor.consumer.assignment()  # fetching nothing
            committed = {
                tp.partition: ingestor.consumer.committed(tp)
                for tp in ingestor.consumer.assignment()
            }
            for p, offset in committed.items():
                assert offset is None or offset <= (before.get(p) or 0)  # never ahead of the store
        finally:
            subprocess.run([str(ROOT / "scripts/postgres.sh"), "start"], check=True)
        wait_for(
            lambda: caught_up(pg, service.households, ends(offsets)),
            timeout=180,
            what="ingestion to resume by itself",
            state=lambda: ingestion_state(pg, service, ends(offsets)),
        )
        wait_for(lambda: api.get("/readyz").status_code == 200, timeout=60, what="ready again")
    check_nothing_lost_or_doubled(pg, corpus, offsets)


def test_two_monitors_and_two_alerts_share_the_work_and_take_over(pg, tmp_path):
    from kafka import KafkaAdminClient

    corpus = Corpus.county(households=800 * SCALE, months=3, seed=25)
    monitors = [Proc(pg, "monitor", tmp_path / f"m{i}.log").start() for i in range(2)]
    alerts = [Proc(pg, "alerts", tmp_path / f"a{i}.log").start() for i in range(2)]
    households = Households(env=pg.store_env("Monitor"))
    offsets: list = []
    try:
        admin = KafkaAdminClient(bootstrap_servers=pg.kafka_bootstrap)

        def members() -> list:
            group = admin.describe_groups([pg.monitor_group])[pg.monitor_group]
            return group["members"] if group["group_state"] == "Stable" else []

        def shares() -> list[int]:
            return sorted(
                sum(len(a["partitions"]) for a in m["member_assignment"]["assigned_partitions"])
                for m in members()
            )

        # Four partitions, two each (a first assignment made before the topic's
        # metadata reached the group leader is empty; the group then rebalances).
        wait_for(
            lambda: shares() == [2, 2], timeout=90, what="both monitors sharing the partitions"
        )
        third = len(corpus.sent) // 3
        offsets += publish(pg, corpus.sent[:third])
        monitors[0].kill()
        alerts[0].kill()
        offsets += publish(pg, corpus.sent[third:])
        wait_for(
            lambda: caught_up(pg, households, ends(offsets)),
            timeout=180,
            what="the surviving monitor to take over every partition",
        )
        admin.close()
        service = AlertsService(pg)
        try:
            wait_for(
                lambda: service.triggers.lag() == 0, timeout=120, what="the standby alerts to lead"
            )
            wanted = expected_tasks(pg)
            service.task_view.catch_up()
            tasks = [t.household_id for t in service.tasks.search(limit=100_000).items]
            assert len(tasks) == len(set(tasks)) and wanted <= set(tasks)
        finally:
            service.stop()
    finally:
        for p in monitors + alerts:
            p.stop()
        households.close()
    check_nothing_lost_or_doubled(pg, corpus, offsets)
    check_statuses_equal_a_rebuild(pg)


def test_bad_configuration_at_start_names_the_line_and_a_running_service_keeps_its_own(
    pg, tmp_path
):
    from services.infra.rulefile import DEFAULT_RULES
    from tests.faults import service_env

    rules = tmp_path / "rules.yaml"
    rules.write_text(DEFAULT_RULES.read_text().replace("cards: [green]", "cards: [purple]"))
    env = service_env(pg.model_copy(update={"rules_file": rules}))
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "alerts", "--no-http"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"{rules}:13: rules.1.cards.0" in result.stdout + result.stderr

    rules.write_text(DEFAULT_RULES.read_text())
    service = AlertsService(pg.model_copy(update={"rules_file": rules}))
    try:
        good = service.alerts.rules
        rules.write_text("rules: [\n")
        error = service.reload_config()
        assert error and "not valid YAML" in error and f"{rules}:" in error
        assert service.alerts.rules is good  # the last good rules stay in force
        rules.write_text(
            DEFAULT_RULES.read_text().replace("cooldown_days: 30", "cooldown_days: 10")
        )
        assert service.reload_config() is None and service.alerts.rules.cooldown_days == 10
    finally:
        service.stop()
