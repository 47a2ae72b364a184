"""Kept for the renderers' and commands' imports: `write_atomic` is a base helper (`zzcbec_docs.atomic`),
used by the ledger's export as much as by the documents."""

from __future__ import annotations

import os  # noqa: F401 - the same module object as the base helper's (tests patch atomic.os.replace)

from zzcbec_docs.atomic import write_atomic

__all__ = ["write_atomic"]
