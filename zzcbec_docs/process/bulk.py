"""Bulk steps of the bureau: award many approved cases on one date, and the 拨付清单 (payment list).

`award_many` awards each case in its own transaction (`awarding.award`): all or nothing per case, so
a case refused (no approving review, nothing left under its caps, already awarded …) leaves the
others awarded, each with its own number; the summary says what was and was not awarded and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from zzcbec_docs.policy.model import Policy
from zzcbec_docs.process.model import AWARDED, CaseNotFound, NotAwardable

MAX_BULK = 500


@dataclass(frozen=True)
class BulkLine:
    case_id: str
    applicant: str
    awarded: bool
    number: str | None = None
    total: Decimal | None = None
    reasons: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.case_id,
            "applicant": self.applicant,
            "awarded": self.awarded,
            "number": self.number,
            "total": None if self.total is None else f"{self.total:.2f}",
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class BulkAward:
    date: dt.date
    lines: list[BulkLine]

    @property
    def awarded(self) -> list[BulkLine]:
        return [x for x in self.lines if x.awarded]

    @property
    def refused(self) -> list[BulkLine]:
        return [x for x in self.lines if not x.awarded]

    @property
    def total(self) -> Decimal:
        return sum((x.total or Decimal(0) for x in self.awarded), Decimal("0.00"))


def award_many(
    ledger: Any,
    case_ids: Iterable[str],
    *,
    date: dt.date,
    actor: str,
    policy: Policy,
    issuer: str | None = None,
    code: str | None = None,
    exclusion_list: frozenset[str] = frozenset(),
) -> BulkAward:
    """Award each case on `date` (one transaction each, in the order given, duplicates once)."""
    from zzcbec_docs.errors import ZzcbecError
    from zzcbec_docs.process.awarding import award
    from zzcbec_docs.process.cases import get_case

    ids = list(dict.fromkeys(case_ids))
    if not ids:
        raise NotAwardable("未选择案件", "no case chosen")
    if len(ids) > MAX_BULK:
        raise NotAwardable(f"一次最多奖励 {MAX_BULK} 件", f"at most {MAX_BULK} cases at once")
    lines = []
    for case_id in ids:
        try:
            name = get_case(ledger, case_id, policy).case.applicant_name
        except CaseNotFound as exc:
            lines.append(BulkLine(case_id, "", False, reasons=(exc.message,)))
            continue
        try:
            out = award(
                ledger,
                case_id,
                actor=actor,
                policy=policy,
                date=date,
                issuer=issuer,
                code=code,
                exclusion_list=exclusion_list,
                require_review=True,
            )
        except NotAwardable as exc:
            lines.append(BulkLine(case_id, name, False, reasons=tuple(str(r) for r in exc.reasons)))
        except ZzcbecError as exc:  # a date outside the policy's term, a ledger refusal …: this case only
            lines.append(BulkLine(case_id, name, False, reasons=(exc.message,)))
        else:
            lines.append(BulkLine(case_id, name, True, out.number, out.total))
    return BulkAward(date, lines)


@dataclass(frozen=True)
class Payment:
    """One line of the 拨付清单: a standing notice and where its money goes."""

    number: str
    issued_on: str
    payee: str
    uscc: str
    bank: str
    account: str
    district: str
    clauses: tuple[int, ...]
    amount: Decimal
    city: Decimal | None  # None where clause 16 leaves the split open (上街区)
    local: Decimal | None


def payments(ledger: Any, year: int, policy: Policy) -> list[Payment]:
    """The standing notices of the 申报年度 `year`, in notice order, with the payee's bank account as
    its bundle gives it (the corrected content, where the case was corrected)."""
    from zzcbec_docs.process.cases import get_case, list_cases

    out: list[tuple[int, Payment]] = []
    for case in list_cases(ledger, status=AWARDED, year=year):
        detail = get_case(ledger, case.id, policy)
        bank = (getattr(detail.bundle, "raw", None) or {}).get("applicant", {}).get("bank") or {}
        for n in detail.notices:
            if n.revoked:
                continue
            unsettled = any(x.city is None for x in n.lines)
            out.append(
                (
                    n.id,
                    Payment(
                        number=n.number,
                        issued_on=n.issued_on,
                        payee=case.applicant_name,
                        uscc=case.uscc,
                        bank=str(bank.get("name") or ""),
                        account=str(bank.get("account") or ""),
                        district=case.district,
                        clauses=tuple(sorted({x.clause for x in n.lines})),
                        amount=n.total,
                        city=None if unsettled else sum((x.city or Decimal(0) for x in n.lines), Decimal("0.00")),
                        local=None if unsettled else sum((x.local or Decimal(0) for x in n.lines), Decimal("0.00")),
                    ),
                )
            )
    return [p for _, p in sorted(out, key=lambda x: x[0])]
