"""`zzcbec submit`, `zzcbec review`, `zzcbec case list|show`: the award process at the command line.

Thin: each command reads its files and calls the process layer (zzcbec_docs.process), which
does the work in one transaction on the ledger.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from zzcbec_docs.cli.main import EXIT_FAIL
from zzcbec_docs.cli.options import (
    actor_name,
    actor_option,
    build_service,
    exclusion_option,
    issued_on_option,
    issuer_profile_option,
    json_option,
    ledger_option,
    policy_option,
    require_ledger,
    split_list,
    writable_folder,
)
from zzcbec_docs.vocabulary import decision, status

if TYPE_CHECKING:
    from zzcbec_docs.bundle.model import Bundle
    from zzcbec_docs.policy.model import Policy
    from zzcbec_docs.process.model import ReviewInput
    from zzcbec_docs.process.service import Service


def load_valid_bundle(path: str, policy: Policy) -> Bundle:
    """A valid bundle, or its problems on stderr and a BundleError."""
    from zzcbec_docs.check import validate_file
    from zzcbec_docs.errors import BundleError

    bundle, problems, _ = validate_file(path, policy)
    if bundle is None:
        for p in problems:
            click.echo(f"    {p.path}: {p.message}", err=True)
        raise BundleError("申报材料无效，未受理", "the bundle is invalid: not recorded", file=path)
    return bundle


def target_bundle(target: str, service: Service, record: ReviewInput | None = None) -> Bundle | None:
    """CASE_OR_BUNDLE read before anything is recorded: the valid bundle (and the review record checked
    against it: its verified facts and the material it names), or None for a case id."""
    if target == "-" or Path(target).is_file():
        bundle = load_valid_bundle(target, service.policy)
        if record is not None:
            service.check_record(record, bundle)
        return bundle
    if Path(target).suffix.lower() in (".yaml", ".yml", ".json") or "/" in target:
        from zzcbec_docs.errors import UsageError

        raise UsageError(f"文件不存在：{target}", f"no such file: {target}")
    return None


def resolve_case(service: Service, target: str, bundle: Bundle | None, *, actor: str, with_review: bool = False) -> str:
    """A bundle is submitted (the same content is the same case); else `target` is the case id.
    `with_review`: the bundle is recorded together with its review (the one-step form), so the review's
    date is not compared with today's recording of the submission."""
    if bundle is None:
        return target
    sub = service.submit(bundle, actor=actor, with_review=with_review)
    if sub.created:
        click.echo(f"  {status('submitted')} submitted: 案件 case {sub.case.id}")
    return str(sub.case.id)


@click.command()
@click.argument("bundles", nargs=-1, required=True, metavar="BUNDLE...")
@ledger_option
@actor_option
@json_option
@exclusion_option
@issued_on_option
@policy_option
def submit(
    bundles: tuple[str, ...],
    ledger_url: str | None,
    actor: str | None,
    as_json: bool,
    exclusion_list: Path | None,
    issued_on: dt.date | None,
    policy_file: str | None,
) -> None:
    """提交：把申报材料登记为案件 / record each bundle as a case and print its id.

    A case is the bundle's content, not its bytes: the same content again (other formatting,
    comments, key order, YAML or JSON) is the same case, and nothing new is recorded but the
    resubmission itself.
    """
    from zzcbec_docs.cli.sources import expand_sources, finish
    from zzcbec_docs.errors import ZzcbecError
    from zzcbec_docs.money import fmt_yuan

    service = build_service(policy_file, issued_on, exclusion_list)
    service = service.with_ledger(require_ledger(ledger_url))
    who = actor_name(actor)
    sources, unreadable = expand_sources(bundles)
    code = 0
    for src in sources:
        try:
            sub = service.submit(load_valid_bundle(src, service.policy), actor=who)
        except ZzcbecError as e:
            click.echo(f"✗ {src}: {e.message}", err=True)
            code = EXIT_FAIL
            continue
        c = sub.case
        if as_json:
            click.echo(
                json.dumps(
                    {"source": src, "created": sub.created, "case": c.as_dict(), "check": sub.result.as_dict()},
                    ensure_ascii=False,
                )
            )
            continue
        state = "新案件 new case" if sub.created else "内容相同，沿用原案件 same content: the existing case"
        click.echo(
            f"✓ {c.id}  {src}  {c.applicant_name}  {c.uscc}  {c.district}  {c.year}年度  {state}  "
            f"[{status(c.status)} {c.status}]  {fmt_yuan(c.total) if c.total is not None else '—'}"
        )
        for w in sub.result.warnings:
            if w.code in ("already_awarded_bundle", "revoked_award", "competition_near_name", "competition_same_name"):
                click.echo(f"    ! {w.message} / {w.message_en}")
    finish(code, unreadable)


