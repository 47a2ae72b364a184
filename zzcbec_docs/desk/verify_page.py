"""The public verification page, `/verify/{核验码}`: what the QR code in a notice's 版记 opens.

No sign-in. It shows what `zzcbec verify` says of the notice (process/standing.py): its number,
the applicant's name, the amounts, and whether it stands or was revoked (and why, and the notice
that replaced it) — nothing more: no USCC, no bank account, no case, no history. An unknown code is
the desk's plain 404, the same as any unknown address. Lookups that find nothing are throttled as
failed sign-ins are (accounts.py's window and limits, per client address, in the same table): from
SLOW_AFTER misses on each answer waits a second, from REFUSE_AFTER on it is 429 until the window passes.
They are counted apart from the sign-ins' own: a failed sign-in never throttles this page, nor a
miss here a sign-in. Each lookup is counted as a miss before it is made (and uncounted on a hit), so
that a burst of parallel guesses meets the limit as a row of them does; the wait holds no thread.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import and_, delete, func, insert, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from zzcbec_docs.desk import accounts, store
from zzcbec_docs.desk.accounts import TooManyAttempts
from zzcbec_docs.desk.context import Desk
from zzcbec_docs.desk.http import HttpError, client_address
from zzcbec_docs.desk.security import route

NOT_FOUND = ("没有这个页面", "not found")  # the desk's own 404 words: an unknown code gives no hint


def _where(request: Request) -> str:
    """The client address misses are counted for, as sign-in counts it (an IPv6 address by its /64)."""
    return accounts.address_key(client_address(request))


def admit(desk: Desk, where: str) -> tuple[int, float]:
    """Count this lookup as a miss before it is made, in one write transaction with the count of the
    misses so far (SQLite takes its write lock at BEGIN): a burst of parallel guesses meets the limit
    as one guess after another would. Returns the row (deleted again on a hit) and the seconds to
    wait; TooManyAttempts once the misses run out. The misses are rows of the sign-in failures'
    table under accounts.PUBLIC_LOOKUPS, a name no failed sign-in is recorded under: typing
    "verify@ADDRESS" at the sign-in locks out no one here."""
    t, now = store.login_failures, time.time()
    with desk.ledger.transaction() as conn:
        conn.execute(delete(t).where(t.c.at < now - accounts.FAILURE_WINDOW))
        misses, first = conn.execute(
            select(func.count(), func.min(t.c.at)).where(
                and_(
                    t.c.username == accounts.PUBLIC_LOOKUPS,
                    t.c.address == where,
                    t.c.at > now - accounts.FAILURE_WINDOW,
                )
            )
        ).one()
        if misses >= accounts.REFUSE_AFTER:
            raise TooManyAttempts(max(1, int(first + accounts.FAILURE_WINDOW - now)))
        key = conn.execute(
            insert(t).values(username=accounts.PUBLIC_LOOKUPS, address=where, at=now)
        ).inserted_primary_key
    assert key is not None  # one row, its id given by the database
    return int(key[0]), (1.0 if misses >= accounts.SLOW_AFTER else 0.0)


def lookup(desk: Desk, code: str, row: int) -> Any:
    """The notice's facts, or None (the admitted miss stays counted)."""
    found = desk.service.standing(code=code.strip().upper()) if len(code) <= 20 else None
    if found is not None:
        with desk.ledger.transaction() as conn:
            conn.execute(delete(store.login_failures).where(store.login_failures.c.id == row))
    return found


@route(None)
async def verify_page(request: Request, desk: Desk, user: Any) -> Response:
    try:
        row, delay = await run_in_threadpool(admit, desk, _where(request))
    except TooManyAttempts as exc:
        resp = desk.page(
            "error.html",
            request,
            None,
            status=429,
            error=HttpError(
                429,
                f"核验次数过多，请 {exc.retry_after} 秒后再试",
                f"too many lookups; try again in {exc.retry_after} s",
            ),
        )
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp
    if delay:
        await asyncio.sleep(delay)  # slowed without holding a worker thread, as sign-in is
    found = await run_in_threadpool(lookup, desk, request.path_params["code"], row)
    if found is None:
        raise HttpError(404, *NOT_FOUND)
    return desk.page("verify.html", request, None, notice=found)
