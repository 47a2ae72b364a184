"""The cap frequencies of the policy data, each implemented once.

A frequency says which earlier awards count against the clause: `gate` refuses a claim that
may be paid only once (in all, or a year) when one was paid; `limit` applies the cap amount
to the computed amount, counting what was already paid in its scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from zzcbec_docs.money import ZERO, fmt_yuan
from zzcbec_docs.rules import wording as W
from zzcbec_docs.rules.context import Assessment, ClaimContext, capped, once_only, prior_sum, which
from zzcbec_docs.rules.model import Step

if TYPE_CHECKING:
    from zzcbec_docs.bundle.model import PriorAward
    from zzcbec_docs.policy.model import Policy


def gate(ctx: ClaimContext, a: Assessment) -> bool:
    """一次性 / 每年一次: any earlier award under the clause (in all / this year) ends the claim."""
    frequency = ctx.cap.frequency
    if frequency == "one_time":
        return once_only(ctx, a, same_year=False)
    if frequency == "once_per_year":
        return once_only(ctx, a, same_year=True)
    return True


def reading(ctx: ClaimContext) -> str:
    """The named reading the clause's cap applies (`top_up` unless the policy's setting says otherwise)."""
    name = ctx.cap.reading
    setting = ctx.policy.settings.get(name) if name else None
    return setting.value if setting is not None else "top_up"


def each_tier(ctx: ClaimContext, a: Assessment, value: Decimal) -> Decimal:
    """首次超过…分别给予一次性…, read as “每档各一次” (the `each_tier` setting): the tier reached is paid in
    full, unless an earlier award under the clause already paid that much (the tier, or a higher one)."""
    n = ctx.clause.number
    a.cap = value
    _, hits = prior_sum(ctx, same_year=False)
    paid = [p for p in hits if (p.tier if p.tier is not None else p.amount) >= value]
    if paid:
        a.steps.append(
            Step(
                clause=n,
                code=W.EACH_TIER_PAID.code,
                message=W.EACH_TIER_PAID.zh(value=fmt_yuan(value), which=which(paid)),
                message_en=W.EACH_TIER_PAID.en(value=fmt_yuan(value)),
                value=str(paid[0].amount),
                threshold=str(value),
                boundary_word="首次",
                passed=False,
            )
        )
        return ZERO
    return value


def top_up(ctx: ClaimContext, a: Assessment, value: Decimal) -> Decimal:
    """首次超过…分别给予一次性…, read as “补差” (the `top_up` setting): the highest tier reached minus what
    the clause already paid this applicant, at most this claim's own tier; nothing left → no award.

    The highest tier reached is this claim's, or the tier a standing earlier award was decided under
    (the ledger records it): so an award revoked for a clerical error and issued again tops up to exactly
    what the policy pays (400万 in all once 10亿 was passed), not less because a later top-up stands."""
    if reading(ctx) == "each_tier":
        return each_tier(ctx, a, value)
    already, hits = prior_sum(ctx, same_year=False)
    n = ctx.clause.number
    a.cap = value
    if not hits:
        return value
    reached = max([value, *(p.tier for p in hits if p.tier is not None)])
    rest = min(value, reached - already)
    if reached > value and rest > 0:
        a.steps.append(
            Step(
                clause=n,
                code="top_up",
                message=f"按补差理解：已达档次 {fmt_yuan(reached)} − 此前已获 {fmt_yuan(already)}（{which(hits)}）"
                f"= {fmt_yuan(reached - already)}，以本档 {fmt_yuan(value)} 为限，核定 {fmt_yuan(rest)}",
                message_en=f"top-up reading: the tier reached {fmt_yuan(reached)} − {fmt_yuan(already)} already paid "
                f"= {fmt_yuan(reached - already)}, at most this tier's {fmt_yuan(value)}: {fmt_yuan(rest)}",
                value=str(already),
                threshold=str(reached),
            )
        )
        return rest
    if rest <= 0:
        a.steps.append(
            Step(
                clause=n,
                code=W.TOP_UP_PAID.code,
                message=W.TOP_UP_PAID.zh(value=fmt_yuan(value), which=which(hits)),
                message_en=W.TOP_UP_PAID.en(value=fmt_yuan(value)),
                value=str(already),
                threshold=str(value),
                boundary_word="首次",
                passed=False,
            )
        )
        return ZERO
    a.steps.append(
        Step(
            clause=n,
            code="top_up",
            message=f"按补差理解：{fmt_yuan(value)} − 此前已获 {fmt_yuan(already)}（{which(hits)}）= {fmt_yuan(rest)}",
            message_en=f"top-up reading: {fmt_yuan(value)} − {fmt_yuan(already)} already paid = {fmt_yuan(rest)}",
            value=str(already),
            threshold=str(value),
        )
    )
    return rest


def limit(ctx: ClaimContext, a: Assessment, value: Decimal, method_cap: Decimal | None) -> Decimal:
    """The computed amount within the cap of the clause's frequency."""
    cap = ctx.cap
    amounts = [x for x in (cap.amount, method_cap) if x is not None]
    ceiling = min(amounts) if amounts else None
    frequency = cap.frequency
    if frequency == "one_time_per_tier":
        paid = top_up(ctx, a, value)
        if ceiling is not None and paid > 0:
            return capped(ctx, a, paid, ceiling, same_year=False, scope=W.CAP_SCOPE_ONCE)
        return paid
    if ceiling is None:
        return value
    if frequency == "one_time":
        return capped(ctx, a, value, ceiling, same_year=False, scope=W.CAP_SCOPE_ONCE)
    if frequency == "per_competition":
        return capped(
            ctx,
            a,
            value,
            ceiling,
            same_year=False,
            competition=True,
            scope=W.CAP_SCOPE_ITEM.zh(item=ctx.competition_name),
        )
    # per_year, once_per_year: the same applicant, the same clause, the same 申报年度
    return capped(ctx, a, value, ceiling, same_year=True)


