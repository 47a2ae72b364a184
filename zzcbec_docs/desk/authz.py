"""Who may do what: desk.md's authorization matrix, in this one table and nowhere else.

Every route names its action; `authorize` answers 404 when the caller may not see the case at
all (never a hint that it exists), then 403 when its role may not take the action on a case it
sees. Tests walk this table route by route, role by role, own case and other's case.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from zzcbec_docs.desk.accounts import User


class Action(str, Enum):
    """What a role may do: each route names one, and the matrix below says who may. A member is its
    name too ("case.view" == Action.CASE_VIEW), as desk.md writes it (Python 3.10 has no StrEnum)."""

    def __str__(self) -> str:
        return str(self.value)

    CASE_LIST = "case.list"
    CASE_VIEW = "case.view"
    CASE_SUBMIT = "case.submit"
    UPLOAD_ATTACHMENT = "upload.attachment"
    DOC_APPLICATION = "doc.application"
    DOC_OPINION = "doc.opinion"
    DOC_NOTICE = "doc.notice"
    DOC_ATTACHMENT = "doc.attachment"
    DOC_BUNDLE = "doc.bundle"
    CASE_REVIEW = "case.review"
    CASE_AWARD = "case.award"
    CASE_REVOKE = "case.revoke"
    LEDGER_EXPORT = "ledger.export"
    DASHBOARD_VIEW = "dashboard.view"
    # the day's work (desk.md, "Queues, 补正, bulk actions, inbox, audit, 免申即享")
    QUEUE_VIEW = "queue.view"
    CASE_TAKE = "case.take"
    CASE_ASSIGN = "case.assign"
    CASE_RETURN = "case.return"
    CASE_RESUBMIT = "case.resubmit"
    CASE_HISTORY = "case.history"
    BULK_AWARD = "bulk.award"
    PUBLICITY_PUBLISH = "publicity.publish"
    PAYMENT_EXPORT = "payment.export"
    AUDIT_VIEW = "audit.view"
    AUDIT_EXPORT = "audit.export"
    INBOX_VIEW = "inbox.view"
    MATCH_UPLOAD = "match.upload"
    MATCH_VIEW = "match.view"
    CLAIMS_VIEW = "claims.view"


# action -> the roles that may take it (on a case the role can see)
MATRIX: dict[Action, frozenset[str]] = {
    Action.CASE_LIST: frozenset({"enterprise", "reviewer", "bureau"}),
    Action.CASE_VIEW: frozenset({"enterprise", "reviewer", "bureau"}),
    Action.CASE_SUBMIT: frozenset({"enterprise"}),
    Action.UPLOAD_ATTACHMENT: frozenset({"enterprise"}),
    Action.DOC_APPLICATION: frozenset({"enterprise", "reviewer", "bureau"}),
    Action.DOC_OPINION: frozenset({"reviewer", "bureau"}),
    Action.DOC_NOTICE: frozenset({"enterprise", "reviewer", "bureau"}),
    Action.DOC_ATTACHMENT: frozenset({"enterprise", "reviewer", "bureau"}),
    Action.DOC_BUNDLE: frozenset({"enterprise", "reviewer", "bureau"}),
    Action.CASE_REVIEW: frozenset({"reviewer", "bureau"}),
    Action.CASE_AWARD: frozenset({"bureau"}),
    Action.CASE_REVOKE: frozenset({"bureau"}),
    Action.LEDGER_EXPORT: frozenset({"bureau"}),
    Action.DASHBOARD_VIEW: frozenset({"bureau"}),
    Action.QUEUE_VIEW: frozenset({"reviewer", "bureau"}),
    Action.CASE_TAKE: frozenset({"reviewer"}),
    Action.CASE_ASSIGN: frozenset({"bureau"}),
    Action.CASE_RETURN: frozenset({"reviewer", "bureau"}),
    Action.CASE_RESUBMIT: frozenset({"enterprise"}),
    Action.CASE_HISTORY: frozenset({"enterprise", "reviewer", "bureau"}),
    Action.BULK_AWARD: frozenset({"bureau"}),
    Action.PUBLICITY_PUBLISH: frozenset({"bureau"}),
    Action.PAYMENT_EXPORT: frozenset({"bureau"}),
    Action.AUDIT_VIEW: frozenset({"bureau"}),
    Action.AUDIT_EXPORT: frozenset({"bureau"}),
    Action.INBOX_VIEW: frozenset({"enterprise", "reviewer", "bureau"}),
    Action.MATCH_UPLOAD: frozenset({"bureau"}),
    Action.MATCH_VIEW: frozenset({"bureau"}),
    Action.CLAIMS_VIEW: frozenset({"enterprise"}),
}
assert set(MATRIX) == set(Action), "every action has its row"


class Denied(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


def sees(user: User, uscc: str, district: str) -> bool:
    """Whether the case of this applicant and district exists for this user."""
    if user.role == "bureau":
        return True
    if user.role == "enterprise":
        return bool(user.uscc) and uscc == user.uscc
    if user.role == "reviewer":
        return district in user.districts
    return False


def may(user: User, action: Action) -> bool:
    return user.role in MATRIX[action]


def authorize(user: User, action: Action, case: Any = None) -> None:
    """Raise Denied(404) for a case the user may not see, Denied(403) for an action its role may not take."""
    if case is not None and not sees(user, case.uscc, case.district):
        raise Denied(404)
    if not may(user, action):
        raise Denied(403)


def visible_filter(user: User) -> dict[str, Any]:
    """list_cases arguments that return only what this user may see."""
    if user.role == "enterprise":
        return {"uscc": user.uscc or "-"}
    if user.role == "reviewer":
        return {"districts": list(user.districts)}
    return {}
