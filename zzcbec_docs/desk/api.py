"""The desk's JSON API (desk.md): sign-in and out, cases, their documents, reviews, awards and
revocations. Each route names its action (`authz.Action`); the steps are `steps.py`'s."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from zzcbec_docs.bundle import parse_bundle
from zzcbec_docs.bundle.model import Problem
from zzcbec_docs.desk import steps, uploads
from zzcbec_docs.desk.accounts import User
from zzcbec_docs.desk.authz import Action
from zzcbec_docs.desk.context import Desk
from zzcbec_docs.desk.http import (
    HttpError,
    case_summary,
    date_field,
    json_body,
    jsonable,
    parse_json_object,
    unprocessable,
)
from zzcbec_docs.desk.security import load_case, route, sign_in, sign_out
from zzcbec_docs.money import fmt_amount
from zzcbec_docs.vocabulary import STATUS_ZH


@route(None, write=True)
async def api_login(request: Request, desk: Desk, user: User | None) -> Response:
    data = parse_json_object(await json_body(request), "登录请求 / login")
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or len(username) > 200 or len(password) > 1000:
        raise HttpError(401, "用户名或密码错误", "wrong user name or password")
    return await sign_in(request, desk, username, password, json_reply=True)


@route(Action.CASE_LIST, write=True)
async def api_logout(request: Request, desk: Desk, user: User) -> Response:
    return await sign_out(request, desk, user, JSONResponse({"signed_out": True}))


@route(Action.CASE_LIST)
async def api_cases(request: Request, desk: Desk, user: User) -> Response:
    status = request.query_params.get("status") or None
    if status is not None and status not in STATUS_ZH:
        raise HttpError(
            422,
            f"状态只能是 {'、'.join(STATUS_ZH)}",
            f"status is one of {', '.join(STATUS_ZH)}",
            [Problem("?status", f"未知状态“{status[:40]}”", f"unknown status {status[:40]!r}").as_dict()],
        )
    cases = await run_in_threadpool(steps.list_cases, desk, user, status)
    return JSONResponse([case_summary(c) for c in cases])


@route(Action.CASE_SUBMIT, write=True)
async def api_submit(request: Request, desk: Desk, user: User) -> Response:
    raw = await json_body(request)
    ctype = request.headers.get("content-type", "")
    fmt = "json" if "json" in ctype else ("yaml" if "yaml" in ctype else None)
    bundle = parse_bundle(raw, "request", fmt, policy=desk.policy)
    if bundle.attachments:
        # the desk records only attachments it received and hashed itself; a JSON body cannot carry them
        raise HttpError(
            422,
            "通过接口提交的申报材料不能声明附件：附件请在申报页面上传（由本系统计算 SHA-256），"
            "或去掉 attachments 后提交",
            "a bundle submitted through the API cannot declare attachments: "
            "upload them on the application page (the desk hashes them), or leave attachments out",
            [
                Problem(
                    "/attachments", "附件须在申报页面上传", "attachments are uploaded on the application page"
                ).as_dict()
            ],
        )
    sub = await run_in_threadpool(steps.submit, desk, user, bundle, None)
    body = {
        "id": sub.case.id,
        "status": sub.case.status,
        "created": sub.created,
        "check": desk.shown(sub.result).as_dict(),
    }
    return JSONResponse(body, status_code=201 if sub.created else 200)


def case_json(desk: Desk, detail: Any, user: User) -> dict[str, Any]:
    result = desk.shown(desk.service.case_result(detail.case.id))
    out = case_summary(detail.case)
    out.update(
        {
            "content_sha256": detail.case.content_sha256,
            "submitted_at": detail.case.submitted_at,
            "submitted_by": detail.case.submitted_by,
            "policy_id": detail.case.policy_id,
            "bundle": jsonable(getattr(detail.bundle, "raw", None) or {}),
            "check": result.as_dict(),
            "reviews": jsonable(detail.reviews),
            "notices": [{**jsonable(n), "total": fmt_amount(n.total)} for n in detail.notices],
            "attachments": [
                {"id": a.id, "name": a.name, "sha256": a.sha256, "size": a.size}
                for a in getattr(detail, "attachments", ())
            ],
        }
    )
    out["awards"] = [n for n in out["notices"] if isinstance(n, dict)]
    if user.role != "bureau":
        out["events"] = []
    else:
        out["events"] = jsonable(getattr(detail, "events", []))
    return out


@route(Action.CASE_VIEW, per_case=True)
async def api_case(request: Request, desk: Desk, user: User) -> Response:
    detail = await load_case(request, desk, user, Action.CASE_VIEW)
    return JSONResponse(await run_in_threadpool(case_json, desk, detail, user))


def state_key(detail: Any) -> tuple[Any, ...]:
    """What a case's documents depend on: while it is the same, a made document is served again."""
    return (
        detail.case.status,
        len(detail.reviews),
        len(detail.notices),
        tuple(str(jsonable(n)) for n in detail.notices),
    )


