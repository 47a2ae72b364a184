"""Who handles a case: a reviewer takes it (受理), the bureau assigns or reassigns it (改派).

The assignee is read from the case's events (`taken`, `assigned`), the last one deciding; each step is
one transaction on the ledger that appends one event. Nothing is edited.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from zzcbec_docs.ledger import cases as store
from zzcbec_docs.process.cases import case_in
from zzcbec_docs.process.model import AWARDED, REVOKED, Case, ReviewRefused, StepConflict

ASSIGNING = ("taken", "assigned")


def assignee_of(events: Iterable[Any]) -> str | None:
    """The reviewer handling the case now (the last `taken`/`assigned` event), or None."""
    who = None
    for e in events:
        if e.kind in ASSIGNING:
            d = json.loads(e.detail) if isinstance(e.detail, str) else e.detail
            who = d.get("reviewer") or None
    return who


@dataclass(frozen=True)
class Assignment:
    case: Case
    reviewer: str
    previous: str | None
    changed: bool  # False when the reviewer already had it (nothing appended)


def _closed(case: Case) -> StepConflict | None:
    if case.status in (AWARDED, REVOKED):
        from zzcbec_docs.process.model import STATUS_ZH

        return StepConflict(
            f"案件{STATUS_ZH[case.status]}，无需再分派审核人", f"the case is {case.status}: there is nobody to assign"
        )
    return None


def _open_assignee(ledger: Any, conn: Any, case_id: str) -> tuple[Case, str | None]:
    """Inside the step's transaction: the applicant locked, the case still open; the case and who has it now."""
    row, case = case_in(conn, case_id)
    ledger.lock_applicant(conn, row.uscc)
    closed = _closed(case)
    if closed:
        raise closed
    return case, assignee_of(store.event_rows(conn, [case_id]))


def take(ledger: Any, case_id: str, *, actor: str) -> Assignment:
    """The reviewer `actor` takes the case (受理). Refused while another reviewer has it: the bureau reassigns."""
    if not actor:
        raise ReviewRefused("未指明操作人", "no actor given")
    with ledger.transaction() as conn:
        case, now = _open_assignee(ledger, conn, case_id)
        if now == actor:
            return Assignment(case, actor, now, False)
        if now is not None:
            raise StepConflict(
                f"该案件已由 {now} 受理；如需改派，请市商务局分派",
                f"the case is taken by {now}; the bureau may reassign it",
            )
        store.add_event(conn, case_id, "taken", actor, {"reviewer": actor})
        _, case = case_in(conn, case_id)
    return Assignment(case, actor, None, True)


def assign(ledger: Any, case_id: str, *, reviewer: str, actor: str, reason: str = "") -> Assignment:
    """The bureau (`actor`) assigns the case to `reviewer`, or reassigns it from another (改派).

    Whether `reviewer` is an account of the case's district is the edge's to check (the desk knows
    its accounts); here the step is recorded."""
    if not actor or not reviewer:
        raise ReviewRefused("未指明审核人或操作人", "no reviewer or actor given", pointer="/reviewer")
    with ledger.transaction() as conn:
        case, now = _open_assignee(ledger, conn, case_id)
        if now == reviewer:
            return Assignment(case, reviewer, now, False)
        store.add_event(
            conn,
            case_id,
            "assigned",
            actor,
            {"reviewer": reviewer, "previous": now, **({"reason": reason} if reason else {})},
        )
        _, case = case_in(conn, case_id)
    return Assignment(case, reviewer, now, True)
