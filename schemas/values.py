"""The contract's values: dates within range, exact money, codes, references
and free text that refuses personal numbers (domain/privacy.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
)

from domain.privacy import check_ref, no_personal_numbers

EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def _day_in_range(d: date) -> date:
    if not EARLIEST <= d <= LATEST:
        raise ValueError(f"date must lie between {EARLIEST} and {LATEST}")
    return d


def _moment_in_range(t: datetime) -> datetime:
    _day_in_range(t.date())
    return t


# Personal numbers (ID, phone, bank account) are refused in references and in
# free text alike: none may enter the store (domain/privacy.py).
Text = Annotated[
    str,
    Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$"),
    AfterValidator(no_personal_numbers),
]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
# A person's name as the registry writes it (Chinese, or Latin letters with
# a middle dot or a space): no digits, so never a number in disguise.
PersonName = Annotated[
    str, Field(min_length=1, max_length=30, pattern=r"^[^\x00-\x1f\x7f0-9０-９]+$")
]
Ref = Annotated[Code, AfterValidator(check_ref)]


def _plain(amount: Decimal) -> str:
    # One spelling per amount (12.3 and 12.30 alike), so digests ignore formatting.
    return format(amount.normalize(), "f")


Money = Annotated[
    Decimal,
    Field(ge=0, le=Decimal("1e9"), decimal_places=2, allow_inf_nan=False),
    PlainSerializer(_plain, return_type=str, when_used="json"),
]
PositiveMoney = Annotated[Money, Field(gt=0)]
Day = Annotated[date, AfterValidator(_day_in_range)]
Moment = Annotated[AwareDatetime, AfterValidator(_moment_in_range)]


class Data(BaseModel):
    """A message's ``data``: unknown fields refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)
