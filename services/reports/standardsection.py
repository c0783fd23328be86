"""The monthly report's section on the standard (plan §3(1): 一超过、两不愁、
三保障 and safe water): per township, the registered and marginal households
failing each guarantee, the C or D houses and the unsafe water past their
fix-by days, from the
risk status view's per-guarantee columns as they stand when the figures are
computed."""

from __future__ import annotations

from typing import Any

from schemas.report import Cell, ReportSection, ReportTable
from services.households.standard import standard_picture
from services.reports.sections import Provided, Provider, ReportContext


def standard(risk: Any) -> Provider:
    def provide(ctx: ReportContext) -> Provided:
        picture = standard_picture(risk)
        rows: list[list[Cell]] = [
            [
                ctx.place(r.township) if r.township else ctx.word("Whole county"),
                r.households,
                *(r.failing[g] for g in picture.guarantees),
                r.houses_past_deadline,
                r.water_past_deadline,
            ]
            for r in [*picture.rows, picture.totals]
        ]
        table = ReportTable(
            key="standard",
            title="两不愁三保障及饮水安全：各项未达标户数",
            columns=[
                "乡镇",
                "户数",
                *(ctx.term("guarantee", g) for g in picture.guarantees),
                "逾期未改造危房",
                "逾期未解决饮水安全",
            ],
            rows=rows,
        )
        figures = {
            "households": picture.totals.households,
            **{f"failing_{g}": n for g, n in picture.totals.failing.items()},
            "houses_past_deadline": picture.totals.houses_past_deadline,
            "water_past_deadline": picture.totals.water_past_deadline,
        }
        return ReportSection(
            key="standard",
            title="两不愁三保障及饮水安全",
            tables=[table],
            figures=figures,
            basis="方案§3(1)的脱贫标准（一超过、两不愁、三保障及饮水安全）；§3(2)1-6 各项保障的"
            "牵头部门推送的数据；C、D级危房于6月底前改造到位（§3(2)3），饮水安全问题于6月底前解决"
            "（§3(2)5）。截至"
            f"{ctx.as_of}的风险状态视图。",
        ), []

    return provide
