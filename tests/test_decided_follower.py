"""A decision's follow-up on a real store of each kind: the decided follower
closes the case's lead task and erases the contact a household outside the
registry left; a process killed (SIGKILL) right after saving decisions leaves
their follow-up to the next alerts process, which does it at its start; and
following again changes nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
from functools import partial
from uuid import UUID

import pytest

from domain.access import Principal, Role
from domain.contacts import ContactRecord
from domain.task_input import TaskError
from services.alerts.bootstrap import close_leads
from services.alerts.service import AlertsService
from services.cases.decided import DecidedFollower, is_decision
from services.households.app import Households
from services.households.statusview import open_view
from services.infra.policyfile import load_policies
from services.monitor.riskstatus import RiskStatusProjection
from synthetic.sample import Builder
from tests.faults import ROOT, Proc, service_env
from tests.helpers import wait_for
from tests.test_alerts import MONDAY, Clock, feed_at, registered

T, V = "Jinlong", "Xinquan"  # the sample builder's township and village
PHONE = "13812345678"
VILLAGE = Principal("li", Role.VILLAGE, township=T, village=V)
STAFF = Principal("wang", Role.STAFF, township=T)
REVIEWER = Principal("chen", Role.REVIEWER, township=T)
APPROVER = Principal("zhou", Role.APPROVER)
COUNTY = Principal("xu", Role.COUNTY)


class World:
    """The alerts service's stores (nothing running), fed as the monitor would."""

    def __init__(self, settings, clock: Clock) -> None:
        self.households = Households(env=settings.store_env("Monitor"))
        self.service = AlertsService(settings, clock=clock)
        self.risk = RiskStatusProjection(
            self.households, open_view(settings), load_policies(settings), lambda: clock().date()
        )
        self.clock, self.b = clock, Builder("al")

    def close(self) -> None:
        self.service.stop()
        self.risk.view.datastore.close()
        self.households.close()

    def two_leads(self) -> tuple[UUID, UUID, str, UUID]:
        """A department's lead (a help task) for H and a declaration from a
        household outside the registry (a contact): the task's id, H's
        case, the household's reference and its case."""
        for n, m in enumerate(registered(self, "H", "yellow", "7000.00")):
            feed_at(self.households, m, n)
        self.risk.catch_up()
        self.service.catch_up()
        parts = self.service.parts
        (task,) = self.service.tasks.search(limit=5).items
        ref = parts.intake.declarations.declare_unregistered(
            {T: [V]}, T, V, "disaster", "房子被洪水冲坏", PHONE, parts.intake.contacts
        )
        cases = self.service.cases
        h_case, u_case = (cases.record(h).open_case for h in ("H", ref))
        assert h_case is not None and u_case is not None
        for cid in (h_case, u_case):
            self.to_decision(cid)
        return UUID(task.task_id), h_case, ref, u_case

    def to_decision(self, cid: UUID) -> None:
        """Every stage before the county's decision."""
        cases, today = self.service.cases, self.clock().date()
        cases.act(
            cid, "verify", VILLAGE, visited_on=today, members=1, labour_capable=1,
            income_estimate_yuan=7000, hardship=["income_below_line"], consent=True,
            note="入户核实",
        )  # fmt: skip
        if "crosscheck" in cases.case(cid).stages:
            cases.act(cid, "authorise", VILLAGE, signed=True, signed_on=today, kept_at="村委会")
            cases.act(cid, "cross_check", COUNTY, matches=True)
        cases.act(
            cid, "village_review", VILLAGE, held_on=today, attendees=15, agreed=True,
            category=fitting(cases.case(cid)),
        )  # fmt: skip
        days = cases.procedure.notice.min_days
        cases.act(cid, "post_notice", VILLAGE, starts_on=today, days=days)
        self.clock.advance(days=days)
        cases.act(cid, "close_notice", VILLAGE)
        cases.act(cid, "township_review", REVIEWER, approve=True)


@pytest.fixture
def world(store_settings, tmp_path):
    w = World(store_settings.model_copy(update={"state_dir": tmp_path / "state"}), Clock(MONDAY))
    yield w
    w.close()


def fitting(case) -> str:
    """The category that fits the household: 脱贫不稳定户 for one out of
    poverty, 突发严重困难户 for one outside the registry (a disaster)."""
    return "unstable" if case.card in ("yellow", "green") else "sudden"


def decide(service: AlertsService, *case_ids: UUID) -> None:
    for cid in case_ids:
        category = fitting(service.cases.case(cid))
        service.cases.act(cid, "decide", APPROVER, approve=True, category=category)


