"""The county office's what-if page: a proposed policy file (and rules file)
uploaded as a form, checked by the services' loaders (a refusal shown with
its line and field), run in the background while the page refreshes itself
(no JavaScript), then the townships' table and the workbook of the
households that change. The county office's alone (``Permission.ASSESS_POLICY``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from domain import countyday
from domain.access import Permission, Principal
from domain.policy import PolicyError
from domain.whatif import Regime
from services.alerts.inbox.pages import page, signed_in_page
from services.infra.access import Accounts
from services.infra.excel import XLSX
from services.whatif.files import FileRefused, Problem, read_policy, read_rules
from services.whatif.jobs import Busy, Job, Runs

FILE_LIMIT = 64 * 1024  # a policy or rules file is a page or two of text
# Both files and the form's fields: the route's body limit (services/alerts/web.py).
BODY_LIMIT = 3 * FILE_LIMIT
REFRESH_SECONDS = 2


@dataclass(frozen=True)
class WhatIfSources:
    accounts: Accounts
    clock: Callable[[], datetime]
    runs: Runs


@dataclass(frozen=True)
class Refusal:
    """What the form says is wrong: a problem code the template words in
    Chinese, which file, and the loader's problems (line, field, its words)."""

    problem: str
    kind: str | None = None
    problems: tuple[Problem, ...] = ()
    limit_kb: int = FILE_LIMIT // 1024


class _Pages:
    def __init__(self, src: WhatIfSources) -> None:
        self.src = src

    def user(self, request: Request) -> Principal:
        who = signed_in_page(self.src.accounts, request)
        if not who.may(Permission.ASSESS_POLICY):
            raise HTTPException(403, "the county office's page")
        return who

    def form(
        self, request: Request, who: Principal, refusal: Refusal | None = None, status: int = 200
    ) -> Response:
        return page(
            request,
            "whatif.html",
            status,
            who=who,
            today=countyday.day(self.src.clock()),
            refusal=refusal,
            runs=self.src.runs.recent(),
            limit_kb=FILE_LIMIT // 1024,
        )

    def job(self, job_id: str) -> Job:
        job = self.src.runs.get(job_id)
        if job is None:
            raise HTTPException(404, "no such what-if")
        return job


async def _text(upload: UploadFile | None, kind: str) -> str | Refusal | None:
    """The uploaded file's text, a refusal, or None when none was chosen."""
    if upload is None or not upload.filename:
        return None
    data = await upload.read(FILE_LIMIT + 1)
    if len(data) > FILE_LIMIT:
        return Refusal("too_large", kind)
    if not data.strip():
        return Refusal("empty", kind)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal("encoding", kind)


def _proposal(policy: str, rules: str | None, names: tuple[str, str], current: Regime) -> Regime:
    return Regime(
        read_policy(policy, names[0]),
        read_rules(rules, names[1]) if rules is not None else current.rules,
    )


def router(src: WhatIfSources) -> APIRouter:
    pages = APIRouter(prefix="/inbox/whatif", include_in_schema=False)
    h = _Pages(src)

    @pages.get("")
    def form(request: Request) -> Response:
        return h.form(request, h.user(request))

    @pages.post("")
    async def submit(
        request: Request,
        policy: UploadFile | None = File(None),
        rules: UploadFile | None = File(None),
        on: str = Form(""),
    ) -> Response:
        who = h.user(request)
        try:
            day = date.fromisoformat(on.strip())
        except ValueError:
            return h.form(request, who, Refusal("date"), 422)
        policy_text, rules_text = await _text(policy, "policy"), await _text(rules, "rules")
        for got in (policy_text, rules_text):
            if isinstance(got, Refusal):
                return h.form(request, who, got, 413 if got.problem == "too_large" else 422)
        if not isinstance(policy_text, str):
            return h.form(request, who, Refusal("no_policy", "policy"), 422)
        assert rules_text is None or isinstance(rules_text, str)
        names = (
            policy.filename if policy and policy.filename else "policy",
            rules.filename if rules and rules.filename else "rules",
        )
        try:
            proposed = _proposal(policy_text, rules_text, names, src.runs.current())
            proposed.policies.in_force(day)
        except FileRefused as e:
            return h.form(request, who, Refusal("refused", e.kind, tuple(e.problems)), 422)
        except PolicyError:
            return h.form(request, who, Refusal("not_in_force", "policy"), 422)
        try:
            job = src.runs.start(
                who.name, proposed, day, names[0], names[1] if rules_text else None
            )
        except Busy:
            return h.form(request, who, Refusal("busy"), 409)
        return RedirectResponse(f"/inbox/whatif/{job.id}", status_code=303)

    @pages.get("/{job_id}")
    def result(request: Request, job_id: str) -> Response:
        who = h.user(request)
        job = h.job(job_id)
        context: dict[str, Any] = {"who": who, "job": job, "refresh": REFRESH_SECONDS}
        if job.outcome is not None:
            context.update(rows=job.outcome.summary.rows(), total=job.outcome.summary.total())
        return page(request, "whatif_run.html", today=countyday.day(src.clock()), **context)

    @pages.get("/{job_id}/changes.xlsx")
    def workbook(request: Request, job_id: str) -> Response:
        h.user(request)
        job = h.job(job_id)
        if job.workbook is None:
            raise HTTPException(404, "the what-if has not finished")
        name = f"whatif-{job.on.isoformat()}.xlsx"
        return Response(
            job.workbook,
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    return pages
