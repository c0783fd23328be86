from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar

from kafka import KafkaConsumer

from domain.facts import FactSheet, fold
from domain.household import FactRef, Household
from schemas.events import parse_event, parse_object
from services.households.app import Households, kafka_position
from services.infra import kafka
from services.infra.settings import Settings
from synthetic.county import make_county, messages
from synthetic.sample import Builder, encode

T = TypeVar("T")


def county_facts() -> Iterator[tuple[str, str, FactRef, dict[str, Any]]]:
    """A year of a small generated county and the rarer facts besides, as the
    consumer hands them over: (household, type, ref, data)."""
    b, on = Builder("rare"), date(2026, 6, 1)
    rare = [
        b.register("R1", on, "yellow"),
        b.loan("R1", on, "L1", "5000", date(2027, 1, 1)),
        b.overdue("R1", on, "L1", 40, "5000"),
        b.overdue("R2", on, "L2", 10, "100"),
        b.event("household.card_changed", "R1", on, {"card": "blue", "reason": "relapse"}),
        b.schooling("R1", on, "c1", "dropped_out", reason="poverty"),
        b.insurance("R1", on, "p1", "lapsed"),
        b.housing("R1", on, "D"),
        b.water("R1", on, ["access"]),
        b.assistance("R1", on, "dibao", "granted", "300"),
        b.members("R1", on, "birth", "n1"),
        b.disability("R1", on, "p2", 2),
    ]
    for m in [*messages(make_county(40, seed=5, months=12, start=date(2026, 1, 1))), *rare]:
        ev = parse_object(m)
        yield (
            ev.household_id,
            ev.type,
            FactRef(ev.source, ev.event_id, ev.occurred_at, ev.digest()),
            ev.data.model_dump(),
        )


def county_streams() -> dict[str, list[Any]]:
    """Each household's events of ``county_facts``, as ingestion makes them
    (``Household.receive``), oldest first."""
    households: dict[str, Household] = {}
    for code, kind, ref, data in county_facts():
        h = households.get(code) or households.setdefault(code, Household.open(code))
        h.receive(kind, ref, data)
    return {code: list(h.collect_events()) for code, h in households.items()}


def county_sheets() -> dict[str, FactSheet]:
    """The fact sheet of each household of ``county_facts``."""
    return {code: fold(events) for code, events in county_streams().items()}


def wait_for(
    probe: Callable[[], T],
    timeout: float = 30.0,
    what: str = "condition",
    state: Callable[[], str] | None = None,
) -> T:
    """``state`` describes, on a timeout, where the waited-for work stood."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            seen = f" ({state()})" if state else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}{seen}")
        time.sleep(0.1)


def publish(settings: Settings, *messages: dict[str, Any] | tuple) -> None:
    """Messages as dicts, (key, value) or (key, value, headers)."""
    producer = kafka.producer(settings)
    for m in messages:
        key, value, *headers = encode(m) if isinstance(m, dict) else m
        producer.send(
            settings.events_topic, key=key, value=value, headers=headers[0] if headers else None
        )
    producer.flush()
    producer.close()


def signed(message: dict[str, Any], account: str, token: str) -> tuple:
    """``message`` as a department's producer signs it with its token."""
    from services.infra.senders import signed as headers

    key, value = encode(message)
    return key, value, headers(account, token, value)


def read_topic(settings: Settings, topic: str, expect: int, timeout: float = 30.0) -> list:
    consumer: KafkaConsumer = kafka.consumer(settings, group=None, consumer_timeout_ms=1000)
    consumer.subscribe([topic])
    got: list = []
    deadline = time.monotonic() + timeout
    while len(got) < expect and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            got.extend(batch)
    consumer.close()
    return got


def headers(record) -> dict[str, Any]:
    h = {k: v.decode() for k, v in record.headers}
    h["povwatch.reason"] = json.loads(h["povwatch.reason"])
    return h


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def clients(app, accounts, **who: tuple) -> dict:
    """A TestClient per account: ``name=(role, scope)``, the scope being a
    township (staff, reviewer), "township/village" (village staff) or a
    source (publisher)."""
    from fastapi.testclient import TestClient

    from domain.access import Role

    out = {}
    for name, (role, scope) in who.items():
        role = Role(role)
        township, _, village = (scope or "").partition("/")
        local = role in (Role.STAFF, Role.REVIEWER, Role.VILLAGE)
        token = accounts.issue(
            name,
            role,
            "test",
            township=township if local else None,
            source=scope if role is Role.PUBLISHER else None,
            village=village if role is Role.VILLAGE else None,
        )
        out[name] = TestClient(app, headers=bearer(token))
    return out


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def serving(broker_settings: Settings, store_dir, now, **more: Any):
    """Monitor and alerts with their HTTP servers on free ports, on SQLite,
    with the clock at ``now`` (or ``now()``, a clock the test advances); yields the settings, both services and the
    base URLs once both answer."""
    from domain import countyday
    from services.alerts.service import AlertsService
    from services.monitor.bootstrap import open_monitor

    settings = broker_settings.model_copy(
        update={
            "store": "sqlite",
            "sqlite_dir": store_dir,
            "monitor_port": free_port(),
            "alerts_port": free_port(),
            **more,  # other settings of the test's (a notification file, ports)
        }
    )
    clock = now if callable(now) else (lambda: now)  # a datetime, or a clock to advance
    with (
        open_monitor(settings, today=lambda: countyday.day(clock()), http=True) as monitor,
        AlertsService(settings, clock=clock, http=True) as alerts,
    ):
        base = {
            "monitor": f"http://127.0.0.1:{settings.monitor_port}",
            "alerts": f"http://127.0.0.1:{settings.alerts_port}",
        }
        for url in base.values():
            wait_for(lambda url=url: answers(url + "/healthz"), what=f"{url} to answer")
        yield settings, monitor, alerts, base


def feed(
    households: Households,
    messages: list[dict],
    topic: str = "t",
    partition: int = 0,
    start: int = 0,
) -> list[str]:
    """Each message received by the households as the consumer would, at
    offsets ``start``, ``start`` + 1, ... of one partition; the outcomes'
    statuses."""
    outcomes = []
    for offset, m in enumerate(messages, start):
        ev = parse_event(json.dumps(m))
        ref = FactRef(ev.source, ev.event_id, ev.occurred_at, ev.digest())
        outcome = households.receive(
            ev.type,
            ev.household_id,
            ref,
            ev.data.model_dump(),
            kafka_position(topic, partition, offset),
        )
        outcomes.append(outcome.status)
    return outcomes
