"""The monthly report's section on the standard (plan §3(1): 一超过、两不愁、
三保障 and safe water): per township, the registered and marginal households
failing each guarantee, the C or D houses and the unsafe water past their
fix-by days, from the
risk status view's per-guarantee columns as they stand when the figures are
computed; 两不愁 (不愁吃, 不愁穿) as the households' latest home verifications
found it, from the cases view (no department's fact reaches it)."""

from __future__ import annotations

from typing import Any

from schemas.report import Cell, ReportSection, ReportTable
from services.cases.twoworries import with_visits
from services.households.standard import standard_picture
from services.reports.sections import Provided, Provider, ReportContext


def standard(risk: Any, case_list: Any) -> Provider:
    def provide(ctx: ReportContext) -> Provided:
        picture = with_visits(standard_picture(risk), case_list)
        rows: list[list[Cell]] = [
            [
                ctx.place(r.township) if r.township else ctx.word("Whole county"),
                r.households,
                *(r.failing[g] for g in picture.guarantees),
                r.houses_past_deadline,
                r.water_past_deadline,
                *(r.found_at_visit[f] for f in picture.found_at_visit),
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
                *(ctx.term("unmet", f) + "（入户核实）" for f in picture.found_at_visit),
            ],
            rows=rows,
        )
        figures = {
            "households": picture.totals.households,
            **{f"failing_{g}": n for g, n in picture.totals.failing.items()},
            "houses_past_deadline": picture.totals.houses_past_deadline,
            "water_past_deadline": picture.totals.water_past_deadline,
            **{f"visit_{f}_unmet": n for f, n in picture.totals.found_at_visit.items()},
        }
        return ReportSection(
            key="standard",
            title="两不愁三保障及饮水安全",
            tables=[table],
            figures=figures,
            basis="方案§3(1)的脱贫标准（一超过、两不愁、三保障及饮水安全）；§3(2)1-6 各项保障的"
            "牵头部门推送的数据；C、D级危房于6月底前改造到位（§3(2)3），饮水安全问题于6月底前解决"
            "（§3(2)5）。截至"
            f"{ctx.as_of}的风险状态视图；两不愁（不愁吃、不愁穿）无部门数据，为各户最近一次入户核实"
            "未达到的户数。",
        ), []

    return provide
