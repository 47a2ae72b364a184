"""The award process as data: cases, reviews, notices, events, and the outcomes of each step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from zzcbec_docs import vocabulary
from zzcbec_docs.bundle.model import Bundle
from zzcbec_docs.errors import ZzcbecError
from zzcbec_docs.rules.model import CheckResult

SUBMITTED, REVIEWED, APPROVED, REJECTED, AWARDED, REVOKED = (
    "submitted",
    "reviewed",
    "approved",
    "rejected",
    "awarded",
    "revoked",
)
RETURNED = "returned"  # 待补正: sent back to the enterprise for correction; it resubmits within the case
STATUSES = (SUBMITTED, REVIEWED, APPROVED, REJECTED, AWARDED, REVOKED, RETURNED)
STATUS_ZH = {code: vocabulary.STATUS_ZH[code] for code in STATUSES}  # the words: zzcbec_docs.vocabulary
CONCLUSIONS = vocabulary.CONCLUSION_ZH


# ---------------------------------------------------------------- errors (bilingual, mapped at the edges)
class ProcessError(ZzcbecError):
    """A step of the award process was refused."""


class CaseNotFound(ProcessError):
    """No such case (HTTP 404, exit 1)."""


class ReviewRefused(ProcessError):
    """A review that cannot be recorded: its conclusion contradicts its figures, or it is malformed (422)."""


class StepConflict(ProcessError):
    """A step that the case's state refuses now (409): taken by another reviewer, not returned, unchanged."""


class NotAwardable(ProcessError):
    """The case cannot be awarded now (409): no approving review, rejected, nothing left under the caps."""

    def __init__(self, zh: str, en: str, *, reasons: tuple[str, ...] = (), **kw: Any) -> None:
        self.reasons = reasons or (f"{zh} / {en}",)
        super().__init__(zh, en, **kw)


class AlreadyAwarded(NotAwardable):
    """The content was awarded and the notice stands (409), or was revoked and re-issue was not asked for."""

    def __init__(self, number: str, revoked: bool, rewritten: tuple[Any, ...] = ()) -> None:
        self.number = number
        self.revoked = revoked
        self.rewritten = rewritten
        if revoked:
            zh = (
                f"该申报内容已奖励，文号 {number}（已撤销）；如需重新出具，请用 --reissue-of {number} "
                "明确指明所替代的通知"
            )
            en = (
                f"this content was awarded as {number} (revoked); to issue it again, name the revoked "
                f"notice with --reissue-of {number}"
            )
        else:
            again_zh = f"；缺失的通知书已重新写出：{', '.join(str(p) for p in rewritten)}" if rewritten else ""
            again_en = (
                f"; the missing notice was written again: {', '.join(str(p) for p in rewritten)}" if rewritten else ""
            )
            zh = f"该申报内容已奖励，文号 {number}，不再重复奖励{again_zh}"
            en = f"this content was already awarded as {number}; not awarded again{again_en}"
        super().__init__(zh, en)

    def with_rewritten(self, rewritten: tuple[Any, ...]) -> AlreadyAwarded:
        return AlreadyAwarded(self.number, self.revoked, rewritten)


class CaseAwardedStands(NotAwardable):
    """A review added to a case whose notice stands (409): revoke the notice first."""

    def __init__(self, number: str) -> None:
        self.number = number
        super().__init__(
            f"该案件已奖励，文号 {number} 仍然有效：不能再添加审核；如需更正，请先撤销该通知（ledger revoke）",
            f"the case was awarded as {number} and that notice stands: no review can be added; "
            "revoke the notice first (ledger revoke)",
        )


# ---------------------------------------------------------------- inputs
@dataclass(frozen=True)
class VerifiedClaim:
    """The reviewer's verified facts for one claim (clause 11: one per competition)."""

    clause: int
    competition_name: str | None
    facts: Mapping[str, Any]  # fact → "decimal text" | bool | int | "YYYY-MM-DD"


@dataclass(frozen=True)
class ReviewInput:
    reviewer: str
    conclusion: str  # approve | partial | reject
    verified: tuple[VerifiedClaim, ...] = ()
    remarks: str = ""
    reviewed_on: dt.date | None = None
    unit: str | None = None  # 审核单位
    record_file: str | None = None  # the review record file, when it came from one
    record_sha256: str | None = None  # the SHA-256 of that file's bytes
    bundle_sha256: str | None = None  # the bundle bytes the record names (checked against the case)


# ---------------------------------------------------------------- records
@dataclass(frozen=True)
class Case:
    id: str
    uscc: str
    applicant_name: str
    district: str
    year: int
    status: str
    total: Decimal | None
    content_sha256: str
    submitted_at: str
    submitted_by: str
    policy_id: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "uscc": self.uscc,
            "applicant": self.applicant_name,
            "district": self.district,
            "year": self.year,
            "status": self.status,
            "total": None if self.total is None else f"{self.total:.2f}",
            "content_sha256": self.content_sha256,
            "submitted_at": self.submitted_at,
            "submitted_by": self.submitted_by,
            "policy_id": self.policy_id,
        }


@dataclass(frozen=True)
class ReviewRecord:
    id: int
    reviewer: str
    unit: str | None
    conclusion: str
    reviewed_on: dt.date
    verified: tuple[VerifiedClaim, ...]
    remarks: str
    record_file: str | None
    record_sha256: str | None
    total: Decimal | None
    actor: str
    created_at: str

    @property
    def conclusion_zh(self) -> str:
        return CONCLUSIONS[self.conclusion]


@dataclass(frozen=True)
class AwardLine:
    clause: int
    competition_name: str | None
    year: int
    amount: Decimal
    city: Decimal | None
    local: Decimal | None


@dataclass(frozen=True)
class NoticeInfo:
    id: int
    number: str
    issuer: str
    issued_on: str
    lines: tuple[AwardLine, ...]
    revoked: bool
    revocation_reason: str | None
    revoked_at: str | None
    reissue_of: str | None
    review_id: int | None
    actor: str | None
    created_at: str

    @property
    def total(self) -> Decimal:
        return sum((x.amount for x in self.lines), Decimal("0.00"))


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    actor: str
    at: str
    detail: dict[str, Any]
    address: str | None = None  # the client address the step came from (the desk), since ledger version 4


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    bundle: Bundle
    reviews: list[ReviewRecord] = field(default_factory=list)
    notices: list[NoticeInfo] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    attachments: list[AttachmentInfo] = field(default_factory=list)

    @property
    def latest_review(self) -> ReviewRecord | None:
        return self.reviews[-1] if self.reviews else None


# ---------------------------------------------------------------- outcomes
@dataclass(frozen=True)
class Submission:
    case: Case
    created: bool
    result: CheckResult


@dataclass(frozen=True)
class ReviewOutcome:
    review_id: int
    case: Case
    result: CheckResult
    recorded: bool = True  # False: this very review was already recorded (as `review_id`); nothing new


@dataclass(frozen=True)
class AwardOutcome:
    number: str
    total: Decimal
    case: Case
    result: CheckResult
    notice_id: int
    reissue_of: str | None = None
    prepared: Any = None  # what `before_commit` returned (the CLI: the notice files' bytes)


@dataclass(frozen=True)
class Revocation:
    number: str
    case_id: str | None
    uscc: str
    reason: str
    revoked_at: str
    actor: str
