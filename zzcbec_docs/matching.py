"""免申即享 over a whole table, as `zzcbec match TABLE` asks for it: the engine chosen, the ledger checked,
the table matched by the row engine (calculator.table_match) or a SQL engine (sqlmatch). The command parses
its options into a `TableRequest`, calls `match_table` and formats the `TableSummary` it returns. Above both
engines (sqlmatch builds on the calculator), so that neither imports the other's caller."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from zzcbec_docs.calculator.table_match import TableOptions, TableSummary, run_table
from zzcbec_docs.calculator.table_read import Table
from zzcbec_docs.errors import ArgumentError
from zzcbec_docs.policy.model import Policy

ENGINES = ("duckdb", "python", "spark")  # or a PostgreSQL URL
POSTGRES_URLS = ("postgresql://", "postgresql+psycopg://", "postgres://")


def is_postgres(engine: str) -> bool:
    return engine.startswith(POSTGRES_URLS)


def engine_name(engine: str) -> str:
    """The engine as a summary names it: duckdb, python, spark or postgresql (never the URL and its password)."""
    return engine.split("://")[0] if is_postgres(engine) else engine


@dataclass(frozen=True)
class TableRequest:
    """What to match and where the results go: a file (`table_path`) or a PostgreSQL table (`db_table`),
    into `out_dir` and/or back into the table `into` (PostgreSQL)."""

    engine: str = "duckdb"
    table_path: str | None = None
    db_table: str | None = None
    into: str | None = None
    out_dir: Path | None = None
    jobs: int = 0
    exclusion_list: frozenset[str] = frozenset()
    ledger_url: str | None = None
    bundles: bool | None = None
    columns_map: dict[str, str | None] | None = None

    @property
    def errors_place(self) -> str | None:
        """Where every bad row is written: DIR/errors.csv, else the table beside `into` (SCHEMA.NAME_errors)."""
        if self.out_dir is not None:
            return str(self.out_dir / "errors.csv")
        if self.into:
            return f"{self.into}_errors"
        return None


def check_request(request: TableRequest) -> None:
    """The request's options fit together (ArgumentError naming the option otherwise); nothing is read."""
    engine = request.engine
    if engine not in ENGINES and not is_postgres(engine):
        raise ArgumentError(
            f"未知的引擎“{engine}”；可用：duckdb、python、spark 或 postgresql://… 连接串",
            f"unknown engine {engine!r}; use duckdb, python, spark or a postgresql:// URL",
        )
    postgres = is_postgres(engine)
    if request.db_table and not postgres:
        raise ArgumentError("--table 只用于 --engine postgresql://…", "--table applies to --engine postgresql://… only")
    if request.into and not postgres:
        raise ArgumentError("--into 只用于 --engine postgresql://…", "--into applies to --engine postgresql://… only")
    if request.out_dir is None and not (postgres and request.into):
        raise ArgumentError("表格匹配须用 --out DIR 指定输出目录", "matching a table needs --out DIR")
    if not postgres and not request.table_path:
        raise ArgumentError("请指定要匹配的表格文件", "give the table to match (.csv, .xlsx or .parquet)")
    if engine == "python" and Path(request.table_path or "").suffix.lower() == ".parquet":
        raise ArgumentError(
            "--engine python 只读 .csv/.xlsx；Parquet 请用 duckdb",
            "--engine python reads .csv/.xlsx only; use duckdb for Parquet",
        )


def check_ledger(ledger_url: str) -> None:
    """The ledger answers (LedgerUnavailable otherwise) before any row is read; each worker opens its own."""
    from zzcbec_docs.ledger import open_ledger

    open_ledger(ledger_url, upgrade=False).engine.dispose()


def check_out_dir(out: Path) -> None:
    """The output folder can be made and written (ArgumentError naming it otherwise: a file in the way, no
    permission, a read-only file system), tried before any row is read and left as it was: what the try made
    is removed again."""
    import tempfile

    made: list[Path] = []
    try:
        missing = [p for p in (out, *out.parents) if not p.exists()]
        for folder in reversed(missing):
            folder.mkdir()
            made.append(folder)
        fd, probe = tempfile.mkstemp(prefix=".match-probe-", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ArgumentError(
            f"无法写入输出目录（{reason}）；请换一个可写的目录",
            f"cannot write the output folder ({reason}); give one that can be written",
            file=str(out),
        ) from None
    finally:
        for folder in reversed(made):
            try:
                folder.rmdir()
            except OSError:
                pass


def match_table(
    request: TableRequest,
    policy: Policy,
    progress: Callable[[TableSummary, int | None], None] | None = None,
) -> TableSummary:
    """Match every row of the table under `policy`, counting the ledger when one is given, and write the
    results where the request says. Bad rows are reported in the summary (and in `errors_place`)."""
    check_request(request)
    if request.out_dir is not None:
        check_out_dir(request.out_dir)
    if request.ledger_url:
        check_ledger(request.ledger_url)
    if request.engine == "python":
        assert request.out_dir is not None and request.table_path is not None  # check_request
        table = Table(Path(request.table_path), request.columns_map, policy)
        options = TableOptions(
            out_dir=request.out_dir,
            jobs=request.jobs,
            exclusion_list=request.exclusion_list,
            ledger_url=request.ledger_url,
        )
        return run_table(table, policy, options, progress=progress)
    from zzcbec_docs.sqlmatch.run import SqlOptions, run_engine

    sql = SqlOptions(
        out_dir=cast(Path, request.out_dir),  # None with --into: sqlmatch then writes only the table back
        jobs=request.jobs,
        exclusion_list=request.exclusion_list,
        ledger_url=request.ledger_url,
        bundles=request.bundles,
        columns_map=request.columns_map,
    )
    return run_engine(request.engine, request.table_path, request.db_table, request.into, policy, sql, progress)
