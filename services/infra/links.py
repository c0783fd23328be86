"""Signed links for households' declaration pages. A token holds the
household's registry code, its township and village and the card issue, and
nothing else (no personal number); it is signed with the deployment's link
secret, so it cannot be made or changed without it. Whether its issue is
still the village's current one is the cards' to say (``domain/cards.py``).

The secret comes from POVWATCH_LINK_SECRET, or a file in the state
directory made once at first use (like a host key): a deployment that loses
it has to print its cards again."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "povwatch.household-card"


class BadLink(ValueError):
    """A token that is not one of ours, or not whole. Deliberately says no more."""


@dataclass(frozen=True)
class CardLink:
    household_id: str
    township: str
    village: str
    issue: int


class LinkSigner:
    def __init__(self, secret: str) -> None:
        if len(secret) < 16:
            raise ValueError("the link secret must be at least 16 characters")
        self._s = URLSafeSerializer(secret, salt=SALT)

    def token(self, link: CardLink) -> str:
        return str(self._s.dumps([link.household_id, link.township, link.village, link.issue]))

    def read(self, token: str) -> CardLink:
        """The card a token names, if it is exactly the token we made.
        itsdangerous decodes base64 leniently (extra padding, characters
        outside the alphabet are dropped), so many spellings carry one valid
        signature; only the one ``token`` would write is accepted, so a link
        has one spelling and the limits keyed on it cannot be side-stepped."""
        if len(token) > 400:
            raise BadLink("not a card link")
        try:
            data = self._s.loads(token)
        except BadSignature:
            raise BadLink("not a card link") from None
        if not (isinstance(data, list) and len(data) == 4 and isinstance(data[3], int)):
            raise BadLink("not a card link")
        card = CardLink(str(data[0]), str(data[1]), str(data[2]), data[3])
        if not secrets.compare_digest(self.token(card).encode(), token.encode()):
            raise BadLink("not a card link")
        return card


def link_secret(configured: str | None, state_dir: Path) -> str:
    return local_secret(configured, state_dir / "link-secret", lambda: secrets.token_urlsafe(32))


def local_secret(configured: str | None, path: Path, make: Callable[[], str]) -> str:
    """The configured secret, else the one kept at ``path`` (made at first
    use, readable by this user only)."""
    if configured:
        return configured
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "w") as f:
                f.write(make())
    return path.read_text().strip()
