"""The checkers `make test` runs are pinned, so that a new release never breaks it on a fresh machine."""

from __future__ import annotations

import re
from importlib.metadata import version

import pytest

from conftest import ROOT


def test_ruff_and_mypy_are_pinned_exactly_and_installed_as_pinned():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    pins = {}
    for d in extras["test"]:
        if d.startswith(("ruff", "mypy", "types-")):
            m = re.fullmatch(r"([A-Za-z0-9_.-]+)==([0-9][0-9A-Za-z.]*)", d)
            assert m, f"{d!r} is not pinned exactly (name==version)"
            pins[m.group(1)] = m.group(2)
    assert {"ruff", "mypy"} <= set(pins), extras["test"]
    for name, pinned in pins.items():
        assert version(name) == pinned, f"{name} {version(name)} installed, {pinned} pinned: pip install -e '.[test]'"
