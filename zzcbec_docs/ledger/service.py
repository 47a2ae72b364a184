"""`award`: re-check against the ledger, record, number and render — in one transaction.

Order: lock the applicant → refuse a bundle already awarded → decide with the ledger's history
(caps, one-time awards, clause 3 top-up) → allocate the notice number → record → make the notice
(in memory) → commit → write the files atomically. A crash before the commit leaves nothing; a
crash after it leaves the award recorded and its notice file missing, which the next `award` of
the same bundle writes again (the ledger is the record, the file its copy).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from zzcbec_docs.bundle.model import Bundle, PriorAward
from zzcbec_docs.documents.atomic import write_atomic
from zzcbec_docs.documents.content import NoticeOptions, default_date
from zzcbec_docs.errors import LedgerError
from zzcbec_docs.ledger.store import Ledger
from zzcbec_docs.policy.model import Policy
from zzcbec_docs.rules.engine import decide
from zzcbec_docs.rules.model import ELIGIBLE, CheckResult


@dataclass(frozen=True)
class AwardOutcome:
    number: str
    result: CheckResult
    files: tuple[Path, ...]
    already: bool = False  # the bundle had been awarded before (files written again if missing)


def _fault_point(name: str) -> None:
    """Test hook: ZZCBEC_FAULT=name[:seconds] pauses here (default 60 s) so that a test can kill
    the process at that point, or make a second desk race this one."""
    spec = os.environ.get("ZZCBEC_FAULT", "")
    point, _, seconds = spec.partition(":")
    if point == name:
        print(f"zzcbec: paused at {name}", flush=True)
        time.sleep(float(seconds or 60))


def merge_history(declared: tuple[PriorAward, ...], ledger: list[PriorAward]) -> tuple[PriorAward, ...]:
    """The ledger's awards, plus what the bundle declares that the ledger does not already hold.

    A declared award is the ledger's own when it names the same notice, or else has the same
    clause, year, amount and competition as a ledger entry not yet matched (one to one).
    """
    unmatched = list(ledger)
    extra = []
    for p in declared:
        match = next((q for q in unmatched if p.reference and q.reference == p.reference), None) or next(
            (q for q in unmatched if (q.clause, q.year, q.amount, q.competition_name)
             == (p.clause, p.year, p.amount, p.competition_name)), None)
        if match is not None:
            unmatched.remove(match)
        else:
            extra.append(p)
    return tuple(extra)


def check_with_ledger(bundle: Bundle, policy: Policy, ledger: Ledger, *,
                      exclusion_list: frozenset[str] = frozenset()) -> CheckResult:
    """The check with the ledger's awards counted; says so when this very bundle was awarded already."""
    from zzcbec_docs.rules.model import Warning_

    with ledger.engine.connect() as conn:
        history = ledger.history(conn, bundle.applicant.uscc)
        existing = ledger.notice_for_bundle(conn, bundle.sha256)
    declared = merge_history(bundle.prior_awards, history)
    result = decide(replace(bundle, prior_awards=declared), policy, exclusion_list=exclusion_list,
                    ledger_awards=history)
    if existing is not None:
        state = "（已撤销）" if existing.revoked else ""
        result = replace(result, warnings=(*result.warnings, Warning_(
            "already_awarded_bundle",
            f"该申报材料已于 {existing.issued_on} 奖励，文号 {existing.number}{state}；台账中的该笔奖励已计入上限",
            f"this very bundle was awarded on {existing.issued_on} as {existing.number}; "
            "its awards count against the caps above",
        )))
    return result


def notice_number(code: str, year: int, seq: int) -> str:
    return f"{code}〔{year}〕{seq}号"