@click.command()
@click.argument("target", metavar="CASE_OR_BUNDLE")
@click.option(
    "--record",
    "record_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="审核记录 YAML/JSON（审核人、核实数据、意见、结论）/ the review record",
)
@click.option("--unit", default=None, help="审核单位，如 金水区商务局 / the reviewing office")
@click.option(
    "--out",
    "out_dir",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="写出审核意见书的目录 / write the opinion here",
)
@click.option("--format", "formats", default="docx,pdf", show_default=True, help="docx,pdf")
@ledger_option
@actor_option
@exclusion_option
@issued_on_option
@policy_option
@issuer_profile_option
def review(
    target: str,
    record_path: Path,
    unit: str | None,
    out_dir: Path | None,
    formats: str,
    ledger_url: str | None,
    actor: str | None,
    exclusion_list: Path | None,
    issued_on: dt.date | None,
    policy_file: str | None,
    issuer_profile: str | None,
) -> None:
    """审核：记录审核结论并出具审核意见书 / record a review of a case (or of a bundle, submitted first).

    The latest review decides: reject awards nothing; approve/partial award what the verified
    facts give. A conclusion that contradicts its own figures is refused. Every review is kept.
    """
    from zzcbec_docs.documents.atomic import write_atomic
    from zzcbec_docs.money import fmt_yuan
    from zzcbec_docs.process.model import CONCLUSIONS
    from zzcbec_docs.process.records import review_input_from_file

    fmts = split_list(formats, ("docx", "pdf"), "--format")
    service = build_service(policy_file, issued_on, exclusion_list, issuer_profile)
    # every input read and every output checked before anything is recorded
    record = review_input_from_file(record_path, unit=unit, policy=service.policy)
    writable_folder(out_dir)
    bundle = target_bundle(target, service, record)
    service = service.with_ledger(require_ledger(ledger_url))
    who = actor_name(actor)
    case_id = resolve_case(service, target, bundle, actor=who, with_review=True)
    outcome = service.review(case_id, record, actor=who)
    c = outcome.case
    if not outcome.recorded:
        click.echo(
            f"  该审核记录已登记为审核 #{outcome.review_id}，未重复记录 / this review was already recorded "
            f"as review #{outcome.review_id}: nothing new recorded"
        )
    click.echo(
        f"✓ 审核 review #{outcome.review_id}  案件 case {c.id}  {c.applicant_name}  "
        f"{CONCLUSIONS[record.conclusion]} {record.conclusion}  核定 {fmt_yuan(outcome.result.total)}  [{status(c.status)} {c.status}]"
    )
    for d in outcome.result.decisions:
        click.echo(f"    {service.policy.cite(d.clause)}  {decision(d.status)} {d.status}  {fmt_yuan(d.amount)}")
    for w in outcome.result.warnings:
        if w.code == "review_raises":
            click.echo(f"    ! {w.message} / {w.message_en}", err=True)
    if out_dir is not None:
        for fmt in fmts:
            name, data = service.case_document(c.id, "opinion", fmt)
            write_atomic(out_dir / name, data)
            click.echo(f"    → {out_dir / name}")


@click.group()
def case() -> None:
    """案件：提交的申报及其审核、奖励、撤销经过 / the cases and their history."""


@case.command(name="list")
@click.option(
    "--status",
    type=click.Choice(["submitted", "reviewed", "approved", "rejected", "awarded", "revoked"]),
    default=None,
    help="状态 / status",
)
@click.option("--district", default=None, help="区县 / district")
@click.option("--uscc", default=None, help="统一社会信用代码 / applicant")
@click.option("--year", type=int, default=None, help="申报年度 / year")
@ledger_option
@json_option
def list_(
    status: str | None, district: str | None, uscc: str | None, year: int | None, ledger_url: str | None, as_json: bool
) -> None:
    """列出案件 / list the cases."""
    from zzcbec_docs.cli.table import pad, width
    from zzcbec_docs.money import fmt_yuan
    from zzcbec_docs.vocabulary import STATUS_ZH, cn_datetime

    service = build_service(None, None, None).with_ledger(require_ledger(ledger_url, upgrade=False))
    cases = service.list_cases(status=status, district=district, uscc=uscc, year=year)
    if as_json:
        for c in cases:
            click.echo(json.dumps(c.as_dict(), ensure_ascii=False))
        return
    table = [
        ["案件 case", "状态 status", "统一社会信用代码", "申请单位", "区县", "年度", "金额", "提交时间（北京时间）"]
    ]
    for c in cases:
        table.append(
            [
                c.id,
                f"{STATUS_ZH[c.status]} {c.status}",
                c.uscc,
                c.applicant_name,
                c.district,
                str(c.year),
                fmt_yuan(c.total) if c.total is not None else "—",
                cn_datetime(c.submitted_at),
            ]
        )
    widths = [max(width(r[i]) for r in table) for i in range(len(table[0]))]
    for r in table:
        click.echo("  ".join(pad(x, w, right=i == 6) for i, (x, w) in enumerate(zip(r, widths, strict=True))))
    click.echo(f"{len(cases)} 件 / cases")


