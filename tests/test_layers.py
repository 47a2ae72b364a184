"""The package's layers: every module imports on its own, the library never speaks command line, and each
package imports only the layers below it (LAYERS, below; docs/architecture.md).

policy/ → bundle/ → rules/ → ledger/, documents/ → process/ (the service layer) → cli/, desk/. Like pip-tools'
circular-import test, each module is imported first thing in a fresh interpreter (a fork of one that
has loaded only the third-party packages), so an import cycle that a happy import order hides still fails here.
"""

from __future__ import annotations

import ast
import functools
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import zzcbec_docs

from conftest import ROOT

PACKAGE = Path(zzcbec_docs.__file__).parent


@functools.cache
def _nodes(path: Path) -> tuple[ast.AST, ...]:
    """Every node of a source file, parsed and walked once per test process (the checks below read each
    file several times over)."""
    return tuple(ast.walk(ast.parse(path.read_text(encoding="utf-8"))))


def modules() -> list[str]:
    names = ["zzcbec_docs"]
    for m in pkgutil.walk_packages([str(PACKAGE)], prefix="zzcbec_docs."):
        names.append(m.name)
    return sorted(names)


# Run by a fresh interpreter that has imported none of the package: it loads the third-party packages the
# package imports (the cost of a fresh interpreter per module, paid once), then forks one child per module,
# which imports that module first thing, as a fresh interpreter would; the child's last traceback line,
# if any, goes to a file named after the module.
FORK_IMPORTS = r"""
import importlib, json, os, sys, traceback
preload, names, folder = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
assert not [m for m in sys.modules if m.split(".")[0] == "zzcbec_docs"]
for top in preload:
    try:
        importlib.import_module(top)
    except Exception:
        pass  # an optional package that is not installed: the module that needs it says so below
assert not [m for m in sys.modules if m.split(".")[0] == "zzcbec_docs"], "a third-party package loaded ours"
running = 0
for name in names:
    if running == 4:
        os.wait()
        running -= 1
    if os.fork() == 0:
        try:
            importlib.import_module(name)
            code = 0
        except BaseException:
            with open(os.path.join(folder, name), "w") as fh:
                fh.write(traceback.format_exc().strip().splitlines()[-1])
            code = 1
        os._exit(code)
    running += 1
while running:
    os.wait()
    running -= 1
"""


