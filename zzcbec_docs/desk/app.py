"""The desk: a Starlette application over the process service layer.

Every route names its action in `authz.MATRIX`; `_guard` signs the caller in from the session
cookie (401), refuses a foreign Origin on state changes (403), checks the form's CSRF token, and
`authz.authorize` answers 404/403. The desk decides nothing itself: submissions, reviews, awards,
revocations and documents are `zzcbec_docs.process` calls, run in a worker thread.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import asdict, is_dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from zzcbec_docs.bundle import BundleInvalid, parse_bundle
from zzcbec_docs.bundle.model import Problem
from zzcbec_docs.desk import accounts, authz, forms, store, uploads
from zzcbec_docs.desk.accounts import TooManyAttempts, User
from zzcbec_docs.desk.authz import Denied
from zzcbec_docs.errors import BundleError, ZzcbecError
from zzcbec_docs.money import fmt_amount, in_words
from zzcbec_docs.vocabulary import (
    CONCLUSION_ZH,
    DECISION_ZH,
    EVENT_ZH,
    NOTICE_ZH,
    ROLE_ZH,
    STATUS_ZH,
    cn_date,
    cn_datetime,
)

HERE = Path(__file__).resolve().parent
COOKIE = "zzdesk_session"
PRE_COOKIE = "zzdesk_pre"  # the sign-in form's CSRF token, before there is a session
MAX_JSON = 1024 * 1024 + 1024
MAX_FORM = uploads.MAX_FILE * 3 + 2 * 1024 * 1024

log = logging.getLogger("zzcbec.desk")


class HttpError(Exception):
    def __init__(
        self, status: int, zh: str, en: str, errors: list[dict] | None = None, headers: dict[str, str] | None = None
    ) -> None:
        self.status, self.zh, self.en, self.errors, self.headers = status, zh, en, errors, headers or {}


def _process():  # type: ignore[no-untyped-def]
    from zzcbec_docs import process

    return process


def status_of(exc: BaseException) -> int:
    """The one place where the library's errors become HTTP statuses."""
    if isinstance(exc, TooManyAttempts):
        return 429
    if isinstance(exc, (uploads.UploadRefused, BundleError)):
        return 422
    p = _process()
    if isinstance(exc, p.CaseNotFound):
        return 404
    from zzcbec_docs.process.model import StepConflict

    if isinstance(exc, (p.NotAwardable, p.AlreadyAwarded, StepConflict)):
        return 409
    if isinstance(exc, p.ReviewRefused):
        return 422
    from zzcbec_docs import errors

    unavailable = getattr(errors, "LedgerUnavailable", None)
    if unavailable is not None and isinstance(exc, unavailable):
        return 503
    if type(exc).__name__ == "LedgerError":
        return 503
    return 422


def jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return fmt_amount(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, bytes):
        return None
    if hasattr(v, "as_dict"):
        return jsonable(v.as_dict())
    if is_dataclass(v) and not isinstance(v, type):
        return jsonable(asdict(v))
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [jsonable(x) for x in v]
    return v


def case_summary(c: Any) -> dict[str, Any]:
    return {
        "id": c.id,
        "uscc": c.uscc,
        "applicant": c.applicant_name,
        "district": c.district,
        "year": c.year,
        "status": c.status,
        "total": fmt_amount(c.total) if c.total is not None else None,
    }


