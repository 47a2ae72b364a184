"""Cases: submit an application, review it, and read the cases back with their history.

Each step is one transaction on the ledger database and appends rows (a case, a review, an
event); nothing is edited. A case's status is read from its events, in order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from zzcbec_docs.bundle.model import Bundle, PriorAward
from zzcbec_docs.bundle.verified import jsonable
from zzcbec_docs.errors import ArgumentError, BundleError
from zzcbec_docs.ledger import cases as store
from zzcbec_docs.policy.model import Policy
from zzcbec_docs.process.decide import decide_counting, ledger_name, ledger_view, standing
from zzcbec_docs.process.identity import canonical_json, case_id_for, content_identities
from zzcbec_docs.process.model import (
    APPROVED,
    AWARDED,
    CONCLUSIONS,
    REJECTED,
    RETURNED,
    REVOKED,
    SUBMITTED,
    AttachmentInfo,
    AwardLine,
    Case,
    CaseAwardedStands,
    CaseDetail,
    CaseNotFound,
    Event,
    NoticeInfo,
    ReviewInput,
    ReviewOutcome,
    ReviewRecord,
    ReviewRefused,
    Submission,
    VerifiedClaim,
)
from zzcbec_docs.process.verified import (
    apply_verified,
    contradiction,
    no_more_than_declared,
    rejected,
    verified_facts,
)
from zzcbec_docs.rules.model import CheckResult

MAX_ATTACHMENT = 20 * 1024 * 1024


def money_text(v: Decimal | None) -> str | None:
    return None if v is None else f"{v:.2f}"


def _dec(text: Any) -> Decimal | None:
    return None if text is None else Decimal(str(text))


# ---------------------------------------------------------------- reading cases back
def bundle_of(row: Any, policy: Policy) -> Bundle:
    """The stored canonical content as a Bundle validated under `policy` (its sha256 is the content SHA-256)."""
    from zzcbec_docs.bundle.validate import parse_bundle

    try:
        b = parse_bundle(row.content.encode("utf-8"), f"case:{row.id}", fmt="json", policy=policy)
    except BundleError as exc:  # a ledger written by another version of the schema
        raise BundleError(
            f"案件 {row.id} 的申报内容不符合当前格式：{exc.zh}",
            f"case {row.id}: its stored content no longer validates: {exc.en}",
        ) from None
    return replace(b, sha256=row.content_sha256)


def status_of(events: Iterable[Any], submitted_total: Decimal | None) -> tuple[str, Decimal | None]:
    """The status and current total, replaying the case's events in order."""
    status, total = SUBMITTED, submitted_total
    decided_status, decided_total = SUBMITTED, submitted_total
    live: dict[str, Decimal | None] = {}
    for e in events:
        d = json.loads(e.detail) if isinstance(e.detail, str) else e.detail
        if e.kind == "returned" and not live:  # 退回补正: the reviews so far no longer decide
            status, total = RETURNED, total
            decided_status, decided_total = RETURNED, total
        elif e.kind == "corrected":  # resubmitted after 补正: a new content, to be reviewed again
            status = decided_status = SUBMITTED
            total = decided_total = _dec(d.get("total"))
        elif e.kind == "reviewed":
            decided_status = APPROVED if d.get("conclusion") in ("approve", "partial") else REJECTED
            decided_total = _dec(d.get("total"))
            if not live:
                status, total = decided_status, decided_total
        elif e.kind == "awarded":
            live[d["number"]] = _dec(d.get("total"))
        elif e.kind == "revoked":
            live.pop(d.get("number"), None)
            if not live:
                status, total = REVOKED, decided_total
    if live:
        return AWARDED, sum((v or Decimal(0) for v in live.values()), Decimal("0.00"))
    return status, total


def _case(row: Any, events: list[Any]) -> Case:
    status, total = status_of(events, store.money(row.total_cents))
    return Case(
        id=row.id,
        uscc=row.uscc,
        applicant_name=row.applicant_name,
        district=row.district,
        year=row.year,
        status=status,
        total=total,
        content_sha256=row.content_sha256,
        submitted_at=row.submitted_at,
        submitted_by=row.submitted_by,
        policy_id=row.policy_id,
    )


def case_in(conn: Any, case_id: str) -> tuple[Any, Case]:
    row = store.case_row(conn, case_id)
    if row is None:
        raise CaseNotFound(f"没有案件 {case_id}", f"no case {case_id}")
    return row, _case(row, store.event_rows(conn, [case_id]))


