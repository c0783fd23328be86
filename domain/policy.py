"""Dated thresholds. Lines change by year and province, so rules read them
from policy, never from code; an evaluation uses the policy in force on its date."""

from __future__ import annotations

import tomllib
from dataclasses import MISSING, dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any

from domain.vocabulary import FACTOR_CODES, LEVELS

# Severity of each factor unless the policy file says otherwise.
DEFAULT_SEVERITY: dict[str, str] = {
    "income_below_line": "high",
    "income_in_band": "watch",
    "income_drop": "watch",
    "medical_cost_high": "high",
    "disaster_loss": "high",
    "all_unemployed": "high",
    "relocated_no_employment": "high",
    "loan_overdue": "watch",
    # A failing guarantee of the standard (plan §3(1): 两不愁三保障 and safe
    # water) is a household not out of poverty: high, as income below the line.
    "school_dropout": "high",
    "insurance_lapsed": "high",
    "reimbursement_low": "high",
    "housing_unsafe": "high",
    "water_unsafe": "high",
    # The allowance missing is the civil affairs bureau's check (plan §3(2)6);
    # the hardship itself is the income below the line, already high.
    "assistance_missing": "watch",
}
ASSISTANCE_SCHEMES = ("dibao", "tekun", "disability_living", "disability_care")

# The basis of each default below, for an entry that does not set the value:
# a citation, or an assumption to confirm with the county office.
DEFAULT_BASIS: dict[str, str] = {
    "income_drop_ratio": "ASSUMPTION: the national mechanism names a large income drop "
    "as a trigger without a figure",
    "medical_threshold_registered_yuan": "ASSUMPTION: 5,000 yuan self-paid in 12 months "
    "for households out of poverty; no public source found (county pages describe a monthly "
    "push of single stays over 6,000 yuan self-paid for monitoring objects)",
    "medical_threshold_others_yuan": "national practice (Yantai): a yearly personal medical "
    "burden over 20,000 yuan for other rural residents (county pages push single stays "
    "over 10,000 yuan self-paid)",
    "disaster_income_fraction": "ASSUMPTION: a loss over half a year's income as a major "
    "disaster (plan §3(1) gives no figure)",
    "loan_overdue_high_days": "ASSUMPTION: 90 days overdue as high (plan §3(2)8 sets a rate)",
    "reimbursement_in_county_ratio": "ASSUMPTION: plan §3(2)2's 85% in the county, "
    "a 2020 measure, carried into later years",
    "reimbursement_referred_ratio": "ASSUMPTION: plan §3(2)2's 80% outside it after "
    "referral, a 2020 measure, carried into later years",
    "dibao_line_yuan": "plan §3(2)6: at least 4,000 yuan a year (2020)",
    "transfer_schemes": "ASSUMPTION: the allowance and extreme-poverty support count "
    "as transfer income, the disability subsidies do not",
    "house_fix_by": "plan §3(2)3: by the end of June (2020; later years an ASSUMPTION)",
}


