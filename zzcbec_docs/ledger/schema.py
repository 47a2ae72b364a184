"""The ledger's tables and their versioned migrations (upgraded by the tool, never dropped)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Connection

metadata = MetaData()

schema_version = Table(
    "zzcbec_schema_version", metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", String(40), nullable=False),
)

notice_counters = Table(
    "zzcbec_notice_counters", metadata,
    Column("issuer_code", String(40), primary_key=True),
    Column("notice_year", Integer, primary_key=True),
    Column("last_seq", Integer, nullable=False),
)

notices = Table(
    "zzcbec_notices", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", String(80), nullable=False, unique=True),
    Column("issuer", String(80), nullable=False),
    Column("issuer_code", String(40), nullable=False),
    Column("notice_year", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("uscc", String(18), nullable=False, index=True),
    Column("applicant_name", Text, nullable=False),
    Column("district", String(40), nullable=False),
    Column("year", Integer, nullable=False),  # 申报年度
    Column("bundle_sha256", String(64), nullable=False, unique=True),
    Column("review_sha256", String(64)),
    Column("policy_id", String(80), nullable=False),
    Column("issued_on", String(10), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("tool_version", String(40)),  # since version 2
    UniqueConstraint("issuer_code", "notice_year", "seq", name="uq_notice_seq"),
)

V2_COLUMNS = {"tool_version"}


def _notices_v1() -> Table:
    """The notices table as version 1 created it."""
    return Table(
        "zzcbec_notices", MetaData(),
        *[c._copy() for c in notices.columns if c.name not in V2_COLUMNS],
        UniqueConstraint("issuer_code", "notice_year", "seq", name="uq_notice_seq"),
    )

awards = Table(
    "zzcbec_awards", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notice_id", Integer, ForeignKey("zzcbec_notices.id"), nullable=False, index=True),
    Column("uscc", String(18), nullable=False),
    Column("clause", Integer, nullable=False),
    Column("competition_name", Text),
    Column("year", Integer, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),  # exact: cents, never float
    Column("city_cents", BigInteger),  # null where clause 16 leaves the split open (上街区)
    Column("local_cents", BigInteger),
)

revocations = Table(
    "zzcbec_revocations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notice_id", Integer, ForeignKey("zzcbec_notices.id"), nullable=False, unique=True),
    Column("reason", Text, nullable=False),
    Column("revoked_at", String(40), nullable=False),
)


def _v1(conn: Connection) -> None:
    """Version 1: counters, notices, awards, revocations."""
    notice_counters.create(conn, checkfirst=True)
    _notices_v1().create(conn, checkfirst=True)
    revocations.create(conn, checkfirst=True)
    awards.create(conn, checkfirst=True)


def _v2(conn: Connection) -> None:
    """Version 2: the history look-up (USCC, clause, year) gets an index; notices record the tool version."""
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_zzcbec_awards_history ON zzcbec_awards (uscc, clause, year)"))
    conn.execute(text("ALTER TABLE zzcbec_notices ADD COLUMN tool_version VARCHAR(40)"))


MIGRATIONS: list[tuple[int, Callable[[Connection], None]]] = [(1, _v1), (2, _v2)]
LATEST = MIGRATIONS[-1][0]
