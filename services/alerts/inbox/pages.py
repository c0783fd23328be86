"""The township inbox: server-rendered pages over the same tasks, rules and
access control as the API. Township staff see their township's tasks
(overdue first, then by due date) and act on them; the county office sees
every township with its open and overdue counts. Forms post back and
redirect (no JavaScript)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from domain import countyday
from domain.access import Permission, Principal, Role
from domain.tasks import DEPARTMENT_MAX, NOTE_MAX, TaskError, TaskInputError
from domain.timeline import timeline
from domain.vocabulary import MEASURES
from schemas.tasks import TaskOut
from services.alerts.app import Alerts
from services.alerts.views import TaskView, reaches, visible_task
from services.households.statusview import RiskStatusView
from services.infra.access import COOKIE, Accounts, scoped_township
from services.infra.views import MAX_OFFSET
from services.presentation.words import DEFAULT, LANGUAGES, Words

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
TEMPLATES.env.globals["Permission"] = Permission  # the bar links by what the account may do
# Pages show times and dates on the county's clock, whatever zone a time was stored in.
TEMPLATES.env.filters["when"] = lambda at: countyday.local(at).strftime("%Y-%m-%d %H:%M")
TEMPLATES.env.filters["day"] = lambda at: countyday.day(at).isoformat()
LANG_COOKIE = "povwatch_lang"
PAGE = 50
# How long an action's answer waits for the tasks view to show it (the list
# the next page reads); past that the page is served and the list catches up.
VIEW_WAIT_SECONDS = 5.0


class NotSignedIn(Exception):
    pass


def page(request: Request, name: str, code: int = 200, **context: Any) -> HTMLResponse:
    """A template in the language the browser chose (Chinese unless told)."""
    w = Words(request.cookies.get(LANG_COOKIE, DEFAULT))
    context = {
        "who": None,
        **context,
        "request": request,
        "_": w,
        "w": w,
        "languages": LANGUAGES,
        "here": _here(request),
    }
    return TEMPLATES.TemplateResponse(request, name, context, status_code=code)


def _here(request: Request) -> str:
    """This page's path and query (a township filter stays when the language
    changes), the query encoded again from its decoded values so that a
    Chinese township name goes out percent-encoded whatever came in."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "done"]
    return request.url.path + (f"?{urlencode(query)}" if query else "")


def signed_in_page(accounts: Accounts, request: Request) -> Principal:
    """The account of the page's sign-in cookie (a session's id); NotSignedIn
    (to the sign-in page) without one that works. What the account may see is
    each page's to check."""
    session = request.cookies.get(COOKIE)
    who = accounts.session(session) if session else None
    if who is None:
        raise NotSignedIn
    return who


class Problem:
    """What the form says is wrong: a field and a problem code the template
    words (Chinese first), or a state conflict's own message."""

    def __init__(
        self, problem: str, field: str | None = None, limit: int | None = None, message: str = ""
    ) -> None:
        self.problem, self.field, self.limit, self.message = problem, field, limit, message

    @classmethod
    def of(cls, e: TaskInputError) -> Problem:
        return cls(e.problem, e.field, e.limit, e.message)


@dataclass(frozen=True)
class Sources:
    """What the pages read and act on. ``history``: a household's stored
    events, for its timeline."""

    alerts: Alerts
    tasks: TaskView
    risk: RiskStatusView
    history: Callable[[str], Sequence[Any]]
    accounts: Accounts
    clock: Callable[[], datetime]
    # The case a task is a lead of, if any (its document: stage, deadline, link).
    case_of: Callable[[TaskOut], Any] = lambda task: None


def router(src: Sources, secure_cookies: bool = False) -> APIRouter:
    pages = APIRouter(prefix="/inbox", include_in_schema=False)
    helpers = _Helpers(src)
    _session_pages(pages, helpers, secure_cookies)
    _task_pages(pages, helpers)
    _action_pages(pages, helpers)
    return pages


