"""Importing WeasyPrint fast: 0.3–0.5 s of every rendering command went into two things.

1. **The C declarations.** `weasyprint.text.ffi` hands cffi 450 lines of C declarations at
   import (`ffi.cdef`), which cffi parses with pycparser, a pure-Python C parser, and parses again
   for every new type later asked for (`ffi.new("PangoRectangle *")`): 0.2–0.35 s a process.
   cffi's "out-of-line ABI mode" does that parse once and writes the result as a small Python
   module; loading it takes a millisecond. We build that module from WeasyPrint's own
   declarations after the first ordinary import and keep it in the cache folder
   (`~/.cache/zzcbec-docs/ffi/`, or `$ZZCBEC_CACHE/ffi/`). Later imports give WeasyPrint the
   ready declarations instead of a fresh parser — only if the text WeasyPrint passes to `cdef`
   is exactly the text the module was built from (its SHA-256 is stored in the module), so an
   upgraded WeasyPrint or cffi never gets stale declarations; a module that does not load or does
   not match is deleted, WeasyPrint is imported the ordinary way and the module is built again.

2. **The library search.** WeasyPrint opens Pango, HarfBuzz, fontconfig and GObject by trying
   several names for each (`libgobject-2.0-0`, `gobject-2.0-0`, …, `libgobject-2.0.so.0`). Each
   name that is not a file makes cffi call `ctypes.util.find_library`, which on Linux runs
   `ldconfig -p` and then tries `gcc` and `ld`: about twenty subprocesses before the soname
   `dlopen` finds at once. On Linux each of those libraries is also tried by its soname, and
   `dlopen` searches the same places (`LD_LIBRARY_PATH`, the ldconfig cache, the default
   folders), so the search is skipped while WeasyPrint is imported. (The ready declarations of
   point 1 open libraries with `dlopen` alone anyway.)

3. **Font tools it does not need here** (see DEFERRED below) are imported when first used.

Either way, if the fast import fails it is tried again the ordinary way, so a missing library
gets WeasyPrint's own message.

These are patches to WeasyPrint's import, listed with the others in patches.py ("weasyprint-fast-
import") and checked against the installed version as they are: on a version they were not written
for WeasyPrint is imported the ordinary way. Once imported, WeasyPrint gets its patches
(patches.apply_weasyprint), and a version that the documents' own patches were not written for is a
clear error before WeasyPrint is even imported (patches.check_weasyprint).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, cast

from zzcbec_docs.documents import patches
from zzcbec_docs.resources import cache_root

FORMAT = "1"  # of the generated module; part of its file name


def cache_folder() -> Path:
    return cache_root() / "ffi"


def _ffi_source() -> Path | None:
    """weasyprint/text/ffi.py, found without importing WeasyPrint."""
    spec = importlib.util.find_spec("weasyprint")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "text" / "ffi.py"
    return path if path.is_file() else None


def prebuilt_path(ffi_py: Path) -> Path:
    """Where the ready declarations of this WeasyPrint and cffi are kept."""
    import cffi

    st = ffi_py.stat()
    key = hashlib.sha256(
        "\0".join(
            (
                FORMAT,
                str(ffi_py.resolve()),
                str(st.st_size),
                str(st.st_mtime_ns),
                cffi.__version__,
                sys.implementation.cache_tag or "",
            )
        ).encode()
    ).hexdigest()[:16]
    return cache_folder() / f"weasyprint-ffi-{key}.py"


class _Mismatch(Exception):
    """WeasyPrint declared something other than what the ready module holds."""


def _load_prebuilt(path: Path) -> Any:
    """The ready FFI object, whose `cdef` accepts only the declarations it was built from; None if
    there is no usable module."""
    import _cffi_backend

    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    header, _, body = text.partition("\n")
    if not header.startswith("# cdef-sha256: ") or body.count("_cffi_backend.FFI(") != 1:
        return None
    expected = header.split(": ", 1)[1].strip()

    class ReadyFFI(_cffi_backend.FFI):  # type: ignore[misc]
        def cdef(self, source: str, *args: object, **kwargs: object) -> None:
            if args or kwargs or hashlib.sha256(source.encode("utf-8")).hexdigest() != expected:
                raise _Mismatch("WeasyPrint's C declarations differ from the cached ones")

    namespace: dict[str, Any] = {"_ZzReadyFFI": ReadyFFI}
    try:
        exec(compile(body.replace("_cffi_backend.FFI(", "_ZzReadyFFI("), str(path), "exec"), namespace)
    except Exception:  # noqa: BLE001 - a damaged cache file is ignored and rebuilt
        return None
    ffi = namespace.get("ffi")
    return ffi if isinstance(ffi, ReadyFFI) else None


def _cdef_text(ffi_py: Path) -> str | None:
    """The one string WeasyPrint passes to `ffi.cdef`, read from its source."""
    import ast

    tree = ast.parse(ffi_py.read_text(encoding="utf-8"))
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "cdef"
    ]
    if len(calls) != 1 or len(calls[0].args) != 1 or calls[0].keywords:
        return None
    arg = calls[0].args[0]
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def build_prebuilt(ffi_py: Path, target: Path) -> bool:
    """Parse WeasyPrint's declarations once and write them as an out-of-line ABI module."""
    import cffi

    source = _cdef_text(ffi_py)
    if source is None:
        return False
    ffi = cffi.FFI()
    ffi.cdef(source)
    ffi.set_source("_zzcbec_weasyprint_ffi", None)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # cffi says "generating …"; our stdout is the user's
            ffi.emit_python_code(tmp)
        code = Path(tmp).read_text(encoding="utf-8")
        digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
        Path(tmp).write_text(f"# cdef-sha256: {digest}\n{code}", encoding="utf-8")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    for old in target.parent.glob("weasyprint-ffi-*.py"):
        if old != target:
            old.unlink(missing_ok=True)
    return True


