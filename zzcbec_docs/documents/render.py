"""One bundle → its documents: decide, build the content once, write DOCX and PDF from it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from zzcbec_docs.bundle.model import Bundle, PriorAward
from zzcbec_docs.documents import content as c
from zzcbec_docs.documents.atomic import write_atomic
from zzcbec_docs.documents.html import render_html
from zzcbec_docs.documents.writers import write_format
from zzcbec_docs.policy.model import Policy
from zzcbec_docs.rules.engine import decide
from zzcbec_docs.rules.model import CheckResult

if TYPE_CHECKING:
    from zzcbec_docs.documents.review import Review


@dataclass(frozen=True)
class RenderedFile:
    kind: str
    format: str
    path: Path


def file_name(bundle: Bundle, kind: str, fmt: str, number: str | None = None, case: str | None = None) -> str:
    """The USCC, the year and the document kind: 91410100MA46000016-2026-opinion.pdf. A notice carries
    its number, so that an applicant's notices never overwrite each other
    (91410100MA46000016-2026-notice-2026-015.pdf for 郑商务〔2026〕15号); without one it is a specimen
    (…-notice-specimen.pdf). `case`: the application's case id, between the year and the kind, where
    two applications of one applicant and year are made at once (render A B): 91410100MA46000016-2026-
    3f2a9c1b0d4e5f67-opinion.pdf, so that B's documents never overwrite A's."""
    stem = f"{bundle.applicant.uscc}-{bundle.year}{f'-{case}' if case else ''}-{kind}"
    if kind == "notice":
        stem += f"-{number_slug(number)}" if number else "-specimen"
    return f"{stem}.{fmt}"


def number_slug(number: str) -> str:
    """郑商务〔2026〕15号 → 2026-015; another issuer's code is kept in front (豫商务〔2026〕3号 → 豫商务-2026-003)."""
    import re

    m = re.match(r"^(\S+?)〔([0-9]{4})〕([0-9]+)号$", number)
    if not m:
        return re.sub(r"[^0-9A-Za-z]+", "-", number).strip("-") or "number"
    code, year, seq = m.groups()
    return (f"{code}-" if code != "郑商务" else "") + f"{year}-{int(seq):03d}"


def build_html(
    bundle: Bundle,
    policy: Policy,
    kind: str,
    *,
    review: Review | None = None,
    notice: c.NoticeOptions | None = None,
    result: CheckResult | None = None,
    exclusion_list: frozenset[str] = frozenset(),
    ledger_awards: Iterable[PriorAward] = (),
) -> tuple[str, CheckResult]:
    """The one rendered content of a document, and the decisions it presents."""
    ledger_awards = tuple(ledger_awards)
    declared = result or decide(bundle, policy, exclusion_list=exclusion_list, ledger_awards=ledger_awards)
    created = c.document_time().isoformat().replace("+00:00", "Z")
    if kind == "application":
        ctx = c.application_context(bundle, declared, policy)
        return render_html(kind, ctx, created), declared
    verified = declared
    if review is not None and kind in ("opinion", "notice"):
        # the reviewer's verified facts replace the declared ones, and every clause is decided again
        from zzcbec_docs.documents.review import check_matches, verified_bundle

        check_matches(review, bundle)
        verified = decide(
            verified_bundle(bundle, review), policy, exclusion_list=exclusion_list, ledger_awards=ledger_awards
        )
    if kind == "opinion":
        ctx = c.opinion_context(
            bundle, declared, verified, policy, review, issuer=(notice or c.NoticeOptions()).issuer_profile()
        )
        return render_html(kind, ctx, created), verified
    if kind == "notice":
        ctx = c.notice_context(bundle, verified, policy, notice or c.NoticeOptions())
        return render_html(kind, ctx, created), verified
    raise ValueError(kind)


def render_bundle(
    bundle: Bundle,
    policy: Policy,
    *,
    kinds: Iterable[str],
    formats: Iterable[str],
    out_dir: Path,
    review: Review | None = None,
    notice: c.NoticeOptions | None = None,
    exclusion_list: frozenset[str] = frozenset(),
    ledger_awards: Iterable[PriorAward] = (),
) -> list[RenderedFile]:
    """Write the asked documents of one bundle; each file appears whole or not at all."""
    written = []
    formats = tuple(formats)
    ledger_awards = tuple(ledger_awards)
    declared = decide(bundle, policy, exclusion_list=exclusion_list, ledger_awards=ledger_awards)
    for kind in kinds:
        html, _ = build_html(
            bundle,
            policy,
            kind,
            review=review,
            notice=notice,
            result=declared,
            exclusion_list=exclusion_list,
            ledger_awards=ledger_awards,
        )
        for fmt in formats:
            path = out_dir / file_name(bundle, kind, fmt, notice.number if notice is not None else None)
            write_atomic(path, write_format(html, fmt, bundle, policy, kind))
            written.append(RenderedFile(kind, fmt, path))
    return written
