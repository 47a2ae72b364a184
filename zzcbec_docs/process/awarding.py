"""Award and revoke: the ledger's numbered notices.

`award` in one transaction: lock the applicant → refuse content awarded and standing (or revoked,
unless re-issue names the notice it directly replaces) → the award date in the data year's reach and
the policy's term, and not before the approving review → the latest review decides (a rejection awards nothing) → decide with
the ledger's history (caps, one-time awards, clause 3 top-up) → allocate the next number of the
issuer and year (gapless: a rollback gives it back) → record the notice and its awards and an
event → `before_commit` (the command line makes the notice files' bytes here, so a failure
leaves nothing recorded) → commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from zzcbec_docs.errors import ArgumentError
from zzcbec_docs.ledger import cases as store
from zzcbec_docs.policy.model import Policy, chinese_numeral
from zzcbec_docs.process.cases import bundle_of, case_in, decide_case, latest_verified, money_text
from zzcbec_docs.process.model import AlreadyAwarded, AwardOutcome, NotAwardable, Revocation
from zzcbec_docs.rules.model import ELIGIBLE, REFERRED

DEFAULT_ISSUER = "郑州市商务局"
DEFAULT_CODE = "郑商务"


def _no_fault(point: str) -> None:
    """Production: nothing. Tests replace `fault_hook` to pause or fail at a named point."""


fault_hook: Callable[[str], None] = _no_fault


def notice_number(code: str, year: int, seq: int) -> str:
    return f"{code}〔{year}〕{seq}号"


def _why_not(result: Any) -> tuple[str, ...]:
    out = []
    for d in result.decisions:
        what = f"第{chinese_numeral(d.clause)}条" + (f"（{d.competition_name}）" if d.competition_name else "")
        if d.status == REFERRED:
            out.append(f"{what}：按省、市现行政策支持，本政策不核定金额 / clause {d.clause}: referred")
        else:
            out.extend(f"{what}：{r.message} / clause {d.clause}: {r.message_en}" for r in d.reasons)
    return tuple(out)


def award_date_problem(date: dt.date, year: int, policy: Policy) -> tuple[str, str] | None:
    """An award date the policy and the data cannot stand behind: before the 申报年度 (the figures'
    year) began or after the years its figures may be awarded in (the policy's term, counted from the
    data year), or — once the policy has an issue date — outside its term (clause 18). None: in order."""
    from zzcbec_docs.rules.engine import term_end

    start, last = dt.date(year, 1, 1), dt.date(min(year + policy.term_years, dt.MAXYEAR), 12, 31)
    if date < start:
        return (
            f"奖励日期 {date.isoformat()} 早于申报年度 {year} 年的开始（{start.isoformat()}）：不能奖励尚未发生的数据",
            f"the award date {date.isoformat()} is before the {year} application year began ({start.isoformat()})",
        )
    if date > last:
        return (
            f"奖励日期 {date.isoformat()} 晚于申报年度 {year} 年数据可奖励的最后一日（{last.isoformat()}，"
            f"申报年度起 {policy.term_years} 年）",
            f"the award date {date.isoformat()} is after the last day {year} figures may be awarded "
            f"({last.isoformat()}: {policy.term_years} years from the application year)",
        )
    if policy.issued_on is not None and policy.term_clause is not None:
        begin, end = policy.issued_on, term_end(policy.issued_on, policy.term_years)
        if not begin <= date < end:
            return (
                f"奖励日期 {date.isoformat()} 不在政策执行期内（{begin.isoformat()} 至 {end.isoformat()} 前，"
                f"{policy.cite(policy.term_clause)}）",
                f"the award date {date.isoformat()} is outside the policy's term ({begin.isoformat()} to before "
                f"{end.isoformat()}, clause {policy.term_clause})",
            )
    return None


def award(
    ledger: Any,
    case_id: str,
    *,
    actor: str,
    policy: Policy,
    date: dt.date | None = None,
    issuer: str | None = None,
    code: str | None = None,
    reissue_of: str | None = None,
    exclusion_list: frozenset[str] = frozenset(),
    require_review: bool = False,
    before_commit: Callable[[AwardOutcome, Any], Any] | None = None,
) -> AwardOutcome:
    """Award the case: record its awards under the next notice number. See the module docstring.

    `require_review`: refuse a case with no review at all (the desk); the command line's one-step
    `award BUNDLE` without --review awards on the declared facts. `before_commit(outcome, bundle)`
    runs inside the transaction; what it returns is `outcome.prepared`.
    """
    from zzcbec_docs.documents.content import default_date

    date = date or default_date()
    issuer = issuer or DEFAULT_ISSUER
    code = code or DEFAULT_CODE
    with ledger.transaction() as conn:
        row, _ = case_in(conn, case_id)
        ledger.lock_applicant(conn, row.uscc)
        notices = store.notice_rows(
            conn, case_id=row.id, content_sha256=row.content_sha256, bundle_sha256=row.bytes_sha256
        )
        live = [n for n in notices if n.rid is None]
        if live:
            raise AlreadyAwarded(live[-1].number, False)
        if reissue_of is not None:
            named = [n for n in notices if n.number == reissue_of]
            if not named:
                other = store.notice_rows(conn, number=reissue_of)
                raise ArgumentError(
                    f"--reissue-of {reissue_of}：" + ("该通知不是本案件的" if other else "台账中没有该文号"),
                    f"--reissue-of {reissue_of}: "
                    + ("that notice is of another case" if other else "no such notice in the ledger"),
                )
            replaced_by = next((n for n in notices if n.reissue_of == reissue_of), None)
            if replaced_by is not None:  # a re-issue names the notice it directly replaces
                latest = notices[-1].number
                raise ArgumentError(
                    f"--reissue-of {reissue_of}：该通知已由 {replaced_by.number} 替代；"
                    f"本案件最近的通知为 {latest}" + ("（已撤销），如需重新出具请用 --reissue-of " + latest),
                    f"--reissue-of {reissue_of}: that notice was already replaced by {replaced_by.number}; the "
                    f"case's latest notice is {latest} (revoked): to issue it again use --reissue-of {latest}",
                )
        elif notices:
            raise AlreadyAwarded(notices[-1].number, True)
        problem = award_date_problem(date, row.year, policy)
        if problem:
            raise ArgumentError(*problem, pointer="/date")
        bundle = bundle_of(row, policy)
        review, verified = latest_verified(conn, case_id, bundle, policy)
        if review is None and require_review:
            raise NotAwardable("案件尚无审核结论，不能奖励", "the case has no review yet: nothing awarded")
        if review is not None and review.conclusion == "reject":
            raise NotAwardable(
                f"最近一次审核结论为不同意（{review.reviewer}，{review.reviewed_on}）：不奖励、不记账、不占用文号",
                f"the latest review ({review.reviewer}, {review.reviewed_on}) rejects the application: nothing "
                "awarded, nothing recorded, no number used",
                reasons=(f"审核不同意：{review.remarks or '—'} / rejected by the review",),
            )
        if review is not None and date < dt.date.fromisoformat(review.reviewed_on):
            raise ArgumentError(
                f"奖励日期 {date.isoformat()} 早于批准它的审核日期 {review.reviewed_on}（审核 #{review.id}）",
                f"the award is dated {date.isoformat()}, before the review that approves it "
                f"({review.reviewed_on}, review #{review.id})",
                pointer="/date",
            )
        result = decide_case(conn, ledger, row, bundle, policy, verified=verified, exclusion_list=exclusion_list)
        awarded = [d for d in result.decisions if d.status == ELIGIBLE]
        if not awarded:
            raise NotAwardable(
                "没有可奖励的申报事项（全部不符合、已达上限、转办或排除），未记账、未占用文号",
                "nothing to award (every claim is ineligible, at its cap, referred or excluded): "
                "nothing recorded, no number used",
                reasons=_why_not(result),
            )
        seq = ledger.next_number(conn, code, date.year)
        number = notice_number(code, date.year, seq)
        notice_id = ledger.record_notice(
            conn,
            number=number,
            issuer=issuer,
            issuer_code=code,
            notice_year=date.year,
            seq=seq,
            uscc=row.uscc,
            applicant_name=row.applicant_name,
            district=row.district,
            year=row.year,
            bundle_sha256=row.bytes_sha256 or row.content_sha256,
            review_sha256=review.record_sha256 if review is not None else None,
            policy_id=policy.id,
            issued_on=date.isoformat(),
            case_id=row.id,
            content_sha256=row.content_sha256,
            review_id=review.id if review is not None else None,
            reissue_of=reissue_of,
            actor=actor,
        )
        for d in awarded:
            ledger.record_award(
                conn,
                notice_id,
                row.uscc,
                d.clause,
                d.competition_name,
                row.year,
                d.amount,
                d.funding.city if d.funding else None,
                d.funding.local if d.funding else None,
                tier=d.cap,
            )
        store.add_event(
            conn,
            row.id,
            "awarded",
            actor,
            {
                "number": number,
                "total": money_text(result.total),
                "issuer": issuer,
                "issued_on": date.isoformat(),
                "review_id": review.id if review is not None else None,
                "reissue_of": reissue_of,
            },
        )
        fault_hook("after_records")
        _, case = case_in(conn, case_id)
        outcome = AwardOutcome(
            number=number, total=result.total, case=case, result=result, notice_id=notice_id, reissue_of=reissue_of
        )
        if before_commit is not None:
            from dataclasses import replace

            outcome = replace(outcome, prepared=before_commit(outcome, bundle))
        fault_hook("before_commit")
    fault_hook("after_commit")
    return outcome


def revoke(ledger: Any, number: str, *, reason: str, actor: str) -> Revocation:
    """Revoke a notice: a new row; the awards stop counting against the caps. The case's `revoked`
    event is written here, in the same transaction (the ledger's storage writes no events)."""
    with ledger.transaction() as conn:
        rec = ledger.revoke_in(conn, number, reason)
        store.add_event(conn, rec.case_id, "revoked", actor, {"number": number, "reason": reason.strip()})
    return Revocation(
        number=rec.number,
        case_id=rec.case_id,
        uscc=rec.uscc,
        reason=reason.strip(),
        revoked_at=rec.revoked_at or "",
        actor=actor,
    )
