"""The ledger's tables and their versioned migrations (upgraded by the tool, never dropped).

One migration scheme for every table of the ledger's database: a `Scheme` is an ordered list of
numbered `Step`s and the table that records which were applied; `Ledger.migrate(scheme)` applies the
missing ones, each in its own transaction under the scheme's lock. The ledger's own tables are
`LEDGER` (zzcbec_schema_version, versions 1–5); the desk's tables are the desk's scheme
(`zzcbec_docs.desk.store.DESK`, zzdesk_schema_version), run by the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Connection

metadata = MetaData()


def version_table(name: str, md: MetaData) -> Table:
    """A scheme's record of its applied versions (one row per version)."""
    return Table(
        name, md, Column("version", Integer, primary_key=True), Column("applied_at", String(40), nullable=False)
    )


schema_version = version_table("zzcbec_schema_version", metadata)

notice_counters = Table(
    "zzcbec_notice_counters",
    metadata,
    Column("issuer_code", String(40), primary_key=True),
    Column("notice_year", Integer, primary_key=True),
    Column("last_seq", Integer, nullable=False),
)

notices = Table(
    "zzcbec_notices",
    metadata,
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
    # the SHA-256 of the bundle's bytes as awarded (unique until version 3: a re-issue repeats it)
    Column("bundle_sha256", String(64), nullable=False),
    Column("review_sha256", String(64)),
    Column("policy_id", String(80), nullable=False),
    Column("issued_on", String(10), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("tool_version", String(40)),  # since version 2
    # since version 3: the case awarded, its canonical content, the review that decided, the notice replaced
    Column("case_id", String(40), index=True),
    Column("content_sha256", String(64), index=True),
    Column("review_id", Integer),
    Column("reissue_of", String(80)),
    Column("actor", Text),
    UniqueConstraint("issuer_code", "notice_year", "seq", name="uq_notice_seq"),
)

V2_COLUMNS = {"tool_version"}
V3_COLUMNS = {"case_id", "content_sha256", "review_id", "reissue_of", "actor"}


def _notices_v1() -> Table:
    """The notices table as version 1 created it (bundle_sha256 unique)."""
    cols = []
    for c in notices.columns:
        if c.name in V2_COLUMNS | V3_COLUMNS:
            continue
        c = c._copy()
        if c.name == "bundle_sha256":
            c.unique = True
        if c.name == "uscc":
            c.index = True
        cols.append(c)
    return Table(
        "zzcbec_notices", MetaData(), *cols, UniqueConstraint("issuer_code", "notice_year", "seq", name="uq_notice_seq")
    )


awards = Table(
    "zzcbec_awards",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notice_id", Integer, ForeignKey("zzcbec_notices.id"), nullable=False, index=True),
    Column("uscc", String(18), nullable=False),
    Column("clause", Integer, nullable=False),
    Column("competition_name", Text),
    Column("year", Integer, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),  # exact: cents, never float
    Column("city_cents", BigInteger),  # null where clause 16 leaves the split open (上街区)
    Column("local_cents", BigInteger),
    # since version 5: the tier (or cap) the amount was decided under — clause 3's 200万/400万 — so that a
    # revoked and re-issued award tops up to exactly what the policy pays
    Column("tier_cents", BigInteger),
)

V5_AWARD_COLUMNS = {"tier_cents"}

revocations = Table(
    "zzcbec_revocations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notice_id", Integer, ForeignKey("zzcbec_notices.id"), nullable=False, unique=True),
    Column("reason", Text, nullable=False),
    Column("revoked_at", String(40), nullable=False),
)


def _awards_v1(md: MetaData) -> Table:
    """The awards table as version 1 created it (in `md`, beside the version 1 notices it refers to)."""
    return Table("zzcbec_awards", md, *[c._copy() for c in awards.columns if c.name not in V5_AWARD_COLUMNS])


def _v1(conn: Connection) -> None:
    """Version 1: counters, notices, awards, revocations."""
    notice_counters.create(conn, checkfirst=True)
    notices_v1 = _notices_v1()
    notices_v1.create(conn, checkfirst=True)
    revocations.create(conn, checkfirst=True)
    _awards_v1(notices_v1.metadata).create(conn, checkfirst=True)


