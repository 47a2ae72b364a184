"""The patches to WeasyPrint, pydyf and pyHanko (issue 22, point 6): all in documents/patches.py, each
with what it replaces, why and the upstream issue, and checked against the installed version before
it is applied — a patch the documents need refuses a version it was not written for with a clear
error, a patch for speed is refused and the library runs as it comes.

The "installed version" is what the package metadata says: a process is given another by a
distribution folder (NAME-VERSION.dist-info) ahead of site-packages on its path, as an upgraded
installation would have.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zzcbec_docs.documents import patches

from conftest import ROOT, SAMPLES

PACKAGE = ROOT / "zzcbec_docs"
PATCHED = ("weasyprint", "pydyf", "pyhanko", "cffi", "ctypes")


def test_every_patch_says_what_it_replaces_why_and_upstream_and_fits_the_installed_version():
    assert len(patches.PATCHES) >= 6
    for name, p in patches.PATCHES.items():
        assert p.name == name and p.versions and p.replaces and len(p.why) > 40, p
        assert "https://github.com/" in p.upstream or p.upstream.startswith("none"), p.upstream
        assert patches.written_for(p, patches.installed_version(p.library)), (
            f"{name} was not written for the installed {p.library} {patches.installed_version(p.library)}"
        )
    assert not patches.written_for(patches.PATCHES["weasyprint-cid-cff"], "71.0")
    assert not patches.written_for(patches.PATCHES["weasyprint-cid-cff"], "7.0")
    assert patches.written_for(patches.PATCHES["weasyprint-cid-cff"], "70.1")


def _assigned_library_attributes(path: Path) -> list[str]:
    """`x.y = …` (and setattr) where x is a name bound to a module of a patched library."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in PATCHED:
                    bound.add((a.asname or a.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PATCHED:
            bound.update(a.asname or a.name for a in node.names)
    found = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr" and node.args:
            targets = [ast.Attribute(value=node.args[0], attr="?")]
        for t in targets:
            root = t
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(t, ast.Attribute) and isinstance(root, ast.Name) and root.id in bound:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(t)}")
    return found


def test_no_module_but_patches_and_the_importer_assigns_into_a_library():
    """One place: patches.py (and weasy.py, whose swaps of cffi.FFI and find_library last only while
    WeasyPrint imports, listed in patches.py as "weasyprint-fast-import")."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name not in ("patches.py", "weasy.py"):
            found += _assigned_library_attributes(path)
    assert not found, found
    assert _assigned_library_attributes(PACKAGE / "documents" / "patches.py")  # the check sees assignments


def test_rendering_applies_every_weasyprint_patch(tmp_path):
    from zzcbec_docs.documents.weasy import import_weasyprint

    import_weasyprint()
    from weasyprint.layout import inline
    from weasyprint.pdf import fonts as weasy_fonts

    state = patches.status()
    for name in ("weasyprint-cid-cff", "weasyprint-face-bytes", "weasyprint-chinese-justify", "pydyf-flate-6"):
        assert state[name] == "applied", state
    assert inline.count_expandable_spaces.__module__ == "zzcbec_docs.documents.patches"
    assert weasy_fonts.Font.subset.__module__ == "zzcbec_docs.documents.patches"


def _process_with(tmp_path: Path, library: str, version: str, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """`python ARGS` in a fresh process whose metadata says `library` is at `version`."""
    fake = tmp_path / "site"
    info = fake / f"{library}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {library}\nVersion: {version}\n", encoding="utf-8")
    environ = dict(os.environ, PYTHONPATH=f"{fake}{os.pathsep}{ROOT}", **(env or {}))
    environ.pop("ZZCBEC_PATCHES_UNCHECKED", None) if not env or "ZZCBEC_PATCHES_UNCHECKED" not in env else None
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=tmp_path, env=environ, timeout=300
    )


@pytest.mark.slow
def test_a_weasyprint_the_patches_were_not_written_for_is_a_clear_error_and_no_file(tmp_path):
    out = tmp_path / "out"
    r = _process_with(
        tmp_path,
        "weasyprint",
        "71.0",
        "-m",
        "zzcbec_docs",
        "render",
        str(SAMPLES / "clause01-eligible.yaml"),
        "--doc",
        "opinion",
        "--format",
        "pdf",
        "--out",
        str(out),
    )
    assert r.returncode != 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr, r.stderr
    assert "weasyprint 71.0" in r.stderr and "weasyprint-" in r.stderr and "70.x" in r.stderr, r.stderr
    assert "不是补丁" in r.stderr, r.stderr
    assert not list(out.glob("*.pdf")) if out.exists() else True
    # the DOCX does not need WeasyPrint: it is still made
    docx = _process_with(
        tmp_path / "docx",
        "weasyprint",
        "71.0",
        "-m",
        "zzcbec_docs",
        "render",
        str(SAMPLES / "clause01-eligible.yaml"),
        "--doc",
        "opinion",
        "--format",
        "docx",
        "--out",
        str(out),
    )
    assert docx.returncode == 0, docx.stderr
    assert list(out.glob("*-opinion.docx"))


PROBE = """
import sys
from pathlib import Path
from zzcbec_docs.bundle import load_bundle
from zzcbec_docs.documents import render_bundle, patches
from zzcbec_docs.policy import load_policy
policy = load_policy()
files = render_bundle(load_bundle(Path(sys.argv[1]), policy), policy, kinds=["opinion"], formats=["pdf"], out_dir=Path("out"))
print(files[0].path.stat().st_size)
for name, state in patches.status().items():
    print(name, "=", state)
"""


@pytest.mark.slow
def test_a_speed_patch_on_another_version_is_refused_and_the_pdf_still_made(tmp_path):
    r = _process_with(tmp_path, "pydyf", "0.99.0", "-c", PROBE, str(SAMPLES / "clause01-eligible.yaml"))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert int(lines[0]) > 10_000
    assert "pydyf-flate-6 = refused (pydyf 0.99.0, written for" in r.stdout, r.stdout
    assert "weasyprint-cid-cff = applied" in r.stdout, r.stdout


@pytest.mark.slow
def test_unchecked_applies_the_patches_to_another_version(tmp_path):
    r = _process_with(
        tmp_path,
        "weasyprint",
        "71.0",
        "-c",
        PROBE,
        str(SAMPLES / "clause01-eligible.yaml"),
        env={"ZZCBEC_PATCHES_UNCHECKED": "1"},
    )
    assert r.returncode == 0, r.stderr
    assert "weasyprint-cid-cff = applied" in r.stdout and "weasyprint-chinese-justify = applied" in r.stdout


def test_signing_imports_no_http_client_without_a_tsa(tmp_path):
    """pyHanko's signer without aiohttp (the TSA client), in a fresh process; a TSA still gets it."""
    code = (
        "import sys\n"
        "from zzcbec_docs.documents import patches\n"
        "patches.prepare_pyhanko()\n"
        "import pyhanko.sign.signers, pyhanko.sign.fields, pyhanko.stamp, pyhanko.sign.validation\n"
        "print('aiohttp' in sys.modules)\n"
        "from pyhanko.sign.timestamps import HTTPTimeStamper\n"
        "print('aiohttp' in sys.modules, HTTPTimeStamper.__module__)\n"
        "print(patches.status()['pyhanko-lazy-timestamps'])\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "True", "pyhanko.sign.timestamps.aiohttp_client", "applied"], r.stdout
