"""The ledger interface and its SQLAlchemy Core implementation (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import and_, create_engine, event, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from zzcbec_docs.bundle.model import PriorAward
from zzcbec_docs.errors import ArgumentError, LedgerError, LedgerUnavailable
from zzcbec_docs.ledger import schema as s

if TYPE_CHECKING:
    import sqlite3

    from sqlalchemy.engine.interfaces import DBAPIConnection
    from sqlalchemy.pool import ConnectionPoolEntry

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> int:
    return int((amount / CENT).to_integral_value())


def from_cents(cents: int | None) -> Decimal | None:
    return None if cents is None else (Decimal(cents) * CENT).quantize(CENT)


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def normalise_url(url: str) -> str:
    """What people write → what SQLAlchemy needs.

    postgresql://user@host/db (or postgres://) → postgresql+psycopg://…; a path or sqlite:///path → SQLite.
    """
    if not url or not url.strip():
        raise ArgumentError(
            "未给出台账地址（--ledger 或 ZZCBEC_LEDGER）", "no ledger given (--ledger or ZZCBEC_LEDGER)"
        )
    url = url.strip()
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith(("postgresql+psycopg://", "sqlite:///")):
        return url
    if "://" in url:
        raise ArgumentError(
            f"不支持的台账地址 {url.split('://')[0]}://；请用 SQLite 文件路径或 postgresql://用户@主机/数据库",
            f"unsupported ledger URL scheme {url.split('://')[0]}://; use a SQLite file path or postgresql://user@host/db",
        )
    return "sqlite:///" + str(Path(url).expanduser().resolve())


@dataclass(frozen=True)
class OwnAwards:
    """A case's own notices, to leave out of its history: by case id, by content SHA-256 (the current and
    any earlier identity), or — notices from before version 3 — by the SHA-256 of the bundle's bytes."""

    case_ids: frozenset[str] = frozenset()
    contents: frozenset[str] = frozenset()
    bundle_bytes: frozenset[str] = frozenset()

    def holds(self, row: Any) -> bool:
        if row.case_id is not None and row.case_id in self.case_ids:
            return True
        if row.content_sha256 is not None:
            return row.content_sha256 in self.contents
        return row.bundle_sha256 in self.bundle_bytes or row.bundle_sha256 in self.contents


def _prior(row: Any) -> PriorAward:
    return PriorAward(
        clause=row.clause,
        year=row.year,
        amount=from_cents(row.amount_cents) or Decimal(0),
        competition_name=row.competition_name,
        source="ledger",
        reference=row.number,
        tier=from_cents(row.tier_cents),
    )


@dataclass(frozen=True)
class LedgerAward:
    """One award row with its notice, for lists and exports."""

    notice_number: str
    issued_on: str
    uscc: str
    applicant_name: str
    district: str
    clause: int
    competition_name: str | None
    year: int
    amount: Decimal
    city: Decimal | None
    local: Decimal | None
    revoked: bool
    revocation_reason: str | None


@dataclass(frozen=True)
class NoticeRecord:
    number: str
    bundle_sha256: str
    uscc: str
    issued_on: str
    revoked: bool
    case_id: str | None = None
    revoked_at: str | None = None


