"""Storage of the award process: cases, attachments, reviews, events, and each case's notices.

Rows only: what they mean (status, decisions) is the process layer's business. Every function
takes the caller's connection, so a step of the process is one transaction. Rows are appended,
never updated or deleted.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.engine import Connection, Row

from zzcbec_docs.ledger import schema as s
from zzcbec_docs.ledger.store import from_cents, now_iso, to_cents

if TYPE_CHECKING:
    from typing import TypeAlias

    from typing_extensions import Unpack

    AnyRow: TypeAlias = Row[Unpack[tuple[Any, ...]]]  # a row of any columns

# The client address of the step being recorded: the desk sets it around a request's process call
# (`acting_from`), so every event the step appends says where it came from; the CLI leaves it empty.
_address: ContextVar[str | None] = ContextVar("zzcbec_client_address", default=None)


@contextmanager
def acting_from(address: str | None) -> Iterator[None]:
    token = _address.set(address[:64] if address else None)
    try:
        yield
    finally:
        _address.reset(token)


def _cents(v: Decimal | None) -> int | None:
    return None if v is None else to_cents(v)


def insert_case(
    conn: Connection,
    *,
    id: str,
    content_sha256: str,
    content: str,
    uscc: str,
    applicant_name: str,
    district: str,
    year: int,
    policy_id: str,
    source_name: str | None,
    bytes_sha256: str | None,
    total: Decimal | None,
    actor: str,
) -> str:
    at = now_iso()
    conn.execute(
        insert(s.cases).values(
            id=id,
            content_sha256=content_sha256,
            content=content,
            uscc=uscc,
            applicant_name=applicant_name,
            district=district,
            year=year,
            policy_id=policy_id,
            source_name=source_name,
            bytes_sha256=bytes_sha256,
            total_cents=_cents(total),
            submitted_at=at,
            submitted_by=actor,
        )
    )
    return at


CORRECTED = ("content_sha256", "content", "source_name", "bytes_sha256")


def _current(conn: Connection, rows: list[AnyRow], with_content: bool = True) -> list[Any]:
    """The rows with their content now: a case corrected (补正) reads its latest content row; the case's
    first content stays in its own row as submitted (`first_content_sha256`)."""
    if not rows:
        return []
    cc = s.case_contents
    cols = [cc.c.case_id, cc.c.content_sha256, cc.c.source_name, cc.c.bytes_sha256] + (
        [cc.c.content] if with_content else []
    )
    latest: dict[str, Any] = {}
    for r in conn.execute(select(*cols).where(cc.c.case_id.in_([r.id for r in rows])).order_by(cc.c.id)):
        latest[r.case_id] = r
    out: list[Any] = []
    for r in rows:
        fields = dict(r._mapping)
        fields["first_content_sha256"] = fields.get("content_sha256")
        new = latest.get(r.id)
        if new is not None:
            fields.update({k: getattr(new, k) for k in CORRECTED if k in new._mapping})
        out.append(SimpleNamespace(**fields))
    return out


def case_row(conn: Connection, case_id: str) -> Any:
    row = conn.execute(select(s.cases).where(s.cases.c.id == case_id)).first()
    return None if row is None else _current(conn, [row])[0]


def case_by_content(conn: Connection, content_sha256: str) -> Any:
    """The case whose content (first or corrected) has this SHA-256."""
    row = conn.execute(select(s.cases).where(s.cases.c.content_sha256 == content_sha256)).first()
    if row is None:
        cc = s.case_contents
        found = conn.execute(select(cc.c.case_id).where(cc.c.content_sha256 == content_sha256)).first()
        if found is None:
            return None
        return case_row(conn, found.case_id)
    return _current(conn, [row])[0]


def add_content(
    conn: Connection,
    case_id: str,
    *,
    content_sha256: str,
    content: str,
    source_name: str | None,
    bytes_sha256: str | None,
    total: Decimal | None,
    actor: str,
) -> None:
    """A corrected content of a case (补正): a new row; the case's earlier contents stay."""
    conn.execute(
        insert(s.case_contents).values(
            case_id=case_id,
            content_sha256=content_sha256,
            content=content,
            source_name=source_name,
            bytes_sha256=bytes_sha256,
            total_cents=_cents(total),
            created_at=now_iso(),
            actor=actor,
        )
    )


def case_rows(
    conn: Connection,
    *,
    districts: Iterable[str] | None = None,
    uscc: str | None = None,
    year: int | None = None,
    ids: Iterable[str] | None = None,
) -> list[Any]:
    c = s.cases
    q = select(
        c.c.id,
        c.c.content_sha256,
        c.c.uscc,
        c.c.applicant_name,
        c.c.district,
        c.c.year,
        c.c.policy_id,
        c.c.total_cents,
        c.c.submitted_at,
        c.c.submitted_by,
    ).order_by(c.c.submitted_at, c.c.id)
    if districts is not None:
        q = q.where(c.c.district.in_(list(districts)))
    if uscc:
        q = q.where(c.c.uscc == uscc)
    if year is not None:
        q = q.where(c.c.year == year)
    if ids is not None:
        q = q.where(c.c.id.in_(list(ids)))
    return _current(conn, list(conn.execute(q).all()), with_content=False)


