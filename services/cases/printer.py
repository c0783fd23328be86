"""The procedure's printed documents, with the font found once they are
first asked for: the village notice, the household's authorisation form and
the results announcement (A4 PDFs, Chinese, the font embedded)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from schemas.cases import CaseOut, NoticeOut
from services.cases.announcement import Announced, announcement_pdf
from services.cases.authorisation import authorisation_pdf
from services.cases.notice import notice_pdf
from services.presentation.fonts import find_font


@dataclass(frozen=True)
class Printer:
    font: Path | None  # POVWATCH_PDF_FONT, else the one fontconfig finds
    # What only printing adds to a notice (the registry's head's name and size).
    prepare: Callable[[NoticeOut], NoticeOut] = lambda notice: notice  # noqa: E731
    # And to an announcement's rows (each head's name and household size).
    heads: Callable[[list[Announced]], list[Announced]] = lambda rows: rows  # noqa: E731

    def notice(self, notice: NoticeOut) -> bytes:
        return notice_pdf(self.prepare(notice), find_font(self.font))

    def authorisation(self, case: CaseOut) -> bytes:
        return authorisation_pdf(case, find_font(self.font))

    def announcement(
        self, township: str, village: str, kind: str, rows: list[Announced], on: date
    ) -> bytes:
        return announcement_pdf(township, village, kind, self.heads(rows), on, find_font(self.font))
