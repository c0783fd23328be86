"""The department upload path: a publisher's file, validated and published
to Kafka exactly as ``povwatch publish`` does, in the name of the department
its token speaks for."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from services.infra import kafka
from services.infra.settings import Settings
from services.monitor.publisher import Ledger, Report, publish_file

SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".xlsx")
MAX_BYTES = 50 * 1024 * 1024


class Uploads:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._producer = None
        self._lock = threading.Lock()  # one file at a time: the ledger is one SQLite file

    def publish(self, name: str, content: bytes, source: str) -> Report:
        suffix = Path(name).suffix.lower()
        if suffix not in SUFFIXES:
            raise ValueError(f"{name!r}: send a .jsonl, .csv or .xlsx file")
        if len(content) > MAX_BYTES:
            raise ValueError(f"{name!r} is larger than {MAX_BYTES // 2**20} MiB; split it")
        with self._lock, tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(content)
            if self._producer is None:
                kafka.ensure_topics(self.settings)
                self._producer = kafka.producer(self.settings)
            producer, topic = self._producer, self.settings.events_topic
            ledger = Ledger(self.settings.state_dir / "publish-ledger.db")
            try:
                return publish_file(
                    path,
                    source,
                    send=lambda k, v: producer.send(topic, key=k, value=v),
                    flush=producer.flush,
                    ledger=ledger,
                )
            finally:
                ledger.close()

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()
