"""How the alerts process refuses a body over its limit (services/infra/
bodylimit.py): the inbox with a page in the browser's language (Chinese
unless told), the households' declaration pages in Chinese, the API with its
JSON problem. Each names the limit."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from services.alerts.inbox.pages import page
from services.infra.bodylimit import problem, size_text


def refusal(scope: Scope, limit: int) -> Response:
    path, request = scope["path"], Request(scope)
    if path == "/inbox" or path.startswith("/inbox/"):
        return page(request, "error.html", 413, status=413, detail="", limit=size_text(limit))
    if path.startswith("/d/") or path == "/declare":
        text = f"提交的内容超过 {size_text(limit)} 的上限，请简要说明。"
        return page(request, "declare_gone.html", 413, heading="内容太长", text=text)
    return problem(scope, limit)
