"""`zzcbec policy list|show|diff`: the installed policies, the policy data for people, what changes between two."""

from __future__ import annotations

from pathlib import Path

import click

from zzcbec_docs.cli.options import load_policy_option, policy_option
from zzcbec_docs.errors import UsageError


@click.group()
def policy() -> None:
    """政策数据 / the policy data file."""


@policy.command(name="list")
def list_() -> None:
    """已安装的政策 / the installed policies (packaged, and those in $ZZCBEC_POLICY_DIRS)."""
    from zzcbec_docs.errors import ZzcbecError
    from zzcbec_docs.policy import installed_policies, load_policy

    for pid, path in sorted(installed_policies().items()):
        try:
            p = load_policy(path)
            click.echo(f"{pid}\t{p.status}\t{p.document_number or '—'}\t{p.issued_on or '—'}\t{p.full_title}\t{path}")
        except ZzcbecError as e:
            click.echo(f"{pid}\t无效 invalid\t{e.message}\t{path}")


@policy.command()
@click.option("--clause", type=int, default=None, help="只看这一条（含条文）/ one clause, with its text")
@policy_option
def show(clause: int | None, policy_file: str | None) -> None:
    """以表格显示政策 / print the policy's conditions, amounts, caps and funding."""
    from zzcbec_docs.calculator.policy_view import show as show_policy

    p = load_policy_option(policy_file, None)
    if clause is not None and clause not in p.clauses:
        raise UsageError(
            f"{p.full_title}没有第{clause}条；共有：{'、'.join(map(str, sorted(p.clauses)))}",
            f"the policy has no clause {clause}; it has {', '.join(map(str, sorted(p.clauses)))}",
        )
    click.echo(show_policy(p, clause))


def _short(v: object) -> str:
    text = str(v)
    return text if len(text) <= 80 else text[:77] + "…"


@policy.command()
@click.argument("old", metavar="OLD_ID|FILE")
@click.argument("new", metavar="NEW_ID|FILE")
@click.option(
    "--bundles",
    "bundles_dir",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="再看这些材料的核定结果会怎样变化 / and which decisions of these bundles change",
)
def diff(old: str, new: str, bundles_dir: Path | None) -> None:
    """两份政策文件的差异 / every number, word or rule that changed between two policy files."""
    from zzcbec_docs.calculator.policy_view import diff as diff_policy
    from zzcbec_docs.check import check_file
    from zzcbec_docs.cli.sources import expand_sources
    from zzcbec_docs.money import fmt_yuan

    a, b = load_policy_option(old, None), load_policy_option(new, None)
    changes = diff_policy(a, b)
    click.echo(f"{old} → {new}: {len(changes)} 处变化 / changes")
    for mark, path, before, after in changes:
        if mark == "~":
            click.echo(f"~ {path}: {_short(before)} → {_short(after)}")
        elif mark == "+":
            click.echo(f"+ {path}: {_short(after)}")
        else:
            click.echo(f"- {path}: {_short(before)}")
    if bundles_dir is None:
        return
    sources, _ = expand_sources([str(bundles_dir)])
    changed = 0
    click.echo(f"\n核定结果变化 / decisions that change ({len(sources)} bundles):")
    for src in sources:
        ra, rb = check_file(src, a), check_file(src, b)
        if ra.valid != rb.valid:  # a clause removed, a fact added: the bundle no longer fits (or now fits)
            changed += 1
            why = (rb.errors or ra.errors)[0]
            click.echo(
                f"  {src}: {'有效 valid' if ra.valid else '无效 invalid'} → {'有效 valid' if rb.valid else '无效 invalid'}"
                f"（{why.path}: {why.zh}）"
            )
            continue
        if not ra.valid:
            continue
        for da, db in zip(ra.decisions, rb.decisions, strict=True):
            if (da.status, da.amount) != (db.status, db.amount):
                changed += 1
                click.echo(
                    f"  {src} {a.cite(da.clause)}: {da.status} {fmt_yuan(da.amount)} → {db.status} {fmt_yuan(db.amount)}"
                )
    if not changed:
        click.echo("  （无 / none）")