def _v2(conn: Connection) -> None:
    """Version 2: the history look-up (USCC, clause, year) gets an index; notices record the tool version."""
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_zzcbec_awards_history ON zzcbec_awards (uscc, clause, year)"))
    conn.execute(text("ALTER TABLE zzcbec_notices ADD COLUMN tool_version VARCHAR(40)"))


# ---------------------------------------------------------------- version 3: the award process

cases = Table(
    "zzcbec_cases",
    metadata,
    Column("id", String(40), primary_key=True),  # URL-safe, derived from the content
    Column("content_sha256", String(64), nullable=False, unique=True),
    Column("content", Text, nullable=False),  # the bundle's data in canonical JSON
    Column("uscc", String(18), nullable=False, index=True),
    Column("applicant_name", Text, nullable=False),
    Column("district", String(40), nullable=False, index=True),
    Column("year", Integer, nullable=False),
    Column("policy_id", String(80), nullable=False),
    Column("source_name", Text),  # the file (or upload) it first came from
    Column("bytes_sha256", String(64)),  # the SHA-256 of those bytes
    Column("total_cents", BigInteger),  # the eligible total when submitted (ledger counted)
    Column("submitted_at", String(40), nullable=False),
    Column("submitted_by", Text, nullable=False),
)

attachments = Table(
    "zzcbec_attachments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(40), ForeignKey("zzcbec_cases.id"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", String(40), nullable=False),
)

reviews = Table(
    "zzcbec_reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(40), ForeignKey("zzcbec_cases.id"), nullable=False, index=True),
    Column("reviewer", Text, nullable=False),
    Column("unit", Text),
    Column("conclusion", String(10), nullable=False),
    Column("reviewed_on", String(10), nullable=False),
    Column("verified", Text, nullable=False),  # JSON: [{clause, competition_name, facts}]
    Column("remarks", Text, nullable=False),
    Column("record_file", Text),  # the review record's file, as the reviewer wrote it
    Column("record_sha256", String(64)),
    Column("bundle_sha256", String(64)),  # the bundle bytes the record names
    Column("total_cents", BigInteger),  # what the verified facts give, ledger counted, when reviewed
    Column("actor", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)

events = Table(
    "zzcbec_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(40), index=True),
    Column("kind", String(20), nullable=False),  # submitted | resubmitted | reviewed | awarded | revoked
    Column("actor", Text, nullable=False),
    Column("at", String(40), nullable=False),
    Column("detail", Text, nullable=False),  # JSON
    Column("address", String(64)),  # since version 4: the client address the step came from (the desk)
)


def _v3(conn: Connection) -> None:
    """Version 3: the award process (cases, attachments, reviews, events); a notice names its case,
    content, review and the notice it re-issues; the same bundle may be re-issued after a revocation,
    so bundle_sha256 is no longer unique (SQLite rebuilds the table, keeping every row and id)."""
    for t in (cases, attachments, reviews, events):
        t.create(conn, checkfirst=True)
    new_cols = [c for c in notices.columns if c.name in V3_COLUMNS]
    if conn.dialect.name == "postgresql":
        for c in new_cols:
            conn.execute(text(f"ALTER TABLE zzcbec_notices ADD COLUMN {c.name} {c.type.compile(conn.dialect)}"))
        conn.execute(text("ALTER TABLE zzcbec_notices DROP CONSTRAINT IF EXISTS zzcbec_notices_bundle_sha256_key"))
    else:
        # SQLite cannot drop a column constraint: the 12-step rebuild (foreign keys are off, see Ledger.upgrade)
        old = [c.name for c in notices.columns if c.name not in V3_COLUMNS]
        staging = Table(
            "zzcbec_notices_v3",
            MetaData(),
            *[c._copy() for c in notices.columns],
            UniqueConstraint("issuer_code", "notice_year", "seq", name="uq_notice_seq_v3"),
        )
        for c in staging.columns:
            c.index = None
        staging.create(conn)
        conn.execute(
            insert(staging).from_select(old, select(*[text(n) for n in old]).select_from(text("zzcbec_notices")))
        )
        conn.execute(text("DROP TABLE zzcbec_notices"))
        conn.execute(text("ALTER TABLE zzcbec_notices_v3 RENAME TO zzcbec_notices"))
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_zzcbec_notices_uscc ON zzcbec_notices (uscc)"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_zzcbec_notices_case_id ON zzcbec_notices (case_id)"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_zzcbec_notices_content ON zzcbec_notices (content_sha256)"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_zzcbec_notices_bundle ON zzcbec_notices (bundle_sha256)"))


