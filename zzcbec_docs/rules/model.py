"""Decisions as data: what the rules decided, why, and every step on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from zzcbec_docs.money import fmt_amount
from zzcbec_docs.vocabulary import STATUS_ZH

ELIGIBLE = "eligible"
INELIGIBLE = "ineligible"
REFERRED = "referred"
EXCLUDED = "excluded"


@dataclass(frozen=True)
class Step:
    """One comparison, computation or finding, citing its clause. Reasons are failed steps."""

    clause: int
    code: str
    message: str  # 中文
    message_en: str
    fact: str | None = None
    value: str | None = None
    operator: str | None = None
    threshold: str | None = None
    boundary_word: str | None = None
    passed: bool | None = None
    condition: str | None = None  # the policy's condition id

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "clause": self.clause,
            "code": self.code,
            "message": self.message,
            "message_en": self.message_en,
        }
        for k in ("condition", "fact", "value", "operator", "threshold", "boundary_word", "passed"):
            v = getattr(self, k)
            if v is not None:
                out[k] = v
        return out


@dataclass(frozen=True)
class Funding:
    """Clause 16: who pays. local is the rest, so city + local == amount."""

    city: Decimal
    local: Decimal
    city_ratio: Decimal
    group: str

    def as_dict(self) -> dict[str, str]:
        return {"city": fmt_amount(self.city), "local": fmt_amount(self.local)}


@dataclass(frozen=True)
class AwardRef:
    """A notice in the ledger that awarded this very case (the case shown as awarded, not decided again)."""

    number: str
    issued_on: str
    amount: Decimal
    label: str = STATUS_ZH["awarded"]  # the words: zzcbec_docs.vocabulary

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "awarded",
            "label": self.label,
            "number": self.number,
            "issued_on": self.issued_on,
            "amount": fmt_amount(self.amount),
        }


@dataclass(frozen=True)
class Decision:
    clause: int
    name: str
    status: str
    amount: Decimal
    funding: Funding | None
    reasons: tuple[Step, ...]
    trace: tuple[Step, ...]
    claim_index: int
    competition_name: str | None = None
    computed: Decimal | None = None  # before caps and earlier awards
    cap: Decimal | None = None
    awarded: AwardRef | None = None  # the notice that awarded this claim of this very case (amount as awarded)
    review_capped: Decimal | None = None  # what the verified facts gave, when more than the declared ones

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "clause": self.clause,
            "name": self.name,
            "status": self.status,
            "amount": fmt_amount(self.amount),
            "funding": self.funding.as_dict() if self.funding else None,
            "reasons": [r.as_dict() for r in self.reasons],
            "trace": [t.as_dict() for t in self.trace],
        }
        if self.competition_name is not None:
            out["competition_name"] = self.competition_name
        if self.computed is not None:
            out["computed"] = fmt_amount(self.computed)
        if self.cap is not None:
            out["cap"] = fmt_amount(self.cap)
        if self.awarded is not None:
            out["awarded"] = self.awarded.as_dict()
        if self.review_capped is not None:
            out["verified_amount"] = fmt_amount(self.review_capped)
        return out


@dataclass(frozen=True)
class Warning_:
    code: str
    message: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "message_en": self.message_en}


@dataclass(frozen=True)
class CheckResult:
    """The outcome for one bundle: valid or not, and a decision per claim."""

    source: str
    valid: bool
    errors: tuple[Any, ...] = ()  # Problem
    applicant: dict[str, str] | None = None
    year: int | None = None
    decisions: tuple[Decision, ...] = ()
    warnings: tuple[Warning_, ...] = ()
    policy: dict[str, str | None] = field(default_factory=dict)
    sha256: str | None = None
    awarded: tuple[AwardRef, ...] = ()  # this very content's standing notices (each with its total)

    @property
    def total(self) -> Decimal:
        return sum((d.amount for d in self.decisions), Decimal("0"))

    @property
    def passed(self) -> bool:
        """Exit code 0 material: valid and no claim ineligible or excluded."""
        return self.valid and all(d.status not in (INELIGIBLE, EXCLUDED) for d in self.decisions)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "valid": self.valid,
            "errors": [e.as_dict() for e in self.errors],
            "applicant": self.applicant,
            "year": self.year,
            "claims": [d.as_dict() for d in self.decisions],
            "total": fmt_amount(self.total),
            "warnings": [w.as_dict() for w in self.warnings],
            "policy": self.policy,
            "sha256": self.sha256,
            **(
                {
                    "awarded": {
                        "status": "awarded",
                        "label": self.awarded[0].label,
                        "notices": [
                            {"number": n.number, "issued_on": n.issued_on, "total": fmt_amount(n.amount)}
                            for n in self.awarded
                        ],
                        "total": fmt_amount(sum((n.amount for n in self.awarded), Decimal("0"))),
                    }
                }
                if self.awarded
                else {}
            ),
        }
