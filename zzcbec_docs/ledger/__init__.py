"""The award ledger: every award the bureau made, shared by the intake desks.

One small interface (`Ledger`) over SQLAlchemy Core, with two backends: SQLite (a file, the
default) and PostgreSQL (a city-wide shared ledger). Nothing is ever deleted or edited in place:
a revocation is a new row. Since version 3 it also holds the award process (cases, reviews,
attachments, events: `ledger.cases`); what those rows mean is `zzcbec_docs.process`.
"""

from zzcbec_docs.errors import LedgerUnavailable
from zzcbec_docs.ledger.store import Ledger, LedgerAward, NoticeRecord, open_ledger

__all__ = ["Ledger", "LedgerAward", "LedgerUnavailable", "NoticeRecord", "open_ledger"]
