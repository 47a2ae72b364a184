"""`zzcbec verify FILE... --ledger URL`: check notices against the award ledger."""

from __future__ import annotations

from pathlib import Path

import click

from zzcbec_docs.cli.main import EXIT_FAIL, Outcome
from zzcbec_docs.cli.options import ledger_option


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@ledger_option
def verify(files: tuple[Path, ...], ledger_url: str | None) -> None:
    """核验奖励通知书 / verify award notices (PDF or DOCX) against the ledger: every figure and name the
    notice prints — number, issuer, payee, bank, account, amounts, total, city and district shares,
    the 万元 sentence, date — and its 核验码; each difference is named.

    Exit 0 when every file verifies, 1 otherwise.
    """
    from zzcbec_docs.cli.options import build_service, require_ledger

    service = build_service(None, None, None).with_ledger(require_ledger(ledger_url, upgrade=False))
    failed = False
    for path in files:
        v = service.verify(path)
        if v.ok:
            click.echo(f"✓ {path}: 核验通过 / verified — {v.facts[0]}，核验码 {v.code}")
        else:
            failed = True
            click.echo(f"✗ {path}: 核验未通过 / not verified{f'（{v.number}）' if v.number else ''}")
            for zh, en in v.problems:
                click.echo(f"    {zh} / {en}")
        for c in v.checks:
            if c.ok is None:
                click.echo(f"    未核验 not checked — {c.zh} / {c.en}")
    if failed:
        raise Outcome(EXIT_FAIL)
