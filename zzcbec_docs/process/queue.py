"""The review queue: the cases a caller may see, with who handles each and its age against the
办理时限 (the issuer profile's `review_days`, in working days), filtered, sorted, paged and counted.

A case's clock starts when it was received (submitted, or resubmitted after 补正) and stops at its
review (or while it is back with the enterprise for correction). Ages are counted in Beijing's
calendar days, working days only (the profile's holidays and 调休 workdays).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from zzcbec_docs.ledger import cases as store
from zzcbec_docs.process.assignment import assignee_of
from zzcbec_docs.process.cases import _case
from zzcbec_docs.process.model import RETURNED, STATUSES, SUBMITTED, Case

BEIJING = dt.timezone(dt.timedelta(hours=8))
SORTS = ("age", "amount", "submitted", "district", "status", "applicant")
PER_PAGE = 20
MAX_PER_PAGE = 100
WAITING = (SUBMITTED,)  # the statuses whose clock runs


def beijing_date(at: str) -> dt.date:
    return dt.datetime.fromisoformat(at).astimezone(BEIJING).date()


@dataclass(frozen=True)
class QueueItem:
    case: Case
    clauses: tuple[int, ...]
    assignee: str | None
    received_at: str  # when the case was last (re)submitted
    age: int  # working days since received (until its review, while one decides it)
    deadline: dt.date  # the 办理时限's last day
    overdue: bool
    returned_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        c = self.case
        return {
            "id": c.id,
            "uscc": c.uscc,
            "applicant": c.applicant_name,
            "district": c.district,
            "year": c.year,
            "status": c.status,
            "total": None if c.total is None else f"{c.total:.2f}",
            "clauses": list(self.clauses),
            "assignee": self.assignee,
            "received_at": self.received_at,
            "age": self.age,
            "deadline": self.deadline.isoformat(),
            "overdue": self.overdue,
            "returned_reason": self.returned_reason,
        }


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    district: str | None = None
    clause: int | None = None
    assignee: str | None = None  # a user name, or "-" for nobody yet
    min_age: int | None = None
    overdue: bool = False
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    sort: str = "age"
    descending: bool = True
    page: int = 1
    per_page: int = PER_PAGE


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    total: int  # the items matching every filter
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)  # by status, of the items matching the other filters
    mine: int = 0
    unassigned: int = 0
    overdue: int = 0
    review_days: int = 0


def _item(row: Any, events: list[Any], issuer: Any, today: dt.date) -> QueueItem:
    case = _case(row, events)
    received = row.submitted_at
    decided_at: str | None = None
    reason = None
    for e in events:
        if e.kind == "corrected":
            received, decided_at = e.at, None
        elif e.kind == "reviewed":
            decided_at = e.at
        elif e.kind == "returned":
            decided_at = e.at
            reason = json.loads(e.detail).get("reason")
    start = beijing_date(received)
    end = beijing_date(decided_at) if decided_at and case.status not in WAITING else today
    age = issuer.working_days_between(start, end)
    deadline = issuer.add_working_days(start, issuer.review_days)
    try:
        clauses = tuple(sorted({int(c["clause"]) for c in json.loads(row.content).get("claims", ())}))
    except (ValueError, KeyError, TypeError, AttributeError):
        clauses = ()
    return QueueItem(
        case=case,
        clauses=clauses,
        assignee=assignee_of(events),
        received_at=received,
        age=age,
        deadline=deadline,
        overdue=case.status in WAITING and today > deadline,
        returned_reason=reason if case.status == RETURNED else None,
    )


def queue_items(
    ledger: Any,
    issuer: Any,
    *,
    districts: Iterable[str] | None = None,
    uscc: str | None = None,
    today: dt.date | None = None,
) -> list[QueueItem]:
    """Every case visible under these limits, as queue items (unsorted, unfiltered)."""
    from zzcbec_docs.bundle import DISTRICT_ALIASES

    today = today or dt.datetime.now(BEIJING).date()
    wanted = None if districts is None else {DISTRICT_ALIASES.get(d, d) for d in districts}
    with ledger.engine.connect() as conn:
        rows = store.case_rows(conn, districts=wanted, uscc=uscc)
        contents = _contents(conn, [r.id for r in rows])
        by_case: dict[str, list[Any]] = {}
        for e in store.event_rows(conn, [r.id for r in rows]) if rows else ():
            by_case.setdefault(e.case_id, []).append(e)
    out = []
    for r in rows:
        r.content = contents.get(r.id, "{}")
        out.append(_item(r, by_case.get(r.id, []), issuer, today))
    return out


def _contents(conn: Any, ids: list[str]) -> dict[str, str]:
    from sqlalchemy import select

    from zzcbec_docs.ledger import schema as s

    if not ids:
        return {}
    out = dict(conn.execute(select(s.cases.c.id, s.cases.c.content).where(s.cases.c.id.in_(ids))).all())
    for r in conn.execute(
        select(s.case_contents.c.case_id, s.case_contents.c.content)
        .where(s.case_contents.c.case_id.in_(ids))
        .order_by(s.case_contents.c.id)
    ):
        out[r.case_id] = r.content
    return out


def _matches(item: QueueItem, f: Filters, *, status: bool = True) -> bool:
    from zzcbec_docs.bundle import DISTRICT_ALIASES

    c = item.case
    if status and f.status and c.status != f.status:
        return False
    if f.district and c.district != DISTRICT_ALIASES.get(f.district, f.district):
        return False
    if f.clause is not None and f.clause not in item.clauses:
        return False
    if f.assignee == "-" and item.assignee is not None:
        return False
    if f.assignee not in (None, "-") and item.assignee != f.assignee:
        return False
    if f.min_age is not None and item.age < f.min_age:
        return False
    if f.overdue and not item.overdue:
        return False
    amount = c.total if c.total is not None else Decimal(0)
    if f.min_amount is not None and amount < f.min_amount:
        return False
    return not (f.max_amount is not None and amount > f.max_amount)


def _key(sort: str) -> Callable[[QueueItem], tuple[Any, ...]]:
    order = {s: i for i, s in enumerate(STATUSES)}
    return {
        "age": lambda i: (i.age, i.received_at),
        "amount": lambda i: (i.case.total or Decimal(0), i.received_at),
        "submitted": lambda i: (i.case.submitted_at, i.case.id),
        "district": lambda i: (i.case.district, i.received_at),
        "status": lambda i: (order.get(i.case.status, 99), i.received_at),
        "applicant": lambda i: (i.case.applicant_name, i.case.id),
    }[sort]


def queue(
    ledger: Any,
    issuer: Any,
    filters: Filters,
    *,
    user: str | None = None,
    districts: Iterable[str] | None = None,
    uscc: str | None = None,
    today: dt.date | None = None,
) -> QueuePage:
    """One page of the queue, with counts by status (the other filters applied) and the caller's own."""
    items = queue_items(ledger, issuer, districts=districts, uscc=uscc, today=today)
    near = [i for i in items if _matches(i, filters, status=False)]
    counts = Counter(i.case.status for i in near)
    chosen = [i for i in near if not filters.status or i.case.status == filters.status]
    chosen.sort(key=_key(filters.sort if filters.sort in SORTS else "age"), reverse=filters.descending)
    per = max(1, min(filters.per_page, MAX_PER_PAGE))
    pages = max(1, math.ceil(len(chosen) / per))
    page = max(1, min(filters.page, pages))
    return QueuePage(
        items=chosen[(page - 1) * per : page * per],
        total=len(chosen),
        page=page,
        pages=pages,
        counts={s: counts.get(s, 0) for s in STATUSES},
        mine=sum(1 for i in items if user and i.assignee == user and i.case.status in WAITING),
        unassigned=sum(1 for i in items if i.assignee is None and i.case.status in WAITING),
        overdue=sum(1 for i in items if i.overdue),
        review_days=issuer.review_days,
    )
