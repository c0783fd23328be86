"""A deterministic synthetic county: households and months of department feeds.

The same seed gives the same county and the same messages, in the order the
departments would send them (month by month). Rates are plausible for a rural
Hunan county; they are settings, not findings.
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from synthetic import departments
from synthetic.standard import standard_feeds

# Xiangyin's townships (乡镇) and its one subdistrict (街道), by their names.
TOWNSHIPS = (
    "文星街道",
    "金龙镇",
    "新泉镇",
    "鹤龙湖镇",
    "岭北镇",
    "杨林寨乡",
    "东塘镇",
    "三塘镇",
    "南湖洲镇",
    "湘滨镇",
    "樟树镇",
    "静河镇",
    "六塘乡",
    "洋沙湖镇",
)
# Villages (村) and, under a subdistrict, communities (社区) are named from
# common parts of place names, combined so that no two of a township share one.
NAME_FIRST = "石新荷白青大长金和东杨双丰太龙兴高黄柳桃"
NAME_SECOND = "塘安花湖山桥港洲坪冲铺湾林田河岭园峰垸坝"
NUMERALS = "一二三四五六七八九十"
CARD_MIX = (("green", 0.88), ("yellow", 0.045), ("blue", 0.045), ("red", 0.01))
UNKNOWN_SHARE = 0.02  # households only department screening knows
# Per-capita yearly income (yuan) by card, as (mean, spread).
INCOME = {"green": (14000, 4000), "yellow": (9000, 900), "blue": (9000, 900), "red": (6500, 800)}


@dataclass
class Rates:
    """Monthly probabilities per household (or per village for floods)."""

    illness: float = 0.012
    major_share: float = 0.15
    chronic_share: float = 0.35
    village_flood: float = 0.004
    house_damage_in_flood: float = 0.08
    accident: float = 0.0015
    loan_share: float = 0.06
    loan_overdue: float = 0.01
    job_loss: float = 0.006
    job_found: float = 0.02
    # The standard's departments (plan §3(2)) mostly report exceptions: a
    # lapse, a dropout, a rating, a failed check, and their repair.
    insurance_lapse: float = 0.002
    insurance_back: float = 0.25
    dropout: float = 0.0005
    school_back: float = 0.2
    house_rating: float = 0.001
    house_fixed: float = 0.1
    water_check: float = 0.004
    water_fails: float = 0.05
    water_fixed: float = 0.15
    assistance_change: float = 0.002
    disability: float = 0.0005  # a member's certificate, in a month
    birth: float = 0.0008
    death: float = 0.0007
    move: float = 0.001


@dataclass
class Household:
    code: str
    township: str
    village: str
    members: int
    labour: int
    card: str | None  # None: unknown to the registry
    flags: list[str]
    pci: float
    loan: tuple[str, float, date] | None = None
    employed: dict[str, bool] = field(default_factory=dict)
    # What the standard's departments last said that needs a repair.
    lapsed: set[str] = field(default_factory=set)
    dropped: set[str] = field(default_factory=set)
    unsafe_house: bool = False
    bad_water: bool = False
    dibao_yuan: float = 0.0
    joined: int = 0  # members born or moved in since registration


@dataclass
class County:
    seed: int
    households: list[Household]
    start: date
    months: int

    @property
    def villages(self) -> dict[tuple[str, str], list[Household]]:
        out: dict[tuple[str, str], list[Household]] = {}
        for h in self.households:
            out.setdefault((h.township, h.village), []).append(h)
        return out


def village_name(township: str, k: int) -> str:
    """The ``k``-th village (from 0) of ``township``, from two name parts that
    both change from one village to the next and start elsewhere in each
    township; past every pair of parts, the same names again with a number
    (石塘二村). Under a subdistrict (街道), communities (社区)."""
    width = len(NAME_SECOND)
    pairs = len(NAME_FIRST) * width
    t = TOWNSHIPS.index(township) if township in TOWNSHIPS else 0
    j = k % pairs
    # For a given first part, j // width runs through every second part once.
    first = (j + 3 * t) % len(NAME_FIRST)
    second = (j // width + 3 * j + 7 * t) % width
    name = NAME_FIRST[first] + NAME_SECOND[second]
    if k >= pairs:
        name += _numeral(k // pairs + 1)
    return name + ("社区" if township.endswith("街道") else "村")


def _numeral(n: int) -> str:
    """2 -> 二, 12 -> 十二, 35 -> 三十五 (up to 99); beyond, the digits."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    out = "" if tens == 0 else ("十" if tens == 1 else NUMERALS[tens - 1] + "十")
    return out + (NUMERALS[ones - 1] if ones else "")


