"""Rate limits for the pages open to anyone (the households' declaration
pages): per client address, per card (its household and card issue, read
from the verified link, so no spelling of a link is a fresh card) and, for
the page of households outside the registry, one cap on every address's
declarations together. Moving windows kept in this process's memory by the
``limits`` library (a restart forgets them, which lets a few more requests
through, never fewer). Every answer is counted by page and outcome, so a
burst is visible to operators.

The client address is the connection's peer, or the one a trusted proxy
names in X-Forwarded-For (``services/infra/httpserver.py``): nobody else's
header counts."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import parse, storage, strategies
from prometheus_client import Counter

from services.infra.links import CardLink
from services.infra.settings import Settings

PUBLIC = Counter(
    "povwatch_public_requests_total",
    "Requests to the public pages, by page and outcome",
    # outcome: shown, declared, refused, limited, capped, bad_link, too_large
    ["page", "outcome"],
)


@dataclass(frozen=True)
class PublicLimits:
    """Each value is a ``limits`` rate ("20/minute"). Defaults: a household
    opens its page a few times and declares once or twice; an address may
    be a village's shared connection, so it allows several households; the
    county's cap keeps a crowd of addresses from filling the townships'
    lists and groups."""

    address_views: str = "60/minute"
    address_posts: str = "20/hour"
    link_views: str = "30/minute"
    link_posts: str = "5/day"
    county_posts: str = "200/hour"  # every address's posts to /declare together
    body_bytes: int = 8192

    @classmethod
    def of(cls, settings: Settings) -> PublicLimits:
        return cls(county_posts=f"{settings.declare_posts_per_hour}/hour")


class Limiter:
    def __init__(self, limits: PublicLimits | None = None) -> None:
        self.limits = limits or PublicLimits()
        self._window = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    def _hit(self, rate: str, *keys: str) -> bool:
        return bool(self._window.hit(parse(rate), *keys))

    def allow(self, address: str, posting: bool) -> bool:
        """Counts this request against its address; False once over."""
        lim = self.limits
        rate = lim.address_posts if posting else lim.address_views
        return self._hit(rate, "address", "post" if posting else "view", address)

    def allow_card(self, card: CardLink, posting: bool) -> bool:
        """Counts this request against the card it came from; False once over."""
        lim = self.limits
        rate = lim.link_posts if posting else lim.link_views
        return self._hit(
            rate, "card", "post" if posting else "view", card.household_id, str(card.issue)
        )

    def allow_county(self) -> bool:
        """Counts a post to /declare against the county's cap; False once over."""
        return self._hit(self.limits.county_posts, "county", "declare")

    def county_retry_after(self) -> int:
        """Seconds until the county's cap lets one more post through."""
        stats = self._window.get_window_stats(parse(self.limits.county_posts), "county", "declare")
        return max(1, math.ceil(stats.reset_time - time.time()))
