"""Every change this tool makes to a library's own code, in one place, each with the version it was
written for, what it replaces, why and the upstream issue (documents.md, "Patches to libraries").

A patch replaces a function or attribute of WeasyPrint, pydyf or pyHanko (or, while WeasyPrint is
imported, of cffi and ctypes: weasy.py). It is checked against the installed version of its library
before it is applied, once per process:

- a patch the documents need to be right (`required`: the CFF faces that every viewer draws the same,
  Chinese justified between characters) is never applied to a version it was not written for: the
  document is refused with a clear error naming the patch, the version found and the one wanted;
- a patch that only makes things faster is refused (not applied; the library runs as it comes).

The version written for is a prefix of the installed one (`70.` takes 70.0 and 70.1, not 71.0).
`ZZCBEC_PATCHES_UNCHECKED=1` applies them to any version (to try a new release before its tests
say it may: `make test` with it set, then widen `versions` here and the pin in pyproject.toml).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from zzcbec_docs.errors import RenderError


@dataclass(frozen=True)
class Patch:
    name: str
    library: str  # the distribution whose version is checked
    versions: tuple[str, ...]  # the version prefixes it was written for (and tested with)
    replaces: tuple[str, ...]  # what it replaces, module.attribute
    why: str
    upstream: str  # the upstream issue it works around, or why there is none
    required: bool  # the documents are wrong without it: refuse to render rather than go on


PATCHES: dict[str, Patch] = {
    p.name: p
    for p in (
        Patch(
            "weasyprint-fast-import",
            "weasyprint",
            ("70.",),
            ("cffi.FFI (while WeasyPrint imports)", "ctypes.util.find_library (idem)", "sys.modules stand-ins"),
            "WeasyPrint's import parses 450 lines of C declarations with pycparser and runs ~20 subprocesses "
            "(ldconfig, gcc, ld) looking for libraries that dlopen finds by soname; it also imports "
            "fontTools.subset and the variable-font instancer, which these documents never use "
            "(weasy.py: 0.3-0.5 s of every rendering command)",
            "https://github.com/Kozea/WeasyPrint/issues/2073 (import time; upstream prefers lazy imports by "
            "the application), https://github.com/Kozea/WeasyPrint/issues/1125 (find_library runs gcc)",
            False,
        ),
        Patch(
            "weasyprint-cid-cff",
            "weasyprint",
            ("70.",),
            (
                "weasyprint.pdf.fonts.Font.subset",
                "weasyprint.pdf.fonts.Font.type",
                "weasyprint.pdf.build_fonts_dictionary",
            ),
            "WeasyPrint embeds a CID-keyed CFF face (Fandol, Noto CJK) as an OpenType wrapper whose codes are "
            "glyph ids; Acrobat, Preview and Ghostscript read them as CIDs: other characters or none. "
            "Embedded as a bare /CIDFontType0C program whose CIDs are the page's codes (cff_fonts.py)",
            "https://github.com/Kozea/WeasyPrint/issues/1844 (CJK characters not shown in some viewers); "
            "the same split explained in https://github.com/fschutt/printpdf/pull/281",
            True,
        ),
        Patch(
            "weasyprint-face-bytes",
            "weasyprint",
            ("70.",),
            ("weasyprint.pdf.fonts.get_hb_object_data",),
            "WeasyPrint copies a face's whole file (5 MB for a Fandol working copy) for every font of every "
            "document; one copy per file serves them all (cff_fonts.face_bytes)",
            "https://github.com/Kozea/WeasyPrint/issues/2130 and https://github.com/Kozea/WeasyPrint/issues/1977 "
            "(font data unpacked per font object)",
            False,
        ),
        Patch(
            "weasyprint-chinese-justify",
            "weasyprint",
            ("70.",),
            ("weasyprint.layout.inline.count_expandable_spaces", "weasyprint.text.line_break.Layout.set_text"),
            "WeasyPrint justifies a line by widening its spaces only (count_expandable_spaces counts spaces); "
            "a line of Chinese has none and stays ragged. CSS Text 3 (text-justify: auto) justifies CJK "
            "between characters, as GB/T 9704's lines end flush on the 版心",
            "none found upstream (searched WeasyPrint's issues for CJK/Chinese justification); CSS Text "
            "Level 3 §7.1 text-justify, inter-character for CJK",
            True,
        ),
        Patch(
            "pydyf-flate-6",
            "pydyf",
            ("0.13", "0.12", "0.11"),
            ("pydyf.zlib",),
            "pydyf compresses every stream at zlib level 9; level 6 gives the same size here (±1%) in about "
            "a third of the time (the notice: 62 → 46 ms)",
            "none upstream: a speed choice (zlib levels above 6 rarely pay, e.g. python/cpython#91349)",
            False,
        ),
        Patch(
            "pyhanko-lazy-timestamps",
            "pyhanko",
            ("0.38.",),
            ("sys.modules['pyhanko.sign.timestamps']",),
            "pyhanko.sign.timestamps imports its aiohttp client (aiohttp, yarl, multidict, attrs: ~0.15-0.2 s) "
            "for every import of pyhanko.sign, which only needs TimeStamper; the package is given a stand-in "
            "that imports each of its names when first used (the HTTP client only where a TSA is configured)",
            "none upstream: pyHanko 0.37 moved HTTPTimeStamper to aiohttp and imports it eagerly",
            False,
        ),
        Patch(
            "certvalidator-lazy-aiohttp",
            "pyhanko-certvalidator",
            ("0.33.",),
            ("sys.modules['pyhanko_certvalidator.fetchers.aiohttp_fetchers']",),
            "pyhanko.sign.validation.ades imports pyhanko_certvalidator's aiohttp fetchers (and so aiohttp) "
            "for a default backend it makes only when fetching revocation data over the network, which "
            "neither signing nor verify here does (allow_fetching=False); the package is given a stand-in "
            "whose AIOHttpFetcherBackend imports the real one when first called",
            "none upstream: the aiohttp fetchers are imported eagerly by pyhanko.sign.validation.ades",
            False,
        ),
    )
}

_applied: set[str] = set()
_refused: dict[str, str] = {}


class PatchVersionError(RenderError):
    """A patch the documents need was written for another version of its library."""


@lru_cache(maxsize=8)
def installed_version(library: str) -> str | None:
    """The installed distribution's version, None if it is not installed: the first
    NAME-VERSION.dist-info folder on the path, as importlib.metadata finds it (which costs 0.1-0.2 s
    of every rendering command to parse every distribution's metadata; this, a millisecond)."""
    want = re.sub(r"[-_.]+", "_", library).lower()
    for folder in sys.path:
        try:
            entries = os.scandir(folder or ".")
        except OSError:
            continue
        with entries:
            for entry in entries:
                if entry.name.endswith(".dist-info"):
                    name, _, version = entry.name[: -len(".dist-info")].partition("-")
                    if re.sub(r"[-_.]+", "_", name).lower() == want and version:
                        return version
    from importlib import metadata

    try:
        return metadata.version(library)  # installed some other way (an .egg-info, a zip)
    except metadata.PackageNotFoundError:
        return None


def written_for(patch: Patch, version: str | None) -> bool:
    return version is not None and any(version == v.rstrip(".") or version.startswith(v) for v in patch.versions)


def allowed(name: str) -> bool:
    """May the patch be applied here? True if the installed version is one it was written for (or
    ZZCBEC_PATCHES_UNCHECKED is set); a required patch on another version raises PatchVersionError,
    another patch is refused (False, and said by status())."""
    patch = PATCHES[name]
    version = installed_version(patch.library)
    if written_for(patch, version) or os.environ.get("ZZCBEC_PATCHES_UNCHECKED"):
        return True
    wanted = " or ".join(f"{v}x" if v.endswith(".") else v for v in patch.versions)
    if patch.required:
        raise PatchVersionError(
            f"已安装的 {patch.library} {version} 不是补丁 {name} 所针对的版本（{wanted}）：请安装 "
            f"pyproject.toml 指定的版本（pip install -e '.[render]'），或在新版本通过测试后更新 "
            f"zzcbec_docs/documents/patches.py",
            f"the installed {patch.library} {version} is not a version the patch {name} was written for "
            f"({wanted}): install the version pyproject.toml pins (pip install -e '.[render]'), or update "
            f"zzcbec_docs/documents/patches.py once the new version passes the tests",
        )
    _refused[name] = f"{patch.library} {version}, written for {wanted}"
    return False


def status() -> dict[str, str]:
    """Each patch: 'applied', 'refused (why)' or 'not used' in this process."""
    return {
        name: "applied" if name in _applied else (f"refused ({_refused[name]})" if name in _refused else "not used")
        for name in PATCHES
    }


def mark_applied(name: str) -> None:
    _applied.add(name)


# ------------------------------------------------------------------ WeasyPrint and pydyf


def check_weasyprint() -> None:
    """Before WeasyPrint is imported: the patches the documents need must fit the installed version."""
    for patch in PATCHES.values():
        if patch.library == "weasyprint" and patch.required:
            allowed(patch.name)


def apply_weasyprint() -> None:
    """WeasyPrint's and pydyf's patches, once a process (WeasyPrint imported; weasy.import_weasyprint)."""
    for name, apply in (
        ("weasyprint-cid-cff", _cid_cff),
        ("weasyprint-face-bytes", _face_bytes),
        ("weasyprint-chinese-justify", _chinese_justify),
        ("pydyf-flate-6", _flate_level_6),
    ):
        if name not in _applied and name not in _refused and allowed(name):
            apply()
            _applied.add(name)


def _flate_level_6() -> None:
    import zlib

    import pydyf

    class _Zlib:
        compress = staticmethod(zlib.compress)

        @staticmethod
        def compressobj(level: int = 6, *args: Any, **kwargs: Any) -> Any:
            return zlib.compressobj(min(level, 6), *args, **kwargs)

    if getattr(pydyf, "zlib", None) is zlib:
        pydyf.zlib = _Zlib


def _chinese_justify() -> None:
    """A text run without spaces counts each character as a place to add room, and is drawn with
    that room as letter spacing; runs with spaces (Latin text) are justified as before."""
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import inline
    from weasyprint.text import line_break
    from weasyprint.text.ffi import ffi, pango, unicode_to_char_p

    chinese = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’《》…—]")

    def count(box: Any) -> int:
        if isinstance(box, boxes.TextBox):
            spaces = box.text.count(" ") + box.text.count("\u00a0")
            return spaces if spaces or not chinese.search(box.text) else len(box.text)
        if isinstance(box, (boxes.LineBox, boxes.InlineBox)):
            return sum(count(child) for child in box.children)
        return 0

    original = line_break.Layout.set_text

    def set_text(self: Any, text: str, justify: bool = False) -> None:
        original(self, text, justify)
        extra = self.justification_spacing
        if not (justify and extra) or " " in self.text or "\u00a0" in self.text or not chinese.search(self.text):
            return
        letter = self.style["letter_spacing"]
        letter = 0 if letter == "normal" else letter
        _, bytestring = unicode_to_char_p(self.text)
        attrs = pango.pango_layout_get_attributes(self.layout)
        if attrs == ffi.NULL:
            attrs = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
        attr = pango.pango_attr_letter_spacing_new(int((letter + extra) * line_break.TO_UNITS))
        attr.start_index, attr.end_index = 0, len(bytestring)
        pango.pango_attr_list_change(attrs, attr)
        pango.pango_layout_set_attributes(self.layout, attrs)

    inline.count_expandable_spaces = count
    line_break.Layout.set_text = set_text


