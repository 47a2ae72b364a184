"""`zzcbec match TABLE.csv|.xlsx --out DIR`: 免申即享 — every enterprise of a table, every clause.

Exit codes: 0 every row was read and matched; 1 some rows were bad (each reported with its
row and column on stderr and in DIR/errors.csv; the other rows are matched all the same);
2 a usage error (no --out, an unreadable or GBK-encoded file, an unknown column, a bad
--columns map, exclusion list or ledger) — then nothing is written.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

if TYPE_CHECKING:
    from zzcbec_docs.calculator.table_match import TableSummary
    from zzcbec_docs.matching import TableRequest

F = TypeVar("F", bound=Callable[..., Any])

TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".parquet")
ENGINES = ("duckdb", "python", "spark")  # or a postgresql:// URL
# --ledger is not among them: ZZCBEC_LEDGER may be set for every command (the one-profile match
# counting the ledger is issue 10's).
TABLE_ONLY = {
    "out_dir": "--out",
    "columns": "--columns",
    "jobs": "--jobs",
    "exclusion_list": "--exclusion-list",
    "engine": "--engine",
    "db_table": "--table",
    "bundles": "--bundles/--no-bundles",
    "into": "--into",
}


def table_options(f: F) -> F:
    f = click.option(
        "--into",
        default=None,
        metavar="SCHEMA.NAME",
        help="表格（PostgreSQL）：结果写回库中此表 / table (PostgreSQL): write the matches back to this table",
    )(f)
    f = click.option(
        "--table",
        "db_table",
        default=None,
        metavar="SCHEMA.NAME",
        help="表格（PostgreSQL）：库中的企业表 / table (PostgreSQL): the enterprises' table in the database",
    )(f)
    f = click.option(
        "--bundles/--no-bundles",
        "bundles",
        default=None,
        help="表格：是否写预填申报材料（默认：不超过 200,000 行时写）/ table: write pre-filled bundles "
        "(default: for tables of at most 200,000 rows)",
    )(f)
    f = click.option(
        "--engine",
        default=None,
        metavar="duckdb|python|spark|postgresql://…",
        help="表格：计算引擎（默认 duckdb；python 为逐行参照引擎）/ table: the engine (default duckdb; "
        "python is the row-by-row reference)",
    )(f)
    f = click.option(
        "--jobs",
        type=click.IntRange(min=0, max=64),
        default=0,
        show_default=True,
        help="表格：并行进程数（0 为 CPU 核数）/ table: worker processes (0: the machine's cores)",
    )(f)
    f = click.option(
        "--columns",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="表格：表头到字段名的映射（YAML，如 统一社会信用代码: uscc）/ table: header → field map",
    )(f)
    f = click.option(
        "--out",
        "out_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="表格：输出目录 / table: where matches.csv, matches.xlsx and bundles/ go",
    )(f)
    return f


def refuse_table_options(given: dict[str, Any]) -> None:
    """A profile takes none of the table's options (rather than silently ignoring them)."""
    from zzcbec_docs.errors import UsageError

    used = [TABLE_ONLY[k] for k, v in given.items() if k in TABLE_ONLY and v not in (None, 0)]
    if used:
        raise UsageError(
            f"{'、'.join(used)} 只用于表格（.csv/.xlsx）", f"{', '.join(used)} apply to a table (.csv/.xlsx) only"
        )


class TableProgress:
    """A bar on a terminal; a line per chunk of rows otherwise (a log keeps a readable record)."""

    def __init__(self, stream: TextIO, tty: bool) -> None:
        self.stream, self.tty = stream, tty
        self.t0 = time.perf_counter()
        self.last = 0.0

    def __call__(self, summary: TableSummary, estimate: int | None, final: bool = False) -> None:
        done = summary.rows
        elapsed = time.perf_counter() - self.t0
        total = done if final else max(estimate or 0, done)
        left = elapsed / done * (total - done) if done else 0.0
        if self.tty:
            if time.perf_counter() - self.last < 0.1 and not final:
                return  # a redraw ten times a second is enough
            self.last = time.perf_counter()
            filled = 30 * done // max(total, 1)
            self.stream.write(
                f"\r{'█' * filled}{'░' * (30 - filled)} {done}/~{total} 行 rows  有误 bad "
                f"{summary.bad_rows}  用时 {elapsed:5.0f}s  剩余 left ~{left:4.0f}s "
            )
        else:
            self.stream.write(
                f"[{done}/~{total} rows] 有误 bad {summary.bad_rows}, "
                f"可申报 eligible {summary.statuses['eligible']} ({elapsed:.1f} s, ~{left:.0f} s left)\n"
            )
        self.stream.flush()

    def done(self, summary: TableSummary) -> None:
        if self.tty:
            self(summary, None, final=True)
            self.stream.write("\n")
            self.stream.flush()


