"""The engine: a validated bundle and a policy in, one decision per claim out.

Order per claim: exclusion (clause 15) → referral (clauses 4, 13, 14) → term (clause 18) →
the clause's own conditions and amount → funding split (clause 16).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from zzcbec_docs.bundle.model import Bundle, Claim, PriorAward
from zzcbec_docs.funding import funding_split, is_settled
from zzcbec_docs.money import ZERO
from zzcbec_docs.policy.model import Policy
from zzcbec_docs.rules.clauses import CLAUSE_RULES, ClaimContext, failed_steps
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
    """Clause 18: a claim whose year lies wholly outside [issued_on, issued_on + term) is out."""
    if policy.issued_on is None:
        return None
    start, end = policy.issued_on, term_end(policy.issued_on, policy.term_years)
    inside = dt.date(year, 12, 31) >= start and dt.date(year, 1, 1) < end
    last = end - dt.timedelta(days=1)
    return Step(
        clause=18, code="within_term" if inside else "outside_term",
        message=f"申报年度 {year} {'在' if inside else '不在'}政策执行期 {start.isoformat()} 至 {last.isoformat()} 内"
        f"（第十八条：执行期{policy.term_years}年）",
        message_en=f"the year {year} {'overlaps' if inside else 'lies wholly outside'} the policy term "
        f"{start.isoformat()} to {last.isoformat()} (clause 18)",
        value=str(year), threshold=f"{start.isoformat()}/{end.isoformat()}", passed=inside,
    )


def _excluded(policy: Policy, claim: Claim, by_list: bool) -> Decision:
    name = policy.clauses[claim.clause].name
    if by_list:
        step = Step(
            clause=15, code="excluded_by_list",
            message="申请人列于享受E贸易核心功能集聚区相关政策的企业名单，不在此政策支持范围内（第十五条）",
            message_en="the applicant is on the list of enterprises enjoying the E-trade core zone "
            "policies and is outside this policy (clause 15)",
            fact="uscc", passed=False,
        )
    else:
        step = Step(
            clause=15, code="excluded",
            message=f"申请人声明{policy.exclusion_label}，不在此政策支持范围内（第十五条）",
            message_en="the applicant declares it enjoys the E-trade core zone policies and is "
            "outside this policy (clause 15)",
            fact=policy.exclusion_fact, value="true", passed=False,
        )
    return Decision(
        clause=claim.clause, name=name, status=EXCLUDED, amount=ZERO, funding=None,
        reasons=(step,), trace=(step,), claim_index=claim.index, competition_name=claim.competition_name,
    )


def _referred(policy: Policy, claim: Claim) -> Decision:
    clause = policy.clauses[claim.clause]
    step = Step(
        clause=15, code="referred",
        message=f"第{clause.numeral}条按省、市现行政策支持（第十五条），本政策不核定金额",
        message_en=f"clause {claim.clause} is supported under current provincial and city policies "
        "(clause 15); this policy sets no amount",
    )
    return Decision(
        clause=claim.clause, name=clause.name, status=REFERRED, amount=ZERO, funding=None,
        reasons=(step,), trace=(step,), claim_index=claim.index,
    )


def decide_claim(policy: Policy, bundle: Bundle, claim: Claim, prior: tuple[PriorAward, ...]) -> Decision:
    clause = policy.clauses[claim.clause]
    if claim.clause in policy.referred_clauses or clause.kind == "referred":
        return _referred(policy, claim)
    ctx = ClaimContext(
        policy=policy, clause=clause, facts=claim.facts, year=bundle.year, prior=prior,
        competition_name=claim.competition_name,
    )
    assessment = CLAUSE_RULES[claim.clause](ctx)
    steps = list(assessment.steps)
    term = term_step(policy, bundle.year)
    if term is not None:
        steps.insert(0, term)
    failed = failed_steps(steps)
    amount = assessment.amount if not failed else ZERO
    if not failed and amount <= ZERO:
        zero = Step(
            clause=claim.clause, code="zero_amount",
            message="按本条计算的奖励金额为 0 元", message_en="the amount this clause computes is 0.00",
            passed=False,
        )
        steps.append(zero)
        failed = [zero]
    status = ELIGIBLE if not failed else INELIGIBLE
    funding = funding_split(policy, claim.clause, bundle.applicant.district, amount) if status == ELIGIBLE else None
    return Decision(
        clause=claim.clause, name=clause.name, status=status, amount=amount, funding=funding,
        reasons=tuple(failed), trace=tuple(steps), claim_index=claim.index,
        competition_name=claim.competition_name, computed=assessment.computed, cap=assessment.cap,
    )


def policy_summary(policy: Policy) -> dict[str, str]:
    return {
        "id": policy.id, "status": policy.status, "title": policy.full_title,
        "issued_on": policy.issued_on.isoformat() if policy.issued_on else None,  # type: ignore[dict-item]
    }


def policy_warnings(policy: Policy) -> list[Warning_]:
    out = []
    if policy.status == "draft":
        out.append(Warning_(
            "draft_policy",
            f"适用的是{policy.full_title}，非正式印发文本",
            "the policy applied is a draft (征求意见稿), not the issued text",
        ))
    if policy.issued_on is None:
        out.append(Warning_(
            "no_issue_date",
            "政策未设印发日期，未核验执行期（第十八条）；可用 --issued-on 指定",
            "the policy has no issue date, so its term (clause 18) is not checked; use --issued-on",
        ))
    return out


def decide(
    bundle: Bundle,
    policy: Policy,
    *,
    exclusion_list: frozenset[str] = frozenset(),
    ledger_awards: Iterable[PriorAward] = (),
) -> CheckResult:
    """Decide every claim of a validated bundle."""
    a = bundle.applicant
    warnings = policy_warnings(policy)
    prior = tuple(bundle.prior_awards) + tuple(ledger_awards)
    listed = a.uscc in exclusion_list
    declared = a.etrade_core_zone_policy
    if listed and not declared:
        warnings.append(Warning_(
            "exclusion_list_contradiction",
            f"申请人声明未享受E贸易核心功能集聚区相关政策，但其统一社会信用代码 {a.uscc} 列于排除名单",
            f"the applicant declares it does not enjoy the E-trade core zone policies, but its USCC "
            f"{a.uscc} is on the exclusion list",
        ))
    decisions = []
    for claim in bundle.claims:
        if declared or listed:
            decisions.append(_excluded(policy, claim, by_list=listed and not declared))
        else:
            decisions.append(decide_claim(policy, bundle, claim, prior))
    if not is_settled(policy, a.district) and any(
        d.status == ELIGIBLE and d.funding is None for d in decisions
    ):
        warnings.append(Warning_(
            "funding_unsettled",
            f"第十六条未列明{a.district}的资金分担比例，市、区承担金额须由财政部门确定",
            f"clause 16 does not name {a.district}: the finance bureau must set the city/local split",
        ))
    return CheckResult(
        source=bundle.source, valid=True,
        applicant={"name": a.name, "uscc": a.uscc, "district": a.district},
        year=bundle.year, decisions=tuple(decisions), warnings=tuple(warnings),
        policy=policy_summary(policy), sha256=bundle.sha256,
    )
