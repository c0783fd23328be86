"""两不愁 as the home verifications found it, per township: the households
whose latest verification (入户核实) found food (不愁吃) or clothing (不愁穿)
not met. Read from the cases view's ``two_worries`` and ``number`` columns
in one grouped query, and set beside the risk view's picture of the
standard, which no department's fact of 两不愁 reaches."""

from __future__ import annotations

from typing import Any

from psycopg.sql import SQL

from domain.twoworries import FINDINGS, VERIFIED_BIT
from schemas.status import StandardPicture, StandardRow
from services.cases.views import CaseView
from services.infra.views import SQLiteDocumentView

# A verified case no later verified case of its household follows: a case
# opened after it whose verification found both met takes the household out.
_LATEST = (
    "SELECT township, {found} FROM {t} c WHERE (c.two_worries >> {v}) & 1 = 1 "
    "AND NOT EXISTS (SELECT 1 FROM {t} d WHERE d.household_id = c.household_id "
    "AND (d.two_worries >> {v}) & 1 = 1 AND d.number > c.number) GROUP BY township"
)


def unmet_by_township(view: CaseView) -> dict[str | None, dict[str, int]]:
    """Per township, the households whose latest verification found each
    of 不愁吃 and 不愁穿 not met (a view made before the columns fills them
    from its cases when it opens: ``Table.refill``)."""
    found = ", ".join(f"SUM((c.two_worries >> {k}) & 1) AS {f}" for k, f in enumerate(FINDINGS))
    if isinstance(view, SQLiteDocumentView):
        with view.datastore.transaction(commit=False) as c:
            c.execute(_LATEST.format(found=found, t=view.table.name, v=VERIFIED_BIT))
            rows: list[Any] = [dict(r) for r in c.fetchall()]
    else:
        statement = SQL(_LATEST).format(found=SQL(found), t=view.ident, v=SQL(str(VERIFIED_BIT)))
        with view.datastore.transaction(commit=False) as curs:
            curs.execute(statement)
            rows = list(curs.fetchall())
    return {r["township"]: {f: int(r[f] or 0) for f in FINDINGS} for r in rows}


def with_visits(picture: StandardPicture, view: CaseView) -> StandardPicture:
    """The county's picture with each township's 两不愁 as the visits found
    it (a township the risk view has no row for gains one)."""
    counted = unmet_by_township(view)
    none = dict.fromkeys(FINDINGS, 0)
    rows = {r.township: r for r in picture.rows}
    for t in (t for t in counted if t is not None and t not in rows):
        failing = dict.fromkeys(picture.guarantees, 0)
        rows[t] = StandardRow(township=t, households=0, failing=failing, houses_past_deadline=0)
    filled = [
        r.model_copy(update={"found_at_visit": counted.get(r.township, none)})
        for r in sorted(rows.values(), key=lambda r: r.township or "")
    ]
    found = {f: sum(r.found_at_visit[f] for r in filled) for f in FINDINGS}
    return picture.model_copy(
        update={
            "rows": filled,
            "totals": picture.totals.model_copy(update={"found_at_visit": found}),
            "found_at_visit": list(FINDINGS),
        }
    )
