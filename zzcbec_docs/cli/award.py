"""`zzcbec award CASE_OR_BUNDLE --out DIR`: record the awards, number and issue the notice.

A thin face over `zzcbec_docs.process.award`: a bundle is submitted first (and reviewed, with
--review), then the case is awarded in one transaction; the notice is made inside it and
written after the commit, named by its number.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from zzcbec_docs.cli.main import EXIT_FAIL, Outcome
from zzcbec_docs.cli.options import (
    IsoDate,
    actor_name,
    actor_option,
    build_service,
    exclusion_option,
    issued_on_option,
    issuer_profile_option,
    ledger_option,
    policy_option,
    require_ledger,
    split_list,
    writable_folder,
)
from zzcbec_docs.vocabulary import decision

if TYPE_CHECKING:
    from zzcbec_docs.bundle.model import Bundle
    from zzcbec_docs.policy.model import Policy
    from zzcbec_docs.process.model import AwardOutcome, ReviewInput


@click.command()
@click.argument("target", metavar="CASE_OR_BUNDLE")
@click.option(
    "--review",
    "review_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="审核记录：先记录审核，再奖励（一步完成）/ a review record: recorded first (the one-step form)",
)
@click.option(
    "--reissue-of",
    "reissue_of",
    default=None,
    metavar="NUMBER",
    help="重新出具：指明被撤销的原通知文号 / re-issue: the revoked notice this one replaces",
)
@ledger_option
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="通知书输出目录 / folder for the notice",
)
@click.option("--format", "formats", default="docx,pdf", show_default=True, help="docx,pdf")
@click.option(
    "--issuer", default=None, help="发文机关（默认取发文机关配置）/ issuing authority (default: the profile's)"
)
@click.option(
    "--code", default=None, help="发文机关代字（默认取发文机关配置，如 郑商务）/ the issuer's code in 郑商务〔2026〕N号"
)
@click.option("--date", "doc_date", type=IsoDate(), default=None, help="成文日期（默认今天）/ date (default: today)")
@click.option(
    "--unsigned",
    is_flag=True,
    default=False,
    help="不签名：PDF 通知书不加电子签章（须明确选择）/ leave the PDF notice unsigned (on purpose)",
)
@actor_option
@exclusion_option
@issued_on_option
@policy_option
@issuer_profile_option
def award(
    target: str,
    review_path: Path | None,
    reissue_of: str | None,
    ledger_url: str | None,
    out_dir: Path,
    formats: str,
    issuer: str | None,
    code: str | None,
    doc_date: dt.date | None,
    unsigned: bool,
    actor: str | None,
    exclusion_list: Path | None,
    issued_on: dt.date | None,
    policy_file: Path | None,
    issuer_profile: str | None,
) -> None:
    """记账、编号并出具奖励通知书 / award a case (or a bundle): in one transaction, re-check every
    claim against the ledger (caps, one-time awards, a tiered award's top-up) with the latest review's
    verified facts, record the awards, assign the next notice number of the issuer and year,
    and write the notice, named by its number (USCC-YEAR-notice-2026-015.pdf).

    A rejecting review awards nothing. The same content is never awarded twice: its number is
    reported (and a missing notice file written again). After a revocation, --reissue-of
    NUMBER awards it again under a new number that names the old one.

    The PDF is signed (PAdES) with the key the issuer profile names, its seal over the 署名 and
    the date; without a key in the profile, --unsigned says so on purpose.
    """
    import re

    from zzcbec_docs.cli.process import resolve_case, target_bundle
    from zzcbec_docs.documents.atomic import write_atomic
    from zzcbec_docs.documents.issuer import apply_fonts
    from zzcbec_docs.errors import UsageError
    from zzcbec_docs.money import fmt_yuan
    from zzcbec_docs.process import AlreadyAwarded, NotAwardable
    from zzcbec_docs.process.records import review_input_from_file

    fmts = tuple(split_list(formats, ("docx", "pdf"), "--format"))
    service = build_service(policy_file, issued_on, exclusion_list, issuer_profile)
    apply_fonts(service.issuer)
    if "pdf" in fmts and not unsigned:
        from zzcbec_docs.documents.signing import require_signing

        require_signing(service.issuer)  # before anything is recorded
    issuer = issuer or service.issuer.name
    code = code or service.issuer.code
    if not re.match(r"^\S{1,20}$", code) or any(ch in code for ch in "〔〕[]"):
        raise UsageError(f"发文机关代字“{code}”不合规", f"the issuer code {code!r} is not valid")
    if reissue_of is not None and not re.match(r"^\S{1,20}〔[0-9]{4}〕[1-9][0-9]{0,5}号$", reissue_of):
        raise UsageError(
            f"--reissue-of 应为文号，如 郑商务〔2026〕15号（收到 {reissue_of!r}）",
            f"--reissue-of takes a notice number such as 郑商务〔2026〕15号 (got {reissue_of!r})",
        )
    # every input read and the output folder checked before anything is recorded
    record = review_input_from_file(review_path, policy=service.policy) if review_path else None
    writable_folder(out_dir)
    bundle = target_bundle(target, service, record)
    if bundle is not None:  # dates out of order are refused before anything is recorded
        _dates_in_order(bundle.year, doc_date or _today(), record, service.policy)
    service = service.with_ledger(require_ledger(ledger_url))
    who = actor_name(actor)
    case_id = resolve_case(service, target, bundle, actor=who, with_review=record is not None)
    if record is not None:
        done = service.review(case_id, record, actor=who)
        if done.recorded:
            click.echo(f"  审核 review #{done.review_id}: {record.conclusion}，核定 {fmt_yuan(done.result.total)}")
        else:
            click.echo(
                f"  该审核记录已登记为审核 #{done.review_id}，未重复记录 / this review was already recorded "
                f"as review #{done.review_id}: nothing new recorded"
            )
        for w in done.result.warnings:
            if w.code == "review_raises":
                click.echo(f"  ! {w.message} / {w.message_en}", err=True)

    def make_notices(outcome: AwardOutcome, bundle: Bundle) -> list[tuple[str, bytes]]:
        # inside the transaction: a notice that cannot be made leaves nothing recorded
        return [
            service.make_notice(outcome, bundle, fmt, date=doc_date or _today(), issuer_name=issuer, unsigned=unsigned)
            for fmt in fmts
        ]

    try:
        outcome = service.award(
            case_id,
            actor=who,
            date=doc_date,
            issuer_name=issuer,
            code=code,
            reissue_of=reissue_of,
            before_commit=make_notices,
        )
    except AlreadyAwarded as e:
        rewritten = []
        if not e.revoked:  # the ledger is the record, the file its copy: write a missing one again
            for fmt in fmts:
                name, data = service.case_document(case_id, "notice", fmt, number=e.number, unsigned=unsigned)
                if not (out_dir / name).exists():
                    write_atomic(out_dir / name, data)
                    rewritten.append(out_dir / name)
        click.echo(f"✗ {e.with_rewritten(tuple(rewritten)).message}", err=True)
        raise Outcome(EXIT_FAIL) from None
    except NotAwardable as e:
        click.echo(f"✗ {e.message}", err=True)
        for r in e.reasons:
            click.echo(f"    · {r}", err=True)
        raise Outcome(EXIT_FAIL) from None
    c = outcome.case
    again = f"（替代已撤销的 {outcome.reissue_of} / replaces {outcome.reissue_of}）" if outcome.reissue_of else ""
    click.echo(f"✓ {outcome.number}{again}  {c.applicant_name}  {c.uscc}  案件 case {c.id}")
    for d in outcome.result.decisions:
        if d.status == "eligible":
            click.echo(f"    {service.policy.cite(d.clause)}  {fmt_yuan(d.amount)}")
        else:
            click.echo(
                f"    {service.policy.cite(d.clause)}  {decision(d.status)} {d.status}: {'；'.join(r.message for r in d.reasons)}"
            )
    click.echo(f"    合计 / total {fmt_yuan(outcome.total)}")
    for name, data in outcome.prepared:
        write_atomic(out_dir / name, data)
        click.echo(f"    → {out_dir / name}")


def _dates_in_order(year: int, date: dt.date, record: ReviewInput | None, policy: Policy) -> None:
    """The one-step form's dates, checked before the bundle or its review is recorded: the award date
    within the data year's reach and the policy's term; the review not before the 申报年度 began and
    not after the award it approves (process.awarding and process.cases check the same again)."""
    from zzcbec_docs.errors import ArgumentError
    from zzcbec_docs.process.awarding import award_date_problem
    from zzcbec_docs.process.cases import review_dates_problem

    problem = award_date_problem(date, year, policy)
    if problem:
        raise ArgumentError(*problem, pointer="--date")
    if record is None or record.reviewed_on is None:
        return
    problem = review_dates_problem(record.reviewed_on, year, None)
    if problem:
        raise ArgumentError(*problem, file=record.record_file, pointer="/reviewed_on")
    if date < record.reviewed_on:
        raise ArgumentError(
            f"奖励日期 {date.isoformat()} 早于批准它的审核日期 {record.reviewed_on.isoformat()}",
            f"the award is dated {date.isoformat()}, before the review that approves it "
            f"({record.reviewed_on.isoformat()})",
            file=record.record_file,
            pointer="--date",
        )


def _today() -> dt.date:
    from zzcbec_docs.documents.content import default_date

    return default_date()
