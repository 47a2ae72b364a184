"""The amount methods of the policy data, each implemented once.

`qualify` runs with the conditions (a fee subsidy's tier is part of being eligible);
`compute` runs once the claim is eligible and gives the amount before the cap's frequency.
"""

from __future__ import annotations

from decimal import Decimal

from zzcbec_docs.money import ZERO, fmt_yuan, round_cents
from zzcbec_docs.policy.model import (
    Amount,
    FeeTierAmount,
    FixedAmount,
    PerUnitAmount,
    RateAmount,
    RequestedAmount,
    Tier,
    TierAmount,
)
from zzcbec_docs.rules import conditions as cond
from zzcbec_docs.rules import wording as W
from zzcbec_docs.rules.context import Assessment, ClaimContext, pct, rated
from zzcbec_docs.rules.model import Step

# how each cap frequency is said next to a fee tier's cap (每年不超过 …)
SCOPE_WORDS = {
    "per_year": ("每年", " a year"),
    "once_per_year": ("每年", " a year"),
    "one_time": ("一次性", " once"),
    "one_time_per_tier": ("一次性", " once"),
    "per_competition": ("单个活动", " per item"),
}


def rate(ctx: ClaimContext, a: Assessment, rule: RateAmount) -> Decimal:
    """按…费用的30%: the rate of the sum of the base facts, rounded to the cent."""
    base = sum((Decimal(ctx.facts[f]) for f in rule.base), ZERO)
    return rated(ctx, a, base, rule.rate, rule.base_label)


def fixed(ctx: ClaimContext, a: Assessment, rule: FixedAmount) -> Decimal:
    """给予一次性500万元: the sum the clause names."""
    once = ctx.cap.frequency in ("one_time", "one_time_per_tier")
    a.computed = rule.value
    a.steps.append(
        Step(
            clause=ctx.clause.number,
            code="amount_fixed",
            message=f"{'一次性奖励' if once else '定额奖励'} {fmt_yuan(rule.value)}",
            message_en=f"{'one-time' if once else 'fixed'} award {fmt_yuan(rule.value)}",
        )
    )
    return rule.value


def highest_tier(ctx: ClaimContext, a: Assessment, tiers: tuple[Tier, ...], fact: str, label: str) -> Tier | None:
    value = Decimal(ctx.facts[fact])
    reached = [t for t in tiers if cond.compare(value, t.operator, t.value)]
    if not reached:
        low = min(tiers, key=lambda t: t.value)
        a.steps.append(
            Step(
                clause=ctx.clause.number,
                code="threshold_not_met",
                message=W.NO_TIER.zh(
                    label=label,
                    value=cond.show(value, None),
                    symbol=cond.SYMBOL[low.operator],
                    lowest=cond.show(low.value, None),
                    boundary=low.boundary_word,
                ),
                message_en=W.NO_TIER.en(
                    fact=fact, value=f"{value:,.2f}", symbol=cond.SYMBOL[low.operator], lowest=f"{low.value:,.2f}"
                ),
                fact=fact,
                value=str(value),
                operator=low.operator,
                threshold=str(low.value),
                boundary_word=low.boundary_word,
                passed=False,
            )
        )
        return None
    top = max(reached, key=lambda t: t.value)
    a.steps.append(
        Step(
            clause=ctx.clause.number,
            code="tier",
            message=f"{label} {cond.show(value, None)} {cond.SYMBOL[top.operator]} {cond.show(top.value, None)}"
            f"（{top.boundary_word}），适用最高档：{fmt_yuan(top.amount)}",
            message_en=f"{fact} {value:,.2f} {cond.SYMBOL[top.operator]} {top.value:,.2f} "
            f"({top.boundary_word}): highest tier reached pays {fmt_yuan(top.amount)}",
            fact=fact,
            value=str(value),
            operator=top.operator,
            threshold=str(top.value),
            boundary_word=top.boundary_word,
            passed=True,
        )
    )
    a.computed = top.amount
    return top


def tiers(ctx: ClaimContext, a: Assessment, rule: TierAmount) -> Decimal:
    """分别给予10万元、30万元、60万元: the highest tier reached."""
    top = highest_tier(ctx, a, rule.tiers, rule.fact, rule.label)
    return top.amount if top is not None else ZERO


def per_unit(ctx: ClaimContext, a: Assessment, rule: PerUnitAmount) -> Decimal:
    """每平方米300元: the quantity times the sum per unit, rounded to the cent."""
    quantity = Decimal(ctx.facts[rule.fact])
    exact = quantity * rule.unit_amount
    value = round_cents(exact)
    a.computed = value
    a.steps.append(
        Step(
            clause=ctx.clause.number,
            code="amount_per_unit",
            message=f"{rule.base_label} {cond.show(quantity, rule.unit)} × {fmt_yuan(rule.unit_amount)}/{rule.unit} "
            f"= {fmt_yuan(value)}",
            message_en=f"{quantity} {'m²' if rule.unit == '平方米' else rule.unit} × {fmt_yuan(rule.unit_amount)} "
            f"= {fmt_yuan(value)}",
            value=str(quantity),
            threshold=str(rule.unit_amount),
        )
    )
    return value


