"""The audit trail, visible: each case's full history (who, what, when, from which address) and the
bureau's action log across cases, filterable and exportable (CSV/XLSX, formula-safe).

Both read the ledger's own append-only trail (`zzcbec_events`, which the database refuses to edit
or delete): there is no second copy of it anywhere.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import and_, func, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from zzcbec_docs.bundle.model import Problem
from zzcbec_docs.desk.accounts import User
from zzcbec_docs.desk.authz import Action
from zzcbec_docs.desk.context import Desk
from zzcbec_docs.desk.http import HttpError
from zzcbec_docs.desk.security import route
from zzcbec_docs.desk.tables import csv_bytes, xlsx_bytes

BEIJING = dt.timezone(dt.timedelta(hours=8))
PER_PAGE = 50
MAX_EXPORT = 100_000


def event_words() -> dict[str, str]:
    """The events in the same Chinese words as the command line and the documents."""
    from zzcbec_docs import vocabulary

    return dict(vocabulary.EVENT_ZH)


def beijing(at: str | None) -> str:
    """An ISO timestamp as 北京时间, Chinese form: 2026年12月2日 16:04."""
    from zzcbec_docs.vocabulary import cn_datetime

    try:
        return cn_datetime(at)
    except ValueError:
        return at or ""


def _yuan(text: Any) -> str:
    """A stored amount ("240000.00") as the documents write it: 240,000.00 元."""
    from decimal import Decimal, InvalidOperation

    try:
        return f"{Decimal(str(text)):,.2f} 元"
    except (InvalidOperation, ValueError):
        return str(text)


def what(kind: str, detail: dict[str, Any]) -> str:
    """One line saying what the event did, in the desk's words."""
    from zzcbec_docs.vocabulary import CONCLUSION_ZH as conclusions

    d = detail
    if kind == "taken":
        return f"{d.get('reviewer', '')} 受理"
    if kind == "assigned":
        prev = f"（原 {d['previous']}）" if d.get("previous") else ""
        return f"分派给 {d.get('reviewer', '')}{prev}" + (f"：{d['reason']}" if d.get("reason") else "")
    if kind == "returned":
        return f"理由：{d.get('reason', '')}"
    if kind == "corrected":
        return (
            f"新内容 {str(d.get('content_sha256', ''))[:12]}…（原 {str(d.get('previous_content_sha256', ''))[:12]}…）"
            + (f"，申报核定 {_yuan(d['total'])}" if d.get("total") else "")
        )
    if kind == "published":
        return (
            f"{d.get('year', '')} 年度 {d.get('entries', '')} 家，合计 {_yuan(d.get('total', ''))}，"
            f"公示期自 {d.get('start', '')} 起 {d.get('days', '')} 个工作日"
        )
    if kind == "reviewed":
        return f"结论：{conclusions.get(str(d.get('conclusion')), d.get('conclusion', ''))}" + (
            f"，核定 {_yuan(d['total'])}" if d.get("total") else ""
        )
    if kind == "awarded":
        return f"{d.get('number', '')}，{_yuan(d.get('total', ''))}，成文日期 {d.get('issued_on', '')}"
    if kind == "revoked":
        return f"{d.get('number', '')}：{d.get('reason', '')}"
    if kind in ("submitted", "resubmitted"):
        return f"申报核定 {_yuan(d['total'])}" if d.get("total") else ""
    return ""


@dataclass(frozen=True)
class Line:
    id: int
    case_id: str | None
    kind: str
    actor: str
    at: str
    address: str | None
    detail: dict[str, Any]
    applicant: str = ""
    district: str = ""

    def row(self, words: dict[str, str]) -> list[str]:
        return [
            str(self.id),
            beijing(self.at),
            self.at,
            self.actor,
            self.address or "",
            words.get(self.kind, self.kind),
            self.kind,
            self.case_id or "",
            self.applicant,
            self.district,
            what(self.kind, self.detail),
        ]

    def as_dict(self, words: dict[str, str]) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "at_beijing": beijing(self.at),
            "actor": self.actor,
            "address": self.address,
            "kind": self.kind,
            "kind_zh": words.get(self.kind, self.kind),
            "case_id": self.case_id,
            "applicant": self.applicant,
            "district": self.district,
            "what": what(self.kind, self.detail),
        }


COLUMNS = [
    "序号 id",
    "时间（北京时间）time",
    "时间（UTC）ISO time",
    "操作人 actor",
    "来源地址 address",
    "事项 event",
    "事件代码 kind",
    "案件 case",
    "申请单位 applicant",
    "区县 district",
    "内容 detail",
]


def history(desk: Desk, detail: Any) -> list[dict[str, Any]]:
    """The case's full history, oldest first: who, what, when (Beijing time), from which address."""
    from zzcbec_docs.ledger import schema as s

    words = event_words()
    e = s.events
    with desk.ledger.engine.connect() as conn:
        rows = conn.execute(select(e).where(e.c.case_id == detail.case.id).order_by(e.c.id)).all()
    return [Line(r.id, r.case_id, r.kind, r.actor, r.at, r.address, json.loads(r.detail)).as_dict(words) for r in rows]


@dataclass(frozen=True)
class LogFilters:
    actor: str | None = None
    kind: str | None = None
    district: str | None = None
    case: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    page: int = 1


