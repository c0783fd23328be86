"""The povwatch command: thin entry points over the services."""

from __future__ import annotations

import signal
from contextlib import contextmanager
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from schemas.status import RiskStatusOut
from services import kafka
from services.settings import Settings

app = typer.Typer(help="povwatch: early warning against falling back into poverty", no_args_is_help=True)
# Wide enough for the status table when output goes to a file or a CI log.
console = Console(width=None if sys.stdout.isatty() else 160)

LEVEL_STYLE = {"none": "green", "watch": "yellow", "high": "bold red", "critical": "bold white on red"}


def _setup(settings: Settings) -> None:
    from services.logs import setup
    from services.runtime import tune_gc, tune_malloc

    setup(settings.log_level)
    tune_gc()
    tune_malloc()


def _until_signalled(reload=None) -> threading.Event:
    """An event set by Ctrl-C or SIGTERM; SIGHUP calls ``reload``."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    if reload is not None:
        signal.signal(signal.SIGHUP, lambda *_: reload())
    return stop


def _configured(make):
    """Builds a service; a bad rules or policy file stops it with its reason."""
    from domain.policy import PolicyError
    from services.alerts.rulefile import RulesError

    try:
        return make()
    except (RulesError, PolicyError) as e:
        console.print(f"[red]configuration refused:[/red]\n{e}")
        raise typer.Exit(2) from None


@app.command("cipher-key")
def cipher_key() -> None:
    """Print a new key for encryption at rest (set it as POVWATCH_CIPHER_KEY)."""
    from eventsourcing.cipher import AESCipher

    print(AESCipher.create_key(num_bytes=32))


@app.command()
def topics() -> None:
    """Create the project's Kafka topics (idempotent)."""
    settings = Settings()
    kafka.ensure_topics(settings)
    console.print(f"topics ready on {settings.kafka_bootstrap}")


@app.command()
def monitor(http: bool = typer.Option(True, help="serve the HTTP API and /metrics")) -> None:
    """Run the monitor: ingest department events, keep risk statuses current."""
    from services.monitor.service import MonitorService

    settings = Settings()
    _setup(settings)
    service = _configured(lambda: MonitorService(settings, http=http))
    stop = _until_signalled(service.reload_config)
    with service.start(schedule=True):
        if http:
            console.print(f"monitor API on http://127.0.0.1:{settings.monitor_port}/docs")
        while not stop.wait(1.0) and not service.stop_event.is_set():
            pass
    if service.stop_event.is_set() and not stop.is_set():
        raise typer.Exit(1)


@app.command()
def alerts(http: bool = typer.Option(True, help="serve the HTTP API and /metrics")) -> None:
    """Run the alerts service."""
    from services.alerts.service import AlertsService

    settings = Settings()
    _setup(settings)
    service = _configured(lambda: AlertsService(settings, http=http))
    stop = _until_signalled(service.reload_config)
    with service.start(schedule=True):
        if http:
            console.print(f"alerts API on http://127.0.0.1:{settings.alerts_port}/docs")
        stop.wait()


@app.command()
def generate(
    households: int = typer.Option(2_000, min=1, help="households in the county"),
    months: int = typer.Option(3, min=1, help="months of department feeds"),
    seed: int = typer.Option(1, help="same seed, same county and messages"),
    start: Optional[str] = typer.Option(None, help="first month (YYYY-MM-DD) [months before today]"),
    out: Optional[Path] = typer.Option(None, help="write JSONL here"),
    publish_: bool = typer.Option(False, "--publish", help="publish to the events topic"),
) -> None:
    """Make a deterministic synthetic county and its department feeds."""
    from services.generate import encode, make_county, messages

    if (out is None) == (not publish_):
        raise typer.BadParameter("give either --out FILE or --publish")
    first = date.fromisoformat(start) if start else _months_back(date.today(), months)
    county = make_county(households, seed=seed, months=months, start=first)
    settings = Settings()
    producer = None
    if publish_:
        kafka.ensure_topics(settings)
        producer = kafka.producer(settings, linger_ms=20, batch_size=256 * 1024)
    n = 0
    with Progress(console=console, transient=True) as progress, \
            (out.open("w", encoding="utf-8") if out else _NoFile()) as f:
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
    from services.generate import encode, make_county, messages
    from services.monitor.service import MonitorService

    settings = Settings()
    from services.logs import setup

    setup("WARNING")
    county = make_county(households, seed=seed, months=months,
                         start=_months_back(date.today(), months))
    stop = _until_signalled()
    with MonitorService(settings, http=True) as service, AlertsService(settings, http=True) as alerts:
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
            raising = progress.add_task("raising help tasks", total=None)
            while alerts.triggers.lag() or alerts.task_view.lag():
                time.sleep(0.3)
            progress.remove_task(raising)
        _print_county(service.view, alerts)
        _print_demo_accounts(settings, alerts)
        if keep_running:
            console.print("services running; Ctrl-C to stop")
            stop.wait()


