"""Each kind of receiver against a real local server: the robots' request
formats and DingTalk's signature checked by the server, mail received by a
real SMTP server; a receiver that is down or refuses is a failed send."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest

from domain.notify import Notice, NotifyConfig, Receiver
from domain.outbox import Batch
from services.notify.messages import LINES_MAX, compose
from services.notify.senders import SendFailed, sender_for
from tests.receivers import (
    DINGTALK_SECRET,
    DINGTALK_TOKEN,
    WEBHOOK_TOKEN,
    WECOM_KEY,
    MailServer,
    Robots,
)

AT = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
SECRETS = {
    "WECOM": WECOM_KEY,
    "DING": DINGTALK_TOKEN,
    "DING_SIGN": DINGTALK_SECRET,
    "HOOK": WEBHOOK_TOKEN,
}


def secret(ref) -> str:
    return SECRETS[ref.env]


def term(kind: str, code: str) -> str:
    return {"stage.verify": "入户核实", "category.sudden": "突发严重困难户"}.get(
        f"{kind}.{code}", code
    )


def batch(n: int = 2) -> Batch:
    notices = tuple(
        Notice(
            topic="lead" if i else "overdue",
            case_id=f"case-{i}",
            township="城西镇",
            village="东风村",
            household_ref=f"HH-{i:04d}",
            household_id=f"h{i}",
            roles=("staff",),
            at=AT,
            stage="" if i else "verify",
            due=None if i else date(2026, 12, 1),
        )
        for i in range(n)
    )
    return Batch("cx:0a1b2c3d4e5f:7", "cx", "城西镇", notices)


@pytest.fixture
def robots():
    r = Robots().start()
    yield r
    r.stop()


def config(robots: Robots, **receiver) -> tuple[NotifyConfig, Receiver]:
    r = Receiver.model_validate({"id": "cx", "township": "城西镇", "roles": ["staff"], **receiver})
    return NotifyConfig(base_url="https://povwatch.example.cn", receivers=(r,)), r


def test_a_message_names_village_reference_stage_and_link_only():
    cfg = NotifyConfig(base_url="https://povwatch.example.cn/")
    m = compose(batch(), cfg, term)
    assert m.title == "城西镇 防返贫监测提醒：已逾期 1、新线索 1"
    assert m.lines[0] == "东风村 HH-0000 入户核实已逾期（期限 2026-12-01）"
    assert m.links[1] == "https://povwatch.example.cn/inbox/cases/case-1"
    assert "消息编号 cx:0a1b2c3d4e5f:7" in m.text() and "消息编号 cx:0a1b2c3d4e5f:7" in m.markdown()
    big = compose(batch(LINES_MAX + 5), cfg, term)
    assert len(big.lines) == LINES_MAX and big.more == 5 and "另有 5 项" in big.text()


def test_wecom_robot_gets_its_markdown_format(robots):
    cfg, r = config(robots, kind="wecom", url=robots.url("wecom"), key={"env": "WECOM"})
    with httpx.Client(timeout=5) as client:
        sender_for(r, None, secret, client).send(compose(batch(), cfg, term))
    [body] = robots.received["wecom"]
    assert body["msgtype"] == "markdown" and "HH-0001" in body["markdown"]["content"]
    assert "https://povwatch.example.cn/inbox/cases/case-1" in body["markdown"]["content"]


def test_dingtalk_robot_checks_the_signature(robots):
    cfg, r = config(
        robots,
        kind="dingtalk",
        url=robots.url("dingtalk"),
        key={"env": "DING"},
        secret={"env": "DING_SIGN"},
    )
    with httpx.Client(timeout=5) as client:
        sender_for(r, None, secret, client).send(compose(batch(), cfg, term))
        assert robots.received["dingtalk"][0]["markdown"]["title"].startswith("城西镇")
        wrong = dict(SECRETS, DING_SIGN="SECwrong")
        with pytest.raises(SendFailed, match="sign not match"):
            sender_for(r, None, lambda ref: wrong[ref.env], client).send(
                compose(batch(), cfg, term)
            )


def test_webhook_carries_the_key_as_idempotency_key(robots):
    cfg, r = config(robots, kind="webhook", url=robots.url("webhook"), secret={"env": "HOOK"})
    with httpx.Client(timeout=5) as client:
        sender_for(r, None, secret, client).send(compose(batch(), cfg, term))
    [body] = robots.received["webhook"]
    assert body["key"] == "cx:0a1b2c3d4e5f:7" and len(body["items"]) == 2
    assert robots.headers[0]["Idempotency-Key"] == "cx:0a1b2c3d4e5f:7"


def test_a_receiver_down_or_unwell_is_a_failed_send(robots):
    cfg, r = config(robots, kind="wecom", url=robots.url("wecom"), key={"env": "WECOM"})
    with httpx.Client(timeout=2) as client:
        sender = sender_for(r, None, secret, client)
        robots.failing = True
        with pytest.raises(SendFailed, match="HTTP 503"):
            sender.send(compose(batch(), cfg, term))
        robots.stop()
        with pytest.raises(SendFailed, match="ConnectError"):
            sender.send(compose(batch(), cfg, term))
        wrong = dict(SECRETS, WECOM="revoked")
        robots.failing = False
        robots.start()
        with pytest.raises(SendFailed, match="errcode 300001"):
            sender_for(r, None, lambda ref: wrong[ref.env], client).send(
                compose(batch(), cfg, term)
            )
    assert robots.received["wecom"] == []


def test_mail_reaches_a_real_smtp_server_with_its_key():
    server = MailServer().start()
    try:
        r = Receiver(
            id="mail", kind="email", township="城西镇", roles=("staff",), to=("zhen@example.org",)
        )
        cfg = NotifyConfig(
            receivers=(r,),
            smtp={
                "host": "127.0.0.1",
                "port": server.port,
                "security": "none",
                "sender": "povwatch@example.org",
            },
        )
        sender_for(r, cfg.smtp, secret, httpx.Client()).send(compose(batch(), cfg, term))
        [mail] = server.mails
        assert mail["Subject"] == "城西镇 防返贫监测提醒：已逾期 1、新线索 1"
        assert mail["X-Povwatch-Key"] == "cx:0a1b2c3d4e5f:7" and mail["To"] == "zhen@example.org"
        assert "HH-0001" in mail.get_content()
        server.stop()
        with pytest.raises(SendFailed, match="ConnectionRefused"):
            sender_for(r, cfg.smtp, secret, httpx.Client()).send(compose(batch(), cfg, term))
    finally:
        server.stop()


def test_the_example_file_loads_and_a_bad_one_names_its_line(tmp_path, monkeypatch):
    from pathlib import Path

    from services.infra.notifyfile import NotifyError, load_notify, parse_notify

    example = Path(__file__).parent.parent / "deploy" / "notify.example.yaml"
    config = parse_notify(example.read_text(encoding="utf-8"), str(example))
    assert {r.kind for r in config.receivers} == {"wecom", "dingtalk", "email", "webhook"}
    bad = "receivers:\n  - id: x\n    kind: wecom\n    township: 城西镇\n    roles: [mayor]\n"
    with pytest.raises(NotifyError, match=r"notify.yaml:5: receivers.0.roles.0"):
        parse_notify(bad, "notify.yaml")
    path = tmp_path / "notify.yaml"
    path.write_text(
        "receivers:\n  - {id: x, kind: wecom, township: 城西镇, roles: [staff], key: {env: NO_SUCH_KEY}}\n",
        encoding="utf-8",
    )
    monkeypatch.delenv("NO_SUCH_KEY", raising=False)
    with pytest.raises(
        NotifyError, match="receiver x: the environment variable NO_SUCH_KEY is not set"
    ):
        load_notify(path)
    assert load_notify(None).receivers == ()


def test_the_morning_scan_finds_stages_due_tomorrow_and_overdue():
    from datetime import timedelta

    from schemas.cases import CaseOut
    from services.infra.procedurefile import load_procedure
    from services.notify.notices import scan

    procedure, today = load_procedure(None), date(2026, 12, 2)

    def case(cid, stage, due, township="城西镇"):
        return CaseOut.model_construct(
            case_id=cid, household_id=f"HH-{cid}", township=township, village="东风村",
            stage=stage, stage_due=due,
        )  # fmt: skip

    found = scan(
        [
            case("tomorrow", "verify", today + timedelta(days=1)),
            case("late", "township_review", today - timedelta(days=1)),
            case("today", "verify", today),  # due today: neither
            case("later", "notice", today + timedelta(days=3)),
            case("decided", None, None),
            case("nowhere", "verify", today - timedelta(days=5), township=None),
        ],
        AT,
        today,
        procedure,
    )
    assert [(n.case_id, n.topic, n.stage) for n in found] == [
        ("tomorrow", "due", "verify"),
        ("late", "overdue", "township_review"),
    ]
    assert set(found[0].roles) == set(procedure.roles("verify"))
    assert found[1].due == today - timedelta(days=1) and found[1].household_ref == "HH-late"
