"""The award process, one service layer: submit → review → award → revoke, and reading cases.

The command line (`submit`, `review`, `award`, `case`, `ledger revoke`) and the web desk call only
these functions; each step is one transaction on the ledger database and appends what it did
(with who and when). Storage is `zzcbec_docs.ledger`; documents are `zzcbec_docs.documents`.
"""

from zzcbec_docs.process.awarding import award, revoke
from zzcbec_docs.process.cases import attachment, case_result, get_case, list_cases, review, submit
from zzcbec_docs.process.decide import check_with_ledger, decide_counting
from zzcbec_docs.process.documents import case_document
from zzcbec_docs.process.model import (
    STATUSES,
    AlreadyAwarded,
    AttachmentInfo,
    AwardLine,
    AwardOutcome,
    Case,
    CaseDetail,
    CaseNotFound,
    Event,
    NotAwardable,
    NoticeInfo,
    ProcessError,
    ReviewInput,
    ReviewOutcome,
    ReviewRecord,
    ReviewRefused,
    Revocation,
    Submission,
    VerifiedClaim,
)

__all__ = [
    "STATUSES", "AlreadyAwarded", "AttachmentInfo", "AwardLine", "AwardOutcome", "Case", "CaseDetail",
    "CaseNotFound", "Event", "NotAwardable", "NoticeInfo", "ProcessError", "ReviewInput", "ReviewOutcome",
    "ReviewRecord", "ReviewRefused", "Revocation", "Submission", "VerifiedClaim", "attachment", "award",
    "case_document", "case_result", "check_with_ledger", "decide_counting", "get_case", "list_cases", "review",
    "revoke", "submit",
]