assert set(DEFAULT_SEVERITY) == set(FACTOR_CODES), "every factor has a default severity"


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the entry and field,
    and so do ``entry`` (1-based, None for the file as a whole) and ``field``."""

    def __init__(self, message: str, entry: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.entry, self.field = entry, field


@dataclass(frozen=True)
class Policy:
    effective_from: date
    poverty_line_yuan: Decimal
    watch_band_upper_yuan: Decimal
    income_drop_ratio: Decimal = Decimal("0.30")
    medical_threshold_registered_yuan: Decimal = Decimal(5000)
    medical_threshold_others_yuan: Decimal = Decimal(20000)
    disaster_income_fraction: Decimal = Decimal("0.5")
    loan_overdue_high_days: int = 90
    # Plan §3(2)2: in-county stays 85%, out-of-county after referral 80%.
    reimbursement_in_county_ratio: Decimal = Decimal("0.85")
    reimbursement_referred_ratio: Decimal = Decimal("0.80")
    # Plan §3(2)6: the rural minimum-living line at least 4,000 yuan a year.
    dibao_line_yuan: Decimal = Decimal(4000)
    # The assistance counted as transfer income, from civil affairs' grants.
    transfer_schemes: tuple[str, ...] = ("dibao", "tekun")
    # Plan §3(2)3: C and D houses fixed by the end of June (month, day).
    house_fix_by: tuple[int, int] = (6, 30)
    source: str = ""
    severity: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SEVERITY))
    # Each value's citation, or "ASSUMPTION: ..." for one to confirm with the
    # county office (shown beside it where pages show it).
    basis: dict[str, str] = field(default_factory=dict)

    def severity_of(self, factor: str) -> str:
        return self.severity.get(factor, DEFAULT_SEVERITY[factor])

    def basis_of(self, name: str) -> str:
        """Where the value of field ``name`` comes from ("" when not said)."""
        return self.basis.get(name) or DEFAULT_BASIS.get(name, "")

    def assumed(self, name: str) -> bool:
        """Whether the value of field ``name`` is an assumption to confirm."""
        return self.basis_of(name).startswith("ASSUMPTION")

    def assumed_lines(self) -> list[tuple[str, Decimal]]:
        """The lines pages show that are assumptions: (field, value)."""
        return [(n, getattr(self, n)) for n in SHOWN_LINES if self.assumed(n)]


# The lines the pages show beside a household's factors.
SHOWN_LINES = ("poverty_line_yuan", "watch_band_upper_yuan", "dibao_line_yuan")


@dataclass(frozen=True)
class PolicyBook:
    policies: tuple[Policy, ...]

    def in_force(self, on: date) -> Policy:
        current = None
        for p in self.policies:
            if p.effective_from <= on:
                current = p
        if current is None:
            raise PolicyError(f"no policy is in force on {on.isoformat()}")
        return current

    @classmethod
    def from_toml(cls, text: str, origin: str = "policy") -> PolicyBook:
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise PolicyError(f"{origin}: {e}") from None
        entries = doc.get("policy")
        if not isinstance(entries, list) or not entries:
            raise PolicyError(f"{origin}: no [[policy]] entries")
        policies = [_entry(n, entry, origin) for n, entry in enumerate(entries, 1)]
        policies.sort(key=lambda p: p.effective_from)
        dates = [p.effective_from for p in policies]
        if len(set(dates)) != len(dates):
            raise PolicyError(f"{origin}: two policies take effect on the same date")
        return cls(tuple(policies))


def _entry(n: int, entry: dict[str, Any], origin: str) -> Policy:
    """The ``n``th [[policy]] entry, or the error that names its field."""
    where = f"{origin}: [[policy]] #{n}"
    names = {f.name: f for f in fields(Policy)}
    unknown = sorted(set(entry) - set(names))
    if unknown:
        raise PolicyError(f"{where}: unknown field(s) {unknown}", n, unknown[0])
    required = [
        f.name for f in fields(Policy) if f.default is MISSING and f.default_factory is MISSING
    ]
    for k in required:
        if k not in entry:
            raise PolicyError(f"{where}: {k}: missing", n, k)
    kwargs: dict[str, Any] = {}
    for k, v in entry.items():
        try:
            kwargs[k] = _convert(k, str(names[k].type), v)
        except (TypeError, ValueError, ArithmeticError) as e:
            # The field by name: whoever edits the file finds what to fix.
            raise PolicyError(f"{where}: {k}: {_reason(e)}", n, k) from None
    policy = Policy(**kwargs)
    bad = {k: v for k, v in policy.severity.items() if v not in LEVELS}
    if set(policy.severity) - set(DEFAULT_SEVERITY) or bad:
        raise PolicyError(f"{where}: severity must map known factors to {LEVELS}", n, "severity")
    unknown_basis = sorted(set(policy.basis) - set(names))
    if unknown_basis:
        raise PolicyError(f"{where}: basis names unknown field(s) {unknown_basis}", n, "basis")
    for name in ("reimbursement_in_county_ratio", "reimbursement_referred_ratio"):
        if not 0 < getattr(policy, name) <= 1:
            raise PolicyError(f"{where}: {name}: must lie above 0 and at most 1", n, name)
    if policy.watch_band_upper_yuan < policy.poverty_line_yuan:
        raise PolicyError(
            f"{where}: watch_band_upper_yuan is below poverty_line_yuan",
            n,
            "watch_band_upper_yuan",
        )
    return policy


def _reason(e: Exception) -> str:
    """A conversion's reason in words (a bad number raises decimal's
    InvalidOperation, whose text is a class list)."""
    if isinstance(e, ArithmeticError):
        return "expected a number"
    return str(e)


def _convert(name: str, type_name: str, value: object) -> object:
    if type_name == "date":
        if not isinstance(value, date):
            raise ValueError(f"expected a date, got {value!r}")
        return value
    if type_name == "Decimal":
        if isinstance(value, float):
            value = str(value)
        return Decimal(str(value))
    if type_name == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"expected an integer, got {value!r}")
        return value
    if type_name.startswith("dict"):
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ValueError(f"expected a table of texts, got {value!r}")
        return {**DEFAULT_SEVERITY, **value} if name == "severity" else dict(value)
    if name == "transfer_schemes":
        if not isinstance(value, list) or not set(value) <= set(ASSISTANCE_SCHEMES):
            raise ValueError(f"expected a list of {list(ASSISTANCE_SCHEMES)}, got {value!r}")
        return tuple(value)
    if name == "house_fix_by":
        try:
            day = date.fromisoformat(f"2001-{value}")  # not a leap year: every year has the day
        except (TypeError, ValueError):
            raise ValueError(f"expected a month and day as MM-DD, got {value!r}") from None
        return (day.month, day.day)
    return str(value)
