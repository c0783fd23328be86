"""The monthly report (月报) as it is stored (one document per month), served
as JSON and rendered as a page and a PDF. Counts and codes only: no
household is named, no personal detail is held."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

Cell = str | int | float | None


class ReportTable(BaseModel):
    """A table as the page and the PDF print it (headings in Chinese)."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]


class ReportSection(BaseModel):
    """One provider's part of the report: its figures (codes, for programs
    and charts), the tables people read, and how it was counted."""

    key: str
    title: str
    basis: str  # how it is counted and as of when, in Chinese
    tables: list[ReportTable] = Field(default_factory=list)
    figures: dict[str, Any] = Field(default_factory=dict)
    charts: list[str] = Field(default_factory=list)  # names of the report's charts


class ReportChart(BaseModel):
    name: str
    title: str
    svg: str  # shown on pages
    png: str  # base64, embedded in the PDF


class MonthlyReportOut(BaseModel):
    month: str  # YYYY-MM
    as_of: date  # the month's last day, or the day it was computed while the month runs
    computed_at: datetime
    compute_seconds: float
    final: bool  # computed after the month ended
    sections: list[ReportSection]
    charts: list[ReportChart] = Field(default_factory=list)

    def chart(self, name: str) -> ReportChart | None:
        return next((c for c in self.charts if c.name == name), None)


class ReportSummary(BaseModel):
    """The report without its charts' images (the API's JSON)."""

    month: str
    as_of: date
    computed_at: datetime
    compute_seconds: float
    final: bool
    sections: list[ReportSection]
    charts: dict[str, str]  # name: the SVG's address
