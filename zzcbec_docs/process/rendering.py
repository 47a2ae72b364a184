"""`render`'s pipeline in the library: bundles checked, decided (with the ledger, with a review) and their
documents made, here or in worker processes; the command only parses, calls `Service.render_documents`
and prints what each bundle's `BundleDocuments` says.

The decisions are made once per bundle, counting the ledger when there is one (`decide.ledger_check`,
the case's own award left out so that documents made again say what they said before it); with a
review, its verified facts decide the opinion and the notice (`decide_reviewed`, the review logic the
process's own `review` step applies), and its conclusion must agree with them (a rejection gets an
opinion at 0 and no notice). A notice made here is a specimen (样稿, no number).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zzcbec_docs.bundle.model import Bundle, Problem
    from zzcbec_docs.documents.content import NoticeOptions
    from zzcbec_docs.documents.parallel import Workers
    from zzcbec_docs.documents.review import Review
    from zzcbec_docs.policy.model import Policy
    from zzcbec_docs.rules.model import CheckResult, Warning_

# the warnings a render names under each bundle (the ledger counted, this content awarded or revoked)
DECLARED_NOTES = ("ledger_counted", "already_awarded_bundle", "revoked_award")
VERIFIED_NOTES = ("review_raises",)
REJECTED_NOTICE = ("审核结论为不同意，不出具奖励通知书", "the review rejects the application: no award notice")
CRASHED = "渲染进程崩溃 / the renderer crashed"


# ---------------------------------------------------------------- what comes back
@dataclass(frozen=True)
class Made:
    """One document kind of one bundle: its files, or why not (refused: (zh, en), `where` the review
    file when the review contradicts the decisions; error: a message)."""

    kind: str
    paths: tuple[Path, ...] = ()
    ms: float = 0.0
    refused: tuple[str, str] | None = None
    where: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.refused is None and self.error is None


@dataclass(frozen=True)
class BundleDocuments:
    """One bundle's outcome: invalid (its problems), not decided (error), crashed, or its notes and kinds."""

    source: str
    problems: tuple[Problem, ...] = ()
    invalid: bool = False
    error: str | None = None
    crashed: bool = False
    notes: tuple[Warning_, ...] = ()
    made: tuple[Made, ...] = ()

    @property
    def ok(self) -> bool:
        return not (self.invalid or self.error or self.crashed) and all(m.ok for m in self.made)


@dataclass(frozen=True)
class Reviewed:
    """A bundle decided for its documents: as declared (with the ledger), as verified by a review (the
    declared decisions when there is none), and the review's contradiction of them, if any."""

    declared: CheckResult
    verified: CheckResult
    refusal: tuple[str, str] | None = None
    notes: tuple[Warning_, ...] = ()


# ---------------------------------------------------------------- deciding, with a review
def decide_reviewed(
    bundle: Bundle,
    policy: Policy,
    ledger: Any,
    *,
    review: Review | None = None,
    exclusion_list: frozenset[str] = frozenset(),
) -> Reviewed:
    """The bundle decided as declared (counting the ledger, never its own award) and, with a review, as
    its verified facts give (never more per claim than declared; a rejection at 0)."""
    from zzcbec_docs.process.decide import decide_counting, ledger_check
    from zzcbec_docs.process.model import VerifiedClaim
    from zzcbec_docs.process.verified import (
        apply_verified,
        contradiction,
        no_more_than_declared,
        rejected,
        verified_facts,
    )

    declared, view = ledger_check(bundle, policy, ledger, exclusion_list=exclusion_list, show_awarded=False)
    verified, refusal = declared, None
    if review is not None:
        from zzcbec_docs.documents.review import check_matches

        check_matches(review, bundle)
        facts = verified_facts(
            [VerifiedClaim(k[0], k[1], v) for k, v in review.verified.items()],
            bundle,
            file=review.source,
            policy=policy,
        )
        verified = no_more_than_declared(
            declared,
            decide_counting(
                apply_verified(bundle, facts, policy),
                policy,
                view.history,
                exclusion_list=exclusion_list,
                organisers=view.organisers,
            ),
        )
        refusal = contradiction(review.conclusion, verified)
        if review.conclusion == "reject":
            verified = rejected(verified, review.remarks)
    notes = tuple(w for w in declared.warnings if w.code in DECLARED_NOTES)
    notes += tuple(w for w in verified.warnings if w.code in VERIFIED_NOTES)
    return Reviewed(declared, verified, refusal, notes)


# ---------------------------------------------------------------- the work, here or in workers
def environment_notes() -> list[str]:
    """What the machine lacks that the documents would use (said once, before any bundle)."""
    from zzcbec_docs.documents import fonts

    notes = []
    if not fonts.harfbuzz_subset_available():
        notes.append(" / ".join(fonts.HARFBUZZ_WARNING))
    return notes


