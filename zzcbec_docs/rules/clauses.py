"""One award clause, decided from what its data says: conditions, amount method, cap frequency.

OpenFisca picks a formula by what the parameters say; here the clause's `conditions` are
evaluated by their kind (rules.conditions), its `amount` by its method (rules.amounts) and its
`cap` by its frequency (rules.caps). Nothing is written per clause number, so a new policy
text is a new data file.
"""

from __future__ import annotations

from zzcbec_docs.rules import amounts, caps
from zzcbec_docs.rules import conditions as cond
from zzcbec_docs.rules.context import Assessment, ClaimContext, failed_steps

__all__ = ["Assessment", "ClaimContext", "assess", "failed_steps"]


def assess(ctx: ClaimContext) -> Assessment:
    """Every condition (so that every failed one is a reason), then the amount within its cap."""
    a = Assessment()
    for c in ctx.clause.conditions:
        a.steps.append(cond.evaluate(ctx.clause.number, c, ctx.facts, ctx.year))
    amounts.qualify(ctx, a)
    rule = ctx.clause.amount
    if a.failed or rule is None or not caps.gate(ctx, a):
        return a
    value = amounts.compute(ctx, a, rule)
    if a.failed:
        return a
    a.amount = caps.limit(ctx, a, value, amounts.method_cap(a))
    return a