def erased(service: AlertsService, ref: str) -> bool:
    row = service.parts.intake.contacts.view.get(ref)
    record = service.cases._get(ContactRecord.create_id(ref))
    return row is not None and row.sealed == "" and record.erased_at is not None


def test_a_decision_closes_its_lead_task_and_erases_the_contact(world):
    service = world.service
    task_id, h_case, ref, u_case = world.two_leads()
    contacts = service.parts.intake.contacts
    assert contacts.show(ref, STAFF) == PHONE
    decide(service, h_case, u_case)
    # The decision's request saves the decision only: the rest is the follower's.
    assert service.alerts.task(task_id).status == "open"
    assert contacts.view.get(ref).sealed
    assert service.parts.decided.catch_up() > 0
    task = service.alerts.task(task_id)
    assert task.status == "resolved" and "monitored" in (task.outcome or "")
    assert erased(service, ref)
    with pytest.raises(TaskError, match="erased"):
        contacts.show(ref, STAFF)
    assert service.parts.decided.lag() == 0


def test_following_again_changes_nothing(world):
    service, parts = world.service, world.service.parts
    task_id, h_case, ref, u_case = world.two_leads()
    decide(service, h_case, u_case)
    # A follow-up cut short after its first step (the task closed, nothing
    # recorded) runs again whole: the task stays as it was closed.
    close_leads(service.alerts, service.cases.case(h_case))
    closed = service.alerts.task(task_id).version
    parts.decided.catch_up()
    assert service.alerts.task(task_id).version == closed and erased(service, ref)

    def marks() -> tuple[int | None, ...]:
        record = service.cases._get(ContactRecord.create_id(ref))
        return (
            service.alerts.recorder.max_notification_id(),
            service.cases.recorder.max_notification_id(),
            record.version,
            service.alerts.task(task_id).version,
        )

    before = marks()
    # Each step again, then a second follower from the stored position.
    close_leads(service.alerts, service.cases.case(h_case))
    parts.intake.contacts.erase(ref)
    again = DecidedFollower(
        service.cases, parts.intake.contacts, partial(close_leads, service.alerts)
    )
    assert again.position() == parts.decided.position() > 0
    assert again.catch_up() == 0
    assert marks() == before and erased(service, ref)


# Saves the decisions, says so, and waits to be killed: its followers never
# start, as in an alerts process killed between a save and its follow-up.
DECIDE = """
import sys
from uuid import UUID
from domain.access import Principal, Role
from services.alerts.bootstrap import build
from services.infra.settings import Settings

parts = build(Settings())
for cid in sys.argv[1:]:
    card = parts.cases.case(UUID(cid)).card
    parts.cases.act(UUID(cid), "decide", Principal("zhou", Role.APPROVER), approve=True,
                    category="unstable" if card in ("yellow", "green") else "sudden")
print("decided", flush=True)
sys.stdin.read()
"""


def test_a_process_killed_after_deciding_leaves_the_follow_up_to_the_next(settings, tmp_path):
    s = settings.model_copy(update={"state_dir": tmp_path / "state"})
    world = World(s, Clock(MONDAY))
    service = world.service
    alerts = Proc(s, "alerts", tmp_path / "alerts.log")
    try:
        task_id, h_case, ref, u_case = world.two_leads()
        child = subprocess.Popen(
            [sys.executable, "-c", DECIDE, str(h_case), str(u_case)],
            env=service_env(s),
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"decided", "the decisions were not saved"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        # Both decisions are saved; neither's follow-up was done.
        assert not service.cases.case(h_case).is_open and not service.cases.case(u_case).is_open
        assert service.alerts.task(task_id).status == "open"
        assert service.parts.intake.contacts.view.get(ref).sealed
        alerts.start()  # a fresh alerts process catches up at its start
        wait_for(
            lambda: service.alerts.task(task_id).status == "resolved" and erased(service, ref),
            timeout=120,
            what="the lead task closed and the contact erased",
            state=lambda: f"task {service.alerts.task(task_id).status}, log: {alerts.log}",
        )
    finally:
        alerts.stop()
        world.close()
    assert PHONE not in (tmp_path / "alerts.log").read_text(encoding="utf-8")
    after = World(s, Clock(MONDAY))
    try:
        cases = after.service.cases
        notes = cases.recorder.select_notifications(start=1, limit=10_000)
        decisions = [n.id for n in notes if is_decision(n)]
        assert len(decisions) == 2 and after.service.parts.decided.position() >= max(decisions)
        assert cases._get(ContactRecord.create_id(ref)).erased_at is not None
    finally:
        after.close()