class Desk:
    """One desk: its ledger, policy, secret, templates and a small cache of made documents."""

    def __init__(
        self,
        ledger_url: str,
        *,
        policy_path: str | None = None,
        issuer_profile: str | None = None,
        exclusion_list: str | Path | frozenset[str] | None = None,
        issued_on: dt.date | None = None,
    ) -> None:
        from zzcbec_docs.ledger import open_ledger
        from zzcbec_docs.policy import load_policy
        from zzcbec_docs.process.service import Service

        # the one service object of this desk: every process call goes through it (its policy, with
        # the issue date of clause 18; its issuer profile; its exclusion list of clause 15)
        service = Service.build(
            None,
            load_policy(policy_path),
            issuer_profile=issuer_profile,
            exclusion_list=exclusion_list,
            issued_on=issued_on,
        )
        self.ledger = open_ledger(ledger_url)
        self.service = service.with_ledger(self.ledger)
        store.ensure_tables(self.ledger)
        self.secret = store.secret(self.ledger)
        self.policy = self.service.policy
        self.issuer = self.service.issuer
        self.sections = forms.sections(self.policy)
        self.env = Environment(
            loader=FileSystemLoader(str(HERE / "templates")),
            autoescape=select_autoescape(default=True, default_for_string=True),
        )
        self.env.globals.update(
            STATUS_ZH=STATUS_ZH,
            CONCLUSION_ZH=CONCLUSION_ZH,
            DECISION_ZH=DECISION_ZH,
            EVENT_ZH=EVENT_ZH,
            ROLE_ZH=ROLE_ZH,
            NOTICE_ZH=NOTICE_ZH,
            cn_datetime=cn_datetime,
            cn_date=cn_date,
            fmt_yuan=yuan,
            in_words=in_words,
            policy=self.policy,
            ATTACHMENT_KINDS=forms.ATTACHMENT_KINDS,
            districts=accounts.known_districts(),
        )
        self.env.filters["words"] = self.words
        self.documents: OrderedDict[tuple, tuple[str, bytes]] = OrderedDict()
        self.documents_lock = threading.Lock()
        self._warm()

    def _warm(self) -> None:
        """Load what every request needs (schema validators, rules, the process layer) before the first one."""
        from zzcbec_docs.bundle import parse_bundle
        from zzcbec_docs.rules.engine import decide

        _process()
        import json

        sample = json.dumps(
            {
                "schema_version": "1.0",
                "year": 2026,
                "applicant": {
                    "name": "x",
                    "uscc": "91410100MA46000016",
                    "district": "金水区",
                    "etrade_core_zone_policy": False,
                },
                "claims": [{"clause": 1, "facts": {"import_export": "1", "promotion_costs": "1"}}],
            }
        ).encode()
        decide(parse_bundle(sample, "warm-up", policy=self.policy), self.policy)

    # ------------------------------------------------------------------ plumbing
    def shown(self, result: Any) -> Any:
        """A decision as the desk shows it: the ledger named as 奖励台账, never by its file or server."""
        from dataclasses import replace

        warnings = tuple(
            replace(w, message=self.scrub(w.message), message_en=self.scrub(w.message_en)) for w in result.warnings
        )
        return replace(result, warnings=warnings, source="desk" if "/" in str(result.source) else result.source)

    def words(self, text: Any) -> str:
        """A library message as a page shows it: no ledger location, no command-line advice, amounts
        as the documents write them (12,000,000.00 元)."""
        return money_words(self.scrub(str(text)))

    def scrub(self, text: str) -> str:
        """Text for a page: the ledger's file or server address, and any command-line advice, taken out."""
        from zzcbec_docs.ledger.store import shown_url
        from zzcbec_docs.process.decide import ledger_name

        for where in sorted(
            {self.ledger.url, shown_url(self.ledger.url), ledger_name(self.ledger)}, key=len, reverse=True
        ):
            if where:
                text = (
                    text.replace(f"台账 {where}", "奖励台账")
                    .replace(f"the ledger {where}", "the ledger")
                    .replace(where, "奖励台账")
                )
        return cli_words_out(text)

    def audit(
        self, user: str, action: str, target: str | None = None, detail: dict | None = None, address: str | None = None
    ) -> None:
        with self.ledger.transaction() as conn:
            store.record(conn, user, action, target, detail, address)

    def page(self, name: str, request: Request, user: User | None, status: int = 200, **ctx: Any) -> HTMLResponse:
        token = request.cookies.get(COOKIE)
        csrf = accounts.csrf_token(self.secret, token) if (user and token) else ""
        html = self.env.get_template(name).render(user=user, csrf=csrf, request=request, **ctx)
        return HTMLResponse(html, status_code=status)

    def document(self, case_id: str, kind: str, fmt: str, state: tuple) -> tuple[str, bytes]:
        """case_document, kept while the case does not change (the key holds its state)."""
        key = (case_id, kind, fmt, state)
        with self.documents_lock:
            hit = self.documents.get(key)
            if hit is not None:
                self.documents.move_to_end(key)
                return hit
        made = self.service.case_document(case_id, kind, fmt)
        with self.documents_lock:
            self.documents[key] = made
            while len(self.documents) > 64:
                self.documents.popitem(last=False)
        return made


