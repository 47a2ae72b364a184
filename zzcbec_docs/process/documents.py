"""A case's documents, made from what the ledger records: the application packet, the opinion
(the latest review), and each numbered notice (the amounts as awarded)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from zzcbec_docs.bundle.model import Bundle
from zzcbec_docs.policy.model import Policy
from zzcbec_docs.process.decide import as_awarded
from zzcbec_docs.process.model import NotAwardable, ReviewRecord
from zzcbec_docs.rules.model import ELIGIBLE, CheckResult

KINDS = ("application", "opinion", "notice")
FORMATS = ("docx", "pdf")


def review_document(review: ReviewRecord, bundle: Bundle, verified: dict, policy: Policy) -> Any:
    """The documents' review object for a recorded review (facts keyed as the bundle names its claims)."""
    from zzcbec_docs.bundle.model import item_key
    from zzcbec_docs.documents.review import Review

    per_item = policy.per_competition_clauses
    by_claim = {}
    for c in bundle.claims:
        key = item_key(policy, c.clause, c.item_name(policy))
        if key in verified:
            by_claim[(c.clause, c.competition_name if c.clause in per_item else None)] = verified[key]
    return Review(
        source=review.record_file or f"审核记录 #{review.id}",
        bundle_sha256=bundle.sha256,
        reviewer=review.reviewer,
        reviewed_on=review.reviewed_on,
        verified=by_claim,
        remarks=review.remarks,
        conclusion=review.conclusion,
        sha256=review.record_sha256 or "",
        per_item=per_item,
        unit=review.unit,
    )


def make_document(
    kind: str,
    fmt: str,
    bundle: Bundle,
    policy: Policy,
    *,
    declared: CheckResult,
    verified: CheckResult | None = None,
    review: Any = None,
    number: str | None = None,
    issuer: str | None = None,
    date: dt.date | None = None,
    replaces: str | None = None,
    profile: str | None = None,
    unsigned: bool = False,
) -> tuple[str, bytes]:
    """(file name, bytes) of one document from decisions already made. A numbered notice's PDF is
    signed with the issuer profile's key (documents/signing.py) unless `unsigned` says otherwise."""
    from zzcbec_docs.documents.render import file_name, write_format

    html = document_html(
        kind,
        bundle,
        policy,
        declared=declared,
        verified=verified,
        review=review,
        number=number,
        issuer=issuer,
        date=date,
        replaces=replaces,
        profile=profile,
    )
    data = write_format(html, fmt, bundle, policy, kind)
    if kind == "notice" and fmt == "pdf" and number is not None and not unsigned:
        from zzcbec_docs.documents.signing import sign_notice

        data = sign_notice(data, issuer=issuer, profile=profile, date=date)
    return file_name(bundle, kind, fmt, number if kind == "notice" else None), data


def document_html(
    kind: str,
    bundle: Bundle,
    policy: Policy,
    *,
    declared: CheckResult,
    verified: CheckResult | None = None,
    review: Any = None,
    number: str | None = None,
    issuer: str | None = None,
    date: dt.date | None = None,
    replaces: str | None = None,
    profile: str | None = None,
) -> str:
    """One document's content (the HTML every format is written from), from decisions already made;
    `make_document` writes it (`documents.render.write_format`), and so do render's worker processes."""
    from zzcbec_docs.documents import content as c
    from zzcbec_docs.documents.html import render_html

    created = c.document_time().isoformat().replace("+00:00", "Z")
    if kind == "application":
        ctx = c.application_context(bundle, declared, policy)
    elif kind == "opinion":
        ctx = c.opinion_context(
            bundle,
            declared,
            verified or declared,
            policy,
            review,
            issuer=c.NoticeOptions(issuer=issuer, profile=profile).issuer_profile(),
        )
    elif kind == "notice":
        options = c.NoticeOptions(issuer=issuer, number=number, date=date, replaces=replaces, profile=profile)
        ctx = c.notice_context(bundle, verified or declared, policy, options)
    else:
        raise ValueError(kind)
    return render_html(kind, ctx, created)


