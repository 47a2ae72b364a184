"""免申即享 on the desk: the bureau uploads a table of enterprises, the library's table engine
(`zzcbec match TABLE`, `calculator.table_match.run_table`) matches every row against every clause
counting the ledger, and the desk keeps the result. An enterprise whose USCC is in the latest match
sees, on signing in, what it may claim, the amounts and what is missing in the clause's words,
and starts a pre-filled application from it with one click; the bureau sees the match's totals
by district and by clause as charts drawn on the server."""

from __future__ import annotations

import csv
import hashlib
import json
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, insert, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from zzcbec_docs.desk import charts, store, uploads
from zzcbec_docs.desk.accounts import User
from zzcbec_docs.desk.authz import Action
from zzcbec_docs.desk.context import Desk
from zzcbec_docs.desk.errors import from_library
from zzcbec_docs.desk.http import HttpError
from zzcbec_docs.desk.security import route
from zzcbec_docs.errors import ZzcbecError
from zzcbec_docs.rules.totals import line
from zzcbec_docs.rules.totals import totals as totals_of

MAX_TABLE = 20 * 1024 * 1024


def run_match(desk: Desk, user: User, data: bytes, filename: str) -> dict[str, Any]:
    """Match an uploaded table (CSV or XLSX) with the library's engine and keep what it found."""
    from zzcbec_docs.calculator.table_match import TableOptions, run_table
    from zzcbec_docs.calculator.table_read import Table

    name = uploads.display_name(filename) or "table.csv"
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise HttpError(422, "只接受 .csv 或 .xlsx 表格", "only .csv and .xlsx tables are accepted")
    if len(data) > MAX_TABLE:
        raise HttpError(413, f"表格超过 {MAX_TABLE // 1024 // 1024} MiB 上限", "the table is too large")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"table{suffix}"
        path.write_bytes(data)
        out = Path(tmp) / "out"
        table = Table(path, None, desk.policy)
        summary = run_table(
            table,
            desk.policy,
            TableOptions(out_dir=out, jobs=1, ledger_url=desk.ledger.url, exclusion_list=desk.service.exclusion_list),
        )
        with open(out / "matches.csv", encoding="utf-8-sig", newline="") as fh:
            lines = list(csv.DictReader(fh))
        bundles = {p.stem: p.read_text(encoding="utf-8") for p in (out / "bundles").glob("*.yaml")}
    errors = [
        {"row": e.row, "column": e.column, "header": e.header, "message": e.message} for e in summary.first_errors
    ]
    with desk.ledger.transaction() as conn:
        match_id = int(
            store.inserted_id(
                conn.execute(
                    insert(store.matches).values(
                        filename=name[:200],
                        sha256=hashlib.sha256(data).hexdigest(),
                        rows=summary.rows,
                        bad_rows=summary.bad_rows,
                        errors=json.dumps(errors, ensure_ascii=False, default=str),
                        actor=user.username,
                        created_at=store.now_iso(),
                    )
                )
            )
        )
        seen: set[str] = set()
        values = []
        for ln in lines:
            key = f"{ln['uscc']}-{ln['year']}"
            values.append(
                {
                    "match_id": match_id,
                    "uscc": ln["uscc"],
                    "name": ln["name"],
                    "district": ln["district"],
                    "year": int(ln["year"]),
                    "clause": int(ln["clause"]),
                    "status": ln["status"],
                    "amount": ln["amount"] or "0.00",
                    "city": ln["city"] or "",
                    "local": ln["local"] or "",
                    "gaps": ln["gaps"] or "",
                    "missing": ln["missing"] or "",
                    "notes": ln["notes"] or "",
                    "bundle": bundles.get(key) if key not in seen else None,
                }
            )
            seen.add(key)
        if values:
            conn.execute(insert(store.match_lines), values)
        store.record(
            conn,
            user.username,
            "match.upload",
            name[:200],
            {"rows": summary.rows, "bad_rows": summary.bad_rows, "match": match_id},
        )
    return {
        "id": match_id,
        "rows": summary.rows,
        "bad_rows": summary.bad_rows,
        "errors": errors,
        "eligible": sum(1 for v in values if v["status"] == "eligible"),
        "total": f"{sum((Decimal(str(v['amount'])) for v in values if v['status'] == 'eligible'), Decimal('0.00')):.2f}",
    }