class Ledger:
    """A ledger database. Open with `open_ledger(url)`; the schema is upgraded on open."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    # ---------------------------------------------------------------- schema
    def version(self, conn: Connection | None = None, scheme: s.Scheme = s.LEDGER) -> int:
        """The version of `scheme` (the ledger's tables, or the desk's) this database is at."""

        def read(c: Connection) -> int:
            return scheme.version(c)

        if conn is not None:
            return read(conn)
        with self.engine.connect() as c:
            return read(c)

    def upgrade(self) -> list[int]:
        """Apply the ledger's migrations this database lacks (`migrate(schema.LEDGER)`)."""
        return self.migrate(s.LEDGER)

    def migrate(self, scheme: s.Scheme) -> list[int]:
        """Apply the migrations of `scheme` this database lacks, each in its own transaction and recorded
        in the scheme's version table, under the scheme's lock (PostgreSQL; SQLite's write lock)."""
        applied = []
        with self.transaction() as conn:  # two processes at once: the first creates, the second waits and sees it
            if self.is_postgres:
                conn.execute(text(f"SELECT pg_advisory_xact_lock({scheme.lock})"))
            scheme.versions.create(conn, checkfirst=True)
        for step in scheme.steps:
            with self._migration(step.foreign_keys_off) as conn:
                if self.is_postgres:
                    conn.execute(text(f"SELECT pg_advisory_xact_lock({scheme.lock})"))
                if scheme.version(conn) >= step.number:
                    continue
                step.migrate(conn)
                if not self.is_postgres and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise LedgerError(
                        f"{scheme.title_zh}升级到版本 {step.number} 后外键不一致，已回滚",
                        f"upgrading {scheme.title_en} to version {step.number} broke a foreign key: rolled back",
                    )
                done = scheme.versions.c.version == step.number
                if conn.execute(select(scheme.versions.c.version).where(done)).first() is None:
                    conn.execute(insert(scheme.versions).values(version=step.number, applied_at=now_iso()))
                applied.append(step.number)
        return applied

    @contextmanager
    def _migration(self, foreign_keys_off: bool) -> Iterator[Connection]:
        """A migration's transaction; on SQLite a table rebuild runs with foreign keys off (they can
        only be switched outside a transaction) and checked before the commit."""
        if self.is_postgres or not foreign_keys_off:
            with self.transaction() as conn:
                yield conn
            return
        with self.engine.connect() as conn:
            raw = cast("DBAPIConnection", conn.connection.dbapi_connection)  # open: the connection is in use
            raw.execute("PRAGMA foreign_keys=OFF")
            try:
                with conn.begin():
                    yield conn
            finally:
                raw.execute("PRAGMA foreign_keys=ON")

    # ---------------------------------------------------------------- transactions
    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction: SQLite takes its write lock at BEGIN (IMMEDIATE)."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except LedgerError:
            raise
        except OperationalError as exc:  # the database went away, is locked or full: not a refusal
            zh, en = why(exc)
            raise LedgerUnavailable(
                f"台账 {shown_url(self.url)} 操作失败：{zh}", f"the ledger {shown_url(self.url)} failed: {en}"
            ) from None

    def lock_applicant(self, conn: Connection, uscc: str) -> None:
        """Serialise awards to one applicant (PostgreSQL; SQLite's write lock already does)."""
        if self.is_postgres:
            key = int.from_bytes(hashlib.sha256(uscc.encode()).digest()[:8], "big", signed=True)
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})

    # ---------------------------------------------------------------- reads
    def history(self, conn: Connection, uscc: str, *, excluding: OwnAwards | None = None) -> list[PriorAward]:
        """Every award to this applicant that has not been revoked — but the awards of `excluding` (a case
        never competes with itself: its own notices are left out, by case id, content or bundle bytes)."""
        a, n, r = s.awards, s.notices, s.revocations
        rows = conn.execute(
            select(
                a.c.clause,
                a.c.year,
                a.c.amount_cents,
                a.c.tier_cents,
                a.c.competition_name,
                n.c.number,
                n.c.case_id,
                n.c.content_sha256,
                n.c.bundle_sha256,
            )
            .join(n, n.c.id == a.c.notice_id)
            .outerjoin(r, r.c.notice_id == n.c.id)
            .where(and_(a.c.uscc == uscc, r.c.id.is_(None)))
            .order_by(a.c.id)
        ).all()
        return [_prior(row) for row in rows if excluding is None or not excluding.holds(row)]

    def competition_history(
        self, conn: Connection, clauses: Iterable[int], keys: set[str], *, uscc: str, excluding: OwnAwards | None = None
    ) -> list[PriorAward]:
        """The standing awards to *other* applicants under per-competition clauses (clause 11) for these
        competitions (by `competition_key`): 单个活动不超过20万 is per competition, whoever of its organisers
        applies."""
        from zzcbec_docs.bundle.model import competition_key

        clauses = list(clauses)
        if not keys or not clauses:
            return []
        a, n, r = s.awards, s.notices, s.revocations
        rows = conn.execute(
            select(
                a.c.clause,
                a.c.year,
                a.c.amount_cents,
                a.c.tier_cents,
                a.c.competition_name,
                n.c.number,
                n.c.case_id,
                n.c.content_sha256,
                n.c.bundle_sha256,
                a.c.uscc,
            )
            .join(n, n.c.id == a.c.notice_id)
            .outerjoin(r, r.c.notice_id == n.c.id)
            .where(and_(a.c.clause.in_(clauses), a.c.uscc != uscc, a.c.competition_name.is_not(None), r.c.id.is_(None)))
            .order_by(a.c.id)
        ).all()
        return [
            replace(_prior(row), organiser=row.uscc)
            for row in rows
            if competition_key(row.competition_name) in keys and (excluding is None or not excluding.holds(row))
        ]

    def history_readonly(self, uscc: str) -> list[PriorAward]:
        with self.engine.connect() as conn:
            return self.history(conn, uscc)

    def awards(
        self,
        *,
        year: int | None = None,
        uscc: str | None = None,
        clause: int | None = None,
        district: str | None = None,
        notice_year: int | None = None,
    ) -> list[LedgerAward]:
        a, n, r = s.awards, s.notices, s.revocations
        q = (
            select(
                n.c.number,
                n.c.issued_on,
                a.c.uscc,
                n.c.applicant_name,
                n.c.district,
                a.c.clause,
                a.c.competition_name,
                a.c.year,
                a.c.amount_cents,
                a.c.city_cents,
                a.c.local_cents,
                r.c.id.label("rid"),
                r.c.reason,
            )
            .join(n, n.c.id == a.c.notice_id)
            .outerjoin(r, r.c.notice_id == n.c.id)
            .order_by(n.c.notice_year, n.c.seq, a.c.id)
        )
        if year is not None:
            q = q.where(a.c.year == year)
        if notice_year is not None:
            q = q.where(n.c.notice_year == notice_year)
        if uscc:
            q = q.where(a.c.uscc == uscc)
        if clause is not None:
            q = q.where(a.c.clause == clause)
        if district:
            q = q.where(n.c.district == district)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [
            LedgerAward(
                row.number,
                row.issued_on,
                row.uscc,
                row.applicant_name,
                row.district,
                row.clause,
                row.competition_name,
                row.year,
                from_cents(row.amount_cents) or Decimal(0),
                from_cents(row.city_cents),
                from_cents(row.local_cents),
                row.rid is not None,
                row.reason,
            )
            for row in rows
        ]

    # ---------------------------------------------------------------- writes
    def next_number(self, conn: Connection, issuer_code: str, notice_year: int) -> int:
        """The next sequence number for an issuer and year: gapless (allocated in the award's own
        transaction, so a rollback gives it back) and never reused."""
        c = s.notice_counters
        key = and_(c.c.issuer_code == issuer_code, c.c.notice_year == notice_year)
        if self.is_postgres:
            conn.execute(
                text(
                    "INSERT INTO zzcbec_notice_counters (issuer_code, notice_year, last_seq) VALUES (:i, :y, 0) "
                    "ON CONFLICT DO NOTHING"
                ),
                {"i": issuer_code, "y": notice_year},
            )
            last = conn.execute(select(c.c.last_seq).where(key).with_for_update()).scalar_one()
        else:
            last = conn.execute(select(c.c.last_seq).where(key)).scalar()
            if last is None:
                conn.execute(insert(c).values(issuer_code=issuer_code, notice_year=notice_year, last_seq=0))
                last = 0
        conn.execute(c.update().where(key).values(last_seq=last + 1))
        return int(last) + 1

    def record_notice(self, conn: Connection, **values: Any) -> int:
        from zzcbec_docs import __version__

        result = conn.execute(insert(s.notices).values(**values, created_at=now_iso(), tool_version=__version__))
        return int(cast("Sequence[Any]", result.inserted_primary_key)[0])  # an INSERT of one row has its key

    def record_award(
        self,
        conn: Connection,
        notice_id: int,
        uscc: str,
        clause: int,
        competition_name: str | None,
        year: int,
        amount: Decimal,
        city: Decimal | None,
        local: Decimal | None,
        tier: Decimal | None = None,
    ) -> None:
        conn.execute(
            insert(s.awards).values(
                notice_id=notice_id,
                uscc=uscc,
                clause=clause,
                competition_name=competition_name,
                year=year,
                amount_cents=to_cents(amount),
                city_cents=None if city is None else to_cents(city),
                local_cents=None if local is None else to_cents(local),
                tier_cents=None if tier is None else to_cents(tier),
            )
        )

    def revoke(self, number: str, reason: str) -> NoticeRecord:
        """Append a revocation of the notice, in a transaction of its own; nothing is deleted. The case's
        `revoked` event is the process's to write (process/awarding.revoke calls `revoke_in` instead)."""
        with self.transaction() as conn:
            return self.revoke_in(conn, number, reason)

    def revoke_in(self, conn: Connection, number: str, reason: str) -> NoticeRecord:
        """The revocation row, inside the caller's transaction (the applicant locked, a second one refused)."""
        if not reason.strip():
            raise ArgumentError("撤销须写明原因（--reason）", "a revocation needs a reason (--reason)")
        n, r = s.notices, s.revocations
        row = conn.execute(
            select(n.c.id, n.c.bundle_sha256, n.c.uscc, n.c.issued_on, n.c.case_id).where(n.c.number == number)
        ).first()
        if row is None:
            raise LedgerError(f"台账中没有文号 {number}", f"no notice {number} in the ledger")
        self.lock_applicant(conn, row.uscc)
        if conn.execute(select(r.c.id).where(r.c.notice_id == row.id)).first():
            raise LedgerError(f"{number} 已撤销", f"{number} is already revoked")
        at = now_iso()
        conn.execute(insert(r).values(notice_id=row.id, reason=reason.strip(), revoked_at=at))
        return NoticeRecord(number, row.bundle_sha256, row.uscc, row.issued_on, True, row.case_id, at)


