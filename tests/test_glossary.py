"""Staff's words: the glossary's list of words not to use (docs/glossary.md)
is never shown. Every Chinese word a page, a PDF, a push or a ledger shows
comes from the catalogue, a template, the defaults' files or a Chinese
literal in the product's code, so all of those are read; the printed village
notice is rendered and read back too."""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from pypdf import PdfReader

from tests.test_notice import _notice, font  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.md"
CATALOGUE = ROOT / "services/presentation/locale/zh/LC_MESSAGES/messages.po"
CJK = re.compile(r"[\u4e00-\u9fff]")


def wrong_words() -> dict[str, str]:
    """The first column of the glossary's table of words not to use -> its replacement."""
    text = GLOSSARY.read_text(encoding="utf-8")
    table = text.split("## Words not to use", 1)[1]
    rows = [line.split("|")[1:3] for line in table.splitlines() if line.startswith("| ")]
    return {w.strip(): use.strip() for w, use in rows[1:] if w.strip() != "wrong"}


WRONG = wrong_words()


def offending(text: str) -> list[str]:
    return [w for w in WRONG if w in text]


def test_the_glossary_lists_the_words_the_national_documents_replace():
    assert {"案件", "立案", "销号", "扶贫办", "令牌", "扶贫小额信贷", "扶贫车间"} <= set(WRONG)
    assert WRONG["销号"] == "核实无风险，不予帮扶" and WRONG["令牌"] == "登录码"


def test_the_catalogue_shows_no_wrong_word():
    with CATALOGUE.open("rb") as f:
        catalogue = read_po(f, locale="zh")
    found = {m.id: offending(str(m.string)) for m in catalogue if m.id and m.string}
    assert {k: v for k, v in found.items() if v} == {}


def _product_files(*patterns: str) -> list[Path]:
    found: list[Path] = []
    for top in ("services", "domain", "schemas", "synthetic"):
        for pattern in patterns:
            found.extend(sorted((ROOT / top).rglob(pattern)))
    return found


def test_no_template_nor_default_file_shows_a_wrong_word():
    files = _product_files("*.html", "*.yaml", "*.toml")
    assert len(files) > 20
    found = {str(p.relative_to(ROOT)): offending(p.read_text(encoding="utf-8")) for p in files}
    assert {k: v for k, v in found.items() if v} == {}


def _chinese_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and CJK.search(node.value)
    ]


def test_no_chinese_text_in_the_code_shows_a_wrong_word():
    found = {}
    for path in _product_files("*.py"):
        words = [w for text in _chinese_literals(path) for w in offending(text)]
        if words:
            found[str(path.relative_to(ROOT))] = words
    assert found == {}


@pytest.mark.parametrize("kind", ["identification", "clearance"])
def test_the_printed_notice_uses_the_glossarys_words(font, kind):  # noqa: F811
    from services.cases.notice import notice_pdf

    pdf = notice_pdf(_notice(kind=kind), font)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    text = re.sub(r"[\s\x00]+", "", text)
    assert CJK.search(text) and offending(text) == []


def test_the_check_finds_a_planted_word():
    assert offending("办理中案件台账") == ["案件"]
    assert offending("扶贫小额信贷逾期率") == ["扶贫小额信贷"]
