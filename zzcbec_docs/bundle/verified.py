"""A reviewer's verified facts, validated in one place against the policy's bundle contract.

A review corrects the facts a bundle declares, claim by claim: the clause must be one whose amount
is decided here (an award clause), the facts must fit the clause's contract (every fact optional), a
claim is verified once (a clause counted per competition, once per competition: Clause.per_competition),
and — when the bundle is known — only a claimed item is verified. The review file (`render --review`,
documents.review), the process's `review` step (process.verified) and the desk's review form all
validate through `checked_verified`; each raises its own error class with the place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from zzcbec_docs.bundle.model import item_key
from zzcbec_docs.errors import ZzcbecError
from zzcbec_docs.policy.model import Policy

Key = tuple[int, str | None]  # (clause, competition key): bundle.model.item_key


@dataclass(frozen=True)
class VerifiedItem:
    """One verified claim, checked: its place in the record, clause, item name as written, key and typed facts."""

    index: int
    clause: int
    name: str | None
    key: Key
    facts: dict[str, Any]


def jsonable(v: Any) -> Any:
    """Facts as JSON has them (Decimal as text, a date as YYYY-MM-DD), to validate and to store."""
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Mapping):
        return {k: jsonable(x) for k, x in v.items()}
    return v


def checked_verified(
    items: Iterable[tuple[Any, str | None, Mapping[str, Any]]],
    policy: Policy,
    *,
    error: type[ZzcbecError],
    file: str | None = None,
    claimed: Collection[Key] | None = None,
) -> list[VerifiedItem]:
    """Each (clause, item name, facts) of a review checked and its facts typed; `error` raised (with the
    file and the JSON pointer) at the first that is not an award clause of the policy, does not fit the
    clause's contract, repeats a claim, or — with `claimed` (the bundle's item keys) — is not claimed."""
    from zzcbec_docs import schema
    from zzcbec_docs.bundle.contract import contract, fact_kinds
    from zzcbec_docs.bundle.validate import SCHEMA, _typed

    c = contract(policy)
    out: list[VerifiedItem] = []
    seen: set[Key] = set()
    for i, (clause, name, given) in enumerate(items):
        if (
            not isinstance(clause, int)
            or isinstance(clause, bool)
            or clause not in c.partial
            or policy.clauses[clause].kind != "award"
        ):
            raise error(
                f"{policy.full_title}没有可核定金额的第{clause}条",
                f"the policy has no award clause {clause!r}",
                file=file,
                pointer=f"/verified/{i}/clause",
            )
        facts = {k: jsonable(x) for k, x in dict(given).items()}
        found = schema.errors(SCHEMA, facts, using=c.partial[clause], prefix=("verified", i, "facts"))
        if found:
            ptr, zh, en = found[0]
            raise error(zh, en, file=file, pointer=ptr)
        key = item_key(policy, clause, name)
        if key in seen:
            raise error(
                f"条款 {clause} 的核实数据重复",
                f"clause {clause} is verified twice",
                file=file,
                pointer=f"/verified/{i}",
            )
        seen.add(key)
        if claimed is not None and key not in claimed:
            raise error(
                f"审核记录核实了未申报的条款 {clause}" + (f"（{name}）" if name else ""),
                f"the review verifies clause {clause}, which the application does not claim",
                file=file,
                pointer=f"/verified/{i}/clause",
            )
        kinds = fact_kinds(policy)[clause]
        out.append(VerifiedItem(i, clause, name, key, {k: _typed(kinds[k], x) for k, x in facts.items()}))
    return out
