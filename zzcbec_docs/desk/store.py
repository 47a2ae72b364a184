"""The desk's own tables, on the same database as the ledger but in a MetaData of their own.

Accounts, sessions, failed sign-ins, pending uploads, the desk's settings (its secret) and the
desk's audit trail. They are versioned by the ledger's one migration scheme (`ledger/schema.py`'s
`Scheme`): `DESK` is their numbered steps, recorded in `zzdesk_schema_version` beside the ledger's
`zzcbec_schema_version`, and `ensure_tables` applies the missing ones with `Ledger.migrate` (under a
lock on PostgreSQL, inside SQLite's write lock; safe from several processes at once). A desk made
before the tables were versioned records nothing: every step runs on it, each taking in what is
already there.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from zzcbec_docs.ledger.schema import Scheme, Step, version_table

if TYPE_CHECKING:
    from zzcbec_docs.ledger.store import Ledger

metadata = MetaData()

users = Table(
    "zzdesk_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),  # enterprise | reviewer | bureau
    Column("uscc", String(18)),  # enterprise
    Column("districts", Text, nullable=False, default="[]"),  # reviewer: JSON list of canonical names
    Column("password_hash", Text, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", String(40), nullable=False),
    Column("display_name", String(60)),  # the person's name (审核意见书: 审核人)
    Column("unit", String(60)),  # 审核单位: a reviewer's district bureau
)

sessions = Table(
    "zzdesk_sessions",
    metadata,
    # the SHA-256 of the cookie's random token: a copy of the table does not give sessions away
    Column("token_hash", String(64), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("ended", Boolean, nullable=False, default=False),
)

login_failures = Table(
    "zzdesk_login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(200), nullable=False),
    Column("at", Float, nullable=False),
    Column("address", String(64), nullable=False, default="-"),  # the client address (an IPv6 one by its /64)
    Index("ix_zzdesk_login_failures_user_at", "username", "at"),
    Index("ix_zzdesk_login_failures_address_at", "address", "at"),
)

# columns added after a table was first made: (table, column, SQL type and default), by the desk's
# steps 2 and 3 (below); a desk made by an earlier version gets the missing ones
NAME_AND_UNIT = (("zzdesk_users", "display_name", "VARCHAR(60)"), ("zzdesk_users", "unit", "VARCHAR(60)"))
ADDRESS = (("zzdesk_login_failures", "address", "VARCHAR(64) NOT NULL DEFAULT '-'"),)
ADDED_COLUMNS = NAME_AND_UNIT + ADDRESS

uploads = Table(
    "zzdesk_uploads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("original_name", Text, nullable=False),  # shown, never used as a path
    Column("media_type", String(80), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("used", Boolean, nullable=False, default=False),
)

settings = Table(
    "zzdesk_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

audit = Table(
    "zzdesk_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target", Text),
    Column("detail", Text, nullable=False, default="{}"),
    Column("address", String(64)),
)


publications = Table(
    "zzdesk_publications",
    metadata,
    # a 公示 the bureau published from the desk (its event is in the ledger's trail: `published`)
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("start", String(10), nullable=False),
    Column("days", Integer, nullable=False),
    Column("entries", Integer, nullable=False),
    Column("total", String(40), nullable=False),
    Column("pdf", LargeBinary, nullable=False),
    Column("docx", LargeBinary, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
)

mail = Table(
    "zzdesk_mail",
    metadata,
    # what became of the e-mail for an event to an account: sent, or failed with why (shown in its inbox)
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Integer, nullable=False, index=True),
    Column("username", String(64), nullable=False, index=True),
    Column("address", String(254), nullable=False),
    Column("status", String(10), nullable=False),  # sent | failed
    Column("error", Text),
    Column("at", String(40), nullable=False),
)

contacts = Table(
    "zzdesk_contacts",
    metadata,
    # an account's e-mail address for notifications (set on its inbox page), and its last-read event
    Column("username", String(64), primary_key=True),
    Column("email", String(254)),
    Column("seen_event", Integer, nullable=False, default=0),
)


matches = Table(
    "zzdesk_matches",
    metadata,
    # a 免申即享 table the bureau uploaded, matched by the library's table engine (`zzcbec match TABLE`)
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("filename", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("bad_rows", Integer, nullable=False),
    Column("errors", Text, nullable=False, default="[]"),  # JSON: the first bad cells, with row and column
    Column("actor", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
)

match_lines = Table(
    "zzdesk_match_lines",
    metadata,
    # one enterprise, year and clause of a match, as matches.csv writes it
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("match_id", Integer, nullable=False, index=True),
    Column("uscc", String(18), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("district", String(40), nullable=False),
    Column("year", Integer, nullable=False),
    Column("clause", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("amount", String(40), nullable=False),
    Column("city", String(40), nullable=False),
    Column("local", String(40), nullable=False),
    Column("gaps", Text, nullable=False),
    Column("missing", Text, nullable=False),
    Column("notes", Text, nullable=False),
    Column("bundle", Text),  # the pre-filled bundle (YAML) of the enterprise and year, on its first line
)


def inserted_id(result: Any) -> int:
    """The new row's id from an INSERT's result."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def ensure_tables(ledger: Ledger) -> None:
    """Bring the desk's tables to the latest version of `DESK`, and make its secret at first start."""
    ledger.migrate(DESK)
    with ledger.transaction() as conn:
        if ledger.is_postgres:
            conn.execute(text(f"SELECT pg_advisory_xact_lock({DESK.lock})"))
        _unique_names(conn)  # at every start: it waits until no two names differ only in case
    secret(ledger)