def _print_demo_accounts(settings: Settings, alerts) -> None:
    """Demo accounts (issued again at each run, which replaces their tokens):
    the county office, the staff of the township with the most open tasks, and
    an operator for /metrics."""
    from domain.access import Role

    open_tasks = alerts.tasks.counts("township", "phase")
    busiest = max((t for t, phase in open_tasks if t and phase == "open"),
                  key=lambda t: open_tasks[(t, "open")], default=None)
    issue = alerts.accounts.issue
    tokens = [("demo-county", "county office", issue("demo-county", Role.COUNTY, "demo"))]
    if busiest:
        tokens.append((f"demo-{busiest.lower()}", f"staff of {busiest}",
                       issue(f"demo-{busiest.lower()}", Role.STAFF, "demo", township=busiest)))
    tokens.append(("demo-operator", "operator (metrics, silences)", issue("demo-operator", Role.OPERATOR, "demo")))
    base = f"http://127.0.0.1:{settings.alerts_port}"
    console.print(f"\n[bold]township inbox[/bold]  {base}/inbox   (sign in with a token below)")
    for name, role, token in tokens:
        console.print(f"  {name:<20} {role:<32} {token}", highlight=False)
    console.print(
        f"alerts API  {base}/docs   monitor API  http://127.0.0.1:{settings.monitor_port}/docs   "
        "(Authorization: Bearer TOKEN; /metrics with the operator's)", highlight=False)


def _print_county(view, alerts) -> None:
    counts = view.counts("township", "level")
    townships = sorted({t for t, _ in counts if t})
    table = Table(title="Households by township and risk level")
    for col in ("township", "none", "watch", "high", "critical", "open tasks", "overdue"):
        table.add_column(col, justify="right" if col != "township" else "left")
    open_tasks = alerts.tasks.counts("township", "phase")
    today = alerts.clock().date().isoformat()
    overdue = {}
    for t in alerts.tasks.search(limit=10_000, before=today, phase="open").items:
        overdue[t.township] = overdue.get(t.township, 0) + 1
    for t in townships:
        table.add_row(t, *(str(counts.get((t, lvl), 0)) for lvl in ("none", "watch", "high", "critical")),
                      str(open_tasks.get((t, "open"), 0)), str(overdue.get(t, 0)))
    unknown = sum(n for (t, _), n in counts.items() if t is None)
    console.print(table)
    console.print(f"households the registry does not know, seen in department data: {unknown}")
    tasks = alerts.tasks.search(limit=15, phase="open").items
    listing = Table(title="Open help tasks (first 15, by due date)")
    for col in ("township", "household", "card", "kind", "level", "visit due", "why", "suggested measures"):
        listing.add_column(col)
    for t in tasks:
        listing.add_row(t.township or "-", t.household_id, t.card or "unregistered", t.kind, t.level,
                        str(t.visit_due), ", ".join(f.code for f in t.factors),
                        ", ".join(t.suggested_measures))
    console.print(listing)


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


@app.command()
def status(household_id: str) -> None:
    """Show one household's risk status with its factors."""
    from services.monitor.riskstatus import open_view

    view = open_view(Settings())
    found = view.get(household_id)
    if found is None:
        console.print(f"[red]no household {household_id!r} in the risk status view[/red]")
        raise typer.Exit(1)
    _print_statuses([found], detail=True)


