"""The monthly report's section on households that fell back into poverty
(返贫) or newly fell into poverty (致贫) in the month: a household whose card
turned red in the month, from yellow or green (返贫), or from blue or from
no registration (致贫). Counted per township from the risk status view's
``card_change`` column (the last change of each household's card, as its
month and kind: domain.report.change_code) in one grouped query."""

from __future__ import annotations

from typing import Any

from domain.report import NEWLY_POOR, RETURNED, change_codes
from schemas.report import ReportSection, ReportTable
from services.infra.viewreads import counts_of
from services.reports.sections import Provided, Provider, ReportContext, _rows, _towns


def poverty_changes(risk: Any) -> Provider:
    def provide(ctx: ReportContext) -> Provided:
        codes = change_codes(ctx.month)
        counts = counts_of(risk, "card_change", list(codes), "township")
        tally: dict[tuple[str | None, str], int] = {}
        for (town, code), n in counts.items():
            key = (town, codes[int(code)])
            tally[key] = tally.get(key, 0) + n
        towns = _towns([t for t, _ in tally])
        table = ReportTable(
            key="poverty_changes", title="本月返贫、致贫户数",
            columns=["乡镇", "返贫（户）", "致贫（户）"],
            rows=_rows(ctx, towns, lambda t: [tally.get((t, RETURNED), 0),
                                             tally.get((t, NEWLY_POOR), 0)]),
        )  # fmt: skip
        figures = {
            "returned": sum(n for (_, k), n in tally.items() if k == RETURNED),
            "newly_poor": sum(n for (_, k), n in tally.items() if k == NEWLY_POOR),
            "by_township": [
                {"township": t, "returned": tally.get((t, RETURNED), 0),
                 "newly_poor": tally.get((t, NEWLY_POOR), 0)}
                for t in towns
            ],
        }  # fmt: skip
        return ReportSection(
            key="poverty_changes", title="返贫与致贫", tables=[table], figures=figures,
            basis="本月卡别变为红卡的农户：原为黄卡或绿卡（已脱贫）的计为返贫；原为蓝卡"
            "或未建档（非建档立卡户）的计为致贫。按风险状态视图所记每户最近一次卡别变化计，"
            f"截至{ctx.as_of}；其后卡别再有变化的，以最近一次为准。",
        ), []  # fmt: skip

    return provide
