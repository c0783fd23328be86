"""Household cards: the printed PDF read back (its text, and its QR code
decoded from the page's image), the signed link, and revocation by issuing
the village's cards again."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from domain.cards import CardIssue
from services.cases.cards import CardFace, cards_pdf
from services.infra.keys import deployment_key
from services.infra.links import BadLink, CardLink, LinkSigner, new_link_secret
from services.presentation.fonts import find_font

SIGNER = LinkSigner("a-secret-for-the-tests-only")
BASE = "https://povwatch.example.cn/d/"


def faces(n: int = 3, issue: int = 1) -> list[CardFace]:
    out = []
    for i in range(n):
        link = CardLink(f"430624-{i:04d}", "城西镇", "东风村", issue)
        out.append(CardFace(link.household_id, "城西镇", "东风村", BASE + SIGNER.token(link)))
    return out


def decoded(page) -> list[str]:
    found = []
    for image in page.images:
        pil = Image.open(BytesIO(image.data)).convert("L")
        found += [b.text for b in zxingcpp.read_barcodes(pil)]
    return found


@pytest.mark.parametrize("size", ["A5", "A4"])
def test_a_village_s_cards_print_one_household_a_page_with_its_qr_code(size):
    cards = faces()
    reader = PdfReader(BytesIO(cards_pdf(cards, find_font(None), size)))
    assert len(reader.pages) == 3
    for page, card in zip(reader.pages, cards):
        text = page.extract_text()
        assert "防返贫监测明白卡" in text and card.household_id in text and "东风村" in text
        assert "城西镇人民政府" in text
        # The risk types the mechanism names, 因残 and 缺劳动力 among them.
        flat = "".join(text.split())
        assert "因残" in flat and "缺劳动力" in flat and "因病" in flat
        [url] = decoded(page)
        assert url == card.link
        assert SIGNER.read(url.removeprefix(BASE)) == CardLink(
            card.household_id, "城西镇", "东风村", 1
        )


def test_a_link_that_is_changed_or_not_ours_is_refused_alike():
    token = SIGNER.token(CardLink("430624-0001", "城西镇", "东风村", 1))
    for bad in (token[:-2] + "xx", "430624-0001", "", "x" * 1000):
        with pytest.raises(BadLink, match="^not a card link$"):
            SIGNER.read(bad)
    with pytest.raises(BadLink):
        LinkSigner("another-deployment-secret").read(token)


def test_issuing_a_village_s_cards_again_revokes_the_old_links():
    at = datetime(2026, 12, 2, tzinfo=UTC)
    issue = CardIssue("城西镇", "东风村")
    assert not issue.valid(0)
    first = issue.reissue("county-office", at)
    assert issue.valid(first)
    second = issue.reissue("county-office", at)
    assert second == first + 1 and issue.valid(second) and not issue.valid(first)


def test_the_link_secret_is_made_once_and_kept(tmp_path):
    from pydantic import SecretStr

    def secret(configured: str | None = None) -> str:
        value = SecretStr(configured) if configured else None
        key = deployment_key("S", value, None, tmp_path / "link-secret", new_link_secret, False)
        return key.current

    made = secret()
    assert len(made) >= 32 and secret() == made
    assert (tmp_path / "link-secret").stat().st_mode & 0o077 == 0
    assert secret("configured-secret-value") == "configured-secret-value"


def status(household: str, village: str, card: str | None = "yellow"):
    from decimal import Decimal

    from schemas.status import RiskStatusOut

    return RiskStatusOut(
        household_id=household, registered=card is not None, township="城西镇", village=village,
        card=card, members=3, labour_capable=1, evaluated_on=datetime(2026, 12, 1).date(),
        policy_from=datetime(2026, 1, 1).date(), per_capita_income_yuan=Decimal(9000),
        previous_per_capita_income_yuan=None, half_year_per_capita_income_yuan=None,
        income_stale=False, medical_self_paid_yuan=Decimal(0), employed_members=1,
        housing_damage="none", open_loans=0, overdue_loans=0, factors=[], level="none",
    )  # fmt: skip


def test_operators_print_a_village_s_cards_and_issue_them_again(store_settings, tmp_path):
    from typer.testing import CliRunner

    from services.cli import app
    from services.households.statusview import open_view

    risk = open_view(store_settings)
    risk.save(
        [status("430624-0101", "东风村"), status("430624-0102", "东风村"),
         status("430624-0103", "新华村"), status("U-0000000001", "东风村", card=None)],
        None,
    )  # fmt: skip
    env = {
        "POVWATCH_STORE": store_settings.store,
        "POVWATCH_SQLITE_DIR": str(store_settings.sqlite_dir),
        "POVWATCH_POSTGRES_SCHEMA": store_settings.postgres_schema,
        "POVWATCH_STATE_DIR": str(tmp_path / "state"),
        "POVWATCH_PUBLIC_URL": "https://povwatch.example.cn",
    }
    run = lambda *args: CliRunner().invoke(app, list(args), env=env)  # noqa: E731
    out = tmp_path / "cards.pdf"
    r = run("cards", "print", "--township", "城西镇", "--village", "东风村", "--out", str(out))
    assert r.exit_code == 0, r.output
    pages = PdfReader(out).pages
    assert len(pages) == 2  # the village's registered households only
    [first] = decoded(pages[0])
    assert first.startswith("https://povwatch.example.cn/d/")
    assert run("cards", "issue", "--township", "城西镇", "--village", "东风村").exit_code == 0
    r = run("cards", "print", "--township", "城西镇", "--village", "东风村", "--out", str(out))
    [again] = decoded(PdfReader(out).pages[0])
    assert again != first  # a new issue, a new link
    r = run("cards", "print", "--township", "城西镇", "--village", "无此村", "--out", str(out))
    assert r.exit_code == 1 and "no registered households" in r.output
