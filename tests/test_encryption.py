"""Encryption at rest with the eventsourcing library's AES cipher, on both
stores (PostgreSQL is the production one): the services work as before, the
stored events hold no plain text, and a store cannot be read without the key."""

from __future__ import annotations

from datetime import UTC, date, datetime

import psycopg
import pytest
from eventsourcing.cipher import AESCipher
from pydantic import SecretStr

from services.alerts.service import AlertsService
from services.households.app import Households
from services.households.statusview import open_view
from services.infra.policyfile import load_policies
from services.monitor.riskstatus import RiskStatusProjection
from synthetic.sample import Builder
from tests.conftest import _postgres_dsn
from tests.helpers import feed

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
YEAR = (date(2025, 6, 1), date(2026, 5, 31))
SECRET_WORDS = (b"Shuangfeng", b"HH-enc-1")


def event_states(settings) -> list[bytes]:
    """Every stored event's state, read straight from PostgreSQL."""
    out = []
    with psycopg.connect(_postgres_dsn(settings)) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = %s "
            "AND column_name = 'state'",
            (settings.postgres_schema,),
        ).fetchall()
        for (table,) in tables:
            rows = conn.execute(
                f'SELECT state FROM {settings.postgres_schema}."{table}"'
            ).fetchall()
            out += [bytes(r[0]) for r in rows]
    assert len(out) >= 3, "the stored events were not found"
    return out


@pytest.fixture
def encrypted(store_settings):
    return store_settings.model_copy(update={"cipher_key": SecretStr(AESCipher.create_key(32))})


def test_an_encrypted_store_works_and_holds_no_plain_text(encrypted):
    b = Builder("enc")
    households = Households(env=encrypted.store_env("Monitor"))
    income = b.income("HH-enc-1", date(2026, 5, 31), "3000.00", *YEAR)
    feed(
        households,
        [
            b.register(
                "HH-enc-1", date(2025, 1, 1), "yellow", members=2, labour=1, village="Shuangfeng"
            ),
            income,
        ],
    )
    households.cache.clear()  # a re-delivery is then told from the decrypted receipts
    assert feed(households, [income], partition=1) == ["duplicate"]
    projection = RiskStatusProjection(
        households, open_view(encrypted), load_policies(encrypted), lambda: NOW.date()
    )
    projection.catch_up()
    assert projection.view.get("HH-enc-1").level == "high"
    alerts = AlertsService(encrypted, clock=lambda: NOW)
    alerts.catch_up()
    (task,) = alerts.tasks.search().items
    assert task.village == "Shuangfeng"
    alerts.stop()
    projection.view.datastore.close()
    households.close()

    # The event stores hold ciphertext only (the read models are plain tables,
    # in their own files on SQLite).
    if encrypted.store == "postgres":
        for state in event_states(encrypted):
            assert not any(word in state for word in SECRET_WORDS)
    else:
        for name, topic in (("monitor", b"IncomeReported"), ("alerts", b"HelpTask")):
            raw = (encrypted.sqlite_dir / f"{name}.db").read_bytes()
            assert topic in raw and not any(word in raw for word in SECRET_WORDS), name


def test_without_the_key_the_store_cannot_be_read(encrypted):
    b = Builder("enc2")
    households = Households(env=encrypted.store_env("Monitor"))
    feed(households, [b.register("HH-enc-2", date(2025, 1, 1), "blue", members=1, labour=1)])
    assert households.household("HH-enc-2") is not None
    households.close()
    other_key = encrypted.model_copy(update={"cipher_key": SecretStr(AESCipher.create_key(32))})
    for settings in (other_key, encrypted.model_copy(update={"cipher_key": None})):
        stranger = Households(env=settings.store_env("Monitor"))
        with pytest.raises(Exception):  # noqa: B017  (the store and the cipher each raise their own)
            stranger.household("HH-enc-2")
        stranger.close()
