"""The outbox of pushes on both stores, against a real local robot server:
a burst of notices becomes one message per receiver and township; a receiver
that is down gets every message once it is back, each once; what is still
overdue is pushed again after the repeat interval; quiet hours hold messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.notify import Notice, NotifyConfig
from services.notify.bootstrap import open_notify
from tests.receivers import DINGTALK_SECRET, DINGTALK_TOKEN, WECOM_KEY, Robots

T0 = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 in China


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def notice(case: str, township: str = "城西镇", topic: str = "lead", at=T0, **kw) -> Notice:
    kw.setdefault("roles", ("village", "staff"))
    return Notice(
        topic=topic,  # type: ignore[arg-type]
        case_id=case,
        township=township,
        village="东风村",
        household_ref=f"HH-{case}",
        household_id=f"HH-{case}",
        at=at,
        **kw,
    )


@pytest.fixture
def robots():
    r = Robots().start()
    yield r
    r.stop()


@pytest.fixture
def parts(store_settings, robots, monkeypatch):
    monkeypatch.setenv("CX_WECOM_KEY", WECOM_KEY)
    monkeypatch.setenv("COUNTY_DING_TOKEN", DINGTALK_TOKEN)
    monkeypatch.setenv("COUNTY_DING_SECRET", DINGTALK_SECRET)
    config = NotifyConfig.model_validate(
        {
            "base_url": "https://povwatch.example.cn",
            "grouping": {"wait_s": 30, "interval_s": 300, "repeat_s": 3600},
            "retry": {"first_s": 5, "factor": 2, "max_s": 60},
            "receivers": [
                {
                    "id": "cx-staff",
                    "kind": "wecom",
                    "township": "城西镇",
                    "roles": ["staff"],
                    "url": robots.url("wecom"),
                    "key": {"env": "CX_WECOM_KEY"},
                },
                {
                    "id": "county",
                    "kind": "dingtalk",
                    "county": True,
                    "roles": ["county"],
                    "url": robots.url("dingtalk"),
                    "key": {"env": "COUNTY_DING_TOKEN"},
                    "secret": {"env": "COUNTY_DING_SECRET"},
                    "quiet_hours": {"start": "22:00", "end": "07:00"},
                },
            ],
        }
    )
    clock = Clock()
    p = open_notify(store_settings, config, lambda kind, code: code, clock)
    p.clock = clock  # type: ignore[attr-defined]
    yield p
    p.notify.close()


def settle(parts) -> None:
    for f in parts.view_followers:
        f.catch_up()


def step(parts) -> tuple[int, int]:
    settle(parts)
    made = parts.dispatcher.flush()
    settle(parts)
    sent = parts.dispatcher.deliver()
    settle(parts)
    return made, sent


def keys(robots: Robots, kind: str = "wecom") -> list[str]:
    texts = [b["markdown"]["content" if kind == "wecom" else "text"] for b in robots.received[kind]]
    return [t.rsplit("消息编号 ", 1)[1].strip() for t in texts]


def test_a_burst_is_one_message_per_receiver_and_township(parts, robots):
    notices = [notice(f"c{i}", at=T0 + timedelta(seconds=i)) for i in range(5)]
    notices.append(notice("d1", township="东塘镇"))  # no receiver of 东塘镇 takes leads
    assert parts.notify.offer(notices) == 5
    assert step(parts) == (0, 0)  # the group waits 30 s for the rest of the burst
    parts.clock.advance(seconds=31)
    assert step(parts) == (1, 1)
    [body] = robots.received["wecom"]
    text = body["markdown"]["content"]
    assert "新线索 5" in text and all(f"HH-c{i}" in text for i in range(5))
    assert "https://povwatch.example.cn/inbox/cases/c3" in text
    assert robots.received["dingtalk"] == []
    assert step(parts) == (0, 0)  # nothing is sent twice


def test_a_receiver_down_for_a_minute_gets_every_message_once(parts, robots):
    robots.stop()
    for minute in range(3):  # three messages' worth, an interval apart
        parts.notify.offer([notice(f"m{minute}", at=parts.clock())])
        parts.clock.advance(seconds=301)
        step(parts)
    assert robots.received["wecom"] == []
    failed = parts.deliveries.search(state="queued").items
    assert len(failed) == 3 and all(d.attempts >= 1 and d.last_error for d in failed)
    gauges = {m.name: m.samples for m in parts.dispatcher.gauges()}
    queued = {s.labels["receiver"]: s.value for s in gauges["povwatch_push_queued"]}
    assert queued == {"cx-staff": 3, "county": 0}
    robots.start()
    parts.clock.advance(seconds=60)
    step(parts)
    step(parts)
    assert sorted(keys(robots)) == sorted(d.key for d in failed)  # each once
    assert parts.deliveries.search(state="queued").total == 0


def test_an_overdue_stage_is_pushed_again_after_the_repeat_interval(parts, robots):
    overdue = dict(topic="overdue", stage="verify", due=T0.date() - timedelta(days=1))
    parts.notify.offer([notice("o1", **overdue)])
    parts.clock.advance(seconds=31)
    step(parts)
    for minutes in (10, 30, 59):  # the morning scan runs again: not yet
        parts.clock.now = T0 + timedelta(minutes=minutes)
        assert parts.notify.offer([notice("o1", at=parts.clock(), **overdue)]) == 0
    parts.clock.now = T0 + timedelta(minutes=61)
    assert parts.notify.offer([notice("o1", at=parts.clock(), **overdue)]) == 1
    parts.clock.advance(seconds=31)
    step(parts)
    assert len(robots.received["wecom"]) == 2


def test_quiet_hours_hold_the_county_s_escalations_until_morning(parts, robots):
    night = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 23:00 in China
    parts.clock.now = night
    escalated = notice("e1", topic="escalated", stage="verify", at=night, roles=("staff", "county"))
    assert parts.notify.offer([escalated]) == 2  # the township's and the county's
    parts.clock.advance(minutes=5)
    step(parts)
    assert len(robots.received["wecom"]) == 1 and robots.received["dingtalk"] == []
    parts.clock.now = datetime(2026, 12, 2, 23, 0, 1, tzinfo=UTC)  # 07:00:01 in China
    step(parts)
    [body] = robots.received["dingtalk"]
    assert "逾期已报县级" in body["markdown"]["text"]
