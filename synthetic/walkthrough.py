"""The demo's walk of one lead through the whole monitoring procedure: home
verification, the household's authorisation, the county office's
cross-check, village review, the village notice (its PDF written beside the
store), township review and the county's decision, then a help plan of two
measures; a new department fact about the monitoring object (a hospital
stay) then lands as a help task on its plan, not a second case, and a
measure answering it completes the task; half a year later the village proposes 自然消除 and the clearance
goes through the chain again. Each step is taken by the demo account of the
role that owns it, through the same commands the API and the inbox use.

The notice must run its days before it closes, so the walk dates each step
as the days it would take (a clock that moves on step by step); the page and
the table say so."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from uuid import UUID

from rich.table import Table

from domain import countyday
from domain.access import Principal, Role
from services.alerts.bootstrap import open_cases
from services.cases.notice import notice_pdf, printed
from services.cases.views import case_doc, notice_doc
from services.cli.common import console
from services.households.names import open_names
from services.households.statusview import open_view
from services.infra.settings import Settings
from services.presentation.fonts import FontMissing, find_font
from services.presentation.words import Words

STAGE_ZH = {
    "verify": "入户核实",
    "crosscheck": "信息比对",
    "village_review": "民主评议",
    "notice": "村级公示",
    "township_review": "乡镇审核",
    "county_decision": "县级审定",
}


class StepClock:
    """Now, moved on by the walk as each step's days pass."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def days(self, n: int) -> None:
        self.now += timedelta(days=n)


def walk(
    settings: Settings,
    alerts,
    case_id: str,
    people: dict[str, Principal],
    new_fact: Callable[[str], None] | None = None,
) -> None:
    """Takes the case ``case_id`` from its lead to a monitoring object (the
    running alerts process follows the decision: its lead task is closed).
    ``new_fact`` publishes a department's new fact about the household the
    normal way and returns once the running process has taken it."""
    clock = StepClock(alerts.clock())
    cases = open_cases(settings, clock)
    table = Table(title="One lead through the procedure (dated as the days each step takes)")
    for col in ("date", "stage", "who (role)", "what", "next stage", "due"):
        table.add_column(col)
    people = {"county": Principal("demo-county", Role.COUNTY), **people}
    try:
        cid = UUID(case_id)

        def step(who: str, action: str, days_after: int = 0, **kwargs: object) -> None:
            clock.days(days_after)
            before = cases.case(cid).stage
            done = cases.act(cid, action, people[who], **kwargs).case
            p = people[who]
            table.add_row(
                f"{clock.now:%Y-%m-%d}", STAGE_ZH.get(before or "", "-"),
                f"{p.name} ({p.role.value})", done.history[-1]["what"],
                STAGE_ZH.get(done.stage or "", done.outcome or "-"),
                str(done.stage_due) if done.is_open else "-",
            )  # fmt: skip

        def today() -> date:
            return countyday.day(clock.now)

        _identify(step, today, cases, cid, settings)
        console.print(table)
        household_id = cases.case(cid).household_id
        _plan(cases, household_id, people["staff"], clock)
        if new_fact is not None:
            _new_risk(cases, household_id, people["staff"], clock, new_fact)
        # Half a year on, the household's work income is back: the village
        # proposes 自然消除 (the risk gone by itself, no measure needed).
        clock.days(183)
        proposed = cases.propose_clearance(
            household_id, people["village"], "务工收入恢复，风险自然消除", "natural"
        )
        cid = proposed.id
        table = Table(title="Its risk cleared (自然消除), half a year later")
        for col in ("date", "stage", "who (role)", "what", "next stage", "due"):
            table.add_column(col)
        _clear(step, today, cases, cid, settings)
        console.print(table)
    finally:
        cases.close()


def _identify(step: Callable[..., None], today: Callable[[], date], cases, cid, settings) -> None:
    """The lead to a monitoring object: the household signs the authorisation
    at the visit, the county office cross-checks, a category that fits."""
    card = cases.case(cid).card
    category = "unstable" if card in ("yellow", "green") else "marginal"
    step(
        "village", "verify", visited_on=today(), members=3, labour_capable=1,
        income_estimate_yuan=6800, hardship=["income_below_line"], consent=True,
        note="入户核实：家庭务工收入减少",
    )  # fmt: skip
    step("village", "authorise", signed=True, signed_on=today(), kept_at="村委会档案室")
    step("county", "cross_check", 1, matches=True)
    step(
        "village", "village_review", 1, held_on=today(), attendees=15, agreed=True,
        category=category, note="评议通过",
    )  # fmt: skip
    step("village", "post_notice", starts_on=today(), days=cases.procedure.notice.min_days)
    _write_notice(settings, cases, cid)
    step("village", "close_notice", cases.procedure.notice.min_days)
    step("reviewer", "township_review", 1, approve=True)
    step("approver", "decide", 1, approve=True, category=category)


