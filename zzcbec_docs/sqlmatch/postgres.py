"""`zzcbec match --engine postgresql://… --table SCHEMA.NAME`: the compiled policy runs inside the database.

The bureau's extract stays on its server: the rows are read, checked, typed and decided by the
query the compiler wrote in PostgreSQL's dialect, in one transaction, with temporary tables.
The matches are written back to a table (`--into SCHEMA.NAME`, and its errors to
`SCHEMA.NAME_errors`, both replaced whole when the run commits) and/or to `--out DIR` as for the
other engines. Only a row that may hold a bad cell leaves the database, to be named by the row
engine's reader. A file given instead of `--table` is loaded into a temporary table first.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from zzcbec_docs.calculator.table_read import CellError, map_header, parse_row
from zzcbec_docs.errors import ArgumentError
from zzcbec_docs.policy.model import Policy
from zzcbec_docs.sqlmatch import compiler as C
from zzcbec_docs.sqlmatch.run import (
    Backend,
    DuckBackend,
    SqlOptions,
    decide_in,
    eligible_rows_sql,
    raw_types,
    reader_cells,
    run_sql_table,
    wide_types,
)

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")

TRY_DATE = """CREATE OR REPLACE FUNCTION pg_temp.zz_try_date(t text) RETURNS date AS $$
BEGIN RETURN CAST(t AS date); EXCEPTION WHEN others THEN RETURN NULL; END; $$ LANGUAGE plpgsql IMMUTABLE"""


def _qualified(name: str, option: str) -> str:
    if not _NAME.match(name):
        raise ArgumentError(
            f"{option} 应写作 SCHEMA.NAME（字母、数字、下划线），收到“{name}”",
            f"{option} takes SCHEMA.NAME (letters, digits, underscores), got {name!r}",
        )
    return ".".join(f'"{p}"' for p in name.split("."))


class PgBackend(Backend):
    def __init__(self, conn: Any) -> None:
        super().__init__("postgresql")
        self.conn = conn

    def create(self, name: str, select: str) -> None:
        with self.conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
            cur.execute(f"CREATE TEMP TABLE {name} AS {select}")

    def rows(self, select: str) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(select)
            return list(cur.fetchall())

    def insert(self, name: str, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]) -> None:
        with self.conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
            cur.execute(f"CREATE TEMP TABLE {name}({', '.join(f'{c} {self.t(k)}' for c, k in columns)})")
            if rows:
                with cur.copy(f"COPY {name} FROM STDIN") as cp:
                    for r in rows:
                        cp.write_row(r)

    def drop(self, name: str) -> None:
        with self.conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")


class _TableSource:
    """The enterprises' table in the database: its columns by the contract's names (or --columns)."""

    def __init__(self, columns: list[Any], width: int, estimate: int | None) -> None:
        self.columns, self.width, self.estimate = columns, width, estimate
        self.errors: list[CellError] = []
        self.reported: set[int] = set()
        self.pretyped = False


class PgRemote:
    def __init__(
        self,
        url: str,
        db_table: str | None,
        into: str | None,
        policy: Policy,
        columns_map: dict[str, str | None] | None,
    ) -> None:
        import psycopg

        self.url = re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", url)
        self.db_table, self.into, self.policy, self.columns_map = db_table, into, policy, columns_map
        self.name = db_table or "table"
        try:
            self.conn = psycopg.connect(self.url, connect_timeout=10)
        except psycopg.Error as exc:
            raise ArgumentError(
                f"无法连接 PostgreSQL：{str(exc).strip()[:200]}",
                f"cannot connect to PostgreSQL: {str(exc).strip()[:200]}",
            ) from None
        self.db = PgBackend(self.conn)
        with self.conn.cursor() as cur:
            cur.execute(TRY_DATE)
        self._names: list[str] = []

    def check_header(self) -> None:
        assert self.db_table is not None
        _qualified(self.db_table, "--table")
        schema, _, table = self.db_table.rpartition(".")
        rows = self.db.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            f"{self.db.d.s(table)}"
            + (f" AND table_schema = {self.db.d.s(schema)}" if schema else " AND table_schema = current_schema()")
            + " ORDER BY ordinal_position"
        )
        if not rows:
            raise ArgumentError(
                f"数据库中没有表 {self.db_table}", f"the database has no table {self.db_table}", file=self.db_table
            )
        self._names = [r[0] for r in rows]
        self.columns = map_header(self._names, self.columns_map, self.db_table, self.policy)

    def source(self) -> _TableSource:
        """src: the table's cells as text, numbered as a sheet would number them (header = row 1)."""
        assert self.db_table is not None
        cells = ", ".join(f'CAST("{n}" AS TEXT) AS c{i}' for i, n in enumerate(self._names))
        self.db.create(
            "src",
            f"SELECT CAST(row_number() OVER (ORDER BY ctid) + 1 AS BIGINT) AS _row, "
            f"CAST(NULL AS INTEGER) AS _width, FALSE AS _extra, {cells} "
            f"FROM {_qualified(self.db_table, '--table')}",
        )
        n = self.db.rows("SELECT count(*) FROM src")[0][0]
        return _TableSource(self.columns, len(self._names), int(n))

    def decide(self, con: Any, src: Any, fields: dict[str, str], options: SqlOptions, work: Path) -> Backend:
        if self.db_table is None:  # a file read by DuckDB: its rows into a temporary table here
            self._ship(con, src)
        decide_in(self.db, src, self.policy, fields, options)
        if self.into:
            self._write_back(src)
        if options.out_dir is None:
            return self.db
        # the decisions (and the raw cells of the eligible rows, for their bundles) to DuckDB for the files
        self._fetch(con, "w", "SELECT * FROM w ORDER BY _row", wide_types(self.policy), work)
        self._fetch(
            con,
            "raw",
            f"SELECT _row, {', '.join(C.raw(c.field) for c in src.columns)} FROM raw "
            f"WHERE _row IN ({eligible_rows_sql(self.policy)})",
            raw_types(src),
            work,
        )
        return DuckBackend(con)

    def _ship(self, con: Any, src: Any) -> None:
        cols = ["_row BIGINT", "_width INTEGER", "_extra BOOLEAN", *[f"c{i} TEXT" for i in range(src.width)]]
        with self.conn.cursor() as cur:
            cur.execute(f"CREATE TEMP TABLE src({', '.join(cols)})")
            result = con.execute("SELECT * FROM src")
            with cur.copy("COPY src FROM STDIN") as cp:
                while True:
                    batch = result.fetchmany(20000)
                    if not batch:
                        break
                    for r in batch:
                        if any(c and "\x00" in c for c in r[3:]):
                            r = self._refused(src, r)
                        cp.write_row(r)
        con.execute("DROP TABLE src")

    def _refused(self, src: Any, r: tuple[Any, ...]) -> tuple[Any, ...]:
        """A row holding a NUL character, which PostgreSQL's text cannot: the row engine's reader names its bad
        cells here (a NUL is never a valid cell), and the row goes on as one already reported, a NUL written
        as U+FFFD (its USCC and year still make a later row a repeat of it)."""
        number = int(r[0])
        _, errors, _ = parse_row(self.policy, src.columns, src.width, number, reader_cells(r))
        src.errors += errors
        src.reported.add(number)
        return (r[0], r[1], True, *[c.replace("\x00", "\ufffd") if isinstance(c, str) else c for c in r[3:]])

    def _fetch(self, con: Any, name: str, select: str, types: dict[str, str], work: Path) -> None:
        tmp = work / f"{name}.from-postgres.csv"
        with (
            self.conn.cursor() as cur,
            open(tmp, "wb") as fh,
            cur.copy(f"COPY ({select}) TO STDOUT (FORMAT csv)") as cp,
        ):
            for data in cp:
                fh.write(data)
        cols = ", ".join(f"'{k}': '{v}'" for k, v in types.items())
        con.execute(
            f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_csv('{tmp}', header=false, "
            f"auto_detect=false, delim=',', quote='\"', escape='\"', columns={{{cols}}})"
        )
        tmp.unlink()

    def _write_back(self, src: Any) -> None:
        """--into: the matches (and the bad rows) as tables of the database, replaced whole at commit."""
        assert self.into is not None
        target = _qualified(self.into, "--into")
        errors = _qualified(self.into + "_errors", "--into")
        d = self.db.d
        values = ", ".join(
            f"({n}, {d.s(self.policy.clauses[n].name)}, s_{n}, a_{n}, ci_{n}, lo_{n}, g_{n}, m_{n}, no_{n})"
            for n in self.policy.claimable()
        )
        with self.conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {target}")
            cur.execute(
                f"CREATE TABLE {target} AS SELECT w.uscc, w.name, w.district_c AS district, w.year, u.clause, "
                'u.clause_name, u.status, u.amount, u.city, u.local, u.gaps, u.missing, u.notes, w._row AS "row" '
                f"FROM w CROSS JOIN LATERAL (VALUES {values}) AS u(clause, clause_name, status, amount, city, local, "
                "gaps, missing, notes) ORDER BY w._row, u.clause"
            )
            cur.execute(f"DROP TABLE IF EXISTS {errors}")
            cur.execute(
                f'CREATE TABLE {errors} ("row" BIGINT, "column" TEXT, header TEXT, message_zh TEXT, message_en TEXT)'
            )
            if src.errors:
                with cur.copy(f"COPY {errors} FROM STDIN") as cp:
                    for e in src.errors:
                        cp.write_row((e.row, e.column, e.header, e.zh, e.en))

    def commit(self, summary: Any) -> None:
        self.conn.commit()

    def abort(self) -> None:
        try:
            self.conn.rollback()
        except Exception:  # noqa: BLE001 - the connection may be gone; nothing was committed
            pass

    def close(self) -> None:
        self.conn.close()


def run_postgres_table(
    url: str,
    table_path: str | None,
    db_table: str | None,
    into: str | None,
    policy: Policy,
    options: SqlOptions,
    progress: Any = None,
) -> Any:
    if (table_path is None) == (db_table is None):
        raise ArgumentError(
            "PostgreSQL 引擎须给出库中的 --table SCHEMA.NAME（或一个表格文件），二者取一",
            "the PostgreSQL engine takes --table SCHEMA.NAME in the database, or a table file: one of them",
        )
    remote = PgRemote(url, db_table, into, policy, options.columns_map)
    return run_sql_table(Path(table_path) if table_path else None, policy, options, progress, remote=remote)