def make_county(
    households: int,
    seed: int = 1,
    start: date | None = None,
    months: int = 3,
    per_village: int = 300,
) -> County:
    rng = random.Random(seed)
    start = start or date(2026, 1, 1)
    villages_needed = max(1, households // per_village)
    places = [
        (
            TOWNSHIPS[i % len(TOWNSHIPS)],
            village_name(TOWNSHIPS[i % len(TOWNSHIPS)], i // len(TOWNSHIPS)),
        )
        for i in range(villages_needed)
    ]
    out = []
    cards, weights = zip(*CARD_MIX)
    for n in range(households):
        township, village = places[n % len(places)]
        members = rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5, 6))
        labour = min(members, rng.choice((0, 1, 1, 2, 2, 2, 3)))
        unknown = rng.random() < UNKNOWN_SHARE
        card = None if unknown else rng.choices(cards, weights)[0]
        flags = []
        if card in ("red", "yellow") and rng.random() < 0.15:
            flags.append("relocated")
        if card == "red" and rng.random() < 0.4:
            flags.append("dibao")
        mean, spread = INCOME[card or "green"]
        h = Household(
            f"430624{n:08d}",
            township,
            village,
            members,
            labour,
            card,
            flags,
            max(1500.0, rng.gauss(mean, spread)),
        )
        h.employed = {f"p{i + 1}": rng.random() < 0.8 for i in range(labour)}
        out.append(h)
    return County(seed, out, start, months)


_SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗"
_GIVEN = "建国秀英志强桂兰德明玉梅国华春生海燕红军凤英小平金花"


def head_name(household_id: str) -> str:
    """A head of household's name, the same for a household every run (drawn
    from its id, not the county's random stream, so the rest stays as it was)."""
    n = zlib.crc32(household_id.encode())
    given = _GIVEN[n // 20 % len(_GIVEN)] + _GIVEN[n // 700 % len(_GIVEN)]
    return _SURNAMES[n % len(_SURNAMES)] + given


def messages(
    county: County, rates: Rates | None = None, last_year_income: bool = False
) -> Iterator[dict[str, Any]]:
    """Registrations first, then each month's feeds from every department.
    ``last_year_income``: with each registration, the household's income over
    the 12 months before the first month (as the registry's yearly check
    reports it), so that a short run still has a full year to assess."""
    rates = rates or Rates()
    rng = random.Random(county.seed * 7919 + 1)
    send = departments.Numbering(county.seed, "", first_hour=8, hours=10)
    # The standard's feeds draw from a generator and a numbering of their own:
    # the other departments' messages stay what they were for a seed.
    std = random.Random(county.seed * 104729 + 3)
    extra = departments.Numbering(county.seed, "s", first_hour=9, hours=8)
    for h in county.households:
        if h.card is not None:
            yield departments.registered(
                h, county.start - timedelta(days=1), head_name(h.code), send
            )
            if last_year_income:
                yield departments.last_year(h, county, rng, send)
            if "dibao" in h.flags:
                yield departments.dibao_granted(h, county, extra)
            yield from departments.loan_issued(h, county, rng, rates, send)
    villages = county.villages
    for k in range(county.months):
        first, last = departments.month(county.start, k)
        flooded = {place for place in villages if rng.random() < rates.village_flood}
        for h in county.households:
            known = h.card is not None
            if known:
                yield departments.income(h, first, last, rng, send)
            yield from departments.illness(h, first, rng, std, rates, send)
            in_flood = (h.township, h.village) in flooded
            yield from departments.disaster(h, first, in_flood, rng, rates, send)
            if known:
                yield from departments.employment(h, first, rng, rates, send)
            yield from departments.loan_month(h, last, rng, rates, send)
            if known:
                yield from standard_feeds(h, first, std, rates, extra)


def encode(message: dict[str, Any]) -> tuple[bytes, bytes]:
    """Key and value as a department sends them: the household code, and the
    message as UTF-8 JSON (place names in Chinese characters, not escapes)."""
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    return message["household_id"].encode(), body.encode("utf-8")
