"""Notifications: each account's inbox on the desk, and e-mail through a configured SMTP server.

The inbox is read from the ledger's own trail (the events of the cases the account may see that
concern it: submitted, taken, returned for 补正, reviewed, awarded, revoked …), never a copy of
it. E-mail is sent after each change the desk makes, for every event not mailed yet (the CLI's
too), to the accounts concerned that gave an address on their inbox page; what became of each
mail (sent, or failed and why) is kept in `zzdesk_mail` and shown in the inbox. A mail that fails
never fails the step that caused it: it is logged and shown.

SMTP is configured by the environment of `zzcbec serve`: ZZCBEC_SMTP=host:port (unset: no mail),
ZZCBEC_SMTP_FROM (the sender), ZZCBEC_SMTP_USER / ZZCBEC_SMTP_PASSWORD (optional, with STARTTLS
when ZZCBEC_SMTP_STARTTLS=1), ZZCBEC_DESK_URL (the desk's address, for links in the mail).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import smtplib
import weakref
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from zzcbec_docs.desk import accounts, store
from zzcbec_docs.desk.accounts import User
from zzcbec_docs.desk.authz import Action
from zzcbec_docs.desk.context import Desk
from zzcbec_docs.desk.http import unprocessable
from zzcbec_docs.desk.security import route

log = logging.getLogger("zzcbec.desk.mail")
PER_PAGE = 30
EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$|^[^@\s<>\"']{1,64}@localhost$")
# the kinds of event each role hears about (on the cases it may see)
CONCERNS = {
    "enterprise": ("submitted", "corrected", "taken", "returned", "reviewed", "awarded", "revoked"),
    "reviewer": ("submitted", "corrected", "assigned", "awarded", "revoked"),
    "bureau": ("reviewed", "returned", "corrected"),
}
WATERMARK = "mail_watermark"


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0


def smtp_from_env(env: Any = None) -> Smtp | None:
    env = os.environ if env is None else env
    where = (env.get("ZZCBEC_SMTP") or "").strip()
    if not where:
        return None
    host, _, port = where.rpartition(":")
    if not host or not port.isdigit():
        host, port = where, "25"
    return Smtp(
        host=host,
        port=int(port),
        sender=env.get("ZZCBEC_SMTP_FROM") or "zzcbec-desk@localhost",
        user=env.get("ZZCBEC_SMTP_USER") or None,
        password=env.get("ZZCBEC_SMTP_PASSWORD") or None,
        starttls=env.get("ZZCBEC_SMTP_STARTTLS") == "1",
    )


_SMTP: weakref.WeakKeyDictionary[Desk, Smtp | None] = weakref.WeakKeyDictionary()  # read once per desk


def _smtp(desk: Desk) -> Smtp | None:
    if desk not in _SMTP:
        _SMTP[desk] = smtp_from_env()
    return _SMTP[desk]


# ---------------------------------------------------------------------- who hears of what
def concerned(
    user: User,
    kind: str,
    actor: str,
    detail: dict[str, Any],
    uscc: str | None,
    district: str | None,
    assignee: str | None,
) -> bool:
    """Whether this event, on a case of this applicant and district, belongs in the user's inbox."""
    from zzcbec_docs.desk.authz import sees

    if actor == user.username or kind not in CONCERNS.get(user.role, ()):
        return False
    if uscc is None or district is None or not sees(user, uscc, district):
        return False
    if user.role == "reviewer":
        if kind == "assigned":
            return detail.get("reviewer") == user.username
        if kind in ("awarded", "revoked"):
            return assignee == user.username
    return True


def _events(conn: Any, where: Any, limit: int | None, offset: int = 0) -> list[Any]:
    from zzcbec_docs.ledger import schema as s

    e, c = s.events, s.cases
    q = (
        select(e.c.id, e.c.case_id, e.c.kind, e.c.actor, e.c.at, e.c.detail, c.c.uscc, c.c.district, c.c.applicant_name)
        .select_from(e.join(c, c.c.id == e.c.case_id))
        .order_by(e.c.id.desc())
    )
    if where is not None:
        q = q.where(where)
    if limit is not None:
        q = q.limit(limit).offset(offset)
    return list(conn.execute(q).all())


