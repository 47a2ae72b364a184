"""`zzcbec verify FILE... --ledger URL`: check notices against the award ledger."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from zzcbec_docs.cli.main import EXIT_FAIL
from zzcbec_docs.cli.options import issuer_profile_option, ledger_option

if TYPE_CHECKING:
    from zzcbec_docs.documents.signing import SignatureCheck


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@ledger_option
@click.option(
    "--allow-unsigned",
    is_flag=True,
    default=False,
    help="接受未签名的 PDF（出具时用了 --unsigned）/ accept PDFs issued with --unsigned",
)
@issuer_profile_option
def verify(files: tuple[Path, ...], ledger_url: str | None, allow_unsigned: bool, issuer_profile: str | None) -> None:
    """核验奖励通知书 / verify award notices (PDF or DOCX) against the ledger: every figure and name the
    notice prints — number, issuer, payee, bank, account, amounts, total, city and district shares,
    the 万元 sentence, date — and its 核验码; each difference is named. A PDF's signature is checked
    too: intact, made with the bureau's certificate (the issuer profile's signing.certificate), its
    time; an unsigned PDF does not verify unless --allow-unsigned. The ledger's facts of the notice
    are printed as the desk's public /verify page shows them.

    Exit 0 when every file verifies, 1 otherwise, 2 when a file cannot be read (not a PDF or DOCX,
    empty, missing); the other files are verified all the same.
    """
    from zzcbec_docs.cli.options import build_service, require_ledger
    from zzcbec_docs.cli.sources import finish
    from zzcbec_docs.errors import ArgumentError

    service = build_service(None, None, None, issuer_profile).with_ledger(require_ledger(ledger_url, upgrade=False))
    failed = False
    unreadable: list[tuple[str, str]] = []
    for path in files:
        try:
            v = service.verify(path, allow_unsigned=allow_unsigned)
        except ArgumentError as e:
            if e.file != str(path):  # not this file's fault (a setting, a missing tool): the command stops
                raise
            unreadable.append((str(path), f"{e.zh} / {e.en}"))
            continue
        if v.ok:
            click.echo(f"✓ {path}: 核验通过 / verified — {v.facts[0]}，核验码 {v.code}")
            click.echo(f"    {_signature_line(v.signature)}")
        else:
            failed = True
            click.echo(f"✗ {path}: 核验未通过 / not verified{f'（{v.number}）' if v.number else ''}")
            for zh, en in v.problems:
                click.echo(f"    {zh} / {en}")
        for c in v.checks:
            if c.ok is None:
                click.echo(f"    未核验 not checked — {c.zh} / {c.en}")
        if not v.ok and v.signature is not None and v.signature.ok:
            click.echo(f"    {_signature_line(v.signature)}")
        found = service.standing(number=v.number) if v.number else None
        if found is not None:
            click.echo(f"    台账：{found.line()}")
    finish(EXIT_FAIL if failed else 0, unreadable)


def _signature_line(sig: SignatureCheck | None) -> str:
    """签名: intact, the signer, the time; 未签名 / unsigned; a DOCX carries no signature to check."""
    if sig is None:
        return "签名：DOCX 不带电子签名（签名在 PDF 上）/ signature: a DOCX carries none (the PDF is signed)"
    if not sig.signed:
        return "签名：未签名 / signature: unsigned"
    import datetime as dt

    # a signature with neither time is not `ok` (documents.signing.check_signature), so one is here
    when = cast(dt.datetime, sig.timestamp or sig.signed_at).astimezone(dt.timezone(dt.timedelta(hours=8)))
    stamp = "，时间戳" if sig.timestamp else ""
    return (
        f"签名：完整，签名人 {sig.signer}，签名时间{stamp} {when:%Y-%m-%d %H:%M:%S}（北京时间） / signature: intact, "
        f"signer {sig.signer}, {'timestamped' if sig.timestamp else 'signed'} at {when.isoformat()}"
    )
