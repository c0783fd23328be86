"""The department upload path: a publisher's file, validated and published
to Kafka exactly as ``povwatch publish`` does, in the name of the department
its token speaks for, each message signed for that account
(``services/infra/senders.py``) so that a dead letter of it is filed under
the uploader, whatever another producer claims."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import BinaryIO

from services.infra import kafka
from services.infra.access import Accounts
from services.infra.bodylimit import MIB
from services.infra.senders import signed_with
from services.infra.settings import Settings
from services.monitor.publisher import Ledger, Report, publish_file
from services.monitor.workbooks import WorkbookLimits

SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".xlsx")
CHUNK = MIB


class Uploads:
    def __init__(self, settings: Settings, accounts: Accounts | None = None) -> None:
        self.settings, self.accounts = settings, accounts
        self.max_bytes = settings.upload_max_mb * MIB
        self._producer = None
        self._lock = threading.Lock()  # one file at a time: the ledger is one SQLite file

    def publish(
        self, name: str, content: BinaryIO, source: str, account: str | None = None
    ) -> Report:
        """Publishes the file read from ``content``, copied a chunk at a time
        to a temporary file (deleted afterwards) and refused past the limit:
        the file is never held in memory whole."""
        suffix = Path(name).suffix.lower()
        if suffix not in SUFFIXES:
            raise ValueError(f"{name!r}: send a .jsonl, .csv or .xlsx file")
        with self._lock, tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{suffix}"
            self._copy(name, content, path)
            if self._producer is None:
                kafka.ensure_topics(self.settings)
                self._producer = kafka.producer(self.settings)
            producer, topic = self._producer, self.settings.events_topic
            key = self._key(account)

            def send(k: bytes, v: bytes):
                headers = signed_with(account, key, v) if account and key else None
                return producer.send(topic, key=k, value=v, headers=headers)

            ledger = Ledger(self.settings.state_dir / "publish-ledger.db")
            try:
                return publish_file(
                    path,
                    source,
                    send=send,
                    flush=producer.flush,
                    ledger=ledger,
                    workbook=WorkbookLimits.of(self.settings),
                )
            finally:
                ledger.close()

    def _copy(self, name: str, content: BinaryIO, path: Path) -> None:
        copied = 0
        with path.open("wb") as out:
            while chunk := content.read(CHUNK):
                copied += len(chunk)
                if copied > self.max_bytes:
                    raise ValueError(
                        f"{name!r} is larger than {self.max_bytes // MIB} MiB; split it"
                    )
                out.write(chunk)

    def _key(self, account: str | None) -> str | None:
        """The signing key of ``account``: the hash of its current token."""
        roster = self.accounts.roster() if self.accounts is not None and account else None
        found = roster.accounts.get(account) if roster and account else None
        return found.token_hash if found is not None and found.active else None

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()
