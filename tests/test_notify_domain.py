"""Whom a notice reaches and when a receiver's notices go out, without a store."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from pydantic import ValidationError

from domain.notify import (
    Grouping,
    Notice,
    NotifyConfig,
    QuietHours,
    Receiver,
    Retry,
    admitted,
    next_send,
    silenced,
)
from domain.outbox import Batch, Delivery, Outbox
from domain.tasks import Silence

T0 = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 in China


def notice(topic="lead", township="城西镇", roles=("staff",), at=T0, **kw) -> Notice:
    base = dict(
        case_id="c1",
        village="东风村",
        household_ref="HH-0001",
        household_id="h1",
    )
    base.update(kw)
    return Notice(topic=topic, township=township, roles=roles, at=at, **base)


def receiver(**kw) -> Receiver:
    base = dict(id="cx-wecom", kind="wecom", township="城西镇", roles=["staff"], key={"env": "K"})
    base.update(kw)
    return Receiver.model_validate(base)


def test_a_notice_reaches_its_townships_receivers_for_its_roles_and_topics():
    config = NotifyConfig(
        receivers=(
            receiver(),
            receiver(id="cx-review", roles=["reviewer"]),
            receiver(id="other", township="东塘镇"),
            receiver(id="county", township=None, county=True, roles=["county", "approver"]),
            receiver(id="cx-decided", topics=["decided"]),
        )
    )
    assert [r.id for r in config.receivers_for(notice())] == ["cx-wecom"]
    escalated = notice("escalated", roles=("staff", "county"))
    assert [r.id for r in config.receivers_for(escalated)] == ["cx-wecom", "county"]
    assert [r.id for r in config.receivers_for(notice("decided"))] == ["cx-wecom", "cx-decided"]


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"key": None}, "needs key"),
        ({"township": None}, "name a township"),
        ({"county": True}, "name a township"),
        ({"kind": "webhook", "key": None}, "needs url"),
        ({"kind": "email", "key": None}, "needs to"),
        ({"kind": "email", "key": None, "to": ["not an address"]}, "not an address"),
        ({"key": {"env": "K", "file": "/run/k"}}, "exactly one"),
        ({"key": {"env": "lower"}}, "pattern"),
        ({"roles": []}, "at least 1"),
        ({"grouping": {"interval_s": 600, "repeat_s": 300}}, "repeat_s"),
    ],
)
def test_a_bad_receiver_is_refused_with_its_problem(change, problem):
    with pytest.raises(ValidationError, match=problem):
        receiver(**change)


def test_the_file_refuses_repeated_ids_and_email_without_smtp():
    with pytest.raises(ValidationError, match="repeat"):
        NotifyConfig(receivers=(receiver(), receiver()))
    mail = receiver(id="m", kind="email", key=None, to=["zhen@example.org"])
    with pytest.raises(ValidationError, match="smtp"):
        NotifyConfig(receivers=(mail,))
    NotifyConfig(receivers=(mail,), smtp={"host": "127.0.0.1", "sender": "povwatch@example.org"})


def test_a_one_off_is_pushed_once_and_a_condition_again_after_the_repeat_interval():
    g = Grouping(repeat_s=3600)
    assert admitted(notice(), None, g)
    assert not admitted(notice(at=T0 + timedelta(days=3)), T0, g)
    overdue = notice("overdue", stage="verify")
    assert admitted(overdue, None, g)
    assert not admitted(notice("overdue", at=T0 + timedelta(minutes=59)), T0, g)
    assert admitted(notice("overdue", at=T0 + timedelta(minutes=60)), T0, g)


def test_identity_tells_stages_and_deadlines_apart():
    assert notice("due", stage="verify").identity != notice("due", stage="notice").identity
    a = notice("overdue", stage="verify", due=date(2026, 12, 1))
    b = notice("overdue", stage="verify", due=date(2026, 12, 8))  # returned, due again
    assert a.identity != b.identity


def test_a_group_waits_then_keeps_its_interval():
    g = Grouping(wait_s=30, interval_s=300)
    assert next_send(T0, None, g, None) == T0 + timedelta(seconds=30)
    last = T0 - timedelta(seconds=100)
    assert next_send(T0, last, g, None) == last + timedelta(seconds=300)
    long_ago = T0 - timedelta(hours=1)
    assert next_send(T0, long_ago, g, None) == T0 + timedelta(seconds=30)


def test_quiet_hours_hold_messages_until_they_end_across_midnight():
    quiet = QuietHours(start=time(22, 0), end=time(7, 0))
    late = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 23:00 in China
    early = datetime(2026, 12, 2, 21, 30, tzinfo=UTC)  # 05:30 the next day in China
    morning = datetime(2026, 12, 2, 23, 0, tzinfo=UTC)  # 07:00 the next day: ends
    assert quiet.holds(late) and quiet.holds(early) and not quiet.holds(morning)
    assert next_send(late, None, Grouping(wait_s=0), quiet) == morning
    assert next_send(early, None, Grouping(wait_s=0), quiet) == morning
    assert quiet.after(T0) == T0
    lunch = QuietHours(start=time(12, 0), end=time(14, 0))
    noon = datetime(2026, 12, 2, 4, 30, tzinfo=UTC)  # 12:30
    assert lunch.after(noon) == datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def test_retries_back_off_up_to_a_ceiling():
    r = Retry(first_s=5, factor=2, max_s=60)
    assert [r.backoff(n).total_seconds() for n in (1, 2, 3, 4, 5, 9)] == [5, 10, 20, 40, 60, 60]


def test_the_tasks_silences_hold_pushes_back():
    s = Silence(
        id="s1",
        reason="flood works",
        created_by="op",
        created_at=T0 - timedelta(days=1),
        expires_at=T0 + timedelta(days=1),
        township="城西镇",
        factor="disaster_loss",
    )
    assert silenced(notice(factors=("disaster_loss",)), [s], T0)
    assert not silenced(notice(factors=("disaster_loss", "income_drop")), [s], T0)
    assert not silenced(notice(factors=("disaster_loss",)), [s], T0 + timedelta(days=2))
    one = Silence("s2", "r", "op", T0, T0 + timedelta(hours=1), household_id="h1")
    assert silenced(notice(), [one], T0)


# The outbox's aggregates


def test_a_group_makes_one_message_of_a_burst_and_remembers_what_it_pushed():
    g = Grouping(wait_s=30, interval_s=300, repeat_s=3600)
    box = Outbox(receiver="cx-wecom", township="城西镇")
    assert box.id == Outbox.create_id("cx-wecom", "城西镇")
    for i in range(5):
        assert box.offer(notice(case_id=f"c{i}", at=T0 + timedelta(seconds=i)), g)
    assert not box.offer(notice(case_id="c0", at=T0 + timedelta(seconds=9)), g)  # waits already
    assert box.take(T0 + timedelta(seconds=29), g, None) is None
    batch = box.take(T0 + timedelta(seconds=30), g, None)
    assert batch is not None and len(batch.notices) == 5
    assert batch.key == f"cx-wecom:{box.id.hex[:12]}:1" and batch.key.isascii()
    assert not box.offer(notice(case_id="c1", at=T0 + timedelta(minutes=2)), g)  # pushed once
    assert box.offer(notice(case_id="c9", at=T0 + timedelta(minutes=1)), g)
    assert box.take(T0 + timedelta(minutes=4), g, None) is None  # interval after the last
    second = box.take(T0 + timedelta(seconds=330), g, None)
    assert second is not None and second.key.endswith(":2")
    assert [n.case_id for n in second.notices] == ["c9"]


def test_an_overdue_stage_is_pushed_again_after_the_repeat_interval():
    g = Grouping(wait_s=0, interval_s=60, repeat_s=3600)
    box = Outbox(receiver="r", township="t")
    assert box.offer(notice("overdue", township="t", stage="verify"), g)
    assert box.take(T0, g, None) is not None
    assert not box.offer(
        notice("overdue", township="t", stage="verify", at=T0 + timedelta(minutes=30)), g
    )
    later = T0 + timedelta(hours=1)
    assert box.offer(notice("overdue", township="t", stage="verify", at=later), g)
    assert box.take(later, g, None) is not None


def test_households_declarations_stop_at_the_group_s_hourly_cap():
    """A crowd of declarations: the group takes its cap of them in a clock
    hour (by each case's own time, so replaying the log decides the same),
    staff's and the rules' leads still pass, the next hour takes more."""
    g = Grouping(wait_s=0, declared_per_hour=3)
    box = Outbox(receiver="r", township="t")
    at = [T0 + timedelta(minutes=i) for i in range(6)]
    taken = [
        box.offer(notice(case_id=f"d{i}", township="t", at=at[i], declared=True), g)
        for i in range(6)
    ]
    assert taken == [True, True, True, False, False, False]
    assert box.offer(notice(case_id="rule", township="t", at=at[5]), g)  # not a declaration
    batch = box.take(at[5], g, None)
    assert batch is not None and [n.case_id for n in batch.notices] == ["d0", "d1", "d2", "rule"]
    later = T0 + timedelta(hours=1)
    assert box.offer(notice(case_id="d6", township="t", at=later, declared=True), g)
    copy = None
    for e in box.collect_events():
        copy = e.mutate(copy)
    assert copy.declared == box.declared
    assert not copy.offer(
        notice(case_id="d7", township="t", at=later, declared=True), Grouping(declared_per_hour=1)
    )


def test_a_group_replayed_from_its_events_is_the_same_group():
    g = Grouping(wait_s=0)
    box = Outbox(receiver="r", township="t")
    box.offer(notice(township="t"), g)
    box.take(T0, g, None)
    box.offer(notice(case_id="c2", township="t"), g)
    copy = None
    for e in box.collect_events():
        copy = e.mutate(copy)
    assert copy.waiting == box.waiting and copy.pushed == box.pushed
    assert copy.messages == 1 and copy.last_sent == box.last_sent


def test_a_delivery_is_retried_with_backoff_until_the_receiver_takes_it():
    retry = Retry(first_s=5, factor=2, max_s=60)
    batch = Batch("r:t:1", "r", "t", (notice(township="t"),))
    d = Delivery.of(batch, T0)
    assert d.id == Delivery.create_id("r:t:1")  # one message per key, however often made
    assert d.due(T0)
    d.failed(T0, "connection refused " * 50, retry)
    assert not d.due(T0 + timedelta(seconds=4)) and d.due(T0 + timedelta(seconds=5))
    assert len(d.last_error) <= 300
    d.failed(T0 + timedelta(seconds=5), "503", retry)
    assert d.next_at == (T0 + timedelta(seconds=15)).isoformat()
    d.delivered(T0 + timedelta(seconds=15))
    d.delivered(T0 + timedelta(seconds=16))  # a second answer changes nothing
    assert d.state == "sent" and d.attempts == 3 and not d.due(T0 + timedelta(days=1))
    assert d.batch().notices == batch.notices