def latest(conn: Any) -> Any:
    m = store.matches
    return conn.execute(select(m).order_by(m.c.id.desc()).limit(1)).first()


def for_user(desk: Desk, user: User) -> dict[str, Any] | None:
    """What the enterprise may claim by the bureau's latest match, by year: the eligible clauses and
    amounts, and for the others what is missing in the clause's words. None when it is not in it."""
    if user.role != "enterprise" or not user.uscc:
        return None
    ml = store.match_lines
    with desk.ledger.engine.connect() as conn:
        last = latest(conn)
        if last is None:
            return None
        rows = conn.execute(
            select(ml)
            .where(and_(ml.c.match_id == last.id, ml.c.uscc == user.uscc))
            .order_by(ml.c.year.desc(), ml.c.clause)
        ).all()
    if not rows:
        return None
    years: dict[int, dict[str, Any]] = {}
    for r in rows:
        y = years.setdefault(
            r.year,
            {
                "year": r.year,
                "name": r.name,
                "eligible": [],
                "other": [],
                "total": Decimal("0.00"),
                "key": f"{last.id}-{r.year}",
            },
        )
        item = {
            "clause": r.clause,
            "cite": desk.policy.cite(r.clause),
            "title": desk.policy.clauses[r.clause].name,
            "status": r.status,
            "amount": Decimal(r.amount or "0"),
            "gaps": [g for g in r.gaps.split("；") if g],
            "missing": [x for x in r.missing.split("、") if x],
            "notes": r.notes,
        }
        if r.status == "eligible":
            y["eligible"].append(item)
            y["total"] += item["amount"]
        elif r.status in ("not_eligible", "undecided"):
            y["other"].append(item)
    return {"match": last.id, "uploaded_at": last.created_at, "years": sorted(years.values(), key=lambda v: -v["year"])}


def prefill(desk: Desk, user: User, key: str) -> tuple[dict[str, str], str | None]:
    """The application form's values from the match's pre-filled bundle of this enterprise and year."""
    import yaml

    from zzcbec_docs.desk import forms

    match_raw, _, year_raw = key.partition("-")
    if not match_raw.isdigit() or not year_raw.isdigit():
        raise HttpError(404, "没有这份免申即享测算", "no such match")
    ml = store.match_lines
    with desk.ledger.engine.connect() as conn:
        text = conn.execute(
            select(ml.c.bundle).where(
                and_(
                    ml.c.match_id == int(match_raw),
                    ml.c.uscc == (user.uscc or "-"),
                    ml.c.year == int(year_raw),
                    ml.c.bundle.is_not(None),
                )
            )
        ).scalar()
    if not text:
        raise HttpError(404, "没有这份免申即享测算", "no such match for this account")
    data = yaml.safe_load(text)
    values = forms.from_bundle(data)
    return values, (
        "已按市商务局免申即享测算预填本表（以审核认定为准）：请核对各项数据，填写联系人、开户银行及账号后提交 / "
        "pre-filled from the bureau's 免申即享 match: check the figures, add the contact and bank, submit"
    )


# ---------------------------------------------------------------------- the bureau's view
def totals(desk: Desk, match_id: int) -> dict[str, Any]:
    ml = store.match_lines
    with desk.ledger.engine.connect() as conn:
        rows = conn.execute(
            select(ml.c.district, ml.c.clause, ml.c.amount, ml.c.city, ml.c.local, ml.c.uscc).where(
                and_(ml.c.match_id == match_id, ml.c.status == "eligible")
            )
        ).all()
        enterprises = conn.execute(
            select(func.count(func.distinct(ml.c.uscc))).where(ml.c.match_id == match_id)
        ).scalar_one()
    sums = totals_of(  # rules.totals: the one district × clause totals function
        line(
            r.district,
            r.clause,
            Decimal(r.amount),
            None if r.city is None else Decimal(r.city),
            None if r.local is None else Decimal(r.local),
        )
        for r in rows
    )
    by_district = {k: t.amount for k, t in sums.by_district.items()}
    by_clause = {n: t.amount for n, t in sums.by_clause.items()}
    city, local = sums.grand.city, sums.grand.local
    total = sum(by_clause.values(), Decimal("0.00"))
    return {
        "district": charts.bars("可申报金额（按区县）", sorted(by_district.items(), key=lambda x: -x[1])),
        "clause": charts.bars(
            "可申报金额（按条款）",
            [(f"{desk.policy.cite(n)} {desk.policy.clauses[n].name}"[:16], v) for n, v in sorted(by_clause.items())],
        ),
        "split": charts.split_bar("市级与区县（市）分担", city, local),
        "by_district": dict(sorted(by_district.items())),
        "by_clause": dict(sorted(by_clause.items())),
        "total": total,
        "claims": len(rows),
        "qualifying": len({r.uscc for r in rows}),
        "enterprises": enterprises,
    }