def cap_use(
    policy: Policy,
    clause_number: int,
    year: int,
    facts: Mapping[str, Any],
    prior: Iterable[PriorAward],
    *,
    uscc: str,
    competition_name: str | None = None,
) -> tuple[tuple[Any, ...], Decimal, Decimal] | None:
    """(scope, cap, used): the cap a claim of the clause meets now and how much of it the `prior`
    awards already use, by the same `gate` and `limit` that decide claims (the dashboard's 上限使用率).

    The scope is the frequency's: the applicant (one-time), the applicant and year (per year, once a
    year), the competition (per competition). The cap is the clause's amount, a fee tier's own cap
    (from `facts`) or, where the clause names no amount, the amount the facts give (a one-time or
    once-a-year award is used up once paid). None: the clause pays no amount of its own."""
    from zzcbec_docs.bundle.model import competition_key
    from zzcbec_docs.rules import amounts

    clause = policy.clauses.get(clause_number)
    if clause is None or clause.amount is None:
        return None
    ctx = ClaimContext(policy, clause, dict(facts), year, tuple(prior), competition_name)
    frequency = ctx.cap.frequency
    if frequency == "per_competition":
        scope: tuple[Any, ...] = ("competition", competition_key(competition_name))
    elif frequency in ("one_time", "one_time_per_tier"):
        scope = (uscc,)
    else:
        scope = (uscc, year)
    a = Assessment()
    value: Decimal | None = None
    try:
        amounts.qualify(ctx, a)
        if not a.failed:
            value = amounts.compute(ctx, a, clause.amount)
    except (KeyError, TypeError, ValueError, ArithmeticError):  # facts the ledger's case does not hold
        value = None
    if a.failed:
        value = None
    method = amounts.method_cap(a)
    ceilings = [x for x in (ctx.cap.amount, method) if x is not None]
    ceiling = min(ceilings) if ceilings else value
    if ceiling is None or ceiling <= 0:
        return None
    if not gate(ctx, Assessment()):
        return scope, ceiling, ceiling
    room = limit(ctx, Assessment(), ceiling, method)
    return scope, ceiling, max(ceiling - room, ZERO)