def own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', '')}"


def origin_ok(request: Request) -> bool:
    """A state change carries our own Origin, or none at all (JSON clients); a browser always sends one."""
    origin = request.headers.get("origin")
    if origin is None:
        return request.headers.get("sec-fetch-site") in (None, "same-origin", "none")
    return origin == own_origin(request)


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, desk: Desk | None, exc: HttpError, user: User | None = None) -> Response:
    if wants_json(request) or desk is None:
        body: dict[str, Any] = {"error": f"{exc.zh} / {exc.en}", "message_zh": exc.zh, "message_en": exc.en}
        if exc.errors is not None:
            body["errors"] = exc.errors
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)
    if exc.status == 401:
        return RedirectResponse("/login", status_code=303)
    return desk.page("error.html", request, user, status=exc.status, error=exc)


# command-line advice inside a library message ("可用 --issued-on 指定", "(zzcbec ledger init)"):
# a page says what to do in its own words, never which flag to pass
_CLI_ADVICE = (
    re.compile(r"[；;，,]?\s*(?:可用|请用|或用|用)\s*--[a-z][a-z-]*(?:\s+[^\s；;，,。）)]+)?\s*(?:指定|映射)?"),
    re.compile(r"[;,]?\s*(?:use|with)\s+--[a-z][a-z-]*(?:\s+[^\s;,.)]+)?"),
    re.compile(r"\s*[（(][^（）()]*`?zzcbec [^（）()]*[）)]"),
    re.compile(r"[;；]?\s*run `zzcbec [^`]*`[^;.；。]*"),
)


def yuan(value: Decimal | None) -> str:
    """An amount as the documents' tables write it, with its unit: 12,000,000.00 元."""
    from zzcbec_docs.process.words import table_amount

    return "—" if value is None else table_amount(value)


_YEN = re.compile(r"¥(-?\d[\d,]*(?:\.\d+)?)")


def money_words(text: str) -> str:
    """¥12,000,000.00 in a library message (the command line's form) → 12,000,000.00 元."""
    return _YEN.sub(lambda m: f"{m.group(1)} 元", text)


def cli_words_out(text: str) -> str:
    for pattern in _CLI_ADVICE:
        text = pattern.sub("", text)
    return text


def unreachable() -> HttpError:
    return HttpError(
        503,
        "奖励台账暂时无法访问，请稍后重试；如持续出现，请联系系统管理员",
        "the award ledger cannot be reached just now; try again later, or tell the desk's administrator",
        headers={"Retry-After": "30"},
    )


def from_library(exc: ZzcbecError, desk: Desk | None = None) -> HttpError:
    """A library error as the desk answers it; a ledger that cannot be reached is 503 with the desk's
    own words (the library's message names the ledger's file or server, which no page shows)."""
    from zzcbec_docs.errors import LedgerUnavailable

    if isinstance(exc, LedgerUnavailable) or (type(exc).__name__ == "LedgerError" and "操作失败" in exc.zh):
        return unreachable()
    p = _process()
    if isinstance(exc, p.AlreadyAwarded) and exc.revoked:  # the desk's way to re-issue is its own
        return HttpError(
            409,
            f"该申报内容已奖励，文号 {exc.number}（已撤销）；如需重新出具，请在案件页面“重新出具”，"
            f"或在请求中以 reissue_of 写明所替代的 {exc.number}",
            f"this content was awarded as {exc.number} (revoked); to issue it again, re-issue it on the "
            f"case page, or name {exc.number} as reissue_of in the request",
        )
    scrub = desk.scrub if desk is not None else cli_words_out
    errors = None
    if isinstance(exc, BundleInvalid):
        errors = [p.as_dict() for p in exc.problems]
    elif exc.pointer or isinstance(exc, BundleError):
        errors = [Problem(exc.pointer or "/", scrub(exc.zh), scrub(exc.en)).as_dict()]
    reasons = getattr(exc, "reasons", None)
    err = HttpError(status_of(exc), scrub(exc.zh), scrub(exc.en), errors)
    if reasons:
        err.errors = (err.errors or []) + [
            {"path": "/", "message": scrub(str(r))} if not hasattr(r, "as_dict") else r.as_dict() for r in reasons
        ]
    if isinstance(exc, TooManyAttempts):
        err.headers = {"Retry-After": str(exc.retry_after)}
    return err


