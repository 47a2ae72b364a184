"""`zzcbec batch IN... --out DIR`: check every bundle, render the eligible ones in parallel, summarise."""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from zzcbec_docs.cli.main import EXIT_FAIL, Outcome
from zzcbec_docs.cli.options import (
    exclusion_option,
    issued_on_option,
    ledger_option,
    load_policy_option,
    policy_option,
    reading_ledger,
    split_list,
)
from zzcbec_docs.cli.sources import expand_sources, finish

if TYPE_CHECKING:
    from zzcbec_docs.batch.runner import BatchItem


class Progress:
    """A bar with counts and time left on a terminal; a plain line per bundle otherwise."""

    def __init__(self, stream: TextIO, tty: bool) -> None:
        self.stream, self.tty = stream, tty
        self.t0 = time.perf_counter()
        self.failed = 0
        self.last = 0.0

    def __call__(self, item: BatchItem, done: int, total: int) -> None:
        if not item.ok and (item.errors or item.crashed or not item.result.valid):
            self.failed += 1
        elapsed = time.perf_counter() - self.t0
        left = elapsed / done * (total - done) if done else 0.0
        if self.tty:
            now = time.perf_counter()
            if now - self.last < 0.1 and done < total:
                return
            self.last = now
            width = 30
            filled = int(width * done / max(total, 1))
            bar = "█" * filled + "░" * (width - filled)
            self.stream.write(
                f"\r{bar} {done}/{total}  失败 failed {self.failed}  用时 {elapsed:5.0f}s  剩余 left ~{left:4.0f}s "
            )
            if done == total:
                self.stream.write("\n")
            self.stream.flush()
        else:
            mark = "✓" if item.ok else ("·" if item.result.valid and not item.errors else "✗")
            what = (
                "unchanged, reused"
                if item.skipped
                else f"{len(item.files)} documents"
                if item.files
                else "invalid"
                if not item.result.valid
                else "no documents"
            )
            extra = f" — {'; '.join(item.errors)}" if item.errors else ""
            self.stream.write(
                f"[{done}/{total}] {mark} {item.source}: {what} ({elapsed:.1f} s, ~{left:.0f} s left){extra}\n"
            )
            self.stream.flush()


@click.command()
@click.argument("inputs", nargs=-1, required=True, metavar="IN...")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--jobs",
    type=click.IntRange(min=0, max=64),
    default=0,
    show_default=True,
    help="并行进程数（0 为 CPU 核数）/ worker processes (0: the machine's cores)",
)
@click.option("--docs", default="application,opinion,notice", show_default=True, help="application,opinion,notice")
@click.option("--format", "formats", default="docx,pdf", show_default=True, help="docx,pdf")
@click.option(
    "--recycle-after",
    type=click.IntRange(min=1),
    default=40,
    show_default=True,
    help="每个进程处理多少份材料后更换 / bundles per worker before it is replaced",
)
@ledger_option
@exclusion_option
@issued_on_option
@policy_option
def batch(
    inputs: tuple[str, ...],
    out_dir: Path,
    jobs: int,
    docs: str,
    formats: str,
    recycle_after: int,
    ledger_url: str | None,
    exclusion_list: Path | None,
    issued_on: dt.date | None,
    policy_file: Path | None,
) -> None:
    """批量受理 / check a folder of bundles, render every document of the eligible ones in parallel,
    and write summary.csv and summary.xlsx into DIR. Run it again after an interruption: it
    finishes the rest and reuses documents whose bundle, policy and tool version are unchanged.
    """
    from zzcbec_docs.batch import BatchOptions, run_batch
    from zzcbec_docs.batch.summary import report, write_csv, write_xlsx
    from zzcbec_docs.cli.render import FORMATS, KINDS
    from zzcbec_docs.errors import UsageError, ZzcbecError
    from zzcbec_docs.process.rendering import environment_notes, prepare_fonts
    from zzcbec_docs.process.service import Service

    kinds = tuple(split_list(docs, KINDS, "--docs"))
    fmts = tuple(split_list(formats, FORMATS, "--format"))
    try:
        service = Service.build(None, load_policy_option(policy_file, issued_on), exclusion_list=exclusion_list)
    except ZzcbecError as e:
        raise UsageError(e.zh, e.en, file=e.file, pointer=e.pointer) from None
    prepare_fonts()  # no CJK font: said once, before any worker starts; working copies built once, not raced
    for note in environment_notes():
        click.echo(f"注意 / note: {note}", err=True)
    service = service.with_ledger(reading_ledger(ledger_url))
    if service.ledger_name is not None:
        click.echo(f"已计入台账 / counting the ledger: {service.ledger_name}", err=True)
    sources, unreadable = expand_sources(inputs)
    for src, msg in unreadable:
        click.echo(f"无法读取 / unreadable: {src}: {msg}", err=True)
    options = BatchOptions(
        out_dir=out_dir,
        kinds=kinds,
        formats=fmts,
        jobs=jobs,
        recycle_after=recycle_after,
        policy_file=str(policy_file) if policy_file else None,
        issued_on=issued_on.isoformat() if issued_on else None,
        exclusion_list=service.exclusion_list,
    )
    t0 = time.perf_counter()
    progress = Progress(sys.stderr, sys.stderr.isatty())
    items = run_batch(sources, service.policy, options, progress=progress, ledger=service.ledger)
    write_csv(items, out_dir / "summary.csv")
    write_xlsx(items, out_dir / "summary.xlsx")
    click.echo(report(items, time.perf_counter() - t0))
    click.echo(f"汇总 summary: {out_dir / 'summary.csv'}, {out_dir / 'summary.xlsx'}")
    code = 0 if items and all(i.ok for i in items) else EXIT_FAIL
    if unreadable:
        finish(code, unreadable)
    if code:
        raise Outcome(code)