def list_cases(
    ledger: Any,
    *,
    status: str | None = None,
    district: str | None = None,
    districts: Iterable[str] | None = None,
    uscc: str | None = None,
    year: int | None = None,
) -> list[Case]:
    """The cases, oldest first; `districts` limits them to those (a reviewer's), `district` to one."""
    from zzcbec_docs.bundle import DISTRICT_ALIASES

    wanted = None if districts is None else {DISTRICT_ALIASES.get(d, d) for d in districts}
    if district:
        one = DISTRICT_ALIASES.get(district, district)
        wanted = {one} if wanted is None else wanted & {one}
    with ledger.engine.connect() as conn:
        rows = store.case_rows(conn, districts=wanted, uscc=uscc.upper() if uscc else None, year=year)
        by_case: dict[str, list[Any]] = {}
        for e in store.event_rows(conn, [r.id for r in rows]) if rows else ():
            by_case.setdefault(e.case_id, []).append(e)
    cases = [_case(r, by_case.get(r.id, [])) for r in rows]
    return [c for c in cases if status is None or c.status == status]


def _verified_of(text: str) -> tuple[VerifiedClaim, ...]:
    return tuple(VerifiedClaim(v["clause"], v.get("competition_name"), v["facts"]) for v in json.loads(text))


def review_records(conn: Any, case_id: str) -> list[ReviewRecord]:
    return [
        ReviewRecord(
            id=r.id,
            reviewer=r.reviewer,
            unit=r.unit,
            conclusion=r.conclusion,
            reviewed_on=dt.date.fromisoformat(r.reviewed_on),
            verified=_verified_of(r.verified),
            remarks=r.remarks,
            record_file=r.record_file,
            record_sha256=r.record_sha256,
            total=store.money(r.total_cents),
            actor=r.actor,
            created_at=r.created_at,
        )
        for r in store.review_rows(conn, case_id)
    ]


def notice_infos(conn: Any, rows: list[Any]) -> list[NoticeInfo]:
    lines: dict[int, list[AwardLine]] = {}
    for a in store.award_rows(conn, [n.id for n in rows]) if rows else ():
        lines.setdefault(a.notice_id, []).append(
            AwardLine(
                a.clause,
                a.competition_name,
                a.year,
                store.money(a.amount_cents) or Decimal("0.00"),
                store.money(a.city_cents),
                store.money(a.local_cents),
            )
        )
    return [
        NoticeInfo(
            id=n.id,
            number=n.number,
            issuer=n.issuer,
            issued_on=n.issued_on,
            lines=tuple(lines.get(n.id, ())),
            revoked=n.rid is not None,
            revocation_reason=n.reason,
            revoked_at=n.revoked_at,
            reissue_of=n.reissue_of,
            review_id=n.review_id,
            actor=n.actor,
            created_at=n.created_at,
        )
        for n in rows
    ]


def get_case(ledger: Any, case_id: str, policy: Policy) -> CaseDetail:
    """The case with its content, reviews, notices (revoked ones marked), attachments and events."""
    with ledger.engine.connect() as conn:
        row, case = case_in(conn, case_id)
        reviews = review_records(conn, case_id)
        notices = notice_infos(conn, store.notice_rows(conn, case_id=case_id))
        events = [
            Event(e.id, e.kind, e.actor, e.at, json.loads(e.detail), e.address)
            for e in store.event_rows(conn, [case_id])
        ]
        attachments = [AttachmentInfo(a.id, a.name, a.sha256, a.size) for a in store.attachment_rows(conn, case_id)]
    return CaseDetail(
        case=case,
        bundle=bundle_of(row, policy),
        reviews=reviews,
        notices=notices,
        events=events,
        attachments=attachments,
    )


def attachment(ledger: Any, case_id: str, attachment_id: int) -> tuple[str, str, bytes]:
    """(original name, SHA-256, bytes) of an attachment stored with the case."""
    with ledger.engine.connect() as conn:
        case_in(conn, case_id)
        row = store.attachment_data(conn, case_id, attachment_id)
    if row is None:
        raise CaseNotFound(
            f"案件 {case_id} 没有附件 {attachment_id}", f"case {case_id} has no attachment {attachment_id}"
        )
    return row.name, row.sha256, bytes(row.data)


# ---------------------------------------------------------------- deciding a case
def case_view(conn: Any, ledger: Any, row: Any, bundle: Bundle, policy: Policy) -> Any:
    """The ledger as this case sees it: the applicant's other awards (never its own), the other organisers'
    awards for its competitions, its own notices (`process.decide.ledger_view`)."""
    return ledger_view(
        conn, ledger, bundle, policy, case_id=row.id, contents=(row.content_sha256,), bundle_bytes=(row.bytes_sha256,)
    )


