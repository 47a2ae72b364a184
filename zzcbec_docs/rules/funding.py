"""The funding clause (第十六条 of the draft): the city and the district (or county) share each award.

All from the policy's clause of kind `funding`: the clauses the city pays alone (七、十一 in the
draft), the groups of districts and their city ratio (50/50; city 20%, local 80%), and the
districts it does not name (上街区), for which no split is guessed. The city share is rounded
half-up to 0.01 元 and the local share is the rest.
"""

from __future__ import annotations

from decimal import Decimal

from zzcbec_docs.money import ZERO, round_cents
from zzcbec_docs.policy.model import Policy
from zzcbec_docs.rules.model import Funding


def funding_split(policy: Policy, clause: int, district: str, amount: Decimal) -> Funding | None:
    """The split of `amount`, or None when the funding clause does not settle it (or there is no amount)."""
    if amount <= ZERO:
        return None
    if policy.funding_rule is None:
        return None
    if city_only(policy, clause):
        return Funding(city=amount, local=ZERO, city_ratio=Decimal(1), group="city")
    for group in policy.funding_groups:
        if district in group.districts:
            city = round_cents(amount * group.city_ratio)
            return Funding(city=city, local=amount - city, city_ratio=group.city_ratio, group=group.id)
    return None


def is_settled(policy: Policy, district: str) -> bool:
    return any(district in g.districts for g in policy.funding_groups)


def city_only(policy: Policy, clause: int) -> bool:
    """The city pays alone: the funding clause lists the clause, or the clause says `funding: city`."""
    c = policy.clauses.get(clause)
    return clause in policy.city_only_clauses or (c is not None and c.funding == "city")


def settled_for(policy: Policy, clause: int, district: str) -> bool:
    """Whether the funding clause settles who pays for this clause in this district."""
    return policy.funding_rule is not None and (city_only(policy, clause) or is_settled(policy, district))
