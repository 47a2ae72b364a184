"""A validated bundle with typed facts (Decimal money, int counts, date dates)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zzcbec_docs.policy.model import Policy


def competition_key(name: str | None) -> str | None:
    """Clause 11 compares competitions by this key: Unicode NFKC (full-width digits and letters become
    ASCII), every whitespace removed, case folded — so "第１届 大赛 " and "第1届大赛" are one competition."""
    if name is None:
        return None
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()


def item_key(policy: Policy, clause: int, name: str | None) -> tuple[int, str | None]:
    """What one claim, one verified claim or one award is of: (clause, competition key) for a clause the
    policy caps per competition (Clause.per_competition), else (clause, None) — one per clause."""
    return (clause, competition_key(name) if policy.per_competition(clause) else None)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, where it is, in both languages."""

    path: str
    zh: str
    en: str

    @property
    def message(self) -> str:
        return f"{self.zh} / {self.en}"

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message, "message_zh": self.zh, "message_en": self.en}


@dataclass(frozen=True)
class Applicant:
    name: str
    uscc: str
    district: str  # canonical name (aliases resolved)
    district_as_written: str
    etrade_core_zone_policy: bool
    address: str | None = None
    legal_representative: str | None = None
    contact: dict[str, str] | None = None
    bank: dict[str, str] | None = None
    customs_code: str | None = None


@dataclass(frozen=True)
class Claim:
    clause: int
    facts: dict[str, Any]
    index: int  # position in the bundle's claims list

    @property
    def competition_name(self) -> str | None:
        return self.facts.get("competition_name")

    def item_name(self, policy: Policy) -> str | None:
        """The named item of a per-item cap (the competition), from the fact the policy names."""
        item = policy.item_fact(self.clause)
        value = self.facts.get(item) if item else self.competition_name
        return str(value) if value is not None else None


@dataclass(frozen=True)
class PriorAward:
    clause: int
    year: int
    amount: Decimal
    competition_name: str | None = None
    source: str = "bundle"  # bundle | ledger
    reference: str | None = None  # a notice number, when known
    tier: Decimal | None = None  # the tier (cap) the award was decided under, when the ledger recorded it
    organiser: str | None = None  # clause 11: another organiser's USCC (the competition's cap is shared)


@dataclass(frozen=True)
class Bundle:
    source: str
    sha256: str
    year: int
    applicant: Applicant
    claims: tuple[Claim, ...]
    prior_awards: tuple[PriorAward, ...] = ()
    attachments: tuple[dict[str, str], ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    policy_digest: str = ""  # the policy whose contract it was validated under (Policy.digest)
