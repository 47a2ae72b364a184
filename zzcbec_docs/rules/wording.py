"""The words of the decisions, once: every reason, gap and note that a match or a check writes.

Each wording is a template with named fields, in Chinese and English. The row engine fills it with
Python values (`ZERO_AMOUNT.zh()`, `CAP_USED_UP.zh(scope=…, cap=fmt_yuan(cap), …)`); the SQL compiler
(sqlmatch.compiler.say) fills the same template with SQL expressions for the fields that vary by row
and the policy's words for the rest, so that a reason reads the same, to the character, in every
engine, and a change of wording is made here alone. The policy's own words (labels, boundary words,
citations, thresholds) are never part of a template: they are fields, filled from the policy data.
"""

from __future__ import annotations

import string
from dataclasses import dataclass


@dataclass(frozen=True)
class Wording:
    code: str
    zh_template: str
    en_template: str = ""

    def zh(self, **values: object) -> str:
        return self.zh_template.format(**values)

    def en(self, **values: object) -> str:
        return self.en_template.format(**values)

    def pieces(self) -> list[tuple[str, str | None]]:
        """The Chinese template as (literal text, field name or None), in order (for the SQL compiler)."""
        out: list[tuple[str, str | None]] = []
        for literal, name, spec, conversion in string.Formatter().parse(self.zh_template):
            assert not spec and not conversion, f"{self.code}: a field is filled as it is ({name})"
            out.append((literal, name))
        return out


YUAN = "元"  # the unit after an amount written without ¥ (rules.conditions.show)

# how the pieces of one cell are joined
JOIN = "；"  # the gaps and the notes of a clause
LIST_JOIN = "、"  # the missing facts; the ledger's awards in a note
ALTERNATIVES_JOIN = "；或 "  # the alternatives of a fee tier

# ---------------------------------------------------------------- gaps (calculator.match.gap_for)

VERB = {">=": "达到", ">": "超过"}  # the target of a threshold's gap, by its operator
GAP_THRESHOLD = Wording(
    "gap_threshold", "{label}还差 {gap} {verb} {target}（{boundary}）", "{fact} is {gap} short of {value} ({boundary})"
)
GAP_GROWTH_BASE = Wording(
    "gap_growth_base",
    "{prior_label}须大于 0 才能计算增幅",
    "{prior_fact} must be above 0 for the growth to be computed",
)
GAP_GROWTH = Wording(
    "gap_growth",
    "{label}不足 {pct}：{fact_label}还差 {gap}（须不低于 {needed}，{boundary}）",
    "{fact} must reach {needed} ({gap} more) for {pct} growth",
)
GAP_FLAG = Wording("gap_flag", "须满足：{label}", "{fact} must be true")
GAP_ONE_OF = Wording("gap_one_of", "{label}：须为{allowed}", "{fact} must be one of {values}")
ONE_OF_OR = "或"
GAP_FULL_YEAR = Wording(
    "gap_full_year",
    "{label}：{date} 起算，最早可申报 {first} 年度（{boundary}）",
    "{fact} {date}: the first year that counts is {first}",
)
GAP_ANY_OF = Wording("gap_any_of", "以下任一即可：{alternatives}", "any one of: {alternatives}")
MISSING_FACT = Wording("missing_fact", "{label}（{fact}）")

# ---------------------------------------------------------------- reasons (rules)

TERM = Wording(
    "term",
    "申报年度 {year} {where}政策执行期 {start} 至 {last} 内（{cite}：执行期{years}年）",
    "the year {year} {where} the policy term {start} to {last} (clause {clause})",
)
TERM_INSIDE = ("在", "overlaps")
TERM_OUTSIDE = ("不在", "lies wholly outside")
ZERO_AMOUNT = Wording("zero_amount", "按本条计算的奖励金额为 0 元", "the amount this clause computes is 0.00")
NO_TIER = Wording(
    "no_tier",
    "{label} {value} 未达到最低档 {symbol} {lowest}（{boundary}）",
    "{fact} {value} reaches no tier (the lowest needs {symbol} {lowest})",
)
ONCE_ONLY = Wording(
    "already_awarded",
    "本条奖励为{word}，该申请人{scope}已获本条奖励：{which}",
    "clause {clause} pays once{scope}; this applicant was already awarded {already}",
)
ONCE_THIS_YEAR = ("本年度", " this year")  # the scope of a once-a-year award (a one-time one has none)
CAP_USED_UP = Wording(
    "cap_used_up",
    "{scope}上限 {cap}（{word}）已用完：{which}",
    "the cap of {cap} ({word}) is used up by earlier awards",
)
# the scope of a cap, by its frequency (rules.caps.limit)
CAP_SCOPE_ONCE = "一次性"
CAP_SCOPE_YEAR = "每年"
CAP_SCOPE_ITEM = Wording("cap_scope_item", "单个活动（{item}）")
EACH_TIER_PAID = Wording(
    "already_awarded",
    "按每档各一次理解：本档 {value} 已由此前奖励 {which} 付过",
    "each-tier reading: this tier's {value} was already paid by an earlier award",
)
TOP_UP_PAID = Wording(
    "already_awarded",
    "按补差理解：本档 {value} 已由此前奖励 {which} 付清",
    "top-up reading: the tier's {value} is already paid by earlier awards",
)

# ---------------------------------------------------------------- notes (calculator.match, calculator.table_match)

NOTE_REFERRED = Wording("referred", "按省、市现行政策支持（{cite}），本政策不核定金额")
NOTE_EXCLUDED = Wording("excluded", "{label}的企业不在此政策支持范围内（{cite}）")
NOTE_LISTED = Wording("excluded_by_list", "列于{label}的企业名单（--exclusion-list）")
NOTE_CONTRADICTS = Wording("exclusion_list_contradiction", "表中声明未{label}，但其统一社会信用代码列于排除名单")
NOTE_UNDECLARED = Wording("exclusion_undeclared", "表中无“是否{label}”，申报时须如实声明；享受者不在支持范围（{cite}）")
NOTE_CAP_BINDS = Wording("cap_binds", "上限约束：按规定计算 {computed}，按 {paid} 计")
NOTE_NEXT_TIER = Wording("next_tier", "距下一档（{amount}）：{label}还差 {gap}（{boundary}）")
FUNDING_UNSETTLED = Wording(
    "funding_unsettled",
    "{cite}未列明{district}的资金分担比例，市、区承担金额须由财政部门确定",
    "clause {clause} does not name {district}: the finance bureau must set the city/local split",
)
NOTE_LEDGER = Wording("ledger_counted", "已计入台账中本条已获奖励：{awards}")
LEDGER_AWARD = Wording("ledger_award", "{year}年度 {amount}{reference}")
LEDGER_REFERENCE = Wording("ledger_reference", "（{number}）")


def ledger_award(year: int, amount: str, reference: str | None) -> str:
    """One earlier award in the ledger note: 2025年度 ¥300,000.00（郑商务〔2025〕1号）."""
    ref = LEDGER_REFERENCE.zh(number=reference) if reference else ""
    return LEDGER_AWARD.zh(year=year, amount=amount, reference=ref)
