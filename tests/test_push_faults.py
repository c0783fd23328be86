"""The pushes under faults, with the alerts process as its own process: it
is killed while it sends to a slow robot and started again; every message
reaches the robot, a message sent twice carries the same key (the receiver
can drop the repeat), and every case's notice is in one of them."""

from __future__ import annotations

import time
from collections import defaultdict

from services.alerts.service import AlertsService
from services.monitor.bootstrap import open_monitor
from tests.faults import Corpus, Proc, publish
from tests.helpers import wait_for
from tests.receivers import WECOM_KEY, Robots
from tests.test_faults import pg  # noqa: F401 (fixture)

NOTIFY = """
base_url: https://povwatch.example.cn
grouping: {{wait_s: 0, interval_s: 10, repeat_s: 3600}}
retry: {{first_s: 1, factor: 2, max_s: 5}}
receivers:
  - id: county-robot
    kind: wecom
    county: true
    roles: [village, staff]
    topics: [lead]
    url: {robot}
    key: {{env: COUNTY_WECOM_KEY}}
"""


def test_alerts_killed_while_sending_loses_no_message_and_doubles_none_by_key(
    pg,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    robots = Robots().start()
    robots.delay = 0.4  # each message takes a while: the kill falls among them
    notify = tmp_path / "notify.yaml"
    notify.write_text(NOTIFY.format(robot=robots.url("wecom")), encoding="utf-8")
    settings = pg.model_copy(update={"notify_file": notify, "state_dir": tmp_path / "state"})
    env = {"COUNTY_WECOM_KEY": WECOM_KEY}
    monkeypatch.setenv("COUNTY_WECOM_KEY", WECOM_KEY)
    alerts = Proc(settings, "alerts", tmp_path / "alerts.log", **env)
    service = AlertsService(settings)  # reads the stores; it does not run
    corpus = Corpus.county(households=300, months=3, seed=31, invalid_every=10**9)
    try:
        alerts.start()
        with open_monitor(settings):
            publish(settings, corpus.sent)
            wait_for(lambda: robots.received["wecom"], timeout=180, what="the first message")
            alerts.kill()  # among the messages
            time.sleep(1)
            alerts.start()
            parts = service.parts

            def all_sent() -> bool:
                for f in parts.pushes.view_followers:
                    f.catch_up()
                upstream = (service.triggers, parts.leads, parts.notices)
                if any(f.lag() for f in upstream) or parts.pushes.outboxes.totals()["waiting"]:
                    return False
                page = parts.pushes.deliveries.search(limit=1000)
                return page.total > 0 and all(d.state == "sent" for d in page.items)

            wait_for(all_sent, timeout=240, what="every lead pushed and every message sent")
    finally:
        alerts.stop()
        robots.stop()
    service.catch_up()
    deliveries = service.parts.pushes.deliveries
    made = {d.key for d in deliveries.search(limit=1000).items}
    texts: dict[str, set[str]] = defaultdict(set)
    for body in robots.received["wecom"]:
        content = body["markdown"]["content"]
        texts[content.rsplit("消息编号 ", 1)[1].strip()].add(content)
    assert set(texts) == made  # no message lost
    assert all(len(v) == 1 for v in texts.values())  # a repeat is the same message, same key
    cases = [c for c in service.case_list.search(limit=10_000).items if c.township]
    sent = deliveries.search(limit=1000).items
    assert sum(d.notices for d in sent) == len(cases)  # every case's lead in one message
    assert len(sent) < len(cases)  # grouped: one message per township, not per case
    service.stop()
