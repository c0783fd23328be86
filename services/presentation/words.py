"""The product's words, one catalogue for every channel (pages, pushes,
ledgers, workbooks, the monthly report): Chinese first (the users are county
staff), English as the source language. Catalogues are gettext .po files,
read with Babel."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE = Path(__file__).parent / "locale"
LANGUAGES = {"zh": "中文", "en": "English"}
DEFAULT = "zh"

# A code word by its kind and code (``Words.term``), as the channels that
# only print codes are given it: pushes, ledgers, the monthly report.
Term = Callable[[str, str | None], str]


@cache
def translations(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    with (LOCALE / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


class Words:
    """What a page, a push or a document says, in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT
        self._t = translations(self.lang)

    def __call__(self, message: str, **values: object) -> str:
        text = self._t.gettext(message)
        return text.format(**values) if values else text

    def term(self, kind: str, value: str | None) -> str:
        """A code word (card colour, level, measure...) by its catalogue key
        ``kind.value``; in English, or when untranslated, the value itself."""
        if value is None:
            return "-"
        key = f"{kind}.{value}"
        text = self._t.gettext(key)
        return value.replace("_", " ") if text == key else text

    def sentence(self, key: str, english: str, fields: dict[str, str]) -> str:
        """A sentence built from a fact's figures: the catalogue's wording of
        ``key`` in Chinese, the domain's own English otherwise. Code words
        among the figures are translated too."""
        template = self._t.gettext(key)
        if template == key:
            return english
        words = {k: self.term("value", v) for k, v in fields.items()}
        try:
            return template.format(**words)
        except (KeyError, IndexError):  # a catalogue entry that names a missing figure
            return english
