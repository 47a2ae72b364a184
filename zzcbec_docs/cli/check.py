"""`zzcbec check BUNDLE...`: validate, apply every clause, print a table or JSON Lines."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from zzcbec_docs.cli.main import EXIT_FAIL
from zzcbec_docs.cli.options import (
    bundles_argument,
    exclusion_option,
    issued_on_option,
    json_option,
    ledger_option,
    policy_option,
    reading_ledger,
)
from zzcbec_docs.cli.sources import expand_in_order, finish

if TYPE_CHECKING:
    from zzcbec_docs.policy.model import Policy


@click.command()
@bundles_argument
@json_option
@exclusion_option
@issued_on_option
@policy_option
@ledger_option
def check(
    bundles: tuple[str, ...],
    as_json: bool,
    exclusion_list: Path | None,
    issued_on: dt.date | None,
    policy_file: Path | None,
    ledger_url: str | None,
) -> None:
    """校验并逐条核定 / validate bundles and decide every claim.

    Exit code 0 when every bundle is valid and no claim is ineligible or excluded, 1 otherwise,
    2 for a usage error. With --ledger, the ledger's awards count against caps and one-time awards
    as well as the bundle's own prior_awards.
    """
    from zzcbec_docs.bundle.model import Problem
    from zzcbec_docs.check import invalid_result, validate_file
    from zzcbec_docs.cli.options import build_service
    from zzcbec_docs.cli.table import render_result

    service = build_service(policy_file, issued_on, exclusion_list)
    policy = service.policy
    service = service.with_ledger(reading_ledger(ledger_url))
    entries = expand_in_order(bundles)
    unreadable = [(src, why) for src, why in entries if why is not None]
    code = 0
    if not as_json:
        for w in policy_warnings_once(policy):
            click.echo(f"注意 / note: {w}", err=True)
    for src, why in entries:
        if why is not None:  # reported on stderr by finish(); a JSON line keeps one line per input
            if as_json:
                zh, _, en = why.partition(" / ")
                result = invalid_result(src, [Problem("/", zh, en)], policy)
                click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
            continue
        bundle, problems, sha = validate_file(src, policy)
        result = invalid_result(src, problems, policy, sha) if bundle is None else service.check(bundle)
        if as_json:
            click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        else:
            click.echo(render_result(result))
        if not result.passed:
            code = EXIT_FAIL
    finish(code, unreadable)


def policy_warnings_once(policy: Policy) -> list[str]:
    from zzcbec_docs.rules.engine import policy_warnings

    return [f"{w.message} / {w.message_en}" for w in policy_warnings(policy)]
