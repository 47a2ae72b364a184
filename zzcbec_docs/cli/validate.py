"""`zzcbec validate BUNDLE...`: the schema only."""

from __future__ import annotations

import json

import click

from zzcbec_docs.cli.main import EXIT_FAIL
from zzcbec_docs.cli.options import bundles_argument, json_option, load_policy_option, policy_option
from zzcbec_docs.cli.sources import expand_in_order, finish


@click.command()
@bundles_argument
@json_option
@policy_option
def validate(bundles: tuple[str, ...], as_json: bool, policy_file: str | None) -> None:
    """只做格式校验 / check bundles against the schema only (`-` reads standard input)."""
    from zzcbec_docs.check import validate_file

    policy = load_policy_option(policy_file, None)
    entries = expand_in_order(bundles)
    unreadable = [(src, why) for src, why in entries if why is not None]
    code = 0
    for src, why in entries:
        if why is not None:
            if as_json:  # one line per input, in order; the message also goes to stderr
                zh, _, en = why.partition(" / ")
                click.echo(
                    json.dumps(
                        {
                            "source": src,
                            "valid": False,
                            "errors": [{"path": "/", "message": why, "message_zh": zh, "message_en": en}],
                            "sha256": None,
                        },
                        ensure_ascii=False,
                    )
                )
            continue
        bundle, problems, sha = validate_file(src, policy)
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "source": src,
                        "valid": bundle is not None,
                        "errors": [p.as_dict() for p in problems],
                        "sha256": sha,
                    },
                    ensure_ascii=False,
                )
            )
        elif bundle is not None:
            click.echo(f"✓ {src}  有效 / valid")
        else:
            click.echo(f"✗ {src}  无效 / invalid")
            for p in problems:
                click.echo(f"    {p.path}: {p.zh}\n    {' ' * len(p.path)}  {p.en}")
        if bundle is None:
            code = max(code, EXIT_FAIL)
    finish(code, unreadable)
