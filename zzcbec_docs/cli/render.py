"""`zzcbec render BUNDLE... --doc … --format … --out DIR`: the documents."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def environment_notes() -> list[str]:
    from zzcbec_docs.documents import fonts

    notes = []
    if not fonts.harfbuzz_subset_available():
        notes.append(" / ".join(fonts.HARFBUZZ_WARNING))
    return notes


def plan_workers(sources: int, documents: int, jobs: int) -> int:
    """Worker processes for a command: none with `--jobs 1` or on one core (everything in this
    process); else one per core (`jobs`, 0: every usable core), no more than there is work for.
    Several bundles: whole bundles each. One bundle: its documents' files, while this process
    checks it and builds their content (so the workers' warm-up costs no time)."""
    from zzcbec_docs.documents.parallel import usable_cores

    cores = jobs or usable_cores()
    if cores <= 1 or sources == 0:
        return 0
    return min(cores, sources if sources > 1 else documents)


def render_many(
    sources: list[str],
    policy,
    *,
    kinds: list[str],
    formats: list[str],
    out_dir: Path,  # type: ignore[no-untyped-def]
    review_path: Path | None,
    notice,
    exclusion_list: frozenset[str],
    ledger=None,
    jobs: int = 0,
    workers=None,
) -> int:
    """Render each bundle; a bad bundle is reported and skipped. Returns the exit code.

    The decisions are made once per bundle, counting the ledger when one is given; with a review,
    its verified facts decide the opinion and the notice, and its conclusion must agree with them
    (a rejection gets an opinion at 0 and no notice). A notice here is a specimen (样稿).

    With `workers` (documents.parallel.Workers, started early by the command) or `jobs` other
    than 1, the work is shared by forked worker processes (see plan_workers); the lines are
    printed in the bundles' order and the files are the same bytes as made here one by one.
    """
    from zzcbec_docs.documents import parallel
    from zzcbec_docs.documents.review import load_review
    from zzcbec_docs.documents.writers import tune_for_rendering

    tune_for_rendering()
    review = load_review(review_path, policy) if review_path else None
    job = _RenderJob(
        policy, tuple(kinds), tuple(formats), out_dir, review, notice, exclusion_list, _same_applicant_year(sources)
    )
    if workers is None and jobs != 1:
        count = plan_workers(len(sources), len(kinds) * len(formats), jobs)
        if count and len(sources) > 1:
            parallel.warm(formats, kinds)  # once, here: the workers forked next share it
        workers = parallel.Workers(count, formats, kinds, templates=len(sources) > 1) if count else None
    try:
        if workers is None:
            results = (_render_source(job, src, _prepare(job, src, ledger)) for src in sources)
        elif len(sources) == 1:
            results = iter([_render_split(job, sources[0], _prepare(job, sources[0], ledger), workers)])
        else:
            # Standard input is read here, once; with a ledger, the decisions are made here (the
            # ledger stays in this process); the workers check and decide the rest themselves.
            first = {s: _prepare(job, s, ledger) for s in sources if s == "-" or ledger is not None}
            results = parallel.run_ordered(workers, _render_source, [(job, s, first.get(s)) for s in sources])
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
    finally:
        if workers is not None:
            workers.close()


Lines = list[tuple[bool, str]]  # (to stderr?, line)


@dataclass
class _RenderJob:
    policy: object
    kinds: tuple[str, ...]
    formats: tuple[str, ...]
    out_dir: Path
    review: object
    notice: object
    exclusion_list: frozenset[str]
    clashing: frozenset[tuple[str, int]] = frozenset()  # (USCC, year) of more than one source


def _same_applicant_year(sources: list[str]) -> frozenset[tuple[str, int]]:
    """The (USCC, year) that more than one of the sources names (a light read of each file: the full
    check comes later); their documents' names then carry the case id."""
    from zzcbec_docs.errors import ZzcbecError
    from zzcbec_docs.loading import decode_text, parse_text, read_limited

    if len(sources) < 2:
        return frozenset()
    seen: dict[tuple[str, int], int] = {}
    for src in sources:
        if src == "-":
            continue
        try:
            data = parse_text(decode_text(read_limited(Path(src), ZzcbecError), src, ZzcbecError), src, ZzcbecError)
        except (ZzcbecError, OSError):
            continue
        applicant = data.get("applicant") if isinstance(data, dict) else None
        if isinstance(applicant, dict) and isinstance(applicant.get("uscc"), str) and isinstance(data.get("year"), int):
            key = (applicant["uscc"].strip().upper(), data["year"])
            seen[key] = seen.get(key, 0) + 1
    return frozenset(k for k, n in seen.items() if n > 1)


def _name(job: _RenderJob, bundle, kind: str, fmt: str) -> str:  # type: ignore[no-untyped-def]
    """The file's name; with the case id when another source of this render has the same USCC and year."""
    from zzcbec_docs.documents.render import file_name

    case = None
    if (bundle.applicant.uscc.strip().upper(), bundle.year) in job.clashing:
        from zzcbec_docs.process.identity import canonical_json, case_id_for, content_sha256

        case = case_id_for(content_sha256(canonical_json(bundle)))
    return file_name(bundle, kind, fmt, case=case)


@dataclass
class _Decided:
    """One bundle, checked and decided: what its documents are made from."""

    bundle: object
    declared: object
    verified: object
    refusal: tuple[str, str] | None
    notes: Lines


def _prepare(job: _RenderJob, src: str, ledger=None) -> _Decided | tuple[int, Lines]:  # type: ignore[no-untyped-def]
    """One bundle checked and decided (counting the ledger when one is given; with the review's
    verified facts for the opinion and the notice), or (exit code, lines) when it cannot be."""
    from zzcbec_docs.check import validate_file
    from zzcbec_docs.documents.review import check_matches
    from zzcbec_docs.errors import ZzcbecError
    from zzcbec_docs.process.decide import decide_counting, ledger_check
    from zzcbec_docs.process.model import VerifiedClaim
    from zzcbec_docs.process.verified import (
        apply_verified,
        contradiction,
        no_more_than_declared,
        rejected,
        verified_facts,
    )

    policy, review, exclusion_list = job.policy, job.review, job.exclusion_list
    bundle, problems, _ = validate_file(src, policy)  # type: ignore[arg-type]
    if bundle is None:
        lines = [(True, f"✗ {src}: 无效，已跳过 / invalid, skipped")]
        lines += [(True, f"    {p.path}: {p.message}") for p in problems]
        return EXIT_FAIL, lines
    try:
        # a case never competes with itself: the ledger's awards but this content's own (documents made
        # again after the award say what they said before it; the notes name its notice)
        history: tuple = ()
        organisers: tuple = ()
        if ledger is not None:
            declared, view = ledger_check(
                bundle,
                policy,
                ledger,
                exclusion_list=exclusion_list,  # type: ignore[arg-type]
                show_awarded=False,
            )
            history, organisers = view.history, view.organisers
        else:
            declared = decide_counting(bundle, policy, (), exclusion_list=exclusion_list)  # type: ignore[arg-type]
        verified, refusal = declared, None
        if review is not None:
            check_matches(review, bundle)  # type: ignore[arg-type]
            facts = verified_facts(
                [VerifiedClaim(k[0], k[1], v) for k, v in review.verified.items()],
                bundle,  # type: ignore[attr-defined]
                file=review.source,
                policy=policy,
            )  # type: ignore[attr-defined, arg-type]
            verified = no_more_than_declared(
                declared,
                decide_counting(  # type: ignore[arg-type]
                    apply_verified(bundle, facts, policy),
                    policy,
                    history,
                    exclusion_list=exclusion_list,  # type: ignore[arg-type]
                    organisers=organisers,
                ),
            )
            refusal = contradiction(review.conclusion, verified)  # type: ignore[attr-defined]
            if review.conclusion == "reject":  # type: ignore[attr-defined]
                verified = rejected(verified, review.remarks)  # type: ignore[attr-defined]
    except ZzcbecError as e:
        return EXIT_FAIL, [(True, f"✗ {src}: {e.message}")]
    notes = [
        (False, f"  注意 / note: {w.message} / {w.message_en}")
        for w in declared.warnings
        if w.code in ("ledger_counted", "already_awarded_bundle", "revoked_award")
    ]
    notes += [
        (False, f"  注意 / note: {w.message} / {w.message_en}")
        for w in verified.warnings  # type: ignore[attr-defined]
        if w.code == "review_raises"
    ]
    return _Decided(bundle, declared, verified, refusal, notes)


def _refused(job: _RenderJob, src: str, decided: _Decided, kind: str) -> str | None:
    """Why this kind is not made for this bundle (the review contradicts the decisions, or rejects
    the application: no notice), or None."""
    review = job.review
    if kind in ("opinion", "notice") and decided.refusal is not None:
        return f"✗ {src} {kind}: {review.source}: {decided.refusal[0]} / {decided.refusal[1]}"  # type: ignore[attr-defined]
    if kind == "notice" and review is not None and review.conclusion == "reject":  # type: ignore[attr-defined]
        return (
            f"✗ {src} notice: 审核结论为不同意，不出具奖励通知书 / the review rejects the application: no award notice"
        )
    return None


def _made_line(src: str, kind: str, paths: list[Path], t0: float) -> tuple[bool, str]:
    ms = (time.perf_counter() - t0) * 1000
    mark = "（样稿，无文号 / specimen, no number）" if kind == "notice" else ""
    return False, f"✓ {src} → {', '.join(str(p) for p in paths)}{mark} ({ms:.0f} ms)"


def _render_source(job: _RenderJob, src: str, decided: _Decided | tuple[int, Lines] | None) -> tuple[int, Lines]:
    """One bundle's documents, made here by process.documents.make_document: (exit code, lines).
    `decided`: the bundle already checked and decided (or why not), or None to do it here."""
    from zzcbec_docs.documents.atomic import write_atomic
    from zzcbec_docs.errors import ZzcbecError
    from zzcbec_docs.process.documents import make_document

    if decided is None:
        decided = _prepare(job, src)
    if not isinstance(decided, _Decided):
        return decided
    notice = job.notice
    code, lines = 0, list(decided.notes)
    for kind in job.kinds:
        t0 = time.perf_counter()
        refusal = _refused(job, src, decided, kind)
        if refusal is not None:
            lines.append((True, refusal))
            code = EXIT_FAIL
            continue
        paths = []
        try:
            for fmt in job.formats:
                _, data = make_document(
                    kind,
                    fmt,
                    decided.bundle,
                    job.policy,  # type: ignore[arg-type]
                    declared=decided.declared,
                    verified=decided.verified,  # type: ignore[arg-type]
                    review=job.review,
                    issuer=notice.issuer,
                    date=notice.date,  # type: ignore[attr-defined]
                    profile=notice.profile,
                )  # type: ignore[attr-defined]
                name = _name(job, decided.bundle, kind, fmt)
                write_atomic(job.out_dir / name, data)
                paths.append(job.out_dir / name)
        except ZzcbecError as e:
            lines.append((True, f"✗ {src} {kind}: {e.message}"))
            code = EXIT_FAIL
            continue
        lines.append(_made_line(src, kind, paths, t0))
    return code, lines


def _write_document(
    html: str,
    fmt: str,
    bundle,
    policy,
    kind: str,
    path: Path,  # type: ignore[no-untyped-def]
    font_files: dict[str, str],
) -> str | None:
    """In a worker: one file from its content, written as make_document writes it, with the fonts
    the command configured (the issuer profile's; the worker was forked before they were read);
    the error message, or None when written."""
    from zzcbec_docs.documents import fonts
    from zzcbec_docs.documents.atomic import write_atomic
    from zzcbec_docs.documents.writers import write_format
    from zzcbec_docs.errors import ZzcbecError

    try:
        fonts.configure(font_files)
        write_atomic(path, write_format(html, fmt, bundle, policy, kind))
    except ZzcbecError as e:
        return e.message
    return None


def _render_split(
    job: _RenderJob,
    src: str,
    decided: _Decided | tuple[int, Lines],  # type: ignore[no-untyped-def]
    workers,
) -> tuple[int, Lines]:
    """One bundle: checked, decided and its documents' content built here (process.documents.
    document_html, as make_document does) while the workers warm up; then they write the files
    (documents.render.write_format, as make_document does)."""
    from zzcbec_docs.documents import fonts, parallel
    from zzcbec_docs.errors import ZzcbecError
    from zzcbec_docs.process.documents import document_html

    if not isinstance(decided, _Decided):
        return decided
    notice = job.notice
    t0 = time.perf_counter()
    made: list[tuple[str, list[tuple[Path, tuple, Any]] | str]] = []
    for kind in job.kinds:
        refusal = _refused(job, src, decided, kind)
        if refusal is not None:
            made.append((kind, refusal))
            continue
        try:
            html = document_html(
                kind,
                decided.bundle,
                job.policy,
                declared=decided.declared,  # type: ignore[arg-type]
                verified=decided.verified,
                review=job.review,
                issuer=notice.issuer,  # type: ignore[arg-type, attr-defined]
                date=notice.date,
                profile=notice.profile,
            )  # type: ignore[attr-defined]
        except ZzcbecError as e:
            made.append((kind, f"✗ {src} {kind}: {e.message}"))
            continue
        files = []
        for fmt in job.formats:
            path = job.out_dir / _name(job, decided.bundle, kind, fmt)
            args = (html, fmt, decided.bundle, job.policy, kind, path, fonts.configured())
            files.append((path, args, workers.submit(_write_document, *args)))
        made.append((kind, files))
    code, lines = 0, list(decided.notes)
    for kind, files in made:
        if isinstance(files, str):
            lines.append((True, files))
            code = EXIT_FAIL
            continue
        errors = []
        for _path, args, future in files:
            error = parallel.result_or_crash(future, workers, _write_document, args)
            if isinstance(error, parallel.WorkerCrashed):
                error = "渲染进程崩溃 / the renderer crashed"
            if error:
                errors.append(error)
        if errors:
            lines.append((True, f"✗ {src} {kind}: {errors[0]}"))
            code = EXIT_FAIL
            continue
        lines.append(_made_line(src, kind, [p for p, _, _ in files], t0))
    return code, lines


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
    doc_date,
    exclusion_list: Path | None,  # type: ignore[no-untyped-def]
    issued_on,
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
    workers = None
    count = plan_workers(len(sources), len(kinds) * len(fmts), jobs)
    if count and len(sources) == 1:
        # One bundle: forked now, before anything heavy is loaded here; they warm up while this
        # process reads the policy and checks the bundle. (Several bundles: render_many warms up
        # here first and forks after, so that the workers share one warm-up.)
        from zzcbec_docs.documents.parallel import Workers

        workers = Workers(count, fmts, kinds, templates=False)
    try:
        from zzcbec_docs.check import read_exclusion_list
        from zzcbec_docs.documents.content import NoticeOptions

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
        ledger = reading_ledger(ledger_url)
        code = render_many(
            sources,
            policy,
            kinds=kinds,
            formats=fmts,
            out_dir=out_dir,
            review_path=review_path,
            notice=notice,
            exclusion_list=excluded,
            ledger=ledger,
            jobs=jobs,
            workers=workers,
        )
    finally:
        if workers is not None:
            workers.close()
    finish(code, unreadable)
