"""`zzcbec verify FILE... --ledger URL`: check notices against the award ledger."""

from __future__ import annotations

from pathlib import Path

import click

from zzcbec_docs.cli.main import EXIT_FAIL, Outcome
from zzcbec_docs.cli.options import issuer_profile_option, ledger_option


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@ledger_option
@click.option("--allow-unsigned", is_flag=True, default=False,
              help="接受未签名的 PDF（出具时用了 --unsigned）/ accept PDFs issued with --unsigned")
@issuer_profile_option
def verify(files: tuple[Path, ...], ledger_url: str | None, allow_unsigned: bool, issuer_profile: str | None) -> None:
    """核验奖励通知书 / verify award notices (PDF or DOCX) against the ledger: the number exists and is
    not revoked, the file's amounts are the ledger's, and its 核验码 matches; a PDF's signature is
    intact, made with the bureau's certificate (the issuer profile's signing.certificate), and
    its time is shown; the ledger's facts of the notice are printed as the desk's /verify page shows them. An unsigned PDF does not verify unless --allow-unsigned.

    Exit 0 when every file verifies, 1 otherwise.
    """
    from zzcbec_docs.documents.verify import verify_file
    from zzcbec_docs.errors import UsageError
    from zzcbec_docs.ledger import open_ledger

    if not ledger_url:
        raise UsageError("请用 --ledger 或 ZZCBEC_LEDGER 指定奖励台账", "give the ledger with --ledger or ZZCBEC_LEDGER")
    from zzcbec_docs.documents.issuer import load_issuer
    from zzcbec_docs.process.standing import standing

    ledger = open_ledger(ledger_url, upgrade=False)
    signing = load_issuer(issuer_profile).signing
    failed = False
    for path in files:
        v = verify_file(path, ledger, signing=signing, allow_unsigned=allow_unsigned)
        if v.ok:
            click.echo(f"✓ {path}: 核验通过 / verified — {v.facts[0]}，核验码 {v.code}")
            click.echo(f"    {_signature_line(v.signature)}")
            _standing(ledger, v.number, standing)
        else:
            failed = True
            click.echo(f"✗ {path}: 核验未通过 / not verified{f'（{v.number}）' if v.number else ''}")
            for zh, en in v.problems:
                click.echo(f"    {zh} / {en}")
            if v.signature is not None and v.signature.ok:
                click.echo(f"    {_signature_line(v.signature)}")
            _standing(ledger, v.number, standing)
    if failed:
        raise Outcome(EXIT_FAIL)


def _signature_line(sig) -> str:  # type: ignore[no-untyped-def]
    """签名 ✓ intact, the signer, the time; 未签名 / unsigned; DOCX: no signature to check."""
    if sig is None:
        return "签名：DOCX 不带电子签名（签名在 PDF 上）/ signature: a DOCX carries none (the PDF is signed)"
    if not sig.signed:
        return "签名：未签名 / signature: unsigned"
    import datetime as dt

    when = (sig.timestamp or sig.signed_at).astimezone(dt.timezone(dt.timedelta(hours=8)))
    stamp = "，时间戳" if sig.timestamp else ""
    return (f"签名：完整，签名人 {sig.signer}，签名时间{stamp} {when:%Y-%m-%d %H:%M:%S}（北京时间） / signature: intact, "
            f"signer {sig.signer}, {'timestamped' if sig.timestamp else 'signed'} at {when.isoformat()}")


def _standing(ledger, number, standing) -> None:  # type: ignore[no-untyped-def]
    """The ledger's facts of the notice, as the desk's public page shows them (process/standing.py)."""
    found = standing(ledger, number=number) if number else None
    if found is not None:
        click.echo(f"    台账：{found.line()}")
