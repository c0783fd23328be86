"""Request bodies limited before anything parses them.

`BodyLimit` is an ASGI middleware in front of every route of an app: it
picks the route's limit by path (`BodyLimits`), refuses a declared
Content-Length over it with 413 before the first byte of the body is read
(so before sign-in, the form parser or a route's own check runs), and counts
a body that comes without one (chunked) as it arrives, refusing it with 413
as soon as the count passes the limit. Whatever the app answers to a body
cut short, the client gets the refusal. The refusal closes the connection:
the rest of the body is never read.

FastAPI's own ``max_body_size`` counts the same way but answers in plain
English text whatever the route; here the app says how it refuses (a page in
the browser's language for pages, a JSON problem for the API).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KIB, MIB = 1024, 1024 * 1024


@dataclass(frozen=True)
class BodyLimits:
    """The largest body a route takes, in bytes: ``routes`` (a path and its
    sub-paths) for the file routes, ``default`` for every other one."""

    default: int
    routes: tuple[tuple[str, int], ...] = ()

    def of(self, path: str) -> int:
        matches = [(len(p), n) for p, n in self.routes if path == p or path.startswith(p + "/")]
        return max(matches)[1] if matches else self.default


def size_text(limit: int) -> str:
    """A limit as people read it: 64 KB, 50 MB."""
    if limit >= MIB:
        return f"{round(limit / MIB, 1):g} MB"
    return f"{round(limit / KIB, 1):g} KB" if limit >= KIB else f"{limit} B"


def problem(scope: Scope, limit: int) -> Response:
    """The API's refusal: an RFC 9457 problem naming the limit."""
    return JSONResponse(
        {
            "type": "about:blank",
            "title": "Content Too Large",
            "status": 413,
            "detail": f"the request body is larger than this route takes ({size_text(limit)}); "
            "send less or split the file",
            "limit_bytes": limit,
        },
        status_code=413,
        media_type="application/problem+json",
    )


Refusal = Callable[[Scope, int], Response]


class TooLarge(Exception):
    """Raised to whatever reads a body past its limit."""


class BodyLimit:
    def __init__(self, app: ASGIApp, limits: BodyLimits, refuse: Refusal = problem) -> None:
        self.app, self.limits, self.refuse = app, limits, refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.of(scope["path"])
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        seen, over, started = 0, False, False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    raise TooLarge
            return message

        async def answer(message: Message) -> None:
            nonlocal started
            if over:  # the app's answer to a body cut short (400, a page) gives way
                raise TooLarge
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, answer)
        except Exception:
            if not over or started:
                raise
        if over and not started:
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = self.refuse(scope, limit)
        response.headers["connection"] = "close"
        await response(scope, receive, send)
