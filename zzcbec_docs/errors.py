"""One error hierarchy. Every error speaks Chinese and English and says where it is."""

from __future__ import annotations


class ZzcbecError(Exception):
    """Base of every error the toolkit raises on purpose (bad input, bad policy, bad setup)."""

    def __init__(
        self,
        zh: str,
        en: str,
        *,
        file: str | None = None,
        pointer: str | None = None,
        clause: int | None = None,
    ) -> None:
        self.zh = zh
        self.en = en
        self.file = file
        self.pointer = pointer
        self.clause = clause
        super().__init__(self.message)

    @property
    def where(self) -> str:
        parts = [p for p in (self.file, self.pointer) if p]
        return ":".join(parts) if parts else ""

    @property
    def message(self) -> str:
        loc = f"{self.where}: " if self.where else ""
        return f"{loc}{self.zh} / {self.en}"


class BundleError(ZzcbecError):
    """A bundle cannot be read or does not follow the contract."""


class PolicyError(ZzcbecError):
    """The policy data file is broken."""


class ReviewError(ZzcbecError):
    """A review record cannot be read or does not match its bundle."""


class RenderError(ZzcbecError):
    """A document cannot be made (no CJK font, a writer failed)."""


class TimestampUnavailable(RenderError):
    """The timestamp authority (TSA) the issuer profile names gave no timestamp just now (HTTP 503)."""


class LedgerError(ZzcbecError):
    """The award ledger refused or failed an operation."""


class LedgerUnavailable(LedgerError):
    """The ledger database cannot be reached or opened (exit code 2, HTTP 503)."""


class UsageError(ZzcbecError):
    """The command line was used wrongly (exit code 2). Raised only by cli/; the library raises ArgumentError."""


class ArgumentError(ZzcbecError):
    """A value the caller passed is unusable (an option's value, a setting, a ledger address).

    Raised by the library; the command line reports it like a usage error (exit code 2).
    """
