"""The reviewer's day on the desk: the queue (filtered, sorted, paged, counted), taking a case,
the bureau's (re)assignment, returning a case for correction (补正) and the enterprise's
resubmission within the same case. Every step is a `zzcbec_docs.process` call; who may do what is
`authz.MATRIX`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from zzcbec_docs.bundle import parse_bundle
from zzcbec_docs.bundle.model import Problem
from zzcbec_docs.desk import accounts, authz, caseview
from zzcbec_docs.desk.accounts import User
from zzcbec_docs.desk.authz import Action
from zzcbec_docs.desk.context import Desk
from zzcbec_docs.desk.errors import from_library
from zzcbec_docs.desk.http import HttpError, json_body, parse_json_object, unprocessable
from zzcbec_docs.desk.security import load_case, route
from zzcbec_docs.errors import ZzcbecError


# ---------------------------------------------------------------------- the queue
def _int(params: Any, key: str, low: int, high: int) -> int | None:
    raw = (params.get(key) or "").strip()
    if raw == "":
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise HttpError(
            422,
            f"“{key}”应为 {low}–{high} 的整数",
            f"{key} is a whole number from {low} to {high}",
            [Problem(f"?{key}", f"“{raw[:20]}”不是有效的数", f"{raw[:20]!r} is not valid").as_dict()],
        )
    return int(raw)


def _money(params: Any, key: str) -> Decimal | None:
    raw = (params.get(key) or "").strip().replace(",", "")
    if raw == "":
        return None
    try:
        v = Decimal(raw)
        if not v.is_finite() or v < 0:
            raise InvalidOperation
    except InvalidOperation:
        raise HttpError(
            422,
            f"“{key}”应为金额（元）",
            f"{key} is an amount in yuan",
            [Problem(f"?{key}", f"“{raw[:20]}”不是金额", f"{raw[:20]!r} is not an amount").as_dict()],
        ) from None
    return v


def filters_from(params: Any, user: User) -> Any:
    from zzcbec_docs.process.model import STATUSES
    from zzcbec_docs.process.queue import SORTS, Filters

    status = params.get("status") or None
    if status is not None and status not in STATUSES:
        raise HttpError(
            422,
            f"状态只能是 {'、'.join(STATUSES)}",
            f"status is one of {', '.join(STATUSES)}",
            [Problem("?status", f"未知状态“{status[:40]}”", f"unknown status {status[:40]!r}").as_dict()],
        )
    sort = params.get("sort") or "age"
    if sort not in SORTS:
        raise HttpError(
            422,
            f"排序只能按 {'、'.join(SORTS)}",
            f"sort is one of {', '.join(SORTS)}",
            [Problem("?sort", f"未知排序“{sort[:40]}”", f"unknown sort {sort[:40]!r}").as_dict()],
        )
    assignee = params.get("assignee") or None
    if params.get("mine") in ("1", "true", "on"):
        assignee = user.username
    return Filters(
        status=status,
        district=params.get("district") or None,
        clause=_int(params, "clause", 1, 99),
        assignee=assignee,
        min_age=_int(params, "min_age", 0, 10000),
        overdue=params.get("overdue") in ("1", "true", "on"),
        min_amount=_money(params, "min_amount"),
        max_amount=_money(params, "max_amount"),
        sort=sort,
        descending=(params.get("order") or "desc") != "asc",
        page=_int(params, "page", 1, 100000) or 1,
        per_page=_int(params, "per_page", 1, 100) or 20,
    )


def _queue(desk: Desk, user: User, filters: Any) -> Any:
    return desk.service.queue(filters, user=user.username, **authz.visible_filter(user))


@route(Action.QUEUE_VIEW)
async def api_queue(request: Request, desk: Desk, user: User) -> Response:
    page = await run_in_threadpool(_queue, desk, user, filters_from(request.query_params, user))
    return JSONResponse(
        {
            "items": [i.as_dict() for i in page.items],
            "total": page.total,
            "page": page.page,
            "pages": page.pages,
            "counts": page.counts,
            "mine": page.mine,
            "unassigned": page.unassigned,
            "overdue": page.overdue,
            "review_days": page.review_days,
        }
    )


@route(Action.QUEUE_VIEW)
async def queue_page(request: Request, desk: Desk, user: User) -> Response:
    params = request.query_params
    try:
        filters = filters_from(params, user)
        error = None
    except HttpError as exc:
        from zzcbec_docs.process.queue import Filters

        filters, error = Filters(), exc
    page = await run_in_threadpool(_queue, desk, user, filters)
    kept = {k: v for k, v in params.items() if k != "page" and v}

    def link(**changes: Any) -> str:
        q = {**kept, **{k: str(v) for k, v in changes.items() if v not in (None, "")}}
        return "/queue?" + urlencode(q)

    reviewers = await run_in_threadpool(caseview.reviewers, desk, None) if user.role == "bureau" else []
    title = "审核队列" + ("（" + "、".join(user.districts) + "）" if user.role == "reviewer" else "（全市）")
    return desk.page(
        "queue.html",
        request,
        user,
        status=error.status if error else 200,
        error=error,
        page=page,
        filters=filters,
        params=params,
        link=link,
        title=title,
        reviewers=reviewers,
        clauses=sorted(desk.policy.clauses),
    )


# ---------------------------------------------------------------------- take / assign
def _take(desk: Desk, user: User, detail: Any) -> Any:
    return desk.service.take(detail.case.id, actor=user.username)


def _assign(desk: Desk, user: User, detail: Any, reviewer: str, reason: str) -> Any:
    account = accounts.get_user(desk.ledger, reviewer)
    if account is None or account.role != "reviewer" or detail.case.district not in account.districts:
        raise unprocessable(
            "/reviewer",
            f"“{reviewer[:64]}”不是{detail.case.district}的审核账号",
            f"{reviewer[:64]!r} is not a reviewer of {detail.case.district}",
        )
    return desk.service.assign(detail.case.id, reviewer=reviewer, actor=user.username, reason=reason)


def _text(data: Any, key: str, limit: int = 1000) -> str:
    v = data.get(key)
    if v is None:
        return ""
    if not isinstance(v, str) or len(v) > limit:
        raise unprocessable(
            f"/{key}", f"“{key}”应为不超过 {limit} 字的文字", f"{key} is text of at most {limit} characters"
        )
    return v.strip()


@route(Action.CASE_TAKE, write=True, per_case=True)
async def api_take(request: Request, desk: Desk, user: User) -> Response:
    detail = await load_case(request, desk, user, Action.CASE_TAKE)
    out = await run_in_threadpool(_take, desk, user, detail)
    return JSONResponse(
        {"id": out.case.id, "assignee": out.reviewer, "changed": out.changed}, status_code=201 if out.changed else 200
    )


@route(Action.CASE_ASSIGN, write=True, per_case=True)
async def api_assign(request: Request, desk: Desk, user: User) -> Response:
    detail = await load_case(request, desk, user, Action.CASE_ASSIGN)
    data = parse_json_object(await json_body(request), "分派请求 / assignment")
    reviewer = _text(data, "reviewer", 64)
    if not reviewer:
        raise unprocessable("/reviewer", "请指明审核人", "name the reviewer")
    out = await run_in_threadpool(_assign, desk, user, detail, reviewer, _text(data, "reason"))
    return JSONResponse(
        {"id": out.case.id, "assignee": out.reviewer, "previous": out.previous, "changed": out.changed},
        status_code=201 if out.changed else 200,
    )


# ---------------------------------------------------------------------- 补正: return and resubmit
def _return(desk: Desk, user: User, detail: Any, reason: str) -> Any:
    return desk.service.return_for_correction(detail.case.id, reason=reason, actor=user.username)


@route(Action.CASE_RETURN, write=True, per_case=True)
async def api_return(request: Request, desk: Desk, user: User) -> Response:
    detail = await load_case(request, desk, user, Action.CASE_RETURN)
    data = parse_json_object(await json_body(request), "退回补正 / return for correction")
    out = await run_in_threadpool(_return, desk, user, detail, _text(data, "reason"))
    return JSONResponse({"id": out.case.id, "status": out.case.status, "reason": out.reason}, status_code=201)


def resubmit(desk: Desk, user: User, detail: Any, bundle: Any, attachments: dict[str, bytes] | None) -> Any:
    if bundle.applicant.uscc != user.uscc:
        raise HttpError(
            403,
            f"申报单位的统一社会信用代码 {bundle.applicant.uscc} 与本账号绑定的 {user.uscc} 不一致",
            f"the bundle's USCC {bundle.applicant.uscc} is not this account's {user.uscc}",
        )
    return desk.service.resubmit(detail.case.id, bundle, actor=user.username, attachments=attachments)


@route(Action.CASE_RESUBMIT, write=True, per_case=True)
async def api_resubmit(request: Request, desk: Desk, user: User) -> Response:
    detail = await load_case(request, desk, user, Action.CASE_RESUBMIT)
    raw = await json_body(request)
    ctype = request.headers.get("content-type", "")
    bundle = parse_bundle(
        raw, "request", "json" if "json" in ctype else ("yaml" if "yaml" in ctype else None), policy=desk.policy
    )
    out = await run_in_threadpool(resubmit, desk, user, detail, bundle, None)
    return JSONResponse(
        {
            "id": out.case.id,
            "status": out.case.status,
            "content_sha256": out.case.content_sha256,
            "previous_content_sha256": out.previous_content_sha256,
            "check": desk.shown(out.result).as_dict(),
        },
        status_code=201,
    )


async def correction(request: Request, desk: Desk, user: User, case_id: str) -> tuple[Any, dict[str, str]]:
    """The returned case the enterprise corrects (404 when not its own, 409 when not returned) and
    its bundle as the application form's values."""
    from zzcbec_docs.desk import forms
    from zzcbec_docs.desk.http import jsonable
    from zzcbec_docs.process.model import RETURNED, CaseNotFound

    try:
        detail = await run_in_threadpool(desk.service.get_case, case_id[:40])
    except CaseNotFound:
        raise authz.Denied(404) from None
    authz.authorize(user, Action.CASE_RESUBMIT, detail.case)
    if detail.case.status != RETURNED:
        raise HttpError(409, "该案件未退回补正，不能修改后重新提交", "the case is not returned for correction")
    return detail, forms.from_bundle(jsonable(getattr(detail.bundle, "raw", None) or {}))


