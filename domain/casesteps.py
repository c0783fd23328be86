"""What a case records beside its stages: the household's signed
authorisation (承诺授权书) before the county's cross-check, and help given
before the decision to a household in sudden severe hardship (绿色通道,
先帮后认). ``domain.cases.Case`` is built on it; its commands check their
input, then the role (the procedure file's ``consent`` and ``green_channel``
roles) and the area, then the state, as the stages' do."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate, event

from domain.case_input import (
    Acting,
    CaseForbidden,
    check_measure,
    check_on_or_before,
    stamp,
    summary,
)
from domain.countyday import day
from domain.procedure import Duty, Stage
from domain.task_input import DEPARTMENT_MAX, NOTE_MAX, TaskError, TaskInputError, plain_text

Lead = dict[str, Any]  # channel, at, rule_id, title, source, level, factors, task_id
# Who signed the authorisation: the head (户主), a member for the head, or a
# proxy filling it in for a household that cannot write (it still presses
# its fingerprint).
SIGNERS = ("head", "member", "proxy")
PLACE_MAX = 100  # where the signed form is kept
# Sudden severe hardship (突发严重困难): a major illness's cost, a disaster or
# an accident's loss. Its case may take the green channel (先帮后认).
SUDDEN_FACTORS = frozenset({"medical_cost_high", "disaster_loss"})


class CaseSteps(Aggregate):
    if TYPE_CHECKING:  # set by Case's opening (annotations here would be its fields)
        kind: str
        township: str | None
        village: str | None
        stage: Stage | None
        outcome: str | None
        leads: list[Lead]
        records: dict[str, dict[str, Any]]
        helped_first: list[dict[str, Any]]
        history: list[dict[str, Any]]
        updated_at: datetime

    @property
    def is_open(self) -> bool:
        return self.outcome is None

    @property
    def sudden(self) -> bool:
        """A lead or the visit found sudden severe hardship."""
        found = {f for lead in self.leads for f in lead.get("factors", ())}
        found |= set(self.records.get("verify", {}).get("hardship", ()))
        return bool(found & SUDDEN_FACTORS)

    def _may(self, step: Acting, duty: Duty, what: str) -> None:
        who = step.who
        if who.role.value not in duty.roles:
            raise CaseForbidden(f"the {who.role.value} role does not {what}")
        if not who.sees(self.township, self.village):
            raise CaseForbidden("outside your area")

    def _at(self, stage: Stage, action: str) -> None:
        if not self.is_open:
            raise TaskError(f"cannot {action}: the case is {self.outcome}")
        if self.stage != stage:
            raise TaskError(f"cannot {action}: the case is at {self.stage}")

    def _log(self, at: datetime, by: str, role: str, what: str, detail: str = "") -> None:
        self.history.append(
            {"at": at, "by": by, "role": role, "stage": self.stage, "what": what, "detail": detail}
        )
        self.updated_at = at

    def _decline(self, step: Acting, reason: str) -> None:
        """Ends the case at the cross-check, declined with ``reason``."""
        raise NotImplementedError

    def authorise(
        self,
        step: Acting,
        *,
        signed: bool,
        signed_on: date | None = None,
        signer: str = "head",
        kept_at: str = "",
        reason: str = "",
    ) -> None:
        """The household's signed authorisation of the departments' checks
        (承诺授权书): on which day, by whom (the head, or a member or proxy
        for them), and where the signed form is kept. A household that
        declines ends its case with that reason: the county cannot check
        what it is not authorised to."""
        if signed:
            if signed_on is None:
                raise TaskInputError("signed_on", "missing", "the day it was signed")
            check_on_or_before("signed_on", signed_on, day(step.at))
            if signer not in SIGNERS:
                raise TaskInputError("signer", "unknown_signer", f"one of {', '.join(SIGNERS)}")
            plain_text("kept_at", kept_at, PLACE_MAX, least=1)
        elif signed_on is not None or kept_at:
            raise TaskInputError("signed_on", "not_here", "only a signed authorisation has a day")
        plain_text("reason", reason, NOTE_MAX, least=0 if signed else 1)
        self._may(step, step.procedure.consent, "record the authorisation")
        self._at("crosscheck", "record the authorisation")
        if self.records.get("consent", {}).get("signed"):
            raise TaskError("cannot record the authorisation: it is signed")
        self._authorised(
            **stamp(step), signed=signed, signed_on=signed_on,
            signer=signer if signed else "", kept_at=kept_at, reason=reason,
        )  # fmt: skip
        if not signed:
            self._decline(step, f"declined to sign the authorisation: {reason}")

    def help_first(
        self, step: Acting, *, kind: str, department: str, due_on: date, note: str = ""
    ) -> None:
        """绿色通道 (先帮后认): a help measure given to a household in sudden
        severe hardship before the county decides, marked on the case (and
        pushed to the township). Only while an identification is open."""
        check_measure("kind", kind)
        plain_text("department", department, DEPARTMENT_MAX, least=1)
        plain_text("note", note, NOTE_MAX)
        if due_on < day(step.at):
            raise TaskInputError("due_on", "past", "a measure is due today or later")
        self._may(step, step.procedure.green_channel, "give help first")
        if not self.is_open or self.kind != "identification":
            raise TaskError("cannot help first: only before an identification's decision")
        if not self.sudden:
            raise TaskError(
                "cannot help first: the green channel is for sudden severe hardship"
                " (a major illness, a disaster or an accident)"
            )
        self._helped_first(
            **stamp(step), measure_id=f"g{len(self.helped_first) + 1}", kind=kind,
            department=department, due_on=due_on, note=note,
        )  # fmt: skip

    @event("HelpedFirst")
    def _helped_first(
        self,
        by: str,
        role: str,
        at: datetime,
        measure_id: str,
        kind: str,
        department: str,
        due_on: date,
        note: str,
    ) -> None:
        self.helped_first.append(
            {"id": measure_id, "kind": kind, "department": department, "due_on": due_on,
             "note": note, "by": by, "at": at}
        )  # fmt: skip
        self._log(at, by, role, "helped first", f"{kind}（{department}）")

    @event("Authorised")
    def _authorised(
        self,
        by: str,
        role: str,
        at: datetime,
        signed: bool,
        signed_on: date | None,
        signer: str,
        kept_at: str,
        reason: str,
    ) -> None:
        record = {"signed": signed, "signed_on": signed_on, "signer": signer, "kept_at": kept_at}
        self.records["consent"] = dict(record, reason=reason, by=by, at=at)
        self._log(
            at, by, role, "authorised" if signed else "declined to authorise", summary(record)
        )
