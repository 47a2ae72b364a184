"""`zzcbec match TABLE --engine duckdb` (the default): the compiled policy over the whole table at once.

The table is read by DuckDB (CSV, or Parquet; an XLSX is typed row by row by the row engine's own
reader first), every cell is checked in SQL against the same contract, and a row that may hold a
bad cell is handed to the row engine's reader (table_read.parse_row), which names each bad cell
with its own messages — so errors.csv is the same whatever the engine. The rows are then decided by
the query the compiler wrote from the policy, and the outputs are written by DuckDB: matches.csv,
matches.parquet, matches.xlsx (as many rows as a sheet holds, the totals on their own sheet),
errors.csv, and the pre-filled bundles of the eligible enterprises. Everything is written under
temporary names and renamed only when complete.
"""

from __future__ import annotations

import csv
import os
import queue
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from zzcbec_docs.calculator.table_match import (
    COLUMNS,
    ERROR_COLUMNS,
    STATUSES,
    WIDTHS,
    TableSummary,
    Tally,
    move_bundles,
    total_rows,
)
from zzcbec_docs.calculator.table_read import (
    TRUE_WORDS,
    CellError,
    Column,
    Table,
    TableRow,
    _number_text,
    _text,
    map_header,
    parse_row,
)
from zzcbec_docs.errors import ArgumentError
from zzcbec_docs.policy.model import Policy
from zzcbec_docs.sqlmatch import compiler as C
from zzcbec_docs.sqlmatch.dialect import DIALECTS

BUNDLES_BY_DEFAULT = 200_000  # rows: above this, pre-filled bundles only with --bundles


@dataclass
class SqlOptions:
    out_dir: Path | None  # None: PostgreSQL's --into alone, no files
    jobs: int = 0
    exclusion_list: frozenset[str] = frozenset()
    ledger_url: str | None = None
    bundles: bool | None = None  # None: below BUNDLES_BY_DEFAULT rows
    columns_map: dict[str, str | None] | None = None


# ---------------------------------------------------------------- reading the table into DuckDB


_T = [time.perf_counter(), time.process_time()]


def phase(name: str) -> None:
    """ZZCBEC_TIMINGS=1: each step's wall and CPU time on stderr (where a run spends its time)."""
    if os.environ.get("ZZCBEC_TIMINGS"):
        import sys

        now = [time.perf_counter(), time.process_time()]
        sys.stderr.write(f"[timing] {name}: {now[0] - _T[0]:.2f} s wall, {now[1] - _T[1]:.2f} s CPU\n")
        _T[:] = now


def _lines(path: Path) -> tuple[int, bool]:
    """The file's lines (a record per line when no cell holds a line break), and whether any is empty (inside a
    quoted cell too: such a file is then read row by row all the same, which is never wrong) — in one read."""
    n, blank, tail = 0, False, b""
    with open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            n += block.count(b"\n")
            text = tail + block
            blank = blank or b"\n\n" in text or b"\n\r\n" in text or b"\r\r" in text
            tail = text[-2:]
    return n + (1 if tail[-1:] not in (b"", b"\n") else 0), blank


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class Source:
    """The table as a DuckDB relation `src(_row, _width, _extra, c0 … cN)` of raw text cells."""

    def __init__(
        self, con: Any, path: Path, policy: Policy, columns_map: dict[str, str | None] | None, work: Path
    ) -> None:
        self.con, self.path, self.policy, self.work = con, path, policy, work
        self.errors: list[CellError] = []
        # rows the row engine's reader has refused already (their errors are in `errors`): kept in src with
        # their USCC and year, so that a later row repeating them is refused as a repeat, as the row engine does
        self.reported: set[int] = set()
        self.matched = 0  # rows decided (set by decide_in)
        self.pretyped = False  # an XLSX: typed and checked row by row already
        self.trimmed = False  # src's cells are trimmed already and its rows numbered by rowid (the CSV fast path)
        suffix = path.suffix.lower()
        if not path.is_file():
            raise ArgumentError("文件不存在", "no such file", file=str(path))
        if suffix == ".parquet":
            self._parquet(columns_map)
        elif suffix == ".csv":
            table = Table(path, columns_map, policy)  # the header, the encoding check: as the row engine
            self.columns, self.width, self.estimate = table.columns, table.width, table.estimate
            table.close()
            if not self._csv_fast():
                self._normalised(Table(path, columns_map, policy))
        else:
            table = Table(path, columns_map, policy)
            self.columns, self.width, self.estimate = table.columns, table.width, table.estimate
            self.pretyped = True
            self._normalised(table)

    def _csv_fast(self) -> bool:
        """DuckDB reads the file at once, each cell trimmed as it is read (`src` holds the trimmed cells,
        NULL for an empty one; the row number is the table's rowid + 2)."""
        cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(self.width))
        trimmed = ", ".join(f"{DIALECTS['duckdb'].stripped(f'c{i}', C.WHITESPACE)} AS c{i}" for i in range(self.width))
        try:
            self.con.execute(
                f"CREATE TEMP TABLE src AS SELECT CAST(NULL AS INTEGER) AS _width, FALSE AS _extra, {trimmed} "
                f"FROM read_csv({_sql_path(self.path)}, header=false, skip=1, "
                f"delim=',', quote='\"', escape='\"', auto_detect=false, strict_mode=true, columns={{{cols}}}, "
                "null_padding=false, all_varchar=true)"
            )
        except Exception:  # noqa: BLE001 - DuckDB's CSV errors: the row engine's reader will name the row
            self.con.execute("DROP TABLE IF EXISTS src")
            return False
        n = self.con.execute("SELECT count(*) FROM src").fetchall()[0][0]
        lines, blank = _lines(self.path)
        if n + 1 != lines and blank:
            # a blank line counts as a row for the row engine's reader (the rows after it are numbered so),
            # not for DuckDB: read row by row. A line break inside a quoted cell alone is one record for both.
            self.con.execute("DROP TABLE src")
            return False
        self.trimmed = True
        return True

    def numbered(self) -> None:
        """src as the other engines take it: `_row` a column (the file is shipped to PostgreSQL or Spark)."""
        if self.trimmed:
            self.con.execute("CREATE TEMP TABLE src1 AS SELECT CAST(rowid + 2 AS BIGINT) AS _row, * FROM src")
            self.con.execute("DROP TABLE src")
            self.con.execute("ALTER TABLE src1 RENAME TO src")
            self.trimmed = False

    def _normalised(self, table: Table) -> None:
        """Row by row through the row engine's reader into a clean CSV DuckDB reads at once."""
        tmp = self.work / "normalised.csv"
        policy = self.policy
        try:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["_row", "_width", "_extra", *[f"c{i}" for i in range(self.width)]])
                for number, cells in table.rows():
                    if self.pretyped:
                        row, errors, plain = parse_row(policy, self.columns, self.width, number, cells)
                        if row is None:
                            self.errors += errors
                            self.reported.add(number)
                            out = [""] * self.width
                            for c in self.columns:  # the repeat's key, as the row engine takes it
                                if c.field in ("uscc", "year") and c.index < len(cells):
                                    out[c.index] = _number_text(cells[c.index]) if cells[c.index] is not None else ""
                            w.writerow([number, len(cells), "true", *out])
                            continue
                        out = [""] * self.width
                        for c in self.columns:
                            v = _plain_cell(plain, c.field, row, policy.exclusion_fact)
                            out[c.index] = v
                        w.writerow([number, len(cells), "false", *out])
                        continue
                    extra = any(_text(c) for c in cells[self.width :])
                    padded = [_number_text(c) if c is not None else "" for c in cells[: self.width]]
                    padded += [""] * (self.width - len(padded))
                    w.writerow([number, len(cells), "true" if extra else "false", *padded])
        finally:
            table.close()
        cols = ", ".join(
            [
                "'_row': 'BIGINT'",
                "'_width': 'INTEGER'",
                "'_extra': 'BOOLEAN'",
                *[f"'c{i}': 'VARCHAR'" for i in range(self.width)],
            ]
        )
        self.con.execute(
            f"CREATE TEMP TABLE src AS SELECT * FROM read_csv({_sql_path(tmp)}, header=true, "
            f"auto_detect=false, delim=',', quote='\"', escape='\"', columns={{{cols}}})"
        )
        tmp.unlink()

    def _parquet(self, columns_map: dict[str, str | None] | None) -> None:
        p = _sql_path(self.path)
        try:
            described = self.con.execute(f"DESCRIBE SELECT * FROM read_parquet({p})").fetchall()
        except Exception as exc:  # noqa: BLE001
            raise ArgumentError(
                f"无法作为 Parquet 读取（{str(exc)[:120]}）",
                f"cannot be read as Parquet ({str(exc)[:120]})",
                file=str(self.path),
            ) from None
        names = [r[0] for r in described]
        self.columns = map_header(names, columns_map, str(self.path), self.policy)
        self.width = len(names)
        cells = ", ".join(f"{_typed_text(_ident(nm), str(t))} AS c{i}" for i, (nm, t, *_) in enumerate(described))
        self.con.execute(
            f"CREATE TEMP TABLE src AS SELECT CAST(file_row_number + 2 AS BIGINT) AS _row, "
            f"CAST(NULL AS INTEGER) AS _width, FALSE AS _extra, {cells} "
            f"FROM read_parquet({p}, file_row_number=true)"
        )
        self.estimate = self.con.execute("SELECT count(*) FROM src").fetchone()[0]


