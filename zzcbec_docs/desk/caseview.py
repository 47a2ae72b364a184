"""One case as its page shows it: the declared and verified figures side by side, the decision,
reviews, notices, attachments, who handles it, its age and its full history. Used by the case page
(`pages.py`) and by the day's forms that come back to it (`queue.py`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from zzcbec_docs.desk import accounts, authz
from zzcbec_docs.desk.accounts import User
from zzcbec_docs.desk.authz import Action
from zzcbec_docs.desk.context import Desk, yuan
from zzcbec_docs.desk.http import jsonable, notice_field


def beijing_today() -> dt.date:
    """Today where the bureau is (the server may run in UTC): the default 发文日期 and 申报年度."""
    from zzcbec_docs.vocabulary import beijing

    now = beijing(dt.datetime.now(dt.timezone.utc))
    assert now is not None
    return now.date()


def case_context(desk: Desk, user: User, detail: Any) -> dict[str, Any]:
    result = desk.shown(desk.service.case_result(detail.case.id))
    declared = result
    bundle = detail.bundle
    rows = []
    from zzcbec_docs.bundle.validate import fact_kinds, fact_labels

    labels, kinds = fact_labels(desk.policy), fact_kinds(desk.policy)
    latest = detail.reviews[-1] if detail.reviews else None
    verified_latest = _verified_of(latest)
    for c in bundle.claims:
        key = (c.clause, c.competition_name if desk.policy.per_competition(c.clause) else None)
        for fact, value in c.facts.items():
            kind = kinds.get(c.clause, {}).get(fact, "")
            checked = verified_latest.get(key, {}).get(fact)
            rows.append(
                {
                    "clause": c.clause,
                    "competition": key[1],
                    "fact": fact,
                    "label": labels.get(fact, fact),
                    "declared": _display(value, kind, labels),
                    "verified": _show(checked),
                    "verified_shown": _display(checked, kind, labels),
                    "kind": type(value).__name__,
                    "editable": not isinstance(value, dict),
                }
            )
    notices = [{**jsonable(n), "total": n.total} for n in detail.notices]
    return {
        "case": detail.case,
        "detail": detail,
        "result": result,
        "declared": declared,
        "rows": rows,
        "reviews": [jsonable(r) for r in detail.reviews],
        "notices": notices,
        "live_notices": [n for n in notices if not notice_field(n, "revoked")],
        "events": [jsonable(e) for e in getattr(detail, "events", [])],
        "attachments": _attachments(detail),
        "may": {a: authz.may(user, a) for a in authz.Action},
        "today": beijing_today().isoformat(),
        **case_extras(desk, user, detail),
    }


def _attachments(detail: Any) -> list[dict[str, Any]]:
    """The stored attachments, with the kind and title the bundle gives them."""
    listed = {a.get("sha256"): a for a in getattr(detail.bundle, "attachments", ()) if isinstance(a, dict)}
    return [
        {
            "id": a.id,
            "sha256": a.sha256,
            "size": a.size,
            "kind": listed.get(a.sha256, {}).get("kind", ""),
            "title": listed.get(a.sha256, {}).get("title") or a.name,
        }
        for a in detail.attachments
    ]


def _verified_of(review: Any) -> dict[tuple[Any, ...], dict[str, Any]]:
    if review is None:
        return {}
    v = review.get("verified") if isinstance(review, dict) else getattr(review, "verified", None)
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    if isinstance(v, dict):
        return {k if isinstance(k, tuple) else (k, None): f for k, f in v.items()}
    for item in v or ():
        if isinstance(item, dict):
            out[(item.get("clause"), item.get("competition_name"))] = item.get("facts", {})
        elif isinstance(item, (tuple, list)) and len(item) == 3:
            out[(item[0], item[1])] = item[2]
        else:
            out[(getattr(item, "clause", None), getattr(item, "competition_name", None))] = getattr(item, "facts", {})
    return out


def _display(v: Any, kind: str, labels: dict[str, str] | None = None) -> str:
    """A declared or verified figure as a person reads it: 12,000,000.00 元, 2025年3月1日, 是."""
    from zzcbec_docs.vocabulary import cn_date

    if v is None or v == "":
        return ""
    if kind in ("money",) and not isinstance(v, bool):
        try:
            return yuan(Decimal(str(v)))
        except ArithmeticError:
            return str(v)
    if kind == "date":
        try:
            return cn_date(str(v))
        except ValueError:
            return str(v)
    if isinstance(v, dict):
        return "；".join(f"{(labels or {}).get(k, k)}：{_display(x, 'money')}" for k, x in v.items())
    return _show(v)


def _show(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, Decimal):
        return f"{v:f}"
    return str(v)


def case_extras(desk: Desk, user: User, detail: Any) -> dict[str, Any]:
    """What the case page adds for the day's work: who handles it, the reviewers the bureau may
    assign it to, the latest return's reason, its age against the 办理时限, and its full history."""
    from zzcbec_docs.desk.audit import history
    from zzcbec_docs.process.assignment import assignee_of
    from zzcbec_docs.process.queue import queue_items

    item = next(
        (i for i in queue_items(desk.ledger, desk.issuer, **authz.visible_filter(user)) if i.case.id == detail.case.id),
        None,
    )
    returned = [e for e in detail.events if e.kind == "returned"]
    return {
        "assignee": assignee_of(detail.events),
        "reviewers": reviewers(desk, detail.case.district) if authz.may(user, Action.CASE_ASSIGN) else [],
        "returned_reason": returned[-1].detail.get("reason") if returned else None,
        "item": item,
        "history": history(desk, detail),
    }


def reviewers(desk: Desk, district: str | None) -> list[User]:
    """The reviewers (enabled) of a district, or all of them."""
    return [
        u
        for u in accounts.list_users(desk.ledger)
        if u.role == "reviewer" and not u.disabled and (district is None or district in u.districts)
    ]
