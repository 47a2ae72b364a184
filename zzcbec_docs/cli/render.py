"""`zzcbec render BUNDLE... --doc … --format … --out DIR`: the documents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from zzcbec_docs.cli.main import EXIT_FAIL
from zzcbec_docs.cli.options import (
    IsoDate,
    bundles_argument,
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
    from zzcbec_docs.process.rendering import BundleDocuments

Lines = list[tuple[bool, str]]  # (to stderr?, line)

KINDS = ("application", "opinion", "notice")
FORMATS = ("docx", "pdf")

doc_option = click.option(
    "--doc",
    "docs",
    default="application,opinion,notice",
    show_default=True,
    help="文书种类 / document kinds: application,opinion,notice",
)
format_option = click.option(
    "--format", "formats", default="docx,pdf", show_default=True, help="格式 / formats: docx,pdf"
)
out_option = click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="输出目录 / output folder"
)
issuer_option = click.option(
    "--issuer", default=None, help="发文机关（默认取发文机关配置）/ issuing authority (default: the issuer profile's)"
)
profile_option = click.option(
    "--issuer-profile",
    "profile",
    type=click.Path(dir_okay=False),
    default=None,
    envvar="ZZCBEC_ISSUER_PROFILE",
    show_envvar=True,
    help="发文机关配置 YAML：版头、代字、抄送、印发机关、附注、字体（默认郑州市商务局）/ "
    "issuer profile (default: 郑州市商务局)",
)
number_option = click.option(
    "--number", default=None, hidden=True, help="不再支持：编号由 award 给出 / no longer: numbers come from `award`"
)
date_option = click.option(
    "--date", "doc_date", type=IsoDate(), default=None, help="成文日期（默认今天）/ date of the notice (default: today)"
)


def echo_documents(results: Iterable[BundleDocuments]) -> int:
    """Print each bundle's lines as it is done (results on stdout, failures on stderr); the exit code."""
    code = 0
    for res in results:
        for to_err, line in bundle_lines(res):
            click.echo(line, err=to_err)
        if not res.ok:
            code = EXIT_FAIL
    return code


def bundle_lines(res: BundleDocuments) -> Lines:
    """What the command prints for one bundle's outcome (process.rendering.BundleDocuments)."""
    src = res.source
    if res.crashed:
        return [(True, f"✗ {src}: 渲染进程崩溃，已跳过 / the renderer crashed; skipped")]
    if res.invalid:
        return [(True, f"✗ {src}: 无效，已跳过 / invalid, skipped")] + [
            (True, f"    {p.path}: {p.message}") for p in res.problems
        ]
    if res.error is not None:
        return [(True, f"✗ {src}: {res.error}")]
    lines = [(False, f"  注意 / note: {w.message} / {w.message_en}") for w in res.notes]
    for m in res.made:
        if m.refused is not None:
            where = f"{m.where}: " if m.where else ""
            lines.append((True, f"✗ {src} {m.kind}: {where}{m.refused[0]} / {m.refused[1]}"))
        elif m.error is not None:
            lines.append((True, f"✗ {src} {m.kind}: {m.error}"))
        else:
            mark = "（样稿，无文号 / specimen, no number）" if m.kind == "notice" else ""
            lines.append((False, f"✓ {src} → {', '.join(str(p) for p in m.paths)}{mark} ({m.ms:.0f} ms)"))
    return lines


@click.command()
@bundles_argument
@doc_option
@format_option
@out_option
@click.option(
    "--review",
    "review_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="审核记录 YAML / review record (for the opinion and the notice)",
)
@issuer_option
@profile_option
@number_option
@date_option
@exclusion_option
@issued_on_option
@policy_option
@ledger_option
@click.option(
    "--jobs",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="并行进程数（0 为全部核心）/ worker processes (0: every core; 1: none)",
)
def render(
    bundles: tuple[str, ...],
    docs: str,
    formats: str,
    out_dir: Path,
    review_path: Path | None,
    issuer: str | None,
    profile: str | None,
    number: str | None,
    doc_date: dt.date | None,
    exclusion_list: Path | None,
    issued_on: dt.date | None,
    policy_file: Path | None,
    ledger_url: str | None,
    jobs: int,
) -> None:
    """生成申报表、审核意见书、奖励通知书（DOCX 与 PDF）/ render the documents of bundles.

    The notice's 版头 and 版记 (发文机关标志, 代字, 抄送, 印发机关, 附注) come from the issuer profile.

    File names hold the USCC, the year and the kind: 91410100MA46000016-2026-opinion.pdf. A notice
    made here is a specimen (样稿, no number: …-notice-specimen.pdf); only `award` numbers notices.
    With --ledger (or ZZCBEC_LEDGER), the ledger's awards count against the caps.
    """
    from zzcbec_docs.errors import UsageError, ZzcbecError

    if number is not None:
        raise UsageError(
            "render 只出具样稿（无文号）；编号的奖励通知书由 zzcbec award 记账后出具",
            "render makes specimens (no number); a numbered notice is issued by `zzcbec award`, which records it",
        )
    kinds = split_list(docs, KINDS, "--doc")
    fmts = split_list(formats, FORMATS, "--format")
    if review_path is not None and len(bundles) > 1:
        raise UsageError("--review 只能配合一个申报材料使用", "--review goes with exactly one bundle")
    sources, unreadable = expand_sources(bundles)
    from zzcbec_docs.process.rendering import early_workers

    workers = early_workers(len(sources), kinds, fmts, jobs)  # one bundle: forked now, warming up meanwhile
    try:
        from zzcbec_docs.check import read_exclusion_list
        from zzcbec_docs.process.rendering import notice_options
        from zzcbec_docs.process.service import Service

        try:
            policy = load_policy_option(policy_file, issued_on)
            excluded = read_exclusion_list(exclusion_list) if exclusion_list else frozenset()
            notice = notice_options(issuer=issuer, number=number, date=doc_date, profile=profile)
            service = Service.build(None, policy, issuer=notice.issuer_profile(), exclusion_list=excluded)
            service.apply_fonts()
        except ZzcbecError as e:
            raise UsageError(e.zh, e.en, file=e.file, pointer=e.pointer) from None
        from zzcbec_docs.process.rendering import environment_notes

        for note in environment_notes():
            click.echo(f"注意 / note: {note}", err=True)
        service = service.with_ledger(reading_ledger(ledger_url))
        code = echo_documents(
            service.render_documents(
                sources,
                kinds=kinds,
                formats=fmts,
                out_dir=out_dir,
                review_path=review_path,
                notice=notice,
                jobs=jobs,
                workers=workers,
            )
        )
    finally:
        if workers is not None:
            workers.close()
    finish(code, unreadable)