def notice_options(
    issuer: str | None = None, number: str | None = None, date: Any = None, profile: str | None = None
) -> NoticeOptions:
    """The notice's options as the command was given them, checked (the issuer profile read, the number's
    form): an ArgumentError names what is wrong."""
    from zzcbec_docs.documents.content import NoticeOptions

    return NoticeOptions(issuer=issuer, number=number, date=date, profile=profile).checked()


def prepare_fonts() -> None:
    """Before worker processes start: a missing CJK font is reported here, once, and the fonts' working
    copies are built here (first run only), not raced by the workers."""
    from zzcbec_docs.documents import fonts

    for role in fonts.ROLES:
        fonts.font_for(role)
    fonts.prepare_working_copies()


def plan_workers(sources: int, documents: int, jobs: int, drawn_only: bool = False) -> int:
    """Worker processes for a command: none with `--jobs 1` or on one core (everything in this
    process); else one per core (`jobs`, 0: every usable core), no more than there is work for.
    Several bundles: whole bundles each. One bundle: its documents' files, while this process
    checks it and builds their content (so the workers' warm-up costs no time) — unless its one
    document is the notice's PDF (`drawn_only`) and no `--jobs` was asked: drawn in ~30 ms
    (documents/pdf_draw.py), it is made here sooner than a worker starts and hands it back."""
    from zzcbec_docs.documents.parallel import usable_cores

    cores = jobs or usable_cores()
    if cores <= 1 or sources == 0 or (sources == 1 and drawn_only and not jobs):
        return 0
    return min(cores, sources if sources > 1 else documents)


def _drawn_only(kinds: list[str], formats: list[str]) -> bool:
    """Only the notice's PDF: drawn by documents/pdf_draw.py, no WeasyPrint or python-docx to load."""
    return list(kinds) == ["notice"] and list(formats) == ["pdf"]


def early_workers(sources: int, kinds: list[str], formats: list[str], jobs: int) -> Workers | None:
    """For one bundle: the workers forked now, before anything heavy is loaded in this process; they
    warm up while it reads the policy and checks the bundle. (Several bundles: `render_documents` warms
    up first and forks after, so that the workers share one warm-up.)"""
    count = plan_workers(sources, len(kinds) * len(formats), jobs, _drawn_only(kinds, formats))
    if not count or sources != 1:
        return None
    from zzcbec_docs.documents.parallel import Workers

    return Workers(count, formats, kinds, templates=False)


@dataclass
class RenderJob:
    policy: Policy
    kinds: tuple[str, ...]
    formats: tuple[str, ...]
    out_dir: Path
    review: Review | None
    notice: NoticeOptions
    exclusion_list: frozenset[str]
    clashing: frozenset[tuple[str, int]] = field(default_factory=frozenset)  # (USCC, year) of >1 source


def render_documents(
    sources: list[str],
    policy: Policy,
    *,
    kinds: list[str],
    formats: list[str],
    out_dir: Path,
    review_path: Path | None,
    notice: NoticeOptions,
    exclusion_list: frozenset[str],
    ledger: Any = None,
    jobs: int = 0,
    workers: Workers | None = None,
) -> Iterator[BundleDocuments]:
    """Each bundle's documents, in the sources' order; a bad bundle is reported and skipped.

    With `workers` (started early: `early_workers`) or `jobs` other than 1, the work is shared by forked
    worker processes (see plan_workers); the files are the same bytes as made here one by one."""
    from zzcbec_docs.documents import parallel
    from zzcbec_docs.documents.review import load_review
    from zzcbec_docs.documents.writers import tune_for_rendering

    tune_for_rendering()
    review = load_review(review_path, policy) if review_path else None
    job = RenderJob(
        policy, tuple(kinds), tuple(formats), out_dir, review, notice, exclusion_list, _same_applicant_year(sources)
    )
    if workers is None and jobs != 1:
        count = plan_workers(len(sources), len(kinds) * len(formats), jobs, _drawn_only(kinds, formats))
        if count and len(sources) > 1:
            parallel.warm(formats, kinds)  # once, here: the workers forked next share it
        workers = parallel.Workers(count, formats, kinds, templates=len(sources) > 1) if count else None
    try:
        results: Iterator[Any]
        if workers is None:
            results = (_render_source(job, src, _prepare(job, src, ledger)) for src in sources)
        elif len(sources) == 1:
            results = iter([_render_split(job, sources[0], _prepare(job, sources[0], ledger), workers)])
        else:
            # Standard input is read here, once; with a ledger, the decisions are made here (the
            # ledger stays in this process); the workers check and decide the rest themselves.
            first = {s: _prepare(job, s, ledger) for s in sources if s == "-" or ledger is not None}
            results = parallel.run_ordered(workers, _render_source, [(job, s, first.get(s)) for s in sources])
        for src, res in zip(sources, results, strict=True):
            yield BundleDocuments(src, crashed=True) if isinstance(res, parallel.WorkerCrashed) else res
    finally:
        if workers is not None:
            workers.close()


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


def _name(job: RenderJob, bundle: Bundle, kind: str, fmt: str) -> str:
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

    bundle: Bundle
    decided: Reviewed


