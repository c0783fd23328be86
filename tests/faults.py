"""Helpers for the fault tests: services as real processes, a corpus with
invalid and duplicate messages, and the checks that nothing was lost or
stored twice."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from services.infra import kafka
from services.infra.settings import Settings
from synthetic.county import encode, make_county, messages

ROOT = Path(__file__).resolve().parent.parent
SCALE = int(os.environ.get("POVWATCH_FAULT_SCALE", "1"))  # 1: CI's short runs; 4+: the long ones


def service_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is not None:
            env[f"POVWATCH_{name.upper()}"] = str(value)
    env["POVWATCH_LOG_LEVEL"] = "WARNING"
    env.update(extra)
    return env


class Proc:
    """A povwatch service as its own process."""

    def __init__(
        self, settings: Settings, command: str, log: Path, http: bool = False, **env: str
    ) -> None:
        self.settings, self.command, self.log, self.env = settings, command, log, env
        self.http = http
        self.p: subprocess.Popen | None = None

    def start(self) -> Proc:
        out = self.log.open("a")
        self.p = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "services.cli",
                self.command,
                "--http" if self.http else "--no-http",
            ],
            env=service_env(self.settings, **self.env),
            cwd=ROOT,
            stdout=out,
            stderr=out,
        )
        return self

    def kill(self) -> None:
        assert self.p is not None
        self.p.send_signal(signal.SIGKILL)
        self.p.wait(timeout=30)

    def stop(self) -> None:
        if self.p is not None and self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.p.kill()

    def alive(self) -> bool:
        return self.p is not None and self.p.poll() is None


@dataclass
class Corpus:
    """Valid messages, some sent twice, and invalid ones between them."""

    sent: list[tuple[bytes, bytes]] = field(default_factory=list)
    valid_keys: set[tuple[str, str]] = field(default_factory=set)
    valid_households: set[str] = field(default_factory=set)
    invalid_at: list[int] = field(default_factory=list)  # indexes into sent

    @classmethod
    def county(
        cls,
        households: int,
        months: int,
        seed: int,
        invalid_every: int = 97,
        duplicate_every: int = 53,
    ) -> Corpus:
        rng = random.Random(seed)
        corpus = cls()
        for n, m in enumerate(messages(make_county(households, seed=seed, months=months)), 1):
            key, value = encode(m)
            corpus.sent.append((key, value))
            corpus.valid_keys.add((m["source"], m["event_id"]))
            corpus.valid_households.add(m["household_id"])
            if n % duplicate_every == 0:
                corpus.sent.append((key, value))  # a publisher's retry
            if n % invalid_every == 0:
                bad = json.loads(value)
                choice = rng.randrange(3)
                if choice == 0:
                    bad["data"] = {"amount_yuan": "-1"}
                elif choice == 1:
                    bad["occurred_at"] = "yesterday"
                else:
                    bad = None
                raw = b"{not json" if bad is None else json.dumps(bad).encode()
                corpus.invalid_at.append(len(corpus.sent))
                corpus.sent.append((key, raw))
        return corpus


def publish(
    settings: Settings, items, pause_every: int = 0, pause: float = 0.0
) -> list[tuple[int, int]]:
    """Publishes (key, value) pairs; returns each one's (partition, offset), in order."""
    producer = kafka.producer(settings, linger_ms=10)
    futures = []
    for n, (key, value) in enumerate(items, 1):
        futures.append(producer.send(settings.events_topic, key=key, value=value))
        if pause_every and n % pause_every == 0:
            producer.flush()
            time.sleep(pause)
    producer.flush()
    metas = [f.get(timeout=60) for f in futures]
    producer.close()
    return [(m.partition, m.offset) for m in metas]


def dead_letter_origins(settings: Settings, timeout: float = 10.0) -> list[tuple[int, int]]:
    consumer = kafka.consumer(settings, None)
    consumer.subscribe([settings.dlq_topic])
    origins, idle_since = [], time.monotonic()
    while time.monotonic() - idle_since < timeout:
        batch = consumer.poll(timeout_ms=500)
        for records in batch.values():
            for r in records:
                h = dict(r.headers)
                origins.append(
                    (int(h["povwatch.origin.partition"]), int(h["povwatch.origin.offset"]))
                )
            idle_since = time.monotonic()
    consumer.close()
    return origins


def stored_facts(households_app) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """Fact events per household and every (source, event_id) the store holds."""
    from services.households.reads import replay

    top = households_app.recorder.max_notification_id() or 0
    counts: dict[str, int] = defaultdict(int)
    keys: set[tuple[str, str]] = set()
    # Read every stream first: the replay's cursor is a transaction, which the
    # server ends if it idles while each write model is read.
    for household, events in list(replay(households_app, top)):
        code = household.facts.code
        counts[code] = events - 1  # less the stream's opening
        receipts = households_app.get_or_open(code).receipts  # the write model's
        for key in receipts:
            source, _, event_id = key.partition("/")
            keys.add((source, event_id))
        assert len(receipts) == events - 1, f"{code}: a fact stored twice"
    return counts, keys
