"""A case: one household taken through the monitoring procedure, from a lead
to the county's decision (identification), or from monitoring to cleared risk
(clearance).

Each command checks, in this order: its input (``domain.case_input``), that
the account may act here (its role at this stage, the household in its area:
``CaseForbidden``), then the case's state (``TaskError``). Every step is an
event on the case naming who, in which role, when and what; the stage's
deadline is computed by the command (working days from the calendar) and
stored on the event, so replaying a case never consults a calendar.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.case_input import (
    Acting,
    CaseForbidden,
    check_category_fits,
    check_count,
    check_decline_reason,
    check_factors,
    check_on_or_before,
    stamp,
    summary,
)
from domain.casesteps import SIGNERS, SUDDEN_FACTORS, CaseSteps, Lead
from domain.countyday import day
from domain.procedure import CATEGORIES, CaseKind, Stage
from domain.task_input import NOTE_MAX, TaskError, TaskInputError, plain_text
from domain.twoworries import visit_hardship
from domain.workdays import Due

__all__ = ["CATEGORIES", "SIGNERS", "SUDDEN_FACTORS", "Case", "CaseForbidden", "Lead", "Outcome"]

Outcome = str  # monitored, declined (identification); cleared, kept (clearance)
# A case returned to one of these stages posts its notice again.
BEFORE_NOTICE = frozenset({"verify", "crosscheck", "village_review", "notice"})
OUTCOMES: dict[str, tuple[str, str]] = {
    # kind -> (what approving makes of the household, what refusing does)
    "identification": ("monitored", "declined"),
    "clearance": ("cleared", "kept"),
}


class Case(CaseSteps):
    reason_category: str | None = None  # a declined identification's (none decided before)

    @staticmethod
    def create_id(household_id: str, number: int) -> UUID:
        return uuid5(NAMESPACE_URL, f"/povwatch/cases/{household_id}/{number}")

    @event("Opened")
    def __init__(
        self,
        household_id: str,
        number: int,
        kind: CaseKind,
        township: str | None,
        village: str | None,
        card: str | None,
        lead: Lead,
        stages: list[Stage],
        stage_due: date,
        due_assumed: bool,
        decision_due: date,
        at: datetime,
    ) -> None:
        self.household_id, self.number, self.kind = household_id, number, kind
        self.township, self.village, self.card = township, village, card
        self.channel = lead["channel"]
        self.leads: list[Lead] = [dict(lead)]
        self.stages = list(stages)
        self.stage: Stage | None = stages[0]
        self.stage_started, self.stage_due, self.due_assumed = (
            day(at),
            stage_due,
            due_assumed,
        )
        self.decision_due = decision_due
        self.opened_at = self.updated_at = at
        self.records: dict[str, dict[str, Any]] = {}
        self.proposal: str | None = None  # what the village review proposed
        self.category: str | None = None
        self.notice: dict[str, Any] | None = None
        self.objections: list[dict[str, Any]] = []
        self.outcome: Outcome | None = None
        self.reason = ""
        self.escalation = 0
        self.escalated_stage: Stage | None = None
        self.history: list[dict[str, Any]] = []
        # 帮扶消除 or 自然消除, chosen where the clearance was proposed.
        self.clearance_kind: str | None = lead.get("clearance_kind")
        self.helped_first: list[dict[str, Any]] = []  # 绿色通道: help before the decision
        self._log(at, "system", "", "opened", self.channel)

    # -- state ------------------------------------------------------------------

    def overdue_since(self, on: date) -> date | None:
        """The stage's deadline when it has passed on ``on``."""
        if self.is_open and on > self.stage_due:
            return self.stage_due
        return None

    def _allow(self, step: Acting, stage: Stage) -> None:
        """The procedure's rule for ``stage`` and the account's area."""
        who = step.who
        if who.role.value not in step.procedure.roles(stage):
            raise CaseForbidden(f"the {who.role.value} role does not act at {stage}")
        if not who.sees(self.township, self.village):
            raise CaseForbidden("outside your area")

    def _decline(self, step: Acting, reason: str) -> None:
        self._decided(
            **stamp(step), outcome=OUTCOMES[self.kind][1], category=None,
            reason=reason, ended_at="crosscheck",
        )  # fmt: skip

    def _next(self, stage: Stage, step: Acting) -> Due:
        return step.procedure.stages[stage].due.after(day(step.at), step.calendar)

    # -- commands ------------------------------------------------------------------

    def add_lead(self, lead: Lead, at: datetime) -> None:
        """Another lead about the household while the case is open."""
        if self.is_open:
            self._lead_added(lead=dict(lead), at=at)

    def verify(
        self,
        step: Acting,
        *,
        visited_on: date,
        members: int,
        labour_capable: int,
        income_estimate_yuan: int,
        hardship: list[str],
        consent: bool,
        note: str = "",
        food_met: bool | None = None,  # 不愁吃, 不愁穿 (None: only the hardship says)
        clothing_met: bool | None = None,
    ) -> None:
        plain_text("note", note, NOTE_MAX)
        check_on_or_before("visited_on", visited_on, day(step.at))
        check_count("members", members, 1, 30)
        check_count("labour_capable", labour_capable, 0, members, "members")
        check_count("income_estimate_yuan", income_estimate_yuan, 0, 10_000_000)
        check_factors("hardship", hardship)
        hardship = visit_hardship(hardship, food_met, clothing_met)
        self._allow(step, "verify")
        self._at("verify", "record the verification")
        record = {
            "visited_on": visited_on,
            "members": members,
            "labour_capable": labour_capable,
            "income_estimate_yuan": income_estimate_yuan,
            "hardship": list(hardship),
            "consent": consent,
            "note": note,
            **{"food_met": food_met, "clothing_met": clothing_met},
        }
        self._advance(step, "verify", "verified", record)

    def cross_check(self, step: Acting, *, matches: bool, differences: str = "") -> None:
        plain_text("differences", differences, NOTE_MAX, least=0 if matches else 1)
        self._allow(step, "crosscheck")
        self._at("crosscheck", "record the cross-check")
        if not self.records.get("consent", {}).get("signed"):
            raise TaskError("cannot cross-check: the household has not signed the authorisation")
        record = {"matches": matches, "differences": differences}
        self._advance(step, "crosscheck", "cross-checked", record)

    def village_review(
        self,
        step: Acting,
        *,
        held_on: date,
        attendees: int,
        agreed: bool,
        category: str | None = None,
        note: str = "",
    ) -> None:
        """The village meeting's result. For an identification it proposes
        a category when it agrees; a review that does not agree goes straight
        to the township (nothing is posted about a household it turned down)."""
        plain_text("note", note, NOTE_MAX, least=0 if agreed else 1)
        check_on_or_before("held_on", held_on, day(step.at))
        check_count("attendees", attendees, 3, 500)
        if self.kind == "identification" and agreed:
            check_category_fits("category", category, self.card)
        elif category is not None:
            raise TaskInputError(
                "category", "not_here", "only an agreed identification proposes one"
            )
        self._allow(step, "village_review")
        self._at("village_review", "record the village review")
        approve, refuse = OUTCOMES[self.kind]
        proposal = approve if agreed else refuse
        record = {"held_on": held_on, "attendees": attendees, "agreed": agreed, "note": note}
        skip_to: Stage | None = None if agreed else "township_review"
        self._advance(
            step, "village_review", "village reviewed", record,
            proposal=proposal, category=category, skip_to=skip_to,
        )  # fmt: skip

    def post_notice(self, step: Acting, *, starts_on: date, days: int) -> None:
        check_count("days", days, step.procedure.notice.min_days, 60, "the procedure's minimum")
        if starts_on < day(step.at):
            raise TaskInputError("starts_on", "past", "a notice starts today or later")
        self._allow(step, "notice")
        self._at("notice", "post the notice")
        if self.notice is not None:
            raise TaskError("cannot post the notice: it is posted once")
        ends_on = date.fromordinal(starts_on.toordinal() + days - 1)
        self._notice_posted(**stamp(step), starts_on=starts_on, ends_on=ends_on)

    def record_objection(self, step: Acting, *, received_on: date, text: str) -> None:
        plain_text("text", text, NOTE_MAX, least=1)
        check_on_or_before("received_on", received_on, day(step.at))
        self._allow(step, "notice")
        self._at("notice", "record an objection")
        if self.notice is None:
            raise TaskError("cannot record an objection: the notice is not posted")
        if not self.notice["starts_on"] <= received_on <= self.notice["ends_on"]:
            raise TaskInputError(
                "received_on", "outside", "objections are received during the notice"
            )
        self._objection_recorded(**stamp(step), received_on=received_on, text=text)

    def close_notice(self, step: Acting, *, handling: str = "") -> None:
        """After its last day; the objections raised need their handling said."""
        plain_text("handling", handling, NOTE_MAX, least=1 if self.objections else 0)
        self._allow(step, "notice")
        self._at("notice", "close the notice")
        if self.notice is None:
            raise TaskError("cannot close the notice: it is not posted")
        if day(step.at) <= self.notice["ends_on"]:
            raise TaskError(f"cannot close the notice before it ends ({self.notice['ends_on']})")
        record = {"objections": len(self.objections), "handling": handling}
        self._advance(step, "notice", "notice closed", record)

    def township_review(
        self, step: Acting, *, approve: bool, reason: str = "", return_to: str | None = None
    ) -> None:
        plain_text("reason", reason, NOTE_MAX, least=0 if approve else 1)
        if approve and return_to is not None:
            raise TaskInputError("return_to", "not_here", "only a returned case goes back")
        before = self.stages[: self.stages.index("township_review")]
        if not approve and return_to not in before:
            raise TaskInputError("return_to", "stage", f"one of {', '.join(before)}")
        self._allow(step, "township_review")
        self._at("township_review", "review")
        if approve:
            record = {"approved": True, "reason": reason}
            self._advance(step, "township_review", "approved", record)
            return
        assert return_to is not None
        target: Stage = return_to  # type: ignore[assignment]
        due = self._next(target, step)
        self._returned(
            **stamp(step), to=target, reason=reason,
            due=due.on, assumed=due.assumed,
        )  # fmt: skip

    def decide(
        self, step: Acting, *, approve: bool, reason: str = "", category: str | None = None,
        reason_category: str | None = None,
    ) -> None:  # fmt: skip
        """The county's decision. An identification approved makes a
        monitoring object of one category; a clearance approved clears the
        risk, never for a household the verification found no one able to
        work in. Refusing needs the reason given back; declining an
        identification, its category too (the household sees only that)."""
        plain_text("reason", reason, NOTE_MAX, least=0 if approve else 1)
        if self.kind == "identification" and approve:
            check_category_fits("category", category, self.card)
        elif category is not None:
            raise TaskInputError("category", "not_here", "only an identification has a category")
        check_decline_reason(self.kind == "identification" and not approve, reason_category)
        self._allow(step, "county_decision")
        self._at("county_decision", "decide")
        if self.kind == "clearance" and approve:
            if self.records.get("verify", {}).get("labour_capable", 0) < 1:
                raise TaskError(
                    "cannot clear: no one in the household can work (kept under assistance)"
                )
        approved, refused = OUTCOMES[self.kind]
        self._decided(
            **stamp(step), outcome=approved if approve else refused,
            category=category, reason=reason, reason_category=reason_category,
        )  # fmt: skip

    def escalate(self, level: int, at: datetime, reason: str) -> None:
        if self.is_open and (level > self.escalation or self.escalated_stage != self.stage):
            self._escalated(level=level, at=at, reason=reason, stage=self.stage)

    def _advance(
        self,
        step: Acting,
        stage: Stage,
        what: str,
        record: dict[str, Any],
        *,
        proposal: str | None = None,
        category: str | None = None,
        skip_to: Stage | None = None,
    ) -> None:
        following = skip_to or self.stages[self.stages.index(stage) + 1]
        due = self._next(following, step)
        self._stage_done(
            **stamp(step), stage=stage, what=what, record=record,
            next_stage=following, due=due.on, assumed=due.assumed,
            proposal=proposal, category=category,
        )  # fmt: skip

    # -- events: they only change state ---------------------------------------------

    def _enter(self, stage: Stage, started: date, due: date, assumed: bool) -> None:
        self.stage, self.stage_started = stage, started
        self.stage_due, self.due_assumed = due, assumed
        self.escalation, self.escalated_stage = 0, None

    @event("LeadAdded")
    def _lead_added(self, lead: Lead, at: datetime) -> None:
        self.leads.append(lead)
        self._log(at, "system", "", "lead added", lead.get("channel", ""))

    @event("StageDone")
    def _stage_done(
        self,
        by: str,
        role: str,
        at: datetime,
        stage: Stage,
        what: str,
        record: dict[str, Any],
        next_stage: Stage,
        due: date,
        assumed: bool,
        proposal: str | None,
        category: str | None,
    ) -> None:
        self.records[stage] = dict(record, by=by, at=at)
        if proposal is not None:
            self.proposal, self.category = proposal, category
        self._log(at, by, role, what, summary(record))
        self._enter(next_stage, day(at), due, assumed)

    @event("NoticePosted")
    def _notice_posted(
        self, by: str, role: str, at: datetime, starts_on: date, ends_on: date
    ) -> None:
        self.notice = {"starts_on": starts_on, "ends_on": ends_on, "by": by, "at": at}
        self._log(at, by, role, "notice posted", f"{starts_on} – {ends_on}")

    @event("ObjectionRecorded")
    def _objection_recorded(
        self, by: str, role: str, at: datetime, received_on: date, text: str
    ) -> None:
        self.objections.append({"received_on": received_on, "text": text, "by": by, "at": at})
        self._log(at, by, role, "objection recorded", text)

    @event("Returned")
    def _returned(
        self, by: str, role: str, at: datetime, to: Stage, reason: str, due: date, assumed: bool
    ) -> None:
        self._log(at, by, role, "returned", f"{to}: {reason}")
        if to in BEFORE_NOTICE:
            self.notice, self.objections = None, []
        self._enter(to, day(at), due, assumed)

    @event("Decided")
    def _decided(
        self, by: str, role: str, at: datetime, outcome: str, category: str | None, reason: str,
        reason_category: str | None = None,  # absent from decisions recorded before it
        ended_at: str = "county_decision",
    ) -> None:  # fmt: skip
        """``ended_at``: the stage the case ended at (the county's decision,
        or the cross-check when the household declined to authorise it)."""
        record = {"outcome": outcome, "reason": reason, "by": by, "at": at}
        self.records[ended_at] = record | (
            {"reason_category": reason_category} if reason_category else {}
        )
        self.outcome, self.reason = outcome, reason
        self.reason_category = reason_category
        if category is not None:
            self.category = category
        self._log(at, by, role, outcome, reason)
        self.stage = None

    @event("Escalated")
    def _escalated(self, level: int, at: datetime, reason: str, stage: Stage | None) -> None:
        self.escalation = level
        self.escalated_stage = stage
        self._log(at, "system", "", f"escalated to level {level}", reason)
