"""The streaming spreadsheet writer every download uses, read back with openpyxl."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from domain.privacy import PersonalNumber
from services.infra.excel import Column, Sheet, write_workbook


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
