"""What a push says, in Chinese and short: one message per group of notices
(one receiver, one township), each notice a line with the village, the
household's registry reference and a link to the case page. No personal
detail ever: nothing else of a household is in a notice.

The key is printed at the end so a person who sees a message twice (the
robots have no idempotency of their own) can tell it is one message."""

from __future__ import annotations

from dataclasses import dataclass

from domain.notify import Notice, NotifyConfig
from domain.outbox import Batch
from services.presentation.words import Term

LINES_MAX = 10  # a chat message people read on a phone

TOPIC = {
    "lead": "新线索",
    "due": "明天到期",
    "overdue": "已逾期",
    "escalated": "逾期已报县级",
    "decided": "县级审定",
    "help_first": "绿色通道先帮后认",
}

# The most urgent first, in the message and in its title.
URGENCY = ("escalated", "overdue", "due", "help_first", "lead", "decided")


@dataclass(frozen=True)
class Message:
    key: str
    title: str
    lines: tuple[str, ...]  # one a notice, plain text
    links: tuple[str, ...]  # each line's case page
    more: int  # notices left out of the lines

    def markdown(self) -> str:
        rows = [f"**{self.title}**"]
        rows += [f"> [{line}]({link})" for line, link in zip(self.lines, self.links)]
        if self.more:
            rows.append(f"> 另有 {self.more} 项，请登录系统查看")
        rows.append(f"消息编号 {self.key}")
        return "\n".join(rows)

    def text(self) -> str:
        rows = [self.title, ""]
        rows += [f"- {line}\n  {link}" for line, link in zip(self.lines, self.links)]
        if self.more:
            rows.append(f"另有 {self.more} 项，请登录系统查看。")
        rows += ["", f"消息编号 {self.key}"]
        return "\n".join(rows)


def line(n: Notice, term: Term) -> str:
    what = TOPIC[n.topic]
    if n.stage and n.topic != "help_first":  # a green channel's "stage" is its measure
        what = f"{term('stage', n.stage)}{what}"
    if n.due and n.topic in ("due", "overdue", "escalated"):
        what += f"（期限 {n.due.isoformat()}）"
    if n.topic == "decided":
        # detail: the category the county identified, or "declined"
        what += (
            "：不纳入监测"
            if n.detail == "declined"
            else f"：纳入监测（{term('category', n.detail)}）"
        )
    if n.topic == "help_first":
        what += f"：{term('measure', n.detail) if n.detail else '帮扶措施'}"
    return f"{n.village} {n.household_ref} {what}"


def compose(batch: Batch, config: NotifyConfig, term: Term) -> Message:
    notices = sorted(batch.notices, key=lambda n: (URGENCY.index(n.topic), n.at))
    shown = notices[:LINES_MAX]
    counts: dict[str, int] = {}
    for n in notices:
        counts[TOPIC[n.topic]] = counts.get(TOPIC[n.topic], 0) + 1
    summary = "、".join(f"{k} {v}" for k, v in counts.items())
    return Message(
        key=batch.key,
        title=f"{batch.township} 防返贫监测提醒：{summary}",
        lines=tuple(line(n, term) for n in shown),
        links=tuple(config.link(n.case_id) for n in shown),
        more=len(notices) - len(shown),
    )