def _matches(desk: Desk) -> list[Any]:
    m = store.matches
    with desk.ledger.engine.connect() as conn:
        return list(conn.execute(select(m).order_by(m.c.id.desc()).limit(20)).all())


async def _matches_view(request: Request, desk: Desk, user: User, error: Any = None, status: int = 200) -> Response:
    rows = await run_in_threadpool(_matches, desk)
    shown = await run_in_threadpool(totals, desk, rows[0].id) if rows else None
    return desk.page(
        "matches.html",
        request,
        user,
        status=status,
        error=error,
        matches=rows,
        shown=shown,
        latest=rows[0] if rows else None,
        errors=json.loads(rows[0].errors) if rows else [],
    )


@route(Action.MATCH_VIEW)
async def matches_page(request: Request, desk: Desk, user: User) -> Response:
    return await _matches_view(request, desk, user)


@route(Action.MATCH_UPLOAD, write=True, form=True)
async def matches_post(request: Request, desk: Desk, user: User) -> Response:
    f = request.state.form.get("table")
    if not isinstance(f, UploadFile) or not f.filename:
        return await _matches_view(
            request, desk, user, HttpError(422, "请选择要上传的表格（.csv 或 .xlsx）", "choose a table to upload"), 422
        )
    data = await f.read(MAX_TABLE + 1)
    try:
        await run_in_threadpool(run_match, desk, user, data, f.filename)
    except (HttpError, ZzcbecError) as exc:
        err = from_library(exc) if isinstance(exc, ZzcbecError) else exc
        return await _matches_view(request, desk, user, err, err.status)
    return RedirectResponse("/matches", status_code=303)


@route(Action.MATCH_UPLOAD, write=True)
async def api_match(request: Request, desk: Desk, user: User) -> Response:
    from zzcbec_docs.desk.http import json_body

    name = request.query_params.get("name") or (
        "table.xlsx" if "sheet" in request.headers.get("content-type", "") else "table.csv"
    )
    data = await json_body(request)
    out = await run_in_threadpool(run_match, desk, user, data, name)
    return JSONResponse(out, status_code=201)


@route(Action.MATCH_VIEW)
async def api_match_totals(request: Request, desk: Desk, user: User) -> Response:
    rows = await run_in_threadpool(_matches, desk)
    if not rows:
        return JSONResponse({"match": None})
    t = await run_in_threadpool(totals, desk, rows[0].id)
    return JSONResponse(
        {
            "match": rows[0].id,
            "rows": rows[0].rows,
            "bad_rows": rows[0].bad_rows,
            "total": f"{t['total']:.2f}",
            "claims": t["claims"],
            "qualifying": t["qualifying"],
            "by_district": {k: f"{v:.2f}" for k, v in t["by_district"].items()},
            "by_clause": {str(k): f"{v:.2f}" for k, v in t["by_clause"].items()},
        }
    )


@route(Action.CLAIMS_VIEW)
async def api_claims(request: Request, desk: Desk, user: User) -> Response:
    found = await run_in_threadpool(for_user, desk, user)
    if found is None:
        return JSONResponse({"match": None, "years": []})
    for y in found["years"]:
        y["total"] = f"{y['total']:.2f}"
        for item in y["eligible"] + y["other"]:
            item["amount"] = f"{item['amount']:.2f}"
    return JSONResponse(found)


def routes() -> list[Route]:
    return [
        Route("/api/matches", api_match, methods=["POST"]),
        Route("/api/matches", api_match_totals, methods=["GET"]),
        Route("/api/claims", api_claims, methods=["GET"]),
        Route("/matches", matches_page, methods=["GET"]),
        Route("/matches", matches_post, methods=["POST"]),
    ]
