"""The documents' way of writing amounts and conditions, for the faces (the desk writes what the
documents write: 12,000,000.00 元 in a table, 年进出口额达到1000万元以上（含本数） for a condition).
The faces reach the rendering layer through here, not around the service layer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def table_amount(value: Decimal) -> str:
    """An amount as the documents' tables write it, with its unit: 12,000,000.00 元."""
    from zzcbec_docs.documents.gongwen import table_yuan

    return f"{table_yuan(value)} 元"


def condition_words(c: Any) -> str:
    """A condition as the documents word it: 年进出口额达到1000万元以上（含本数）."""
    from zzcbec_docs.documents.content import doc_requirement

    return f"{c.label}{doc_requirement(c)}"
