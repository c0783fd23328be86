"""The monitor's wiring: every part of a monitor process, built from its
settings in one place. The parts take what they use and know nothing of
``Settings`` beyond it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from domain import countyday
from services.households.app import Households
from services.households.cache import CacheSettings
from services.households.names import open_names
from services.households.statusview import open_view
from services.infra.access import open_accounts
from services.infra.leadership import Leadership
from services.infra.policyfile import load_policies
from services.infra.settings import Settings
from services.monitor.riskstatus import RiskStatusProjection
from services.monitor.service import MonitorParts, MonitorService
from services.monitor.uploads import Uploads


def cache_settings(settings: Settings) -> dict[str, CacheSettings]:
    """The caches of the process's roles: ``monitor_cache_mb`` of compact
    copies shared equally between them (a role not taken gets none)."""
    roles = settings.roles()
    spill = settings.monitor_cache_mb * 2**20 // max(len(roles), 1)
    return {
        "ingest": CacheSettings(spill_bytes=spill if "ingest" in roles else 0),
        # In a county of more than twice the objects, a batch's worth as
        # objects (the follower reads 2,000 notifications at a time).
        "project": CacheSettings(
            spill_bytes=spill if "project" in roles else 0, spilling_objects=2_000
        ),
    }


def monitor_parts(settings: Settings, today: Callable[[], date] = countyday.today) -> MonitorParts:
    countyday.use(settings.county_zone)
    caches = cache_settings(settings)
    households = settings.open_store(
        lambda: Households(env=settings.store_env("Monitor"), cache=caches["ingest"])
    )
    view = settings.open_store(lambda: open_view(settings), "the risk status view")
    projection = RiskStatusProjection(
        households, view, load_policies(settings), today, cache=caches["project"]
    )
    accounts = open_accounts(settings)
    return MonitorParts(
        households=households,
        view=view,
        projection=projection,
        accounts=accounts,
        uploads=Uploads(settings, accounts),
        leadership=Leadership(settings, "risk-projection"),
        names=open_names(settings) if "ingest" in settings.roles() else None,
    )


def open_monitor(
    settings: Settings, today: Callable[[], date] = countyday.today, http: bool = False
) -> MonitorService:
    """A monitor process, not started."""
    return MonitorService(settings, monitor_parts(settings, today), http=http)
