"""The desk's HTTP plumbing: the error a route answers with, request bodies and forms read within
their limits, cookies, the client's address and Origin, and values made JSON.

Nothing here knows a page, a route or the service: the modules above (errors, security, api,
pages) build on it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, is_dataclass
from decimal import Decimal
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

from zzcbec_docs.bundle.model import Problem
from zzcbec_docs.desk import uploads
from zzcbec_docs.errors import BundleError
from zzcbec_docs.money import fmt_amount

COOKIE = "zzdesk_session"
PRE_COOKIE = "zzdesk_pre"  # the sign-in form's CSRF token, before there is a session
MAX_JSON = 1024 * 1024 + 1024
MAX_FORM = uploads.MAX_FILE * 3 + 2 * 1024 * 1024


class HttpError(Exception):
    """What a route answers: the status, the Chinese and English message, the errors with their places."""

    def __init__(
        self,
        status: int,
        zh: str,
        en: str,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{zh} / {en}")
        self.status, self.zh, self.en, self.errors, self.headers = status, zh, en, errors, headers or {}


def unprocessable(pointer: str, zh: str, en: str) -> HttpError:
    return HttpError(422, zh, en, [Problem(pointer, zh, en).as_dict()])


def too_large() -> HttpError:
    return HttpError(413, "请求体超过 1 MiB 上限", "the request body is larger than 1 MiB")


# ---------------------------------------------------------------------- the request
def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', '')}"


def origin_ok(request: Request) -> bool:
    """A state change carries our own Origin, or none at all (JSON clients); a browser always sends one."""
    origin = request.headers.get("origin")
    if origin is None:
        return request.headers.get("sec-fetch-site") in (None, "same-origin", "none")
    return origin == own_origin(request)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def cookie_args(request: Request) -> dict[str, Any]:
    return {"httponly": True, "samesite": "lax", "secure": request.url.scheme == "https", "path": "/"}


async def json_body(request: Request) -> bytes:
    """The request's body, refused (413) past 1 MiB before more is read."""
    size = int(request.headers.get("content-length") or 0)
    if size > MAX_JSON:
        raise too_large()
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_JSON:
            raise too_large()
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


async def read_form(request: Request) -> FormData:
    """A posted form within the desk's limits (413 past them; Starlette refuses too many parts)."""
    size = int(request.headers.get("content-length") or 0)
    if size > MAX_FORM:
        raise HttpError(413, "提交的内容过大", "the request is too large")
    return await request.form(max_files=uploads.MAX_FILES, max_fields=400, max_part_size=uploads.MAX_BUNDLE)


def date_field(data: dict[str, Any], key: str = "date") -> dt.date | None:
    """A YYYY-MM-DD field of a body or form (None when left out); 422 at its place otherwise."""
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


# ---------------------------------------------------------------------- the response
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


def notice_field(n: Any, name: str) -> Any:
    """A field of a notice, whether it comes as a record or as its JSON form."""
    return n.get(name) if isinstance(n, dict) else getattr(n, name, None)
