"""`zzcbec render BUNDLE... --doc … --format … --out DIR`: the documents."""

from __future__ import annotations

import time
from pathlib import Path

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

KINDS = ("application", "opinion", "notice")
FORMATS = ("docx", "pdf")

doc_option = click.option("--doc", "docs", default="application,opinion,notice", show_default=True,
                          help="文书种类 / document kinds: application,opinion,notice")
format_option = click.option("--format", "formats", default="docx,pdf", show_default=True,
                             help="格式 / formats: docx,pdf")
out_option = click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
                          help="输出目录 / output folder")
issuer_option = click.option("--issuer", default=None,
                             help="发文机关（默认取发文机关配置）/ issuing authority (default: the issuer profile's)")
profile_option = click.option("--issuer-profile", "profile", type=click.Path(dir_okay=False), default=None,
                              envvar="ZZCBEC_ISSUER_PROFILE", show_envvar=True,
                              help="发文机关配置 YAML：版头、代字、抄送、印发机关、附注、字体（默认郑州市商务局）/ "
                                   "issuer profile (default: 郑州市商务局)")
number_option = click.option("--number", default=None, hidden=True,
                             help="不再支持：编号由 award 给出 / no longer: numbers come from `award`")
date_option = click.option("--date", "doc_date", type=IsoDate(), default=None,
                           help="成文日期（默认今天）/ date of the notice (default: today)")


def environment_notes() -> list[str]:
    from zzcbec_docs.documents import fonts

    notes = []
    if not fonts.harfbuzz_subset_available():
        notes.append(" / ".join(fonts.HARFBUZZ_WARNING))
    return notes


def render_many(sources: list[str], policy, *, kinds: list[str], formats: list[str], out_dir: Path,  # type: ignore[no-untyped-def]
                review_path: Path | None, notice, exclusion_list: frozenset[str], ledger=None) -> int:
    """Render each bundle; a bad bundle is reported and skipped. Returns the exit code.

    The decisions are made once per bundle, counting the ledger when one is given; with a review,
    its verified facts decide the opinion and the notice, and its conclusion must agree with them
    (a rejection gets an opinion at 0 and no notice). A notice here is a specimen (样稿).
    """
    from zzcbec_docs.check import validate_file
    from zzcbec_docs.documents.atomic import write_atomic
    from zzcbec_docs.documents.render import tune_for_rendering
    from zzcbec_docs.documents.review import check_matches, load_review
    from zzcbec_docs.errors import ZzcbecError
    from zzcbec_docs.process.cases import apply_verified, contradiction, rejected, verified_facts
    from zzcbec_docs.process.decide import check_with_ledger, decide_counting
    from zzcbec_docs.process.documents import make_document
    from zzcbec_docs.process.model import VerifiedClaim

    tune_for_rendering()
    review = load_review(review_path, policy) if review_path else None
    code = 0
    for src in sources:
        bundle, problems, _ = validate_file(src, policy)
        if bundle is None:
            click.echo(f"✗ {src}: 无效，已跳过 / invalid, skipped", err=True)
            for p in problems:
                click.echo(f"    {p.path}: {p.message}", err=True)
            code = EXIT_FAIL
            continue
        try:
            if ledger is not None:
                declared = check_with_ledger(bundle, policy, ledger, exclusion_list=exclusion_list)
                history = tuple(ledger.history_readonly(bundle.applicant.uscc))
            else:
                declared, history = decide_counting(bundle, policy, (), exclusion_list=exclusion_list), ()
            verified, refusal = declared, None
            if review is not None:
                check_matches(review, bundle)
                facts = verified_facts([VerifiedClaim(k[0], k[1], v) for k, v in review.verified.items()], bundle,
                                       file=review.source, policy=policy)
                verified = decide_counting(apply_verified(bundle, facts), policy, history,
                                           exclusion_list=exclusion_list)
                refusal = contradiction(review.conclusion, verified)
                if review.conclusion == "reject":
                    verified = rejected(verified, review.remarks)
        except ZzcbecError as e:
            click.echo(f"✗ {src}: {e.message}", err=True)
            code = EXIT_FAIL
            continue
        for w in declared.warnings:
            if w.code in ("ledger_counted", "already_awarded_bundle", "revoked_award"):
                click.echo(f"  注意 / note: {w.message} / {w.message_en}")
        for kind in kinds:
            t0 = time.perf_counter()
            if kind in ("opinion", "notice") and refusal is not None:
                click.echo(f"✗ {src} {kind}: {review.source}: {refusal[0]} / {refusal[1]}", err=True)  # type: ignore[union-attr]
                code = EXIT_FAIL
                continue
            if kind == "notice" and review is not None and review.conclusion == "reject":
                click.echo(f"✗ {src} notice: 审核结论为不同意，不出具奖励通知书 / the review rejects the application: "
                           "no award notice", err=True)
                code = EXIT_FAIL
                continue
            paths = []
            try:
                for fmt in formats:
                    name, data = make_document(kind, fmt, bundle, policy, declared=declared, verified=verified,
                                               review=review, issuer=notice.issuer, date=notice.date,
                                               profile=notice.profile)
                    write_atomic(out_dir / name, data)
                    paths.append(out_dir / name)
            except ZzcbecError as e:
                click.echo(f"✗ {src} {kind}: {e.message}", err=True)
                code = EXIT_FAIL
                continue
            ms = (time.perf_counter() - t0) * 1000
            mark = "（样稿，无文号 / specimen, no number）" if kind == "notice" else ""
            click.echo(f"✓ {src} → {', '.join(str(p) for p in paths)}{mark} ({ms:.0f} ms)")
    return code


