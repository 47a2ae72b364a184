"""The engine: a validated bundle and a policy in, one decision per claim out.

Order per claim: exclusion (the clause of kind `exclusion`; 第十五条 in the draft) → referral
(clauses of kind `referred`, or listed by the exclusion clause) → term (kind `term`) → the
clause's own conditions, amount and cap → funding split (kind `funding`). Special clauses are
found by their kind, and every citation takes its number from the data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from zzcbec_docs.bundle.model import Bundle, Claim, PriorAward
from zzcbec_docs.bundle.validate import under_policy
from zzcbec_docs.errors import BundleError
from zzcbec_docs.money import ZERO
from zzcbec_docs.policy.model import Policy
from zzcbec_docs.rules import wording as W
from zzcbec_docs.rules.clauses import ClaimContext, assess, failed_steps
from zzcbec_docs.rules.funding import funding_split, settled_for
from zzcbec_docs.rules.model import (
    ELIGIBLE,
    EXCLUDED,
    INELIGIBLE,
    REFERRED,
    CheckResult,
    Decision,
    Step,
    Warning_,
)


def term_end(issued_on: dt.date, years: int) -> dt.date:
    try:
        return issued_on.replace(year=issued_on.year + years)
    except ValueError:  # 29 February
        return issued_on.replace(year=issued_on.year + years, month=3, day=1)


def term_step(policy: Policy, year: int) -> Step | None:
    """The term clause: a claim whose year lies wholly outside [issued_on, issued_on + term) is out."""
    if policy.issued_on is None or policy.term_clause is None:
        return None
    n = policy.term_clause
    start, end = policy.issued_on, term_end(policy.issued_on, policy.term_years)
    inside = dt.date(year, 12, 31) >= start and dt.date(year, 1, 1) < end
    last = end - dt.timedelta(days=1)
    where, where_en = W.TERM_INSIDE if inside else W.TERM_OUTSIDE
    dates = {"start": start.isoformat(), "last": last.isoformat()}
    return Step(
        clause=n,
        code="within_term" if inside else "outside_term",
        message=W.TERM.zh(year=year, where=where, **dates, cite=policy.cite(n), years=policy.term_years),
        message_en=W.TERM.en(year=year, where=where_en, **dates, clause=n),
        value=str(year),
        threshold=f"{start.isoformat()}/{end.isoformat()}",
        passed=inside,
    )


def _excluded(policy: Policy, claim: Claim, by_list: bool) -> Decision:
    name = policy.clauses[claim.clause].name
    ex = policy.exclusion
    assert ex is not None  # only called when the policy has an exclusion clause
    n, cite = ex.clause, policy.cite(ex.clause)
    if by_list:
        step = Step(
            clause=n,
            code="excluded_by_list",
            message=f"申请人列于{ex.label}的企业名单，不在此政策支持范围内（{cite}）",
            message_en=f"the applicant is on the exclusion list (an enterprise that {ex.label_en}) and is "
            f"outside this policy (clause {n})",
            fact="uscc",
            passed=False,
        )
    else:
        step = Step(
            clause=n,
            code="excluded",
            message=f"申请人声明{ex.label}，不在此政策支持范围内（{cite}）",
            message_en=f"the applicant declares it {ex.label_en} and is outside this policy (clause {n})",
            fact=ex.fact,
            value="true",
            passed=False,
        )
    return Decision(
        clause=claim.clause,
        name=name,
        status=EXCLUDED,
        amount=ZERO,
        funding=None,
        reasons=(step,),
        trace=(step,),
        claim_index=claim.index,
        competition_name=_item_name(policy, claim),
    )


def _item_name(policy: Policy, claim: Claim) -> str | None:
    return claim.item_name(policy)


def _referred(policy: Policy, claim: Claim) -> Decision:
    clause = policy.clauses[claim.clause]
    by = policy.referring_clause(claim.clause)
    by_cite = f"（{policy.cite(by)}）" if by is not None else ""
    step = Step(
        clause=by if by is not None else claim.clause,
        code="referred",
        message=f"{clause.cite}按省、市现行政策支持{by_cite}，本政策不核定金额",
        message_en=f"clause {claim.clause} is supported under current provincial and city policies"
        + (f" (clause {by})" if by is not None else "")
        + "; this policy sets no amount",
    )
    return Decision(
        clause=claim.clause,
        name=clause.name,
        status=REFERRED,
        amount=ZERO,
        funding=None,
        reasons=(step,),
        trace=(step,),
        claim_index=claim.index,
    )


def decide_claim(policy: Policy, bundle: Bundle, claim: Claim, prior: tuple[PriorAward, ...]) -> Decision:
    clause = policy.clauses.get(claim.clause)
    if clause is None or clause.kind not in ("award", "referred"):
        # a bundle validated against another policy's contract
        raise BundleError(
            f"{policy.full_title}没有可申报的第{claim.clause}条",
            f"the policy {policy.id} has no claimable clause {claim.clause}",
            file=bundle.source,
            pointer=f"/claims/{claim.index}/clause",
            clause=claim.clause,
        )
    if policy.is_referred(claim.clause):
        return _referred(policy, claim)
    ctx = ClaimContext(
        policy=policy,
        clause=clause,
        facts=claim.facts,
        year=bundle.year,
        prior=prior,
        competition_name=_item_name(policy, claim),
    )
    missing = [f for f in clause.facts if f not in claim.facts]
    if missing:
        raise BundleError(
            f"缺少{clause.cite}所需的事实“{missing[0]}”",
            f"clause {claim.clause} needs the fact {missing[0]!r}",
            file=bundle.source,
            pointer=f"/claims/{claim.index}/facts/{missing[0]}",
            clause=claim.clause,
        )
    assessment = assess(ctx)
    steps = list(assessment.steps)
    term = term_step(policy, bundle.year)
    if term is not None:
        steps.insert(0, term)
    failed = failed_steps(steps)
    amount = assessment.amount if not failed else ZERO
    if not failed and amount <= ZERO:
        zero = Step(
            clause=claim.clause,
            code=W.ZERO_AMOUNT.code,
            message=W.ZERO_AMOUNT.zh(),
            message_en=W.ZERO_AMOUNT.en(),
            passed=False,
        )
        steps.append(zero)
        failed = [zero]
    status = ELIGIBLE if not failed else INELIGIBLE
    funding = funding_split(policy, claim.clause, bundle.applicant.district, amount) if status == ELIGIBLE else None
    return Decision(
        clause=claim.clause,
        name=clause.name,
        status=status,
        amount=amount,
        funding=funding,
        reasons=tuple(failed),
        trace=tuple(steps),
        claim_index=claim.index,
        competition_name=ctx.competition_name,
        computed=assessment.computed,
        cap=assessment.cap,
    )


def policy_summary(policy: Policy) -> dict[str, str | None]:
    return {
        "id": policy.id,
        "status": policy.status,
        "title": policy.full_title,
        "issued_on": policy.issued_on.isoformat() if policy.issued_on else None,
        "document_number": policy.document_number,
    }


def policy_warnings(policy: Policy) -> list[Warning_]:
    out = []
    if policy.status == "draft":
        out.append(
            Warning_(
                "draft_policy",
                f"适用的是{policy.full_title}，非正式印发文本",
                "the policy applied is a draft (征求意见稿), not the issued text",
            )
        )
    if policy.issued_on is None and policy.term_clause is not None:
        n = policy.term_clause
        out.append(
            Warning_(
                "no_issue_date",
                f"政策未设印发日期，未核验执行期（{policy.cite(n)}）；可用 --issued-on 指定",
                f"the policy has no issue date, so its term (clause {n}) is not checked; use --issued-on",
            )
        )
    return out


def decide(
    bundle: Bundle,
    policy: Policy,
    *,
    exclusion_list: frozenset[str] = frozenset(),
    ledger_awards: Iterable[PriorAward] = (),
) -> CheckResult:
    """Decide every claim of a validated bundle (validated again if it was read under another policy)."""
    bundle = under_policy(bundle, policy)
    a = bundle.applicant
    warnings = policy_warnings(policy)
    prior = tuple(bundle.prior_awards) + tuple(ledger_awards)
    ex = policy.exclusion
    listed = ex is not None and a.uscc in exclusion_list
    declared = ex is not None and a.etrade_core_zone_policy
    if listed and not declared and ex is not None:
        warnings.append(
            Warning_(
                "exclusion_list_contradiction",
                f"申请人声明未{ex.label}，但其统一社会信用代码 {a.uscc} 列于排除名单",
                f"the applicant declares {ex.fact}: false, but its USCC {a.uscc} is on the exclusion list "
                f"(an enterprise that {ex.label_en})",
            )
        )
    decisions = []
    for claim in bundle.claims:
        if declared or listed:
            decisions.append(_excluded(policy, claim, by_list=listed and not declared))
        else:
            decisions.append(decide_claim(policy, bundle, claim, prior))
    unsettled = [d for d in decisions if d.status == ELIGIBLE and d.funding is None]
    if (
        unsettled
        and policy.funding_rule is not None
        and not all(settled_for(policy, d.clause, a.district) for d in unsettled)
    ):
        n = policy.funding_rule.clause
        warnings.append(
            Warning_(
                W.FUNDING_UNSETTLED.code,
                W.FUNDING_UNSETTLED.zh(cite=policy.cite(n), district=a.district),
                W.FUNDING_UNSETTLED.en(clause=n, district=a.district),
            )
        )
    return CheckResult(
        source=bundle.source,
        valid=True,
        applicant={"name": a.name, "uscc": a.uscc, "district": a.district},
        year=bundle.year,
        decisions=tuple(decisions),
        warnings=tuple(warnings),
        policy=policy_summary(policy),
        sha256=bundle.sha256,
    )
