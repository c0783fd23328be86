"""Departments' feeds: how often each is expected to speak, when one has
gone silent, and a rejected message's reason in Chinese, naming the field.

Pure data and decisions; the figures are counted by ``services/feeds/``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain import countyday

# A validation problem's type (pydantic's error types and the contract's own
# codes) -> what is wrong, in Chinese. Unlisted types read as the last entry.
PROBLEM_ZH: dict[str, str] = {
    "missing": "缺少此字段",
    "extra_forbidden": "约定中没有此字段",
    "string_type": "应为文本",
    "string_pattern_mismatch": "格式不符合约定",
    "string_too_long": "文本过长",
    "string_too_short": "文本过短或为空",
    "decimal_parsing": "应为金额数字",
    "decimal_type": "应为金额数字",
    "decimal_max_places": "金额最多两位小数",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "bool_parsing": "应为是或否",
    "date_parsing": "应为日期（年-月-日）",
    "date_from_datetime_parsing": "应为日期（年-月-日）",
    "datetime_parsing": "应为带时区的时间",
    "datetime_from_date_parsing": "应为带时区的时间",
    "timezone_aware": "时间须带时区",
    "literal_error": "取值不在约定范围内",
    "enum": "取值不在约定范围内",
    "greater_than": "数值过小",
    "greater_than_equal": "数值过小",
    "less_than": "数值过大",
    "less_than_equal": "数值过大",
    "union_tag_invalid": "消息类型不在约定范围内",
    "union_tag_not_found": "缺少消息类型",
    "value_error": "取值不符合约定（如含身份证、电话或银行账号）",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
    "too_large": "消息过大",
    "key_mismatch": "Kafka 消息键与户编码不一致",
    "conflict": "同一事件编号已以不同内容报送过",
    "encoding": "文件编码应为 UTF-8 或 GB18030",
    "": "不符合数据约定",
}


def reason_zh(field: str, problem: str) -> str:
    """A rejection's reason as a department's clerk reads it: the field, then what is wrong."""
    what = PROBLEM_ZH.get(problem, PROBLEM_ZH[""])
    return f"字段 {field}：{what}" if field else f"整条消息：{what}"


def month_of(at: datetime) -> str:
    """The month (YYYY-MM) an instant falls in on the county's clock."""
    return countyday.local(at).strftime("%Y-%m")


def rejection_rate(accepted: int, rejected: int) -> float:
    total = accepted + rejected
    return rejected / total if total else 0.0


class FeedError(ValueError):
    """A feeds file that cannot be used; the message names the entry and field."""


@dataclass(frozen=True)
class Cadence:
    """How often a department is expected to publish, and on what basis
    (a plan section, an agreement, or ``ASSUMPTION``)."""

    source: str
    days: int
    basis: str

    def silent(self, last: datetime | None, now: datetime) -> bool:
        """Silent: nothing heard for longer than its cadence (never heard counts)."""
        return last is None or now - last > timedelta(days=self.days)


@dataclass(frozen=True)
class FeedBook:
    cadences: tuple[Cadence, ...]

    def get(self, source: str) -> Cadence | None:
        return next((c for c in self.cadences if c.source == source), None)

    @classmethod
    def from_toml(cls, text: str, origin: str = "feeds") -> FeedBook:
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise FeedError(f"{origin}: {e}") from None
        entries = doc.get("source")
        if not isinstance(entries, list) or not entries:
            raise FeedError(f"{origin}: no [[source]] entries")
        out: list[Cadence] = []
        for n, entry in enumerate(entries, 1):
            where = f"{origin}: [[source]] #{n}"
            unknown = set(entry) - {"code", "cadence_days", "basis"}
            if unknown:
                raise FeedError(f"{where}: unknown field(s) {sorted(unknown)}")
            code, days, basis = entry.get("code"), entry.get("cadence_days"), entry.get("basis")
            if not isinstance(code, str) or not code:
                raise FeedError(f"{where}: code must be a department code")
            if not isinstance(days, int) or isinstance(days, bool) or days < 1:
                raise FeedError(f"{where}: cadence_days must be a whole number of days, at least 1")
            if not isinstance(basis, str) or not basis.strip():
                raise FeedError(f"{where}: basis must cite a source or say ASSUMPTION")
            out.append(Cadence(code, days, basis))
        if len({c.source for c in out}) != len(out):
            raise FeedError(f"{origin}: a department is listed twice")
        return cls(tuple(out))