def _assignees(conn: Any, case_ids: list[str]) -> dict[str, str | None]:
    from zzcbec_docs.ledger import cases as ledger_cases
    from zzcbec_docs.process.assignment import assignee_of

    by: dict[str, list[Any]] = {}
    for e in ledger_cases.event_rows(conn, case_ids) if case_ids else ():
        by.setdefault(e.case_id, []).append(e)
    return {k: assignee_of(v) for k, v in by.items()}


def _visible(user: User) -> Any:
    from zzcbec_docs.ledger import schema as s

    e, c = s.events, s.cases
    kinds = e.c.kind.in_(CONCERNS.get(user.role, ()))
    if user.role == "enterprise":
        return and_(kinds, c.c.uscc == (user.uscc or "-"), e.c.actor != user.username)
    if user.role == "reviewer":
        return and_(kinds, c.c.district.in_(list(user.districts) or ["-"]), e.c.actor != user.username)
    return and_(kinds, e.c.actor != user.username)


@dataclass(frozen=True)
class Message:
    id: int
    case_id: str
    kind: str
    actor: str
    at: str
    applicant: str
    what: str
    unread: bool
    mail: str | None  # sent | failed: why | None (no mail)

    def as_dict(self) -> dict[str, Any]:
        from zzcbec_docs.desk.audit import beijing, event_words

        return {
            "id": self.id,
            "case_id": self.case_id,
            "kind": self.kind,
            "kind_zh": event_words().get(self.kind, self.kind),
            "actor": self.actor,
            "at": self.at,
            "at_beijing": beijing(self.at),
            "applicant": self.applicant,
            "what": self.what,
            "unread": self.unread,
            "mail": self.mail,
        }


def inbox(desk: Desk, user: User, page: int = 1) -> tuple[list[Message], int, int]:
    """A page of the user's inbox (newest first), its size, and how many are unread."""
    from zzcbec_docs.desk.audit import what

    with desk.ledger.engine.connect() as conn:
        seen = (
            conn.execute(select(store.contacts.c.seen_event).where(store.contacts.c.username == user.username)).scalar()
            or 0
        )
        # the reviewer's rules need the assignee: filter in Python over the visible kinds
        rows = _events(conn, _visible(user), None)
        assignees = _assignees(conn, sorted({r.case_id for r in rows})) if user.role == "reviewer" else {}
        mine = [
            r
            for r in rows
            if concerned(user, r.kind, r.actor, json.loads(r.detail), r.uscc, r.district, assignees.get(r.case_id))
        ]
        chosen = mine[(page - 1) * PER_PAGE : page * PER_PAGE]
        m = store.mail
        mails = {
            r.event_id: (r.status, r.error)
            for r in conn.execute(
                select(m.c.event_id, m.c.status, m.c.error).where(
                    and_(m.c.username == user.username, m.c.event_id.in_([r.id for r in chosen] or [-1]))
                )
            ).all()
        }
    out = []
    for r in chosen:
        status = mails.get(r.id)
        mail = None if status is None else ("sent" if status[0] == "sent" else f"failed: {status[1] or ''}")
        out.append(
            Message(
                r.id,
                r.case_id,
                r.kind,
                r.actor,
                r.at,
                r.applicant_name,
                what(r.kind, json.loads(r.detail)),
                r.id > seen,
                mail,
            )
        )
    return out, len(mine), sum(1 for r in mine if r.id > seen)


def mark_read(desk: Desk, user: User, upto: int) -> None:
    c = store.contacts
    with desk.ledger.transaction() as conn:
        found = conn.execute(select(c.c.seen_event).where(c.c.username == user.username)).first()
        if found is None:
            conn.execute(insert(c).values(username=user.username, email=None, seen_event=upto))
        elif upto > (found.seen_event or 0):
            conn.execute(update(c).where(c.c.username == user.username).values(seen_event=upto))


