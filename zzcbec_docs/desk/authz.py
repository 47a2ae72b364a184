"""Who may do what: desk.md's authorization matrix, in this one table and nowhere else.

Every route names its action; `authorize` answers 404 when the caller may not see the case at
all (never a hint that it exists), then 403 when its role may not take the action on a case it
sees. Tests walk this table route by route, role by role, own case and other's case.
"""

from __future__ import annotations

from zzcbec_docs.desk.accounts import User

# action -> the roles that may take it (on a case the role can see)
MATRIX: dict[str, frozenset[str]] = {
    "case.list": frozenset({"enterprise", "reviewer", "bureau"}),
    "case.view": frozenset({"enterprise", "reviewer", "bureau"}),
    "case.submit": frozenset({"enterprise"}),
    "upload.attachment": frozenset({"enterprise"}),
    "doc.application": frozenset({"enterprise", "reviewer", "bureau"}),
    "doc.opinion": frozenset({"reviewer", "bureau"}),
    "doc.notice": frozenset({"enterprise", "reviewer", "bureau"}),
    "doc.attachment": frozenset({"enterprise", "reviewer", "bureau"}),
    "doc.bundle": frozenset({"enterprise", "reviewer", "bureau"}),
    "case.review": frozenset({"reviewer", "bureau"}),
    "case.award": frozenset({"bureau"}),
    "case.revoke": frozenset({"bureau"}),
    "ledger.export": frozenset({"bureau"}),
    "dashboard.view": frozenset({"bureau"}),
    # the day's work (desk.md, "Queues, 补正, bulk actions, inbox, audit, 免申即享")
    "queue.view": frozenset({"reviewer", "bureau"}),
    "case.take": frozenset({"reviewer"}),
    "case.assign": frozenset({"bureau"}),
    "case.return": frozenset({"reviewer", "bureau"}),
    "case.resubmit": frozenset({"enterprise"}),
    "case.history": frozenset({"enterprise", "reviewer", "bureau"}),
    "bulk.award": frozenset({"bureau"}),
    "publicity.publish": frozenset({"bureau"}),
    "payment.export": frozenset({"bureau"}),
    "audit.view": frozenset({"bureau"}),
    "audit.export": frozenset({"bureau"}),
    "inbox.view": frozenset({"enterprise", "reviewer", "bureau"}),
    "match.upload": frozenset({"bureau"}),
    "match.view": frozenset({"bureau"}),
    "claims.view": frozenset({"enterprise"}),
}


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


def may(user: User, action: str) -> bool:
    return user.role in MATRIX[action]


def authorize(user: User, action: str, case=None) -> None:  # type: ignore[no-untyped-def]
    """Raise Denied(404) for a case the user may not see, Denied(403) for an action its role may not take."""
    if case is not None and not sees(user, case.uscc, case.district):
        raise Denied(404)
    if not may(user, action):
        raise Denied(403)


def visible_filter(user: User) -> dict:
    """list_cases arguments that return only what this user may see."""
    if user.role == "enterprise":
        return {"uscc": user.uscc or "-"}
    if user.role == "reviewer":
        return {"districts": list(user.districts)}
    return {}