def add_attachment(conn: Connection, case_id: str, name: str, sha256: str, data: bytes) -> None:
    conn.execute(
        insert(s.attachments).values(
            case_id=case_id, name=name, sha256=sha256, size=len(data), data=data, created_at=now_iso()
        )
    )


def attachment_rows(conn: Connection, case_id: str) -> list[AnyRow]:
    a = s.attachments
    return list(
        conn.execute(
            select(a.c.id, a.c.name, a.c.sha256, a.c.size).where(a.c.case_id == case_id).order_by(a.c.id)
        ).all()
    )


def attachment_data(conn: Connection, case_id: str, attachment_id: int) -> AnyRow | None:
    a = s.attachments
    return conn.execute(
        select(a.c.name, a.c.sha256, a.c.data).where(and_(a.c.case_id == case_id, a.c.id == attachment_id))
    ).first()


def add_review(
    conn: Connection,
    case_id: str,
    *,
    reviewer: str,
    unit: str | None,
    conclusion: str,
    reviewed_on: str,
    verified: list[dict[str, Any]],
    remarks: str,
    record_file: str | None,
    record_sha256: str | None,
    bundle_sha256: str | None,
    total: Decimal | None,
    actor: str,
) -> int:
    r = conn.execute(
        insert(s.reviews).values(
            case_id=case_id,
            reviewer=reviewer,
            unit=unit,
            conclusion=conclusion,
            reviewed_on=reviewed_on,
            verified=json.dumps(verified, ensure_ascii=False, sort_keys=True),
            remarks=remarks,
            record_file=record_file,
            record_sha256=record_sha256,
            bundle_sha256=bundle_sha256,
            total_cents=_cents(total),
            actor=actor,
            created_at=now_iso(),
        )
    )
    return int(cast("Sequence[Any]", r.inserted_primary_key)[0])  # an INSERT of one row has its key


def review_rows(conn: Connection, case_id: str) -> list[AnyRow]:
    return list(conn.execute(select(s.reviews).where(s.reviews.c.case_id == case_id).order_by(s.reviews.c.id)).all())


def add_event(conn: Connection, case_id: str | None, kind: str, actor: str, detail: dict[str, Any]) -> None:
    conn.execute(
        insert(s.events).values(
            case_id=case_id,
            kind=kind,
            actor=actor,
            at=now_iso(),
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
            address=_address.get(),
        )
    )


def event_rows(conn: Connection, case_ids: Iterable[str] | None = None) -> list[AnyRow]:
    e = s.events
    q = select(e).order_by(e.c.id)
    if case_ids is not None:
        q = q.where(e.c.case_id.in_(list(case_ids)))
    return list(conn.execute(q).all())


def notice_rows(
    conn: Connection,
    *,
    case_id: str | None = None,
    content_sha256: str | None = None,
    bundle_sha256: str | None = None,
    number: str | None = None,
    contents: Collection[str] = (),
    bundles: Collection[str] = (),
) -> list[AnyRow]:
    """Notices (with their revocation, if any) of a case, or of a content or bundle (or of any of
    `contents` and `bundles`: one query), or by number; all notices when nothing is asked for."""
    n, r = s.notices, s.revocations
    q = (
        select(
            n.c.id,
            n.c.number,
            n.c.issuer,
            n.c.issuer_code,
            n.c.notice_year,
            n.c.seq,
            n.c.uscc,
            n.c.applicant_name,
            n.c.district,
            n.c.year,
            n.c.issued_on,
            n.c.created_at,
            n.c.case_id,
            n.c.content_sha256,
            n.c.bundle_sha256,
            n.c.review_id,
            n.c.reissue_of,
            n.c.actor,
            r.c.id.label("rid"),
            r.c.reason,
            r.c.revoked_at,
        )
        .outerjoin(r, r.c.notice_id == n.c.id)
        .order_by(n.c.id)
    )
    wanted = []
    if case_id is not None:
        wanted.append(n.c.case_id == case_id)
    if content_sha256 is not None:
        wanted.append(n.c.content_sha256 == content_sha256)
    if bundle_sha256 is not None:  # notices from before version 3 know only the bytes
        wanted.append(and_(n.c.content_sha256.is_(None), n.c.bundle_sha256 == bundle_sha256))
    if number is not None:
        wanted.append(n.c.number == number)
    if contents:
        wanted.append(n.c.content_sha256.in_(sorted(contents)))
    if bundles:
        wanted.append(and_(n.c.content_sha256.is_(None), n.c.bundle_sha256.in_(sorted(bundles))))
    if wanted:
        q = q.where(or_(*wanted))
    return list(conn.execute(q).all())


def award_rows(conn: Connection, notice_ids: Iterable[int]) -> list[AnyRow]:
    a = s.awards
    return list(conn.execute(select(a).where(a.c.notice_id.in_(list(notice_ids))).order_by(a.c.id)).all())


def money(cents: int | None) -> Decimal | None:
    return from_cents(cents)
