"""One small pure function per clause: facts and the policy's numbers in, an assessment out.

Every number comes from the policy data file (`ctx.clause`); the functions only say how the
clause combines them. Docstrings restate the clause; the data file holds its verbatim text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from zzcbec_docs.bundle.model import PriorAward, competition_key
from zzcbec_docs.money import ZERO, fmt_yuan, round_cents
from zzcbec_docs.policy.model import Clause, Policy, Tier
from zzcbec_docs.rules import conditions as cond
from zzcbec_docs.rules.model import Step


@dataclass(frozen=True)
class ClaimContext:
    policy: Policy
    clause: Clause
    facts: dict[str, Any]
    year: int
    prior: tuple[PriorAward, ...]  # this applicant's earlier awards (bundle and ledger)
    competition_name: str | None = None


@dataclass
class Assessment:
    steps: list[Step] = field(default_factory=list)
    amount: Decimal = ZERO
    computed: Decimal | None = None
    cap: Decimal | None = None

    @property
    def failed(self) -> list[Step]:
        return failed_steps(self.steps)


def failed_steps(steps: list[Step]) -> list[Step]:
    """The steps that make a claim ineligible (an alternative that fails is not one)."""
    return [s for s in steps if s.passed is False and s.code != "alternative"]


# ---------------------------------------------------------------- building blocks


def check_conditions(ctx: ClaimContext) -> Assessment:
    a = Assessment()
    for c in ctx.clause.conditions:
        a.steps.append(cond.evaluate(ctx.clause.number, c, ctx.facts, ctx.year))
    return a


def _pct(rate: Decimal) -> str:
    """30% / 3% / 0.5‰, as the policy writes them."""
    percent = rate * 100
    if percent == percent.to_integral_value():
        return f"{percent.normalize():f}%"
    return f"{(rate * 1000).normalize():f}‰"


def rated(ctx: ClaimContext, a: Assessment, base: Decimal, rate: Decimal, label: str) -> Decimal:
    """rate × base, rounded half-up to 0.01 元 before any cap (rules.md, Money)."""
    exact = base * rate
    amount = round_cents(exact)
    rounding = "" if exact == amount else f"（{exact.normalize():f} 四舍五入至分）"
    a.steps.append(Step(
        clause=ctx.clause.number, code="amount_rate",
        message=f"{label} {fmt_yuan(base)} × {_pct(rate)} = {fmt_yuan(amount)}{rounding}",
        message_en=f"{fmt_yuan(base)} × {rate.normalize():f} = {fmt_yuan(amount)}"
        + (f" (rounded half-up from {exact.normalize():f})" if rounding else ""),
        value=str(base), threshold=str(rate),
    ))
    a.computed = amount
    return amount


def prior_sum(ctx: ClaimContext, *, same_year: bool, competition: bool = False) -> tuple[Decimal, list[PriorAward]]:
    hits = [
        p for p in ctx.prior
        if p.clause == ctx.clause.number
        and (not same_year or p.year == ctx.year)
        and (not competition or competition_key(p.competition_name) == competition_key(ctx.competition_name))
    ]
    return sum((p.amount for p in hits), ZERO), hits


def _which(hits: list[PriorAward]) -> str:
    parts = []
    for p in hits:
        ref = f"，{p.reference}" if p.reference else ""
        src = {"ledger": "台账", "batch": "本批次"}.get(p.source, "申报材料")
        parts.append(f"{p.year}年 {fmt_yuan(p.amount)}（{src}{ref}）")
    return "；".join(parts)


def capped(ctx: ClaimContext, a: Assessment, amount: Decimal, cap: Decimal, *,
           same_year: bool, competition: bool = False, scope: str = "每年") -> Decimal:
    """不超过 cap, counting what this applicant already got under the clause in the scope."""
    n = ctx.clause.number
    word = ctx.clause.cap.boundary_word if ctx.clause.cap else "不超过"
    already, hits = prior_sum(ctx, same_year=same_year, competition=competition)
    remaining = max(cap - already, ZERO)
    a.cap = cap
    if already > 0:
        a.steps.append(Step(
            clause=n, code="prior_awards",
            message=f"本条已获奖励 {fmt_yuan(already)}：{_which(hits)}；{scope}上限 {fmt_yuan(cap)}，"
            f"尚余 {fmt_yuan(remaining)}",
            message_en=f"already awarded under clause {n}: {fmt_yuan(already)}; cap {fmt_yuan(cap)}, "
            f"remaining {fmt_yuan(remaining)}",
            value=str(already), threshold=str(cap),
        ))
    if remaining <= 0:
        a.steps.append(Step(
            clause=n, code="cap_used_up",
            message=f"{scope}上限 {fmt_yuan(cap)}（{word}）已用完：{_which(hits)}",
            message_en=f"the cap of {fmt_yuan(cap)} ({word}) is used up by earlier awards",
            value=str(already), operator="<", threshold=str(cap), boundary_word=word, passed=False,
        ))
        return ZERO
    if amount > remaining:
        a.steps.append(Step(
            clause=n, code="cap_applied",
            message=f"{fmt_yuan(amount)} 超过可用上限 {fmt_yuan(remaining)}（{word}{fmt_yuan(cap)}），"
            f"按 {fmt_yuan(remaining)} 计",
            message_en=f"{fmt_yuan(amount)} exceeds the available cap {fmt_yuan(remaining)} "
            f"({word} {fmt_yuan(cap)}): {fmt_yuan(remaining)} paid",
            value=str(amount), operator="<=", threshold=str(remaining), boundary_word=word,
        ))
        return remaining
    a.steps.append(Step(
        clause=n, code="cap_checked",
        message=f"{fmt_yuan(amount)} ≤ {fmt_yuan(remaining)}（{word}{fmt_yuan(cap)}），未触及上限",
        message_en=f"{fmt_yuan(amount)} ≤ {fmt_yuan(remaining)} ({word} {fmt_yuan(cap)}): cap not reached",
        value=str(amount), operator="<=", threshold=str(remaining), boundary_word=word,
    ))
    return amount


def once_only(ctx: ClaimContext, a: Assessment, *, same_year: bool) -> bool:
    """一次性 (same_year=False) or once a year: any earlier award under the clause blocks it."""
    already, hits = prior_sum(ctx, same_year=same_year)
    if not hits:
        return True
    n = ctx.clause.number
    scope, scope_en = ("本年度", "this year") if same_year else ("", "")
    a.steps.append(Step(
        clause=n, code="already_awarded",
        message=f"本条奖励为{ctx.clause.cap.boundary_word if ctx.clause.cap else '一次性'}，"
        f"该申请人{scope}已获本条奖励：{_which(hits)}",
        message_en=f"clause {n} pays once{(' ' + scope_en) if scope_en else ''}; "
        f"this applicant was already awarded {fmt_yuan(already)}",
        value=str(already), boundary_word=ctx.clause.cap.boundary_word if ctx.clause.cap else None,
        passed=False,
    ))
    return False


def highest_tier(ctx: ClaimContext, a: Assessment, tiers: tuple[Tier, ...], fact: str, label: str) -> Tier | None:
    value = Decimal(ctx.facts[fact])
    reached = [t for t in tiers if cond.compare(value, t.operator, t.value)]
    if not reached:
        return None
    top = max(reached, key=lambda t: t.value)
    a.steps.append(Step(
        clause=ctx.clause.number, code="tier",
        message=f"{label} {cond.show(value, None)} {cond.SYMBOL[top.operator]} {cond.show(top.value, None)}"
        f"（{top.boundary_word}），适用最高档：{fmt_yuan(top.amount or ZERO)}",
        message_en=f"{fact} {value:,.2f} {cond.SYMBOL[top.operator]} {top.value:,.2f} "
        f"({top.boundary_word}): highest tier reached pays {fmt_yuan(top.amount or ZERO)}",
        fact=fact, value=str(value), operator=top.operator, threshold=str(top.value),
        boundary_word=top.boundary_word, passed=True,
    ))
    a.computed = top.amount
    return top


def assess_with(ctx: ClaimContext, amount_fn: Callable[[ClaimContext, Assessment], Decimal]) -> Assessment:
    """Conditions first (every one, so that every failed one is a reason), then the amount."""
    a = check_conditions(ctx)
    if not a.failed:
        a.amount = amount_fn(ctx, a)
    return a


def _rate_then_cap_per_year(ctx: ClaimContext, a: Assessment) -> Decimal:
    rule = ctx.clause.amount
    assert rule and rule.rate is not None and ctx.clause.cap and ctx.clause.cap.amount is not None
    base = sum((Decimal(ctx.facts[f]) for f in rule.base), ZERO)
    amount = rated(ctx, a, base, rule.rate, rule.base_label)
    return capped(ctx, a, amount, ctx.clause.cap.amount, same_year=True)


# ---------------------------------------------------------------- the clauses


def clause_01(ctx: ClaimContext) -> Assessment:
    """（一）年进出口额达到1000万元以上的企业，按网络推广、独立站建设等费用的30%，每年不超过50万元。"""
    return assess_with(ctx, _rate_then_cap_per_year)


def clause_02(ctx: ClaimContext) -> Assessment:
    """（二）持《支付业务许可证》、在我市设全国性或区域性总部、跨境结算规模不低于100亿元的
    第三方支付平台，一次性奖励500万元。"""

    def amount(ctx: ClaimContext, a: Assessment) -> Decimal:
        if not once_only(ctx, a, same_year=False):
            return ZERO
        rule = ctx.clause.amount
        assert rule and rule.value is not None
        a.computed = rule.value
        a.steps.append(Step(
            clause=ctx.clause.number, code="amount_fixed",
            message=f"一次性奖励 {fmt_yuan(rule.value)}", message_en=f"one-time award {fmt_yuan(rule.value)}",
        ))
        return rule.value

    return assess_with(ctx, amount)


def clause_03(ctx: ClaimContext) -> Assessment:
    """（三）在郑州设全国性或区域性总部的跨境电商企业，落户后整年度跨境电商进出口额首次超过
    5亿元、10亿元的，分别一次性奖励200万元、400万元。按“补差”理解（政策文件中的 clause3_reading）。"""

    def amount(ctx: ClaimContext, a: Assessment) -> Decimal:
        rule = ctx.clause.amount
        assert rule and rule.fact
        top = highest_tier(ctx, a, rule.tiers, rule.fact, rule.label)
        if top is None or top.amount is None:  # the threshold condition already failed
            return ZERO
        already, hits = prior_sum(ctx, same_year=False)
        n = ctx.clause.number
        a.cap = top.amount
        if not hits:
            return top.amount
        rest = top.amount - already
        if rest <= 0:
            a.steps.append(Step(
                clause=n, code="already_awarded",
                message=f"按补差理解：本档 {fmt_yuan(top.amount)} 已由此前奖励 {_which(hits)} 付清",
                message_en=f"top-up reading: the tier's {fmt_yuan(top.amount)} is already paid by earlier awards",
                value=str(already), threshold=str(top.amount), boundary_word="首次", passed=False,
            ))
            return ZERO
        a.steps.append(Step(
            clause=n, code="top_up",
            message=f"按补差理解：{fmt_yuan(top.amount)} − 此前已获 {fmt_yuan(already)}（{_which(hits)}）"
            f"= {fmt_yuan(rest)}",
            message_en=f"top-up reading: {fmt_yuan(top.amount)} − {fmt_yuan(already)} already paid = {fmt_yuan(rest)}",
            value=str(already), threshold=str(top.amount),
        ))
        return rest

    return assess_with(ctx, amount)


def clause_05(ctx: ClaimContext) -> Assessment:
    """（五）服务跨境电商企业30家以上、营业收入不低于1000万元且增幅不低于10%的服务企业，
    按营业收入的3%，给予不超过100万元的一次性奖励。"""

    def amount(ctx: ClaimContext, a: Assessment) -> Decimal:
        if not once_only(ctx, a, same_year=False):
            return ZERO
        rule, cap = ctx.clause.amount, ctx.clause.cap
        assert rule and rule.rate is not None and cap and cap.amount is not None
        base = sum((Decimal(ctx.facts[f]) for f in rule.base), ZERO)
        value = rated(ctx, a, base, rule.rate, rule.base_label)
        return capped(ctx, a, value, cap.amount, same_year=False, scope="一次性")

    return assess_with(ctx, amount)


def clause_06(ctx: ClaimContext) -> Assessment:
    """（六）利用郑州市物流配送体系、年进出口额达2000万元以上、年国际物流费用（含邮政小包）
    达200万元以上的企业，按国际物流费用的10%，每年不超过200万元。"""
    return assess_with(ctx, _rate_then_cap_per_year)


def clause_07(ctx: ClaimContext) -> Assessment:
    """（七）服务郑州跨境电商企业100家以上、年通关单量5000万单、进出口额50亿元以上的公共服务平台，
    按进出口额的0.5‰奖励，每年最高不超过300万元（市级财政承担）。"""
    return assess_with(ctx, _rate_then_cap_per_year)


def clause_08(ctx: ClaimContext) -> Assessment:
    """（八）入驻跨境电商企业超过20家的产业园，年外贸进出口额达到20亿、50亿、100亿以上的，
    分别给予园区运营单位10万元、30万元、60万元运营奖励（只取最高档，每年一次）。"""

    def amount(ctx: ClaimContext, a: Assessment) -> Decimal:
        if not once_only(ctx, a, same_year=True):
            return ZERO
        rule = ctx.clause.amount
        assert rule and rule.fact
        top = highest_tier(ctx, a, rule.tiers, rule.fact, rule.label)
        return top.amount if top and top.amount is not None else ZERO

    return assess_with(ctx, amount)


def clause_09(ctx: ClaimContext) -> Assessment:
    """（九）入驻省级以上电子商务类示范园区（基地）的企业：年跨境电商进出口额超1亿元（或服务类营收
    3000万元以上）按综合服务费的60%、每年不超过50万元；超5000万元（或1500万元）按30%、每年不超过20万元。
    综合服务费含房租、物业、保税区内仓储服务等，不含水电费。"""
    a = check_conditions(ctx)
    rule = ctx.clause.amount
    assert rule and rule.fee_fact
    n = ctx.clause.number
    chosen = None
    tier_steps: list[Step] = []
    for tier in rule.tiers:
        steps = [cond.evaluate(n, c, ctx.facts, ctx.year) for c in tier.any_of]
        hit = any(s.passed for s in steps)
        # alternatives: shown with their result, but one failing is not a reason (the other may hold)
        tier_steps += [Step(**{**s.__dict__, "code": "alternative", "message": s.message + "（两项择一）",
                               "message_en": s.message_en + " (either one suffices)"}) for s in steps]
        if hit:
            chosen = tier
            tier_steps.append(Step(
                clause=n, code="tier",
                message=f"适用第{tier.id}档：补贴比例 {_pct(tier.rate or ZERO)}，每年不超过 {fmt_yuan(tier.cap or ZERO)}",
                message_en=f"tier {tier.id} applies: {_pct(tier.rate or ZERO)}, at most {fmt_yuan(tier.cap or ZERO)} a year",
                passed=True,
            ))
            break
    a.steps += tier_steps
    if chosen is None:
        last = rule.tiers[-1]
        parts = "或".join(f"{c.label}{cond.SYMBOL[c.operator or '>=']}{cond.show(c.value or ZERO, c.unit)}（{c.boundary_word}）"
                         for c in last.any_of)
        a.steps.append(Step(
            clause=n, code="threshold_not_met",
            message=f"未达到任何一档：最低档须 {parts}；实际 年跨境电商进出口额 "
            f"{cond.show(ctx.facts['cbec_import_export'], None)}，服务类营收 {cond.show(ctx.facts['service_revenue'], None)}",
            message_en="no tier reached: the lowest needs "
            + " or ".join(f"{c.fact} {cond.SYMBOL[c.operator or '>=']} {c.value:,.2f}" for c in last.any_of),
            fact="cbec_import_export", value=str(ctx.facts["cbec_import_export"]),
            operator=last.any_of[0].operator, threshold=str(last.any_of[0].value),
            boundary_word=last.any_of[0].boundary_word, passed=False,
        ))
    if a.failed:
        return a
    assert chosen and chosen.rate is not None and chosen.cap is not None
    fees: dict[str, Decimal] = ctx.facts[rule.fee_fact]
    counted = {k: v for k, v in fees.items() if k not in rule.excluded_fees}
    left_out = {k: v for k, v in fees.items() if k in rule.excluded_fees}
    base = sum(counted.values(), ZERO)
    if left_out:
        a.steps.append(Step(
            clause=n, code="fees_excluded",
            message=f"水电费 {fmt_yuan(sum(left_out.values(), ZERO))} 不计入综合服务费（不含水电费）",
            message_en=f"utilities {fmt_yuan(sum(left_out.values(), ZERO))} are not counted (不含水电费)",
        ))
    value = rated(ctx, a, base, chosen.rate, rule.base_label)
    a.amount = capped(ctx, a, value, chosen.cap, same_year=True)
    return a


def _requested_then_cap(ctx: ClaimContext, a: Assessment, *, competition: bool) -> Decimal:
    rule, cap = ctx.clause.amount, ctx.clause.cap
    assert rule and rule.fact and cap and cap.amount is not None
    asked = Decimal(ctx.facts[rule.fact])
    a.computed = asked
    a.steps.append(Step(
        clause=ctx.clause.number, code="amount_requested",
        message=f"{rule.base_label} {fmt_yuan(asked)}", message_en=f"requested {fmt_yuan(asked)}",
        value=str(asked),
    ))
    # 单个活动不超过: a competition is one activity, whatever year its earlier awards were booked in
    scope = f"单个活动（{ctx.competition_name}）" if competition else "每年"
    return capped(ctx, a, asked, cap.amount, same_year=not competition, competition=competition, scope=scope)


def clause_10(ctx: ClaimContext) -> Assessment:
    """（十）参加人才孵化项目的跨境电商企业，每年不超过1万元资金扶持。"""
    return assess_with(ctx, lambda c, a: _requested_then_cap(c, a, competition=False))


def clause_11(ctx: ClaimContext) -> Assessment:
    """（十一）经批准在郑州市举办的跨境电商竞赛，给予举办方单个活动不超过20万元（市级财政承担）。"""
    return assess_with(ctx, lambda c, a: _requested_then_cap(c, a, competition=True))


def clause_12(ctx: ClaimContext) -> Assessment:
    """（十二）在郑州市域内建跨境电商线下店，累计营业面积超过1000平米、经营满一年、年跨境电商零售
    进口额超过3000万元的，按每平方米300元奖励，每家企业每年不超过100万元。"""

    def amount(ctx: ClaimContext, a: Assessment) -> Decimal:
        rule, cap = ctx.clause.amount, ctx.clause.cap
        assert rule and rule.fact and rule.unit_amount is not None and cap and cap.amount is not None
        area = Decimal(ctx.facts[rule.fact])
        exact = area * rule.unit_amount
        value = round_cents(exact)
        a.computed = value
        a.steps.append(Step(
            clause=ctx.clause.number, code="amount_per_unit",
            message=f"{rule.base_label} {cond.show(area, rule.unit)} × {fmt_yuan(rule.unit_amount)}/{rule.unit} "
            f"= {fmt_yuan(value)}",
            message_en=f"{area} m² × {fmt_yuan(rule.unit_amount)} = {fmt_yuan(value)}",
            value=str(area), threshold=str(rule.unit_amount),
        ))
        return capped(ctx, a, value, cap.amount, same_year=True)

    return assess_with(ctx, amount)


CLAUSE_RULES: dict[int, Callable[[ClaimContext], Assessment]] = {
    1: clause_01, 2: clause_02, 3: clause_03, 5: clause_05, 6: clause_06, 7: clause_07,
    8: clause_08, 9: clause_09, 10: clause_10, 11: clause_11, 12: clause_12,
}
