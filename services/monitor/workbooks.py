"""A department's XLSX checked before openpyxl opens it.

An XLSX is a zip archive whose parts say in its directory how large they
unpack. A workbook is refused, before anything is inflated, when its parts
together declare more than a limit, when one part declares it inflates more
than a ratio of its packed size (a zip bomb: a sheet of one repeated run packs
a thousandfold) or when it has more parts than any workbook needs. The
declared sizes bound what is read: zipfile never inflates a part past its
declared size (it stops there, and the part's checksum then fails).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from services.infra.bodylimit import MIB, size_text
from services.infra.settings import Settings

# Below this a part is not held to the ratio: a small part of repeated markup
# packs far, and cannot cost much however far.
RATIO_FLOOR = MIB


@dataclass(frozen=True)
class WorkbookLimits:
    total_bytes: int = 256 * MIB
    ratio: int = 100  # Apache POI's default (its minimum inflate ratio, 0.01)
    entries: int = 1000

    @classmethod
    def of(cls, settings: Settings) -> WorkbookLimits:
        return cls(settings.workbook_max_mb * MIB, settings.workbook_max_ratio)


class WorkbookRefused(ValueError):
    """The workbook as a whole is refused, with the reason."""


def check_workbook(path: Path, limits: WorkbookLimits) -> None:
    """Raises WorkbookRefused unless ``path`` is a zip archive within the limits."""
    name = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile:
        raise WorkbookRefused(f"{name}: not an XLSX workbook (not a zip archive)") from None
    if len(parts) > limits.entries:
        raise WorkbookRefused(
            f"{name}: {len(parts)} parts in the archive, more than {limits.entries}; "
            "save it again from the spreadsheet program"
        )
    total = sum(p.file_size for p in parts)
    if total > limits.total_bytes:
        raise WorkbookRefused(
            f"{name}: unpacks to {size_text(total)}, more than {size_text(limits.total_bytes)}; "
            "split it into smaller files"
        )
    for p in parts:
        if p.file_size > RATIO_FLOOR and p.file_size > limits.ratio * max(p.compress_size, 1):
            ratio = p.file_size // max(p.compress_size, 1)
            raise WorkbookRefused(
                f"{name}: its part {p.filename} unpacks {ratio} times its packed size "
                f"({size_text(p.file_size)}), more than {limits.ratio} times; "
                "a workbook of data does not pack that far"
            )
