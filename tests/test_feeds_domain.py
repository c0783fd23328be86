"""Departments' feeds without a store: the cadences file, silence, a
rejection's reason in Chinese naming the field, and whose a dead letter is."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.access import Role, Roster
from domain.feeds import Cadence, FeedBook, FeedError, month_of, reason_zh, rejection_rate
from services.feeds.cadence import DEFAULT_FEEDS
from services.feeds.deadletters import WITHHELD, rejection_of
from services.infra.access import token_hash
from services.infra.senders import sender_of, signed


def test_the_packaged_cadences_each_say_their_basis():
    book = FeedBook.from_toml(DEFAULT_FEEDS.read_text(encoding="utf-8"))
    assert book.get("medical-insurance").days == 10
    assert all(c.basis.startswith("ASSUMPTION") or "§" in c.basis for c in book.cadences)


@pytest.mark.parametrize(
    "text, says",
    [
        ('[[source]]\ncode = "x"\ncadence_days = 0\nbasis = "ASSUMPTION"', "cadence_days"),
        ('[[source]]\ncode = "x"\ncadence_days = 7', "basis"),
        ('[[source]]\ncode = "x"\ncadence_days = 7\nbasis = "b"\nevery = 1', "unknown field"),
        ('[[source]]\ncode = "x"\ncadence_days = 7\nbasis = "b"\n' * 2, "listed twice"),
        ("nothing = 1", "no [[source]]"),
    ],
)
def test_a_bad_cadences_file_is_refused_naming_the_entry_and_field(text, says):
    with pytest.raises(FeedError, match="feeds") as e:
        FeedBook.from_toml(text)
    assert says in str(e.value)


def test_silent_past_the_cadence_or_never_heard():
    weekly, now = Cadence("medical-insurance", 7, "ASSUMPTION"), datetime(2026, 6, 30, tzinfo=UTC)
    assert not weekly.silent(now - timedelta(days=7), now)
    assert weekly.silent(now - timedelta(days=7, seconds=1), now)
    assert weekly.silent(None, now)


def test_reasons_in_chinese_name_the_field():
    assert reason_zh("data.amount_yuan", "decimal_parsing") == "字段 data.amount_yuan：应为金额数字"
    assert reason_zh("", "json_invalid") == "整条消息：不是有效的 JSON"
    assert reason_zh("data.x", "something_new") == "字段 data.x：不符合数据约定"
    assert month_of(datetime(2026, 5, 31, 16, 30, tzinfo=UTC)) == "2026-06"  # China time
    assert rejection_rate(0, 0) == 0.0 and rejection_rate(3, 1) == 0.25


class Record:
    """A dead-letter record as kafka-python hands it over."""

    def __init__(self, value: bytes, reason: dict, sender: bytes | None = None) -> None:
        self.value, self.partition, self.offset, self.timestamp = value, 0, 5, 1780000000000
        self.headers = [
            ("povwatch.reason", json.dumps(reason).encode()),
            ("povwatch.origin.topic", b"povwatch.events"),
            ("povwatch.origin.partition", b"1"),
            ("povwatch.origin.offset", b"42"),
            *([("povwatch.sender", sender)] if sender else []),
        ]


def test_a_rejection_keeps_codes_and_reasons_never_personal_numbers():
    value = json.dumps(
        {
            "source": "civil-affairs",
            "event_id": "e-1",
            "type": "income.reported",
            "household_id": "430624199001011234",  # an ID number where a code belongs
            "data": {"note": "phone 13812345678"},
        }
    ).encode()
    reason = {
        "code": "invalid",
        "errors": [{"field": "data.note", "type": "value_error", "message": "13812345678"}],
    }
    r = rejection_of(Record(value, reason, sender=b"civil-affairs"))
    assert (r.source, r.event_id, r.household_id) == ("civil-affairs", "e-1", None)
    assert r.problems[0].message == WITHHELD and "13812345678" not in r.model_dump_json()
    assert r.origin == "povwatch.events:1:42" and r.reason == "data.note|value_error"
    assert r.problems[0].reason_zh.startswith("字段 data.note：")


def test_a_dead_letter_is_its_senders_never_the_source_it_claims():
    claims = json.dumps({"source": "civil-affairs", "event_id": "e-1"}).encode()
    reason = {"code": "invalid", "errors": []}
    assert rejection_of(Record(claims, reason)).source == "topic:povwatch.events"  # unsigned
    assert rejection_of(Record(claims, reason, sender=b"agriculture")).source == "agriculture"
    assert rejection_of(Record(claims, reason, sender=b"=1+1")).source == "unknown"


def test_only_an_active_publishers_own_signature_names_a_sender():
    token, at = "pw_" + "a" * 43, datetime(2026, 12, 7, tzinfo=UTC)
    roster = Roster()
    roster.issue("farm", Role.PUBLISHER, token_hash(token), at, "t", source="agriculture")
    roster.issue("ops", Role.OPERATOR, token_hash("pw_ops"), at, "t")
    value, topic = b'{"source": "civil-affairs"}', "povwatch.events"
    assert sender_of(roster, signed("farm", token, value), value, topic) == "agriculture"
    for headers, what in [
        (signed("farm", "pw_guessed", value), value),  # not its token
        (signed("farm", token, value), b'{"source": "agriculture"}'),  # another message
        (signed("ops", "pw_ops", value), value),  # not a publisher
        (signed("nobody", token, value), value),
        ([], value),
    ]:
        assert sender_of(roster, headers, what, topic) == "topic:povwatch.events"
    roster.revoke("farm", at, "t")
    assert sender_of(roster, signed("farm", token, value), value, topic) == "topic:povwatch.events"


def test_the_monthly_report_names_unsigned_dead_letters_by_their_topic():
    from pathlib import Path

    from schemas.feeds import FeedHealth, SourceHealth
    from services.reports.feedsection import feeds
    from services.reports.sections import ReportContext

    def row(source: str) -> SourceHealth:
        return SourceHealth(
            source=source, month="2026-12", last_message_at=None, accepted=0, rejected=2,
            rejection_rate=1.0, top_reasons=[], publishes_income=False,
            stale_income_households=None, cadence_days=None, cadence_basis=None, silent=False,
        )  # fmt: skip

    health = FeedHealth(
        month="2026-12", computed_at=datetime(2026, 12, 7, tzinfo=UTC),
        stale_income_households=0, sources=[row("agriculture"), row("topic:povwatch.events")],
    )  # fmt: skip
    words = {"source.agriculture": "农业农村局"}
    ctx = ReportContext(
        "2026-12", date(2026, 12, 7), lambda k, v: words[f"{k}.{v}"], str, Path("font.ttf")
    )
    (table,) = feeds(lambda month: health)(ctx)[0].tables
    assert [r[0] for r in table.rows] == ["农业农村局", "未署名消息（povwatch.events）"]