def date_field(params: Any, key: str) -> dt.date | None:
    raw = (params.get(key) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise HttpError(
            422,
            f"“{key}”应为日期 YYYY-MM-DD",
            f"{key} is a date, YYYY-MM-DD",
            [Problem(f"?{key}", f"“{raw[:20]}”不是日期", f"{raw[:20]!r} is not a date").as_dict()],
        ) from None


def log_filters(params: Any) -> LogFilters:
    kind = params.get("kind") or None
    if kind is not None and kind not in event_words():
        raise HttpError(
            422,
            f"未知事项“{kind[:40]}”",
            f"unknown event kind {kind[:40]!r}",
            [Problem("?kind", f"未知事项“{kind[:40]}”", f"unknown event kind {kind[:40]!r}").as_dict()],
        )
    page = (params.get("page") or "1").strip()
    return LogFilters(
        actor=(params.get("actor") or "").strip()[:200] or None,
        kind=kind,
        district=(params.get("district") or "").strip()[:40] or None,
        case=(params.get("case") or "").strip()[:40] or None,
        since=date_field(params, "since"),
        until=date_field(params, "until"),
        page=int(page) if page.isdigit() and int(page) > 0 else 1,
    )


def _utc(d: dt.date) -> str:
    """The start of a Beijing day, as the ISO UTC text the events' `at` column holds (sortable)."""
    return dt.datetime(d.year, d.month, d.day, tzinfo=BEIJING).astimezone(dt.timezone.utc).isoformat()


def action_log(desk: Desk, f: LogFilters, *, limit: int | None = PER_PAGE) -> tuple[list[Line], int]:
    """The events across cases, newest first, with their case's applicant and district; and their count."""
    from zzcbec_docs.bundle import DISTRICT_ALIASES
    from zzcbec_docs.ledger import schema as s

    e, c = s.events, s.cases
    where = []
    if f.actor:
        where.append(e.c.actor == f.actor)
    if f.kind:
        where.append(e.c.kind == f.kind)
    if f.district:
        where.append(c.c.district == DISTRICT_ALIASES.get(f.district, f.district))
    if f.case:
        where.append(e.c.case_id.like(f.case.replace("%", "").replace("_", "") + "%"))
    if f.since:
        where.append(e.c.at >= _utc(f.since))
    if f.until:
        where.append(e.c.at < _utc(f.until + dt.timedelta(days=1)))
    cond = and_(*where) if where else None
    base = select(e, c.c.applicant_name, c.c.district).select_from(e.outerjoin(c, c.c.id == e.c.case_id))
    count = select(func.count()).select_from(e.outerjoin(c, c.c.id == e.c.case_id))
    if cond is not None:
        base, count = base.where(cond), count.where(cond)
    q = base.order_by(e.c.id.desc())
    if limit is not None:
        q = q.limit(limit).offset((f.page - 1) * limit)
    else:
        q = q.limit(MAX_EXPORT)
    with desk.ledger.engine.connect() as conn:
        rows = conn.execute(q).all()
        total = conn.execute(count).scalar_one()
    return [
        Line(
            r.id,
            r.case_id,
            r.kind,
            r.actor,
            r.at,
            r.address,
            json.loads(r.detail),
            r.applicant_name or "",
            r.district or "",
        )
        for r in rows
    ], int(total)


@route(Action.AUDIT_VIEW)
async def api_log(request: Request, desk: Desk, user: User) -> Response:
    f = log_filters(request.query_params)
    lines, total = await run_in_threadpool(action_log, desk, f)
    words = event_words()
    return JSONResponse(
        {
            "items": [x.as_dict(words) for x in lines],
            "total": total,
            "page": f.page,
            "pages": max(1, math.ceil(total / PER_PAGE)),
        }
    )


@route(Action.AUDIT_VIEW)
async def log_page(request: Request, desk: Desk, user: User) -> Response:
    try:
        f, error = log_filters(request.query_params), None
    except HttpError as exc:
        f, error = LogFilters(), exc
    lines, total = await run_in_threadpool(action_log, desk, f)
    words = event_words()
    kept = {k: v for k, v in request.query_params.items() if k != "page" and v}
    return desk.page(
        "log.html",
        request,
        user,
        status=error.status if error else 200,
        error=error,
        lines=[x.as_dict(words) for x in lines],
        total=total,
        f=f,
        words=words,
        pages=max(1, math.ceil(total / PER_PAGE)),
        query=urlencode(kept),
    )


@route(Action.AUDIT_EXPORT)
async def log_export(request: Request, desk: Desk, user: User) -> Response:
    from zzcbec_docs.desk import uploads

    fmt = request.path_params["fmt"]
    if fmt not in ("csv", "xlsx"):
        raise HttpError(404, "没有这种导出格式", "no such export format")
    f = log_filters(request.query_params)

    def work() -> bytes:
        lines, _ = action_log(desk, f, limit=None)
        words = event_words()
        rows = [x.row(words) for x in lines]
        return csv_bytes(COLUMNS, rows) if fmt == "csv" else xlsx_bytes([("操作日志 action log", COLUMNS, rows)])

    data = await run_in_threadpool(work)
    media = "text/csv; charset=utf-8" if fmt == "csv" else uploads.KINDS["xlsx"]
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="action-log.{fmt}"'})


def routes() -> list[Route]:
    return [
        Route("/api/log", api_log, methods=["GET"]),
        Route("/log", log_page, methods=["GET"]),
        Route("/log/export.{fmt}", log_export, methods=["GET"]),
    ]
