"""补正: a reviewer returns a case for correction with a reason the enterprise sees, and the
enterprise resubmits its corrected bundle within the same case.

Content identity: a case is named by its first content (its id is derived from it and never
changes). A corrected bundle is new content: it is kept in a row of its own (`case_contents`), the
case reads its latest content from there, and the `corrected` event names both SHA-256s. The
reviews made before the return stay in the history but no longer decide (a new review is needed).
Each step is one transaction appending one event (`returned`, `corrected`); nothing is edited.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from zzcbec_docs.bundle.model import Bundle
from zzcbec_docs.errors import BundleError
from zzcbec_docs.ledger import cases as store
from zzcbec_docs.policy.model import Policy
from zzcbec_docs.process.cases import MAX_ATTACHMENT, bundle_of, case_in, case_view, decide_case, money_text
from zzcbec_docs.process.decide import decide_counting, ledger_view, standing
from zzcbec_docs.process.identity import canonical_json, content_identities
from zzcbec_docs.process.model import (
    APPROVED,
    REJECTED,
    RETURNED,
    REVIEWED,
    STATUS_ZH,
    SUBMITTED,
    Case,
    ReviewRefused,
    StepConflict,
)
from zzcbec_docs.rules.model import CheckResult

MAX_REASON = 1000
RETURNABLE = (SUBMITTED, REVIEWED, APPROVED, REJECTED)


@dataclass(frozen=True)
class Returned:
    case: Case
    reason: str


@dataclass(frozen=True)
class Resubmission:
    case: Case
    previous_content_sha256: str
    result: CheckResult


def return_for_correction(ledger: Any, case_id: str, *, reason: str, actor: str) -> Returned:
    """退回补正: the case goes back to the enterprise with `reason` (shown to it as written)."""
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise ReviewRefused(
            f"请写明退回补正的理由（不超过 {MAX_REASON} 字），企业将看到这段文字",
            f"give the reason for the return (at most {MAX_REASON} characters); the enterprise sees it",
            pointer="/reason",
        )
    if not actor:
        raise ReviewRefused("未指明操作人", "no actor given")
    with ledger.transaction() as conn:
        row, case = case_in(conn, case_id)
        ledger.lock_applicant(conn, row.uscc)
        if case.status not in RETURNABLE:
            raise StepConflict(
                f"案件{STATUS_ZH[case.status]}，不能退回补正",
                f"a case that is {case.status} cannot be returned for correction",
            )
        reviews = store.review_rows(conn, case_id)
        store.add_event(
            conn, case_id, "returned", actor, {"reason": reason, "reviews_before": reviews[-1].id if reviews else 0}
        )
        _, case = case_in(conn, case_id)
    return Returned(case, reason)


def resubmit(
    ledger: Any,
    case_id: str,
    bundle: Bundle,
    *,
    actor: str,
    policy: Policy,
    attachments: Mapping[str, bytes] | None = None,
    exclusion_list: frozenset[str] = frozenset(),
) -> Resubmission:
    """The corrected bundle of a returned case: the same applicant, district and year; new content."""
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
    identities = content_identities(bundle, hashes.values())  # one identity (issue 19), and the earlier ones
    content = identities[0]
    with ledger.transaction() as conn:
        row, case = case_in(conn, case_id)
        ledger.lock_applicant(conn, row.uscc)
        if case.status != RETURNED:
            raise StepConflict(
                f"案件{STATUS_ZH[case.status]}，未退回补正，不能重新提交",
                f"the case is {case.status}, not returned for correction: nothing to resubmit",
            )
        for what, zh, mine, theirs in (
            ("uscc", "统一社会信用代码", row.uscc, bundle.applicant.uscc),
            ("district", "所属区县（市）", row.district, bundle.applicant.district),
            ("year", "申报年度", row.year, bundle.year),
        ):
            if str(mine) != str(theirs):
                from zzcbec_docs.bundle import DISTRICT_ALIASES

                if what == "district" and DISTRICT_ALIASES.get(str(theirs), theirs) == mine:
                    continue
                raise StepConflict(
                    f"补正材料的{zh}（{theirs}）与原案件（{mine}）不同；如需更改，请另行申报",
                    f"the corrected bundle's {what} ({theirs}) is not the case's ({mine}); apply anew to change it",
                    pointer=f"/applicant/{what}" if what != "year" else "/year",
                )
        if row.content_sha256 in identities:
            raise StepConflict(
                "补正材料与退回时的材料相同，请修改后再提交",
                "the corrected bundle is the same as the returned one: change it first",
            )
        other = next((r for r in (store.case_by_content(conn, c) for c in identities) if r is not None), None)
        if other is not None:
            raise StepConflict(
                f"这份材料已是另一个案件（{other.id}）"
                if other.id != case_id
                else "这份材料与本案件此前提交的一版相同",
                f"this content is already case {other.id}"
                if other.id != case_id
                else "this content is an earlier version of this case",
            )
        view = ledger_view(conn, ledger, bundle, policy, case_id=case_id, contents=identities)
        result = decide_counting(
            bundle, policy, view.history, exclusion_list=exclusion_list, organisers=view.organisers
        )
        previous = row.content_sha256
        store.add_content(
            conn,
            case_id,
            content_sha256=content,
            content=canonical,
            source_name=bundle.source,
            bytes_sha256=bundle.sha256,
            total=result.total,
            actor=actor,
        )
        known = {a.sha256 for a in store.attachment_rows(conn, case_id)}
        for name, data in sorted(files.items()):
            if hashes[name] not in known:
                store.add_attachment(conn, case_id, name, hashes[name], data)
        store.add_event(
            conn,
            case_id,
            "corrected",
            actor,
            {
                "content_sha256": content,
                "previous_content_sha256": previous,
                "source": bundle.source,
                "bytes_sha256": bundle.sha256,
                "total": money_text(result.total),
                "attachments": [{"name": n, "sha256": h} for n, h in sorted(hashes.items())],
            },
        )
        row, case = case_in(conn, case_id)
        stored = bundle_of(row, policy)
        view = case_view(conn, ledger, row, stored, policy)
        decided = decide_case(conn, ledger, row, stored, policy, exclusion_list=exclusion_list, view=view)
    return Resubmission(
        case, previous, standing(replace(decided, source=bundle.source), view.notices, view.lines, policy)
    )
