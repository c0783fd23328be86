"""Two risk types the national monitoring mechanism names beside income and
the standard (因残 and 缺劳动力): pure functions of a household's facts and a
day, called by ``domain.risk.assess``.

- 因残: a member holding a grade 1 or 2 certificate (重度残疾) whom neither of
  the two disability subsidies pays (plan §3(2)6: 困难残疾人生活补贴 and
  重度残疾人护理补贴, 65 yuan a month each), or in a household where no one is
  able to work;
- 缺劳动力: no one able to work after a member change (a member able to work
  died or moved out), for a household that had labour at its registration.

A disability is a health detail: its category, grade and member stay in the
facts (and the household's timeline, for the roles that read households).
The factor names neither: it counts the members concerned, so that what
travels on ``povwatch.tasks`` and into lists says what help is missing, not
what condition a member has.
"""

from __future__ import annotations

from datetime import date

from domain.facts import Assistance, Facts
from domain.standard import Found

DISABILITY_SUBSIDIES = ("disability_living", "disability_care")


def disability_factor(found: Found, facts: Facts, on: date) -> None:
    """因残: a severely disabled member without the two subsidies, or with no
    one in the household able to work; the policy gives its severity.
    ASSUMPTION: "without the two subsidies" is read as neither paying the
    member (the living subsidy is for low-income households only, so one
    paying shows the member known to civil affairs); to confirm with the
    county office."""
    severe = [
        person for person, d in facts.disabilities.items() if d.severe and d.effective_on <= on
    ]
    if not severe:
        return
    unpaid = sum(1 for p in severe if not _subsidised(facts.assistance, p, on))
    no_labour = facts.labour_capable == 0
    if not unpaid and not no_labour:
        return
    found.add(
        "disability",
        f"{len(severe)} member(s) with a severe disability, {unpaid} without the two "
        "disability subsidies" + (", no one in the household able to work" if no_labour else ""),
        members=len(severe),
        without_subsidies=unpaid,
        labour_capable=facts.labour_capable,
    )


def labour_factor(found: Found, facts: Facts, on: date) -> None:
    """缺劳动力: the household had members able to work at its registration
    and has none left on ``on`` after the member changes since (counted to
    that day, so that an assessment as of a past day reads that day's labour)."""
    reg = facts.registered_on
    if reg is None or facts.registered_labour == 0:
        return
    since = [c for c in facts.member_changes if reg < c.effective_on <= on]
    labour = facts.registered_labour + sum(c.delta for c in since if c.able_to_work)
    members = facts.registered_members + sum(c.delta for c in since)
    lost = [c for c in since if c.delta < 0 and c.able_to_work]
    if labour > 0 or members <= 0 or not lost:
        return
    last = max(c.effective_on for c in lost)
    found.add(
        "labour_lacking",
        f"no member able to work since {last} ({len(lost)} member(s) able to work left)",
        members=members,
        left=len(lost),
        since=last,
    )


def _subsidised(changes: list[Assistance], person: str, on: date) -> bool:
    """Whether either disability subsidy pays ``person`` on ``on`` (the latest
    change of each on or before the day)."""
    for scheme in DISABILITY_SUBSIDIES:
        latest = None
        for c in changes:
            if c.scheme == scheme and c.person_ref == person and c.effective_from <= on:
                if latest is None or c.effective_from >= latest.effective_from:
                    latest = c
        if latest is not None and latest.monthly_yuan is not None:
            return True
    return False