@route(Action.CASE_VIEW, per_case=True)
async def api_document(request: Request, desk: Desk, user: User) -> Response:
    kind, fmt = request.path_params["kind"], request.path_params["fmt"]
    if kind not in ("application", "opinion", "notice") or fmt not in ("pdf", "docx"):
        raise HttpError(404, "没有这种文书", "no such document")
    detail = await load_case(request, desk, user, Action(f"doc.{kind}"))
    name, data = await run_in_threadpool(desk.document, detail.case.id, kind, fmt, state_key(detail))
    media = "application/pdf" if fmt == "pdf" else uploads.KINDS["docx"]
    return Response(
        data,
        media_type=media,
        headers={
            "Content-Disposition": f"attachment; filename=\"{kind}.{fmt}\"; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "private, no-store",
        },
    )


@route(Action.CASE_REVIEW, write=True, per_case=True)
async def api_review(request: Request, desk: Desk, user: User) -> Response:
    detail = await load_case(request, desk, user, Action.CASE_REVIEW)
    data = parse_json_object(await json_body(request), "审核意见 / review")
    outcome = await run_in_threadpool(steps.review, desk, user, detail, data)
    return JSONResponse(
        {
            "id": detail.case.id,
            "review_id": outcome.review_id,
            "status": outcome.case.status,
            "total": fmt_amount(outcome.result.total),
            "check": desk.shown(outcome.result).as_dict(),
        },
        status_code=201,
    )


@route(Action.CASE_AWARD, write=True, per_case=True)
async def api_award(request: Request, desk: Desk, user: User) -> Response:
    detail = await load_case(request, desk, user, Action.CASE_AWARD)
    data = parse_json_object(await json_body(request), "奖励请求 / award")
    reissue_of = data.get("reissue_of")
    if reissue_of is not None and not isinstance(reissue_of, str):
        raise unprocessable(
            "/reissue_of", "reissue_of 应为被撤销通知的文号", "reissue_of is the revoked notice's number"
        )
    out = await run_in_threadpool(steps.award, desk, user, detail, date_field(data), reissue_of)
    return JSONResponse(
        {"id": detail.case.id, "number": out.number, "total": fmt_amount(out.total), "status": out.case.status},
        status_code=201,
    )


@route(Action.CASE_REVOKE, write=True, per_case=True)
async def api_revoke(request: Request, desk: Desk, user: User) -> Response:
    detail = await load_case(request, desk, user, Action.CASE_REVOKE)
    data = parse_json_object(await json_body(request), "撤销请求 / revocation")
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 1000:
        raise unprocessable("/reason", "请写明撤销理由（不超过 1000 字）", "give the reason (at most 1000 characters)")
    number = data.get("number")
    if number is not None and not isinstance(number, str):
        raise unprocessable("/number", "number 应为文字", "number is text")
    number, _ = await run_in_threadpool(steps.revoke, desk, user, detail, number, reason.strip())
    return JSONResponse({"id": detail.case.id, "number": number, "revoked": True}, status_code=201)


def routes() -> list[Route]:
    return [
        Route("/api/login", api_login, methods=["POST"]),
        Route("/api/logout", api_logout, methods=["POST"]),
        Route("/api/cases", api_cases, methods=["GET"]),
        Route("/api/cases", api_submit, methods=["POST"]),
        Route("/api/cases/{case_id}", api_case, methods=["GET"]),
        Route("/api/cases/{case_id}/documents/{kind}.{fmt}", api_document, methods=["GET"]),
        Route("/api/cases/{case_id}/reviews", api_review, methods=["POST"]),
        Route("/api/cases/{case_id}/award", api_award, methods=["POST"]),
        Route("/api/cases/{case_id}/revoke", api_revoke, methods=["POST"]),
    ]