def _clear(step: Callable[..., None], today: Callable[[], date], cases, cid, settings) -> None:
    """The clearance through verification, review, notice, township and county."""
    step(
        "village", "verify", visited_on=today(), members=3, labour_capable=1,
        income_estimate_yuan=24000, hardship=[], consent=True, note="入户核实：务工收入恢复",
    )  # fmt: skip
    step("village", "village_review", 1, held_on=today(), attendees=15, agreed=True)
    step("village", "post_notice", starts_on=today(), days=cases.procedure.notice.min_days)
    _write_notice(settings, cases, cid)
    step("village", "close_notice", cases.procedure.notice.min_days)
    step("reviewer", "township_review", 1, approve=True)
    step("approver", "decide", 1, approve=True)


def _write_notice(settings: Settings, cases, cid: UUID) -> None:
    path = Path(settings.sqlite_dir) / f"notice-{cid}.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    names, risk = open_names(settings), open_view(settings)
    try:
        notice = printed(notice_doc(case_doc(cases.case(cid))), names, risk, cases.procedure.notice)
        path.write_bytes(notice_pdf(notice, find_font(settings.pdf_font)))
        console.print(f"village notice (A4 PDF): {path}", highlight=False)
    except FontMissing as e:
        console.print(f"[yellow]notice not printed: {e}[/yellow]")
    finally:
        names.close()
        risk.datastore.close()


def _plan(cases, household_id: str, staff: Principal, clock: Callable[[], datetime]) -> None:
    due = countyday.day(clock()) + timedelta(days=30)
    cases.plan(
        household_id, staff, "add_measure", kind="public_welfare_post",
        department="乡镇人社站", due_on=due, note="安排公益性岗位",
    )  # fmt: skip
    cases.plan(
        household_id, staff, "add_measure", kind="employment_help",
        department="县人社局", due_on=due, note="推荐就近务工",
    )  # fmt: skip
    record = cases.record(household_id)
    assert record is not None
    console.print(
        f"{household_id}: monitoring object ({record.category}) since {record.monitored_since}; "
        f"help plan: {', '.join(m.kind for m in record.plan.values())}",
        highlight=False,
    )


# A measure answering a new risk the demo's fact raises: kind, department, note.
ANSWERS = {"medical_cost_high": ("medical_aid", "县医保局", "大病保险二次报销、医疗救助")}


def _new_risk(
    cases, household_id: str, staff: Principal, clock: Callable[[], datetime], new_fact
) -> None:
    """A new hospital stay of the monitoring object: a help task on its plan
    for the township (its new factor, its deadline), answered by a measure."""
    record = cases.record(household_id)
    known = set(record.plan_tasks)
    new_fact(household_id)
    record = cases.record(household_id)
    new = [t for t in record.plan_tasks.values() if t.task_id not in known]
    if not new:
        console.print(f"[yellow]{household_id}: the new fact raised no help task[/yellow]")
        return
    (task,) = new
    zh = Words("zh").term
    factors = "、".join(f"{zh('factor', f)} ({f})" for f in task.factors)
    console.print(
        f"{household_id}: new hospital stay -> help task on its plan (not a second case; "
        f"cases opened: {record.cases_opened}): {factors}, for {task.township}, due {task.due_on}",
        highlight=False,
    )
    if all(f in ANSWERS for f in task.factors):
        due = countyday.day(clock()) + timedelta(days=30)
        for f in task.factors:
            kind, department, note = ANSWERS[f]
            cases.plan(
                household_id, staff, "add_measure", kind=kind, department=department,
                due_on=due, note=note, answers=f,
            )  # fmt: skip
    else:  # a risk the demo has no measure for: the township records why none is needed
        reason = "乡镇核实：现有帮扶措施已覆盖，无需新增措施"
        cases.plan(household_id, staff, "close_plan_task", task_id=task.task_id, reason=reason)
    record = cases.record(household_id)
    done = record.plan_tasks[task.task_id]
    answered = ", ".join(f"{f} by {record.plan[m].kind}" for f, m in done.answered.items())
    console.print(
        f"{household_id}: help task {done.state} ({answered or done.reason})", highlight=False
    )


def demo_people(alerts, township: str, village: str) -> dict[str, tuple[str, str, Principal]]:
    """The demo's accounts of the procedure's roles (tokens issued again at
    each run): name -> (token, what the account is, principal)."""
    issue = alerts.accounts.issue
    made = {
        "village": ("demo-village", Role.VILLAGE, township, village),
        "staff": ("demo-staff", Role.STAFF, township, None),
        "reviewer": ("demo-reviewer", Role.REVIEWER, township, None),
        "approver": ("demo-approver", Role.APPROVER, None, None),
    }
    out = {}
    for key, (name, role, t, v) in made.items():
        token = issue(name, role, "demo", township=t, village=v)
        out[key] = (token, f"{role.value} {v or t or 'county'}", Principal(name, role, t, None, v))
    return out