def _third_party_imports() -> list[str]:
    """The top-level names of the packages outside the standard library that the package's modules import."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in _nodes(path):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return sorted(found - set(sys.stdlib_module_names) - {"zzcbec_docs", "__future__"})


@pytest.mark.slow
def test_every_module_imports_on_its_own_in_a_fresh_interpreter(tmp_path):
    import json

    names = modules()
    preload = _third_party_imports()
    assert {"click", "sqlalchemy", "starlette"} <= set(preload)
    r = subprocess.run(
        [sys.executable, "-c", FORK_IMPORTS, json.dumps(preload), json.dumps(names), str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    failures = [f"{p.name}: {p.read_text()}" for p in sorted(tmp_path.iterdir())]
    assert len(names) > 40
    assert not failures, failures


def test_a_module_that_cannot_import_on_its_own_is_named(tmp_path):
    """The check above can fail: a module whose import fails is reported with its error."""
    import json

    r = subprocess.run(
        [
            sys.executable,
            "-c",
            FORK_IMPORTS,
            "[]",
            json.dumps(["zzcbec_docs.money", "zzcbec_docs.no_such"]),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["zzcbec_docs.no_such"]
    assert "ModuleNotFoundError" in (tmp_path / "zzcbec_docs.no_such").read_text()


def test_funding_belongs_to_the_rules():
    from zzcbec_docs.rules.funding import funding_split

    assert funding_split.__module__ == "zzcbec_docs.rules.funding"
    assert not (PACKAGE / "funding.py").exists()


def _names_used(path: Path) -> set[str]:
    found = set()
    for node in _nodes(path):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.ImportFrom):
            found.update(a.name for a in node.names)
    return found


def test_usage_error_is_raised_only_by_the_command_line():
    """The library raises its own errors (ArgumentError for a value the caller gave); cli/ maps them."""
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if "UsageError" in _names_used(p) and p.parts[-2] != "cli" and p.name != "errors.py"
    ]
    assert offenders == []


def test_the_lower_layers_do_not_import_the_upper_ones():
    """policy/ knows no bundle, rules or cli; bundle/ no rules; rules/ no documents, ledger or cli."""
    forbidden = {
        "policy": (
            "zzcbec_docs.bundle",
            "zzcbec_docs.rules",
            "zzcbec_docs.cli",
            "zzcbec_docs.documents",
            "zzcbec_docs.ledger",
            "zzcbec_docs.process",
        ),
        "bundle": (
            "zzcbec_docs.rules",
            "zzcbec_docs.cli",
            "zzcbec_docs.documents",
            "zzcbec_docs.ledger",
            "zzcbec_docs.process",
        ),
        "rules": (
            "zzcbec_docs.cli",
            "zzcbec_docs.documents",
            "zzcbec_docs.ledger",
            "zzcbec_docs.process",
            "zzcbec_docs.calculator",
        ),
    }
    bad = []
    for layer, banned in forbidden.items():
        for p in (PACKAGE / layer).rglob("*.py"):
            for node in _nodes(p):
                mods = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else ([a.name for a in node.names] if isinstance(node, ast.Import) else [])
                )
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


# The intended layering, as data. A unit is a subpackage or a top-level module of zzcbec_docs; it may import
# units of its own layer or of the layers below it, and nothing above (docs/architecture.md has the same table).
LAYERS: dict[str, tuple[str, ...]] = {
    "base": (
        "errors",
        "money",
        "loading",
        "resources",
        "schema",
        "quick_schema",
        "lazy",
        "vocabulary",
        "cells",
        "atomic",
    ),
    "policy": ("policy",),
    "bundle": ("bundle",),
    "rules": ("rules",),
    "storage and rendering": ("ledger", "documents"),
    "service": ("process", "check", "calculator", "batch", "sqlmatch", "matching"),
    "faces": ("cli", "desk", "__main__"),
}
FACES = ("cli", "desk")
SERVICE = LAYERS["service"]
# siblings of one layer that must not know each other (the storage does not render, a page runs no command)
SIBLINGS_APART = {("ledger", "documents"), ("documents", "ledger"), ("desk", "cli")}
# faces reach storage and rendering only through the service layer
BEHIND_THE_SERVICE = LAYERS["storage and rendering"]

# What the code does today that the layering does not intend: each crossing allowed by name, with why.
# Remove an entry when the code stops doing it (the test then keeps it out).
KNOWN_CROSSINGS: dict[tuple[str, str], str] = {
    ("process", "check"): "process/service.py reads the exclusion list with check.read_exclusion_list while "
    "check.py decides with the ledger through process.decide: a cycle of two service "
    "modules (both import inside functions, so no import-time cycle)",
    ("cli", "ledger"): "commands open the ledger themselves (options.open_ledger, normalise_url; ledger init's "
    "LATEST; ledger export's export_csv/export_xlsx; users, verify, publicity, serve)",
    ("desk", "ledger"): "desk/context.py opens the ledger (open_ledger), desk/pages.py exports it (ledger.export), "
    "desk/security.py names the client address of the steps' events (acting_from), desk/store.py versions the "
    "desk's tables with the ledger's migration scheme, and the inbox, audit and bulk pages read the ledger's events",
    ("cli", "documents"): "award, publicity, init-bundle and the process commands call the renderers and fonts "
    "directly (render, batch and demo go through process.rendering: issue 22 point 3)",
}


def _unit(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "zzcbec_docs":
        return None
    if len(parts) == 1:
        return "zzcbec_docs"
    return parts[1] if (PACKAGE / parts[1]).is_dir() or (PACKAGE / f"{parts[1]}.py").exists() else None


def import_graph() -> dict[str, dict[str, set[str]]]:
    import copy

    return copy.deepcopy(_import_graph())


@functools.cache
def _import_graph() -> dict[str, dict[str, set[str]]]:
    """unit → imported unit → the files that import it: every import statement, inside functions and
    `if TYPE_CHECKING:` too, and importlib.import_module("zzcbec_docs.…")."""
    graph: dict[str, dict[str, set[str]]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        here = _unit(module)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in _nodes(path):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, *([node.module] if node.module else [])])
                targets = [base, *(f"{base}.{a.name}" for a in node.names)]
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                targets = [node.args[0].value]
            for target in targets:
                there = _unit(target)
                if here and there and there not in (here, "zzcbec_docs"):
                    graph.setdefault(here, {}).setdefault(there, set()).add(str(path.relative_to(PACKAGE)))
    return graph


def test_every_unit_of_the_package_has_its_layer():
    units = {p.stem for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    units |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    placed = {u for members in LAYERS.values() for u in members}
    assert not units - placed, (
        f"{sorted(units - placed)} in no layer: add each to LAYERS in tests/test_layers.py "
        "and to the table of docs/architecture.md"
    )
    assert not placed - units, f"{sorted(placed - units)} in LAYERS but not in the package"


def _crossings(graph: dict[str, dict[str, set[str]]]) -> dict[tuple[str, str], str]:
    rank = {u: i for i, members in enumerate(LAYERS.values()) for u in members}
    found = {}
    for here, imported in graph.items():
        for there, files in imported.items():
            why = None
            if rank[there] > rank[here]:
                why = "imports a layer above it"
            elif (here, there) in SIBLINGS_APART:
                why = "imports a sibling it must not know"
            elif here in FACES and there in BEHIND_THE_SERVICE:
                why = "a face going round the service layer"
            if why:
                found[(here, there)] = f"{here} → {there}: {why} ({', '.join(sorted(files))})"
    return found


def test_each_package_imports_only_the_layers_below_it():
    """policy → bundle → rules → ledger/documents → process (the service) → cli, desk."""
    graph = import_graph()
    unexpected = [msg for edge, msg in sorted(_crossings(graph).items()) if edge not in KNOWN_CROSSINGS]
    assert unexpected == [], "\n".join(unexpected)
    gone = sorted(edge for edge in KNOWN_CROSSINGS if edge[1] not in graph.get(edge[0], {}))
    assert gone == [], f"{gone} no longer happen: remove them from KNOWN_CROSSINGS in tests/test_layers.py"


def test_the_faces_call_the_service_layer():
    graph = import_graph()
    for face in FACES:
        assert "process" in graph.get(face, {}), f"{face} does not import the service layer (zzcbec_docs.process)"


# The service layer as the faces see it: the package (`zzcbec_docs.process`: its functions and model), the
# `Service` object, and the helpers made for a face (the rendering options, the queue's filters, the words of
# a condition, a review record's file, the assignment). The rest is the service's own machinery: deciding
# against the ledger (`decide`), identity, standing, verified facts, corrections, bulk steps. `awarding`,
# `cases` and `documents` are open to the command line's one-step award and its publicity command.
FACE_API = {
    "zzcbec_docs.process",
    "zzcbec_docs.process.service",
    "zzcbec_docs.process.model",
    "zzcbec_docs.process.rendering",
    "zzcbec_docs.process.queue",
    "zzcbec_docs.process.words",
    "zzcbec_docs.process.records",
    "zzcbec_docs.process.assignment",
}
FACE_API_OF = {
    "desk": FACE_API,
    "cli": FACE_API | {f"zzcbec_docs.process.{m}" for m in ("awarding", "cases", "documents")},
}


def _service_modules_imported(face: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """module of the service layer → the first file of `face` that imports it (every import, inside functions too)."""
    found: dict[str, str] = dict(extra or {})
    for path in sorted((PACKAGE / face).rglob("*.py")):
        for node in _nodes(path):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            for name in names:
                if name == "zzcbec_docs.process" or name.startswith("zzcbec_docs.process."):
                    module = ".".join(name.split(".")[:3])
                    found.setdefault(module, f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def _outside_the_api(face: str, imported: dict[str, str]) -> list[str]:
    return sorted(f"{where} imports {m}" for m, where in imported.items() if m not in FACE_API_OF[face])


@pytest.mark.parametrize("face", FACES)
def test_the_faces_reach_the_service_layer_through_its_public_api(face):
    """issue 22: desk/context.py took process.decide.ledger_name; the desk asks its Service (ledger_places)."""
    assert _outside_the_api(face, _service_modules_imported(face)) == []


def test_the_public_api_check_sees_an_internal_import():
    imported = _service_modules_imported("desk", {"zzcbec_docs.process.decide": "desk/context.py:109"})
    assert _outside_the_api("desk", imported) == ["desk/context.py:109 imports zzcbec_docs.process.decide"]


def test_there_is_no_import_cycle_between_packages():
    """Between units, a cycle is refused unless it is a known crossing (then it is named there)."""
    graph = {u: set(t) for u, t in import_graph().items()}
    allowed = set(KNOWN_CROSSINGS)
    cycles = []
    for a, targets in graph.items():
        for b in targets:
            if a in graph.get(b, set()) and (a, b) not in allowed and (b, a) not in allowed and a < b:
                cycles.append(f"{a} ↔ {b}")
    assert cycles == []

    def reaches(start: str, goal: str, seen: set[str]) -> bool:  # longer cycles, through allowed edges only
        for nxt in graph.get(start, set()):
            if (start, nxt) in allowed or nxt in seen:
                continue
            if nxt == goal or reaches(nxt, goal, seen | {nxt}):
                return True
        return False

    assert [u for u in graph if reaches(u, u, set())] == []


# packages whose modules import each other in one direction only (every import, inside functions too)
NO_MODULE_CYCLES = ("ledger", "desk")


def _module_graph(package: str) -> dict[str, set[str]]:
    """module → the modules of the same package it imports (zzcbec_docs.<package>.<module>)."""
    graph: dict[str, set[str]] = {}
    prefix = f"zzcbec_docs.{package}."
    for path in sorted((PACKAGE / package).rglob("*.py")):
        here = prefix + ".".join(path.relative_to(PACKAGE / package).with_suffix("").parts)
        here = here.removesuffix(".__init__")
        found: set[str] = set()
        for node in _nodes(path):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            for name in names:
                if name.startswith(prefix):
                    target = prefix + name[len(prefix) :].split(".")[0]
                    if target != here and (PACKAGE / package / f"{target[len(prefix) :]}.py").exists():
                        found.add(target)
        graph[here] = found
    return graph


def _module_cycles(graph: dict[str, set[str]]) -> list[str]:
    cycles = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                cycles.append(" → ".join([*path, nxt]))
            elif nxt not in path and nxt > start:
                walk(start, nxt, [*path, nxt])

    for module in sorted(graph):
        walk(module, module, [module])
    return cycles


@pytest.mark.parametrize("package", NO_MODULE_CYCLES)
def test_the_modules_of_a_package_import_each_other_one_way(package):
    """issue 22 point 4: ledger/store.py ↔ ledger/cases.py, desk/app.py ↔ desk/pages.py are gone."""
    assert _module_cycles(_module_graph(package)) == []


@pytest.mark.parametrize("package", NO_MODULE_CYCLES)
def test_no_module_takes_another_ones_private_names(package):
    """desk/pages.py took nine private names of desk/app.py; a module's `_name` is its own."""
    taken = []
    for path in sorted((PACKAGE / package).rglob("*.py")):
        for node in _nodes(path):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(f"zzcbec_docs.{package}"):
                taken += [f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert taken == []


def test_the_module_cycle_check_sees_a_cycle():
    graph = _module_graph("ledger")
    graph["zzcbec_docs.ledger.store"].add("zzcbec_docs.ledger.cases")
    assert "zzcbec_docs.ledger.cases → zzcbec_docs.ledger.store → zzcbec_docs.ledger.cases" in _module_cycles(graph)


def test_the_layer_test_sees_a_violation():
    """The check itself can fail: rules importing the ledger, or the desk importing a command, is reported."""
    graph = import_graph()
    graph.setdefault("rules", {})["ledger"] = {"rules/fake.py"}
    graph.setdefault("desk", {})["cli"] = {"desk/fake.py"}
    found = _crossings(graph)
    assert "rules → ledger: imports a layer above it (rules/fake.py)" in found[("rules", "ledger")]
    assert ("desk", "cli") in found


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
        for node in _nodes(p):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "load_policy"
                and not node.args
                and not node.keywords
            ):
                offenders.append(f"{rel}:{node.lineno} load_policy()")
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = node.args
                positional = args.posonlyargs + args.args
                defaults = dict(
                    zip([a.arg for a in positional][len(positional) - len(args.defaults) :], args.defaults, strict=True)
                )
                defaults.update(
                    {a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None}
                )
                d = defaults.get("policy")
                if isinstance(d, ast.Constant) and d.value is None:
                    offenders.append(f"{rel}:{node.lineno} {node.name}(policy=None)")
    assert offenders == []