@app.command()
def publish(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help=".jsonl, .csv or .xlsx"),
    source: str = typer.Option(..., help="department code, e.g. medical-insurance"),
    report: Optional[Path] = typer.Option(None, help="rejection report (CSV) [FILE.rejections.csv]"),
) -> None:
    """Validate a department's file and publish its valid rows to Kafka."""
    from services.publisher import Ledger, publish_file, write_report

    settings = Settings()
    kafka.ensure_topics(settings)
    producer = kafka.producer(settings)
    ledger = Ledger(settings.state_dir / "publish-ledger.db")
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"publishing {file.name}", total=None)
            result = publish_file(
                file,
                source,
                send=lambda k, v: producer.send(settings.events_topic, key=k, value=v),
                flush=producer.flush,
                ledger=ledger,
                progress=lambda n: progress.update(task, completed=n),
            )
    except ValueError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    finally:
        producer.close()
        ledger.close()
    out = report or file.with_name(file.name + ".rejections.csv")
    write_report(result, out)
    console.print(
        f"published {result.published}, already published {result.already}, "
        f"rejected {result.rejected_rows} row(s); report: {out}"
    )
    if result.rejected:
        raise typer.Exit(1)


@app.command()
def timeline(household_id: str) -> None:
    """Show a household's history in plain words, in the order things happened."""
    from domain.timeline import timeline as build
    from services.monitor.households import Households

    events = Households(env=Settings().store_env("Monitor")).history(household_id)
    if not events:
        console.print(f"[red]no household {household_id!r} in the store[/red]")
        raise typer.Exit(1)
    table = Table(title=f"Timeline of {household_id}")
    for col in ("when", "source", "what"):
        table.add_column(col)
    for e in build(events):
        table.add_row(e.occurred_at.isoformat() if e.occurred_at else "-", e.source or "-", e.text)
    console.print(table)


@app.command()
def households(
    township: Optional[str] = None,
    village: Optional[str] = None,
    card: Optional[str] = None,
    level: Optional[str] = None,
    limit: int = 50,
    offset: int = 0,
) -> None:
    """List households' risk statuses, filtered."""
    from services.monitor.riskstatus import open_view

    page = open_view(Settings()).search(
        limit=limit, offset=offset, township=township, village=village, card=card, level=level
    )
    _print_statuses(page.items)
    console.print(f"{len(page.items)} of {page.total}")


@app.command()
def rebuild(
    workers: Optional[int] = typer.Option(
        None, min=1, help="processes replaying the store [the cores on PostgreSQL, 1 on SQLite]"),
) -> None:
    """Rebuild the risk status view from the event store."""
    from services.monitor.households import Households
    from services.monitor.riskstatus import RiskStatusProjection, load_policies, open_view, rebuild_workers
    from services.runtime import tune_gc

    settings = Settings()
    tune_gc()
    projection = RiskStatusProjection(
        Households(env=settings.store_env("Monitor")), open_view(settings), load_policies(settings)
    )
    n_workers = workers or rebuild_workers(settings)
    with console.status(f"rebuilding the risk status view ({n_workers} process(es))"):
        n = projection.rebuild(workers=n_workers, settings=settings)
    console.print(f"rebuilt from {n} stored events")


tasks_app = typer.Typer(help="Help tasks: list, show and work them.", no_args_is_help=True)
silences_app = typer.Typer(help="Silences: list, add and end.", no_args_is_help=True)
accounts_app = typer.Typer(help="Accounts and their tokens: issue, revoke, list.", no_args_is_help=True)
app.add_typer(tasks_app, name="tasks")
app.add_typer(silences_app, name="silences")
app.add_typer(accounts_app, name="accounts")


@accounts_app.command("issue")
def accounts_issue(
    name: str = typer.Argument(..., help="the account, e.g. jinlong-wang (a person or a system)"),
    role: str = typer.Option(..., help="staff, county, operator or publisher"),
    township: Optional[str] = typer.Option(None, help="township staff: their township"),
    source: Optional[str] = typer.Option(None, help="publisher: the department code it speaks for"),
    by: str = typer.Option("admin", help="who issues it (recorded)"),
    token_file: Optional[Path] = typer.Option(
        None, help="write the token to this file (mode 600) instead of printing it"),
) -> None:
    """Issue a token (a new one replaces the account's old one). It is shown once
    and stored only as a hash."""
    from domain.access import AccessError, Role
    from services.access import open_accounts

    try:
        role_ = Role(role)
    except ValueError:
        raise typer.BadParameter(f"{role!r}: one of {', '.join(r.value for r in Role)}") from None
    accounts = open_accounts(Settings())
    try:
        token = accounts.issue(name, role_, by, township=township, source=source)
    except AccessError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    finally:
        accounts.close()
    if token_file is not None:
        token_file.parent.mkdir(parents=True, exist_ok=True)
        token_file.touch(mode=0o600)
        token_file.write_text(token + "\n")
        console.print(f"token for {name} ({role}) written to {token_file}", highlight=False)
    else:
        print(token)


