"""Senders, one per kind of receiver: the WeCom and DingTalk group robots, a
generic JSON webhook, and email over SMTP. Each sends one message or raises
``SendFailed`` with the receiver's answer; retrying is the outbox's work.

The robots' formats are their published ones: WeCom's ``markdown`` message
posted to the robot's URL with its key; DingTalk's ``markdown`` message with
the signature DingTalk's "加签" setting requires (HMAC-SHA256 of
``timestamp + "\\n" + secret``, Base64, URL-encoded). Both answer 200 with an
``errcode``, which must be 0."""

from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol

import httpx

from domain.notify import Receiver, Smtp
from services.notify.messages import Message

WECOM_BYTES_MAX = 4096  # the robot refuses longer markdown content


class SendFailed(RuntimeError):
    pass


class Sender(Protocol):
    def send(self, message: Message) -> None: ...


Secret = Callable[[Any], str]  # a SecretRef -> its value


def _post(client: httpx.Client, url: str, body: dict[str, Any], **kw: Any) -> httpx.Response:
    try:
        r = client.post(url, json=body, **kw)
    except httpx.HTTPError as e:
        raise SendFailed(f"{type(e).__name__}: {e}") from None
    if r.status_code // 100 != 2:
        raise SendFailed(f"HTTP {r.status_code}: {r.text[:200]}")
    return r


def _errcode(r: httpx.Response) -> None:
    try:
        answer = r.json()
    except ValueError:
        raise SendFailed(f"not JSON: {r.text[:200]}") from None
    if answer.get("errcode") != 0:
        raise SendFailed(f"errcode {answer.get('errcode')}: {answer.get('errmsg')}")


def _fit(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "..."


class WeCom:
    def __init__(self, receiver: Receiver, secret: Secret, client: httpx.Client) -> None:
        self.url, self.key, self.client = receiver.endpoint(), secret(receiver.key), client

    def send(self, message: Message) -> None:
        body = {
            "msgtype": "markdown",
            "markdown": {"content": _fit(message.markdown(), WECOM_BYTES_MAX)},
        }
        _errcode(_post(self.client, self.url, body, params={"key": self.key}))


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


class DingTalk:
    def __init__(self, receiver: Receiver, secret: Secret, client: httpx.Client) -> None:
        self.url, self.token, self.client = receiver.endpoint(), secret(receiver.key), client
        self.signing = secret(receiver.secret) if receiver.secret else None

    def send(self, message: Message) -> None:
        params: dict[str, Any] = {"access_token": self.token}
        if self.signing:
            stamp = int(time.time() * 1000)
            params |= {"timestamp": stamp, "sign": dingtalk_sign(self.signing, stamp)}
        body = {
            "msgtype": "markdown",
            "markdown": {"title": message.title, "text": message.markdown()},
        }
        _errcode(_post(self.client, self.url, body, params=params))


class Webhook:
    """A JSON document per message; ``Idempotency-Key`` lets the receiving
    system drop a repeat."""

    def __init__(self, receiver: Receiver, secret: Secret, client: httpx.Client) -> None:
        self.url, self.client = receiver.endpoint(), client
        self.token = secret(receiver.secret) if receiver.secret else None

    def send(self, message: Message) -> None:
        headers = {"Idempotency-Key": message.key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = {
            "key": message.key,
            "title": message.title,
            "items": [{"text": t, "link": u} for t, u in zip(message.lines, message.links)],
            "more": message.more,
            "text": message.text(),
        }
        _post(self.client, self.url, body, headers=headers)


class Email:
    def __init__(self, receiver: Receiver, smtp: Smtp, secret: Secret) -> None:
        self.to, self.smtp = receiver.to, smtp
        self.password = secret(smtp.password) if smtp.password else None

    def send(self, message: Message) -> None:
        mail = EmailMessage()
        mail["Subject"], mail["From"], mail["To"] = (
            message.title,
            self.smtp.sender,
            ", ".join(self.to),
        )
        domain = self.smtp.sender.partition("@")[2]
        mail["Message-ID"] = make_msgid(
            idstring=hashlib.sha1(message.key.encode()).hexdigest()[:16], domain=domain
        )
        mail["X-Povwatch-Key"] = message.key
        mail.set_content(message.text())
        s = self.smtp
        try:
            cls = smtplib.SMTP_SSL if s.security == "ssl" else smtplib.SMTP
            with cls(s.host, s.port, timeout=s.timeout_s) as conn:
                if s.security == "starttls":
                    conn.starttls()
                if s.username and self.password:
                    conn.login(s.username, self.password)
                conn.send_message(mail)
        except (OSError, smtplib.SMTPException) as e:
            raise SendFailed(f"{type(e).__name__}: {e}") from None


def sender_for(
    receiver: Receiver, smtp: Smtp | None, secret: Secret, client: httpx.Client
) -> Sender:
    if receiver.kind == "wecom":
        return WeCom(receiver, secret, client)
    if receiver.kind == "dingtalk":
        return DingTalk(receiver, secret, client)
    if receiver.kind == "webhook":
        return Webhook(receiver, secret, client)
    assert smtp is not None  # the file's model requires it for email receivers
    return Email(receiver, smtp, secret)