class _Helpers:
    """Who asks, and how a page is rendered, shared by the pages."""

    def __init__(self, src: Sources) -> None:
        self.src = src

    def user(self, request: Request, need: Permission = Permission.READ_TASKS) -> Principal:
        who = signed_in_page(self.src.accounts, request)
        if not who.may(need):
            raise HTTPException(403, "role has no inbox")
        return who

    def render(
        self, request: Request, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        return page(request, name, status, today=countyday.day(self.src.clock()), **context)

    def visible(self, task_id: str, who: Principal) -> TaskOut:
        try:
            uuid = UUID(task_id)
        except ValueError:
            uuid = UUID(int=0)  # no such task: answered like any other missing one
        return visible_task(self.src.alerts, uuid, who)

    def task_page(
        self,
        request: Request,
        task_id: str,
        done: str | None = None,
        error: Problem | None = None,
        status: int = 200,
    ) -> Response:
        who = self.user(request)
        task = self.visible(task_id, who)
        household = self.src.risk.get(task.household_id)
        events = timeline(self.src.history(task.household_id))
        return self.render(
            request,
            "task.html",
            status=status,
            who=who,
            task=task,
            household=household,
            events=events,
            done=done,
            error=error,
            case=self.src.case_of(task),
            measures=MEASURES,
            limits={"note": NOTE_MAX, "department": DEPARTMENT_MAX},
            departments=self.src.alerts.rules.departments,
            assumed=self.src.alerts.policies.in_force(
                countyday.day(self.src.clock())
            ).assumed_lines(),
        )


def _session_pages(pages: APIRouter, h: _Helpers, secure_cookies: bool) -> None:
    src = h.src

    @pages.get("/signin", response_class=HTMLResponse)
    def signin_page(request: Request) -> HTMLResponse:
        return h.render(request, "signin.html")

    @pages.post("/signin")
    def signin(request: Request, token: str = Form("")) -> Response:
        who = src.accounts.authenticate(token.strip())
        if who is None:
            return h.render(request, "signin.html", status=401, error="token")
        inbox = who.may(Permission.READ_TASKS) or who.may(Permission.READ_CASES)
        publisher = who.may(Permission.PUBLISH)  # a department: its own feed's page
        # Operators have no work lists and no household: their page is the API's.
        operator = who.may(Permission.READ_API_SPEC)
        if not (inbox or publisher or operator):
            return h.render(request, "signin.html", status=403, error="role")
        target = "/inbox" if inbox else "/inbox/feed" if publisher else "/docs"
        started = src.accounts.sign_in(token.strip())
        if started is None:  # revoked in the meantime
            return h.render(request, "signin.html", status=401, error="token")
        out = RedirectResponse(target, status_code=303)
        # The cookie holds the session's id, never the token. HttpOnly: no
        # script reads it; SameSite=Strict: no other site's form posts with it.
        out.set_cookie(
            COOKIE, started[0], httponly=True, samesite="strict", secure=secure_cookies, path="/"
        )
        return out

    @pages.post("/signout")
    def signout(request: Request) -> Response:
        session = request.cookies.get(COOKIE)
        if session:
            src.accounts.sign_out(session)  # the id stops working, wherever it was copied
        out = RedirectResponse("/inbox/signin", status_code=303)
        out.delete_cookie(COOKIE, path="/")
        return out

    @pages.get("/lang/{lang}")
    def language(lang: str, next: str = "/inbox") -> Response:
        if lang not in LANGUAGES:
            raise HTTPException(404, "no such language")
        target = next if next.startswith("/inbox") and "//" not in next else "/inbox"
        out = RedirectResponse(target, status_code=303)
        out.set_cookie(LANG_COOKIE, lang, samesite="strict", max_age=365 * 86400, path="/")
        return out


def _task_pages(pages: APIRouter, h: _Helpers) -> None:
    src = h.src

    @pages.get("", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        who = h.user(request, Permission.READ_CASES)
        if who.role is not Role.COUNTY:
            # The procedure's work list: the cases at the stages the role acts on
            # (township staff reach their tasks, the cases' leads, from the bar).
            return RedirectResponse("/inbox/cases", status_code=303)
        today = countyday.day(src.clock()).isoformat()
        counts = src.tasks.counts("township", "phase")
        townships = sorted({t for (t, _) in counts} - {None}, key=str) + (
            [None] if any(t is None for (t, _) in counts) else []
        )
        rows = []
        for t in townships:
            overdue = src.tasks.search(limit=1, before=today, township=t, phase="open").total
            rows.append(
                {
                    "township": t,
                    "open": counts.get((t, "open"), 0),
                    "closed": counts.get((t, "closed"), 0),
                    "overdue": overdue,
                }
            )
        return h.render(
            request,
            "overview.html",
            who=who,
            rows=rows,
            total_open=sum(r["open"] for r in rows),
            total_overdue=sum(r["overdue"] for r in rows),
        )

    @pages.get("/tasks", response_class=HTMLResponse)
    def task_list(
        request: Request, township: str | None = None, closed: bool = False, offset: int = 0
    ) -> Response:
        who = h.user(request)
        township = scoped_township(who, township)
        offset = min(max(offset, 0), MAX_OFFSET)
        page = src.tasks.search(
            limit=PAGE, offset=offset, township=township, phase="closed" if closed else "open"
        )
        return h.render(
            request,
            "tasks.html",
            who=who,
            township=township,
            closed=closed,
            page=page,
            offset=offset,
            limit=PAGE,
        )

    @pages.get("/tasks/{task_id}", response_class=HTMLResponse)
    def task_view(request: Request, task_id: str, done: str | None = None) -> Response:
        return h.task_page(request, task_id, done=done)


def _action_pages(pages: APIRouter, h: _Helpers) -> None:
    src = h.src

    def act(request: Request, task_id: str, action: str, **kwargs: Any) -> Response:
        who = h.user(request)
        if not who.may(Permission.ACT_ON_TASKS):
            raise HTTPException(403, "role may not act on tasks")
        h.visible(task_id, who)
        try:
            done = src.alerts.act(UUID(task_id), action, by=who.name, **kwargs)
        except TaskInputError as e:
            return h.task_page(request, task_id, error=Problem.of(e), status=422)
        except TaskError as e:
            return h.task_page(request, task_id, error=Problem("state", message=str(e)), status=409)
        # Read-your-writes: the lists the next pages show come from the tasks
        # view, which the leading process writes; wait (bounded) until it
        # holds this action rather than writing the view from a request.
        reaches(src.tasks, src.alerts.name, done.position, VIEW_WAIT_SECONDS)
        return RedirectResponse(f"/inbox/tasks/{task_id}?done={action}", status_code=303)

    @pages.post("/tasks/{task_id}/acknowledge")
    def acknowledge(request: Request, task_id: str) -> Response:
        return act(request, task_id, "acknowledge")

    @pages.post("/tasks/{task_id}/visit")
    def visit(
        request: Request, task_id: str, visited_on: str = Form(""), note: str = Form("")
    ) -> Response:
        try:
            day = date.fromisoformat(visited_on)
        except ValueError:
            return h.task_page(request, task_id, error=Problem("date", "visited_on"), status=422)
        return act(request, task_id, "record_visit", visited_on=day, note=note.strip())

    @pages.post("/tasks/{task_id}/measure")
    def measure(
        request: Request, task_id: str, kind: str = Form(""), department: str = Form("")
    ) -> Response:
        return act(request, task_id, "record_measure", kind=kind, department=department.strip())

    @pages.post("/tasks/{task_id}/resolve")
    def resolve(request: Request, task_id: str, outcome: str = Form("")) -> Response:
        return act(request, task_id, "resolve", outcome=outcome.strip())

    @pages.post("/tasks/{task_id}/dismiss")
    def dismiss(request: Request, task_id: str, reason: str = Form("")) -> Response:
        return act(request, task_id, "dismiss", reason=reason.strip())


def install(
    app: FastAPI,
    alerts: Alerts,
    tasks: TaskView,
    risk: RiskStatusView,
    history: Callable[[str], Sequence[Any]],
    accounts: Accounts,
    clock: Callable[[], datetime],
    secure_cookies: bool = False,
    more: Sequence[APIRouter] = (),
    case_of: Callable[[TaskOut], Any] = lambda task: None,
) -> None:
    """Adds the inbox to the alerts service's app: pages, their stylesheet,
    and error pages for browsers (the API keeps its JSON errors)."""
    from fastapi.exception_handlers import http_exception_handler
    from starlette.exceptions import HTTPException as StarletteHTTPException

    app.include_router(
        router(Sources(alerts, tasks, risk, history, accounts, clock, case_of), secure_cookies)
    )
    for pages in more:  # the case pages (services/alerts/inbox/casepages.py)
        app.include_router(pages)
    app.mount("/inbox/static", StaticFiles(directory=HERE / "static"), name="inbox-static")

    @app.exception_handler(NotSignedIn)
    async def to_signin(request: Request, exc: NotSignedIn) -> Response:
        return RedirectResponse("/inbox/signin", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def page_errors(request: Request, exc: StarletteHTTPException) -> Response:
        if not request.url.path.startswith("/inbox"):
            return await http_exception_handler(request, exc)
        return page(
            request, "error.html", exc.status_code, status=exc.status_code, detail=exc.detail
        )