@accounts_app.command("revoke")
def accounts_revoke(name: str, by: str = typer.Option("admin", help="who revokes it (recorded)")) -> None:
    """Revoke an account's token: it stops working at its next request."""
    from domain.access import AccessError
    from services.access import open_accounts

    accounts = open_accounts(Settings())
    try:
        accounts.revoke(name, by)
    except AccessError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None
    finally:
        accounts.close()
    console.print(f"{name}: revoked")


@accounts_app.command("list")
def accounts_list() -> None:
    """Accounts, their roles and whether they are active (tokens are never shown)."""
    from services.access import open_accounts

    accounts = open_accounts(Settings())
    table = Table(title="Accounts")
    for col in ("name", "role", "township", "source", "issued", "by", "revoked"):
        table.add_column(col)
    for a in accounts.list():
        table.add_row(a.name, a.role.value, a.township or "-", a.source or "-",
                      f"{a.issued_at:%Y-%m-%d %H:%M}", a.issued_by,
                      f"{a.revoked_at:%Y-%m-%d %H:%M} by {a.revoked_by}" if a.revoked_at else "-")
    accounts.close()
    console.print(table)


@contextmanager
def _alerts():
    """The alerts service's stores, closed afterwards (no threads started)."""
    from services.alerts.service import AlertsService

    service = AlertsService(Settings())
    try:
        yield service
    finally:
        service.stop()


