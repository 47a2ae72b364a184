"""A review's verified facts and what they do to a decision: pure functions, no ledger.

The command line applies a review file to a bundle with these (`render --review`) without opening
any ledger, so they live apart from `process.cases` (which imports the ledger's SQL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from zzcbec_docs.bundle.model import Bundle, item_key
from zzcbec_docs.policy.model import Policy
from zzcbec_docs.process.model import CONCLUSIONS, ReviewRefused, VerifiedClaim
from zzcbec_docs.rules.model import ELIGIBLE, EXCLUDED, INELIGIBLE, CheckResult, Step, Warning_


def verified_facts(
    record_verified: Iterable[VerifiedClaim], bundle: Bundle, *, file: str | None = None, policy: Policy
) -> dict[tuple[int, str | None], dict[str, Any]]:
    """The reviewer's verified facts, validated against the policy's contract for the clause and typed;
    keyed by (clause, competition key). Refused (with its place) when a fact is malformed or not claimed."""
    from zzcbec_docs import schema
    from zzcbec_docs.bundle.contract import contract
    from zzcbec_docs.bundle.contract import fact_kinds as contract_kinds
    from zzcbec_docs.bundle.validate import SCHEMA, _typed

    c = contract(policy)
    claimed = {item_key(policy, x.clause, x.item_name(policy)) for x in bundle.claims}
    out: dict[tuple[int, str | None], dict[str, Any]] = {}
    for i, v in enumerate(record_verified):
        if not isinstance(v.clause, int) or isinstance(v.clause, bool) or v.clause not in c.partial:
            raise ReviewRefused(
                f"{policy.full_title}没有可核定金额的第{v.clause}条",
                f"the policy has no award clause {v.clause!r}",
                file=file,
                pointer=f"/verified/{i}/clause",
            )
        facts = {k: jsonable(x) for k, x in dict(v.facts).items()}
        found = schema.errors(SCHEMA, facts, using=c.partial[v.clause], prefix=("verified", i, "facts"))
        if found:
            ptr, zh, en = found[0]
            raise ReviewRefused(zh, en, file=file, pointer=ptr)
        key = item_key(policy, v.clause, v.competition_name)
        if key in out:
            raise ReviewRefused(
                f"条款 {v.clause} 的核实数据重复",
                f"clause {v.clause} is verified twice",
                file=file,
                pointer=f"/verified/{i}",
            )
        if key not in claimed:
            raise ReviewRefused(
                f"审核记录核实了未申报的条款 {v.clause}" + (f"（{v.competition_name}）" if v.competition_name else ""),
                f"the review verifies clause {v.clause}, which the application does not claim",
                file=file,
                pointer=f"/verified/{i}",
            )
        kinds = contract_kinds(policy)[v.clause]
        out[key] = {k: _typed(kinds[k], x) for k, x in facts.items()}
    return out


def jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Mapping):
        return {k: jsonable(x) for k, x in v.items()}
    return v


def apply_verified(
    bundle: Bundle, verified: Mapping[tuple[int, str | None], Mapping[str, Any]], policy: Policy
) -> Bundle:
    """The bundle with the reviewer's verified facts (keyed by bundle.model.item_key) in place of the declared ones."""
    claims = tuple(
        replace(c, facts={**c.facts, **verified.get(item_key(policy, c.clause, c.item_name(policy)), {})})
        for c in bundle.claims
    )
    return replace(bundle, claims=claims)