def set_email(desk: Desk, user: User, email: str | None) -> None:
    c = store.contacts
    with desk.ledger.transaction() as conn:
        found = conn.execute(select(c.c.username).where(c.c.username == user.username)).first()
        if found is None:
            conn.execute(insert(c).values(username=user.username, email=email, seen_event=0))
        else:
            conn.execute(update(c).where(c.c.username == user.username).values(email=email))
        store.record(conn, user.username, "contact.email", user.username, {"set": bool(email)})


def email_of(desk: Desk, username: str) -> str | None:
    with desk.ledger.engine.connect() as conn:
        return conn.execute(select(store.contacts.c.email).where(store.contacts.c.username == username)).scalar()


# ---------------------------------------------------------------------- e-mail
def dispatch(desk: Desk) -> int:
    """Mail the events not mailed yet to the accounts concerned that gave an address; returns the
    number of mails attempted. Never raises: a failure is recorded against the mail and logged."""
    smtp = _smtp(desk)
    if smtp is None:
        return 0
    try:
        return _dispatch(desk, smtp)
    except Exception:  # noqa: BLE001 - mail never fails the step that caused it
        log.exception("desk: mail dispatch failed")
        return 0


def start(desk: Desk) -> None:
    """At the desk's start with mail configured for the first time: mail from now on, not the past."""
    from zzcbec_docs.ledger import schema as s

    if _smtp(desk) is None:
        return
    with desk.ledger.transaction() as conn:
        if conn.execute(select(store.settings.c.value).where(store.settings.c.key == WATERMARK)).first() is None:
            mark = conn.execute(select(func.max(s.events.c.id))).scalar() or 0
            conn.execute(insert(store.settings).values(key=WATERMARK, value=str(mark)))


def _watermark(conn: Any) -> int:
    v = conn.execute(select(store.settings.c.value).where(store.settings.c.key == WATERMARK)).scalar()
    return int(v) if v else 0


def _dispatch(desk: Desk, smtp: Smtp) -> int:
    from zzcbec_docs.ledger import schema as s

    with desk.ledger.engine.connect() as conn:
        mark = _watermark(conn)
        rows = list(reversed(_events(conn, s.events.c.id > mark, 200)))
        last = rows[-1].id if rows else mark
        c = store.contacts
        people = {
            r.username: r.email
            for r in conn.execute(select(c.c.username, c.c.email).where(c.c.email.is_not(None))).all()
            if r.email
        }
        assignees = _assignees(conn, sorted({r.case_id for r in rows}))
    users = [u for u in accounts.list_users(desk.ledger) if u.username in people and not u.disabled]
    sent = 0
    for r in rows:
        detail = json.loads(r.detail)
        for u in users:
            if not concerned(u, r.kind, r.actor, detail, r.uscc, r.district, assignees.get(r.case_id)):
                continue
            if not _claim(desk, r.id, u.username, people[u.username]):
                continue  # another worker mails this one
            sent += 1
            try:
                _send(smtp, people[u.username], r, detail)
            except (OSError, smtplib.SMTPException) as exc:
                log.warning("desk: mail for event %s to %s failed: %s", r.id, u.username, exc)
                _result(desk, r.id, u.username, "failed", f"{type(exc).__name__}: {exc}"[:500])
            else:
                _result(desk, r.id, u.username, "sent", None)
    with desk.ledger.transaction() as conn:
        now = _watermark(conn)
        if last > now:
            found = conn.execute(select(store.settings.c.key).where(store.settings.c.key == WATERMARK)).first()
            if found is None:
                try:
                    conn.execute(insert(store.settings).values(key=WATERMARK, value=str(last)))
                except IntegrityError:
                    pass
            else:
                conn.execute(update(store.settings).where(store.settings.c.key == WATERMARK).values(value=str(last)))
    return sent


def _claim(desk: Desk, event_id: int, username: str, address: str) -> bool:
    m = store.mail
    with desk.ledger.transaction() as conn:
        found = conn.execute(select(m.c.id).where(and_(m.c.event_id == event_id, m.c.username == username))).first()
        if found is not None:
            return False
        conn.execute(
            insert(m).values(
                event_id=event_id, username=username, address=address, status="pending", error=None, at=store.now_iso()
            )
        )
    return True