def _task_id(value: str):
    from uuid import UUID

    try:
        return UUID(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a task id") from None


@tasks_app.command("list")
def tasks_list(
    township: Optional[str] = None,
    status: Optional[str] = typer.Option(None, help="open, acknowledged, resolved or dismissed"),
    overdue: bool = typer.Option(False, help="only open tasks past a deadline"),
    closed: bool = typer.Option(False, help="closed tasks instead of open ones"),
    limit: int = 50,
    offset: int = 0,
) -> None:
    """Tasks, overdue first, then by due date."""
    with _alerts() as service:
        service.task_view.catch_up()
        before = service.clock().date().isoformat() if overdue else None
        page = service.tasks.search(limit=limit, offset=offset, before=before, township=township,
                                    status=status, phase=None if status else ("closed" if closed else "open"))
    table = Table(title="Help tasks")
    for col in ("task", "household", "township", "kind", "level", "status", "shown", "next due", "factors"):
        table.add_column(col)
    for t in page.items:
        table.add_row(t.task_id, t.household_id, t.township or "-", t.kind, t.level, t.status, t.shown,
                      str(t.next_due or "-"), ", ".join(f.code for f in t.factors))
    console.print(table)
    console.print(f"{len(page.items)} of {page.total}")


@tasks_app.command("show")
def tasks_show(task_id: str) -> None:
    """One task with its factors, measures and history."""
    from domain.tasks import TaskError
    from services.alerts.views import task_doc

    try:
        with _alerts() as service:
            t = task_doc(service.alerts.task(_task_id(task_id)))
    except TaskError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None
    console.print(f"[bold]{t.title}[/bold]  {t.household_id} ({t.village}, {t.township}), "
                  f"{t.card or 'unregistered'} card, level {t.level}, {t.status}, shown {t.shown}")
    console.print(f"visit by {t.visit_due}, measures by {t.measures_due}; source: {t.source}")
    for f in t.factors:
        console.print(f"  - {f.reason}")
    console.print("suggested measures: " + ", ".join(t.suggested_measures))
    for h in t.history:
        console.print(f"  {h.at:%Y-%m-%d %H:%M} {h.by}: {h.what} {h.detail}")


def _act(task_id: str, action: str, **kwargs) -> None:
    from domain.tasks import TaskError

    with _alerts() as service:
        try:
            task = service.alerts.act(_task_id(task_id), action, **kwargs)
        except TaskError as e:
            console.print(f"[red]{e}[/red]")
            raise typer.Exit(1) from None
        service.task_view.catch_up()
    console.print(f"task {task.id}: {task.status} (version {task.version})")


@tasks_app.command("ack")
def tasks_ack(task_id: str, by: str = typer.Option(...)) -> None:
    """Acknowledge a task."""
    _act(task_id, "acknowledge", by=by)


@tasks_app.command("visit")
def tasks_visit(task_id: str, by: str = typer.Option(...), on: str = typer.Option(..., help="YYYY-MM-DD"),
                note: str = "") -> None:
    """Record a home visit."""
    _act(task_id, "record_visit", by=by, visited_on=date.fromisoformat(on), note=note)


@tasks_app.command("measure")
def tasks_measure(task_id: str, by: str = typer.Option(...), kind: str = typer.Option(...),
                  department: str = typer.Option(...)) -> None:
    """Record a help measure given."""
    from typing import get_args

    from domain.rules import Measure

    if kind not in get_args(Measure):
        raise typer.BadParameter(f"kind must be one of {', '.join(get_args(Measure))}")
    _act(task_id, "record_measure", by=by, kind=kind, department=department)


@tasks_app.command("resolve")
def tasks_resolve(task_id: str, by: str = typer.Option(...), outcome: str = typer.Option(...)) -> None:
    """Resolve a task with its outcome."""
    _act(task_id, "resolve", by=by, outcome=outcome)


@tasks_app.command("dismiss")
def tasks_dismiss(task_id: str, by: str = typer.Option(...), reason: str = typer.Option(...)) -> None:
    """Dismiss a task (a reason is required)."""
    _act(task_id, "dismiss", by=by, reason=reason)


@silences_app.command("list")
def silences_list() -> None:
    """Every silence, active or not."""
    with _alerts() as service:
        now, silences = service.clock(), service.alerts.silences()
    table = Table(title="Silences")
    for col in ("id", "scope", "reason", "by", "expires", "state"):
        table.add_column(col)
    for s in silences:
        scope = s.household_id or f"{s.township} / {s.factor or 'any factor'}"
        state = "active" if s.active(now) else (f"ended by {s.ended_by}" if s.ended_at else "expired")
        table.add_row(s.id, scope, s.reason, s.created_by, f"{s.expires_at:%Y-%m-%d %H:%M}", state)
    console.print(table)


@silences_app.command("add")
def silences_add(
    reason: str = typer.Option(...),
    by: str = typer.Option(...),
    days: float = typer.Option(7.0, help="expires after this many days"),
    household: Optional[str] = None,
    township: Optional[str] = None,
    factor: Optional[str] = None,
    until_clear: bool = typer.Option(False, help="end by itself when the condition clears"),
) -> None:
    """Silence one household, or a township (and a factor)."""
    from datetime import timedelta

    from domain.tasks import TaskError

    try:
        with _alerts() as service:
            sid = service.alerts.silence(reason=reason, created_by=by, household_id=household,
                                         township=township, factor=factor, until_clear=until_clear,
                                         expires_at=service.clock() + timedelta(days=days))
    except TaskError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None
    console.print(f"silence {sid} created")


@silences_app.command("end")
def silences_end(silence_id: str, by: str = typer.Option(...), reason: str = typer.Option(...)) -> None:
    """End a silence."""
    from domain.tasks import TaskError

    try:
        with _alerts() as service:
            service.alerts.end_silence(silence_id, by, reason)
    except TaskError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None
    console.print(f"silence {silence_id} ended")


def _print_statuses(statuses: list[RiskStatusOut], detail: bool = False) -> None:
    table = Table(title=f"Risk status on {statuses[0].evaluated_on}" if statuses else "Risk status")
    for col in ("household", "township", "village", "card", "per-capita income", "level", "factors"):
        table.add_column(col)
    for s in statuses:
        table.add_row(
            s.household_id,
            s.township or "-",
            s.village or "-",
            s.card or "unregistered",
            str(s.per_capita_income_yuan) if s.per_capita_income_yuan is not None else "-",
            f"[{LEVEL_STYLE[s.level]}]{s.level}[/]",
            "\n".join(f.reason if detail else f.code for f in s.factors) or "-",
        )
    console.print(table)


if __name__ == "__main__":
    app()
