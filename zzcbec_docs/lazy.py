"""Names of a package loaded from its modules when first asked for (PEP 562), so that importing one
module of the package does not import all the others (the ledger's SQLAlchemy, the templates)."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def names_from(package: str, homes: dict[str, str]) -> Callable[[str], object]:
    """A module `__getattr__` for `package`: `homes` maps each name to the module that defines it."""

    def __getattr__(name: str) -> object:
        if name in homes:
            return getattr(importlib.import_module(f"{package}.{homes[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
