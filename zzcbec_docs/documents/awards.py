"""What the documents read of the ledger's awards. documents/ does not import the ledger (its sibling,
tests/test_layers.py), so the shape it reads is stated here; ledger.store's Ledger and LedgerAward have it."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol


class Award(Protocol):
    """One award row with its notice (ledger.store.LedgerAward)."""

    @property
    def notice_number(self) -> str: ...
    @property
    def issued_on(self) -> str: ...
    @property
    def uscc(self) -> str: ...
    @property
    def applicant_name(self) -> str: ...
    @property
    def district(self) -> str: ...
    @property
    def clause(self) -> int: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def city(self) -> Decimal | None: ...  # None while the split is open; set together with `local`
    @property
    def local(self) -> Decimal | None: ...
    @property
    def revoked(self) -> bool: ...
    @property
    def revocation_reason(self) -> str | None: ...


class Awards(Protocol):
    """The ledger as the documents read it (ledger.store.Ledger)."""

    def awards(self, *, year: int | None = None) -> Sequence[Award]: ...