@click.command()
@bundles_argument
@doc_option
@format_option
@out_option
@click.option("--review", "review_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="审核记录 YAML / review record (for the opinion and the notice)")
@issuer_option
@profile_option
@number_option
@date_option
@exclusion_option
@issued_on_option
@policy_option
@ledger_option
def render(bundles: tuple[str, ...], docs: str, formats: str, out_dir: Path, review_path: Path | None,
           issuer: str | None, profile: str | None, number: str | None, doc_date, exclusion_list: Path | None,  # type: ignore[no-untyped-def]
           issued_on, policy_file: Path | None, ledger_url: str | None) -> None:
    """生成申报表、审核意见书、奖励通知书（DOCX 与 PDF）/ render the documents of bundles.

    The notice's 版头 and 版记 (发文机关标志, 代字, 抄送, 印发机关, 附注) come from the issuer profile.

    File names hold the USCC, the year and the kind: 91410100MA46000016-2026-opinion.pdf. A notice
    made here is a specimen (样稿, no number: …-notice-specimen.pdf); only `award` numbers notices.
    With --ledger (or ZZCBEC_LEDGER), the ledger's awards count against the caps.
    """
    from zzcbec_docs.check import read_exclusion_list
    from zzcbec_docs.documents.content import NoticeOptions
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
    try:
        policy = load_policy_option(policy_file, issued_on)
        excluded = read_exclusion_list(exclusion_list) if exclusion_list else frozenset()
        notice = NoticeOptions(issuer=issuer, number=number, date=doc_date, profile=profile).checked()
        from zzcbec_docs.documents.issuer import apply_fonts

        apply_fonts(notice.issuer_profile())
    except ZzcbecError as e:
        raise UsageError(e.zh, e.en, file=e.file, pointer=e.pointer) from None
    for note in environment_notes():
        click.echo(f"注意 / note: {note}", err=True)
    sources, unreadable = expand_sources(bundles)
    code = render_many(sources, policy, kinds=kinds, formats=fmts, out_dir=out_dir, review_path=review_path,
                       notice=notice, exclusion_list=excluded, ledger=reading_ledger(ledger_url))
    finish(code, unreadable)