def requested(ctx: ClaimContext, a: Assessment, rule: RequestedAmount) -> Decimal:
    """不超过…的资金扶持: what the applicant asks for (the cap's frequency limits it)."""
    asked = Decimal(ctx.facts[rule.fact])
    a.computed = asked
    a.steps.append(
        Step(
            clause=ctx.clause.number,
            code="amount_requested",
            message=f"{rule.base_label} {fmt_yuan(asked)}",
            message_en=f"requested {fmt_yuan(asked)}",
            value=str(asked),
        )
    )
    return asked


def qualify_fee_tier(ctx: ClaimContext, a: Assessment, rule: FeeTierAmount) -> None:
    """The first tier one of whose alternatives holds; none → ineligible (the lowest tier's gap is the reason)."""
    n = ctx.clause.number
    scope, scope_en = SCOPE_WORDS.get(ctx.cap.frequency, ("", ""))
    for tier in rule.tiers:
        steps = [cond.threshold(n, c, ctx.facts) for c in tier.any_of]
        hit = any(s.passed for s in steps)
        # alternatives: shown with their result, but one failing is not a reason (another may hold)
        choose = "两项择一" if len(steps) == 2 else f"{len(steps)}项择一"
        a.steps += [
            Step(
                **{
                    **s.__dict__,
                    "code": "alternative",
                    "message": s.message + f"（{choose}）",
                    "message_en": s.message_en + " (either one suffices)",
                }
            )
            for s in steps
        ]
        if hit:
            a.tier = tier
            a.steps.append(
                Step(
                    clause=n,
                    code="tier",
                    message=f"适用第{tier.id}档：补贴比例 {pct(tier.rate)}，{scope}不超过 {fmt_yuan(tier.cap)}",
                    message_en=f"tier {tier.id} applies: {pct(tier.rate)}, at most {fmt_yuan(tier.cap)}{scope_en}",
                    passed=True,
                )
            )
            return
    last = rule.tiers[-1]
    parts = "或".join(
        f"{c.label}{cond.SYMBOL[c.operator]}{cond.show(c.value, c.unit)}（{c.boundary_word}）" for c in last.any_of
    )
    shown = {c.fact: c for c in rule.tiers[0].any_of}
    actual = "，".join(f"{c.label} {cond.show(ctx.facts[f], c.unit)}" for f, c in shown.items())
    first = last.any_of[0]
    a.steps.append(
        Step(
            clause=n,
            code="threshold_not_met",
            message=f"未达到任何一档：最低档须 {parts}；实际 {actual}",
            message_en="no tier reached: the lowest needs "
            + " or ".join(f"{c.fact} {cond.SYMBOL[c.operator]} {c.value:,.2f}" for c in last.any_of),
            fact=first.fact,
            value=str(ctx.facts[first.fact]),
            operator=first.operator,
            threshold=str(first.value),
            boundary_word=first.boundary_word,
            passed=False,
        )
    )


def fee_tiers(ctx: ClaimContext, a: Assessment, rule: FeeTierAmount) -> Decimal:
    """按实际缴纳综合服务费的60%: the tier's rate of the fees that count (不含水电费)."""
    tier = a.tier
    if tier is None:  # qualify found none; the claim is already ineligible
        return ZERO
    fees: dict[str, Decimal] = ctx.facts[rule.fee_fact]
    counted = {k: v for k, v in fees.items() if k not in rule.excluded_fees}
    left_out = {k: v for k, v in fees.items() if k in rule.excluded_fees}
    if left_out:
        what = rule.excluded_label or "、".join(rule.excluded_fees)
        total = fmt_yuan(sum(left_out.values(), ZERO))
        a.steps.append(
            Step(
                clause=ctx.clause.number,
                code="fees_excluded",
                message=f"{what} {total} 不计入{rule.counted_label or rule.base_label}（不含{what}）",
                message_en=f"{', '.join(rule.excluded_fees)} {total} are not counted (不含{what})",
            )
        )
    return rated(ctx, a, sum(counted.values(), ZERO), tier.rate, rule.base_label)


def qualify(ctx: ClaimContext, a: Assessment) -> None:
    rule = ctx.clause.amount
    if isinstance(rule, FeeTierAmount):
        qualify_fee_tier(ctx, a, rule)


def compute(ctx: ClaimContext, a: Assessment, rule: Amount) -> Decimal:
    """The amount by the method the data names."""
    if isinstance(rule, RateAmount):
        return rate(ctx, a, rule)
    if isinstance(rule, FixedAmount):
        return fixed(ctx, a, rule)
    if isinstance(rule, TierAmount):
        return tiers(ctx, a, rule)
    if isinstance(rule, PerUnitAmount):
        return per_unit(ctx, a, rule)
    if isinstance(rule, RequestedAmount):
        return requested(ctx, a, rule)
    return fee_tiers(ctx, a, rule)


def method_cap(a: Assessment) -> Decimal | None:
    """A cap that comes with the amount method (a fee tier's own cap)."""
    return a.tier.cap if a.tier is not None else None
