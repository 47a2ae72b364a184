"""What the documents read of the ledger's awards. documents/ does not import the ledger (its sibling,
tests/test_layers.py), so the shape it reads is stated here; ledger.store's Ledger and LedgerAward have it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from zzcbec_docs.rules.totals import Line


class Award(Line, Protocol):
    """One award row with its notice (ledger.store.LedgerAward): a totals line and what the notice names."""

    @property
    def notice_number(self) -> str: ...
    @property
    def issued_on(self) -> str: ...
    @property
    def uscc(self) -> str: ...
    @property
    def applicant_name(self) -> str: ...
    @property
    def revocation_reason(self) -> str | None: ...


class Awards(Protocol):
    """The ledger as the documents read it (ledger.store.Ledger)."""

    def awards(self, *, year: int | None = None) -> Sequence[Award]: ...