def _typed_text(col: str, sql_type: str) -> str:
    """A typed Parquet cell as text, read as an XLSX's typed cell is (table_read._number_text): a number as the
    shortest decimal that is its value (a DECIMAL(20,4)'s 35000000.0000 is 35000000, a DOUBLE's 12000000.0
    is 12000000), a timestamp at midnight as its date; anything else as DuckDB writes it."""
    text = f"CAST({col} AS VARCHAR)"
    if sql_type.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL")):
        return f"regexp_replace(regexp_replace({text}, '^(-?[0-9]+\\.[0-9]*?)0+$', '\\1'), '\\.$', '')"
    if sql_type.startswith("TIMESTAMP"):
        return (
            f"CASE WHEN CAST({col} AS TIME) = TIME '00:00:00' THEN CAST(CAST({col} AS DATE) AS VARCHAR) ELSE {text} END"
        )
    return text


def check_header(con: Any, path: Path, policy: Policy, columns_map: dict[str, str | None] | None) -> None:
    """The file's kind, encoding and header, checked before anything is written."""
    if not path.is_file():
        raise ArgumentError("文件不存在", "no such file", file=str(path))
    if path.suffix.lower() == ".parquet":
        p = _sql_path(path)
        try:
            names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({p})").fetchall()]
        except Exception as exc:  # noqa: BLE001
            raise ArgumentError(
                f"无法作为 Parquet 读取（{str(exc)[:120]}）",
                f"cannot be read as Parquet ({str(exc)[:120]})",
                file=str(path),
            ) from None
        map_header(names, columns_map, str(path), policy)
        return
    Table(path, columns_map, policy).close()


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _plain_cell(plain: dict[str, Any], field: str, row: TableRow, exclusion: str) -> str:
    if field in ("uscc", "name", "district"):
        return str(getattr(row, field))
    if field == "year":
        return str(row.year)
    if "." in field:
        fact, item = field.split(".", 1)
        v = plain.get(fact, {}).get(item) if isinstance(plain.get(fact), dict) else None
    elif field in plain:
        v = plain[field]
    else:
        v = row.etrade if field == exclusion else None
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


# ---------------------------------------------------------------- where the query runs


