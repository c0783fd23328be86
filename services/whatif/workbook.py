"""The what-if's spreadsheet: the households that change (reference, place,
level in force and proposed, factors added and removed, whether the rules
would open a lead), then the townships' summary. Codes words are in Chinese
from the inbox's catalogue; no personal detail is written (the writer checks
every text cell, ``services.infra.excel``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from domain.whatif import Change, Summary
from services.infra.excel import Column, Sheet, write_workbook
from services.presentation.words import Words

CHANGES_TITLE = "变化农户"
SUMMARY_TITLE = "乡镇汇总"
NOT_PLACED = "未在册"  # households the registry does not place in a township

CHANGE_COLUMNS = (
    Column("户编号", 16, code=True),
    Column("乡镇", 12),
    Column("村", 12),
    Column("现行风险等级", 12),
    Column("拟议风险等级", 12),
    Column("新增风险因素", 36),
    Column("消除风险因素", 36),
    Column("现行政策下生成线索", 12),
    Column("拟议政策下生成线索", 12),
)
SUMMARY_COLUMNS = (
    Column("乡镇", 12),
    Column("农户数", 10),
    Column("变化户数", 10),
    Column("等级变化", 40),
    Column("现行线索", 10),
    Column("拟议线索", 10),
    Column("新增线索", 10),
    Column("驱动因素（增/减）", 48),
)


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def change_rows(changes: Sequence[Change], w: Words) -> Iterator[list[Any]]:
    for c in changes:
        yield [
            c.household_id,
            c.township or NOT_PLACED,
            c.village or "",
            w.term("level", c.current.level),
            w.term("level", c.proposed.level),
            "、".join(w.term("factor", f) for f in c.added),
            "、".join(w.term("factor", f) for f in c.removed),
            _yes(c.current.lead),
            _yes(c.proposed.lead),
        ]


def summary_rows(summary: Summary, w: Words) -> Iterator[list[Any]]:
    rows = [*summary.rows(), ("合计", summary.total())]
    for township, t in rows:
        yield [
            township or NOT_PLACED,
            t.households,
            t.changed,
            "；".join(
                f"{w.term('level', a)}→{w.term('level', b)} {n}" for a, b, n in t.ordered_moves()
            ),
            t.leads_current,
            t.leads_proposed,
            t.new_leads,
            "；".join(f"{w.term('factor', c)} +{up}/-{down}" for c, up, down in t.drivers()),
        ]


def write_changes(changes: Sequence[Change], summary: Summary, out: str | Path | IO[bytes]) -> int:
    """Writes the workbook; returns the rows written (changes and summary)."""
    w = Words("zh")
    return write_workbook(
        [
            Sheet(CHANGES_TITLE, CHANGE_COLUMNS, change_rows(changes, w)),
            Sheet(SUMMARY_TITLE, SUMMARY_COLUMNS, summary_rows(summary, w)),
        ],
        out,
    )
