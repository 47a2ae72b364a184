"""The one totals function: money per district and per clause, with the city's and the district's shares.

The finance bureau reads the same figures in four places — the ledger's export (awards made), a
batch's summary (claims decided eligible), the desk's dashboard (standing awards) and the desk's
totals of a table match (claims that could be made) — and each adds up one kind of line: a district,
a clause, an amount, and the split of the funding clause (市级 city, 区县级 local; none when the split is
not settled for the district: 待定分担 unsettled). A revoked award is counted apart, in no total. A table
match adds its lines up in chunks (or in SQL) by district and clause; `combined` totals those cells.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from zzcbec_docs.money import ZERO


class Line(Protocol):
    """One amount to count: a ledger award line (ledger.store.LedgerAward) has these, and `line()` makes one."""

    @property
    def district(self) -> str: ...
    @property
    def clause(self) -> int: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def city(self) -> Decimal | None: ...  # None: the split is not settled (待定分担)
    @property
    def local(self) -> Decimal | None: ...
    @property
    def revoked(self) -> bool: ...


@dataclass(frozen=True)
class Amount:
    """A line made from parts (a decision, a match row): see `line`."""

    district: str
    clause: int
    amount: Decimal
    city: Decimal | None = None
    local: Decimal | None = None
    revoked: bool = False


def line(
    district: str, clause: int, amount: Decimal, city: Decimal | None = None, local: Decimal | None = None
) -> Amount:
    """One amount to count; `city` None: its split is not settled."""
    return Amount(district, clause, amount, city, local)


@dataclass
class Total:
    """What the lines of one district (or one clause, or all of them) add up to."""

    count: int = 0
    amount: Decimal = ZERO
    city: Decimal = ZERO
    local: Decimal = ZERO
    unsettled: Decimal = ZERO  # amounts whose split clause 16 leaves open (上街区)
    revoked_count: int = 0  # revoked awards: listed apart, in no total
    revoked_amount: Decimal = ZERO

    def add(self, a: Line) -> None:
        if a.revoked:
            self.revoked_count += 1
            self.revoked_amount += a.amount
            return
        self.count += 1
        self.amount += a.amount
        if a.city is None:
            self.unsettled += a.amount
        else:
            self.city += a.city
            self.local += a.local or ZERO

    def row(self) -> list[int | Decimal]:
        return [self.count, self.amount, self.city, self.local, self.unsettled, self.revoked_count, self.revoked_amount]

    def merge(self, other: Total) -> None:
        """Add another total (of other lines) to this one."""
        self.count += other.count
        self.revoked_count += other.revoked_count
        self.amount += other.amount
        self.city += other.city
        self.local += other.local
        self.unsettled += other.unsettled
        self.revoked_amount += other.revoked_amount

    def sums(self, count: int | None = None) -> list[int | Decimal]:
        """The count (or `count`), the amount, the city's, the districts' and the unsettled shares."""
        return [self.count if count is None else count, self.amount, self.city, self.local, self.unsettled]


@dataclass(frozen=True)
class Totals:
    """Per district and per clause (each sorted), and the grand total."""

    by_district: dict[str, Total] = field(default_factory=dict)
    by_clause: dict[int, Total] = field(default_factory=dict)
    grand: Total = field(default_factory=Total)


def combined(cells: Mapping[tuple[str, int], Total]) -> Totals:
    """`totals` of lines already added up by district and clause (a table matched in chunks, or grouped
    in SQL): the same per district, per clause and grand total as `totals` gives from the lines."""
    by_district: dict[str, Total] = defaultdict(Total)
    by_clause: dict[int, Total] = defaultdict(Total)
    grand = Total()
    for (district, clause), t in cells.items():
        by_district[district].merge(t)
        by_clause[clause].merge(t)
        grand.merge(t)
    return Totals(dict(sorted(by_district.items())), dict(sorted(by_clause.items())), grand)


def totals(lines: Iterable[Line]) -> Totals:
    """District × clause totals of `lines`: the one function every total of the package is."""
    by_district: dict[str, Total] = defaultdict(Total)
    by_clause: dict[int, Total] = defaultdict(Total)
    grand = Total()
    for a in lines:
        by_district[a.district].add(a)
        by_clause[a.clause].add(a)
        grand.add(a)
    return Totals(dict(sorted(by_district.items())), dict(sorted(by_clause.items())), grand)