def claim_values(desk: Desk, user: User, key: str) -> tuple[dict[str, str], str | None]:
    from zzcbec_docs.desk import claims

    return claims.prefill(desk, user, key)


# ---------------------------------------------------------------------- the same steps as HTML forms
async def _form_step(request: Request, desk: Desk, user: User, action: Action, work: Any) -> Response:

    detail = await load_case(request, desk, user, action)
    form = request.state.form
    try:
        await run_in_threadpool(work, detail, form)
    except (ZzcbecError, HttpError) as exc:
        err = from_library(exc) if isinstance(exc, ZzcbecError) else exc
        ctx = await run_in_threadpool(caseview.case_context, desk, user, detail)
        return desk.page("case.html", request, user, status=err.status, error=err, submitted=None, **ctx)
    back = str(form.get("back") or "")
    return RedirectResponse(back if back.startswith("/queue") else f"/cases/{detail.case.id}", status_code=303)


@route(Action.CASE_TAKE, write=True, form=True, per_case=True)
async def take_post(request: Request, desk: Desk, user: User) -> Response:
    return await _form_step(request, desk, user, Action.CASE_TAKE, lambda d, f: _take(desk, user, d))


@route(Action.CASE_ASSIGN, write=True, form=True, per_case=True)
async def assign_post(request: Request, desk: Desk, user: User) -> Response:
    return await _form_step(
        request,
        desk,
        user,
        Action.CASE_ASSIGN,
        lambda d, f: _assign(desk, user, d, _text(f, "reviewer", 64), _text(f, "reason")),
    )


@route(Action.CASE_RETURN, write=True, form=True, per_case=True)
async def return_post(request: Request, desk: Desk, user: User) -> Response:
    return await _form_step(
        request, desk, user, Action.CASE_RETURN, lambda d, f: _return(desk, user, d, _text(f, "reason"))
    )


def routes() -> list[Route]:
    return [
        Route("/api/queue", api_queue, methods=["GET"]),
        Route("/api/cases/{case_id}/take", api_take, methods=["POST"]),
        Route("/api/cases/{case_id}/assign", api_assign, methods=["POST"]),
        Route("/api/cases/{case_id}/return", api_return, methods=["POST"]),
        Route("/api/cases/{case_id}/resubmit", api_resubmit, methods=["POST"]),
        Route("/queue", queue_page, methods=["GET"]),
        Route("/cases/{case_id}/take", take_post, methods=["POST"]),
        Route("/cases/{case_id}/assign", assign_post, methods=["POST"]),
        Route("/cases/{case_id}/return", return_post, methods=["POST"]),
    ]