def _no_search(name: str) -> None:
    return None


def _forget_weasyprint() -> None:
    for name in [n for n in sys.modules if n == "weasyprint" or n.startswith("weasyprint.")]:
        del sys.modules[name]


# Modules WeasyPrint imports at start but uses only for fonts this tool does not embed: fontTools'
# subsetter (used only without libharfbuzz-subset) and its variable-font instancer (only for
# variable fonts). Together with what they pull in they were a third of WeasyPrint's import. Each
# is given to WeasyPrint as a stand-in that imports the real module the first time anything of it
# is used (the names WeasyPrint takes from it are forwarded the same way), so nothing changes when
# they are needed, and they cost nothing when they are not.
DEFERRED: dict[str, tuple[str, ...]] = {
    "fontTools.subset": (),
    "fontTools.varLib.instancer": ("instantiateVariableFont",),
}


class Deferred(ModuleType):
    """Stands for a module until something of it is used; then that is taken from the real one."""

    def __getattr__(self, attr: str) -> Any:
        if attr == "__path__":  # the import system asks this of every module: not a use
            raise AttributeError(attr)
        return getattr(real_module(self.__name__), attr)


def real_module(name: str) -> ModuleType:
    """The real module `name`, imported now if only its stand-in was."""
    import importlib

    module = sys.modules.get(name)
    if isinstance(module, Deferred):
        del sys.modules[name]
        module = None
    return module if module is not None else importlib.import_module(name)


def _forward(module: str, attr: str) -> Callable[..., object]:
    def call(*args: object, **kwargs: object) -> object:
        return getattr(real_module(module), attr)(*args, **kwargs)

    call.__name__ = call.__qualname__ = attr
    return call


def _location(name: str) -> tuple[bool, Path] | None:
    """(is a package, where) for a module of an imported top-level package, found without
    importing it or its parents; None if it is not where a module would be."""
    top, *parts = name.split(".")
    package = sys.modules.get(top)
    if package is None:
        import importlib

        package = importlib.import_module(top)
    for root in getattr(package, "__path__", ()):
        where = Path(root, *parts)
        if (where / "__init__.py").is_file():
            return True, where
        if where.with_suffix(".py").is_file():
            return False, where.with_suffix(".py")
    return None


def _stand_ins() -> list[str]:
    placed = []
    for name, names in DEFERRED.items():
        if name in sys.modules:
            continue
        try:
            found = _location(name)
        except ImportError:
            found = None
        if found is None:
            continue  # not installed as expected: WeasyPrint imports it itself
        stand_in = Deferred(name)
        if found[0]:
            stand_in.__path__ = [str(found[1])]  # a package, as the real one is
        for attr in names:
            setattr(stand_in, attr, _forward(name, attr))
        sys.modules[name] = stand_in
        placed.append(name)
    return placed


def _import(ready: Any) -> ModuleType:
    """`import weasyprint`, with the ready declarations (if any), the stand-ins and, on Linux, no
    library search."""
    import cffi

    real_ffi = cffi.FFI
    handed: list[object] = []

    def first_ffi(*args: Any, **kwargs: Any) -> Any:
        if ready is not None and not handed and not args and not kwargs:
            handed.append(ready)
            return ready
        return real_ffi(*args, **kwargs)

    import ctypes.util

    real_find = ctypes.util.find_library
    placed = _stand_ins()
    try:
        cffi.FFI = first_ffi
        if sys.platform.startswith("linux"):
            ctypes.util.find_library = _no_search
        import weasyprint

        return cast(ModuleType, weasyprint)
    except BaseException:
        for name in placed:
            if isinstance(sys.modules.get(name), Deferred):
                del sys.modules[name]
        raise
    finally:
        cffi.FFI = real_ffi
        ctypes.util.find_library = real_find


def import_weasyprint() -> ModuleType:
    """`import weasyprint`, fast (see the module's docstring); the same module either way.

    `ZZCBEC_PLAIN_IMPORT=1` imports it the ordinary way (for comparison and for debugging).
    """
    loaded = sys.modules.get("weasyprint")
    if loaded is not None:
        patches.apply_weasyprint()
        return loaded
    patches.check_weasyprint()
    if os.environ.get("ZZCBEC_PLAIN_IMPORT") or not patches.allowed("weasyprint-fast-import"):
        import weasyprint

        patches.apply_weasyprint()
        return cast(ModuleType, weasyprint)
    try:
        ffi_py = _ffi_source()
        target = prebuilt_path(ffi_py) if ffi_py else None
    except (OSError, ImportError):
        ffi_py = target = None
    ready = _load_prebuilt(target) if target else None
    try:
        module = _import(ready)
    except Exception:  # noqa: BLE001 - declarations that do not match, or a library not found
        _forget_weasyprint()
        if target is not None:
            target.unlink(missing_ok=True)
        ready = None
        import weasyprint as plain  # the ordinary way: a missing library gets WeasyPrint's own error

        module = cast(ModuleType, plain)
    if ready is None:
        _prepare(ffi_py, target)
    patches.mark_applied("weasyprint-fast-import")
    patches.apply_weasyprint()
    return module


def _prepare(ffi_py: Path | None, target: Path | None) -> None:
    """After an ordinary import: build the ready declarations for the next process (replacing a
    file there that could not be used)."""
    if ffi_py is None or target is None:
        return
    try:
        build_prebuilt(ffi_py, target)
    except Exception:  # noqa: BLE001 - the cache is an optimisation; without it WeasyPrint still works
        return