Handler = Callable[..., Awaitable[Response]]


def route(
    action: str | None, *, write: bool = False, form: bool = False, per_case: bool = False
) -> Callable[[Handler], Handler]:
    """Wrap an endpoint: sign-in (401), Origin (403), CSRF for forms, the role's right (403; for a
    route on one case, `load_case` answers 404 first) and the library's errors mapped to statuses;
    never a traceback to the caller."""

    def deco(fn: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            desk: Desk = request.app.state.desk
            user = None
            try:
                token = request.cookies.get(COOKIE)
                user = await run_in_threadpool(accounts.session_user, desk.ledger, token) if token else None
                if action is not None and user is None:
                    raise HttpError(401, "请先登录", "sign in first")
                if write and not origin_ok(request):
                    raise HttpError(
                        403, "请求来源不是本系统（Origin 不符）", "refused: the request's Origin is not this desk's"
                    )
                if form and user is not None:
                    size = int(request.headers.get("content-length") or 0)
                    if size > MAX_FORM:
                        raise HttpError(413, "提交的内容过大", "the request is too large")
                    data = await request.form(
                        max_files=uploads.MAX_FILES, max_fields=400, max_part_size=uploads.MAX_BUNDLE
                    )
                    request.state.form = data
                    if not accounts.csrf_ok(desk.secret, token or "", data.get("csrf")):  # type: ignore[arg-type]
                        raise HttpError(
                            403,
                            "表单已过期或不是本系统发出（CSRF 校验失败），请刷新页面后重试",
                            "the form's CSRF token is missing or wrong; reload the page and try again",
                        )
                if action is not None and not per_case:
                    authz.authorize(user, action)
                from zzcbec_docs.ledger.cases import acting_from

                with acting_from(client_address(request)):  # the steps' events record where they came from
                    response = await fn(request, desk, user)
                if write and user is not None and response.status_code < 400:
                    from zzcbec_docs.desk.inbox import dispatch

                    await run_in_threadpool(dispatch, desk)  # e-mail of what changed (never fails the step)
                return response
            except HttpError as exc:
                return error_response(request, desk, exc, user)
            except Denied as exc:
                if exc.status == 404:
                    err = HttpError(404, "没有这个申报案件", "no such case")
                else:
                    err = HttpError(403, "当前账号无权进行此操作", "your role may not do this")
                return error_response(request, desk, err, user)
            except ZzcbecError as exc:
                return error_response(request, desk, from_library(exc, desk), user)
            except StarletteHTTPException as exc:  # a form Starlette could not read (too many parts, …)
                return error_response(
                    request,
                    desk,
                    HttpError(
                        422 if exc.status_code == 400 else exc.status_code,
                        "表单内容无法读取或超出限制",
                        f"the form cannot be read: {exc.detail}",
                    ),
                    user,
                )
            except (SQLAlchemyError, OSError) as exc:  # the database went away under a request
                log.warning(
                    "desk: the ledger cannot be reached on %s %s: %s",
                    request.method,
                    request.url.path,
                    type(exc).__name__,
                )
                return error_response(request, desk, unreachable(), user)
            except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback to callers
                name = type(exc).__name__
                if name in ("MultiPartException", "ClientDisconnect"):
                    return error_response(
                        request,
                        desk,
                        HttpError(422, "表单内容无法读取或超出限制", f"the form cannot be read: {exc}"),
                        user,
                    )
                log.exception("desk: unexpected error on %s %s", request.method, request.url.path)
                return error_response(
                    request,
                    desk,
                    HttpError(500, "系统内部错误，已记录，请稍后重试", "internal error; it has been logged"),
                    user,
                )

        endpoint.__name__ = fn.__name__
        endpoint.action = action  # type: ignore[attr-defined]  # read by the tests of the matrix
        return endpoint

    return deco


async def load_case(request: Request, desk: Desk, user: User, action: str):  # type: ignore[no-untyped-def]
    """The case of the path, if the user may see it (404 otherwise) and take the action (403)."""
    case_id = request.path_params["case_id"]
    p = _process()
    try:
        detail = await run_in_threadpool(desk.service.get_case, case_id)
    except p.CaseNotFound:
        raise Denied(404) from None
    authz.authorize(user, action, detail.case)
    return detail


async def json_body(request: Request) -> Any:
    size = int(request.headers.get("content-length") or 0)
    if size > MAX_JSON:
        raise HttpError(413, "请求体超过 1 MiB 上限", "the request body is larger than 1 MiB")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_JSON:
            raise HttpError(413, "请求体超过 1 MiB 上限", "the request body is larger than 1 MiB")
    return raw


def parse_json_object(raw: bytes, what: str) -> dict[str, Any]:
    """A JSON request body read as bundles are: UTF-8, exact numbers (int/Decimal, never float),
    duplicate keys, depth and size bounded; errors are 422 with their place."""
    from zzcbec_docs.loading import decode_text, parse_text, plain_numbers

    text = decode_text(raw, what, BundleError) if raw.strip() else "{}"
    data = plain_numbers(parse_text(text, what, BundleError, "json"), what, BundleError)
    if not isinstance(data, dict):
        raise HttpError(
            422,
            f"{what}应为 JSON 对象",
            f"{what}: a JSON object is expected",
            [Problem("/", "应为 JSON 对象", "a JSON object is expected").as_dict()],
        )
    return data


def unprocessable(pointer: str, zh: str, en: str) -> HttpError:
    return HttpError(422, zh, en, [Problem(pointer, zh, en).as_dict()])


def cookie_args(request: Request) -> dict[str, Any]:
    return {"httponly": True, "samesite": "lax", "secure": request.url.scheme == "https", "path": "/"}


# ====================================================================== JSON API
@route(None, write=True)
async def api_login(request: Request, desk: Desk, user: User | None) -> Response:
    data = parse_json_object(await json_body(request), "登录请求 / login")
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or len(username) > 200 or len(password) > 1000:
        raise HttpError(401, "用户名或密码错误", "wrong user name or password")
    return await _sign_in(request, desk, username, password, json_reply=True)


async def _sign_in(request: Request, desk: Desk, username: str, password: str, *, json_reply: bool) -> Response:
    address = client_address(request)
    delay = await run_in_threadpool(accounts.check_throttle, desk.ledger, username, address)
    if delay:
        await asyncio.sleep(delay)  # slowed without holding a worker thread
    found = await run_in_threadpool(accounts.authenticate, desk.ledger, username, password, address, checked=True)
    if found is None:
        raise HttpError(401, "用户名或密码错误", "wrong user name or password")
    token = await run_in_threadpool(accounts.new_session, desk.ledger, found)
    if json_reply:
        resp: Response = JSONResponse(
            {"username": found.username, "role": found.role, "uscc": found.uscc, "districts": list(found.districts)}
        )
    else:
        resp = RedirectResponse(landing(found), status_code=303)
    resp.set_cookie(COOKIE, token, max_age=accounts.SESSION_SECONDS, **cookie_args(request))
    resp.delete_cookie(PRE_COOKIE, path="/")
    return resp


def landing(user: User) -> str:
    return {"enterprise": "/apply", "reviewer": "/queue", "bureau": "/bureau"}[user.role]


@route("case.list", write=True)
async def api_logout(request: Request, desk: Desk, user: User) -> Response:
    await run_in_threadpool(accounts.end_session, desk.ledger, request.cookies.get(COOKIE, ""), user.username)
    resp = JSONResponse({"signed_out": True})
    resp.delete_cookie(COOKIE, path="/")
    return resp


def _list(desk: Desk, user: User, status: str | None = None) -> list:
    kw = authz.visible_filter(user)
    return desk.service.list_cases(status=status, **kw)


@route("case.list")
async def api_cases(request: Request, desk: Desk, user: User) -> Response:
    status = request.query_params.get("status") or None
    if status is not None and status not in STATUS_ZH:
        raise HttpError(
            422,
            f"状态只能是 {'、'.join(STATUS_ZH)}",
            f"status is one of {', '.join(STATUS_ZH)}",
            [Problem("?status", f"未知状态“{status[:40]}”", f"unknown status {status[:40]!r}").as_dict()],
        )
    cases = await run_in_threadpool(_list, desk, user, status)
    return JSONResponse([case_summary(c) for c in cases])


def _submit(desk: Desk, user: User, bundle: Any, attachments: dict[str, bytes] | None, address: str | None):  # type: ignore[no-untyped-def]
    if bundle.applicant.uscc != user.uscc:
        raise HttpError(
            403,
            f"申报单位的统一社会信用代码 {bundle.applicant.uscc} 与本账号绑定的 {user.uscc} 不一致",
            f"the bundle's USCC {bundle.applicant.uscc} is not this account's {user.uscc}",
        )
    # the process appends the case's own events (submitted / resubmitted, who, when) in its transaction
    return desk.service.submit(bundle, actor=user.username, attachments=attachments)


@route("case.submit", write=True)
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
    sub = await run_in_threadpool(_submit, desk, user, bundle, None, client_address(request))
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


@route("case.view", per_case=True)
async def api_case(request: Request, desk: Desk, user: User) -> Response:
    detail = await load_case(request, desk, user, "case.view")
    return JSONResponse(await run_in_threadpool(case_json, desk, detail, user))


def state_key(detail: Any) -> tuple:
    return (
        detail.case.status,
        len(detail.reviews),
        len(detail.notices),
        tuple(str(jsonable(n)) for n in detail.notices),
    )


@route("case.view", per_case=True)
async def api_document(request: Request, desk: Desk, user: User) -> Response:
    kind, fmt = request.path_params["kind"], request.path_params["fmt"]
    if kind not in ("application", "opinion", "notice") or fmt not in ("pdf", "docx"):
        raise HttpError(404, "没有这种文书", "no such document")
    detail = await load_case(request, desk, user, f"doc.{kind}")
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


def _verified(data: Any, bundle: Any, policy: Any) -> tuple:
    """The review body's `verified` list, each item's facts checked against the desk's policy's contract."""
    from zzcbec_docs import schema
    from zzcbec_docs.bundle.contract import contract
    from zzcbec_docs.bundle.validate import SCHEMA, _typed, fact_kinds

    p = _process()
    if data is None:
        return ()
    if not isinstance(data, list):
        raise unprocessable("/verified", "verified 应为列表", "verified is a list")
    claimed = {(c.clause, c.competition_name if c.clause == 11 else None) for c in bundle.claims}
    out, seen = [], set()
    for i, item in enumerate(data):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("clause"), int)
            or not isinstance(item.get("facts"), dict)
        ):
            raise unprocessable(f"/verified/{i}", "每项核实数据应为 {clause, facts}", "each item is {clause, facts}")
        n = item["clause"]
        comp = item.get("competition_name") if n == 11 else None
        if (n, comp) not in claimed:
            raise unprocessable(
                f"/verified/{i}/clause",
                f"材料未申报第 {n} 条" + (f"（{comp}）" if comp else ""),
                f"the bundle does not claim clause {n}",
            )
        if (n, comp) in seen:
            raise unprocessable(f"/verified/{i}", f"条款 {n} 的核实数据重复", f"clause {n} is verified twice")
        seen.add((n, comp))
        partial = contract(policy).partial
        if n not in partial:
            raise unprocessable(
                f"/verified/{i}/clause", f"政策没有可核定金额的第 {n} 条", f"the policy has no award clause {n}"
            )
        found = schema.errors(SCHEMA, item["facts"], using=partial[n], prefix=("verified", i, "facts"))
        if found:
            raise HttpError(422, found[0][1], found[0][2], [Problem(*f).as_dict() for f in found])
        kinds = fact_kinds(policy)[n]
        facts = {k: _typed(kinds[k], v) for k, v in item["facts"].items()}
        out.append(p.VerifiedClaim(n, comp, facts) if hasattr(p, "VerifiedClaim") else (n, comp, facts))
    return tuple(out)


