"""Conditions of the policy, evaluated with the law's boundary words.

民法典 第一千二百五十九条: 以上、以下、以内、届满 include the number; 不满、超过、以外 exclude it.
The operator of each threshold comes from the policy data file, beside its boundary word.
"""

from __future__ import annotations

import datetime as dt
import operator as op
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal
from typing import Any

from zzcbec_docs.money import fmt_number
from zzcbec_docs.policy.model import Condition, Flag, FullYear, Growth, OneOf, Threshold
from zzcbec_docs.rules import wording as W
from zzcbec_docs.rules.model import Step

OPERATORS: dict[str, Callable[[Decimal, Decimal], bool]] = {">=": op.ge, ">": op.gt}
SYMBOL = {">=": "≥", ">": ">"}
NEGATED = {">=": "<", ">": "≤"}


def show(value: Decimal | int, unit: str | None) -> str:
    """12,000,000.00 元 for money; 30 家 for counts (the condition's own unit)."""
    if unit:
        return f"{fmt_number(Decimal(value))} {unit}"
    return f"{Decimal(value):,.2f} {W.YUAN}"


def requirement(c: Condition) -> str:
    """What a condition asks, in the policy's words: "≥ ¥10,000,000.00（达到…以上）", "须为“是”"."""
    if isinstance(c, Threshold):
        value = f"{c.value:,} {c.unit}" if c.unit else f"¥{c.value:,.2f}"
        return f"{SYMBOL[c.operator]} {value}（{c.boundary_word}）"
    if isinstance(c, Flag):
        return "须为“是”"
    if isinstance(c, OneOf):
        return "须为" + "或".join(c.name_of(v) for v in c.values)
    if isinstance(c, FullYear):
        return f"不晚于申报年度1月1日（{c.boundary_word}）"
    return f"{SYMBOL[c.operator]} {c.value * 100:.0f}%（{c.boundary_word}）"


def compare(value: Decimal | int, operator: str, threshold: Decimal) -> bool:
    return OPERATORS[operator](Decimal(value), threshold)


def threshold(clause: int, c: Threshold, facts: dict[str, Any]) -> Step:
    value = facts[c.fact]
    ok = compare(value, c.operator, c.value)
    sym = SYMBOL[c.operator] if ok else NEGATED[c.operator]
    v, t = show(value, c.unit), show(c.value, c.unit)
    verdict, verdict_en = ("满足", "met") if ok else ("不满足", "not met")
    return Step(
        clause=clause,
        code="threshold_met" if ok else "threshold_not_met",
        message=f"{c.label} {v} {sym} {t}（{c.boundary_word}），{verdict}",
        message_en=f"{c.fact} {v} {sym} {t} ({c.boundary_word}): {verdict_en}",
        fact=c.fact,
        value=str(value),
        operator=c.operator,
        threshold=str(c.value),
        boundary_word=c.boundary_word,
        passed=ok,
        condition=c.id,
    )


def flag(clause: int, c: Flag, facts: dict[str, Any]) -> Step:
    ok = facts[c.fact] is True
    return Step(
        clause=clause,
        code="condition_met" if ok else "condition_not_met",
        message=f"{c.label}：{'是' if ok else '否'}，{'满足' if ok else '不满足'}",
        message_en=f"{c.fact} is {'true' if ok else 'false'}: {'met' if ok else 'not met (must be true)'}",
        fact=c.fact,
        value="true" if ok else "false",
        operator="==",
        threshold="true",
        passed=ok,
        condition=c.id,
    )


def one_of(clause: int, c: OneOf, facts: dict[str, Any]) -> Step:
    value = facts[c.fact]
    ok = value in c.values
    zh = c.name_of(value)
    allowed = "或".join(c.name_of(x) for x in c.values)
    return Step(
        clause=clause,
        code="condition_met" if ok else "condition_not_met",
        message=f"{c.label}：{zh}，{'满足' if ok else f'不满足（应为{allowed}）'}",
        message_en=f"{c.fact} is {value}: {'met' if ok else 'not met (expected ' + ' or '.join(c.values) + ')'}",
        fact=c.fact,
        value=str(value),
        operator="in",
        threshold=",".join(c.values),
        passed=ok,
        condition=c.id,
    )


def full_year(clause: int, c: FullYear, facts: dict[str, Any], year: int) -> Step:
    """满一年 / 整年度: the whole 申报年度 lies after the date, i.e. date ≤ 1 January of the year."""
    date: dt.date = facts[c.fact]
    start = dt.date(year, 1, 1)
    ok = date <= start
    sym = "≤" if ok else ">"
    return Step(
        clause=clause,
        code="condition_met" if ok else "condition_not_met",
        message=f"{c.label}：{date.isoformat()} {sym} {start.isoformat()}（申报年度 {year} 须为{c.boundary_word}），"
        f"{'满足' if ok else '不满足'}",
        message_en=f"{c.fact} {date.isoformat()} {sym} {start.isoformat()} (the {year} figures must cover a "
        f"full year after it: {c.boundary_word}): {'met' if ok else 'not met'}",
        fact=c.fact,
        value=date.isoformat(),
        operator="<=",
        threshold=start.isoformat(),
        boundary_word=c.boundary_word,
        passed=ok,
        condition=c.id,
    )


def growth(clause: int, c: Growth, facts: dict[str, Any]) -> Step:
    """Growth (this − prior) / prior, compared exactly (no rounding before the comparison)."""
    now, prior = Decimal(facts[c.fact]), Decimal(facts[c.prior_fact])
    target = f"{(c.value * 100).normalize():f}%"
    if prior <= 0:
        return Step(
            clause=clause,
            code="condition_not_met",
            message=f"{c.label}：{c.prior_label or c.prior_fact}为 {prior:,.2f} 元，无法计算增幅，不满足（{c.boundary_word}{target}）",
            message_en=f"growth of {c.fact}: {c.prior_fact} is {prior:,.2f}, growth cannot be computed: not met",
            fact=c.fact,
            value=str(now),
            operator=c.operator,
            threshold=str(c.value),
            boundary_word=c.boundary_word,
            passed=False,
            condition=c.id,
        )
    ok = compare(now - prior, c.operator, c.value * prior)
    ratio = (now - prior) / prior * 100
    shown = ratio.quantize(Decimal("0.0001"), rounding=ROUND_DOWN)
    approx = "" if shown == ratio else "约"
    sym = SYMBOL[c.operator] if ok else NEGATED[c.operator]
    return Step(
        clause=clause,
        code="threshold_met" if ok else "threshold_not_met",
        message=f"{c.label}：（{now:,.2f} − {prior:,.2f}）÷ {prior:,.2f} = {approx}{shown.normalize():f}% "
        f"{sym} {target}（{c.boundary_word}），{'满足' if ok else '不满足'}",
        message_en=f"growth of {c.fact}: {approx and '~'}{shown.normalize():f}% {sym} {target} "
        f"({c.boundary_word}): {'met' if ok else 'not met'}",
        fact=c.fact,
        value=f"{ratio / 100}",
        operator=c.operator,
        threshold=str(c.value),
        boundary_word=c.boundary_word,
        passed=ok,
        condition=c.id,
    )


def evaluate(clause: int, c: Condition, facts: dict[str, Any], year: int) -> Step:
    """One condition, by its kind (each kind implemented once, above)."""
    if isinstance(c, Threshold):
        return threshold(clause, c, facts)
    if isinstance(c, Flag):
        return flag(clause, c, facts)
    if isinstance(c, OneOf):
        return one_of(clause, c, facts)
    if isinstance(c, FullYear):
        return full_year(clause, c, facts, year)
    return growth(clause, c, facts)