def _add_columns(conn: Connection, columns: tuple[tuple[str, str, str], ...]) -> None:
    """The columns a desk made by an earlier version lacks, added in place."""
    from sqlalchemy import inspect

    found = inspect(conn)
    tables = set(found.get_table_names())
    for table, column, sql in columns:
        if table in tables and column not in {c["name"] for c in found.get_columns(table)}:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {sql}"))


def _d1(conn: Connection) -> None:
    """Version 1: the desk's tables (those missing), its audit trail append-only."""
    metadata.create_all(conn, checkfirst=True)
    _append_only(conn, conn.dialect.name == "postgresql")


def _d2(conn: Connection) -> None:
    """Version 2: an account's name (审核意见书: 审核人) and unit (审核单位)."""
    _add_columns(conn, NAME_AND_UNIT)


def _d3(conn: Connection) -> None:
    """Version 3: failed sign-ins record the client address, looked up by address and time."""
    _add_columns(conn, ADDRESS)
    conn.execute(
        text("CREATE INDEX IF NOT EXISTS ix_zzdesk_login_failures_address_at ON zzdesk_login_failures (address, at)")
    )


DESK = Scheme(
    "服务台数据表",
    "the desk's tables",
    version_table("zzdesk_schema_version", metadata),
    (
        Step(1, _d1),
        Step(2, _d2, adds=tuple((t, c) for t, c, _ in NAME_AND_UNIT)),
        Step(3, _d3, adds=tuple((t, c) for t, c, _ in ADDRESS)),
    ),
    lock=7301013,
)


def _unique_names(conn: Connection) -> None:
    """User names are unique without regard to case, in the database too (a desk whose earlier
    version let Ent-A and ent-a both in keeps them; `add_user` refuses a third)."""
    clash = conn.execute(
        text("SELECT lower(username) FROM zzdesk_users GROUP BY lower(username) HAVING count(*) > 1")
    ).first()
    if clash is None:
        conn.execute(
            text("CREATE UNIQUE INDEX IF NOT EXISTS ux_zzdesk_users_name_any_case ON zzdesk_users (lower(username))")
        )


def _append_only(conn: Connection, postgres: bool) -> None:
    """The database itself refuses to edit or delete a line of the audit trail."""
    if postgres:
        conn.execute(
            text(
                "CREATE OR REPLACE FUNCTION zzdesk_audit_append_only() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'zzdesk_audit is append-only'; END; $$ LANGUAGE plpgsql"
            )
        )
        conn.execute(text("DROP TRIGGER IF EXISTS zzdesk_audit_append_only ON zzdesk_audit"))
        conn.execute(
            text(
                "CREATE TRIGGER zzdesk_audit_append_only BEFORE UPDATE OR DELETE ON zzdesk_audit "
                "FOR EACH ROW EXECUTE FUNCTION zzdesk_audit_append_only()"
            )
        )
        return
    for verb in ("UPDATE", "DELETE"):
        conn.execute(
            text(
                f"CREATE TRIGGER IF NOT EXISTS zzdesk_audit_no_{verb.lower()} BEFORE {verb} ON zzdesk_audit "
                "BEGIN SELECT RAISE(ABORT, 'zzdesk_audit is append-only'); END"
            )
        )


def secret(ledger: Ledger) -> bytes:
    """The desk's secret (for CSRF tokens): generated at first start, kept in the database, never in the code."""
    with ledger.engine.connect() as conn:
        row = conn.execute(select(settings.c.value).where(settings.c.key == "secret")).first()
    if row is not None:
        return bytes.fromhex(row.value)
    value = secrets.token_hex(32)
    try:
        with ledger.transaction() as conn:
            conn.execute(insert(settings).values(key="secret", value=value))
    except IntegrityError:  # another worker made it first
        pass
    with ledger.engine.connect() as conn:
        return bytes.fromhex(conn.execute(select(settings.c.value).where(settings.c.key == "secret")).scalar_one())


def record(
    conn: Connection,
    actor: str,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    address: str | None = None,
) -> None:
    """Append one line to the audit trail (never updated, never deleted)."""
    conn.execute(
        insert(audit).values(
            at=now_iso(),
            actor=actor,
            action=action,
            target=target,
            detail=json.dumps(detail or {}, ensure_ascii=False, default=str),
            address=address,
        )
    )