def _result(desk: Desk, event_id: int, username: str, status: str, error: str | None) -> None:
    m = store.mail
    with desk.ledger.transaction() as conn:
        conn.execute(
            update(m)
            .where(and_(m.c.event_id == event_id, m.c.username == username))
            .values(status=status, error=error, at=store.now_iso())
        )


def _send(smtp: Smtp, to: str, row: Any, detail: dict[str, Any]) -> None:
    from zzcbec_docs.desk.audit import beijing, event_words, what

    word = event_words().get(row.kind, row.kind)
    base = (os.environ.get("ZZCBEC_DESK_URL") or "").rstrip("/")
    msg = EmailMessage()
    msg["Subject"] = f"跨境电商奖励申报：{row.applicant_name} {word}"
    msg["From"] = smtp.sender
    msg["To"] = to
    msg.set_content(
        f"{row.applicant_name}（{row.district}）的申报案件 {row.case_id}：{word}\n"
        f"{what(row.kind, detail)}\n"
        f"操作人：{row.actor}，时间：{beijing(row.at)}（北京时间）\n\n"
        f"详情请登录系统查看：{base}/cases/{row.case_id}\n"
        "（本邮件由系统发出，请勿直接回复。）\n"
    )
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.user and smtp.password:
            client.login(smtp.user, smtp.password)
        client.send_message(msg)


# ---------------------------------------------------------------------- routes
@route(Action.INBOX_VIEW)
async def api_inbox(request: Request, desk: Desk, user: User) -> Response:
    raw = request.query_params.get("page") or "1"
    page = int(raw) if raw.isdigit() and int(raw) > 0 else 1
    items, total, unread = await run_in_threadpool(inbox, desk, user, page)
    return JSONResponse(
        {
            "items": [m.as_dict() for m in items],
            "total": total,
            "unread": unread,
            "page": page,
            "pages": max(1, math.ceil(total / PER_PAGE)),
        }
    )


@route(Action.INBOX_VIEW)
async def inbox_page(request: Request, desk: Desk, user: User) -> Response:
    raw = request.query_params.get("page") or "1"
    page = int(raw) if raw.isdigit() and int(raw) > 0 else 1
    items, total, unread = await run_in_threadpool(inbox, desk, user, page)
    email = await run_in_threadpool(email_of, desk, user.username)
    resp = desk.page(
        "inbox.html",
        request,
        user,
        items=[m.as_dict() for m in items],
        total=total,
        unread=unread,
        page=page,
        pages=max(1, math.ceil(total / PER_PAGE)),
        email=email,
        mail_on=_smtp(desk) is not None,
        saved=request.query_params.get("saved"),
    )
    if items:
        await run_in_threadpool(mark_read, desk, user, max(m.id for m in items))
    return resp


@route(Action.INBOX_VIEW, write=True, form=True)
async def email_post(request: Request, desk: Desk, user: User) -> Response:
    raw = str(request.state.form.get("email") or "").strip()
    if raw and not EMAIL.match(raw):
        raise unprocessable("/email", f"“{raw[:60]}”不是有效的电子邮箱地址", f"{raw[:60]!r} is not an e-mail address")
    await run_in_threadpool(set_email, desk, user, raw or None)
    return RedirectResponse("/inbox?saved=1", status_code=303)


@route(Action.INBOX_VIEW, write=True)
async def api_email(request: Request, desk: Desk, user: User) -> Response:
    from zzcbec_docs.desk.http import json_body, parse_json_object

    data = parse_json_object(await json_body(request), "通知邮箱 / e-mail")
    raw = data.get("email")
    if raw is not None and (not isinstance(raw, str) or (raw.strip() and not EMAIL.match(raw.strip()))):
        raise unprocessable("/email", "不是有效的电子邮箱地址", "not an e-mail address")
    await run_in_threadpool(set_email, desk, user, (raw or "").strip() or None)
    return JSONResponse({"email": (raw or "").strip() or None})


def routes() -> list[Route]:
    return [
        Route("/api/inbox", api_inbox, methods=["GET"]),
        Route("/api/inbox/email", api_email, methods=["POST"]),
        Route("/inbox", inbox_page, methods=["GET"]),
        Route("/inbox/email", email_post, methods=["POST"]),
    ]