class Backend:
    """The few operations the pipeline needs of an engine: make a table from a query, read rows, add rows."""

    def __init__(self, dialect_name: str) -> None:
        self.d = DIALECTS[dialect_name]

    def create(self, name: str, select: str) -> None:
        raise NotImplementedError

    def rows(self, select: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def insert(self, name: str, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def drop(self, name: str) -> None:
        raise NotImplementedError

    def t(self, kind: str) -> str:
        """A type name: text, money, int, big, bool."""
        return {"text": self.d.text, "money": "DECIMAL(18,2)", "int": "INTEGER", "big": "BIGINT", "bool": "BOOLEAN"}[
            kind
        ]


class DuckBackend(Backend):
    def __init__(self, con: Any) -> None:
        super().__init__("duckdb")
        self.con = con

    def create(self, name: str, select: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TABLE {name} AS {select}")  # not TEMP: the writers' cursors read it

    def rows(self, select: str) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self.con.execute(select).fetchall()
        return rows

    def insert(self, name: str, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]) -> None:
        cols = ", ".join(f"{c} {self.t(k)}" for c, k in columns)
        self.con.execute(f"CREATE OR REPLACE TABLE {name}({cols})")
        if rows:
            self.con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' for _ in columns)})", rows)

    def drop(self, name: str) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {name}")


# ---------------------------------------------------------------- the run


def run_engine(
    engine: str,
    table_path: str | None,
    db_table: str | None,
    into: str | None,
    policy: Policy,
    options: SqlOptions,
    progress: Callable[[TableSummary, int | None], None] | None = None,
) -> TableSummary:
    """`--engine duckdb` (a file), `spark` (a file, Spark SQL in local mode) or a PostgreSQL URL (a table there)."""
    if engine == "duckdb":
        return run_sql_table(Path(table_path or ""), policy, options, progress)
    if engine == "spark":
        from zzcbec_docs.sqlmatch.spark import run_spark_table

        summary: TableSummary = run_spark_table(Path(table_path or ""), policy, options, progress)
        return summary
    from zzcbec_docs.sqlmatch.postgres import run_postgres_table

    summary = run_postgres_table(engine, table_path, db_table, into, policy, options, progress)
    return summary


def run_sql_table(
    path: Path | None,
    policy: Policy,
    options: SqlOptions,
    progress: Callable[[TableSummary, int | None], None] | None = None,
    remote: Any = None,
) -> TableSummary:
    """DuckDB reads the file (or `remote` gives the rows), the compiled query decides them (in DuckDB, or in
    `remote`: PostgreSQL, Spark), DuckDB writes the outputs."""
    import duckdb

    t0 = time.perf_counter()
    _T[:] = [t0, time.process_time()]
    out: Path | None = options.out_dir
    work: Path | None = None
    con = duckdb.connect()
    threads = options.jobs or os.cpu_count() or 1
    con.execute(f"SET threads={threads}")
    con.execute("SET preserve_insertion_order=true")
    con.execute(f"SET memory_limit='{os.environ.get('ZZCBEC_MEMORY_LIMIT', '3GB')}'")  # beyond it DuckDB spills to disk
    created = out is not None and not out.exists()
    try:
        if path is not None:
            check_header(con, path, policy, options.columns_map)  # a usage error writes nothing
        else:
            remote.check_header()
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            work = Path(os.path.join(out, f".match-{os.getpid()}.part"))
            work.mkdir(exist_ok=True)
            con.execute(f"SET temp_directory={_sql_path(work / 'spill')}")
        else:
            import tempfile

            work = Path(tempfile.mkdtemp(prefix="zzcbec-match-"))
        src = Source(con, path, policy, options.columns_map, work) if path is not None else remote.source()
        if remote is not None and isinstance(src, Source):
            src.numbered()
        phase("read")
        summary = TableSummary()
        fields = {c.field: c.kind for c in src.columns}
        db: Backend = DuckBackend(con)
        if remote is None:
            decide_in(db, src, policy, fields, options)
            phase("typed and checked")
        else:
            db = remote.decide(con, src, fields, options, work)  # where `w` now is
        clauses = policy.claimable()
        _summarise(db, summary, src, clauses, counts=out is None)  # with --out: counted from the matches written
        files: list[str] = []
        if out is not None:
            files = _write_outputs(con, work, policy, summary, clauses, "t" if remote is None else "w")
            phase("errors.csv")
        if remote is not None:
            remote.commit(summary)
        want = out is not None and (
            options.bundles if options.bundles is not None else summary.rows <= BUNDLES_BY_DEFAULT
        )
        summary.seconds = time.perf_counter() - t0
        if progress:
            progress(summary, summary.rows)
        summary.files = files
        summary.bundles_skipped = not want
        if want and out is not None:
            assert work is not None
            summary.bundles = _write_bundles(
                con, src, policy, work, path or Path(str(getattr(remote, "name", "table"))), options.ledger_url, clauses
            )
            phase("bundles")
        if out is not None:
            assert work is not None
            for name in files:
                os.replace(work / name, out / name)
            if (work / "bundles").is_dir():
                move_bundles(work / "bundles", out / "bundles")
        summary.seconds = time.perf_counter() - t0
        return summary
    except BaseException as exc:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
            work = None
        if created and out is not None and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        if remote is not None:
            remote.abort()
        if _interrupted(exc, duckdb):  # Ctrl-C caught by DuckDB inside a query: the user's interrupt, said as one
            raise KeyboardInterrupt from None
        raise
    finally:
        con.close()
        if remote is not None:
            remote.close()
        if work is not None and (out is None or work.parent == out):
            shutil.rmtree(work, ignore_errors=True)


def _interrupted(exc: BaseException, duckdb: Any) -> bool:
    """DuckDB turns a Ctrl-C during a query into its InterruptException, or (waiting on a query's result)
    into a RuntimeError saying so."""
    return isinstance(exc, duckdb.InterruptException) or (type(exc) is RuntimeError and str(exc) == "Query interrupted")


def wide_types(policy: Policy) -> dict[str, str]:
    """The columns of `w`, typed (to carry it from another engine into DuckDB)."""
    cols = {"_row": "BIGINT", "uscc": "VARCHAR", "name": "VARCHAR", "district_c": "VARCHAR", "year": "INTEGER"}
    for n in policy.claimable():
        cols.update(
            {
                f"s_{n}": "VARCHAR",
                f"a_{n}": "DECIMAL(18,2)",
                f"ci_{n}": "DECIMAL(18,2)",
                f"lo_{n}": "DECIMAL(18,2)",
                f"g_{n}": "VARCHAR",
                f"m_{n}": "VARCHAR",
                f"no_{n}": "VARCHAR",
            }
        )
    return cols


def raw_types(src: Source) -> dict[str, str]:
    return {"_row": "BIGINT", **{C.raw(c.field): "VARCHAR" for c in src.columns}}


def eligible_rows_sql(policy: Policy) -> str:
    anyone = " OR ".join(f"s_{n} = 'eligible'" for n in policy.claimable()) or "FALSE"
    return f"SELECT _row FROM w WHERE {anyone}"


def _typed_rows(db: Backend, src: Source, policy: Policy, fields: dict[str, str], options: SqlOptions) -> None:
    """`raw` (trimmed text by field), the bad rows named by the row engine's reader, then `t` (typed)."""
    d = db.d
    allcols = [f"c{i}" for i in range(src.width)]
    by_index = {c.index: c for c in src.columns}
    names = {i: (C.raw(by_index[i].field) if i in by_index else f"u{i}") for i in range(src.width)}
    raws = ", ".join(names[i] for i in by_index)
    if getattr(src, "trimmed", False) and isinstance(db, DuckBackend):  # read and trimmed: raw is a view of them
        blank = " AND ".join(f"c{i} IS NULL" for i in range(src.width)) or "TRUE"
        db.con.execute(
            f"CREATE OR REPLACE TEMP VIEW raw AS SELECT CAST(rowid + 2 AS BIGINT) AS _row, _width, _extra, "
            f"{', '.join(f'c{i} AS {names[i]}' for i in range(src.width))} FROM src WHERE NOT ({blank}) OR _extra"
        )
        allcols = [names[i] for i in range(src.width)]  # a bad row's cells, trimmed: the reader trims them too
    else:
        trimmed = ", ".join(f"{d.stripped(f'c{i}', C.WHITESPACE)} AS {names[i]}" for i in range(src.width))
        blank = " AND ".join(f"{n} IS NULL" for n in names.values()) or "TRUE"
        db.create(
            "raw",
            f"SELECT _row, _width, _extra, {', '.join(allcols)}, {raws} FROM (SELECT _row, _width, _extra, "
            f"{', '.join(allcols)}, {trimmed} FROM src) s WHERE NOT ({blank}) OR _extra",
        )
        db.drop("src")
    # one row per enterprise and year: a later row repeating both is refused, naming the first
    u = by_field(src.columns, "uscc")
    ut, yt = f"upper({C.raw('uscc')})", C.raw("year")
    year_key = d.ltrim(yt, "0")  # 02026 is the year 2026, as table_match.repeat_key takes it
    db.create(
        "dup",
        f"SELECT _row, first_row FROM (SELECT _row, min(_row) OVER (PARTITION BY {ut}, {year_key}) "
        f"AS first_row FROM raw WHERE {C.raw('uscc')} IS NOT NULL AND {yt} IS NOT NULL) q "
        "WHERE _row > first_row",
    )
    dups = db.rows("SELECT _row, first_row FROM dup")
    repeated = {int(number) for number, _ in dups}
    reported = src.reported
    errors: list[CellError] = [e for e in src.errors if e.row not in repeated]  # a repeat is reported as one
    for number, first in dups:
        errors.append(
            CellError(
                int(number),
                u.letter,
                u.header,
                f"与第 {first} 行重复：同一企业同一年度只能有一行",
                f"duplicates row {first}: one row per enterprise and year",
            )
        )
    suspect = C.suspect_sql(policy, fields, d)
    rows = db.rows(
        f"SELECT _row, _width, _extra, {', '.join(allcols)} FROM raw WHERE (_extra OR {suspect}) "
        "AND _row NOT IN (SELECT _row FROM dup) ORDER BY _row"
    )
    bad: list[int] = [int(r[0]) for r in dups] + sorted(reported - repeated)
    for r in rows:
        number = int(r[0])
        if number in reported:
            continue
        row, row_errors, _ = parse_row(policy, src.columns, src.width, number, reader_cells(r))
        if row is None:
            errors += row_errors
            bad.append(number)
    errors.sort(key=lambda e: e.row)  # stable: each row's cells stay in the reader's order
    src.errors = errors
    db.insert("bad", [("_row", "big")], [(b,) for b in bad])
    db.insert("excl", [("lu", "text")], [(x,) for x in sorted(options.exclusion_list)])
    typed = C.typed_columns(policy, fields, d)
    db.create(
        "t",
        (
            f"SELECT _row, upper({C.raw('uscc')}) AS uscc, {C.raw('name')} AS name, "
            f"{C.raw('district')} AS district, {C.canonical_district_sql(d, C.raw('district'))} AS district_c, "
            f"CAST({C.raw('year')} AS INTEGER) AS year, (e.lu IS NOT NULL) AS _listed"
            f"{', ' + ', '.join(typed) if typed else ''} FROM raw LEFT JOIN (SELECT DISTINCT lu FROM excl) e "
            f"ON e.lu = upper({C.raw('uscc')}) WHERE _row NOT IN (SELECT _row FROM bad) AND NOT _extra ORDER BY _row"
        ),
    )


def decide_in(db: Backend, src: Source, policy: Policy, fields: dict[str, str], options: SqlOptions) -> None:
    """The rows typed and checked, the earlier awards loaded, and `w` (the decisions, one row per row)."""
    _typed_rows(db, src, policy, fields, options)
    src.matched = int(db.rows("SELECT count(*) FROM t")[0][0])
    prior = _load_prior(db, policy, options.ledger_url, fields) if options.ledger_url else False
    if db.d.name == "spark":  # Catalyst would inline the layers into one another: each is made on its own
        steps = C.wide_steps(policy, fields, db.d, "t", prior=prior)
        for name, select in steps:
            db.create(name, select)
        for name, _ in steps[:-1]:
            db.drop(name)
        return
    query = C.wide_query(policy, fields, db.d, "t", prior=prior)
    if isinstance(db, DuckBackend):  # computed as it is written (t is in the table's order, and so is w)
        db.con.execute(f"CREATE OR REPLACE VIEW w AS {query}" + (" ORDER BY _row" if prior else ""))
        return
    db.create("w", query + " ORDER BY _row")


def reader_cells(r: tuple[Any, ...]) -> list[Any]:
    """A row of src (`_row, _width, _extra, c0 … cN`) as the row engine's reader takes its cells: a row wider
    than the header keeps a cell beyond it, so that the reader names the extra cells."""
    width, extra, cells = r[1], r[2], [c if c is not None else "" for c in r[3:]]
    if width is not None and width > len(cells):
        cells += ["x" if extra else ""] * (width - len(cells))
    return cells


def by_field(columns: list[Column], name: str) -> Column:
    return next(c for c in columns if c.field == name)


def _load_prior(db: Backend, policy: Policy, ledger_url: str, fields: dict[str, str]) -> bool:
    """The ledger's standing awards (revoked ones do not count) as `prior`, in the ledger's order."""
    from sqlalchemy import and_, select

    from zzcbec_docs.bundle.model import PriorAward, competition_key
    from zzcbec_docs.ledger import open_ledger
    from zzcbec_docs.ledger import schema as s
    from zzcbec_docs.money import fmt_yuan
    from zzcbec_docs.rules.context import which
    from zzcbec_docs.rules.wording import ledger_award

    ledger = open_ledger(ledger_url, upgrade=False)
    a, n, r = s.awards, s.notices, s.revocations
    try:
        with ledger.engine.connect() as conn:
            rows = conn.execute(
                select(
                    a.c.uscc,
                    a.c.clause,
                    a.c.year,
                    a.c.amount_cents,
                    a.c.tier_cents,
                    a.c.competition_name,
                    n.c.number,
                    a.c.id,
                )
                .join(n, n.c.id == a.c.notice_id)
                .outerjoin(r, r.c.notice_id == n.c.id)
                .where(and_(r.c.id.is_(None)))
                .order_by(a.c.id)
            ).all()
    finally:
        ledger.engine.dispose()
    data = []
    for row in rows:
        amount = Decimal(row.amount_cents) / 100
        p = PriorAward(
            clause=row.clause,
            year=row.year,
            amount=amount,
            competition_name=row.competition_name,
            source="ledger",
            reference=row.number,
        )
        note = ledger_award(p.year, fmt_yuan(p.amount), p.reference)
        tier = Decimal(row.tier_cents) / 100 if row.tier_cents is not None else None
        data.append(
            (
                row.uscc,
                row.clause,
                row.year,
                amount,
                tier,
                competition_key(row.competition_name),
                row.id,
                which([p]),
                note,
            )
        )
    db.insert(
        "prior",
        [
            ("uscc", "text"),
            ("clause", "int"),
            ("year", "int"),
            ("amount", "money"),
            ("tier", "money"),
            ("ckey", "text"),
            ("ord", "big"),
            ("which_piece", "text"),
            ("note_piece", "text"),
        ],
        data,
    )
    # the item of a per-item cap, keyed as the rules compare it (competition_key)
    for item in sorted({i for c in policy.claimable() if (i := policy.item_fact(c))}):
        key_col = C.col(item) + "_key"
        if item not in fields:
            db.create("t2", f"SELECT t.*, CAST(NULL AS {db.t('text')}) AS {key_col} FROM t")
        else:
            names = [x[0] for x in db.rows(f"SELECT DISTINCT {C.col(item)} FROM t WHERE {C.col(item)} IS NOT NULL")]
            db.insert("ikeys", [("name", "text"), ("ckey", "text")], [(x, competition_key(x)) for x in names])
            db.create(
                "t2",
                f"SELECT t.*, k.ckey AS {key_col} FROM t LEFT JOIN ikeys k ON k.name = t.{C.col(item)} ORDER BY _row",
            )
            db.drop("ikeys")
        db.drop("t")
        db.create("t", "SELECT * FROM t2")
        db.drop("t2")
    return True


def _long(policy: Policy, clauses: list[int], wide: str = "w", keep: str = "", csv: bool = False) -> str:
    """One row per enterprise and clause, in the table's order (COLUMNS, typed; `keep`: more columns of `wide`;
    `csv`: also `clause_csv`, the clause's name as matches.csv writes it)."""
    structs = []
    for k, n in enumerate(clauses):
        name = policy.clauses[n].name
        extra = f", 'clause_csv': '{_csv_text(name).replace(chr(39), chr(39) * 2)}'" if csv else ""
        structs.append(
            f"{{'k': {k}, 'clause': {n}, 'clause_name': '{name.replace(chr(39), chr(39) * 2)}', 'status': s_{n}, "
            f"'amount': a_{n}, 'city': ci_{n}, 'local': lo_{n}, 'gaps': g_{n}, 'missing': m_{n}, 'notes': no_{n}{extra}}}"
        )
    return (
        f"SELECT uscc, name, district_c AS district, year, _row{keep}, unnest([{', '.join(structs)}], recursive := true) "
        f"FROM {wide}"
    )


def _summarise(db: Backend, summary: TableSummary, src: Source, clauses: list[int], counts: bool = True) -> None:
    matched = src.matched
    bad = len({e.row for e in src.errors})
    summary.rows, summary.bad_rows = matched + bad, bad
    summary.first_errors = src.errors[:20]
    summary.errors = src.errors
    if not counts:
        return
    for k in STATUSES:
        summary.statuses[k] = 0
    union = " UNION ALL ".join(f"SELECT s_{n} AS status, count(*) AS n FROM w GROUP BY 1" for n in clauses)
    for status, count in db.rows(f"SELECT status, sum(n) FROM ({union}) q GROUP BY status"):
        summary.statuses[status] = int(count)
        summary.matches += int(count)
    parts = " UNION ALL ".join(
        f"SELECT district_c, {n} AS clause, a_{n} AS amount, ci_{n} AS city, lo_{n} AS loc FROM w WHERE s_{n} = 'eligible'"
        for n in clauses
    )
    for district, clause, n, amount, city, local, unsettled in db.rows(
        f"SELECT district_c, clause, count(*), sum(amount), COALESCE(sum(city), 0), COALESCE(sum(loc), 0), "
        f"COALESCE(sum(CASE WHEN city IS NULL THEN amount END), 0) FROM ({parts}) q GROUP BY district_c, clause"
    ):
        summary.totals[(district, int(clause))] = Tally(
            int(n), Decimal(amount), Decimal(city), Decimal(local), Decimal(unsettled)
        )
    anyone = " OR ".join(f"s_{n} = 'eligible'" for n in clauses) or "FALSE"
    for district, n in db.rows(f"SELECT district_c, count(*) FROM w WHERE {anyone} GROUP BY district_c"):
        summary.qualifying[district] = int(n)


class _Counted:
    """The statuses, the totals by district and clause and the qualifying enterprises by district, counted from
    the chunks of matches as they are written (an enterprise's matches are all in one chunk)."""

    def __init__(self, summary: TableSummary) -> None:
        self.summary = summary
        for k in STATUSES:
            summary.statuses[k] = 0
        summary.matches = 0
        summary.totals.clear()
        summary.qualifying.clear()

    def add(self, table: Any) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        s = self.summary
        for item in pc.value_counts(table["status"]).to_pylist():
            s.statuses[item["values"]] += item["counts"]
            s.matches += item["counts"]
        eligible = table.filter(pc.equal(table["status"], "eligible"))
        if not eligible.num_rows:
            return
        amount = eligible["amount"]
        unsettled = pc.if_else(pc.is_null(eligible["city"]), amount, pa.scalar(None, amount.type))  # 上街区's
        eligible = eligible.append_column("unsettled", unsettled)
        every = pc.CountOptions(mode="all")
        cells = eligible.group_by(["district", "clause"]).aggregate(
            [("amount", "count", every), ("amount", "sum"), ("city", "sum"), ("local", "sum"), ("unsettled", "sum")]
        )
        for r in cells.to_pylist():
            t = s.totals.setdefault((r["district"], int(r["clause"])), Tally())
            t.count += r["amount_count"]
            t.amount += r["amount_sum"]
            t.city += r["city_sum"] or 0
            t.local += r["local_sum"] or 0
            t.unsettled += r["unsettled_sum"] or 0
        for r in eligible.group_by("district").aggregate([("row", "count_distinct")]).to_pylist():
            s.qualifying[r["district"]] = s.qualifying.get(r["district"], 0) + r["row_count_distinct"]


# what makes DuckDB's CSV writer quote a text (measured on every character up to U+30000): an empty text
# (NULL is written as nothing), or one holding any of these
CSV_QUOTED = ',"#\n\r'


def _csv_text(value: str) -> str:
    """A constant text as DuckDB's CSV writer writes it."""
    if value == "":
        return '""'
    if any(ch in value for ch in CSV_QUOTED):
        return '"' + value.replace('"', '""') + '"'
    return value


def _csv_field(expr: str) -> str:
    """A text column as DuckDB's CSV writer writes it (quoted when empty or when it holds a character of
    CSV_QUOTED, NULL as nothing), in SQL."""
    holds = " OR ".join(f"contains({expr}, {DIALECTS['duckdb'].s(ch)})" for ch in CSV_QUOTED)
    return (
        f"(CASE WHEN {expr} IS NULL THEN '' WHEN {expr} = '' THEN '\"\"' WHEN {holds} "
        f"THEN concat('\"', replace({expr}, '\"', '\"\"'), '\"') ELSE {expr} END)"
    )


def line_sql(policy: Policy, clauses: list[int], where: str) -> str:
    """The matches of the enterprises of `w` that `where` picks: the long rows (COLUMNS, typed) and, as `_line`,
    each one's line of matches.csv, line break included, quoted exactly as DuckDB's CSV writer quotes (an
    empty text, or one holding `,` `"` `#` or a line break) — so that the file is the lines one after another."""
    name = "(CASE WHEN left(name, 1) IN ('=', '+', '-', '@') THEN '''' || name ELSE name END)"
    plain = all(_csv_text(x) == x for x in _district_names(policy))
    district = "district_c" if plain else _csv_field("district_c")  # the canonical names need no quotes
    wide = f"(SELECT *, {_csv_field(name)} AS _name_csv, {district} AS _district_csv FROM w WHERE {where})"
    parts = [
        "uscc",
        "_name_csv",
        "_district_csv",
        "CAST(year AS VARCHAR)",
        "CAST(clause AS VARCHAR)",
        "clause_csv",
        "status",
        "COALESCE(CAST(amount AS VARCHAR), '')",
        "COALESCE(CAST(city AS VARCHAR), '')",
        "COALESCE(CAST(local AS VARCHAR), '')",
        _csv_field("gaps"),
        _csv_field("missing"),
        _csv_field("notes"),
        "CAST(_row AS VARCHAR)",
    ]
    comma = ", ','"
    line = f"concat({', '.join(p + comma for p in parts[:-1])}, {parts[-1]}, chr(10))"
    return (
        f"SELECT {line} AS _line, {', '.join(COLUMNS[:-1])}, _row AS row "
        f"FROM ({_long(policy, clauses, wide, ', _name_csv, _district_csv', csv=True)})"
    )


def _xml_text(expr: str, plain: bool = False) -> str:
    """A text cell of the sheet (`plain`: a text that never holds `&`, `<` or `>`, such as a USCC or a status)."""
    escaped = (
        expr
        if plain
        else f"(CASE WHEN contains({expr}, '&') OR contains({expr}, '<') OR contains({expr}, '>') "
        f"THEN replace(replace(replace({expr}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;') ELSE {expr} END)"
    )
    return f"CASE WHEN {expr} IS NULL OR {expr} = '' THEN '<c/>' ELSE '<c t=\"inlineStr\"><is><t>' || {escaped} || '</t></is></c>' END"


def _district_names(policy: Policy) -> list[str]:
    """Every name a decided row's district can have: the contract's districts and the aliases' canonical names."""
    from zzcbec_docs.bundle.contract import DISTRICT_ALIASES, contract

    return [
        *contract(policy).schema["$defs"]["applicant"]["properties"]["district"]["enum"],
        *DISTRICT_ALIASES.values(),
    ]


def _needs_escape(text: str) -> bool:
    return any(ch in text for ch in "&<>")


def _xml_money(expr: str) -> str:
    return f"CASE WHEN {expr} IS NULL THEN '<c/>' ELSE '<c s=\"1\"><v>' || CAST({expr} AS VARCHAR) || '</v></c>' END"


def _xml_int(expr: str) -> str:
    return f"'<c><v>' || CAST({expr} AS VARCHAR) || '</v></c>'"


def _settled(event: threading.Event, seconds: float) -> bool:
    """Wait up to `seconds` for `event` while the jobs are being stopped: a second Ctrl-C then (a user pressing it
    again) does not cut the waiting short — the cursors are closed only once no thread uses them."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return event.wait(max(0.0, deadline - time.monotonic()))
        except KeyboardInterrupt:
            if event.is_set() or time.monotonic() >= deadline:
                return event.is_set()


def _together(con: Any, jobs: dict[str, Callable[[Any], None]], stop: threading.Event | None = None) -> None:
    """Run each job on its own cursor and thread at once, DuckDB's own threads set to one meanwhile: each
    query then runs on the thread that asked (in the table's order, with no reordering of parallel
    batches, which costs more than it gains when every core has its own query). A failure or an
    interrupt stops the others (their queries interrupted, `stop` set for those that wait on one another)
    and is raised."""
    import sys

    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    if int(threads) < 2 or len(jobs) < 2:
        for job in jobs.values():
            job(con)
        return
    con.execute("SET threads=1")
    cursors = {name: con.cursor() for name in jobs}
    failures: list[BaseException] = []
    timings: dict[str, tuple[float, float]] = {}

    # each job says it is done by its own event: a Ctrl-C that interrupts Thread.join can leave the thread
    # marked as stopped while it still runs its query (CPython 3.11), and its cursor then cannot be closed
    began = {name: threading.Event() for name in jobs}
    done = {name: threading.Event() for name in jobs}

    def halt() -> None:
        if stop is not None:
            stop.set()
        for cur in cursors.values():
            cur.interrupt()

    def run(name: str) -> None:
        began[name].set()
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            jobs[name](cursors[name])
        except BaseException as exc:  # noqa: BLE001 - raised by the caller
            failures.append(exc)
            halt()
        finally:
            timings[name] = (time.perf_counter() - t0, time.thread_time() - c0)
            done[name].set()

    workers = [threading.Thread(target=run, args=(name,), daemon=True) for name in jobs]
    starting: list[str] = []
    try:
        for name, w in zip(jobs, workers, strict=True):
            starting.append(name)
            w.start()
        for name in jobs:
            while not done[name].wait(0.2):
                pass
    except BaseException:
        halt()
        for name in starting:  # a thread being started when the interrupt came runs all the same
            if not _settled(began[name], 1.0):
                continue
            while not _settled(done[name], 0.2):
                halt()  # a job between two queries starts the next: interrupt it too
        raise
    finally:
        for cur in cursors.values():
            cur.close()
        con.execute(f"SET threads={threads}")
    if os.environ.get("ZZCBEC_TIMINGS"):
        for name, (wall, cpu) in timings.items():
            sys.stderr.write(f"[timing]   {name} (its own thread): {wall:.2f} s wall, {cpu:.2f} s CPU\n")
    if failures:
        raise failures[0]


# enterprises a decider takes at a time (a quarter of one of DuckDB's row groups): their matches, with their
# lines of matches.csv, are ~170 MB as Arrow (three chunks are held at most: one per decider, one being
# written); each chunk costs ~0.1 s of planning the query
CHUNK = 30_720
# one writer keeps up with about this many deciders (a chunk takes a core ~0.8 s to decide, the writer ~0.15 s to
# write): more would only hold more chunks in memory
MAX_DECIDERS = 6


def _chunks(con: Any, base: str) -> list[str]:
    """`w`'s enterprises in chunks of CHUNK, in the table's order: a condition on `_row` for each (`base`: the
    table `w` is made from, or `w` itself when it is a table)."""
    starts = [
        int(r[0])
        for r in con.execute(
            f"SELECT _row FROM (SELECT _row, row_number() OVER (ORDER BY _row) - 1 AS i FROM {base}) q "
            f"WHERE i % {CHUNK} = 0 ORDER BY _row"
        ).fetchall()
    ]
    ends: list[int | None] = [*starts[1:], None] if starts else []
    return [f"_row >= {a}" + (f" AND _row < {b}" if b is not None else "") for a, b in zip(starts, ends, strict=True)]


def _match_schema() -> Any:
    """matches.parquet's columns (COLUMNS), typed: amounts DECIMAL(18,2), as the row engine's matches are."""
    import pyarrow as pa

    types = {"year": pa.int32(), "clause": pa.int32(), "row": pa.int64()}
    money = pa.decimal128(18, 2)
    return pa.schema([(c, money if c in ("amount", "city", "local") else types.get(c, pa.string())) for c in COLUMNS])


class _MatchFiles:
    """matches.csv and matches.parquet, written from the decided chunks in the table's order: each chunk's
    lines (`_line`) as they are into matches.csv, the rest into matches.parquet (a row group per chunk)."""

    def __init__(self, work: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from zzcbec_docs.sqlmatch.streams import DirectFile

        self.parquet_path = work / "matches.parquet"
        self.schema = _match_schema()
        self.csv = DirectFile(work / "matches.csv")
        self.csv.write(("\ufeff" + ",".join(COLUMNS) + "\n").encode("utf-8"))
        numbers = [c for c in COLUMNS if not pa.types.is_string(self.schema.field(c).type)]
        self.parquet = pq.ParquetWriter(
            self.parquet_path,
            self.schema,
            compression="zstd",
            write_statistics=numbers,  # a text's min and max cost a fifth of the writing and help no reader
            store_decimal_as_integer=True,  # DECIMAL(18,2) as INT64, as DuckDB writes it
        )

    def add(self, table: Any) -> None:
        from zzcbec_docs.sqlmatch.streams import text_bytes

        for lines in table.column("_line").chunks:
            self.csv.write(text_bytes(lines))
        rest = table.drop_columns(["_line"])
        self.parquet.write_table(rest if rest.schema.equals(self.schema) else rest.cast(self.schema))

    def close(self) -> None:
        self.parquet.close()
        self.csv.close()

    def discard(self) -> None:
        try:
            self.parquet.close()
        finally:
            self.csv.discard()


def _wait_for(permit: threading.Semaphore, stop: threading.Event) -> bool:
    """A decider's turn to decide its next chunk: once the writer has taken the one before (so that each decider
    holds at most one chunk, the writer one more); False when the run stops."""
    while not stop.is_set():
        if permit.acquire(timeout=0.1):
            return True
    return False


def _take(slot: queue.Queue[Any], stop: threading.Event) -> Any:
    """The next chunk from a decider's slot; None when the run stops."""
    while not stop.is_set():
        try:
            return slot.get(timeout=0.1)
        except queue.Empty:
            continue
    return None


def _write_outputs(
    con: Any, work: Path, policy: Policy, summary: TableSummary, clauses: list[int], base: str
) -> list[str]:
    """The decisions made once, chunk by chunk, and every file written from them at once: as many deciders
    as DuckDB has threads, each on its own cursor, decide chunks of enterprises into Arrow (the long matches
    with their lines of matches.csv, `line_sql`); the writer takes the chunks in the table's order into
    matches.csv and matches.parquet, counting the statuses and totals as it goes; meanwhile another cursor
    streams the first matches, as sheet XML, into matches.xlsx."""
    from zzcbec_docs.calculator import table_match
    from zzcbec_docs.calculator.xlsx_stream import MAX_ROWS, StreamingXlsx

    limit = MAX_ROWS - 1  # as many matches as a sheet holds, the header included
    queries = [line_sql(policy, clauses, where) for where in _chunks(con, base)]
    threads = int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
    deciders = max(1, min(threads, MAX_DECIDERS, len(queries)))
    stop = threading.Event()
    slots: list[queue.Queue[Any]] = [queue.Queue() for _ in range(deciders)]
    permits = [threading.Semaphore(1) for _ in range(deciders)]
    book = StreamingXlsx(work / "matches.xlsx")
    files: _MatchFiles | None = None

    def sheet(cur: Any) -> None:
        from zzcbec_docs.sqlmatch.streams import text_bytes

        book.start_sheet("matches", COLUMNS, WIDTHS)
        reader = cur.sql(_sheet_sql(policy, clauses, limit)).to_arrow_reader(1 << 16)
        try:
            for batch in reader:
                book.write_raw(text_bytes(batch.column(0)), 0)  # zlib lets go of the GIL: deflated beside the others
        finally:
            reader.close()  # the cursor's result let go of, even when interrupted (else the cursor stays busy)

    def decider(k: int) -> Callable[[Any], None]:
        def decide(cur: Any) -> None:
            for i in range(k, len(queries), deciders):
                if not _wait_for(permits[k], stop):
                    return
                slots[k].put(cur.sql(queries[i]).to_arrow_table())

        return decide

    def taken(k: int) -> Any:
        table = _take(slots[k], stop)
        permits[k].release()  # the decider goes on with its next chunk
        return table

    def write(cur: Any, ready: Callable[[int], Any]) -> None:
        assert files is not None
        counted = _Counted(summary)
        for i in range(len(queries)):
            table = ready(i)
            if table is None:  # another job failed or was interrupted: it is raised
                return
            files.add(table)
            counted.add(table)
        files.close()

    try:
        files = _MatchFiles(work)
        if deciders < 2:  # one thread: decided and written in turn
            jobs = {
                "matches.csv, matches.parquet": lambda cur: write(cur, lambda i: cur.sql(queries[i]).to_arrow_table())
            }
        else:
            jobs = {f"decisions {k + 1}/{deciders}": decider(k) for k in range(deciders)}
            jobs["matches.csv, matches.parquet"] = lambda cur: write(cur, lambda i: taken(i % deciders))
        jobs["matches.xlsx's sheet"] = sheet
        _together(con, jobs, stop)
        written = min(summary.matches, limit)
        summary.cut = summary.matches - written
        book.rows += written  # the sheet's rows, counted once
        book.start_sheet("totals", table_match.TOTAL_COLUMNS, [22, 14, 20, 12, 18, 18, 18, 18])
        for values in total_rows(summary, policy):
            book.append(values, table_match.TOTAL_KINDS)
        if summary.cut:
            book.append(
                [
                    f"matches 表仅列前 {written} 行（Excel 每表上限），全部 {summary.matches} 行见 matches.csv / "
                    f"matches.parquet",
                    "",
                    "",
                    None,
                    None,
                    None,
                    None,
                    None,
                ],
                table_match.TOTAL_KINDS,
            )
        book.close()
    except BaseException:
        stop.set()
        if files is not None:
            files.discard()
        book.discard()
        raise
    phase("decided: matches.csv, matches.parquet, matches.xlsx")
    errors: list[CellError] = summary.errors
    with open(work / "errors.csv", "w", encoding="utf-8", newline="") as fh:
        fh.write("\ufeff" + ",".join(ERROR_COLUMNS) + "\r\n")
        w = csv.writer(fh, lineterminator="\r\n")
        for e in errors:
            w.writerow([e.row, e.column, e.header, e.zh, e.en])
    return ["matches.csv", "matches.parquet", "matches.xlsx", "errors.csv"]


def _sheet_sql(policy: Policy, clauses: list[int], limit: int) -> str:
    """matches.xlsx's first sheet: the first `limit` matches as sheet XML made by DuckDB from the first
    enterprises' decisions (numbered as the long rows are: enterprise by enterprise, clause by clause)."""
    districts = _district_names(policy)
    per = max(len(clauses), 1)
    first = f"(SELECT *, row_number() OVER () - 1 AS _e FROM (SELECT * FROM w LIMIT {-(-limit // per)}) h)"
    xml = (
        "'<row r=\"' || CAST(_i + 2 AS VARCHAR) || '\">' || "
        + " || ".join(
            [
                _xml_text("uscc", plain=True),  # 18 letters and digits: the reader refuses any other
                _xml_text("name"),
                _xml_text("district", plain=not any(_needs_escape(x) for x in districts)),
                _xml_int("year"),
                _xml_int("clause"),
                _xml_text("clause_name", plain=not any(_needs_escape(policy.clauses[n].name) for n in clauses)),
                _xml_text("status", plain=not any(_needs_escape(x) for x in STATUSES)),
                _xml_money("amount"),
                _xml_money("city"),
                _xml_money("local"),
                _xml_text("gaps"),
                _xml_text("missing"),
                _xml_text("notes"),
                _xml_int("_row"),
            ]
        )
        + " || '</row>'"
    )
    return (
        f"SELECT {xml} FROM (SELECT *, _e * {per} + k AS _i FROM ({_long(policy, clauses, first, ', _e')})) "
        f"WHERE _i < {limit}"
    )


def _yaml_sql(expr: str) -> str:
    """table_match._yaml of a text, in SQL: json.dumps(text, ensure_ascii=False) (the reader has refused
    every other control character already)."""
    x = f"replace(replace({expr}, '\\', '\\\\'), '\"', '\\\"')"
    for ch, esc in (("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
        x = f"replace({x}, chr({ord(ch)}), '{esc}')"
    return f"('\"' || {x} || '\"')"


def bundle_sql(policy: Policy, src: Source, matches: str, source_name: str) -> str:
    """(file name, text, uscc) of each pre-filled bundle, made by the query as table_match.prefilled_bundle
    makes it (line for line; the ledger's earlier awards are added after, by the caller)."""
    from zzcbec_docs.bundle.validate import fact_labels

    d = DIALECTS["duckdb"]
    labels = fact_labels(policy)
    kinds = {c.field: c.kind for c in src.columns}
    fields = [c.field for c in src.columns]  # in the table's order (a fee fact's items as the reader meets them)

    def value(f: str) -> str:
        r = f"raw.{C.raw(f)}"
        if kinds[f] == "flag":
            return f"(CASE WHEN lower({r}) IN ({', '.join(d.s(w) for w in TRUE_WORDS)}) THEN 'true' ELSE 'false' END)"
        if kinds[f] == "count":
            return f"CAST(CAST({r} AS BIGINT) AS VARCHAR)"
        return _yaml_sql(r)

    def line(prefix: str, v: str, width: int, label: str) -> str:
        pad = f"repeat(' ', greatest(1, {width - len(prefix)} - length({v})))"
        return f"({d.s(prefix)} || {v} || {pad} || {d.s('# ' + label + chr(10))})"

    blocks = []
    for n in policy.claimable():
        clause = policy.clauses[n]
        head = f"  - clause: {n}                   # {policy.cite(n)} {clause.name}：测算 "
        parts = [f"{d.s(head)} || {d.yuan('m.amount')} || {d.s(chr(10) + '    facts:' + chr(10))}"]
        for name in clause.facts:
            fact = policy.facts.get(name)
            if fact is not None and fact.type == "fee_items":
                items = [f for f in fields if f.startswith(name + ".")]
                if not items:
                    continue
                any_item = " OR ".join(f"raw.{C.raw(f)} IS NOT NULL" for f in items)
                title = f"      {name}:" + " " * max(1, 30 - len(name)) + f"# {labels.get(name, name)}\n"
                parts.append(f"(CASE WHEN {any_item} THEN {d.s(title)} END)")
                for f in items:
                    k = f.split(".", 1)[1]
                    parts.append(
                        f"(CASE WHEN raw.{C.raw(f)} IS NOT NULL THEN "
                        f"{line(f'        {k}: ', value(f), 26 + len(f'        {k}: ') - len(k), labels.get(k, k))} END)"
                    )
            elif name in kinds:
                parts.append(
                    f"(CASE WHEN raw.{C.raw(name)} IS NOT NULL THEN "
                    f"{line(f'      {name}: ', value(name), 44, labels.get(name, name))} END)"
                )
        blocks.append(f"WHEN {n} THEN concat({', '.join(parts)})")
    cites = "CASE m.clause " + " ".join(f"WHEN {n} THEN {d.s(policy.cite(n))}" for n in policy.claimable()) + " END"
    ex = policy.exclusion_fact
    etrade = f"raw.{C.raw(ex)}" if ex in kinds else "CAST(NULL AS VARCHAR)"
    true_words = ", ".join(d.s(w) for w in TRUE_WORDS)
    uscc = f"upper(raw.{C.raw('uscc')})"
    year = f"CAST(CAST(raw.{C.raw('year')} AS INTEGER) AS VARCHAR)"
    issued = f" --issued-on {policy.issued_on.isoformat()}" if policy.issued_on else ""
    nl = "\n"
    pieces = [
        d.s(f"# 免申即享 预填申报材料：{policy.full_title}{nl}# 由 zzcbec match 根据 {source_name} 第 "),
        "CAST(b.row AS VARCHAR)",
        d.s(" 行生成；经测算可申报 "),
        "b.each",
        d.s("，合计 "),
        "b.total",
        d.s(
            f"（以审核认定为准）{nl}# 请核对各项数据，填写标有“待填写”的各行（联系人、开户银行等），然后运行：zzcbec check "
            f'本文件{issued}{nl}schema_version: "1.0"{nl}year: '
        ),
        year,
        d.s(f"{nl}applicant:{nl}  name: "),
        _yaml_sql(f"raw.{C.raw('name')}"),
        d.s(f"{nl}  uscc: "),
        _yaml_sql(uscc),
        d.s(f"{nl}  district: "),
        _yaml_sql(f"raw.{C.raw('district')}"),
        d.s(f"{nl}  {ex}: "),
        f"(CASE WHEN lower({etrade}) IN ({true_words}) THEN 'true' ELSE 'false' END)",
        d.s(f"    # 是否{policy.exclusion_label}（"),
        f"(CASE WHEN {etrade} IS NULL THEN '表中无此项，请如实确认' ELSE '表中声明' END)",
        d.s(
            f"；是则不在支持范围）{nl}"
            f'  # address: ""                    # 可填写：注册地址{nl}'
            f'  # legal_representative: ""       # 可填写：法定代表人{nl}'
            f'  contact: {{name: "", phone: ""}}   # 待填写：联系人及电话{nl}'
            f'  bank: {{name: "", account: ""}}    # 待填写：开户银行及账号（奖励通知书写明拨付账户）{nl}'
            f"claims:{nl}"
        ),
        "b.claims",
    ]
    text = " || ".join(pieces)
    return (
        f"SELECT {uscc} || '-' || {year} || '.yaml' AS file, {text} AS text, {uscc} AS uscc FROM ("
        f"SELECT m.row, string_agg({cites} || ' ' || {d.yuan('m.amount')}, '、' ORDER BY m.clause) AS each, "
        f"{d.yuan('sum(m.amount)')} AS total, string_agg(CASE m.clause {' '.join(blocks)} END, '' ORDER BY m.clause) "
        f"AS claims FROM (SELECT row, clause, amount FROM {matches} WHERE status = 'eligible') m "
        f"JOIN raw ON raw._row = m.row GROUP BY m.row) b JOIN raw ON raw._row = b.row ORDER BY b.row"
    )


def _prior_lines(prior: tuple[Any, ...]) -> str:
    """The `prior_awards` lines of table_match.prefilled_bundle (the ledger's standing awards)."""
    from zzcbec_docs.calculator.table_match import _yaml
    from zzcbec_docs.money import fmt_amount

    lines = ["prior_awards:                      # 台账中已获本政策奖励（核定时计入）"]
    for p in prior:
        item: dict[str, Any] = {"clause": p.clause, "year": p.year, "amount": fmt_amount(p.amount)}
        if p.competition_name:
            item["competition_name"] = p.competition_name
        if p.reference:
            item["notice_number"] = p.reference
        lines.append("  - {" + ", ".join(f"{k}: {_yaml(v)}" for k, v in item.items()) + "}")
    return "\n".join(lines) + "\n"


def _write_bundles(
    con: Any, src: Source, policy: Policy, work: Path, path: Path, ledger_url: str | None, clauses: list[int]
) -> int:
    """A pre-filled bundle per enterprise and year with an eligible clause, its text made by DuckDB
    (bundle_sql), written into work/bundles (moved into DIR with the other outputs)."""
    parquet = f"read_parquet({_sql_path(work / 'matches.parquet')})"
    ledger = None
    known: set[str] | None = set()  # applicants with standing awards: their bundles list them (prior_awards)
    if ledger_url:
        from zzcbec_docs.ledger import open_ledger

        ledger = open_ledger(ledger_url, upgrade=False)
        local = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'prior'").fetchone()[0]
        # the earlier awards were loaded here (DuckDB decided); else (another engine did) ask for each bundle
        known = {r[0] for r in con.execute("SELECT DISTINCT uscc FROM prior").fetchall()} if local else None
    cur = con.execute(bundle_sql(policy, src, parquet, path.name))  # (the connection's one open result)
    from concurrent.futures import ThreadPoolExecutor

    folder = work / "bundles"
    folder.mkdir(exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)

    def write(files: list[tuple[str, bytes]]) -> None:  # the kernel's work: two threads, the GIL let go
        for name, data in files:
            f = os.open(name, flags, 0o666, dir_fd=fd)  # as open() does: the umask decides
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(f, view) :]
            finally:
                os.close(f)

    count = 0
    try:
        with ThreadPoolExecutor(2) as pool:
            while True:
                batch = cur.fetchmany(20_000)
                if not batch:
                    break
                files = []
                for name, text, uscc in batch:
                    if known is None or uscc in known:
                        assert ledger is not None
                        prior = tuple(ledger.history_readonly(uscc))
                        if prior:
                            text += _prior_lines(prior)
                    files.append((name, text.encode("utf-8")))
                half = len(files) // 2
                for done in [pool.submit(write, files[:half]), pool.submit(write, files[half:])]:
                    done.result()
                count += len(batch)
    finally:
        os.close(fd)
        if ledger is not None:
            ledger.engine.dispose()
    return count
