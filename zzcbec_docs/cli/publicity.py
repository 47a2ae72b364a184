"""`zzcbec publicity --year 2026 [--from DATE --days 5] [--mask-uscc] --out DIR`: the 公示 list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from zzcbec_docs.cli.options import (
    IsoDate,
    issued_on_option,
    ledger_option,
    load_policy_option,
    policy_option,
    split_list,
)


@click.command()
@click.option("--year", type=int, required=True, help="申报年度 / the year the awards are for")
@click.option(
    "--from",
    "start",
    type=IsoDate(),
    default=None,
    help="公示期起始日（默认今天）/ first day of the publicity period (default: today)",
)
@click.option("--days", type=int, default=5, show_default=True, help="公示期工作日数 / working days")
@click.option("--mask-uscc", is_flag=True, help="部分隐去统一社会信用代码 / show the USCC partly masked")
@click.option("--date", "doc_date", type=IsoDate(), default=None, help="落款日期（默认起始日）/ date signed")
@click.option("--format", "formats", default="docx,pdf", show_default=True, help="docx,pdf")
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="输出目录 / output folder"
)
@click.option(
    "--issuer-profile",
    "profile",
    type=click.Path(dir_okay=False),
    default=None,
    envvar="ZZCBEC_ISSUER_PROFILE",
    help="发文机关配置 YAML（默认郑州市商务局）/ issuer profile (default: 郑州市商务局)",
)
@ledger_option
@issued_on_option
@policy_option
def publicity(
    year: int,
    start: dt.date | None,
    days: int,
    mask_uscc: bool,
    doc_date: dt.date | None,
    formats: str,
    out_dir: Path,
    profile: str | None,
    ledger_url: str | None,
    issued_on: dt.date | None,
    policy_file: Path | None,
) -> None:
    """拟奖励企业名单公示（DOCX 与 PDF）/ the public list of proposed awards of a year, from the ledger's
    approved and awarded cases, with the 公示期 in working days and where to object."""
    from zzcbec_docs.documents.content import default_date
    from zzcbec_docs.documents.issuer import apply_fonts, load_issuer
    from zzcbec_docs.documents.publicity import render_publicity
    from zzcbec_docs.documents.writers import tune_for_rendering
    from zzcbec_docs.errors import UsageError, ZzcbecError
    from zzcbec_docs.ledger import open_ledger
    from zzcbec_docs.process.documents import publicity_entries

    fmts = split_list(formats, ("docx", "pdf"), "--format")
    if not ledger_url:
        raise UsageError(
            "请用 --ledger 或 ZZCBEC_LEDGER 指定奖励台账", "give the ledger with --ledger or ZZCBEC_LEDGER"
        )
    try:
        policy = load_policy_option(policy_file, issued_on)
        issuer = load_issuer(profile)
    except ZzcbecError as e:
        raise UsageError(e.zh, e.en, file=e.file, pointer=e.pointer) from None
    apply_fonts(issuer)
    tune_for_rendering()
    ledger = open_ledger(ledger_url, upgrade=False)
    start = start or default_date()
    files = render_publicity(
        publicity_entries(ledger, year, policy),
        policy,
        issuer,
        year=year,
        start=start,
        days=days,
        mask=mask_uscc,
        date=doc_date,
        formats=fmts,
        out_dir=out_dir,
    )
    for f in files:
        click.echo(f"✓ {f}")
