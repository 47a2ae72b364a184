"""A review's verified facts and what they do to a decision: pure functions, no ledger.

The command line applies a review file to a bundle with these (`render --review`) without opening
any ledger, so they live apart from `process.cases` (which imports the ledger's SQL).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from zzcbec_docs.bundle.model import Bundle, item_key
from zzcbec_docs.bundle.verified import checked_verified
from zzcbec_docs.policy.model import Policy, chinese_numeral
from zzcbec_docs.process.model import CONCLUSIONS, ReviewRefused, VerifiedClaim
from zzcbec_docs.rules.model import ELIGIBLE, EXCLUDED, INELIGIBLE, CheckResult, Step, Warning_


def verified_facts(
    record_verified: Iterable[VerifiedClaim], bundle: Bundle, *, file: str | None = None, policy: Policy
) -> dict[tuple[int, str | None], dict[str, Any]]:
    """The reviewer's verified facts, validated against the policy's contract for the clause and typed
    (bundle.verified.checked_verified, the one validation); keyed by bundle.model.item_key. Refused (with
    its place) when a fact is malformed or not claimed."""
    claimed = {item_key(policy, x.clause, x.item_name(policy)) for x in bundle.claims}
    items = ((v.clause, v.competition_name, v.facts) for v in record_verified)
    return {v.key: v.facts for v in checked_verified(items, policy, error=ReviewRefused, file=file, claimed=claimed)}


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
        what = f"第{chinese_numeral(v.clause)}条" + (f"（{v.competition_name}）" if v.competition_name else "")
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
        which = "、".join(f"第{chinese_numeral(d.clause)}条" for d in failed)
        return (
            f"审核结论为“同意”，但按核实数据{which}不符合；部分事项不予奖励时请用“部分同意”（partial）",
            f"the conclusion is 'approve', but with the verified facts clause(s) "
            f"{', '.join(str(d.clause) for d in failed)} are not eligible: conclude 'partial'",
        )
    return None
