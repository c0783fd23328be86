"""The ledgers (台账) the county office and the townships hand upwards: which
documents each lists, its Chinese columns, and how a document becomes a row.

Four ledgers, each read from a read model (``services/cases/ledgerbook.py``
reads and writes them): the monitoring objects (the monitoring records under
monitoring, with their help plan's measures and states), the open cases by
stage and deadline, the cleared households, and the help tasks.

A row holds codes, places, dates and states only: the household's reference
(a case by its household and its number there: a case's id is a UUID, whose
digit groups read as a personal number to the writer's check),
never a name or a personal number; no free text (notes, reasons, objections,
the verification's figures) and no risk factors, which name illnesses and
medical costs. A help measure that tells of a health condition (medical aid)
is listed as "other help" without its department: the plan keeps health
details out of everything published (domain.md, the procedure: the notice
"must never show ... health condition"), and a ledger travels further than
the notice. The writer checks every text cell for personal numbers again.

Mapping is pure: a document, the words of the codes (``Term``: the
catalogue's Chinese for ``kind.value``) and the day give the row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from domain import countyday
from domain.access import Permission
from domain.health import HEALTH_MEASURES
from domain.procedure import CATEGORIES, STAGES
from schemas.cases import CaseOut, MeasureOut, MonitoringOut
from schemas.tasks import TaskOut
from services.infra.excel import Column
from services.presentation.words import Term

Kind = Literal["monitoring", "cases", "cleared", "tasks"]
KINDS: tuple[Kind, ...] = ("monitoring", "cases", "cleared", "tasks")
OTHER_HELP = "其他帮扶（不列明）"
# The inbox's word for a household the registry does not know (no township, no card).
UNREGISTERED = "未纳入建档"
COUNTY = "全县"


@dataclass(frozen=True)
class Ledger:
    kind: Kind
    title: str  # the workbook's name and its sheets' subject
    view: Literal["monitoring", "cases", "tasks"]  # which read model it lists
    filters: dict[str, Any]  # the view's filters that choose its documents
    columns: tuple[Column, ...]
    row: Callable[[Any, Term, date], tuple[Any, ...]]
    # The county sheet counts each township's rows by this indexed column's
    # values, in this order (empty: the total only); their words' kind.
    breakdown: tuple[str, tuple[str, ...], str] | None = None
    # Walks in this order, one per value of a column (the cases: by stage).
    walks: tuple[str, tuple[str, ...]] | None = None
    permission: Permission = Permission.READ_CASES  # who may download it (and then their area)


def measure_word(m: MeasureOut, term: Term) -> str:
    if m.kind in HEALTH_MEASURES:
        return OTHER_HELP
    return (
        f"{term('measure', m.kind)}（{m.department}）" if m.department else term("measure", m.kind)
    )


def plan_text(plan: Sequence[MeasureOut], term: Term) -> str:
    """The help plan as one cell: each measure, its department and state."""
    return "；".join(f"{measure_word(m, term)}：{term('measurestate', m.state)}" for m in plan)


def next_measure_due(plan: Sequence[MeasureOut]) -> date | None:
    pending = [m.due_on for m in plan if m.state in ("planned", "in_progress")]
    return min(pending) if pending else None


def months_between(start: date | None, end: date | None) -> int | None:
    if start is None or end is None:
        return None
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def place(doc: Any) -> tuple[str, str]:
    return doc.township or UNREGISTERED, doc.village or "-"


def _active(plan: Sequence[MeasureOut]) -> list[MeasureOut]:
    return [m for m in plan if m.state != "cancelled"]


def monitoring_row(doc: MonitoringOut, term: Term, today: date) -> tuple[Any, ...]:
    return (
        doc.household_id,
        *place(doc),
        term("category", doc.category),
        doc.monitored_since,
        len(_active(doc.plan)),
        doc.measures_done,
        plan_text(doc.plan, term),
        next_measure_due(doc.plan),
        "有" if doc.open_case else "无",
        countyday.day(doc.updated_at),
    )


def cleared_row(doc: MonitoringOut, term: Term, today: date) -> tuple[Any, ...]:
    return (
        doc.household_id,
        *place(doc),
        term("category", doc.category),
        doc.monitored_since,
        doc.cleared_on,
        months_between(doc.monitored_since, doc.cleared_on),
        len(_active(doc.plan)),
        doc.measures_done,
        plan_text(doc.plan, term),
    )


def late(due: date | None, today: date) -> str:
    return "逾期" if due is not None and due < today else "未逾期"


def case_row(doc: CaseOut, term: Term, today: date) -> tuple[Any, ...]:
    return (
        doc.household_id,
        *place(doc),
        term("casekind", doc.kind),
        term("channel", doc.channel),
        term("stage", doc.stage),
        doc.stage_started,
        doc.stage_due,
        late(doc.stage_due, today),
        doc.decision_due,
        late(doc.decision_due, today),
        term("shown", doc.shown),
        countyday.day(doc.opened_at),
        doc.number,
        f"先帮后认（{len(doc.help_first)}项）" if doc.help_first else "否",
    )


def task_row(doc: TaskOut, term: Term, today: date) -> tuple[Any, ...]:
    given = [
        OTHER_HELP if m.get("kind") in HEALTH_MEASURES else term("measure", m.get("kind"))
        for m in doc.measures_given
    ]
    return (
        doc.household_id,
        *place(doc),
        term("kind", doc.kind),
        term("level", doc.level),
        term("card", doc.card) if doc.card else UNREGISTERED,
        term("status", doc.status),
        countyday.day(doc.created_at),
        doc.visit_due,
        doc.measures_due,
        late(doc.next_due, today),
        term("shown", doc.shown),
        len(doc.visits),
        "、".join(given),
    )


_PLACE = (Column("户编号", 16), Column("乡镇", 12), Column("村", 12))
LEDGERS: dict[Kind, Ledger] = {
    "monitoring": Ledger(
        "monitoring", "监测对象台账", "monitoring", {"status": "monitored"},
        (*_PLACE, Column("监测对象类别", 16), Column("识别纳入日期", 13), Column("帮扶措施数", 11),
         Column("已落实措施数", 12), Column("帮扶措施及落实情况", 60), Column("最近措施期限", 13),
         Column("办理中事项", 11), Column("更新日期", 12)),
        monitoring_row, breakdown=("category", CATEGORIES, "category"),
    ),
    "cases": Ledger(
        "cases", "识别和消除办理台账", "cases", {"phase": "open"},
        (*_PLACE, Column("事项类型", 13), Column("线索来源", 13), Column("当前环节", 11),
         Column("环节开始日期", 13), Column("环节办理期限", 13), Column("环节是否逾期", 12),
         Column("审定期限", 12), Column("审定是否逾期", 12), Column("督办", 14),
         Column("启动日期", 12), Column("该户第几次", 11), Column("绿色通道", 14)),
        case_row, breakdown=("stage", STAGES, "stage"), walks=("stage", STAGES),
    ),
    "cleared": Ledger(
        "cleared", "风险消除台账", "monitoring", {"status": "cleared"},
        (*_PLACE, Column("监测对象类别", 16), Column("纳入监测日期", 13),
         Column("风险消除日期", 13), Column("监测时长（月）", 14), Column("帮扶措施数", 11),
         Column("已落实措施数", 12), Column("帮扶措施及落实情况", 60)),
        cleared_row, breakdown=("category", CATEGORIES, "category"),
    ),
    "tasks": Ledger(
        "tasks", "帮扶任务台账", "tasks", {},
        (*_PLACE, Column("任务类型", 12), Column("风险等级", 10), Column("户类型", 14),
         Column("任务状态", 10), Column("生成日期", 12), Column("走访期限", 12),
         Column("措施期限", 12), Column("是否逾期", 10), Column("督办", 14), Column("走访次数", 10),
         Column("已落实措施", 30)),
        task_row, breakdown=("status", ("open", "acknowledged", "resolved", "dismissed"), "status"),
        permission=Permission.READ_TASKS,
    ),
}  # fmt: skip