def _review(desk: Desk, user: User, detail: Any, data: dict[str, Any], address: str | None):  # type: ignore[no-untyped-def]
    p = _process()
    conclusion = data.get("conclusion")
    if conclusion not in CONCLUSION_ZH:
        raise unprocessable(
            "/conclusion", "请选择审核结论：同意、部分同意或不同意", "choose the conclusion: approve, partial or reject"
        )
    remarks = data.get("remarks", "")
    if not isinstance(remarks, str) or len(remarks) > 4000:
        raise unprocessable(
            "/remarks", "审核意见应为不超过 4000 字的文字", "remarks is text of at most 4000 characters"
        )
    if conclusion in ("reject", "partial") and not remarks.strip():
        # the enterprise is told why: a rejection (or a partial approval) without a reason is not recorded
        raise unprocessable(
            "/remarks",
            f"审核结论为“{CONCLUSION_ZH[conclusion]}”时，请在审核意见中写明理由",
            f"a conclusion of {conclusion} needs its reason in the remarks",
        )
    reviewed_on = None
    if data.get("reviewed_on") is not None:
        try:
            reviewed_on = dt.date.fromisoformat(str(data["reviewed_on"]))
        except ValueError:
            raise unprocessable("/reviewed_on", "日期应为 YYYY-MM-DD", "a date is written YYYY-MM-DD") from None
    verified = _verified(data.get("verified"), detail.bundle, desk.policy)
    # the opinion names the reviewer's own unit (a district bureau, from the account; the city's review:
    # the issuer profile's 审核单位) and the reviewer's name, not the login
    unit = user.unit or (desk.issuer.review_unit if user.role == "bureau" else None)
    record = p.ReviewInput(
        reviewer=user.display_name,
        conclusion=conclusion,
        verified=verified,
        remarks=remarks,
        reviewed_on=reviewed_on,
        unit=unit,
    )
    return desk.service.review(detail.case.id, record, actor=user.username)