def case_document(
    ledger: Any,
    case_id: str,
    kind: str,
    fmt: str,
    *,
    policy: Policy,
    number: str | None = None,
    exclusion_list: frozenset[str] = frozenset(),
    profile: str | None = None,
    unsigned: bool = False,
) -> tuple[str, bytes]:
    """(file name, bytes) of a case's application packet, opinion, or notice (the latest standing
    notice, or the one `number` names); a notice needs an awarded case. `profile`: the issuer
    profile file whose 版头 and 版记 the opinion and notice print (the service passes its own);
    a notice's PDF is signed with that profile's key unless `unsigned`."""
    from zzcbec_docs.errors import ArgumentError
    from zzcbec_docs.ledger import cases as store
    from zzcbec_docs.process.cases import (
        bundle_of,
        case_in,
        decide_case,
        latest_verified,
        notice_infos,
        rejected,
        review_records,
        verified_facts,
    )

    if kind not in KINDS or fmt not in FORMATS:
        raise ArgumentError(
            f"文书种类应为 {'、'.join(KINDS)}，格式为 {'、'.join(FORMATS)}",
            f"a document is one of {', '.join(KINDS)} in {', '.join(FORMATS)}",
        )
    with ledger.engine.connect() as conn:
        row, case = case_in(conn, case_id)
        bundle = bundle_of(row, policy)
        declared = decide_case(conn, ledger, row, bundle, policy, exclusion_list=exclusion_list)
        if kind == "application":
            return make_document(kind, fmt, bundle, policy, declared=declared)
        if kind == "opinion":
            review_row, verified = latest_verified(conn, case_id, bundle, policy)
            if review_row is None:
                return make_document(kind, fmt, bundle, policy, declared=declared, profile=profile)
            result = decide_case(conn, ledger, row, bundle, policy, verified=verified, exclusion_list=exclusion_list)
            if review_row.conclusion == "reject":
                result = rejected(result, review_row.remarks)
            record = review_records(conn, case_id)[-1]
            return make_document(
                kind,
                fmt,
                bundle,
                policy,
                declared=declared,
                verified=result,
                review=review_document(record, bundle, verified or {}, policy),
                profile=profile,
            )
        notices = notice_infos(conn, store.notice_rows(conn, case_id=row.id, content_sha256=row.content_sha256))
        if number is not None:
            chosen = next((n for n in notices if n.number == number), None)
        else:
            chosen = next((n for n in reversed(notices) if not n.revoked), None)
        if chosen is None:
            raise NotAwardable(
                f"案件 {case_id} 没有{'文号为 ' + number + ' 的' if number else '有效的'}奖励通知",
                f"case {case_id} has no {'notice ' + number if number else 'standing notice'}",
            )
        reviews = {r.id: r for r in review_records(conn, case_id)}
        verified = (
            verified_facts(reviews[chosen.review_id].verified, bundle, policy=policy)
            if chosen.review_id in reviews
            else None
        )
        result = decide_case(conn, ledger, row, bundle, policy, verified=verified, exclusion_list=exclusion_list)
    awarded = as_awarded(result, chosen.lines, policy, row.district)
    return make_document(
        "notice",
        fmt,
        bundle,
        policy,
        declared=declared,
        verified=awarded,
        number=chosen.number,
        issuer=chosen.issuer,
        date=dt.date.fromisoformat(chosen.issued_on),
        replaces=chosen.reissue_of,
        profile=profile,
        unsigned=unsigned,
    )


def publicity_entries(ledger: Any, year: int, policy: Policy) -> list[Any]:
    """The 公示's list (documents.md: "made from the ledger's approved or awarded cases"): each
    unrevoked notice of the year, in notice order, then each approved case not yet awarded, in the
    order it was submitted, with what it would be paid now (its latest review, the ledger counted).

    An applicant's approved cases are priced together, never each alone against the same cap: each
    counts what the ones listed before it would be paid (as a batch does)."""
    from dataclasses import replace

    from zzcbec_docs.bundle.model import PriorAward
    from zzcbec_docs.documents.publicity import Entry, entries_from_ledger
    from zzcbec_docs.process.cases import case_result, list_cases

    shared = policy.per_competition_clauses  # the organisers listed before share the competition's cap
    entries = entries_from_ledger(ledger, year)
    listed: dict[str, list[PriorAward]] = {}
    for case in list_cases(ledger, status="approved", year=year):
        earlier = listed.setdefault(case.uscc, [])
        others = [
            replace(p, organiser=u) for u, ps in listed.items() if u != case.uscc for p in ps if p.clause in shared
        ]
        result = case_result(ledger, case.id, policy, earlier=(*earlier, *others))
        paid = [d for d in result.decisions if d.status == ELIGIBLE and d.amount > 0]
        if paid:
            entries.append(
                Entry(
                    "",
                    case.applicant_name,
                    case.uscc,
                    case.district,
                    tuple(d.clause for d in paid),
                    sum((d.amount for d in paid), Decimal("0.00")),
                )
            )
            earlier.extend(
                PriorAward(
                    clause=d.clause,
                    year=case.year,
                    amount=d.amount,
                    competition_name=d.competition_name,
                    source="batch",
                    reference=f"公示 {case.id}",
                    tier=d.cap,
                )
                for d in paid
            )
    return entries