def _sqlite_engine(url: str) -> Engine:
    path = url[len("sqlite:///") :]
    parent = Path(path).parent
    if not parent.is_dir():
        raise ArgumentError(f"台账文件所在目录不存在：{parent}", f"the ledger file's folder does not exist: {parent}")
    engine = create_engine(url, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def open_ledger(url: str | None = None, *, upgrade: bool = True, require_latest: bool = True) -> Ledger:
    """Open (and bring up to date) the ledger at `url`, or at $ZZCBEC_LEDGER."""
    raw = url or os.environ.get("ZZCBEC_LEDGER", "")
    full = normalise_url(raw)
    sqlite_file = Path(full[len("sqlite:///") :]) if full.startswith("sqlite:///") else None
    if sqlite_file is not None and not sqlite_file.parent.is_dir():
        raise ArgumentError(
            f"台账文件所在目录不存在：{sqlite_file.parent}",
            f"the ledger file's folder does not exist: {sqlite_file.parent}",
        )
    if sqlite_file is not None and not upgrade and require_latest and not sqlite_file.is_file():
        raise LedgerUnavailable(  # reading must not leave an empty database file behind
            f"台账文件不存在：{full[len('sqlite:///') :]}（新建请运行 zzcbec ledger init）",
            f"no ledger file at {full[len('sqlite:///') :]} (create one with `zzcbec ledger init`)",
        )
    try:
        if full.startswith("sqlite:///"):
            engine = _sqlite_engine(full)
        else:
            engine = create_engine(full, pool_pre_ping=True)
        ledger = Ledger(engine, full)
        with engine.connect() as conn:  # reachable? (a clear message here, not at the first query)
            conn.exec_driver_sql("SELECT 1")
        if upgrade:
            ledger.upgrade()
        elif require_latest and ledger.version() < s.LATEST:
            raise LedgerError(
                f"台账版本为 {ledger.version()}，需要升级到 {s.LATEST}（zzcbec ledger init）",
                f"the ledger is at version {ledger.version()}; run `zzcbec ledger init` to upgrade to {s.LATEST}",
            )
        return ledger
    except (LedgerError, ArgumentError):
        raise
    except (SQLAlchemyError, OSError) as exc:
        zh, en = why(exc)
        shown = shown_url(full)
        raise LedgerUnavailable(f"无法打开台账 {shown}：{zh}", f"cannot open the ledger {shown}: {en}") from None


def shown_url(url: str) -> str:
    """The ledger's address with any password hidden (a SQLite ledger: its file)."""
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///") :]
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True).replace("postgresql+psycopg://", "postgresql://")
    except Exception:  # noqa: BLE001 - an unparsable URL: show nothing secret
        return url.split("@")[-1]


