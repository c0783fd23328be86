"""The public declaration page for households the registry does not know:
township and village from lists (two steps, no JavaScript), the hardship, a
description and a way to be reached, which is sealed at once and shown only
to the township's staff. Same defences as the card page
(``services/alerts/inbox/declare.py``): rate limits per address, the
county's hourly cap on declarations from every address together, a bounded
body, a form token bound to a same-site cookie, personal numbers refused in
the description."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from domain.leads import DESCRIPTION_MAX
from domain.task_input import TaskInputError
from services.alerts.inbox.declare import (
    FORM_AGE_S,
    FORM_COOKIE,
    HARDSHIP_WORDS,
    PROBLEMS,
    _body,
    _form_ok,
)
from services.alerts.inbox.pages import page
from services.cases.contacts import ContactBook
from services.cases.declarations import Declarations
from services.infra.ratelimit import PUBLIC, Limiter

REFERENCE = re.compile(r"U-[0-9A-F]{10}")
FIELDS = ("township", "village", "hardship", "description", "contact")
CAPPED = "本县这一小时收到的网上申报已达上限，您的申报未提交，请一小时后再试。"
MORE_PROBLEMS = {
    "township": "请选择乡镇。",
    "village": "请选择村（社区）。",
    ("contact", "required"): "请留下联系方式，方便乡镇联系您。",
    ("contact", "too_long"): "联系方式不超过60个字。",
}


@dataclass(frozen=True)
class PublicSources:
    declarations: Declarations
    contacts: ContactBook
    places: Callable[[], dict[str, list[str]]]
    limiter: Limiter
    form_secret: str
    secure_cookies: bool = False


def router(src: PublicSources) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    forms = URLSafeTimedSerializer(src.form_secret, salt="povwatch.public-form")

    def show(request: Request, code: int = 200, **extra: Any) -> HTMLResponse:
        nonce = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(16)
        out = page(
            request, "declare_public.html", code, places=src.places(), hardships=HARDSHIP_WORDS,
            description_max=DESCRIPTION_MAX, form_token=forms.dumps(nonce),
            values=extra.get("values") or dict.fromkeys(FIELDS, ""),
            problems=extra.get("problems", {}),
        )  # fmt: skip
        out.set_cookie(
            FORM_COOKIE, nonce, httponly=True, samesite="strict", secure=src.secure_cookies,
            max_age=FORM_AGE_S, path="/declare",
        )  # fmt: skip
        out.headers["Cache-Control"] = "no-store"
        return out

    def limited(request: Request) -> HTMLResponse:
        PUBLIC.labels("declare_public", "limited").inc()
        out = page(request, "declare_gone.html", 429, heading="请求太频繁", text="请稍后再试。")
        out.headers["Retry-After"] = "60"
        return out

    def capped(request: Request) -> HTMLResponse:
        """The county's hourly cap is reached: nothing of the post is read."""
        PUBLIC.labels("declare_public", "capped").inc()
        out = page(request, "declare_gone.html", 429, heading="网上申报暂时已满", text=CAPPED)
        out.headers["Retry-After"] = str(src.limiter.county_retry_after())
        return out

    @r.get("/declare", response_class=HTMLResponse)
    def form(request: Request, township: str = "") -> Response:
        if not src.limiter.allow(request.client.host if request.client else "?", posting=False):
            return limited(request)
        PUBLIC.labels("declare_public", "shown").inc()
        return show(request, values={**dict.fromkeys(FIELDS, ""), "township": township[:40]})

    @r.post("/declare", response_class=HTMLResponse)
    async def declare(request: Request) -> Response:
        if not src.limiter.allow(request.client.host if request.client else "?", posting=True):
            return limited(request)
        if not src.limiter.allow_county():
            return capped(request)
        body = await _body(request, src.limiter.limits.body_bytes)
        if body is None:
            PUBLIC.labels("declare_public", "too_large").inc()
            return page(request, "declare_gone.html", 413, heading="内容太长", text="请简要说明。")
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        values = {f: form.get(f, "") for f in FIELDS}
        if not _form_ok(forms, form.get("form", ""), request.cookies.get(FORM_COOKIE)):
            PUBLIC.labels("declare_public", "refused").inc()
            return show(request, 403, values=values, problems={"form": "页面已过期，请重新提交。"})
        try:
            reference = await run_in_threadpool(
                src.declarations.declare_unregistered, src.places(), *(values[f] for f in FIELDS),
                src.contacts,
            )  # fmt: skip
        except TaskInputError as e:
            PUBLIC.labels("declare_public", "refused").inc()
            key = (e.field, e.problem)
            words = {**PROBLEMS, **MORE_PROBLEMS}
            problem = words.get(key) or words.get(e.field, e.message)
            return show(request, 422, values=values, problems={e.field: problem})
        PUBLIC.labels("declare_public", "declared").inc()
        query = urlencode({"reference": reference, "township": values["township"]})
        return RedirectResponse(f"/declare/received?{query}", status_code=303)  # no re-post

    @r.get("/declare/received", response_class=HTMLResponse)
    def received(request: Request, reference: str = "", township: str = "") -> Response:
        # Echoes the query only (looks nothing up): a reference is no key.
        if not REFERENCE.fullmatch(reference) or township not in src.places():
            return page(request, "declare_gone.html", 404, heading="页面不存在", text="")
        return page(request, "declare_receipt.html", reference=reference, township=township)

    return r