@route("case.review", write=True, per_case=True)
async def api_review(request: Request, desk: Desk, user: User) -> Response:
    detail = await load_case(request, desk, user, "case.review")
    data = parse_json_object(await json_body(request), "审核意见 / review")
    outcome = await run_in_threadpool(_review, desk, user, detail, data, client_address(request))
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


def _award(
    desk: Desk,
    user: User,
    detail: Any,
    date: dt.date | None,
    address: str | None,  # type: ignore[no-untyped-def]
    reissue_of: str | None = None,
):
    return desk.service.award(
        detail.case.id, actor=user.username, date=date, reissue_of=reissue_of, require_review=True
    )


def _date(data: dict[str, Any], key: str = "date") -> dt.date | None:
    v = data.get(key)
    if v in (None, ""):
        return None
    try:
        if not isinstance(v, str) or len(v) != 10:
            raise ValueError
        return dt.date.fromisoformat(v)
    except ValueError:
        raise unprocessable(
            f"/{key}",
            f"日期应为 YYYY-MM-DD（收到 {str(v)[:20]!r}）",
            f"a date is written YYYY-MM-DD (got {str(v)[:20]!r})",
        ) from None


@route("case.award", write=True, per_case=True)
async def api_award(request: Request, desk: Desk, user: User) -> Response:
    detail = await load_case(request, desk, user, "case.award")
    data = parse_json_object(await json_body(request), "奖励请求 / award")
    reissue_of = data.get("reissue_of")
    if reissue_of is not None and not isinstance(reissue_of, str):
        raise unprocessable(
            "/reissue_of", "reissue_of 应为被撤销通知的文号", "reissue_of is the revoked notice's number"
        )
    out = await run_in_threadpool(_award, desk, user, detail, _date(data), client_address(request), reissue_of)
    return JSONResponse(
        {"id": detail.case.id, "number": out.number, "total": fmt_amount(out.total), "status": out.case.status},
        status_code=201,
    )


