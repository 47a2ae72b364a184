"""The one place where errors become HTTP answers.

`STATUSES` maps the library's errors (the ledger's, the service's, a bundle's, an upload's, the
throttle's) to statuses; `HANDLERS` maps every exception a route may raise to the `HttpError` it
answers with — looked up by the exception's class and its bases, the most specific first. The app
registers the same table with Starlette (`exception_handlers`), and the route guard and the session
middleware answer through `respond`. The bodies are the same Chinese and English everywhere; nothing
ever reaches a caller as a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from zzcbec_docs.bundle import BundleInvalid
from zzcbec_docs.bundle.model import Problem
from zzcbec_docs.desk.accounts import TooManyAttempts, User
from zzcbec_docs.desk.authz import Denied
from zzcbec_docs.desk.context import cli_words_out
from zzcbec_docs.desk.http import HttpError, wants_json
from zzcbec_docs.desk.uploads import UploadRefused
from zzcbec_docs.errors import BundleError, LedgerError, LedgerUnavailable, TimestampUnavailable, ZzcbecError
from zzcbec_docs.process.model import (
    AlreadyAwarded,
    CaseNotFound,
    NotAwardable,
    ReviewRefused,
    StepConflict,
)

log = logging.getLogger("zzcbec.desk")

# the library's errors → HTTP statuses (the most specific class first: `lookup` walks the MRO)
STATUSES: dict[type[BaseException], int] = {
    TooManyAttempts: 429,
    UploadRefused: 422,
    BundleError: 422,
    CaseNotFound: 404,
    NotAwardable: 409,  # nothing to award, already awarded, a standing award of the case
    StepConflict: 409,  # taken by another, not in a state for this step
    ReviewRefused: 422,
    LedgerUnavailable: 503,  # the ledger cannot be reached, opened or written just now: try again
    TimestampUnavailable: 503,  # the profile's TSA gave no timestamp just now: the notice can be signed later
    LedgerError: 409,  # the ledger refused the operation: it conflicts with what it holds (already revoked, …)
    ZzcbecError: 422,
}


def lookup(table: dict[type[BaseException], Any], exc: BaseException) -> Any:
    for cls in type(exc).__mro__:
        if cls in table:
            return table[cls]
    return None


def status_of(exc: BaseException) -> int:
    """The HTTP status of a library error."""
    return int(lookup(STATUSES, exc) or 422)


def unreachable() -> HttpError:
    return HttpError(
        503,
        "奖励台账暂时无法访问，请稍后重试；如持续出现，请联系系统管理员",
        "the award ledger cannot be reached just now; try again later, or tell the desk's administrator",
        headers={"Retry-After": "30"},
    )


def from_library(exc: ZzcbecError, desk: Any = None) -> HttpError:
    """A library error as the desk answers it; a ledger that cannot be reached is 503 with the desk's
    own words (the library's message names the ledger's file or server, which no page shows)."""
    if isinstance(exc, LedgerUnavailable):
        return unreachable()
    if isinstance(exc, AlreadyAwarded) and exc.revoked:  # the desk's way to re-issue is its own
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
    elif isinstance(exc, TimestampUnavailable):
        err.headers = {"Retry-After": "60"}
    return err


def _denied(request: Request, exc: Denied) -> HttpError:
    if exc.status == 404:
        return HttpError(404, "没有这个申报案件", "no such case")
    return HttpError(403, "当前账号无权进行此操作", "your role may not do this")


def _unreadable_form(request: Request, exc: Exception) -> HttpError:
    """A form Starlette could not read (too many parts, a broken multipart body, a client gone)."""
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 400
    detail = exc.detail if isinstance(exc, StarletteHTTPException) else exc
    return HttpError(
        422 if status == 400 else status, "表单内容无法读取或超出限制", f"the form cannot be read: {detail}"
    )


def _ledger_gone(request: Request, exc: Exception) -> HttpError:
    """The database went away under a request."""
    log.warning("desk: the ledger cannot be reached on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return unreachable()


def _internal(request: Request, exc: Exception) -> HttpError:
    log.exception("desk: unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return HttpError(500, "系统内部错误，已记录，请稍后重试", "internal error; it has been logged")


# every exception a route may raise → the HttpError it answers with
HANDLERS: dict[type[BaseException], Callable[[Request, Any], HttpError]] = {
    HttpError: lambda request, exc: exc,
    Denied: _denied,
    ZzcbecError: lambda request, exc: from_library(exc, request.app.state.desk),
    StarletteHTTPException: _unreadable_form,
    MultiPartException: _unreadable_form,
    ClientDisconnect: _unreadable_form,
    SQLAlchemyError: _ledger_gone,
    OSError: _ledger_gone,
    Exception: _internal,  # the last line of defence: logged, and no traceback to the caller
}


def as_http(request: Request, exc: BaseException) -> HttpError:
    handler: Callable[[Request, Any], HttpError] = lookup(HANDLERS, exc) or _internal
    return handler(request, exc)


def error_response(request: Request, exc: HttpError, user: User | None = None) -> Response:
    """An HttpError answered: JSON for the API, the error page (or the sign-in page for 401) otherwise."""
    desk = getattr(request.app.state, "desk", None)
    if wants_json(request) or desk is None:
        body: dict[str, Any] = {"error": f"{exc.zh} / {exc.en}", "message_zh": exc.zh, "message_en": exc.en}
        if exc.errors is not None:
            body["errors"] = exc.errors
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)
    if exc.status == 401:
        return RedirectResponse("/login", status_code=303)
    page: Response = desk.page("error.html", request, user, status=exc.status, error=exc)
    return page


def respond(request: Request, exc: BaseException, user: User | None = None) -> Response:
    """Any exception as the desk answers it (the table above)."""
    return error_response(request, as_http(request, exc), user)


async def not_found(request: Request, exc: Exception) -> Response:
    return error_response(request, HttpError(404, "没有这个页面", "not found"))


async def not_allowed(request: Request, exc: Exception) -> Response:
    return error_response(request, HttpError(405, "不支持此请求方法", "method not allowed"))


async def handled(request: Request, exc: Exception) -> Response:
    """Starlette's exception handler for the classes of `HANDLERS` (outside the route guard)."""
    return respond(request, exc, getattr(request.state, "user", None))


def exception_handlers() -> dict[Any, Callable[[Request, Exception], Any]]:
    """Starlette's `exception_handlers`: unknown paths and methods, and every class of `HANDLERS` but
    the last line of defence (Starlette sends `Exception` to its error middleware, which re-raises)."""
    table: dict[Any, Callable[[Request, Exception], Any]] = {404: not_found, 405: not_allowed}
    table.update({cls: handled for cls in HANDLERS if cls not in (Exception, StarletteHTTPException)})
    return table
