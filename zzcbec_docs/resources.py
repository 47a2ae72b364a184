"""Where the package's data lives: inside the wheel, or beside the package in a checkout."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def resource_dir(name: str) -> Path:
    """`schemas`, `templates` or `samples`: the wheel puts them in the package, a checkout beside it."""
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"zzcbec-docs is installed without its {name}/ folder")


def cache_root() -> Path:
    """Where prepared things are kept between commands (fonts, the checked policy, WeasyPrint's
    declarations): `$ZZCBEC_CACHE`, else `$XDG_CACHE_HOME/zzcbec-docs`, else `~/.cache/zzcbec-docs`."""
    base = os.environ.get("ZZCBEC_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "zzcbec-docs"
    )
    return Path(base)
