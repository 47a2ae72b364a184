"""What deciding one claim works with, and the building blocks the methods and caps share."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from zzcbec_docs.bundle.model import PriorAward, competition_key
from zzcbec_docs.money import ZERO, fmt_yuan, round_cents
from zzcbec_docs.policy.model import Cap, Clause, FeeTier, Policy
from zzcbec_docs.rules import wording as W
from zzcbec_docs.rules.model import Step

DEFAULT_CAP = Cap(frequency="per_year", boundary_word="不超过")  # a clause whose data names no cap


@dataclass(frozen=True)
class ClaimContext:
    policy: Policy
    clause: Clause
    facts: dict[str, Any]
    year: int
    prior: tuple[PriorAward, ...]  # this applicant's earlier awards (bundle and ledger)
    competition_name: str | None = None  # the named item of a per-item cap (a competition)

    @property
    def cap(self) -> Cap:
        return self.clause.cap or DEFAULT_CAP


@dataclass
class Assessment:
    steps: list[Step] = field(default_factory=list)
    amount: Decimal = ZERO
    computed: Decimal | None = None
    cap: Decimal | None = None
    tier: FeeTier | None = None  # the fee tier that applies (its rate and cap)

    @property
    def failed(self) -> list[Step]:
        return failed_steps(self.steps)


def failed_steps(steps: list[Step]) -> list[Step]:
    """The steps that make a claim ineligible (an alternative that fails is not one)."""
    return [s for s in steps if s.passed is False and s.code != "alternative"]


def pct(rate: Decimal) -> str:
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
    a.steps.append(
        Step(
            clause=ctx.clause.number,
            code="amount_rate",
            message=f"{label} {fmt_yuan(base)} × {pct(rate)} = {fmt_yuan(amount)}{rounding}",
            message_en=f"{fmt_yuan(base)} × {rate.normalize():f} = {fmt_yuan(amount)}"
            + (f" (rounded half-up from {exact.normalize():f})" if rounding else ""),
            value=str(base),
            threshold=str(rate),
        )
    )
    a.computed = amount
    return amount


def prior_sum(ctx: ClaimContext, *, same_year: bool, competition: bool = False) -> tuple[Decimal, list[PriorAward]]:
    hits = [
        p
        for p in ctx.prior
        if p.clause == ctx.clause.number
        and (competition or p.organiser is None)  # another organiser's award counts only per competition
        and (not same_year or p.year == ctx.year)
        and (not competition or competition_key(p.competition_name) == competition_key(ctx.competition_name))
    ]
    return sum((p.amount for p in hits), ZERO), hits


def which(hits: list[PriorAward]) -> str:
    parts = []
    for p in hits:
        ref = f"，{p.reference}" if p.reference else ""
        src = {"ledger": "台账", "batch": "本批次"}.get(p.source, "申报材料")
        if p.organiser:
            src += f"，同一竞赛的另一举办方 {p.organiser}"
        parts.append(f"{p.year}年 {fmt_yuan(p.amount)}（{src}{ref}）")
    return "；".join(parts)


def capped(
    ctx: ClaimContext,
    a: Assessment,
    amount: Decimal,
    cap: Decimal,
    *,
    same_year: bool,
    competition: bool = False,
    scope: str = W.CAP_SCOPE_YEAR,
) -> Decimal:
    """不超过 cap, counting what this applicant already got under the clause in the scope."""
    n = ctx.clause.number
    word = ctx.cap.boundary_word
    already, hits = prior_sum(ctx, same_year=same_year, competition=competition)
    remaining = max(cap - already, ZERO)
    a.cap = cap
    if already > 0:
        a.steps.append(
            Step(
                clause=n,
                code="prior_awards",
                message=f"本条已获奖励 {fmt_yuan(already)}：{which(hits)}；{scope}上限 {fmt_yuan(cap)}，"
                f"尚余 {fmt_yuan(remaining)}",
                message_en=f"already awarded under clause {n}: {fmt_yuan(already)}; cap {fmt_yuan(cap)}, "
                f"remaining {fmt_yuan(remaining)}",
                value=str(already),
                threshold=str(cap),
            )
        )
    if remaining <= 0 and already > 0:  # used up by earlier awards (a cap of 0 limits the amount to 0 below)
        a.steps.append(
            Step(
                clause=n,
                code=W.CAP_USED_UP.code,
                message=W.CAP_USED_UP.zh(scope=scope, cap=fmt_yuan(cap), word=word, which=which(hits)),
                message_en=W.CAP_USED_UP.en(cap=fmt_yuan(cap), word=word),
                value=str(already),
                operator="<",
                threshold=str(cap),
                boundary_word=word,
                passed=False,
            )
        )
        return ZERO
    if amount > remaining:
        a.steps.append(
            Step(
                clause=n,
                code="cap_applied",
                message=f"{fmt_yuan(amount)} 超过可用上限 {fmt_yuan(remaining)}（{word}{fmt_yuan(cap)}），"
                f"按 {fmt_yuan(remaining)} 计",
                message_en=f"{fmt_yuan(amount)} exceeds the available cap {fmt_yuan(remaining)} "
                f"({word} {fmt_yuan(cap)}): {fmt_yuan(remaining)} paid",
                value=str(amount),
                operator="<=",
                threshold=str(remaining),
                boundary_word=word,
            )
        )
        return remaining
    a.steps.append(
        Step(
            clause=n,
            code="cap_checked",
            message=f"{fmt_yuan(amount)} ≤ {fmt_yuan(remaining)}（{word}{fmt_yuan(cap)}），未触及上限",
            message_en=f"{fmt_yuan(amount)} ≤ {fmt_yuan(remaining)} ({word} {fmt_yuan(cap)}): cap not reached",
            value=str(amount),
            operator="<=",
            threshold=str(remaining),
            boundary_word=word,
        )
    )
    return amount


def once_only(ctx: ClaimContext, a: Assessment, *, same_year: bool) -> bool:
    """一次性 (same_year=False) or once a year: any earlier award under the clause blocks it."""
    already, hits = prior_sum(ctx, same_year=same_year)
    if not hits:
        return True
    n = ctx.clause.number
    word = ctx.cap.boundary_word
    scope, scope_en = W.ONCE_THIS_YEAR if same_year else ("", "")
    a.steps.append(
        Step(
            clause=n,
            code=W.ONCE_ONLY.code,
            message=W.ONCE_ONLY.zh(word=word, scope=scope, which=which(hits)),
            message_en=W.ONCE_ONLY.en(clause=n, scope=scope_en, already=fmt_yuan(already)),
            value=str(already),
            boundary_word=word,
            passed=False,
        )
    )
    return False