def _face_bytes() -> None:
    from weasyprint.pdf import fonts as weasy_fonts

    from zzcbec_docs.documents import cff_fonts

    weasy_fonts.get_hb_object_data = cff_fonts.face_bytes(weasy_fonts.get_hb_object_data)


def _cid_cff() -> None:
    """CID-keyed CFF faces embedded as cff_fonts.bare_cid_cff says (the rest as WeasyPrint does)."""
    import pydyf
    from weasyprint import pdf as weasy_pdf
    from weasyprint.pdf import fonts as weasy_fonts

    from zzcbec_docs.documents.cff_fonts import bare_cid_cff, is_bare_cff

    original_subset = weasy_fonts.Font.subset
    original_build = weasy_pdf.build_fonts_dictionary

    def subset(self: Any, to_unicode: dict[int, str], hinting: bool) -> Any:
        cff = bare_cid_cff(self, to_unicode, hinting)
        if cff is None:
            return original_subset(self, to_unicode, hinting)
        self.file_content = cff
        return None

    def font_type(self: Any) -> str:
        # 'otf' makes WeasyPrint write FontFile3 and CIDFontType0, as a CFF program needs
        return "otf" if self.file_content[:4] == b"OTTO" or is_bare_cff(self.file_content) else "ttf"

    def build_fonts_dictionary(pdf: Any, fonts: Any, compress: Any, subset: Any, options: Any) -> Any:
        start = len(pdf.objects)
        result = original_build(pdf, fonts, compress, subset, options)
        for obj in pdf.objects[start:]:
            if (
                isinstance(obj, pydyf.Stream)
                and obj.extra.get("Subtype") == "/OpenType"
                and obj.stream
                and is_bare_cff(bytes(obj.stream[0][:3]))
            ):
                obj.extra["Subtype"] = "/CIDFontType0C"
        return result

    weasy_fonts.Font.subset = subset
    weasy_fonts.Font.type = property(font_type)
    weasy_pdf.build_fonts_dictionary = build_fonts_dictionary


