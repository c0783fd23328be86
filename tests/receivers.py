"""Real local servers standing in for the receivers' own: an HTTP server that
answers as the WeCom and DingTalk robots do (checking each request's format
and DingTalk's signature) and as a generic webhook, and an SMTP server
(aiosmtpd) that keeps the mails it receives."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiosmtpd.controller import Controller

WECOM_KEY = "wecom-test-key"
DINGTALK_TOKEN = "dingtalk-test-token"
DINGTALK_SECRET = "SECtest-signing-secret"
WEBHOOK_TOKEN = "webhook-test-token"


class Robots:
    """``received[kind]`` holds every accepted request's JSON body;
    ``refused`` the reasons of those refused. ``failing`` makes every
    request answer 503 (a receiver that is up but unwell)."""

    def __init__(self) -> None:
        self.received: dict[str, list[dict[str, Any]]] = {
            "wecom": [],
            "dingtalk": [],
            "webhook": [],
        }
        self.refused: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.failing = False
        self.delay = 0.0  # seconds each answer takes (a slow receiver)
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    def url(self, kind: str) -> str:
        return f"http://127.0.0.1:{self.port}/{kind}"

    def start(self) -> Robots:
        robots = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (the library's name)
                robots._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: the port refuses connections until ``start`` again."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _answer(self, h: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        url = urlparse(h.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        body = json.loads(h.rfile.read(int(h.headers.get("Content-Length", 0))) or b"null")
        kind = url.path.strip("/")
        time.sleep(self.delay)
        if self.failing:
            return self._answer(h, 503, {"error": "unavailable"})
        problem = {"wecom": _wecom, "dingtalk": _dingtalk, "webhook": _webhook}[kind](
            query, body, h.headers
        )
        with self.lock:
            if problem:
                self.refused.append(f"{kind}: {problem}")
                return self._answer(
                    h, 200 if kind != "webhook" else 400, {"errcode": 300001, "errmsg": problem}
                )
            self.received[kind].append(body)
            self.headers.append(dict(h.headers))
        self._answer(h, 200, {"errcode": 0, "errmsg": "ok"})


def _wecom(query: dict[str, str], body: Any, headers: Any) -> str:
    if query.get("key") != WECOM_KEY:
        return "invalid webhook url (key)"
    if not isinstance(body, dict) or body.get("msgtype") != "markdown":
        return "msgtype must be markdown"
    content = body.get("markdown", {}).get("content")
    if not isinstance(content, str) or not content or len(content.encode()) > 4096:
        return "markdown.content missing or over 4096 bytes"
    return ""


def _dingtalk(query: dict[str, str], body: Any, headers: Any) -> str:
    if query.get("access_token") != DINGTALK_TOKEN:
        return "token is not exist"
    try:
        stamp = int(query["timestamp"])
    except (KeyError, ValueError):
        return "timestamp missing"
    if abs(time.time() * 1000 - stamp) > 3600 * 1000:
        return "timestamp out of the hour DingTalk accepts"
    digest = hmac.new(
        DINGTALK_SECRET.encode(), f"{stamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256
    )
    if query.get("sign") != base64.b64encode(digest.digest()).decode():
        return "sign not match"
    md = body.get("markdown", {}) if isinstance(body, dict) else {}
    if body.get("msgtype") != "markdown" or not md.get("title") or not md.get("text"):
        return "markdown needs title and text"
    return ""


def _webhook(query: dict[str, str], body: Any, headers: Any) -> str:
    if headers.get("Authorization") != f"Bearer {WEBHOOK_TOKEN}":
        return "bearer token"
    if not headers.get("Idempotency-Key") or headers.get("Idempotency-Key") != body.get("key"):
        return "Idempotency-Key header must carry the message's key"
    return ""


class MailServer:
    """A real SMTP server on 127.0.0.1; ``mails`` holds the parsed messages."""

    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []
        self._controller: Controller | None = None
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        mail = message_from_bytes(envelope.content, policy=policy.default)
        self.mails.append(mail)  # type: ignore[arg-type]
        return "250 OK"

    def start(self) -> MailServer:
        if not self.port:  # the controller checks it is up by connecting to its port
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None