def no_more_than_declared(declared: CheckResult, verified: CheckResult) -> CheckResult:
    """A review never pays more than was asked: per claim, at most what the applicant's own declared facts
    give (and so at most `requested`, where the clause pays what is requested). Verified figures lower an
    amount, never raise it; where they would, the declared amount is kept, the claim says so, and the
    result carries a `review_raises` warning naming the clause and both amounts."""
    from zzcbec_docs.money import fmt_yuan

    by_claim = {d.claim_index: d for d in declared.decisions}
    decisions, raised = [], []
    for v in verified.decisions:
        d = by_claim.get(v.claim_index)
        if d is None or v.amount <= d.amount:
            decisions.append(v)
            continue
        what = f"第{v.clause}条" + (f"（{v.competition_name}）" if v.competition_name else "")
        raised.append((what, v, d))
        if d.amount > 0:
            step = Step(
                clause=v.clause,
                code="review_not_raised",
                message=f"按核实数据计算为 {fmt_yuan(v.amount)}，高于按申报数据计算的 {fmt_yuan(d.amount)}；"
                f"审核只核减、不核增，按申报数据 {fmt_yuan(d.amount)} 核定",
                message_en=f"the verified facts give {fmt_yuan(v.amount)}, more than the declared facts' "
                f"{fmt_yuan(d.amount)}; a review lowers an amount, never raises it: {fmt_yuan(d.amount)}",
                value=str(v.amount),
                operator="<=",
                threshold=str(d.amount),
            )
            decisions.append(
                replace(v, amount=d.amount, funding=d.funding, trace=(*v.trace, step), review_capped=v.amount)
            )
        else:
            step = Step(
                clause=v.clause,
                code="review_not_raised",
                message=f"按核实数据计算为 {fmt_yuan(v.amount)}，但按申报数据不予奖励；审核只核减、不核增，核定 0 元",
                message_en=f"the verified facts give {fmt_yuan(v.amount)}, but the declared facts give "
                "nothing; a review lowers an amount, never raises it: 0.00",
                value=str(v.amount),
                operator="<=",
                threshold="0",
                passed=False,
            )
            decisions.append(
                replace(
                    v,
                    status=INELIGIBLE,
                    amount=Decimal("0.00"),
                    funding=None,
                    reasons=(*d.reasons, step),
                    trace=(*v.trace, step),
                    review_capped=v.amount,
                )
            )
    if not raised:
        return verified
    w = Warning_(
        "review_raises",
        "审核核实数据所得金额高于申报："
        + "；".join(f"{what}核实 {fmt_yuan(v.amount)}、申报 {fmt_yuan(d.amount)}" for what, v, d in raised)
        + "。审核只核减、不核增，按较低的申报金额核定",
        "the verified facts would pay more than the declared ones: "
        + "; ".join(
            f"clause {v.clause}: verified {fmt_yuan(v.amount)}, declared {fmt_yuan(d.amount)}" for _, v, d in raised
        )
        + ". A review lowers an amount, never raises it: the lower, declared amount is the one awarded",
    )
    return replace(verified, decisions=tuple(decisions), warnings=(*verified.warnings, w))


def rejected(result: CheckResult, remarks: str) -> CheckResult:
    """A rejecting review awards nothing: every claim at 0, with the conclusion as the reason."""
    why = remarks.strip() or "未说明理由"
    step = Step(
        clause=0,
        code="review_rejected",
        message=f"审核结论为不同意：{why}",
        message_en=f"the review rejects the application: {why}",
        passed=False,
    )
    decisions = tuple(
        replace(
            d,
            status=INELIGIBLE if d.status == ELIGIBLE else d.status,
            amount=Decimal("0.00"),
            funding=None,
            reasons=(step, *d.reasons),
            trace=(*d.trace, step),
        )
        for d in result.decisions
    )
    return replace(result, decisions=decisions)


def contradiction(conclusion: str, result: CheckResult) -> tuple[str, str] | None:
    """A conclusion that contradicts the figures it rests on."""
    if conclusion == "reject":
        return None
    word = CONCLUSIONS[conclusion]
    if result.total <= 0:
        return (
            f"审核结论为“{word}”，但按核实数据没有可奖励的事项（核定金额 0 元）；请改为“不同意”（reject）或更正核实数据",
            f"the conclusion is {conclusion!r}, but with the verified facts nothing is eligible (0.00): "
            "conclude 'reject' or correct the verified facts",
        )
    failed = [d for d in result.decisions if d.status in (INELIGIBLE, EXCLUDED)]
    if conclusion == "approve" and failed:
        which = "、".join(f"第{d.clause}条" for d in failed)
        return (
            f"审核结论为“同意”，但按核实数据{which}不符合；部分事项不予奖励时请用“部分同意”（partial）",
            f"the conclusion is 'approve', but with the verified facts clause(s) "
            f"{', '.join(str(d.clause) for d in failed)} are not eligible: conclude 'partial'",
        )
    return None
