"""Rate limits for the pages open to anyone (the households' declaration
pages): per client address and per card link, moving windows kept in this
process's memory by the ``limits`` library (a restart forgets them, which
lets a few more requests through, never fewer). Every answer is counted by
page and outcome, so a burst is visible to operators."""

from __future__ import annotations

from dataclasses import dataclass

from limits import parse, storage, strategies
from prometheus_client import Counter

PUBLIC = Counter(
    "povwatch_public_requests_total",
    "Requests to the public pages, by page and outcome",
    ["page", "outcome"],  # outcome: shown, declared, refused, limited, bad_link, too_large
)


@dataclass(frozen=True)
class PublicLimits:
    """Each value is a ``limits`` rate ("20/minute"). Defaults: a household
    opens its page a few times and declares once or twice; an address may
    be a village's shared connection, so it allows several households."""

    address_views: str = "60/minute"
    address_posts: str = "20/hour"
    link_views: str = "30/minute"
    link_posts: str = "5/day"
    body_bytes: int = 8192


class Limiter:
    def __init__(self, limits: PublicLimits | None = None) -> None:
        self.limits = limits or PublicLimits()
        self._window = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    def allow(self, address: str, link: str | None, posting: bool) -> bool:
        """Counts this request against its address and link; False once over."""
        lim = self.limits
        checks = [(lim.address_posts if posting else lim.address_views, "address", address)]
        if link:
            checks.append((lim.link_posts if posting else lim.link_views, "link", link[-64:]))
        verb = "post" if posting else "view"
        # Every window is counted, so a client over one limit is not
        # let through by another.
        return all([self._window.hit(parse(rate), verb, kind, key) for rate, kind, key in checks])
