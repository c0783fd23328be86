"""The API's own description (``/openapi.json``) and its Swagger page
(``/docs``), for signed-in operators and the county office only: the
description names every operation and field, which is no one else's
business. Both apps are built with FastAPI's open ones switched off
(``CLOSED``) and serve these instead."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from domain.access import Principal

# FastAPI's keywords that would serve /docs, /redoc and /openapi.json to anyone.
CLOSED: dict[str, Any] = {"docs_url": None, "redoc_url": None, "openapi_url": None}


def mount(app: FastAPI, reader: Callable[..., Principal]) -> None:
    """``reader``: the accounts that may read the description. In a browser
    the inbox's sign-in cookie names the account, and the Swagger page's own
    request for the description carries it (same origin)."""

    @app.get("/openapi.json", include_in_schema=False)
    def description(_: Principal = Depends(reader)) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    def swagger(_: Principal = Depends(reader)) -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} API")
