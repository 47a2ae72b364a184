"""Typed view of the policy data file. Numbers become Decimal here, once.

Each kind of condition and each amount method is its own type; the engine dispatches on the
type, so a kind the data names is a kind the code implements (and a new kind is a new type).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, ClassVar

# ---------------------------------------------------------------- conditions


@dataclass(frozen=True)
class Threshold:
    """年进出口额达到1000万元以上: fact, operator and value, with the boundary word beside them."""

    kind: ClassVar[str] = "threshold"
    id: str
    fact: str
    label: str
    operator: str
    value: Decimal
    boundary_word: str
    unit: str | None = None


@dataclass(frozen=True)
class Flag:
    """取得《支付业务许可证》: a fact that must be true."""

    kind: ClassVar[str] = "flag"
    id: str
    fact: str
    label: str


@dataclass(frozen=True)
class OneOf:
    """全国性或区域性总部: a fact whose value must be one of a few, each with its Chinese name."""

    kind: ClassVar[str] = "one_of"
    id: str
    fact: str
    label: str
    values: tuple[str, ...]
    choice_labels: tuple[tuple[str, str], ...] = ()  # (value, 中文) for every value the fact may take

    def name_of(self, value: str) -> str:
        return dict(self.choice_labels).get(value, value)


@dataclass(frozen=True)
class FullYear:
    """落户后整年度 / 经营满一年: the whole 申报年度 lies after the date."""

    kind: ClassVar[str] = "full_year"
    id: str
    fact: str
    label: str
    boundary_word: str


@dataclass(frozen=True)
class Growth:
    """增幅不低于10%: (fact − prior_fact) / prior_fact compared exactly."""

    kind: ClassVar[str] = "growth"
    id: str
    fact: str
    label: str
    prior_fact: str
    operator: str
    value: Decimal
    boundary_word: str
    prior_label: str = ""  # 上年营业收入


Condition = Threshold | Flag | OneOf | FullYear | Growth

# ---------------------------------------------------------------- amounts


@dataclass(frozen=True)
class Tier:
    """One step of a tiered amount: reaching `value` (by `operator`) pays `amount`."""

    operator: str
    value: Decimal
    amount: Decimal
    boundary_word: str


@dataclass(frozen=True)
class FeeTier:
    """One step of a fee subsidy: any one of the alternatives qualifies; rate and cap of the step."""

    id: str
    any_of: tuple[Threshold, ...]
    rate: Decimal
    cap: Decimal


@dataclass(frozen=True)
class RateAmount:
    """30% × 费用: a rate of the sum of the base facts."""

    method: ClassVar[str] = "rate"
    base: tuple[str, ...]
    base_label: str
    rate: Decimal


@dataclass(frozen=True)
class FixedAmount:
    """给予500万元: a fixed sum."""

    method: ClassVar[str] = "fixed"
    value: Decimal


@dataclass(frozen=True)
class TierAmount:
    """分别给予200万元、400万元: the highest tier reached pays its amount."""

    method: ClassVar[str] = "tiers"
    fact: str
    label: str
    tiers: tuple[Tier, ...]


@dataclass(frozen=True)
class PerUnitAmount:
    """每平方米300元: a sum per unit of a quantity."""

    method: ClassVar[str] = "per_unit"
    fact: str
    base_label: str
    unit: str
    unit_amount: Decimal


@dataclass(frozen=True)
class RequestedAmount:
    """不超过1万元资金扶持: the amount the applicant asks for, within the cap."""

    method: ClassVar[str] = "requested"
    fact: str
    base_label: str


@dataclass(frozen=True)
class FeeTierAmount:
    """按综合服务费的60%/30%: the first step whose alternative holds sets rate and cap; some fees do not count."""

    method: ClassVar[str] = "fee_tiers"
    fee_fact: str
    base_label: str
    excluded_fees: tuple[str, ...]
    tiers: tuple[FeeTier, ...]
    excluded_label: str = ""  # 水电费, as the clause names what it leaves out
    counted_label: str = ""  # 综合服务费, what the excluded fees are not part of


Amount = RateAmount | FixedAmount | TierAmount | PerUnitAmount | RequestedAmount | FeeTierAmount
AmountRule = Amount  # the name earlier versions used


@dataclass(frozen=True)
class Cap:
    """How much and how often: the frequency decides which earlier awards count against it."""

    frequency: str  # per_year | one_time | one_time_per_tier | once_per_year | per_competition
    boundary_word: str
    amount: Decimal | None = None
    reading: str | None = None  # the name of a setting (an ambiguous reading made explicit)
    item_fact: str | None = None  # per_competition: the fact naming the item (competition_name)


# ---------------------------------------------------------------- facts


FACT_TYPES = ("money", "quantity", "count", "flag", "date", "text", "choice", "fee_items", "unused")


@dataclass(frozen=True)
class Fact:
    """One fact of the bundle contract: its name, type, Chinese label, unit, choices or fee items."""

    name: str
    type: str  # one of FACT_TYPES ("unused": in the vocabulary, taken by no clause, accepted and ignored)
    label: str
    unit: str | None = None
    choices: tuple[tuple[str, str], ...] = ()  # choice: (value, 中文)
    items: tuple[tuple[str, str], ...] = ()  # fee_items: (item, 中文)

    @property
    def kind(self) -> str:
        """The bundle schema's `$defs` name for this fact's type (choices and fee items by fact name)."""
        return self.name if self.type in ("choice", "fee_items") else self.type


# ---------------------------------------------------------------- clauses


CHINESE_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 15 → 十五, 20 → 二十, 101 → 一百零一 (how clauses are numbered)."""
    if n < 0:
        raise ValueError(n)
    if n < 10:
        return CHINESE_DIGITS[n]
    if n < 20:
        return "十" + (CHINESE_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return CHINESE_DIGITS[n // 10] + "十" + (CHINESE_DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = (
            ""
            if rest == 0
            else (
                "零" + CHINESE_DIGITS[rest]
                if rest < 10
                else ("一" + chinese_numeral(rest) if rest < 20 else chinese_numeral(rest))
            )
        )
        return CHINESE_DIGITS[n // 100] + "百" + tail
    return str(n)


class _Numerals:
    """CHINESE_NUMERALS[n] for any n (kept for the callers that index it)."""

    def __getitem__(self, key: int) -> str:
        return chinese_numeral(key)

    def get(self, key: Any, default: Any = None) -> Any:
        return chinese_numeral(key) if isinstance(key, int) and not isinstance(key, bool) and key >= 0 else default


CHINESE_NUMERALS = _Numerals()


@dataclass(frozen=True)
class Clause:
    number: int
    name: str
    name_en: str
    kind: str  # award | referred | exclusion | funding | implementation | term
    text: str
    conditions: tuple[Condition, ...] = ()
    amount: Amount | None = None
    cap: Cap | None = None
    funding: str | None = None  # shared | city
    referred_by: int | None = None
    facts: tuple[str, ...] = ()  # the facts a bundle gives for this clause, in order (derived at load)

    @property
    def numeral(self) -> str:
        return chinese_numeral(self.number)

    @property
    def per_competition(self) -> bool:
        """单个活动不超过: the clause is claimed, verified and capped once per named item (a competition),
        and the item's cap is shared by all its organisers — the cap's `per_competition` frequency says so
        (in the draft, clause 11)."""
        return self.cap is not None and self.cap.frequency == "per_competition"

    @property
    def cite(self) -> str:
        """第十五条."""
        return f"第{self.numeral}条"

    def amount_facts(self) -> tuple[str, ...]:
        """The facts the amount is computed from (none for a fixed sum)."""
        a = self.amount
        if isinstance(a, RateAmount):
            return a.base
        if isinstance(a, (TierAmount, PerUnitAmount, RequestedAmount)):
            return (a.fact,)
        if isinstance(a, FeeTierAmount):
            return (a.fee_fact,)
        return ()

    def all_conditions(self) -> Iterator[Condition]:
        """The clause's conditions and the alternatives inside its amount's tiers."""
        yield from self.conditions
        if isinstance(self.amount, FeeTierAmount):
            for t in self.amount.tiers:
                yield from t.any_of


@dataclass(frozen=True)
class FundingGroup:
    id: str
    city_ratio: Decimal
    districts: tuple[str, ...]


@dataclass(frozen=True)
class Setting:
    """A named reading of an ambiguous passage, printed wherever it is applied."""

    name: str
    value: str
    explanation: str
    explanation_en: str


@dataclass(frozen=True)
class Exclusion:
    """The clause that puts some applicants outside the policy (and refers some clauses elsewhere)."""

    clause: int
    fact: str  # the applicant's declaration (etrade_core_zone_policy)
    label: str
    label_en: str
    referred_clauses: frozenset[int]


@dataclass(frozen=True)
class FundingRule:
    """The clause that splits each award between the city and the district or county."""

    clause: int
    city_only_clauses: frozenset[int]
    groups: tuple[FundingGroup, ...]
    unsettled_districts: frozenset[str]


@dataclass(frozen=True)
class Policy:
    id: str
    title: str
    status: str
    status_label: str
    issued_on: dt.date | None
    term_years: int
    clauses: dict[int, Clause]
    settings: dict[str, Setting]
    facts: dict[str, Fact]
    exclusion: Exclusion | None
    funding_rule: FundingRule | None
    term_clause: int | None
    document_number: str | None = None
    source_path: str = ""
    digest: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    # ------------------------------------------------------------ what the documents print

    @property
    def full_title(self) -> str:
        """《title》 with （征求意见稿） while the policy is a draft."""
        suffix = f"（{self.status_label}）" if self.status == "draft" else ""
        return f"《{self.title}{suffix}》"

    def cite(self, number: int | None) -> str:
        """第N条 in the policy's own numbering ("" when there is no such clause)."""
        return f"第{chinese_numeral(number)}条" if number is not None else ""

    # ------------------------------------------------------------ the clauses by role

    def award_clauses(self) -> list[Clause]:
        return [c for c in self.clauses.values() if c.kind == "award"]

    def claimable(self) -> list[int]:
        return sorted(n for n, c in self.clauses.items() if c.kind in ("award", "referred"))

    def is_referred(self, number: int) -> bool:
        c = self.clauses.get(number)
        return c is not None and (c.kind == "referred" or number in self.referred_clauses)

    def referring_clause(self, number: int) -> int | None:
        """The clause that refers `number` to other policies: the exclusion clause when it lists it
        (第十五条 “本政策第四、十三、十四条按省、市现行政策支持”), else the clause's own `referred_by`."""
        if self.exclusion is not None and number in self.exclusion.referred_clauses:
            return self.exclusion.clause
        c = self.clauses.get(number)
        if c is not None and c.referred_by is not None:
            return c.referred_by
        return self.exclusion.clause if self.exclusion else None

    def reading_for(self, number: int) -> Setting | None:
        """The named reading a clause applies (its cap's `reading`), if any."""
        c = self.clauses.get(number)
        if c is None or c.cap is None or c.cap.reading is None:
            return None
        return self.settings.get(c.cap.reading)

    def per_competition(self, number: int) -> bool:
        """Whether clause `number` counts per named item (Clause.per_competition)."""
        c = self.clauses.get(number)
        return c is not None and c.per_competition

    @property
    def per_competition_clauses(self) -> frozenset[int]:
        """The clauses whose cap is per competition (Clause.per_competition)."""
        return frozenset(n for n, c in self.clauses.items() if c.per_competition)

    def item_fact(self, number: int) -> str | None:
        """For a clause capped per named item (per competition): the fact that names the item."""
        c = self.clauses.get(number)
        return c.cap.item_fact if c is not None and c.cap is not None else None

    # ------------------------------------------------------------ earlier names, kept for callers

    def _first_reading(self) -> Setting | None:
        return next(iter(self.settings.values()), None)

    @property
    def clause3_reading(self) -> str:
        """The first named reading's value (the draft's only one); prefer reading_for(number)."""
        r = self._first_reading()
        return r.value if r else ""

    @property
    def clause3_explanation(self) -> str:
        r = self._first_reading()
        return r.explanation if r else ""

    @property
    def clause3_explanation_en(self) -> str:
        r = self._first_reading()
        return r.explanation_en if r else ""

    @property
    def exclusion_fact(self) -> str:
        return self.exclusion.fact if self.exclusion else "etrade_core_zone_policy"

    @property
    def exclusion_label(self) -> str:
        return self.exclusion.label if self.exclusion else ""

    @property
    def referred_clauses(self) -> frozenset[int]:
        return self.exclusion.referred_clauses if self.exclusion else frozenset()

    @property
    def city_only_clauses(self) -> frozenset[int]:
        return self.funding_rule.city_only_clauses if self.funding_rule else frozenset()

    @property
    def funding_groups(self) -> tuple[FundingGroup, ...]:
        return self.funding_rule.groups if self.funding_rule else ()

    @property
    def unsettled_districts(self) -> frozenset[str]:
        return self.funding_rule.unsettled_districts if self.funding_rule else frozenset()

    def with_issued_on(self, issued_on: dt.date | None) -> Policy:
        return replace(self, issued_on=issued_on)
