"""The households' declaration page, reached from the QR code on their card:
no sign-in, Chinese, phone-first, no JavaScript. It shows where the
household's latest case stands and takes a declaration (a hardship from the
short list and a description), which starts a lead for the household's
township.

Open to anyone, so built for abuse: per-address and per-card rate limits, a
bounded body, a form token bound to a same-site cookie (a form posted from
another site is refused), personal numbers refused in the description, and
one answer for every link that does not work (forged, mistyped or revoked
links look alike)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadData, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from domain.leads import DESCRIPTION_MAX, DESCRIPTION_MIN
from domain.task_input import TaskInputError
from services.alerts.inbox.pages import page
from services.cases.declarations import Declarations
from services.cases.notice import CATEGORIES
from services.infra.links import BadLink
from services.infra.ratelimit import PUBLIC, Limiter

FORM_COOKIE = "pw_form"
FORM_AGE_S = 2 * 3600
HARDSHIP_WORDS = (
    ("illness", "因病（看病、住院花费大）"),
    ("disaster", "因灾或意外事故"),
    ("disability", "因残（家人残疾）"),
    ("labour_lacking", "缺劳动力（家里没人能干活）"),
    ("job_loss", "失业、务工收入没了"),
    ("business_failure", "经营失败"),
    ("schooling", "因学（上学费用高）"),
    ("other", "其他困难"),
)
PROBLEMS = {
    "hardship": "请选择困难类型。",
    ("description", "required"): f"请简要说明困难（至少{DESCRIPTION_MIN}个字）。",
    ("description", "too_long"): f"说明不超过{DESCRIPTION_MAX}个字。",
    ("description", "personal_number"): "请不要填写身份证号、电话或银行账号。",
}


@dataclass(frozen=True)
class DeclareSources:
    declarations: Declarations
    limiter: Limiter
    form_secret: str
    secure_cookies: bool = False


def _gone(request: Request, page_name: str, code: int, heading: str, text: str) -> HTMLResponse:
    PUBLIC.labels(page_name, "bad_link" if code == 404 else "limited").inc()
    return page(request, "declare_gone.html", code, heading=heading, text=text)


def router(src: DeclareSources) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    forms = URLSafeTimedSerializer(src.form_secret, salt="povwatch.public-form")

    def address(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def limited(request: Request) -> HTMLResponse:
        out = _gone(request, "declare", 429, "请求太频繁", "请稍后再试。")
        out.headers["Retry-After"] = "60"
        return out

    def not_found(request: Request) -> HTMLResponse:
        return _gone(request, "declare", 404, "链接无效或已失效", "本户的明白卡可能已重新发放。")

    def refused(request: Request, token: str, posting: bool) -> Response | None:
        """The answer for a request over its address's or its card's limit,
        or with a link that is not ours; None to go on. The card's limit is
        keyed on the household and card issue the link's signature vouches
        for, so neither another spelling of the link nor another address
        gives a card more."""
        if not src.limiter.allow(address(request), posting):
            return limited(request)
        try:
            card = src.declarations.card(token)
        except BadLink:
            return not_found(request)
        return None if src.limiter.allow_card(card, posting) else limited(request)

    @r.get("/d/{token}", response_class=HTMLResponse)
    def view(request: Request, token: str, done: int = 0) -> Response:
        if (answer := refused(request, token, posting=False)) is not None:
            return answer
        try:
            place = src.declarations.household_of(token)
        except BadLink:
            return not_found(request)
        PUBLIC.labels("declare", "shown").inc()
        return _show(src, forms, request, token, place, done=bool(done))

    @r.post("/d/{token}", response_class=HTMLResponse)
    async def declare(request: Request, token: str) -> Response:
        if (answer := refused(request, token, posting=True)) is not None:
            return answer
        body = await _body(request, src.limiter.limits.body_bytes)
        if body is None:
            PUBLIC.labels("declare", "too_large").inc()
            return page(request, "declare_gone.html", 413, heading="内容太长", text="请简要说明。")
        try:
            place = await run_in_threadpool(src.declarations.household_of, token)
        except BadLink:
            return not_found(request)
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        values = {"hardship": form.get("hardship", ""), "description": form.get("description", "")}
        if not _form_ok(forms, form.get("form", ""), request.cookies.get(FORM_COOKIE)):
            PUBLIC.labels("declare", "refused").inc()
            problems = {"form": "页面已过期，请重新提交。"}
            return _show(src, forms, request, token, place, 403, values=values, problems=problems)
        try:
            await run_in_threadpool(
                src.declarations.declare, token, values["hardship"], values["description"]
            )
        except TaskInputError as e:
            PUBLIC.labels("declare", "refused").inc()
            problem = PROBLEMS.get((e.field, e.problem)) or PROBLEMS.get(e.field, e.message)
            return _show(
                src, forms, request, token, place, 422, values=values, problems={e.field: problem}
            )
        PUBLIC.labels("declare", "declared").inc()
        return RedirectResponse(f"/d/{token}?done=1", status_code=303)

    return r


def _show(
    src: DeclareSources,
    forms: URLSafeTimedSerializer,
    request: Request,
    token: str,
    place: Any,
    code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    """The household's page with a fresh form token bound to its cookie."""
    nonce = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(16)
    out = page(
        request,
        "declare.html",
        code,
        token=token,
        place=place,
        standing=src.declarations.standing(place.household_id),
        categories=CATEGORIES,
        hardships=HARDSHIP_WORDS,
        description_max=DESCRIPTION_MAX,
        form_token=forms.dumps(nonce),
        values=extra.pop("values", {"hardship": "", "description": ""}),
        problems=extra.pop("problems", {}),
        **extra,
    )
    out.set_cookie(
        FORM_COOKIE, nonce, httponly=True, samesite="strict", secure=src.secure_cookies,
        max_age=FORM_AGE_S, path="/d/",
    )  # fmt: skip
    out.headers["Cache-Control"] = "no-store"
    out.headers["Referrer-Policy"] = "no-referrer"  # the link is the household's key
    return out


def _form_ok(forms: URLSafeTimedSerializer, signed: str, nonce: str | None) -> bool:
    if not nonce or not signed:
        return False
    try:
        return bool(secrets.compare_digest(forms.loads(signed, max_age=FORM_AGE_S), nonce))
    except (BadData, TypeError):
        return False


async def _body(request: Request, limit: int) -> bytes | None:
    """The request body, or None once it passes ``limit`` bytes (read no further)."""
    declared = request.headers.get("content-length")
    if declared and (not declared.isdigit() or int(declared) > limit):
        return None
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            return None
    return bytes(data)
