"""`zzcbec demo --out DIR`: every eligible sample rendered, the first thing a new user runs."""

from __future__ import annotations

from pathlib import Path

import click

from zzcbec_docs.cli.main import EXIT_FAIL, Outcome


@click.command()
@click.option(
    "--out",
    "out_dir",
    default="out",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="输出目录 / output folder",
)
def demo(out_dir: Path) -> None:
    """用全部样例生成三类文书 / render all three kinds for every eligible sample."""
    from zzcbec_docs.check import check_file
    from zzcbec_docs.cli.render import echo_documents
    from zzcbec_docs.cli.table import render_result
    from zzcbec_docs.policy import load_policy
    from zzcbec_docs.process.rendering import environment_notes
    from zzcbec_docs.process.service import Service
    from zzcbec_docs.resources import resource_dir

    policy = load_policy()
    samples = resource_dir("samples")
    for note in environment_notes():
        click.echo(f"注意 / note: {note}", err=True)
    click.echo(f"样例 / samples: {samples}")
    eligible = []
    for path in sorted(samples.glob("*.yaml")):
        result = check_file(path, policy)
        click.echo(render_result(result))
        if result.valid and any(d.status == "eligible" for d in result.decisions):
            eligible.append(str(path))
    click.echo(
        f"\n生成文书 / rendering {len(eligible)} eligible samples into {out_dir}/ …"
        "（首次运行需准备字体，约一分钟 / the first run prepares the fonts, about a minute）"
    )
    code = echo_documents(
        Service.build(None, policy).render_documents(
            eligible, kinds=["application", "opinion", "notice"], formats=["docx", "pdf"], out_dir=out_dir
        )
    )
    files = sorted(out_dir.glob("*.*"))
    click.echo(f"\n完成 / done: {len(files)} files in {out_dir.resolve()}/")
    if code:
        raise Outcome(EXIT_FAIL)
