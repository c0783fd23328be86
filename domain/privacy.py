"""Personal numbers must not enter povwatch: not the store, the API, the
pages, the logs nor the task messages. Households are named by codes and
people by opaque references; free text is checked for what looks like a
resident ID number (15 or 18 characters), a mobile or landline number, or a
bank card or account number (16 to 19 digits), also when written in groups
(spaces, hyphens, dots, slashes) or in full-width digits."""

from __future__ import annotations

import re
import unicodedata

# A reference (a code) may not hold a long run of digits at all.
_IN_CODE = re.compile(r"\d{11,}|\d{17}[\dXx]")
# Free text: 11 or more digits, possibly grouped ("138 1234 5678",
# "6222-0212-3456-7890"), or an 18-character ID ending in X.
_IN_TEXT = re.compile(r"(?<!\d)(?:\d[ \-]?){10,}\d|(?<![\dA-Za-z])\d{17}[Xx](?![A-Za-z\d])")
# Groups joined by one separator used throughout ("138.1234.5678",
# "138  1234  5678", "6222/0212/3456/7890"). One separator, not any mix: two
# amounts or dates side by side ("12000.00 30000.00", "2026/12/07 2026/12/31")
# are several numbers, each too short to be a personal one. A lookahead so
# that every start of a run of digits is tried.
_GROUPED = re.compile(r"(?<!\d)(?=(\d+([ \t\-./_·]|\s+)\d+(?:\2\d+)*))")
_PHONE = re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")  # landline with area code
_LONGEST = 11  # digits: a mobile number; IDs and bank cards are longer


class PersonalNumber(ValueError):
    pass


def _plain(value: str) -> str:
    # NFKC folds full-width digits and separators ("１３８", "－", "．") and the
    # ideographic space into their ASCII forms; \d then means 0-9 only.
    return unicodedata.normalize("NFKC", value)


def check_ref(value: str) -> str:
    if _IN_CODE.search(_plain(value)):
        raise PersonalNumber("looks like an ID, phone or account number; send an opaque reference")
    return value


def _grouped(text: str) -> bool:
    return any(sum(c.isdigit() for c in m.group(1)) >= _LONGEST for m in _GROUPED.finditer(text))


def no_personal_numbers(value: str) -> str:
    """Returns ``value`` when it holds no personal number; raises otherwise."""
    text = _plain(value)
    if _IN_TEXT.search(text) or _PHONE.search(text) or _grouped(text):
        raise PersonalNumber(
            "looks like it holds an ID, phone or bank account number; leave such numbers out"
        )
    return value
