"""The county's picture of the standard (plan §3(1)): per township, the
households failing each guarantee, the C or D houses past their fix-by
day (plan §3(2)3) and the unsafe water past its own (plan §3(2)5), from the bits of the risk status view's ``standard`` column in one
grouped query."""

from __future__ import annotations

from domain.standard import BIT_OF, BITS, HOUSE_LATE_BIT, PICTURED, WATER_LATE_BIT
from schemas.status import StandardPicture, StandardRow
from services.households.statusview import RiskStatusView
from services.infra.viewreads import bits_by


def standard_picture(view: RiskStatusView, township: str | None = None) -> StandardPicture:
    """Every township's row (or ``township``'s alone), and the county's."""
    rows = []
    counted = bits_by(view, "standard", BITS, "township")
    for (t,), (households, bits) in sorted(counted.items(), key=lambda kv: kv[0][0] or ""):
        if t is None or (township is not None and t != township):
            continue  # streams the registry does not know have no township
        rows.append(
            StandardRow(
                township=t,
                households=households,
                failing={g: bits[BIT_OF[g]] for g in PICTURED},
                houses_past_deadline=bits[HOUSE_LATE_BIT],
                water_past_deadline=bits[WATER_LATE_BIT],
            )
        )
    totals = StandardRow(
        township=None,
        households=sum(r.households for r in rows),
        failing={g: sum(r.failing[g] for r in rows) for g in PICTURED},
        houses_past_deadline=sum(r.houses_past_deadline for r in rows),
        water_past_deadline=sum(r.water_past_deadline for r in rows),
    )
    return StandardPicture(guarantees=list(PICTURED), rows=rows, totals=totals)
