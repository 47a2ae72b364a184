"""The award process, one service layer: submit → review → award → revoke, and reading cases.

The command line (`submit`, `review`, `award`, `case`, `ledger revoke`) and the web desk call only
these functions; each step is one transaction on the ledger database and appends what it did
(with who and when). Storage is `zzcbec_docs.ledger`; documents are `zzcbec_docs.documents`.
"""

from typing import TYPE_CHECKING

from zzcbec_docs.lazy import names_from

if TYPE_CHECKING:
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
        CaseAwardedStands,
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
    "STATUSES",
    "AlreadyAwarded",
    "AttachmentInfo",
    "AwardLine",
    "AwardOutcome",
    "Case",
    "CaseAwardedStands",
    "CaseDetail",
    "CaseNotFound",
    "Event",
    "NotAwardable",
    "NoticeInfo",
    "ProcessError",
    "ReviewInput",
    "ReviewOutcome",
    "ReviewRecord",
    "ReviewRefused",
    "Revocation",
    "Submission",
    "VerifiedClaim",
    "attachment",
    "award",
    "case_document",
    "case_result",
    "check_with_ledger",
    "decide_counting",
    "get_case",
    "list_cases",
    "review",
    "revoke",
    "submit",
]

# Where each name lives: loaded when first asked for, so that importing `zzcbec_docs.process.verified`
# (say, for `render --review`) does not import the ledger and SQLAlchemy (~0.2 s) with it.
__getattr__ = names_from(
    __name__,
    {
        "award": "awarding",
        "revoke": "awarding",
        "attachment": "cases",
        "case_result": "cases",
        "get_case": "cases",
        "list_cases": "cases",
        "review": "cases",
        "submit": "cases",
        "check_with_ledger": "decide",
        "decide_counting": "decide",
        "case_document": "documents",
        **{name: "model" for name in __all__ if name[0].isupper()},
    },
)