def decide_case(
    conn: Any,
    ledger: Any,
    row: Any,
    bundle: Bundle,
    policy: Policy,
    *,
    verified: Mapping[tuple[int, str | None], Mapping[str, Any]] | None = None,
    exclusion_list: frozenset[str] = frozenset(),
    view: Any = None,
    earlier: Iterable[PriorAward] = (),
) -> CheckResult:
    """The case decided with the ledger, its own awards left out (a case never competes with itself).

    With `verified` facts: what they give, never more per claim than the declared facts give
    (`verified.no_more_than_declared`). `earlier`: amounts listed before it (the 公示's other approved
    cases of the same applicant) that share its caps."""
    view = view or case_view(conn, ledger, row, bundle, policy)
    name = ledger_name(ledger)
    earlier = tuple(earlier)
    declared = decide_counting(
        bundle,
        policy,
        view.history,
        exclusion_list=exclusion_list,
        counted=name,
        organisers=view.organisers,
        earlier=earlier,
    )
    if not verified:
        return declared
    result = decide_counting(
        apply_verified(bundle, verified, policy),
        policy,
        view.history,
        exclusion_list=exclusion_list,
        counted=name,
        organisers=view.organisers,
        earlier=earlier,
    )
    return no_more_than_declared(declared, result)


def shown_case(conn: Any, ledger: Any, row: Any, result: CheckResult, policy: Policy, view: Any = None) -> CheckResult:
    """The case's result as every page and command shows it: awarded (its notice's amounts and number)
    while a notice stands, else as decided; revoked notices are named."""
    bundle = bundle_of(row, policy)
    view = view or case_view(conn, ledger, row, bundle, policy)
    return standing(result, view.notices, view.lines, policy)


def current_reviews(conn: Any, case_id: str) -> list[Any]:
    """The reviews of the case's content now: those after its latest return for correction (补正)."""
    rows = store.review_rows(conn, case_id)
    returned = [
        json.loads(e.detail).get("reviews_before") for e in store.event_rows(conn, [case_id]) if e.kind == "returned"
    ]
    if returned and returned[-1] is not None:
        rows = [r for r in rows if r.id > returned[-1]]
    return rows


def latest_verified(conn: Any, case_id: str, bundle: Bundle, policy: Policy) -> tuple[Any, dict | None]:
    rows = current_reviews(conn, case_id)
    if not rows:
        return None, None
    r = rows[-1]
    return r, verified_facts(_verified_of(r.verified), bundle, policy=policy)


def case_result(
    ledger: Any,
    case_id: str,
    policy: Policy,
    *,
    exclusion_list: frozenset[str] = frozenset(),
    earlier: Iterable[PriorAward] = (),
) -> CheckResult:
    """The decision now: the latest review's verified facts (a rejection gives 0), counting the ledger
    but never the case's own award; an awarded case is shown as awarded."""
    with ledger.engine.connect() as conn:
        row, _ = case_in(conn, case_id)
        bundle = bundle_of(row, policy)
        view = case_view(conn, ledger, row, bundle, policy)
        review, verified = latest_verified(conn, case_id, bundle, policy)
        result = decide_case(
            conn,
            ledger,
            row,
            bundle,
            policy,
            verified=verified,
            exclusion_list=exclusion_list,
            view=view,
            earlier=earlier,
        )
    if review is not None and review.conclusion == "reject":
        result = rejected(result, review.remarks)
    return standing(result, view.notices, view.lines, policy)