def _prepare(job: RenderJob, src: str, ledger: Any = None) -> _Decided | BundleDocuments:
    """One bundle checked and decided, or its outcome when it cannot be."""
    from zzcbec_docs.check import validate_file
    from zzcbec_docs.errors import ZzcbecError

    bundle, problems, _ = validate_file(src, job.policy)
    if bundle is None:
        return BundleDocuments(src, problems=tuple(problems), invalid=True)
    try:
        decided = decide_reviewed(bundle, job.policy, ledger, review=job.review, exclusion_list=job.exclusion_list)
    except ZzcbecError as e:
        return BundleDocuments(src, error=e.message)
    return _Decided(bundle, decided)


def _refused(job: RenderJob, decided: _Decided, kind: str) -> Made | None:
    """Why this kind is not made for this bundle (the review contradicts the decisions, or rejects
    the application: no notice), or None."""
    review = job.review
    if kind in ("opinion", "notice") and decided.decided.refusal is not None and review is not None:
        return Made(kind, refused=decided.decided.refusal, where=review.source)
    if kind == "notice" and review is not None and review.conclusion == "reject":
        return Made(kind, refused=REJECTED_NOTICE)
    return None


def _render_source(job: RenderJob, src: str, decided: _Decided | BundleDocuments | None) -> BundleDocuments:
    """One bundle's documents, made here by process.documents.make_document. `decided`: the bundle
    already checked and decided (or why not), or None to do it here."""
    from zzcbec_docs.atomic import write_atomic
    from zzcbec_docs.errors import ZzcbecError
    from zzcbec_docs.process.documents import make_document

    if decided is None:
        decided = _prepare(job, src)
    if not isinstance(decided, _Decided):
        return decided
    notice = job.notice
    made = []
    for kind in job.kinds:
        t0 = time.perf_counter()
        refusal = _refused(job, decided, kind)
        if refusal is not None:
            made.append(refusal)
            continue
        paths = []
        try:
            for fmt in job.formats:
                _, data = make_document(
                    kind,
                    fmt,
                    decided.bundle,
                    job.policy,
                    declared=decided.decided.declared,
                    verified=decided.decided.verified,
                    review=job.review,
                    issuer=notice.issuer,
                    date=notice.date,
                    profile=notice.profile,
                )
                name = _name(job, decided.bundle, kind, fmt)
                write_atomic(job.out_dir / name, data)
                paths.append(job.out_dir / name)
        except ZzcbecError as e:
            made.append(Made(kind, error=e.message))
            continue
        made.append(Made(kind, tuple(paths), (time.perf_counter() - t0) * 1000))
    return BundleDocuments(src, notes=decided.decided.notes, made=tuple(made))


def _write_document(
    html: str, fmt: str, bundle: Bundle, policy: Policy, kind: str, path: Path, font_files: dict[str, str]
) -> str | None:
    """In a worker: one file from its content, written as make_document writes it, with the fonts
    the command configured (the issuer profile's; the worker was forked before they were read);
    the error message, or None when written."""
    from zzcbec_docs.atomic import write_atomic
    from zzcbec_docs.documents import fonts
    from zzcbec_docs.documents.writers import write_format
    from zzcbec_docs.errors import ZzcbecError

    try:
        fonts.configure(font_files)
        write_atomic(path, write_format(html, fmt, bundle, policy, kind))
    except ZzcbecError as e:
        return e.message
    return None


def _render_split(job: RenderJob, src: str, decided: _Decided | BundleDocuments, workers: Workers) -> BundleDocuments:
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
    planned: list[Made | tuple[str, list[tuple[Path, tuple[Any, ...], Any]]]] = []
    for kind in job.kinds:
        refusal = _refused(job, decided, kind)
        if refusal is not None:
            planned.append(refusal)
            continue
        try:
            html = document_html(
                kind,
                decided.bundle,
                job.policy,
                declared=decided.decided.declared,
                verified=decided.decided.verified,
                review=job.review,
                issuer=notice.issuer,
                date=notice.date,
                profile=notice.profile,
            )
        except ZzcbecError as e:
            planned.append(Made(kind, error=e.message))
            continue
        files = []
        for fmt in job.formats:
            path = job.out_dir / _name(job, decided.bundle, kind, fmt)
            args = (html, fmt, decided.bundle, job.policy, kind, path, fonts.configured())
            files.append((path, args, workers.submit(_write_document, *args)))
        planned.append((kind, files))
    made = []
    for plan in planned:
        if isinstance(plan, Made):
            made.append(plan)
            continue
        kind, files = plan
        errors = []
        for _path, args, future in files:
            error = parallel.result_or_crash(future, workers, _write_document, args)
            if isinstance(error, parallel.WorkerCrashed):
                error = CRASHED
            if error:
                errors.append(error)
        if errors:
            made.append(Made(kind, error=errors[0]))
            continue
        made.append(Made(kind, tuple(p for p, _, _ in files), (time.perf_counter() - t0) * 1000))
    return BundleDocuments(src, notes=decided.decided.notes, made=tuple(made))
