"""Typed view of the policy data file. Numbers become Decimal here, once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from zzcbec_docs.errors import PolicyError
from zzcbec_docs.loading import load_file

DATA_DIR = Path(__file__).resolve().parent / "data"


def default_policy_path() -> Path:
    return DATA_DIR / "zz-cbec-measures-draft.yaml"


@dataclass(frozen=True)
class Condition:
    id: str
    kind: str  # threshold | flag | one_of | full_year | growth
    fact: str
    label: str
    operator: str | None = None
    value: Decimal | None = None
    boundary_word: str | None = None
    values: tuple[str, ...] = ()
    prior_fact: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Tier:
    value: Decimal
    operator: str
    amount: Decimal | None = None
    boundary_word: str = ""
    id: str = ""
    any_of: tuple[Condition, ...] = ()
    rate: Decimal | None = None
    cap: Decimal | None = None


@dataclass(frozen=True)
class AmountRule:
    method: str  # rate | fixed | tiers | per_unit | requested | fee_tiers
    base: tuple[str, ...] = ()
    base_label: str = ""
    rate: Decimal | None = None
    value: Decimal | None = None
    fact: str | None = None
    label: str = ""
    tiers: tuple[Tier, ...] = ()
    unit: str = ""
    unit_amount: Decimal | None = None
    fee_fact: str | None = None
    excluded_fees: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cap:
    frequency: str  # per_year | one_time | one_time_per_tier | once_per_year | per_competition
    boundary_word: str
    amount: Decimal | None = None
    reading: str | None = None


@dataclass(frozen=True)
class Clause:
    number: int
    name: str
    name_en: str
    kind: str
    text: str
    conditions: tuple[Condition, ...] = ()
    amount: AmountRule | None = None
    cap: Cap | None = None
    funding: str | None = None  # shared | city
    referred_by: int | None = None

    @property
    def numeral(self) -> str:
        return CHINESE_NUMERALS[self.number]


CHINESE_NUMERALS = {
    i + 1: n for i, n in enumerate(
        "一 二 三 四 五 六 七 八 九 十 十一 十二 十三 十四 十五 十六 十七 十八 十九 二十".split()
    )
}


@dataclass(frozen=True)
class FundingGroup:
    id: str
    city_ratio: Decimal
    districts: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    id: str
    title: str
    status: str
    status_label: str
    issued_on: dt.date | None
    term_years: int
    clause3_reading: str
    clause3_explanation: str
    clause3_explanation_en: str
    clauses: dict[int, Clause]
    city_only_clauses: frozenset[int]
    funding_groups: tuple[FundingGroup, ...]
    unsettled_districts: frozenset[str]
    exclusion_fact: str
    exclusion_label: str
    referred_clauses: frozenset[int]
    source_path: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def full_title(self) -> str:
        """《title》 with （征求意见稿） while the policy is a draft."""
        suffix = f"（{self.status_label}）" if self.status == "draft" else ""
        return f"《{self.title}{suffix}》"

    def award_clauses(self) -> list[Clause]:
        return [c for c in self.clauses.values() if c.kind == "award"]

    def claimable(self) -> list[int]:
        return sorted(n for n, c in self.clauses.items() if c.kind in ("award", "referred"))

    def with_issued_on(self, issued_on: dt.date | None) -> Policy:
        from dataclasses import replace

        return replace(self, issued_on=issued_on)


def _dec(v: Any) -> Decimal | None:
    return None if v is None else Decimal(str(v))


def _condition(d: dict) -> Condition:
    return Condition(
        id=d["id"], kind=d["kind"], fact=d["fact"], label=d["label"],
        operator=d.get("operator"), value=_dec(d.get("value")),
        boundary_word=d.get("boundary_word"), values=tuple(d.get("values", ())),
        prior_fact=d.get("prior_fact"), unit=d.get("unit"),
    )


def _amount(d: dict) -> AmountRule:
    tiers = tuple(
        Tier(
            value=_dec(t.get("value")) or Decimal(0), operator=t.get("operator", ">="),
            amount=_dec(t.get("amount")), boundary_word=t.get("boundary_word", ""),
            id=t.get("id", ""), any_of=tuple(_condition(c) for c in t.get("any_of", ())),
            rate=_dec(t.get("rate")), cap=_dec(t.get("cap")),
        )
        for t in d.get("tiers", ())
    )
    return AmountRule(
        method=d["method"], base=tuple(d.get("base", ())), base_label=d.get("base_label", ""),
        rate=_dec(d.get("rate")), value=_dec(d.get("value")), fact=d.get("fact"),
        label=d.get("label", ""), tiers=tiers, unit=d.get("unit", ""),
        unit_amount=_dec(d.get("unit_amount")), fee_fact=d.get("fee_fact"),
        excluded_fees=tuple(d.get("excluded_fees", ())),
    )


def _build(data: dict, name: str) -> Policy:
    clauses: dict[int, Clause] = {}
    funding = exclusion = None
    for i, c in enumerate(data["clauses"]):
        n = c["number"]
        if n in clauses:
            raise PolicyError(f"条款 {n} 重复", f"clause {n} appears twice", file=name, pointer=f"/clauses/{i}")
        if c["kind"] == "funding":
            funding = c
        if c["kind"] == "exclusion":
            exclusion = c
        cap = c.get("cap")
        clauses[n] = Clause(
            number=n, name=c["name"], name_en=c["name_en"], kind=c["kind"], text=c["text"],
            conditions=tuple(_condition(x) for x in c.get("conditions", ())),
            amount=_amount(c["amount"]) if "amount" in c else None,
            cap=Cap(frequency=cap["frequency"], boundary_word=cap["boundary_word"],
                    amount=_dec(cap.get("amount")), reading=cap.get("reading")) if cap else None,
            funding=c.get("funding"), referred_by=c.get("referred_by"),
        )
    if funding is None or exclusion is None:
        raise PolicyError(
            "政策文件缺少资金分担或排除条款",
            "the policy file lacks its funding or exclusion clause", file=name,
        )
    for i, cl in enumerate(clauses.values()):
        if cl.kind == "award" and cl.cap and cl.cap.frequency in ("per_year", "one_time", "per_competition") \
                and cl.cap.amount is None and cl.amount and cl.amount.method not in ("fixed", "fee_tiers"):
            raise PolicyError(
                f"条款 {cl.number} 的上限缺少金额", f"clause {cl.number}'s cap has no amount",
                file=name, pointer=f"/clauses/{i}/cap",
            )
    seen: dict[str, str] = {}
    for g in funding["groups"]:
        for d in g["districts"]:
            if d in seen:
                raise PolicyError(
                    f"区县 {d} 同时属于两个分担组", f"district {d} is in two funding groups", file=name
                )
            seen[d] = g["id"]
    reading = data["settings"]["clause3_reading"]
    issued = data.get("issued_on")
    return Policy(
        id=data["id"], title=data["title"], status=data["status"],
        status_label=data["status_label"],
        issued_on=dt.date.fromisoformat(issued) if issued else None,
        term_years=data["term_years"], clause3_reading=reading["value"],
        clause3_explanation=reading["explanation"], clause3_explanation_en=reading["explanation_en"],
        clauses=clauses, city_only_clauses=frozenset(funding["city_only_clauses"]),
        funding_groups=tuple(
            FundingGroup(g["id"], Decimal(g["city_ratio"]), tuple(g["districts"])) for g in funding["groups"]
        ),
        unsettled_districts=frozenset(funding["unsettled_districts"]),
        exclusion_fact=exclusion["excluded_if"], exclusion_label=exclusion["excluded_label"],
        referred_clauses=frozenset(exclusion["referred_clauses"]),
        source_path=name, raw=data,
    )


@lru_cache(maxsize=8)
def _load_cached(path: str) -> Policy:
    from zzcbec_docs.policy.ready import load_ready

    return load_ready(path, _load_checked, Policy)  # checked once, then kept ready (issue 14)


def _load_checked(path: str) -> Policy:
    from zzcbec_docs import schema

    data, _ = load_file(Path(path), PolicyError)
    # the policy file keeps numbers as strings; a bare YAML number here is a mistake
    problems = schema.errors("policy.schema.json", data)
    if problems:
        ptr, zh, en = problems[0]
        more = f"（另有 {len(problems) - 1} 处）" if len(problems) > 1 else ""
        raise PolicyError(zh + more, en, file=path, pointer=ptr)
    return _build(data, path)


def load_policy(path: str | Path | None = None) -> Policy:
    """Load and check a policy data file (the draft shipped with the package by default)."""
    p = Path(path) if path else default_policy_path()
    return _load_cached(str(p.resolve()) if p.exists() else str(p))
