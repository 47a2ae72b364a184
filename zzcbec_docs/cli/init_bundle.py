"""`zzcbec init-bundle --clause N`: a commented skeleton to fill in."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from zzcbec_docs.cli.options import load_policy_option, policy_option


@click.command(name="init-bundle")
@click.option(
    "--clause",
    "clauses",
    type=int,
    required=True,
    multiple=True,
    help="可申报的条款号（可多次：--clause 1 --clause 6）/ a claimable clause (repeatable)",
)
@click.option("--year", type=int, default=None, help="申报年度（默认去年）/ the year (default: last year)")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="写入文件（默认标准输出；已存在则不覆盖）/ write to a file (never overwrites)",
)
@policy_option
def init_bundle(clauses: tuple[int, ...], year: int | None, out_path: Path | None, policy_file: str | None) -> None:
    """生成带中文注释的申报材料模板 / write a commented bundle skeleton for a clause."""
    from zzcbec_docs.calculator.skeleton import skeleton
    from zzcbec_docs.documents.atomic import write_atomic
    from zzcbec_docs.errors import UsageError

    text = skeleton(load_policy_option(policy_file, None), clauses, year or dt.date.today().year - 1)
    if out_path is None:
        click.echo(text, nl=False)
        return
    if out_path.exists():
        raise UsageError(f"{out_path} 已存在，不覆盖", f"{out_path} exists; not overwritten")
    write_atomic(out_path, text.encode("utf-8"))
    click.echo(f"✓ {out_path}")
