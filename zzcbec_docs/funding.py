"""Clause 16: the city and the district (or county) share each award.

Clauses 7 and 11: the city pays all. The eight districts named first: 50/50. 航空港 and the
counties/county-level cities: city 20%, local 80%. 上街区 is not named: no split is guessed.
The city share is rounded half-up to 0.01 元 and the local share is the rest.
"""

from __future__ import annotations

from decimal import Decimal

from zzcbec_docs.money import ZERO, round_cents
from zzcbec_docs.policy.model import Policy
from zzcbec_docs.rules.model import Funding


def funding_split(policy: Policy, clause: int, district: str, amount: Decimal) -> Funding | None:
    """The split of `amount`, or None when clause 16 does not settle it (or there is no amount)."""
    if amount <= ZERO:
        return None
    if clause in policy.city_only_clauses:
        return Funding(city=amount, local=ZERO, city_ratio=Decimal(1), group="city")
    for group in policy.funding_groups:
        if district in group.districts:
            city = round_cents(amount * group.city_ratio)
            return Funding(city=city, local=amount - city, city_ratio=group.city_ratio, group=group.id)
    return None


def is_settled(policy: Policy, district: str) -> bool:
    return any(district in g.districts for g in policy.funding_groups)