# ------------------------------------------------------------------ pyHanko

TIMESTAMP_NAMES = {  # pyhanko/sign/timestamps/__init__.py of 0.38: name → the submodule that defines it
    "TimeStamper": "api",
    "TimestampRequestError": "common_utils",
    "DummyTimeStamper": "dummy_client",
    "HTTPTimeStamper": "aiohttp_client",
}


class _LazyTimestamps(ModuleType):
    """pyhanko.sign.timestamps until one of its names is used: then that name's submodule is
    imported (and any other name runs the package's own __init__ in this module)."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        importlib.import_module("pyhanko.sign")  # as the package's own import would have done first
        where = TIMESTAMP_NAMES.get(attr)
        if where is not None:
            value = getattr(importlib.import_module(f"{self.__name__}.{where}"), attr)
        else:
            init = Path(self.__path__[0]) / "__init__.py"
            exec(compile(init.read_text(encoding="utf-8"), str(init), "exec"), self.__dict__)
            if attr not in self.__dict__:
                raise AttributeError(attr)
            value = self.__dict__[attr]
        setattr(self, attr, value)
        return value


class _DeferredPackage(ModuleType):
    """A package that stays unimported until something of it other than its forwarded names is used."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(_real_package(self.__name__), attr)


def _real_package(name: str) -> ModuleType:
    if isinstance(sys.modules.get(name), _DeferredPackage):
        del sys.modules[name]
    return importlib.import_module(name)