# ---------------------------------------------------------------- the steps
def submit(
    ledger: Any,
    bundle: Bundle,
    *,
    actor: str,
    policy: Policy,
    attachments: Mapping[str, bytes] | None = None,
    exclusion_list: frozenset[str] = frozenset(),
    with_review: bool = False,
) -> Submission:
    """Record a validated bundle as a case; the same content again is the same case (created=False).

    The content identity folds the applicant (canonical district, USCC folded); a case recorded by an
    earlier version under the district as written is found by that identity too. `with_review`: the
    application is recorded together with its (paper) review, so the review's own date — not the day
    it is recorded — is the earliest date known for it (`review` does not compare the two)."""
    if not actor:
        raise ReviewRefused("未指明操作人", "no actor given")
    files = dict(attachments or {})
    for name, data in files.items():
        if len(data) > MAX_ATTACHMENT:
            raise BundleError(
                f"附件“{name}”超过 {MAX_ATTACHMENT // 1024 // 1024} MiB 上限",
                f"attachment {name!r} is larger than {MAX_ATTACHMENT // 1024 // 1024} MiB",
            )
    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    canonical = canonical_json(bundle)
    identities = content_identities(bundle, hashes.values())
    content = identities[0]
    case_id = case_id_for(content)
    uscc = bundle.applicant.uscc
    with ledger.transaction() as conn:
        ledger.lock_applicant(conn, uscc)
        row = next((r for r in (store.case_by_content(conn, c) for c in identities) if r is not None), None)
        detail = {
            "source": bundle.source,
            "bytes_sha256": bundle.sha256,
            "attachments": [{"name": n, "sha256": h} for n, h in sorted(hashes.items())],
        }
        if row is not None:
            store.add_event(conn, row.id, "resubmitted", actor, detail)
            created = False
        else:
            view = ledger_view(conn, ledger, bundle, policy, contents=identities)
            result = decide_counting(
                bundle, policy, view.history, exclusion_list=exclusion_list, organisers=view.organisers
            )
            total = result.total
            store.insert_case(
                conn,
                id=case_id,
                content_sha256=content,
                content=canonical,
                uscc=uscc,
                applicant_name=bundle.applicant.name,
                district=bundle.applicant.district,
                year=bundle.year,
                policy_id=policy.id,
                source_name=bundle.source,
                bytes_sha256=bundle.sha256,
                total=total,
                actor=actor,
            )
            for name, data in sorted(files.items()):
                store.add_attachment(conn, case_id, name, hashes[name], data)
            store.add_event(
                conn,
                case_id,
                "submitted",
                actor,
                {**detail, "total": money_text(total), **({"with_review": True} if with_review else {})},
            )
            created = True
        row, case = case_in(conn, case_id if row is None else row.id)
        stored = bundle_of(row, policy)
        view = case_view(conn, ledger, row, stored, policy)
        result = decide_case(conn, ledger, row, stored, policy, exclusion_list=exclusion_list, view=view)
    return Submission(
        case=case,
        created=created,
        result=standing(replace(result, source=bundle.source), view.notices, view.lines, policy),
    )


def _submitted_on(conn: Any, row: Any) -> dt.date | None:
    """The day the case was submitted (the ledger's UTC date: never later than the day in Zhengzhou), or
    None when it was recorded together with its review (`submit(with_review=True)`)."""
    first = next((e for e in store.event_rows(conn, [row.id]) if e.kind == "submitted"), None)
    if first is not None and json.loads(first.detail).get("with_review"):
        return None
    return dt.date.fromisoformat(str(row.submitted_at)[:10])


def review_dates_problem(reviewed_on: dt.date, year: int, submitted_on: dt.date | None) -> tuple[str, str] | None:
    """Dates in order: a review is not dated before the 申报年度 began, nor before its case was submitted."""
    start = dt.date(year, 1, 1)
    if reviewed_on < start:
        return (
            f"审核日期 {reviewed_on.isoformat()} 早于申报年度 {year} 年的开始（{start.isoformat()}）",
            f"the review is dated {reviewed_on.isoformat()}, before the {year} application year began "
            f"({start.isoformat()})",
        )
    if submitted_on is not None and reviewed_on < submitted_on:
        return (
            f"审核日期 {reviewed_on.isoformat()} 早于案件受理日期 {submitted_on.isoformat()}",
            f"the review is dated {reviewed_on.isoformat()}, before the case was submitted "
            f"({submitted_on.isoformat()})",
        )
    return None


def _same_review(conn: Any, case_id: str, record: ReviewInput) -> Any:
    """The review already recorded from this very record file (the same SHA-256 of its bytes) for the
    case's current content (a review before a correction (补正) reviewed other content), or None. A review
    without a file (the desk's form) is always a new one."""
    if record.record_sha256 is None:
        return None
    current: set[int] = set()
    for e in store.event_rows(conn, [case_id]):
        if e.kind == "corrected":
            current = set()
        elif e.kind == "reviewed":
            current.add(json.loads(e.detail).get("review_id"))
    return next(
        (r for r in store.review_rows(conn, case_id) if r.id in current and r.record_sha256 == record.record_sha256),
        None,
    )


