"""Who sent a message on the events topic, as far as povwatch can know it.

Kafka does not tell a consumer which producer wrote a record, and a
message's ``source`` is what it claims, so a dead letter is not filed under
its claim: any producer allowed on the topic could otherwise plant messages
in another department's rejections. A dead letter belongs to the account
that signed it, and otherwise to the topic it came through.

A signature is an HMAC-SHA256 of the account's name and the record's value,
keyed by the SHA-256 of the account's token (what the accounts store keeps):
the upload path signs every message it publishes for the publisher signed in,
and a department's own producer may sign with its token (``signed``). It
holds while the account is active, is a publisher and keeps that token; the
sender is then the account's department, never the source the message
names. Anything else is the topic's: ``topic:<name>``, which no department
code can equal (a code has no colon), shown to operators only."""

from __future__ import annotations

import hashlib
import hmac

from domain.access import Role, Roster

ACCOUNT = "povwatch.account"
SIGNATURE = "povwatch.signature"
SENDER = "povwatch.sender"  # on a dead letter: the sender the monitor established


def _signature(key: str, account: str, value: bytes) -> str:
    return hmac.new(key.encode(), account.encode() + b"\0" + value, hashlib.sha256).hexdigest()


def signed_with(account: str, key: str, value: bytes) -> list[tuple[str, bytes]]:
    """Headers for ``value`` sent by ``account`` whose token hashes to ``key``."""
    return [(ACCOUNT, account.encode()), (SIGNATURE, _signature(key, account, value).encode())]


def signed(account: str, token: str, value: bytes) -> list[tuple[str, bytes]]:
    """Headers a department's producer adds to sign ``value`` with its token."""
    return signed_with(account, hashlib.sha256(token.encode()).hexdigest(), value)


TOPIC = "topic:"


def topic_sender(topic: str) -> str:
    return TOPIC + topic


def sender_of(
    roster: Roster | None, headers: list[tuple[str, bytes]] | None, value: bytes | None, topic: str
) -> str:
    """The department of the account that signed the record, else its topic."""
    given = {k: v for k, v in headers or []}
    name, mac = given.get(ACCOUNT), given.get(SIGNATURE)
    account = roster.accounts.get(name.decode(errors="replace")) if roster and name else None
    if (
        account is not None
        and account.active
        and account.role is Role.PUBLISHER
        and account.source
        and mac is not None
        and hmac.compare_digest(
            _signature(account.token_hash, account.name, value or b"").encode(), mac
        )
    ):
        return account.source
    return topic_sender(topic)
