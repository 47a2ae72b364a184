"""`zzcbec render BUNDLE... --doc … --format … --out DIR`: the documents."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import click

from zzcbec_docs.cli.main import EXIT_FAIL
from zzcbec_docs.cli.options import (
    IsoDate,
    bundles_argument,
    exclusion_option,
    issued_on_option,
    load_policy_option,
    policy_option,
    split_list,
)
from zzcbec_docs.cli.sources import expand_sources, finish

KINDS = ("application", "opinion", "notice")
FORMATS = ("docx", "pdf")

doc_option = click.option("--doc", "docs", default="application,opinion,notice", show_default=True,
                          help="文书种类 / document kinds: application,opinion,notice")
format_option = click.option("--format", "formats", default="docx,pdf", show_default=True,
                             help="格式 / formats: docx,pdf")
out_option = click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
                          help="输出目录 / output folder")
issuer_option = click.option("--issuer", default="郑州市商务局", show_default=True, help="发文机关 / issuing authority")
number_option = click.option("--number", default=None, help="发文字号，如 郑商务〔2026〕15号 / document number")
date_option = click.option("--date", "doc_date", type=IsoDate(), default=None,
                           help="成文日期（默认今天）/ date of the notice (default: today)")


def environment_notes() -> list[str]:
    from zzcbec_docs.documents import fonts

    notes = []
    if not fonts.harfbuzz_subset_available():
        notes.append(" / ".join(fonts.HARFBUZZ_WARNING))
    return notes


def render_many(sources: list[str], policy, *, kinds: list[str], formats: list[str], out_dir: Path,  # type: ignore[no-untyped-def]
                review_path: Path | None, notice, exclusion_list: frozenset[str], jobs: int = 0) -> int:
    """Render each bundle; a bad bundle is reported and skipped. Returns the exit code.

    Several bundles are rendered on all cores (`jobs`, 0: every usable core): the renderers are
    warmed here once, then forked workers share them; the lines are printed in the bundles' order.
    """
    from zzcbec_docs.check import validate_file
    from zzcbec_docs.documents import parallel
    from zzcbec_docs.documents.render import tune_for_rendering
    from zzcbec_docs.documents.review import load_review

    tune_for_rendering()
    review = load_review(review_path) if review_path else None
    job = _RenderJob(policy, tuple(kinds), tuple(formats), out_dir, review, notice, exclusion_list)
    workers = parallel.worker_count(len(sources), jobs)
    if workers > 1:
        if "-" in sources:  # standard input is read here, once, not by a worker
            job.read_first["-"] = validate_file("-")
        parallel.warm(formats, kinds)
        results = parallel.fork_map(_render_source, job, sources, workers)
    else:
        results = (_render_source(job, src) for src in sources)
    code = 0
    for src, res in zip(sources, results, strict=True):
        if isinstance(res, parallel.WorkerCrashed):
            click.echo(f"✗ {src}: 渲染进程崩溃，已跳过 / the renderer crashed; skipped", err=True)
            code = EXIT_FAIL
            continue
        for to_err, line in res[1]:
            click.echo(line, err=to_err)
        code = max(code, res[0])
    return code


@dataclass
class _RenderJob:
    policy: object
    kinds: tuple[str, ...]
    formats: tuple[str, ...]
    out_dir: Path
    review: object
    notice: object
    exclusion_list: frozenset[str]
    read_first: dict = field(default_factory=dict)  # source → validate_file result, read before forking


def _render_source(job: _RenderJob, src: str) -> tuple[int, list[tuple[bool, str]]]:
    """One bundle's documents: (exit code, [(to stderr?, line)])."""
    from zzcbec_docs.check import validate_file
    from zzcbec_docs.documents import render_bundle
    from zzcbec_docs.errors import ZzcbecError

    lines: list[tuple[bool, str]] = []
    bundle, problems, _ = job.read_first[src] if src in job.read_first else validate_file(src)
    if bundle is None:
        lines.append((True, f"✗ {src}: 无效，已跳过 / invalid, skipped"))
        lines += [(True, f"    {p.path}: {p.message}") for p in problems]
        return EXIT_FAIL, lines
    code = 0
    for kind in job.kinds:
        t0 = time.perf_counter()
        try:
            files = render_bundle(bundle, job.policy, kinds=[kind], formats=job.formats, out_dir=job.out_dir,  # type: ignore[arg-type]
                                  review=job.review, notice=job.notice, exclusion_list=job.exclusion_list)  # type: ignore[arg-type]
        except ZzcbecError as e:
            lines.append((True, f"✗ {src} {kind}: {e.message}"))
            code = EXIT_FAIL
            continue
        ms = (time.perf_counter() - t0) * 1000
        lines.append((False, f"✓ {src} → {', '.join(str(f.path) for f in files)} ({ms:.0f} ms)"))
    return code, lines


@click.command()
@bundles_argument
@doc_option
@format_option
@out_option
@click.option("--review", "review_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="审核记录 YAML / review record (for the opinion and the notice)")
@issuer_option
@number_option
@date_option
@exclusion_option
@issued_on_option
@policy_option
@click.option("--jobs", type=click.IntRange(min=0), default=0, show_default=True,
              help="并行进程数（0 为全部核心）/ worker processes for several bundles (0: every core)")
def render(bundles: tuple[str, ...], docs: str, formats: str, out_dir: Path, review_path: Path | None,
           issuer: str, number: str | None, doc_date, exclusion_list: Path | None, issued_on,  # type: ignore[no-untyped-def]
           policy_file: Path | None, jobs: int) -> None:
    """生成申报表、审核意见书、奖励通知书（DOCX 与 PDF）/ render the documents of bundles.

    File names hold the USCC, the year and the kind: 91410100MA46000016-2026-notice.pdf.
    """
    from zzcbec_docs.check import read_exclusion_list
    from zzcbec_docs.documents.content import NoticeOptions
    from zzcbec_docs.errors import UsageError, ZzcbecError

    kinds = split_list(docs, KINDS, "--doc")
    fmts = split_list(formats, FORMATS, "--format")
    if review_path is not None and len(bundles) > 1:
        raise UsageError("--review 只能配合一个申报材料使用", "--review goes with exactly one bundle")
    try:
        policy = load_policy_option(policy_file, issued_on)
        excluded = read_exclusion_list(exclusion_list) if exclusion_list else frozenset()
        notice = NoticeOptions(issuer=issuer, number=number, date=doc_date).checked()
    except ZzcbecError as e:
        raise UsageError(e.zh, e.en, file=e.file, pointer=e.pointer) from None
    for note in environment_notes():
        click.echo(f"注意 / note: {note}", err=True)
    sources, unreadable = expand_sources(bundles)
    code = render_many(sources, policy, kinds=kinds, formats=fmts, out_dir=out_dir, review_path=review_path,
                       notice=notice, exclusion_list=excluded, jobs=jobs)
    finish(code, unreadable)
