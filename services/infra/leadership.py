"""One active process for the work that must not run twice at once.

Ingestion scales out through Kafka's consumer group; the read models and the
alerts follow one ordered log with one position each, so one process does
that work and the others stand by. The lock is PostgreSQL's session advisory
lock (or, on the embedded SQLite store, a file lock): both are released by
the operating system or the server when the holding process dies, however it
dies, and a standby takes over on its next try."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import IO

import psycopg

from services.infra.settings import Settings

log = logging.getLogger(__name__)


class Leadership:
    def __init__(self, settings: Settings, name: str) -> None:
        self.settings, self.name = settings, name
        self.held = False
        self._conn: psycopg.Connection | None = None
        self._file: IO[str] | None = None

    def _key(self) -> int:
        scope = f"{self.settings.postgres_schema}/{self.name}"
        return int.from_bytes(
            hashlib.blake2b(scope.encode(), digest_size=8).digest(), "big", signed=True
        )

    def try_acquire(self) -> bool:
        """True when this process holds the lock (now or already)."""
        if self.held and self._still_held():
            return True
        self.held = False
        try:
            self.held = self._acquire()
        except Exception as e:  # the store is away: not the leader for now
            log.warning("leadership of %s not checked: %s", self.name, type(e).__name__)
            self._drop()
            self.held = False
        if self.held:
            log.info("this process now leads %s", self.name)
        return self.held

    def _acquire(self) -> bool:
        s = self.settings
        if s.store == "sqlite":
            s.sqlite_dir.mkdir(parents=True, exist_ok=True)
            if self._file is None:
                self._file = open(Path(s.sqlite_dir) / f"{self.name}.lock", "w")
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            self._file.write(str(os.getpid()))
            self._file.flush()
            return True
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                host=s.postgres_host,
                port=s.postgres_port,
                dbname=s.postgres_dbname,
                user=s.postgres_user,
                password=s.postgres_password,
                autocommit=True,
                connect_timeout=5,
                application_name=f"povwatch-{self.name}",
            )
        row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key(),)).fetchone()
        return bool(row and row[0])

    def _still_held(self) -> bool:
        if self.settings.store == "sqlite":
            return True  # a file lock lasts as long as the process
        try:
            assert self._conn is not None
            self._conn.execute("SELECT 1")
            return True
        except Exception:
            log.warning("lost the connection holding the lock of %s", self.name)
            self._drop()
            return False

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                pass
            self._conn = None

    def watch(self, leading: threading.Event, stop: threading.Event, every: float = 1.0) -> None:
        """Keeps ``leading`` set while this process holds the lock; tries to
        take it over while another process does."""
        while not stop.is_set():
            if self.try_acquire():
                leading.set()
            else:
                leading.clear()
            stop.wait(every)
        leading.clear()
        self.release()

    def release(self) -> None:
        self.held = False
        self._drop()
        if self._file is not None:
            self._file.close()
            self._file = None
