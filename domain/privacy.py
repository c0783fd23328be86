"""Personal numbers must not enter povwatch: not the store, the API, the
pages, the logs nor the task messages. Households are named by codes and
people by opaque references; free text is checked for what looks like a
resident ID number (15 or 18 characters), a mobile or landline number, or a
bank card or account number (16 to 19 digits), also when written in groups
with spaces or hyphens."""

from __future__ import annotations

import re

# A reference (a code) may not hold a long run of digits at all.
_IN_CODE = re.compile(r"\d{11,}|\d{17}[\dXx]")
# Free text: 11 or more digits, possibly grouped ("138 1234 5678",
# "6222-0212-3456-7890"), or an 18-character ID ending in X.
_IN_TEXT = re.compile(r"(?<!\d)(?:\d[ \-]?){10,}\d|(?<![\dA-Za-z])\d{17}[Xx](?![A-Za-z\d])")
_PHONE = re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")  # landline with area code


class PersonalNumber(ValueError):
    pass


def check_ref(value: str) -> str:
    if _IN_CODE.search(value):
        raise PersonalNumber("looks like an ID, phone or account number; send an opaque reference")
    return value


def no_personal_numbers(value: str) -> str:
    """Returns ``value`` when it holds no personal number; raises otherwise."""
    if _IN_TEXT.search(value) or _PHONE.search(value):
        raise PersonalNumber(
            "looks like it holds an ID, phone or bank account number; leave such numbers out"
        )
    return value
