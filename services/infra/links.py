"""Signed links for households' declaration pages. A token holds the
household's registry code, its township and village and the card issue, and
nothing else (no personal number); it is signed with the deployment's link
secret, so it cannot be made or changed without it. Whether its issue is
still the village's current one is the cards' to say (``domain/cards.py``).

The secret is the deployment's (``services/infra/keys.py``): a deployment
that loses it has to print its cards again. Earlier secrets still verify
links while a rotation is under way; only the current one signs."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

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
    def __init__(self, secret: str, previous: Sequence[str] = ()) -> None:
        if any(len(s) < 16 for s in (secret, *previous)):
            raise ValueError("the link secret must be at least 16 characters")
        # itsdangerous signs with the last key of the list and verifies with any.
        self._s = URLSafeSerializer([*previous, secret], salt=SALT)
        # Each key's own, for the one spelling it writes (``read``).
        self._each = [URLSafeSerializer(k, salt=SALT) for k in (secret, *previous)]

    def token(self, link: CardLink) -> str:
        return str(self._s.dumps(_payload(link)))

    def read(self, token: str) -> CardLink:
        """The card a token names, if it is exactly the token we made.
        itsdangerous decodes base64 leniently (extra padding, characters
        outside the alphabet are dropped), so many spellings carry one valid
        signature; only the one ``token`` would write is accepted, so a link
        has one spelling and the limits keyed on it cannot be side-stepped
        (during a rotation, one for each key still accepted)."""
        if len(token) > 400:
            raise BadLink("not a card link")
        try:
            data = self._s.loads(token)
        except BadSignature:
            raise BadLink("not a card link") from None
        if not (isinstance(data, list) and len(data) == 4 and isinstance(data[3], int)):
            raise BadLink("not a card link")
        card = CardLink(str(data[0]), str(data[1]), str(data[2]), data[3])
        spellings = (str(each.dumps(_payload(card))).encode() for each in self._each)
        if not any(secrets.compare_digest(made, token.encode()) for made in spellings):
            raise BadLink("not a card link")
        return card


def _payload(link: CardLink) -> list[object]:
    return [link.household_id, link.township, link.village, link.issue]


def new_link_secret() -> str:
    return secrets.token_urlsafe(32)