def _revoke(desk: Desk, user: User, detail: Any, number: str | None, reason: str, address: str | None):  # type: ignore[no-untyped-def]
    p = _process()
    live = [n for n in detail.notices if not _notice_field(n, "revoked")]
    numbers = [_notice_field(n, "number") for n in live]
    if number is None:
        if not numbers:
            raise p.NotAwardable("该案件没有有效的奖励通知可撤销", "the case has no notice in force to revoke")
        number = numbers[-1]
    elif number not in numbers:
        raise unprocessable(
            "/number", f"通知书 {number} 不属于该案件或已撤销", f"notice {number} is not this case's or was revoked"
        )
    return number, desk.service.revoke(number, reason=reason, actor=user.username)


def _notice_field(n: Any, name: str) -> Any:
    return n.get(name) if isinstance(n, dict) else getattr(n, name, None)


@route("case.revoke", write=True, per_case=True)
async def api_revoke(request: Request, desk: Desk, user: User) -> Response:
    detail = await load_case(request, desk, user, "case.revoke")
    data = parse_json_object(await json_body(request), "撤销请求 / revocation")
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 1000:
        raise unprocessable("/reason", "请写明撤销理由（不超过 1000 字）", "give the reason (at most 1000 characters)")
    number = data.get("number")
    if number is not None and not isinstance(number, str):
        raise unprocessable("/number", "number 应为文字", "number is text")
    number, _ = await run_in_threadpool(_revoke, desk, user, detail, number, reason.strip(), client_address(request))
    return JSONResponse({"id": detail.case.id, "number": number, "revoked": True}, status_code=201)


