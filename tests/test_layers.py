"""The package's layers: every module imports on its own, the library never speaks command line.

policy/ → bundle/ → rules/ → (process/, ledger/, documents/) → cli/, desk/. Like pip-tools'
circular-import test, each module is imported first thing in a fresh interpreter, so an import
cycle that a happy import order hides still fails here.
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import zzcbec_docs

from conftest import ROOT

PACKAGE = Path(zzcbec_docs.__file__).parent


def modules() -> list[str]:
    names = ["zzcbec_docs"]
    for m in pkgutil.walk_packages([str(PACKAGE)], prefix="zzcbec_docs."):
        names.append(m.name)
    return sorted(names)


@pytest.mark.slow
def test_every_module_imports_on_its_own_in_a_fresh_interpreter():
    def imports(name: str) -> tuple[str, str]:
        r = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, text=True, cwd=ROOT,
                           timeout=120)
        return name, (r.stderr.strip().splitlines() or ["?"])[-1] if r.returncode else ""

    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = [f"{n}: {why}" for n, why in pool.map(imports, modules()) if why]
    assert len(modules()) > 40
    assert not failures, failures


def test_funding_belongs_to_the_rules():
    from zzcbec_docs.rules.funding import funding_split

    assert funding_split.__module__ == "zzcbec_docs.rules.funding"
    assert not (PACKAGE / "funding.py").exists()


def _names_used(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.ImportFrom):
            found.update(a.name for a in node.names)
    return found


def test_usage_error_is_raised_only_by_the_command_line():
    """The library raises its own errors (ArgumentError for a value the caller gave); cli/ maps them."""
    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 if "UsageError" in _names_used(p) and p.parts[-2] != "cli" and p.name != "errors.py"]
    assert offenders == []


def test_the_lower_layers_do_not_import_the_upper_ones():
    """policy/ knows no bundle, rules or cli; bundle/ no rules; rules/ no documents, ledger or cli."""
    forbidden = {
        "policy": ("zzcbec_docs.bundle", "zzcbec_docs.rules", "zzcbec_docs.cli", "zzcbec_docs.documents",
                   "zzcbec_docs.ledger", "zzcbec_docs.process"),
        "bundle": ("zzcbec_docs.rules", "zzcbec_docs.cli", "zzcbec_docs.documents", "zzcbec_docs.ledger",
                   "zzcbec_docs.process"),
        "rules": ("zzcbec_docs.cli", "zzcbec_docs.documents", "zzcbec_docs.ledger", "zzcbec_docs.process",
                  "zzcbec_docs.calculator"),
    }
    bad = []
    for layer, banned in forbidden.items():
        for p in (PACKAGE / layer).rglob("*.py"):
            tree = ast.parse(p.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                mods = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
                    [a.name for a in node.names] if isinstance(node, ast.Import) else [])
                bad += [f"{p.relative_to(PACKAGE)} imports {m}" for m in mods if m.startswith(banned)]
    assert bad == []


def test_the_published_schemas_are_generated_from_the_packaged_policy():
    """schemas/bundle.schema.json and profile.schema.json are exactly what the policy gives (make schemas)."""
    import json

    from zzcbec_docs.bundle.publish import published, render
    from zzcbec_docs.policy import load_policy

    for name, schema in published(load_policy()).items():
        on_disk = (ROOT / "schemas" / name).read_text(encoding="utf-8")
        assert on_disk == render(schema), f"{name} is out of date: run `make schemas`"
        assert json.loads(on_disk)["$defs"]  # and it is a real schema


def test_no_library_function_falls_back_to_the_packaged_draft_on_its_own():
    """issue 19 point 8: the policy is chosen at an edge (cli/, the desk's Desk, a worker given the
    edge's policy file) and passed down; below them nothing calls the loader without naming a
    policy, and no function takes a policy that may be left out."""
    edges = {"cli", "policy"}
    offenders = []
    for p in PACKAGE.rglob("*.py"):
        rel = p.relative_to(PACKAGE)
        if rel.parts[0] in edges:
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) \
                    == "load_policy" and not node.args and not node.keywords:
                offenders.append(f"{rel}:{node.lineno} load_policy()")
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = node.args
                positional = args.posonlyargs + args.args
                defaults = dict(zip([a.arg for a in positional][len(positional) - len(args.defaults):],
                                    args.defaults, strict=True))
                defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
                                 if d is not None})
                d = defaults.get("policy")
                if isinstance(d, ast.Constant) and d.value is None:
                    offenders.append(f"{rel}:{node.lineno} {node.name}(policy=None)")
    assert offenders == []