def award_bundle(bundle: Bundle, policy: Policy, ledger: Ledger, *, out_dir: Path, formats: tuple[str, ...],
                 review=None, issuer: str = "郑州市商务局", code: str = "郑商务",  # type: ignore[no-untyped-def]
                 date: dt.date | None = None, exclusion_list: frozenset[str] = frozenset()) -> AwardOutcome:
    from zzcbec_docs.documents.render import build_html, file_name, write_format

    effective = bundle
    if review is not None:
        from zzcbec_docs.documents.review import check_matches, verified_bundle

        check_matches(review, bundle)
        effective = verified_bundle(bundle, review)
    date = date or default_date()
    uscc = bundle.applicant.uscc

    with ledger.transaction() as conn:
        ledger.lock_applicant(conn, uscc)
        existing = ledger.notice_for_bundle(conn, bundle.sha256)
        if existing is not None:
            pass  # handled below, outside the transaction
        else:
            history = ledger.history(conn, uscc)
            declared = merge_history(effective.prior_awards, history)
            result = decide(replace(effective, prior_awards=declared), policy, exclusion_list=exclusion_list,
                            ledger_awards=history)
            awarded = [d for d in result.decisions if d.status == ELIGIBLE]
            if not awarded:
                raise LedgerError(
                    "没有可奖励的申报事项（全部不符合、转办或排除），未记账、未占用文号",
                    "nothing to award (every claim is ineligible, referred or excluded): "
                    "nothing recorded, no number used",
                    file=bundle.source,
                )
            seq = ledger.next_number(conn, code, date.year)
            number = notice_number(code, date.year, seq)
            notice_id = ledger.record_notice(
                conn, number=number, issuer=issuer, issuer_code=code, notice_year=date.year, seq=seq, uscc=uscc,
                applicant_name=bundle.applicant.name, district=bundle.applicant.district, year=bundle.year,
                bundle_sha256=bundle.sha256, review_sha256=getattr(review, "sha256", None), policy_id=policy.id,
                issued_on=date.isoformat(),
            )
            for d in awarded:
                ledger.record_award(conn, notice_id, uscc, d.clause, d.competition_name, bundle.year, d.amount,
                                    d.funding.city if d.funding else None, d.funding.local if d.funding else None)
            _fault_point("after_records")
            options = NoticeOptions(issuer=issuer, number=number, date=date)
            html, _ = build_html(effective, policy, "notice", notice=options, result=result)
            documents = {fmt: write_format(html, fmt, bundle, policy, "notice") for fmt in formats}
            _fault_point("before_commit")
        # committed here
    if existing is not None:
        return _already(bundle, policy, ledger, existing, effective, out_dir, formats, issuer, exclusion_list)
    _fault_point("after_commit")
    files = []
    for fmt, data in documents.items():
        path = out_dir / file_name(bundle, "notice", fmt)
        write_atomic(path, data)
        files.append(path)
    return AwardOutcome(number, result, tuple(files))


def _already(bundle: Bundle, policy: Policy, ledger: Ledger, existing, effective: Bundle,  # type: ignore[no-untyped-def]
             out_dir: Path, formats: tuple[str, ...], issuer: str, exclusion_list: frozenset[str]) -> AwardOutcome:
    """The bundle was awarded before: refuse, but write its notice again if the file is missing."""
    from zzcbec_docs.documents.render import build_html, file_name, write_format

    missing = [fmt for fmt in formats if not (out_dir / file_name(bundle, "notice", fmt)).exists()]
    files: list[Path] = []
    if missing and not existing.revoked:
        with ledger.engine.connect() as conn:
            history = [p for p in ledger.history(conn, bundle.applicant.uscc) if p.reference != existing.number]
        result = decide(replace(effective, prior_awards=merge_history(effective.prior_awards, history)), policy,
                        exclusion_list=exclusion_list, ledger_awards=history)
        options = NoticeOptions(issuer=issuer, number=existing.number, date=dt.date.fromisoformat(existing.issued_on))
        html, _ = build_html(effective, policy, "notice", notice=options, result=result)
        for fmt in missing:
            path = out_dir / file_name(bundle, "notice", fmt)
            write_atomic(path, write_format(html, fmt, bundle, policy, "notice"))
            files.append(path)
    raise AlreadyAwarded(existing.number, existing.revoked, tuple(files))


class AlreadyAwarded(LedgerError):
    def __init__(self, number: str, revoked: bool, rewritten: tuple[Path, ...]) -> None:
        self.number = number
        self.rewritten = rewritten
        state_zh = "（已撤销）" if revoked else ""
        state_en = " (revoked)" if revoked else ""
        again_zh = f"；缺失的通知书已重新写出：{', '.join(str(p) for p in rewritten)}" if rewritten else ""
        again_en = f"; the missing notice was written again: {', '.join(str(p) for p in rewritten)}" if rewritten else ""
        super().__init__(
            f"该申报材料（相同 SHA-256）已奖励，文号 {number}{state_zh}，不再重复奖励{again_zh}",
            f"this bundle (same SHA-256) was already awarded as {number}{state_en}; not awarded again{again_en}",
        )
