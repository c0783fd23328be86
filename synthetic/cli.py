"""The synthetic county's commands: ``python -m synthetic demo`` runs the
main job on a generated county, ``python -m synthetic generate`` writes or
publishes its feeds."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

import typer
from rich.cells import cell_len
from rich.progress import Progress
from rich.table import Table

from domain import countyday
from domain.vocabulary import LEVELS
from services.cli.common import console, until_signalled
from services.infra import kafka
from services.infra.settings import Settings

app = typer.Typer(help="A synthetic county for demos, tests and benchmarks", no_args_is_help=True)


@app.command()
def generate(
    households: int = typer.Option(2_000, min=1, help="households in the county"),
    months: int = typer.Option(3, min=1, help="months of department feeds"),
    seed: int = typer.Option(1, help="same seed, same county and messages"),
    start: str | None = typer.Option(None, help="first month (YYYY-MM-DD) [months before today]"),
    out: Path | None = typer.Option(None, help="write JSONL here"),
    publish_: bool = typer.Option(False, "--publish", help="publish to the events topic"),
) -> None:
    """Make a deterministic synthetic county and its department feeds."""
    from synthetic.county import encode, make_county, messages

    if (out is None) == (not publish_):
        raise typer.BadParameter("give either --out FILE or --publish")
    first = date.fromisoformat(start) if start else _months_back(countyday.today(), months)
    county = make_county(households, seed=seed, months=months, start=first)
    settings = Settings()
    producer = None
    if publish_:
        kafka.ensure_topics(settings)
        producer = kafka.producer(settings, linger_ms=20, batch_size=256 * 1024)
    n = 0
    with (
        Progress(console=console, transient=True) as progress,
        out.open("w", encoding="utf-8") if out else _NoFile() as f,
    ):
        task = progress.add_task("generating", total=None)
        for m in messages(county):
            key, value = encode(m)
            if producer:
                producer.send(settings.events_topic, key=key, value=value)
            else:
                f.write(value.decode() + "\n")
            n += 1
            if n % 1000 == 0:
                progress.update(task, completed=n)
        if producer:
            producer.flush()
            producer.close()
    where = str(out) if out else settings.events_topic
    console.print(f"{n:,} messages for {households:,} households over {months} month(s) -> {where}")


class _NoFile:
    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def _months_back(today: date, months: int) -> date:
    y, m = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(y, m + 1, 1)


@app.command()
def demo(
    households: int = typer.Option(2_000, min=10, help="households in the synthetic county"),
    months: int = typer.Option(3, min=1, help="months of department feeds"),
    seed: int = typer.Option(1, help="the county's seed"),
    keep_running: bool = typer.Option(True, help="leave the services running until Ctrl-C"),
    timeout: float = typer.Option(600.0, help="seconds to wait for ingestion"),
) -> None:
    """The main job on a synthetic county: publish its feeds through the
    broker, ingest them, and show the households at risk and the help tasks
    by township; then keep the services (API, metrics) running."""
    from services.alerts.service import AlertsService
    from services.monitor.bootstrap import open_monitor
    from synthetic.county import encode, make_county, messages

    settings = Settings()
    from services.infra.logs import setup

    setup("WARNING")
    county = make_county(
        households, seed=seed, months=months, start=_months_back(countyday.today(), months)
    )
    stop = until_signalled()
    with (
        open_monitor(settings, http=True) as service,
        AlertsService(settings, http=True) as alerts,
    ):
        producer = kafka.producer(settings, linger_ms=20, batch_size=256 * 1024)
        with Progress(console=console, transient=True) as progress:
            publishing = progress.add_task("publishing the departments' feeds", total=None)
            total = 0
            for m in messages(county, last_year_income=True):
                key, value = encode(m)
                producer.send(settings.events_topic, key=key, value=value)
                total += 1
                if total % 500 == 0:
                    progress.update(publishing, completed=total)
            producer.flush()
            producer.close()
            progress.update(publishing, total=total, completed=total)
            ingesting = progress.add_task("ingesting and assessing", total=total)
            deadline = time.monotonic() + timeout
            while not (ingested(settings, service) and service.projection.lag() == 0):
                stored = service.households.recorder.max_notification_id() or 0
                progress.update(ingesting, completed=min(stored, total))
                if time.monotonic() > deadline or service.stop_event.is_set() or stop.is_set():
                    console.print("[red]ingestion did not finish; see the log[/red]")
                    raise typer.Exit(1)
                time.sleep(0.3)
            progress.update(ingesting, completed=total)
            raising = progress.add_task("raising help tasks and opening cases", total=None)
            while any(f.lag() for f in alerts.parts.followers()):
                time.sleep(0.3)
            progress.remove_task(raising)
        _print_county(service.view, alerts)
        _print_standard(service.view, alerts.parts.case_list)
        new_fact = partial(publish_hospital_stay, settings, alerts, timeout=min(timeout, 120))
        _print_demo_accounts(settings, alerts, walk_one_lead(settings, alerts, new_fact))
        if keep_running:
            console.print("services running; Ctrl-C to stop")
            stop.wait()


def walk_one_lead(
    settings: Settings, alerts, new_fact: Callable[[str], None] | None = None
) -> list[tuple[str, str, str]]:
    """Walks the first open case of the township with the most open cases
    through the whole procedure (``new_fact``: a new department fact about
    the monitoring object it makes); returns the demo accounts it acted as."""
    from synthetic.walkthrough import demo_people, walk

    open_cases = {
        t: n for (t, phase), n in alerts.case_list.counts("township", "phase").items()
        if t and phase == "open"
    }  # fmt: skip
    if not open_cases:
        console.print("no lead in this county: no case to walk through")
        return []
    busiest = max(open_cases, key=lambda t: open_cases[t])
    case = alerts.case_list.search(limit=1, township=busiest, phase="open").items[0]
    people = demo_people(alerts, busiest, case.village or "")
    console.print(
        f"\n[bold]walking case {case.case_id}[/bold] ({case.household_id}, {case.village}, "
        f"{busiest}) from its lead to the county's decision",
        highlight=False,
    )
    walk(settings, alerts, case.case_id, {k: p for k, (_, _, p) in people.items()}, new_fact)
    # ASCII account names whatever the township is called.
    return [(p.name, what, token) for token, what, p in people.values()]


def publish_hospital_stay(
    settings: Settings, alerts, household_id: str, timeout: float = 120.0
) -> None:
    """Medical insurance reports a new major hospital stay of the household
    (self-paid far above a year's income) on the events topic, as every
    department's fact arrives; returns once the running services have taken
    it to the household's monitoring record (or after ``timeout`` seconds)."""
    from synthetic.county import encode
    from synthetic.sample import Builder

    record = alerts.cases.record(household_id)
    before = len(record.plan_tasks) if record else 0
    on = countyday.today()
    stay = Builder(f"demo-stay-{time.time_ns()}").illness(
        household_id, on, "500000.00", "440000.00"
    )
    producer = kafka.producer(settings)
    try:
        key, value = encode(stay)
        producer.send(settings.events_topic, key=key, value=value)
        producer.flush()
    finally:
        producer.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = alerts.cases.record(household_id)
        if record is not None and len(record.plan_tasks) > before:
            return
        time.sleep(0.3)


def _print_demo_accounts(settings: Settings, alerts, procedure: list[tuple[str, str, str]]) -> None:
    """Demo accounts (issued again at each run, which replaces their tokens):
    the county office, the procedure's roles in the walked case's township,
    and an operator for /metrics."""
    from domain.access import Role

    issue = alerts.accounts.issue
    tokens = [("demo-county", "county office", issue("demo-county", Role.COUNTY, "demo"))]
    tokens += procedure
    tokens.append(
        (
            "demo-operator",
            "operator (metrics, silences)",
            issue("demo-operator", Role.OPERATOR, "demo"),
        )
    )
    base = f"http://127.0.0.1:{settings.alerts_port}"
    console.print(f"\n[bold]township inbox[/bold]  {base}/inbox   (sign in with a token below)")
    for name, role, token in tokens:
        console.print(f"  {_pad(name, 20)} {_pad(role, 32)} {token}", highlight=False)
    console.print(
        f"alerts API  {base}/docs   monitor API  http://127.0.0.1:{settings.monitor_port}/docs   "
        "(Authorization: Bearer TOKEN; /metrics with the operator's)",
        highlight=False,
    )


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (a Chinese character takes two)."""
    return text + " " * max(width - cell_len(text), 0)


def _print_county(view, alerts) -> None:
    from synthetic.county import TOWNSHIPS

    counts = view.counts("township", "level")
    # The county's own order of its townships, then any other (sorted).
    order = {t: i for i, t in enumerate(TOWNSHIPS)}
    townships = sorted({t for t, _ in counts if t}, key=lambda t: (order.get(t, len(order)), t))
    table = Table(title="Households by township and risk level")
    for col in ("township", *LEVELS, "open tasks", "overdue"):
        table.add_column(col, justify="right" if col != "township" else "left")
    open_tasks = alerts.tasks.counts("township", "phase")
    today = countyday.day(alerts.clock()).isoformat()
    overdue = {}
    for t in alerts.tasks.search(limit=10_000, before=today, phase="open").items:
        overdue[t.township] = overdue.get(t.township, 0) + 1
    for t in townships:
        table.add_row(
            t,
            *(str(counts.get((t, lvl), 0)) for lvl in LEVELS),
            str(open_tasks.get((t, "open"), 0)),
            str(overdue.get(t, 0)),
        )
    unknown = sum(n for (t, _), n in counts.items() if t is None)
    console.print(table)
    console.print(f"households the registry does not know, seen in department data: {unknown}")
    tasks = alerts.tasks.search(limit=15, phase="open").items
    listing = Table(title="Open help tasks (first 15, by due date)")
    for col in (
        "township",
        "household",
        "card",
        "kind",
        "level",
        "visit due",
        "why",
        "suggested measures",
    ):
        listing.add_column(col)
    for t in tasks:
        listing.add_row(
            t.township or "-",
            t.household_id,
            t.card or "unregistered",
            t.kind,
            t.level,
            str(t.visit_due),
            ", ".join(f.code for f in t.factors),
            ", ".join(t.suggested_measures),
        )
    console.print(listing)


def _print_standard(view, case_list) -> None:
    """The county's picture of the standard (plan §3(1)): per township, the
    households failing each guarantee, and 两不愁 as the home verifications
    found it, as the county overview shows it."""
    from services.cases.twoworries import with_visits
    from services.households.standard import standard_picture

    picture = with_visits(standard_picture(view), case_list)
    table = Table(title="Households failing each guarantee of the standard, by township")
    visits = [f"{f} not met (home verification)" for f in picture.found_at_visit]
    for col in ("township", "households", *picture.guarantees, "C/D houses past June", *visits):
        table.add_column(col, justify="left" if col == "township" else "right")
    for r in [*picture.rows, picture.totals]:
        table.add_row(
            r.township or "whole county",
            str(r.households),
            *(str(r.failing[g]) for g in picture.guarantees),
            str(r.houses_past_deadline),
            *(str(r.found_at_visit[f]) for f in picture.found_at_visit),
        )
    console.print(table)


def ingested(settings: Settings, service) -> bool:
    """True when the store has recorded every offset now on the events topic."""
    from kafka import TopicPartition

    probe = kafka.consumer(settings, group=None)
    try:
        parts = probe.partitions_for_topic(settings.events_topic) or set()
        tps = [TopicPartition(settings.events_topic, p) for p in parts]
        ends = probe.end_offsets(tps)
    finally:
        probe.close()
    for tp, end in ends.items():
        done = service.households.resume_from(tp.topic, tp.partition) or 0
        if done < end:
            return False
    return True
