"""The Chinese font every printed document embeds (the village notice, the
authorisation, the announcement, the household cards, the monthly report and
its charts): the configured file, else the one fontconfig finds, and in a
font collection the face drawn in Simplified Chinese. A document whose font
lacks a glyph it needed is refused, never printed with boxes."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from fontTools.ttLib import TTCollection
from fpdf import FPDF

__all__ = ["EMBEDDABLE", "FontMissing", "checked_bytes", "face", "find_font"]

EMBEDDABLE = (".ttf", ".otf", ".ttc", ".otc")
_HINT = "install fonts-noto-cjk or fonts-wqy-microhei, or set POVWATCH_PDF_FONT"
_ZH_CN = 0x0804  # Windows language id of Chinese (PRC) in a font's name table


class FontMissing(RuntimeError):
    """No font with Chinese glyphs to print a document with."""


@functools.cache
def find_font(configured: Path | None) -> Path:
    """The configured font, else the one fontconfig finds for Chinese."""
    if configured is not None:
        if not configured.is_file():
            raise FontMissing(f"POVWATCH_PDF_FONT={configured}: no such font file")
        if configured.suffix.lower() not in EMBEDDABLE:
            raise FontMissing(f"POVWATCH_PDF_FONT={configured}: not a {'/'.join(EMBEDDABLE)} font")
        return configured
    # fontconfig always answers fc-match, with a Latin font when it has no
    # Chinese one: take its answer only when it covers Simplified Chinese.
    # TrueType outlines first: pypdf reads fpdf2's CFF (Noto CJK) text with NULs.
    best = _fontconfig(
        "fc-match", "-f", "%{file}\t%{lang}", ":lang=zh-cn:fontformat=TrueType"
    ).split("\t")
    if len(best) == 2 and "zh-cn" in best[1].split("|") and _embeddable(best[0]):
        return Path(best[0])
    listed = _fontconfig("fc-list", "-f", "%{fontformat}\t%{file}\n", ":lang=zh").splitlines()
    found = sorted(
        (kind != "TrueType", "bold" in file.lower(), file)
        for kind, _, file in (line.partition("\t") for line in listed)
        if _embeddable(file)
    )
    if not found:
        raise FontMissing(f"no font with Chinese glyphs for the village notice: {_HINT}")
    return Path(found[0][2])


def _embeddable(file: str) -> bool:
    return file.lower().endswith(EMBEDDABLE) and Path(file).is_file()


def _fontconfig(*command: str) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        raise FontMissing(f"cannot ask fontconfig for a Chinese font ({e}): {_HINT}") from e


@functools.cache
def face(font: Path) -> int:
    """In a font collection, the first face named in Simplified Chinese
    (Noto CJK's first face is Japanese: some characters' forms differ)."""
    if font.suffix.lower() not in (".ttc", ".otc"):
        return 0
    for i, named in enumerate(TTCollection(font, lazy=True).fonts):
        if any(r.platformID == 3 and r.langID == _ZH_CN for r in named["name"].names):
            return i
    return 0


def checked_bytes(pdf: FPDF, family: str, font: Path) -> bytes:
    """The document's bytes; refused when ``font`` (added as ``family``)
    lacks a glyph the document needed."""
    out = bytes(pdf.output())
    missing = pdf.fonts[family].missing_glyphs
    if missing:
        shown = "".join(sorted({chr(c) for c in missing}))[:20]
        raise FontMissing(f"{font} has no glyph for {shown!r}: {_HINT}")
    return out
