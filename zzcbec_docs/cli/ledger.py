"""`zzcbec ledger init|list|revoke|export`: the award ledger."""

from __future__ import annotations

import json
from pathlib import Path

import click

from zzcbec_docs.cli.options import actor_name, actor_option, ledger_option
from zzcbec_docs.vocabulary import notice_state


def _open(url: str | None, upgrade: bool = False, require_latest: bool = True):  # type: ignore[no-untyped-def]
    from zzcbec_docs.errors import UsageError
    from zzcbec_docs.ledger import open_ledger

    if not url:
        raise UsageError(
            "请用 --ledger 或 ZZCBEC_LEDGER 指定奖励台账", "give the ledger with --ledger or ZZCBEC_LEDGER"
        )
    return open_ledger(url, upgrade=upgrade, require_latest=require_latest)


@click.group()
def ledger() -> None:
    """奖励台账 / the award ledger (SQLite file or PostgreSQL)."""


@ledger.command()
@ledger_option
def init(ledger_url: str | None) -> None:
    """创建或升级台账 / create the ledger, or upgrade its schema to the latest version."""
    from zzcbec_docs.errors import UsageError
    from zzcbec_docs.ledger import open_ledger
    from zzcbec_docs.ledger.schema import LATEST

    if not ledger_url:
        raise UsageError(
            "请用 --ledger 或 ZZCBEC_LEDGER 指定奖励台账", "give the ledger with --ledger or ZZCBEC_LEDGER"
        )
    lg = open_ledger(ledger_url, upgrade=False, require_latest=False)
    before = lg.version()
    lg.upgrade()
    from zzcbec_docs.ledger.store import shown_url

    click.echo(
        f"✓ ledger {shown_url(lg.url)}: schema version {lg.version()} "
        f"(latest {LATEST}{f', was {before}' if before else ', new'})"
    )


@ledger.command(name="list")
@ledger_option
@click.option("--year", type=int, default=None, help="申报年度 / the year the awards are for")
@click.option("--uscc", default=None, help="统一社会信用代码 / applicant")
@click.option("--clause", type=int, default=None, help="条款 / clause")
@click.option("--district", default=None, help="区县 / district")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines")
def list_(
    ledger_url: str | None, year: int | None, uscc: str | None, clause: int | None, district: str | None, as_json: bool
) -> None:
    """列出奖励 / list awards."""
    from zzcbec_docs.bundle import DISTRICT_ALIASES
    from zzcbec_docs.cli.table import pad, width
    from zzcbec_docs.money import fmt_amount, fmt_yuan

    lg = _open(ledger_url)
    rows = lg.awards(
        year=year,
        uscc=uscc.upper() if uscc else None,
        clause=clause,
        district=DISTRICT_ALIASES.get(district, district) if district else None,
    )
    if as_json:
        for a in rows:
            click.echo(
                json.dumps(
                    {
                        "notice_number": a.notice_number,
                        "issued_on": a.issued_on,
                        "uscc": a.uscc,
                        "applicant": a.applicant_name,
                        "district": a.district,
                        "clause": a.clause,
                        "competition_name": a.competition_name,
                        "year": a.year,
                        "amount": fmt_amount(a.amount),
                        "funding": None
                        if a.city is None
                        else {"city": fmt_amount(a.city), "local": fmt_amount(a.local)},
                        "revoked": a.revoked,
                        "revocation_reason": a.revocation_reason,
                    },
                    ensure_ascii=False,
                )
            )
        return
    table = [["文号", "日期", "统一社会信用代码", "申请单位", "区县", "条款", "金额", "市级", "区县级", "状态"]]
    for a in rows:
        table.append(
            [
                a.notice_number,
                a.issued_on,
                a.uscc,
                a.applicant_name,
                a.district,
                str(a.clause),
                fmt_yuan(a.amount),
                fmt_yuan(a.city) if a.city is not None else "待定",
                fmt_yuan(a.local) if a.local is not None else "待定",
                notice_state(a.revoked),
            ]
        )
    widths = [max(width(r[i]) for r in table) for i in range(len(table[0]))]
    for r in table:
        click.echo("  ".join(pad(c, w, right=i in (6, 7, 8)) for i, (c, w) in enumerate(zip(r, widths, strict=False))))
    click.echo(f"{len(rows)} 笔 / awards")


@ledger.command()
@click.argument("number")
@click.option("--reason", required=True, help="撤销原因 / why")
@ledger_option
@actor_option
def revoke(number: str, reason: str, ledger_url: str | None, actor: str | None) -> None:
    """撤销一份奖励通知 / revoke an award notice (a new entry; nothing is deleted). Its awards stop
    counting against the caps; the same content may then be awarded again with
    `award --reissue-of NUMBER`."""
    from zzcbec_docs.cli.options import build_service

    service = build_service(None, None, None).with_ledger(_open(ledger_url))
    rec = service.revoke(number, reason=reason, actor=actor_name(actor))
    click.echo(f"✓ {rec.number} 已撤销 / revoked ({rec.uscc}{'，案件 case ' + rec.case_id if rec.case_id else ''})")
    click.echo(
        f"    该笔奖励不再计入上限；如需重新出具：zzcbec award … --reissue-of {rec.number} / its awards no "
        f"longer count against any cap; to re-issue: zzcbec award … --reissue-of {rec.number}"
    )


@ledger.command()
@ledger_option
@click.option("--year", type=int, required=True, help="申报年度 / the year the awards are for")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), required=True)
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
def export(ledger_url: str | None, year: int, fmt: str, out_path: Path) -> None:
    """导出给财政部门 / export a year's awards with totals per district and per clause."""
    from zzcbec_docs.ledger.export import export_csv, export_xlsx
    from zzcbec_docs.money import fmt_yuan
    from zzcbec_docs.rules.totals import totals

    rows = _open(ledger_url).awards(year=year)
    files = (export_csv if fmt == "csv" else export_xlsx)(rows, out_path)
    grand = totals(rows).grand
    click.echo(
        f"✓ {year}年度有效奖励 {grand.count} 笔，合计 {fmt_yuan(grand.amount)}（市级 {fmt_yuan(grand.city)}，"
        f"区县级 {fmt_yuan(grand.local)}，待定分担 {fmt_yuan(grand.unsettled)}）；另有已撤销 "
        f"{grand.revoked_count} 笔 {fmt_yuan(grand.revoked_amount)}，不计入合计"
    )
    click.echo(
        f"  {grand.count} standing awards for {year}, total {fmt_yuan(grand.amount)} (city "
        f"{fmt_yuan(grand.city)}, local {fmt_yuan(grand.local)}, unsettled {fmt_yuan(grand.unsettled)}); "
        f"{grand.revoked_count} revoked ({fmt_yuan(grand.revoked_amount)}) listed apart, not counted"
    )
    for f in files:
        click.echo(f"    → {f}")
