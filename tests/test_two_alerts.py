"""Two alerts processes on one PostgreSQL store, each serving HTTP: staff
acknowledge every open task through both at once. Every action is recorded
once and answered 200 (a request never writes the tasks view, so the
processes never race to record the view's position), and the view, written
by the leading process alone, shows them all."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from uuid import UUID

import httpx
import pytest

from domain import countyday
from domain.access import Role
from services.alerts.bootstrap import open_alerts
from services.households.app import Households
from services.infra.access import open_accounts
from synthetic.sample import Builder
from tests.conftest import _drop_schema, _fresh_schema, own_topics
from tests.faults import Proc
from tests.helpers import answers, bearer, free_port, wait_for
from tests.test_alerts import YEAR, feed_at

TASKS = 300


@pytest.fixture
def pg(base_settings, kafka_up, postgres_up):
    schema = _fresh_schema(base_settings)
    store = base_settings.model_copy(update={"store": "postgres", "postgres_schema": schema})
    with own_topics(store) as settings:
        yield settings
    _drop_schema(base_settings, schema)


def open_tasks_for(settings, n: int) -> None:
    """Households whose facts open a task each (yellow card, income below the line)."""
    households = Households(env=settings.store_env("Monitor"))
    b = Builder("two")
    offset = 0
    for i in range(n):
        hid = f"H-{i:04d}"
        for m in (
            b.register(hid, date(2025, 1, 1), "yellow", members=1, labour=1),
            b.income(hid, countyday.today(), "100.00", *YEAR),
        ):
            feed_at(households, m, offset)
            offset += 1
    households.close()


def test_two_processes_acknowledge_through_both_ports_at_once(pg, tmp_path):
    open_tasks_for(pg, TASKS)
    accounts = open_accounts(pg)
    token = accounts.issue("county-1", Role.COUNTY, "test")
    accounts.close()
    ports = [free_port(), free_port()]
    procs = [
        Proc(
            pg, "alerts", tmp_path / f"alerts-{port}.log", http=True, POVWATCH_ALERTS_PORT=str(port)
        )
        for port in ports
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    # Idle connections are dropped before the server drops them (its keep-alive is 5 s).
    limits = httpx.Limits(max_connections=32, keepalive_expiry=1.0)
    client = httpx.Client(headers=bearer(token), timeout=60, limits=limits)

    def view(base: str, **filters: str) -> int:
        return client.get(f"{base}/tasks", params={"limit": 1, **filters}).json()["total"]

    try:
        for p in procs:
            p.start()
        for base in bases:
            wait_for(lambda base=base: answers(f"{base}/healthz"), what=f"{base} to answer")
        wait_for(lambda: view(bases[0]) == TASKS, timeout=180, what=f"{TASKS} open tasks")
        ids = [
            t["task_id"]
            for t in client.get(f"{bases[0]}/tasks", params={"limit": 500}).json()["items"]
        ]
        assert len(ids) == TASKS

        def acknowledge(job: tuple[str, str]) -> int | str:
            base, task_id = job
            try:
                return client.post(f"{base}/tasks/{task_id}/acknowledge").status_code
            except httpx.TransportError as e:  # counted, so that the figures show it
                return type(e).__name__

        # Each task through both ports at once: the two requests race for it.
        jobs = [(base, tid) for tid in ids for base in bases]
        with ThreadPoolExecutor(16) as pool:
            answered = Counter(pool.map(acknowledge, jobs))
        print(f"{TASKS} tasks, {len(jobs)} acknowledgements through 2 processes: {dict(answered)}")
        assert answered == {200: 2 * TASKS}
        for base in bases:
            wait_for(
                lambda base=base: view(base, status="acknowledged") == TASKS,
                timeout=120,
                what="the tasks view to show every acknowledgement",
            )
        assert view(bases[1], status="open") == 0
    finally:
        client.close()
        for p in procs:
            p.stop()
    alerts = open_alerts(pg)
    try:
        for tid in ids:
            history = [h["what"] for h in alerts.task(UUID(tid)).history]
            assert history == ["created", "acknowledged"], (tid, history)
    finally:
        alerts.close()
    for p in procs:
        assert "Traceback" not in p.log.read_text(), p.log.read_text()[-3000:]
