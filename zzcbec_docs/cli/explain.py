"""`zzcbec explain BUNDLE`: each decision as numbered steps in plain language, quoting the policy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from zzcbec_docs.cli.main import EXIT_FAIL, Outcome
from zzcbec_docs.cli.options import (
    exclusion_option,
    issued_on_option,
    ledger_option,
    policy_option,
    reading_ledger,
)
from zzcbec_docs.vocabulary import DECISIONS

if TYPE_CHECKING:
    from zzcbec_docs.policy.model import Policy
    from zzcbec_docs.rules.model import CheckResult

STATUS = {"zh": {k: t.zh for k, t in DECISIONS.items()}, "en": {k: t.en for k, t in DECISIONS.items()}}


def explain_text(result: CheckResult, policy: Policy, clause: int | None, lang: str) -> str:
    from zzcbec_docs.money import fmt_yuan, in_words

    zh = lang == "zh"
    out = []
    a = result.applicant or {}
    out.append(
        f"{a.get('name')}（{a.get('uscc')}，{a.get('district')}）{result.year}年度 — {policy.full_title}"
        if zh
        else f"{a.get('name')} ({a.get('uscc')}, {a.get('district')}), {result.year} — {policy.full_title}"
    )
    decisions = [d for d in result.decisions if clause is None or d.clause == clause]
    if not decisions:
        out.append(f"材料未申报{policy.cite(clause)}" if zh else f"the bundle does not claim clause {clause}")
    for d in decisions:
        c = policy.clauses[d.clause]
        head = f"\n{c.cite} {c.name}" if zh else f"\nClause {d.clause}: {c.name_en}"
        if d.competition_name:
            head += f"（{d.competition_name}）"
        out.append(
            f"{head} — {STATUS[lang][d.status]}，{fmt_yuan(d.amount)}"
            if zh
            else f"{head} — {STATUS[lang][d.status]}, {fmt_yuan(d.amount)}"
        )
        out.append(("  条文：" if zh else "  The clause (original text): ") + c.text)
        reading = policy.reading_for(d.clause)
        if reading is not None:
            out.append(
                ("  适用的理解：" + reading.explanation) if zh else ("  Reading applied: " + reading.explanation_en)
            )
        for i, step in enumerate(d.trace, 1):
            cite = ""
            if step.clause != d.clause:
                cite = f"（{policy.cite(step.clause)}）" if zh else f" (clause {step.clause})"
            out.append(f"  {i}. {step.message if zh else step.message_en}{cite}")
        if d.status == "eligible":
            f = d.funding
            fn = policy.funding_rule.clause if policy.funding_rule else None
            if zh:
                out.append(
                    f"  结论：核定 {fmt_yuan(d.amount)}（{in_words(d.amount)}）；"
                    + (
                        f"市级财政承担 {fmt_yuan(f.city)}，{a.get('district')}承担 {fmt_yuan(f.local)}（{policy.cite(fn)}）"
                        if f
                        else f"资金分担比例{policy.cite(fn) or '政策'}未列明，待财政部门确定"
                    )
                )
            else:
                out.append(
                    f"  Result: {fmt_yuan(d.amount)}; "
                    + (
                        f"city {fmt_yuan(f.city)}, local {fmt_yuan(f.local)} (clause {fn})"
                        if f
                        else f"clause {fn} leaves the split to the finance bureau"
                    )
                )
    for w in result.warnings:
        out.append(f"\n注意：{w.message}" if zh else f"\nNote: {w.message_en}")
    return "\n".join(out)


@click.command()
@click.argument("bundle")
@click.option("--clause", type=int, default=None, help="只解释这一条 / only this clause")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@exclusion_option
@issued_on_option
@policy_option
@ledger_option
def explain(
    bundle: str,
    clause: int | None,
    lang: str,
    exclusion_list: Path | None,
    issued_on: dt.date | None,
    policy_file: str | None,
    ledger_url: str | None,
) -> None:
    """逐步解释核定过程 / explain each decision step by step, quoting the clause and its boundary words.

    With --ledger (or ZZCBEC_LEDGER), the ledger's awards count against caps and one-time awards,
    and the explanation says so."""
    from zzcbec_docs.check import invalid_result, validate_file
    from zzcbec_docs.cli.options import build_service
    from zzcbec_docs.cli.table import render_result

    service = build_service(policy_file, issued_on, exclusion_list)
    policy = service.policy
    service = service.with_ledger(reading_ledger(ledger_url))
    valid, problems, sha = validate_file(bundle, policy)
    result = invalid_result(bundle, problems, policy, sha) if valid is None else service.check(valid)
    if not result.valid:
        click.echo(render_result(result))
        raise Outcome(EXIT_FAIL)
    click.echo(explain_text(result, policy, clause, lang))
