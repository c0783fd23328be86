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
    source: str = ""
    severity: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SEVERITY))

    def severity_of(self, factor: str) -> str:
        return self.severity.get(factor, DEFAULT_SEVERITY[factor])


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
            kwargs[k] = _convert(str(names[k].type), v)
        except (TypeError, ValueError, ArithmeticError) as e:
            # The field by name: whoever edits the file finds what to fix.
            raise PolicyError(f"{where}: {k}: {_reason(e)}", n, k) from None
    policy = Policy(**kwargs)
    bad = {k: v for k, v in policy.severity.items() if v not in LEVELS}
    if set(policy.severity) - set(DEFAULT_SEVERITY) or bad:
        raise PolicyError(f"{where}: severity must map known factors to {LEVELS}", n, "severity")
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


def _convert(type_name: str, value: object) -> object:
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
        if not isinstance(value, dict):
            raise ValueError(f"expected a table, got {value!r}")
        return {**DEFAULT_SEVERITY, **value}
    return str(value)