def _forwarder(package: str, attr: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(_real_package(package), attr)(*args, **kwargs)

    call.__name__ = call.__qualname__ = attr
    return call


def _folder(top: str, *parts: str) -> Path | None:
    """Where a module of `top` lies, found without importing `top`."""
    spec = importlib.util.find_spec(top)
    roots = list(spec.submodule_search_locations or []) if spec is not None else []
    return next((Path(r, *parts) for r in roots if Path(r, *parts).is_dir()), None)


def _stand_in(module: ModuleType, folder: Path) -> None:
    module.__path__ = [str(folder)]
    module.__file__ = str(folder / "__init__.py")
    module.__package__ = module.__name__
    module.__spec__ = importlib.util.spec_from_file_location(
        module.__name__, folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    sys.modules[module.__name__] = module


def prepare_pyhanko() -> None:
    """Before pyHanko is imported: its HTTP clients (aiohttp) as lazy stand-ins (see PATCHES)."""
    fetchers = "pyhanko_certvalidator.fetchers.aiohttp_fetchers"
    if (
        fetchers not in sys.modules
        and "certvalidator-lazy-aiohttp" not in _refused
        and allowed("certvalidator-lazy-aiohttp")
    ):
        where = _folder("pyhanko_certvalidator", "fetchers", "aiohttp_fetchers")
        if where is None or not (where / "__init__.py").is_file():
            _refused["certvalidator-lazy-aiohttp"] = f"{fetchers} is not laid out as 0.33's"
        else:
            deferred = _DeferredPackage(fetchers)
            deferred.AIOHttpFetcherBackend = _forwarder(fetchers, "AIOHttpFetcherBackend")  # type: ignore[attr-defined]
            _stand_in(deferred, where)
            _applied.add("certvalidator-lazy-aiohttp")
    name = "pyhanko.sign.timestamps"
    if name in sys.modules or "pyhanko-lazy-timestamps" in _refused or not allowed("pyhanko-lazy-timestamps"):
        return
    folder = _folder("pyhanko", "sign", "timestamps")
    if folder is None or not all((folder / f"{m}.py").is_file() for m in TIMESTAMP_NAMES.values()):
        _refused["pyhanko-lazy-timestamps"] = "pyhanko.sign.timestamps is not laid out as 0.38's"
        return
    module = _LazyTimestamps(name)
    _stand_in(module, folder)
    _applied.add("pyhanko-lazy-timestamps")
