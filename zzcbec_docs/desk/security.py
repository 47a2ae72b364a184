"""The desk's security: the middleware every request passes, and the guard every route is wrapped in.

Starlette's middleware list (`app.py`), outermost first:

- `SecurityHeaders`: CSP, nosniff, no framing, the referrer policy and no-store on every response;
  a body larger than the limit refused (413) before it is read.
- `Sessions`: the session cookie → the signed-in account (`request.state.user`), or none; a session
  ended, expired or of a disabled account is none.

Then `route(action, …)` on each endpoint: sign-in (401), the Origin of a state change (403), a form's
CSRF token (403), the role's right to the action (`authz`, 403; a route on one case answers 404
first through `load_case`), the client address recorded with the step's events; and every error
answered through the one table (`errors.py`). Sign-in is throttled (`sign_in`; `accounts`' counts).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zzcbec_docs.desk import accounts, authz
from zzcbec_docs.desk.accounts import User
from zzcbec_docs.desk.authz import Action, Denied
from zzcbec_docs.desk.context import Desk
from zzcbec_docs.desk.errors import respond
from zzcbec_docs.desk.http import (
    COOKIE,
    MAX_FORM,
    PRE_COOKIE,
    HttpError,
    client_address,
    cookie_args,
    origin_ok,
    read_form,
)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """Pure ASGI: security headers on every response; a body larger than the limit is refused (413)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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
            await resp(scope, receive, self._few_headers(send))
            return

        async def send_headers(message: Message) -> None:
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

    @staticmethod
    def _few_headers(send: Send) -> Send:
        async def send_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                ]
            await send(message)

        return send_headers


class Sessions:
    """Pure ASGI: the session cookie read once per request into `request.state.user` (None without a
    live session) and `request.state.token`; static files need none. A ledger that cannot be read
    here is answered as everywhere else (503, the one table)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        state: MutableMapping[str, Any] = scope.setdefault("state", {})
        token = request.cookies.get(COOKIE)
        state["token"], state["user"] = token, None
        if token:
            desk: Desk = request.app.state.desk
            try:
                state["user"] = await run_in_threadpool(accounts.session_user, desk.ledger, token)
            except Exception as exc:  # noqa: BLE001 - answered through the one table, never a traceback
                await respond(request, exc)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def signed_in(request: Request) -> User | None:
    return getattr(request.state, "user", None)


Handler = Callable[..., Awaitable[Response]]


def route(
    action: Action | None, *, write: bool = False, form: bool = False, per_case: bool = False
) -> Callable[[Handler], Handler]:
    """Wrap an endpoint: sign-in (401), Origin (403), CSRF for forms, the role's right (403; for a
    route on one case, `load_case` answers 404 first) and every error answered through the one
    table (`errors.py`); never a traceback to the caller."""

    def deco(fn: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            desk: Desk = request.app.state.desk
            user = signed_in(request)
            try:
                if action is not None and user is None:
                    raise HttpError(401, "请先登录", "sign in first")
                if write and not origin_ok(request):
                    raise HttpError(
                        403, "请求来源不是本系统（Origin 不符）", "refused: the request's Origin is not this desk's"
                    )
                if form and user is not None:
                    request.state.form = data = await read_form(request)
                    check_csrf(desk, request, data.get("csrf"))
                if action is not None and not per_case:
                    assert user is not None
                    authz.authorize(user, action)
                from zzcbec_docs.ledger.cases import acting_from

                with acting_from(client_address(request)):  # the steps' events record where they came from
                    response = await fn(request, desk, user)
                if write and user is not None and response.status_code < 400:
                    for after in desk.after_change:  # e-mail of what changed (never fails the step)
                        await run_in_threadpool(after, desk)
                return response
            except Exception as exc:  # noqa: BLE001 - the one table answers every error
                return respond(request, exc, user)

        endpoint.__name__ = fn.__name__
        endpoint.action = action  # type: ignore[attr-defined]  # read by the tests of the matrix
        return endpoint

    return deco


def check_csrf(desk: Desk, request: Request, given: Any) -> None:
    """A signed-in form carries the HMAC of its session under the desk's secret."""
    if not accounts.csrf_ok(desk.secret, request.cookies.get(COOKIE) or "", given if isinstance(given, str) else None):
        raise HttpError(
            403,
            "表单已过期或不是本系统发出（CSRF 校验失败），请刷新页面后重试",
            "the form's CSRF token is missing or wrong; reload the page and try again",
        )


async def load_case(request: Request, desk: Desk, user: User, action: Action) -> Any:
    """The case of the path, if the user may see it (404 otherwise) and take the action (403)."""
    from zzcbec_docs.process.model import CaseNotFound

    case_id = request.path_params["case_id"]
    try:
        detail = await run_in_threadpool(desk.service.get_case, case_id)
    except CaseNotFound:
        raise Denied(404) from None
    authz.authorize(user, action, detail.case)
    return detail


def landing(user: User) -> str:
    return {"enterprise": "/apply", "reviewer": "/queue", "bureau": "/bureau"}[user.role]


async def sign_in(request: Request, desk: Desk, username: str, password: str, *, json_reply: bool) -> Response:
    """Throttled sign-in: the wait is an asyncio sleep (no worker thread held); a refused one is
    TooManyAttempts (429); a new session at every sign-in, in an HttpOnly SameSite=Lax cookie."""
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


async def sign_out(request: Request, desk: Desk, user: User, resp: Response) -> Response:
    await run_in_threadpool(accounts.end_session, desk.ledger, request.cookies.get(COOKIE, ""), user.username)
    resp.delete_cookie(COOKIE, path="/")
    return resp