def review(
    ledger: Any,
    case_id: str,
    record: ReviewInput,
    *,
    actor: str,
    policy: Policy,
    exclusion_list: frozenset[str] = frozenset(),
) -> ReviewOutcome:
    """Record a review; the latest review decides. Refused when its conclusion contradicts its figures,
    when it is dated before the 申报年度 began or before the case was submitted (ArgumentError: exit 2,
    HTTP 422), or when the case's notice stands (revoke it first). The same review again records
    nothing (`recorded=False`). A verified figure that would pay more than the declared facts give is
    recorded with a warning (`review_raises`); the lower amount is the one awarded."""
    where = record.record_file
    if record.conclusion not in CONCLUSIONS:
        raise ReviewRefused(
            f"审核结论应为 approve、partial 或 reject（收到 {record.conclusion!r}）",
            f"the conclusion is one of approve, partial, reject (got {record.conclusion!r})",
            file=where,
            pointer="/conclusion",
        )
    if not record.reviewer or not record.reviewer.strip():
        raise ReviewRefused("未写明审核人", "the reviewer is not named", file=where, pointer="/reviewer")
    reviewed_on = record.reviewed_on or dt.date.today()
    with ledger.transaction() as conn:
        row, _ = case_in(conn, case_id)
        ledger.lock_applicant(conn, row.uscc)
        if record.bundle_sha256 is not None:
            seen = {row.bytes_sha256, row.content_sha256} | {
                json.loads(e.detail).get("bytes_sha256") for e in store.event_rows(conn, [case_id])
            }
            if record.bundle_sha256 not in seen:
                raise ReviewRefused(
                    f"审核记录所审材料的 SHA-256 为 {record.bundle_sha256[:12]}…，与案件 {case_id} 的材料不一致"
                    "（材料在审核后被修改？）",
                    f"the review names bundle SHA-256 {record.bundle_sha256[:12]}…, which is not case {case_id} "
                    "(was the bundle changed after review?)",
                    file=where,
                    pointer="/bundle/sha256",
                )
        stored = [
            {
                "clause": v.clause,
                "competition_name": v.competition_name,
                "facts": {k: jsonable(x) for k, x in dict(v.facts).items()},
            }
            for v in record.verified
        ]
        bundle = bundle_of(row, policy)
        earlier = _same_review(conn, case_id, record)
        if earlier is not None:  # one review, recorded once: nothing new
            verified = verified_facts(_verified_of(earlier.verified), bundle, file=where, policy=policy)
            result = decide_case(conn, ledger, row, bundle, policy, verified=verified, exclusion_list=exclusion_list)
            if earlier.conclusion == "reject":
                result = rejected(result, earlier.remarks)
            _, case = case_in(conn, case_id)
            return ReviewOutcome(review_id=earlier.id, case=case, result=result, recorded=False)
        standing_notices = [
            n for n in store.notice_rows(conn, case_id=row.id, content_sha256=row.content_sha256) if n.rid is None
        ]
        if standing_notices:
            raise CaseAwardedStands(standing_notices[-1].number)
        problem = review_dates_problem(reviewed_on, row.year, _submitted_on(conn, row))
        if problem:
            raise ArgumentError(*problem, file=where, pointer="/reviewed_on")
        verified = verified_facts(record.verified, bundle, file=where, policy=policy)
        result = decide_case(conn, ledger, row, bundle, policy, verified=verified, exclusion_list=exclusion_list)
        refused = contradiction(record.conclusion, result)
        if refused:
            raise ReviewRefused(*refused, file=where, pointer="/conclusion")
        if record.conclusion == "reject":
            result = rejected(result, record.remarks)
        review_id = store.add_review(
            conn,
            case_id,
            reviewer=record.reviewer.strip(),
            unit=record.unit,
            conclusion=record.conclusion,
            reviewed_on=reviewed_on.isoformat(),
            verified=stored,
            remarks=record.remarks,
            record_file=record.record_file,
            record_sha256=record.record_sha256,
            bundle_sha256=record.bundle_sha256,
            total=result.total,
            actor=actor,
        )
        store.add_event(
            conn,
            case_id,
            "reviewed",
            actor,
            {
                "review_id": review_id,
                "conclusion": record.conclusion,
                "reviewer": record.reviewer.strip(),
                "unit": record.unit,
                "total": money_text(result.total),
                "record_file": record.record_file,
                "record_sha256": record.record_sha256,
                **(
                    {"raised": [w.message for w in result.warnings if w.code == "review_raises"]}
                    if any(w.code == "review_raises" for w in result.warnings)
                    else {}
                ),
            },
        )
        _, case = case_in(conn, case_id)
    return ReviewOutcome(review_id=review_id, case=case, result=result)
