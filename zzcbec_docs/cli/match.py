"""`zzcbec match PROFILE`: which clauses an enterprise can claim, how much, and what it lacks for the rest."""

from __future__ import annotations

import json
from decimal import Decimal

import click

from zzcbec_docs.cli.match_table import TABLE_SUFFIXES, table_options
from zzcbec_docs.cli.options import (
    exclusion_option,
    issued_on_option,
    json_option,
    ledger_option,
    load_policy_option,
    policy_option,
    reading_ledger,
)
from zzcbec_docs.vocabulary import MATCH_STATUSES

HEADINGS = {code: term.both for code, term in MATCH_STATUSES.items()}  # 可申报 / eligible …


@click.command()
@click.argument("profile", required=False)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="FACT=VALUE",
    help="假设某项事实取某值（可多次）/ what if a fact had this value (repeatable)",
)
@json_option
@issued_on_option
@policy_option
@table_options
@exclusion_option
@ledger_option
def match(
    profile: str,
    settings: tuple[str, ...],
    as_json: bool,
    issued_on,
    policy_file,  # type: ignore[no-untyped-def]
    ledger_url,
    **table,
) -> None:
    """测算可申报的条款与金额 / what may this enterprise claim, and how far is it from the rest.

    PROFILE is a bundle without claims: schema_version, year, applicant and `facts`, every fact
    the enterprise knows (the names of `zzcbec init-bundle`). Sorted by amount.

    免申即享: PROFILE may also be a table (.csv, .xlsx or .parquet, one row per enterprise and year)
    with --out DIR: matches.csv, matches.parquet, matches.xlsx (with totals by district and clause),
    errors.csv and a pre-filled bundle per enterprise with an eligible clause. --engine duckdb (the
    default) runs the policy compiled to SQL; python the row-by-row reference; spark Spark SQL;
    postgresql://… inside the database, on --table SCHEMA.NAME, results --into SCHEMA.NAME and/or
    --out DIR (docs/matching.md).
    """
    from pathlib import Path

    if profile is None and not table.get("db_table"):
        from zzcbec_docs.errors import UsageError

        raise UsageError(
            "缺少画像或表格文件（PostgreSQL 库中的表用 --table SCHEMA.NAME）",
            "missing PROFILE or TABLE (a table in PostgreSQL: --table SCHEMA.NAME)",
        )
    if profile is None or Path(profile).suffix.lower() in TABLE_SUFFIXES:
        from zzcbec_docs.cli.match_table import match_table

        return match_table(profile, settings, as_json, issued_on, policy_file, ledger_url=ledger_url, **table)
    from zzcbec_docs.cli.match_table import refuse_table_options

    refuse_table_options(table)
    from zzcbec_docs.calculator.match import load_profile, parse_setting
    from zzcbec_docs.money import fmt_yuan

    policy = load_policy_option(policy_file, issued_on)
    parsed = [parse_setting(s, policy) for s in settings]
    data = load_profile(profile, parsed, policy)
    from zzcbec_docs.calculator.match import match_counting
    from zzcbec_docs.process.service import Service

    results, counted = match_counting(Service.build(reading_ledger(ledger_url), policy), data)
    if as_json:
        total = sum(m.amount for m in results)
        click.echo(
            json.dumps(
                {
                    "source": profile,
                    "year": data["year"],
                    "applicant": data["applicant"]["name"],
                    "settings": dict(parsed),
                    "total": f"{total:.2f}",
                    "ledger": counted,
                    "clauses": [m.as_dict() for m in results],
                },
                ensure_ascii=False,
                default=str,
            )
        )
        return
    a = data["applicant"]
    click.echo(
        f"{a['name']}  {a['uscc']}  {a['district']}  {data['year']}年度"
        + (f"  （假设 what-if：{', '.join(settings)}）" if settings else "")
    )
    if counted:
        click.echo(
            f"已计入奖励台账 {counted['ledger']}：该企业有效奖励 {counted['awards']} 笔，合计 "
            f"{fmt_yuan(Decimal(counted['total']))} / the award ledger was counted"
        )
    current = None
    for m in results:
        if m.status != current:
            current = m.status
            click.echo(f"\n{HEADINGS[m.status]}")
        title = f"  {policy.cite(m.clause)} {m.name}"
        if m.status == "eligible":
            f = m.funding
            split = f"  市级 {fmt_yuan(f.city)} / 区县 {fmt_yuan(f.local)}" if f else "  分担比例待财政部门确定"
            click.echo(f"{title}  {fmt_yuan(m.amount)}{split}")
        else:
            click.echo(title)
        for g in m.gaps:
            click.echo(f"      · {g['message']}")
        if m.missing:
            click.echo(f"      · 缺少 missing: {'、'.join(m.missing)}")
        for note in m.notes:
            click.echo(f"      · {note}")
    total = sum(m.amount for m in results)
    click.echo(f"\n预计可获奖励合计 / estimated total: {fmt_yuan(total)}（以审核认定为准 / subject to review）")