# ---------------------------------------------------------------- version 4: 补正 and the desk's trail
case_contents = Table(
    "zzcbec_case_contents",
    metadata,
    # a case's corrected content (补正): the case keeps its id and history, the latest row is its content now
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(40), ForeignKey("zzcbec_cases.id"), nullable=False, index=True),
    Column("content_sha256", String(64), nullable=False, unique=True),
    Column("content", Text, nullable=False),
    Column("source_name", Text),
    Column("bytes_sha256", String(64)),
    Column("total_cents", BigInteger),
    Column("created_at", String(40), nullable=False),
    Column("actor", Text, nullable=False),
)


def _v4(conn: Connection) -> None:
    """Version 4: events record the client address they came from; a case returned for correction
    (补正) takes its corrected content in a new row of its own table (the case's id and history stay)."""
    from sqlalchemy import inspect

    if "address" not in {c["name"] for c in inspect(conn).get_columns("zzcbec_events")}:  # v3 made it new
        conn.execute(text("ALTER TABLE zzcbec_events ADD COLUMN address VARCHAR(64)"))
    case_contents.create(conn, checkfirst=True)
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_zzcbec_events_kind ON zzcbec_events (kind)"))
    for table in ("zzcbec_events", "zzcbec_case_contents"):
        append_only(conn, table)


def append_only(conn: Connection, table: str) -> None:
    """The database itself refuses to edit or delete a row of `table` (the trail the desk shows)."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$ BEGIN "
                f"RAISE EXCEPTION '{table} is append-only'; END; $$ LANGUAGE plpgsql"
            )
        )
        conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))
        conn.execute(
            text(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
            )
        )
        return
    for verb in ("UPDATE", "DELETE"):
        conn.execute(
            text(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
        )


def _v5(conn: Connection) -> None:
    """Version 5: an award records the tier (or cap) it was decided under (null for earlier awards)."""
    conn.execute(text("ALTER TABLE zzcbec_awards ADD COLUMN tier_cents BIGINT"))


@dataclass(frozen=True)
class Step:
    """One version of a scheme: what it changes, and the columns it adds (`(table, column)`) when a
    database that records it may still lack them (a step that declares its columns must be idempotent:
    it runs again where they are missing)."""

    number: int
    migrate: Callable[[Connection], None]
    foreign_keys_off: bool = False  # a SQLite table rebuild: foreign keys off, checked before the commit
    adds: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Scheme:
    """Numbered steps over a set of tables, recorded in `versions`, applied under PostgreSQL lock `lock`."""

    title_zh: str
    title_en: str
    versions: Table
    steps: tuple[Step, ...]
    lock: int
    numbers: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        numbers = tuple(step.number for step in self.steps)
        assert numbers == tuple(range(1, len(numbers) + 1)), f"{self.title_en}: steps are numbered 1, 2, 3 …"
        object.__setattr__(self, "numbers", numbers)

    @property
    def latest(self) -> int:
        return self.numbers[-1]

    def version(self, conn: Connection) -> int:
        """The last version recorded — but no further than the first step whose columns are not there."""
        if not conn.dialect.has_table(conn, self.versions.name):
            return 0
        from sqlalchemy import func, inspect

        recorded = conn.execute(select(func.max(self.versions.c.version))).scalar() or 0
        declared = [step for step in self.steps if step.adds and step.number <= recorded]
        if declared:
            found = inspect(conn)
            tables = set(found.get_table_names())
            columns: dict[str, set[str]] = {}
            for step in declared:
                for table, column in step.adds:
                    if table not in columns:
                        columns[table] = {c["name"] for c in found.get_columns(table)} if table in tables else set()
                    if column not in columns[table]:
                        return step.number - 1
        return int(recorded)


LEDGER = Scheme(
    "台账",
    "the ledger",
    schema_version,
    (Step(1, _v1), Step(2, _v2), Step(3, _v3, foreign_keys_off=True), Step(4, _v4), Step(5, _v5)),
    lock=7301000,
)
LATEST = LEDGER.latest
