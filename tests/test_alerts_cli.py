"""The tasks and silences commands, as township staff and operators use them."""

from __future__ import annotations

from datetime import date

from typer.testing import CliRunner

from domain import countyday
from services.cli import app
from services.households.app import Households
from synthetic.sample import Builder
from tests.test_alerts import YEAR, feed_at


def test_work_a_task_from_the_terminal(store_settings):
    env = {
        "POVWATCH_STORE": store_settings.store,
        "POVWATCH_SQLITE_DIR": str(store_settings.sqlite_dir),
        "POVWATCH_POSTGRES_SCHEMA": store_settings.postgres_schema,
    }
    households = Households(env=store_settings.store_env("Monitor"))
    b = Builder("cli")
    for i, m in enumerate(
        [
            b.register("H-1", date(2025, 1, 1), "yellow", members=1, labour=1),
            b.income("H-1", countyday.today(), "100.00", *YEAR),
        ]
    ):
        feed_at(households, m, i)
    households.close()
    from services.alerts.service import AlertsService

    service = AlertsService(store_settings)
    service.catch_up()
    (task,) = service.tasks.search().items
    # The alerts process runs beside the commands: its follower writes the
    # tasks view that "tasks list" reads (a command never writes it).
    service.start(relay=False)
    try:
        _work_the_task(env, task)
    finally:
        service.stop()


def _work_the_task(env, task):
    run = lambda *args: CliRunner().invoke(app, list(args), env=env)  # noqa: E731
    listed = run("tasks", "list")
    assert listed.exit_code == 0 and "H-1" in listed.output and "income_below_line" in listed.output
    assert run("tasks", "ack", task.task_id, "--by", "staff-1").exit_code == 0
    assert (
        run(
            "tasks",
            "measure",
            task.task_id,
            "--by",
            "staff-1",
            "--kind",
            "cash",
            "--department",
            "x",
        ).exit_code
        == 2
    )
    assert (
        run("tasks", "resolve", task.task_id, "--by", "staff-1", "--outcome", "helped").exit_code
        == 0
    )
    shown = run("tasks", "show", task.task_id)
    assert "resolved" in shown.output and "staff-1: acknowledged" in shown.output
    again = run("tasks", "resolve", task.task_id, "--by", "staff-1", "--outcome", "x")
    assert again.exit_code == 1 and "cannot resolve: the task is resolved" in again.output
    assert "1 of 1" in run("tasks", "list", "--closed").output

    added = run(
        "silences",
        "add",
        "--reason",
        "audit",
        "--by",
        "op-1",
        "--township",
        "Jinlong",
        "--factor",
        "income_in_band",
    )
    assert added.exit_code == 0, added.output
    assert "Jinlong / income_in_band" in run("silences", "list").output
    assert (
        run(
            "silences",
            "add",
            "--reason",
            "x",
            "--by",
            "op",
            "--household",
            "H",
            "--factor",
            "bogus",
        ).exit_code
        == 1
    )
    assert run("silences", "end", "s1", "--by", "op-2", "--reason", "done").exit_code == 0


def test_the_procedure_from_the_terminal(store_settings, tmp_path):
    """An operator lists cases, shows one, writes its village notice as a PDF
    and reads the household's monitoring record."""
    from uuid import UUID

    from pypdf import PdfReader

    from domain.access import Principal, Role

    env = {
        "POVWATCH_STORE": store_settings.store,
        "POVWATCH_SQLITE_DIR": str(store_settings.sqlite_dir),
        "POVWATCH_POSTGRES_SCHEMA": store_settings.postgres_schema,
    }
    households = Households(env=store_settings.store_env("Monitor"))
    b = Builder("clic")
    for i, m in enumerate(
        [
            b.register("H-2", date(2025, 1, 1), "yellow", members=1, labour=1),
            b.income("H-2", countyday.today(), "100.00", *YEAR),
        ]
    ):
        feed_at(households, m, i)
    households.close()
    from services.alerts.service import AlertsService

    service = AlertsService(store_settings)
    service.catch_up()
    (case,) = service.case_list.search().items
    village = Principal("li", Role.VILLAGE, "Jinlong", village="Xinquan")
    cid, today = UUID(case.case_id), countyday.today()
    service.cases.act(
        cid, "verify", village, visited_on=today, members=1, labour_capable=1,
        income_estimate_yuan=100, hardship=[], consent=True,
    )  # fmt: skip
    service.cases.act(cid, "authorise", village, signed=True, signed_on=today, kept_at="村委会")
    service.cases.act(cid, "cross_check", Principal("xu", Role.COUNTY), matches=True)
    service.cases.act(
        cid, "village_review", village, held_on=today, attendees=9, agreed=True,
        category="sudden",
    )  # fmt: skip
    service.cases.act(cid, "post_notice", village, starts_on=today, days=5)
    service.start(relay=False)
    run = lambda *args: CliRunner().invoke(app, list(args), env=env)  # noqa: E731
    try:
        listed = run("cases", "list")
        assert listed.exit_code == 0 and "H-2" in listed.output and "notice" in listed.output
        shown = run("cases", "show", case.case_id)
        assert shown.exit_code == 0 and "notice posted" in shown.output and "li" in shown.output
        pdf = tmp_path / "notice.pdf"
        written = run("cases", "notice", case.case_id, "--pdf", str(pdf))
        assert written.exit_code == 0, written.output
        text = "".join(p.extract_text() for p in PdfReader(pdf).pages).replace("\x00", "")
        assert "H-2" in text and "突发严重困难户" in text
        assert run("cases", "show", "not-an-id").exit_code == 2
        record = run("cases", "record", "H-2")
        assert record.exit_code == 0 and "none" in record.output
        # The household's timeline: the departments' facts and the procedure's steps.
        steps = run("timeline", "H-2")
        assert steps.exit_code == 0 and "notice posted" in steps.output
        assert "li (village)" in steps.output and "income" in steps.output.lower()
    finally:
        service.stop()
