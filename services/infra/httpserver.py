"""The HTTP server both services run (uvicorn), configured in one place.

uvicorn believes X-Forwarded-For from 127.0.0.1 (or FORWARDED_ALLOW_IPS)
unless told otherwise, so a client on the same machine, or any client behind
a local proxy that passes the header on, could name itself any address and
get a fresh allowance of every per-address limit. Here only the proxies
POVWATCH_TRUSTED_PROXIES names are believed, none by default; a request's
address is then the last one in the header that is not one of them."""

from __future__ import annotations

from typing import Any

import uvicorn

from services.infra.settings import Settings


def server(app: Any, settings: Settings, port: int, host: str = "0.0.0.0") -> uvicorn.Server:
    proxies = settings.proxies()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies,  # given, so the environment's is never read
    )
    return uvicorn.Server(config)
