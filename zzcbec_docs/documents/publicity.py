"""拟奖励企业名单公示: the bureau's public list of proposed awards, before money moves (documents.md).

Made from the ledger's awards of a year (revoked ones left out): one row per notice (applicant, USCC,
district, clauses, amount), a 合计 row, the 公示期 counted in working days (the issuer profile's
holidays and 调休 workdays), and where to object. DOCX and PDF from one content, like the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zzcbec_docs import __version__
from zzcbec_docs.documents import gongwen as g
from zzcbec_docs.documents.atomic import write_atomic
from zzcbec_docs.documents.content import _draft_note, clause_list, document_time
from zzcbec_docs.documents.html import render_html
from zzcbec_docs.documents.issuer import Issuer
from zzcbec_docs.errors import ArgumentError, LedgerError
from zzcbec_docs.money import ZERO, in_words
from zzcbec_docs.policy.model import Policy
from zzcbec_docs.vocabulary import cn_date

if TYPE_CHECKING:
    from zzcbec_docs.documents.awards import Award, Awards


@dataclass(frozen=True)
class Entry:
    number: str  # the notice's number; "" for an approved case not yet awarded
    name: str
    uscc: str
    district: str
    clauses: tuple[int, ...]
    amount: Decimal


def entries_from_ledger(ledger: Awards, year: int) -> list[Entry]:
    """One entry per notice of the year's awards (申报年度), in notice order; revoked notices left out."""
    by_notice: dict[str, list[Award]] = {}
    for a in ledger.awards(year=year):
        if not a.revoked:
            by_notice.setdefault(a.notice_number, []).append(a)
    return [
        Entry(
            number,
            rows[0].applicant_name,
            rows[0].uscc,
            rows[0].district,
            tuple(r.clause for r in rows),
            sum((r.amount for r in rows), ZERO),
        )
        for number, rows in by_notice.items()
    ]


def mask_uscc(uscc: str) -> str:
    """91410100MA4600016N → 914101********016N: the registration authority and region, and the last four."""
    return uscc[:6] + "*" * (len(uscc) - 10) + uscc[-4:]


def period_end(issuer: Issuer, start: dt.date, days: int) -> dt.date:
    """The last day of a 公示期 of `days` working days beginning on `start` (itself counted if a working day)."""
    if days < 1 or days > 60:
        raise ArgumentError("公示期须为1至60个工作日", "the publicity period must be 1 to 60 working days")
    d, counted = start, 0
    while True:
        if issuer.is_working_day(d):
            counted += 1
            if counted == days:
                return d
        d += dt.timedelta(days=1)


def publicity_context(
    entries: list[Entry],
    *,
    year: int,
    policy: Policy,
    issuer: Issuer,
    start: dt.date,
    days: int,
    mask: bool,
    date: dt.date,
) -> dict[str, Any]:
    if not entries:
        raise LedgerError(
            f"台账中没有{year}年度审核同意或已奖励的申报，无可公示的名单",
            f"the ledger has no approved or (unrevoked) awarded cases for {year}: nothing to publish",
        )
    if not issuer.is_working_day(start):
        raise ArgumentError(
            f"公示期起始日 {cn_date(start)} 不是工作日", f"the period must start on a working day, not {start}"
        )
    end = period_end(issuer, start, days)
    total = sum((e.amount for e in entries), ZERO)
    contact = issuer.contact
    where = [
        f"联系人：{contact['name']}" if contact.get("name") else "",
        f"联系电话：{contact['phone']}" if contact.get("phone") else "",
        f"通信地址：{contact['address']}" if contact.get("address") else "",
        f"电子邮箱：{contact['email']}" if contact.get("email") else "",
    ]
    title_words = [issuer.name, "关于", f"{year}年度", "跨境电商发展资金", "拟奖励企业名单", "的公示"]
    return {
        "kind": "publicity",
        "kind_name": "拟奖励企业名单公示",
        "title": "".join(title_words),
        "title_lines": g.break_title(title_words),
        "policy": {"title": policy.full_title, "id": policy.id, "status": policy.status},
        "provenance": {"tool": f"zzcbec-docs {__version__}", "policy": f"{policy.id}（{policy.status}）", "sha256": ""},
        "footer": None,
        "year": year,
        "issuer": issuer.name,
        "date": cn_date(date),
        "start": cn_date(start),
        "end": cn_date(end),
        "days": days,
        "rows": [
            {
                "n": i + 1,
                "name": e.name,
                "uscc": mask_uscc(e.uscc) if mask else e.uscc,
                "district": e.district,
                "clauses": clause_list(list(e.clauses)),
                "amount": g.table_yuan(e.amount),
            }
            for i, e in enumerate(entries)
        ],
        "count": len(entries),
        "total": g.table_yuan(total),
        "total_text": g.amount_sentence(total, in_words(total)),
        "contact": "；".join(x for x in where if x),
        "notes": [n for n in (_draft_note(policy, "名单所列奖励"),) if n],
    }


def render_publicity(
    entries: list[Entry],
    policy: Policy,
    issuer: Issuer,
    *,
    year: int,
    start: dt.date,
    days: int = 5,
    mask: bool = False,
    date: dt.date | None = None,
    formats: Iterable[str] = ("docx", "pdf"),
    out_dir: Path,
) -> list[Path]:
    """Write the 公示 of a year's proposed awards (process.documents.publicity_entries); each file
    appears whole or not at all."""
    ctx = publicity_context(
        entries, year=year, policy=policy, issuer=issuer, start=start, days=days, mask=mask, date=date or start
    )
    created = document_time().isoformat().replace("+00:00", "Z")
    html = render_html("publicity", ctx, created)
    identity = f"publicity:{year}:{start}:{days}:{mask}:{policy.id}:{__version__}:" + ",".join(
        f"{e.number or e.uscc}={e.amount}" for e in entries
    )
    written = []
    for fmt in formats:
        if fmt == "pdf":
            from zzcbec_docs.documents.pdf import render_pdf

            data = render_pdf(html, identity=identity)
        else:
            from zzcbec_docs.documents.docx import render_docx

            data = render_docx(
                html,
                title=ctx["title"],
                subject=policy.full_title,
                keywords=f"publicity; {policy.id}; {policy.status}; {year}",
                comments=f"tool=zzcbec-docs {__version__}; policy={policy.id}; status={policy.status}; "
                f"year={year}; notices={len(entries)}",
                author=f"zzcbec-docs {__version__}",
                identifier=f"publicity-{year}-{start.isoformat()}",
                version=__version__,
                status=policy.status,
                created=document_time(),
            )
        path = out_dir / f"publicity-{year}-{start.isoformat()}.{fmt}"
        write_atomic(path, data)
        written.append(path)
    return written