def create_app(
    ledger_url: str,
    *,
    policy_path: str | None = None,
    issuer_profile: str | None = None,
    exclusion_list: str | Path | frozenset[str] | None = None,
    issued_on: dt.date | None = None,
) -> Starlette:
    from zzcbec_docs.desk import pages, verify_page, workday  # the HTML pages use the helpers above

    desk = Desk(
        ledger_url,
        policy_path=policy_path,
        issuer_profile=issuer_profile,
        exclusion_list=exclusion_list,
        issued_on=issued_on,
    )
    workday.start(desk)
    api = [
        Route("/api/login", api_login, methods=["POST"]),
        Route("/api/logout", api_logout, methods=["POST"]),
        Route("/api/cases", api_cases, methods=["GET"]),
        Route("/api/cases", api_submit, methods=["POST"]),
        Route("/api/cases/{case_id}", api_case, methods=["GET"]),
        Route("/api/cases/{case_id}/documents/{kind}.{fmt}", api_document, methods=["GET"]),
        Route("/api/cases/{case_id}/reviews", api_review, methods=["POST"]),
        Route("/api/cases/{case_id}/award", api_award, methods=["POST"]),
        Route("/api/cases/{case_id}/revoke", api_revoke, methods=["POST"]),
        Route("/verify/{code}", verify_page.verify_page, methods=["GET"]),  # public: the notice's QR code
    ]
    routes = (
        api
        + workday.routes()
        + pages.routes()
        + [Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")]
    )
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_allowed, 500: _internal})
    app.state.desk = desk
    return SecurityHeaders(app)  # type: ignore[return-value]


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(request, request.app.state.desk, HttpError(404, "没有这个页面", "not found"))


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return error_response(request, request.app.state.desk, HttpError(405, "不支持此请求方法", "method not allowed"))


async def _internal(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": "系统内部错误 / internal error"}, status_code=500)


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """Pure ASGI: security headers on every response; a body larger than the limit is refused (413)."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.state = app.state

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        try:
            length = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            length = -1
        if length > MAX_FORM or length < 0:
            resp = JSONResponse({"error": "请求体过大 / the request is too large"}, status_code=413)
            await self._send_with_headers(resp, scope, receive, send)
            return

        async def send_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                h = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                h += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                if not any(k.lower() == b"cache-control" for k, _ in h):
                    h.append((b"cache-control", b"no-store"))
                if scope.get("scheme") == "https":
                    h.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = h
            await send(message)

        await self.app(scope, receive, send_headers)

    async def _send_with_headers(self, resp: Response, scope: dict, receive: Callable, send: Callable) -> None:
        async def send_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                ]
            await send(message)

        await resp(scope, receive, send_headers)


def create_app_from_env() -> Starlette:
    """For `uvicorn --factory` workers: what `zzcbec serve` was given comes in the environment
    (ZZCBEC_LEDGER, ZZCBEC_POLICY, ZZCBEC_ISSUER_PROFILE, ZZCBEC_EXCLUSION_LIST, ZZCBEC_ISSUED_ON)."""
    logging.basicConfig(level=logging.INFO)
    issued = os.environ.get("ZZCBEC_ISSUED_ON") or None
    return create_app(
        os.environ["ZZCBEC_LEDGER"],
        policy_path=os.environ.get("ZZCBEC_POLICY") or None,
        issuer_profile=os.environ.get("ZZCBEC_ISSUER_PROFILE") or None,
        exclusion_list=os.environ.get("ZZCBEC_EXCLUSION_LIST") or None,
        issued_on=dt.date.fromisoformat(issued) if issued else None,
    )
