"""`zzcbec award BUNDLE --ledger URL --out DIR`: record the awards, number and issue the notice."""

from __future__ import annotations

from pathlib import Path

import click

from zzcbec_docs.cli.main import EXIT_FAIL, Outcome
from zzcbec_docs.cli.options import (
    IsoDate,
    exclusion_option,
    issued_on_option,
    ledger_option,
    load_policy_option,
    policy_option,
    split_list,
)


@click.command()
@click.argument("bundle_path", metavar="BUNDLE")
@click.option("--review", "review_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="审核记录（核实值优先）/ review record (verified facts win)")
@ledger_option
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="通知书输出目录 / folder for the notice")
@click.option("--format", "formats", default="docx,pdf", show_default=True, help="docx,pdf")
@click.option("--issuer", default=None, help="发文机关（默认取发文机关配置）/ issuing authority (default: the profile's)")
@click.option("--code", default=None, help="发文机关代字（默认取发文机关配置，如 郑商务）/ the issuer's code in 郑商务〔2026〕N号")
@click.option("--date", "doc_date", type=IsoDate(), default=None, help="成文日期（默认今天）/ date (default: today)")
@exclusion_option
@issued_on_option
@policy_option
def award(bundle_path: str, review_path: Path | None, ledger_url: str | None, out_dir: Path, formats: str,
          issuer: str | None, code: str | None, doc_date, exclusion_list: Path | None, issued_on,  # type: ignore[no-untyped-def]
          policy_file: Path | None) -> None:
    """记账、编号并出具奖励通知书 / award a bundle: in one transaction, re-check every claim against
    the ledger (caps, one-time awards, clause 3 top-up), record the awards, assign the next
    notice number for the issuer and year, and write the award notice.

    The same bundle (same SHA-256) is never awarded twice: the existing number is reported.
    """
    import re

    from zzcbec_docs.check import read_exclusion_list, validate_file
    from zzcbec_docs.documents.issuer import apply_fonts, load_issuer
    from zzcbec_docs.documents.review import load_review
    from zzcbec_docs.errors import BundleError, UsageError, ZzcbecError
    from zzcbec_docs.ledger import open_ledger
    from zzcbec_docs.ledger.service import AlreadyAwarded, award_bundle
    from zzcbec_docs.money import fmt_yuan

    fmts = tuple(split_list(formats, ("docx", "pdf"), "--format"))
    profile = load_issuer()  # ZZCBEC_ISSUER_PROFILE, else the packaged 郑州市商务局
    apply_fonts(profile)
    issuer = issuer or profile.name
    code = code or profile.code
    if not re.match(r"^\S{1,20}$", code) or any(ch in code for ch in "〔〕[]"):
        raise UsageError(f"发文机关代字“{code}”不合规", f"the issuer code {code!r} is not valid")
    if not ledger_url:
        raise UsageError("请用 --ledger 或 ZZCBEC_LEDGER 指定奖励台账", "give the ledger with --ledger or ZZCBEC_LEDGER")
    try:
        policy = load_policy_option(policy_file, issued_on)
        excluded = read_exclusion_list(exclusion_list) if exclusion_list else frozenset()
    except ZzcbecError as e:
        raise UsageError(e.zh, e.en, file=e.file, pointer=e.pointer) from None
    bundle, problems, _ = validate_file(bundle_path, policy)
    if bundle is None:
        for p in problems:
            click.echo(f"    {p.path}: {p.message}", err=True)
        raise BundleError("申报材料无效，未奖励", "the bundle is invalid: nothing awarded", file=bundle_path)
    review = load_review(review_path, policy) if review_path else None
    ledger = open_ledger(ledger_url)
    try:
        outcome = award_bundle(bundle, policy, ledger, out_dir=out_dir, formats=fmts, review=review, issuer=issuer,
                               code=code, date=doc_date, exclusion_list=excluded)
    except AlreadyAwarded as e:
        click.echo(f"✗ {e.message}", err=True)
        raise Outcome(EXIT_FAIL) from None
    click.echo(f"✓ {outcome.number}  {bundle.applicant.name}  {bundle.applicant.uscc}")
    for d in outcome.result.decisions:
        if d.status == "eligible":
            click.echo(f"    第{d.clause}条  {fmt_yuan(d.amount)}")
        else:
            click.echo(f"    第{d.clause}条  {d.status}: {'；'.join(r.message for r in d.reasons)}")
    click.echo(f"    合计 / total {fmt_yuan(outcome.result.total)}")
    for f in outcome.files:
        click.echo(f"    → {f}")