def _peak_mib() -> int:
    """The peak resident memory of this process (DuckDB runs inside it), MiB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def match_table(
    table_path: str | None,
    settings: tuple[str, ...],
    as_json: bool,
    issued_on: dt.date | None,
    policy_file: str | None,
    out_dir: Path | None,
    columns: Path | None,
    jobs: int,
    exclusion_list: Path | None,
    ledger_url: str | None,
    engine: str | None = None,
    db_table: str | None = None,
    bundles: bool | None = None,
    into: str | None = None,
) -> None:
    """Parse the options into a request, match the table (matching), say what came of it."""
    from zzcbec_docs.calculator.table_read import read_columns_map
    from zzcbec_docs.check import read_exclusion_list
    from zzcbec_docs.cli.main import EXIT_FAIL, Outcome
    from zzcbec_docs.cli.options import load_policy_option
    from zzcbec_docs.errors import ArgumentError, UsageError, ZzcbecError
    from zzcbec_docs.matching import TableRequest, check_request, match_table

    request = TableRequest(
        engine=engine or "duckdb", table_path=table_path, db_table=db_table, into=into, out_dir=out_dir, jobs=jobs
    )
    try:
        check_request(request)
    except ArgumentError as e:
        raise UsageError(e.zh, e.en) from None
    if settings:
        raise UsageError("--set 只用于单个企业画像", "--set applies to one profile, not to a table")
    try:
        policy = load_policy_option(policy_file, issued_on)
        excluded = read_exclusion_list(exclusion_list) if exclusion_list else frozenset()
        mapping = read_columns_map(columns, policy) if columns else None
    except ZzcbecError as e:
        raise UsageError(e.zh, e.en, file=e.file, pointer=e.pointer) from None
    request = replace(request, exclusion_list=excluded, ledger_url=ledger_url, bundles=bundles, columns_map=mapping)
    progress = TableProgress(sys.stderr, sys.stderr.isatty())
    previous = signal.signal(signal.SIGTERM, _interrupted)  # `kill`: stop the workers, leave no partial file
    try:
        summary = match_table(request, policy, progress=progress)
    finally:
        signal.signal(signal.SIGTERM, previous)
    progress.done(summary)
    for bad in summary.first_errors:
        click.echo(f"有误 / bad row: {table_path or db_table}: {bad.message}", err=True)
    if summary.bad_rows > len(summary.first_errors):
        click.echo(f"…… 共 {summary.bad_rows} 行有误，详见 / all bad rows in {request.errors_place}", err=True)
    if as_json:
        click.echo(json.dumps(summary_json(request, summary), ensure_ascii=False))
    else:
        click.echo("\n".join(summary_lines(request, summary)))
    if summary.bad_rows:
        raise Outcome(EXIT_FAIL)


def summary_json(request: TableRequest, summary: TableSummary) -> dict[str, Any]:
    from zzcbec_docs.matching import engine_name

    out_dir = request.out_dir
    return {
        "source": request.table_path,
        "rows": summary.rows,
        "bad_rows": summary.bad_rows,
        "matched": summary.rows - summary.bad_rows,
        "statuses": summary.statuses,
        "bundles": summary.bundles,
        "total": f"{summary.amount:.2f}",
        "ledger": bool(request.ledger_url),
        "seconds": round(summary.seconds, 2),
        "engine": engine_name(request.engine),
        "matches": summary.matches,
        "peak_rss_mib": _peak_mib(),
        "files": [str(out_dir / n) for n in summary.files] if out_dir else [],
        "cut": summary.cut,
        "into": request.into,
    }


def summary_lines(request: TableRequest, summary: TableSummary) -> list[str]:
    from zzcbec_docs.matching import engine_name
    from zzcbec_docs.money import fmt_yuan

    s, out_dir = summary.statuses, request.out_dir
    lines = [
        f"企业年度 rows: {summary.rows}（匹配 matched {summary.rows - summary.bad_rows}，有误 bad {summary.bad_rows}）",
        f"可申报 eligible {s['eligible']}，暂不符合 not eligible {s['not_eligible']}，信息不足 undecided "
        f"{s['undecided']}，按现行政策 referred {s['referred']}，不在支持范围 excluded {s['excluded']}",
        f"预填申报材料 bundles: {summary.bundles}"
        + (f"（{out_dir / 'bundles'}）" if out_dir else "")
        + "；测算金额合计 total "
        f"{fmt_yuan(summary.amount)}（以审核认定为准 / subject to review）"
        + ("；已计入台账 / the ledger's awards counted" if request.ledger_url else ""),
    ]
    if out_dir:
        lines.append(
            f"结果 results: {', '.join(str(out_dir / n) for n in summary.files if n != 'errors.csv')}"
            f"；用时 {summary.seconds:.1f} s"
        )
    if request.into:
        lines.append(f"结果已写回 results written to {request.into}；用时 {summary.seconds:.1f} s")
    lines.append(f"引擎 engine: {engine_name(request.engine)}；内存峰值 peak memory {_peak_mib():,} MiB")
    if summary.cut:
        lines.append(
            f"matches.xlsx 仅含前 {summary.matches - summary.cut:,} 行（Excel 每表上限 1,048,576 行），"
            f"其余 {summary.cut:,} 行见 matches.csv / matches.parquet / the sheet holds the first "
            f"{summary.matches - summary.cut:,} rows (Excel's limit); all rows are in matches.csv and .parquet"
        )
    if summary.bundles == 0 and summary.bundles_skipped:
        lines.append(
            "未写预填申报材料（表格较大；需要时加 --bundles）/ no pre-filled bundles for a table this size "
            "(add --bundles)"
        )
    return lines
