"""What anyone holding a notice may learn from the ledger: its number, the applicant's name, the
amounts, and whether it stands or was revoked (when, why, and the notice that replaced it) —
nothing more. `zzcbec verify` prints these facts, and the desk's public page answers them for a
核验码 (desk/verify_page.py); both read them here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from zzcbec_docs.policy.model import chinese_numeral

CODE = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}$")


@dataclass(frozen=True)
class Standing:
    number: str
    applicant_name: str
    amounts: tuple[tuple[str, Decimal], ...]  # (第1条 / 第11条（赛事）, amount) in the notice's order
    total: Decimal
    revoked: bool
    revoked_at: str | None = None  # the ledger's time of the revocation (UTC)
    reason: str | None = None
    replaced_by: str | None = None  # the notice re-issued in its place

    @property
    def state_zh(self) -> str:
        if not self.revoked:
            return "有效"
        what = f"已撤销（{self.reason or '未写原因'}）"
        return what + (f"，由 {self.replaced_by} 替代" if self.replaced_by else "")

    @property
    def state_en(self) -> str:
        if not self.revoked:
            return "standing"
        what = f"revoked ({self.reason or 'no reason given'})"
        return what + (f", replaced by {self.replaced_by}" if self.replaced_by else "")

    def line(self) -> str:
        """One line of text, as `zzcbec verify` prints it."""
        from zzcbec_docs.documents.gongwen import table_yuan

        parts = "，".join(f"{what} {table_yuan(a)}元" for what, a in self.amounts)
        return (
            f"{self.number}　{self.applicant_name}　{parts}，合计 {table_yuan(self.total)}元　"
            f"{self.state_zh} / {self.state_en}"
        )


def standing(ledger: Any, *, number: str | None = None, code: str | None = None) -> Standing | None:
    """The facts of the notice with this number, or whose 核验码 this is; None where there is none."""
    from zzcbec_docs.documents.gongwen import verification_code
    from zzcbec_docs.ledger import cases as store

    if code is not None and not CODE.match(code):
        return None
    with ledger.engine.connect() as conn:
        rows = store.notice_rows(conn, number=number) if number is not None else store.notice_rows(conn)
        if not rows:
            return None
        lines: dict[int, list[Any]] = {}
        for a in store.award_rows(conn, [r.id for r in rows]):
            lines.setdefault(a.notice_id, []).append(a)
        found = None
        for r in rows:
            amounts = [store.money(a.amount_cents) or Decimal("0.00") for a in lines.get(r.id, [])]
            if number is not None or verification_code(r.number, r.uscc, amounts) == code:
                found = r
                break
        if found is None:
            return None
        replaced = (
            next(
                (n.number for n in store.notice_rows(conn, case_id=found.case_id) if n.reissue_of == found.number), None
            )
            if found.case_id
            else None
        )
    awards = lines.get(found.id, [])
    amounts_t = tuple(
        (
            f"第{chinese_numeral(a.clause)}条" + (f"（{a.competition_name}）" if a.competition_name else ""),
            store.money(a.amount_cents) or Decimal("0.00"),
        )
        for a in awards
    )
    return Standing(
        number=found.number,
        applicant_name=found.applicant_name,
        amounts=amounts_t,
        total=sum((x for _, x in amounts_t), Decimal("0.00")),
        revoked=found.rid is not None,
        revoked_at=found.revoked_at,
        reason=found.reason,
        replaced_by=replaced,
    )
