"""`zzcbec policy show|diff`: the policy data for people; what changes between two policy files."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def policy() -> None:
    """政策数据 / the policy data file."""


@policy.command()
@click.option("--clause", type=click.IntRange(1, 18), default=None, help="只看这一条（含条文）/ one clause, with its text")
@click.option("--policy", "policy_file", type=click.Path(dir_okay=False, path_type=Path), default=None)
def show(clause: int | None, policy_file: Path | None) -> None:
    """以表格显示政策 / print the policy's conditions, amounts, caps and funding."""
    from zzcbec_docs.calculator.policy_view import show as show_policy
    from zzcbec_docs.policy import load_policy

    click.echo(show_policy(load_policy(policy_file), clause))


def _short(v: object) -> str:
    text = str(v)
    return text if len(text) <= 80 else text[:77] + "…"


@policy.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bundles", "bundles_dir", type=click.Path(exists=True, path_type=Path), default=None,
              help="再看这些材料的核定结果会怎样变化 / and which decisions of these bundles change")
def diff(old: Path, new: Path, bundles_dir: Path | None) -> None:
    """两份政策文件的差异 / every number, word or rule that changed between two policy files."""
    from zzcbec_docs.calculator.policy_view import diff as diff_policy
    from zzcbec_docs.check import check_file
    from zzcbec_docs.cli.sources import expand_sources
    from zzcbec_docs.money import fmt_yuan
    from zzcbec_docs.policy import load_policy

    a, b = load_policy(old), load_policy(new)
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
        if not (ra.valid and rb.valid):
            continue
        for da, db in zip(ra.decisions, rb.decisions, strict=True):
            if (da.status, da.amount) != (db.status, db.amount):
                changed += 1
                click.echo(f"  {src} 第{da.clause}条: {da.status} {fmt_yuan(da.amount)} → {db.status} {fmt_yuan(db.amount)}")
    if not changed:
        click.echo("  （无 / none）")
