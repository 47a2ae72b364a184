"""The bureau's bulk actions on the desk: award approved cases in bulk (one date, each its own
number, all or nothing per case, a summary of what was and was not awarded and why), publish the
公示 and export the 拨付清单 (payment list, XLSX, every cell text)."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from zzcbec_docs.desk import store, uploads
from zzcbec_docs.desk.accounts import User
from zzcbec_docs.desk.authz import Action
from zzcbec_docs.desk.context import Desk
from zzcbec_docs.desk.errors import from_library
from zzcbec_docs.desk.http import HttpError, date_field, json_body, parse_json_object, unprocessable
from zzcbec_docs.desk.security import route
from zzcbec_docs.desk.tables import xlsx_bytes
from zzcbec_docs.errors import ZzcbecError

PAYMENT_COLUMNS = [
    "序号 no.",
    "文号 notice",
    "成文日期 date",
    "收款单位 payee",
    "统一社会信用代码 USCC",
    "开户银行 bank",
    "银行账号 account",
    "区县 district",
    "条款 clauses",
    "奖励金额（元）amount",
    "市级承担（元）city share",
    "区县承担（元）district share",
]


# ---------------------------------------------------------------------- bulk award
def _approved(desk: Desk, year: int | None = None) -> list[Any]:
    from zzcbec_docs.process.model import APPROVED

    return desk.service.list_cases(status=APPROVED, year=year)


def _bulk(desk: Desk, user: User, ids: list[str], date: dt.date) -> Any:
    return desk.service.award_many(ids, actor=user.username, date=date)


def _ids(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 40 for v in value):
        raise unprocessable("/cases", "cases 应为案件编号的列表", "cases is a list of case ids")
    return value


@route(Action.BULK_AWARD, write=True)
async def api_bulk_award(request: Request, desk: Desk, user: User) -> Response:
    data = parse_json_object(await json_body(request), "批量奖励 / bulk award")
    ids = _ids(data.get("cases"))
    date = date_field(data)
    if date is None:
        raise unprocessable(
            "/date", "请给出发文日期（一次批量奖励用同一日期）", "give the date (one date for the whole batch)"
        )
    out = await run_in_threadpool(_bulk, desk, user, ids, date)
    return JSONResponse(
        {
            "date": out.date.isoformat(),
            "total": f"{out.total:.2f}",
            "awarded": [x.as_dict() for x in out.awarded],
            "refused": [x.as_dict() for x in out.refused],
        }
    )


@route(Action.BULK_AWARD)
async def awards_page(request: Request, desk: Desk, user: User) -> Response:
    cases = await run_in_threadpool(_approved, desk)
    return desk.page(
        "awards.html", request, user, cases=cases, chosen=None, summary=None, today=dt.date.today().isoformat()
    )


@route(Action.BULK_AWARD, write=True, form=True)
async def awards_post(request: Request, desk: Desk, user: User) -> Response:
    """Two steps without JavaScript: `confirm` shows the chosen cases and their total; `award` awards."""
    form = request.state.form
    ids = [str(v)[:40] for v in form.getlist("case")][:500]
    action = form.get("action") or "confirm"
    cases = await run_in_threadpool(_approved, desk)
    error = None
    try:
        date = date_field({"date": form.get("date") or None})
        if date is None:
            raise unprocessable("/date", "请填写发文日期", "give the date")
        if not ids:
            raise unprocessable("/cases", "请至少选择一件审核同意的案件", "choose at least one approved case")
    except HttpError as exc:
        return desk.page(
            "awards.html",
            request,
            user,
            status=exc.status,
            cases=cases,
            chosen=None,
            summary=None,
            error=exc,
            today=str(form.get("date") or dt.date.today().isoformat()),
        )
    if action != "award":
        chosen = [c for c in cases if c.id in ids]
        total = sum((c.total or Decimal(0) for c in chosen), Decimal("0.00"))
        return desk.page(
            "awards.html",
            request,
            user,
            cases=cases,
            chosen=chosen,
            total=total,
            date=date,
            summary=None,
            today=date.isoformat(),
        )
    try:
        summary = await run_in_threadpool(_bulk, desk, user, ids, date)
    except ZzcbecError as exc:
        error = from_library(exc)
        return desk.page(
            "awards.html",
            request,
            user,
            status=error.status,
            cases=cases,
            chosen=None,
            summary=None,
            error=error,
            today=date.isoformat(),
        )
    cases = await run_in_threadpool(_approved, desk)
    return desk.page("awards.html", request, user, cases=cases, chosen=None, summary=summary, today=date.isoformat())


# ---------------------------------------------------------------------- the 公示
def _publish(desk: Desk, user: User, year: int, start: dt.date, days: int, mask: bool) -> dict[str, Any]:
    from zzcbec_docs.ledger import cases as ledger_cases

    entries, files = desk.service.publicity_files(year, start=start, days=days, mask=mask)
    if not entries:
        raise HttpError(409, f"{year} 年度尚无审核同意或已奖励的案件，无可公示", f"nothing to publish for {year}")
    pdf, docx = files["pdf"], files["docx"]
    total = sum((e.amount for e in entries), Decimal("0.00"))
    sha = hashlib.sha256(pdf).hexdigest()
    with desk.ledger.transaction() as conn:
        new_id = store.inserted_id(
            conn.execute(
                insert(store.publications).values(
                    year=year,
                    start=start.isoformat(),
                    days=days,
                    entries=len(entries),
                    total=f"{total:.2f}",
                    pdf=pdf,
                    docx=docx,
                    sha256=sha,
                    actor=user.username,
                    created_at=store.now_iso(),
                )
            )
        )
        # the trail: the ledger's own event, not on one case
        ledger_cases.add_event(
            conn,
            None,
            "published",
            user.username,
            {
                "year": year,
                "start": start.isoformat(),
                "days": days,
                "entries": len(entries),
                "total": f"{total:.2f}",
                "pdf_sha256": sha,
                "publication": int(new_id),
                "cases": [e.number or e.uscc for e in entries],
            },
        )
    return {"id": int(new_id), "year": year, "entries": len(entries), "total": f"{total:.2f}", "sha256": sha}


def _publications(desk: Desk) -> list[dict[str, Any]]:
    p = store.publications
    with desk.ledger.engine.connect() as conn:
        rows = conn.execute(
            select(
                p.c.id, p.c.year, p.c.start, p.c.days, p.c.entries, p.c.total, p.c.sha256, p.c.actor, p.c.created_at
            ).order_by(p.c.id.desc())
        ).all()
    return [{**r._mapping, "total": Decimal(r.total)} for r in rows]


def _publicity_args(data: Any) -> tuple[int, dt.date, int, bool]:
    year_raw = str(data.get("year") or "").strip()
    if not year_raw.isdigit() or not 2000 <= int(year_raw) <= 2100:
        raise unprocessable("/year", "请填写申报年度（如 2026）", "give the year, e.g. 2026")
    start = date_field({"start": data.get("start") or None}, "start") or dt.date.today()
    days_raw = str(data.get("days") or "5").strip()
    if not days_raw.isdigit() or not 1 <= int(days_raw) <= 30:
        raise unprocessable("/days", "公示期应为 1–30 个工作日", "the period is 1 to 30 working days")
    mask = data.get("mask") in (True, "1", "on", "true")
    return int(year_raw), start, int(days_raw), mask


@route(Action.PUBLICITY_PUBLISH, write=True)
async def api_publish(request: Request, desk: Desk, user: User) -> Response:
    data = parse_json_object(await json_body(request), "公示 / publicity")
    year, start, days, mask = _publicity_args(data)
    out = await run_in_threadpool(_publish, desk, user, year, start, days, mask)
    return JSONResponse(out, status_code=201)


@route(Action.PUBLICITY_PUBLISH)
async def publicity_page(request: Request, desk: Desk, user: User) -> Response:
    rows = await run_in_threadpool(_publications, desk)
    return desk.page(
        "publicity.html",
        request,
        user,
        publications=rows,
        year=dt.date.today().year,
        today=dt.date.today().isoformat(),
        done=request.query_params.get("published"),
    )


@route(Action.PUBLICITY_PUBLISH, write=True, form=True)
async def publicity_post(request: Request, desk: Desk, user: User) -> Response:
    from starlette.responses import RedirectResponse

    form = request.state.form
    try:
        year, start, days, mask = _publicity_args(form)
        out = await run_in_threadpool(_publish, desk, user, year, start, days, mask)
    except (HttpError, ZzcbecError) as exc:
        err = from_library(exc) if isinstance(exc, ZzcbecError) else exc
        rows = await run_in_threadpool(_publications, desk)
        return desk.page(
            "publicity.html",
            request,
            user,
            status=err.status,
            error=err,
            publications=rows,
            year=dt.date.today().year,
            today=dt.date.today().isoformat(),
            done=None,
        )
    return RedirectResponse(f"/publicity?published={out['id']}", status_code=303)


@route(Action.PUBLICITY_PUBLISH)
async def publication_download(request: Request, desk: Desk, user: User) -> Response:
    wanted, fmt = request.path_params["pid"], request.path_params["fmt"]
    if not wanted.isdigit() or fmt not in ("pdf", "docx"):
        raise HttpError(404, "没有这份公示", "no such publication")
    p = store.publications

    def work() -> Any:
        with desk.ledger.engine.connect() as conn:
            return conn.execute(select(p.c.year, p.c.pdf, p.c.docx).where(p.c.id == int(wanted))).first()

    found = await run_in_threadpool(work)
    if found is None:
        raise HttpError(404, "没有这份公示", "no such publication")
    data = bytes(found.pdf if fmt == "pdf" else found.docx)
    media = "application/pdf" if fmt == "pdf" else uploads.KINDS["docx"]
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="publicity-{found.year}-{wanted}.{fmt}"'},
    )


# ---------------------------------------------------------------------- the 拨付清单
def payment_rows(desk: Desk, year: int) -> list[list[str]]:
    pays = desk.service.payments(year)
    rows = []
    for i, p in enumerate(pays, start=1):
        rows.append(
            [
                str(i),
                p.number,
                p.issued_on,
                p.payee,
                p.uscc,
                p.bank,
                p.account,
                p.district,
                "、".join(desk.policy.cite(n) for n in p.clauses),
                f"{p.amount:,.2f}",
                "待定" if p.city is None else f"{p.city:,.2f}",
                "待定" if p.local is None else f"{p.local:,.2f}",
            ]
        )
    total = sum((p.amount for p in pays), Decimal("0.00"))
    city = sum((p.city or Decimal(0) for p in pays), Decimal("0.00"))
    local = sum((p.local or Decimal(0) for p in pays), Decimal("0.00"))
    rows.append(
        ["合计 total", f"{len(pays)} 笔", "", "", "", "", "", "", "", f"{total:,.2f}", f"{city:,.2f}", f"{local:,.2f}"]
    )
    return rows


@route(Action.PAYMENT_EXPORT)
async def payment_export(request: Request, desk: Desk, user: User) -> Response:
    year_raw = request.path_params["year"]
    if not year_raw.isdigit() or not 2000 <= int(year_raw) <= 2100:
        raise HttpError(404, "没有这个年度的拨付清单", "no payment list for that year")
    year = int(year_raw)

    def work() -> bytes:
        return xlsx_bytes([(f"拨付清单 {year}", PAYMENT_COLUMNS, payment_rows(desk, year))])

    data = await run_in_threadpool(work)
    from zzcbec_docs.desk.http import client_address

    await run_in_threadpool(desk.audit, user.username, "payment.export", str(year), None, client_address(request))
    return Response(
        data,
        media_type=uploads.KINDS["xlsx"],
        headers={"Content-Disposition": f'attachment; filename="payments-{year}.xlsx"'},
    )


def routes() -> list[Route]:
    return [
        Route("/api/awards", api_bulk_award, methods=["POST"]),
        Route("/api/publicity", api_publish, methods=["POST"]),
        Route("/awards", awards_page, methods=["GET"]),
        Route("/awards", awards_post, methods=["POST"]),
        Route("/publicity", publicity_page, methods=["GET"]),
        Route("/publicity", publicity_post, methods=["POST"]),
        Route("/publicity/{pid}.{fmt}", publication_download, methods=["GET"]),
        Route("/payments/{year}.xlsx", payment_export, methods=["GET"]),
    ]