@case.command()
@click.argument("case_id", metavar="ID")
@ledger_option
@json_option
@exclusion_option
@issued_on_option
@policy_option
def show(
    case_id: str,
    ledger_url: str | None,
    as_json: bool,
    exclusion_list: Path | None,
    issued_on: dt.date | None,
    policy_file: str | None,
) -> None:
    """案件详情：内容、审核、通知、经过 / a case: its content, reviews, notices and history."""
    from zzcbec_docs.cli.table import render_result
    from zzcbec_docs.money import fmt_yuan
    from zzcbec_docs.vocabulary import STATUS_ZH, cn_datetime, event, notice_state

    service = build_service(policy_file, issued_on, exclusion_list)
    service = service.with_ledger(require_ledger(ledger_url, upgrade=False))
    d = service.get_case(case_id)
    result = service.case_result(case_id)
    c = d.case
    if as_json:
        click.echo(
            json.dumps(
                {
                    "case": c.as_dict(),
                    "check": result.as_dict(),
                    "reviews": [
                        {
                            "id": r.id,
                            "reviewer": r.reviewer,
                            "unit": r.unit,
                            "conclusion": r.conclusion,
                            "reviewed_on": r.reviewed_on.isoformat(),
                            "remarks": r.remarks,
                            "verified": [
                                {"clause": v.clause, "competition_name": v.competition_name, "facts": dict(v.facts)}
                                for v in r.verified
                            ],
                            "total": None if r.total is None else f"{r.total:.2f}",
                            "record_file": r.record_file,
                            "record_sha256": r.record_sha256,
                            "actor": r.actor,
                            "at": r.created_at,
                        }
                        for r in d.reviews
                    ],
                    "notices": [
                        {
                            "number": n.number,
                            "issuer": n.issuer,
                            "issued_on": n.issued_on,
                            "total": f"{n.total:.2f}",
                            "revoked": n.revoked,
                            "revocation_reason": n.revocation_reason,
                            "reissue_of": n.reissue_of,
                            "awards": [
                                {
                                    "clause": x.clause,
                                    "competition_name": x.competition_name,
                                    "amount": f"{x.amount:.2f}",
                                }
                                for x in n.lines
                            ],
                        }
                        for n in d.notices
                    ],
                    "attachments": [
                        {"id": a.id, "name": a.name, "sha256": a.sha256, "size": a.size} for a in d.attachments
                    ],
                    "events": [
                        {"kind": e.kind, "actor": e.actor, "at": e.at, "address": e.address, **e.detail}
                        for e in d.events
                    ],
                },
                ensure_ascii=False,
                default=str,
            )
        )
        return
    click.echo(
        f"案件 case {c.id}  [{STATUS_ZH[c.status]} {c.status}]  {c.applicant_name}  {c.uscc}  {c.district}  "
        f"{c.year}年度  {fmt_yuan(c.total) if c.total is not None else '—'}"
    )
    click.echo(f"  内容 content SHA-256 {c.content_sha256}；提交 {cn_datetime(c.submitted_at)} by {c.submitted_by}")
    click.echo(render_result(result))
    if d.reviews:
        click.echo("  审核 reviews:")
        for r in d.reviews:
            click.echo(
                f"    #{r.id} {r.reviewed_on} {r.reviewer}{'（' + r.unit + '）' if r.unit else ''}  "
                f"{r.conclusion_zh} {r.conclusion}  {fmt_yuan(r.total) if r.total is not None else '—'}"
                f"{'  ' + r.remarks if r.remarks else ''}"
            )
    if d.notices:
        click.echo("  通知 notices:")
        for n in d.notices:
            state = notice_state(n.revoked) + (f" revoked：{n.revocation_reason}" if n.revoked else " standing")
            again = f"（替代 replaces {n.reissue_of}）" if n.reissue_of else ""
            click.echo(f"    {n.number}{again}  {n.issued_on}  {fmt_yuan(n.total)}  {state}")
    if d.attachments:
        click.echo("  附件 attachments:")
        for a in d.attachments:
            click.echo(f"    #{a.id} {a.name}  {a.size} B  SHA-256 {a.sha256}")
    click.echo("  经过 history:")
    for e in d.events:
        extra = {
            k: v
            for k, v in e.detail.items()
            if k in ("number", "conclusion", "total", "reason", "source", "reissue_of", "reviewer", "content_sha256")
            and v
        }
        where = f"  from {e.address}" if e.address else ""
        click.echo(
            f"    {cn_datetime(e.at)}  {event(e.kind)} {e.kind:<11}  {e.actor}{where}  "
            + "  ".join(f"{k}={v}" for k, v in extra.items())
        )