_REASONS = (  # what a driver says (lower case) → what a person is told
    (
        ("connection refused", "could not connect", "connection failed", "no route", "server closed"),
        "服务器无法连接（地址、端口或服务未启动）",
        "the server cannot be reached (address, port, or the server is down)",
    ),
    (("timeout", "timed out"), "连接超时", "the connection timed out"),
    (
        ("password authentication", "authentication failed", "no password supplied", "role"),
        "用户名或密码被拒绝",
        "the user name or password was refused",
    ),
    (("does not exist",), "数据库不存在", "the database does not exist"),
    (
        ("could not translate host", "name or service not known", "nodename"),
        "主机名无法解析",
        "the host name is unknown",
    ),
    (
        ("file is not a database", "malformed", "not a database"),
        "文件不是 SQLite 数据库（或已损坏）",
        "the file is not a SQLite database (or is damaged)",
    ),
    (
        ("unable to open", "readonly", "read-only", "permission denied"),
        "无法读写该文件（权限或只读）",
        "the file cannot be opened for writing (permissions or read-only)",
    ),
    (
        ("database is locked",),
        "数据库被其他进程锁定，请稍后再试",
        "the database is locked by another process; try again",
    ),
    (("disk i/o", "disk full", "no space"), "磁盘读写失败或已满", "a disk read/write failed or the disk is full"),
)


def why(exc: BaseException) -> tuple[str, str]:
    """A driver's failure in words (never its raw text)."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    for needles, zh, en in _REASONS:
        if any(n in text for n in needles):
            return zh, en
    name = type(getattr(exc, "orig", None) or exc).__name__
    return f"数据库错误（{name}）", f"a database error ({name})"
