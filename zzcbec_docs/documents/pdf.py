"""HTML content → PDF with WeasyPrint, fonts embedded as subsets, nothing fetched from outside."""

from __future__ import annotations

import hashlib
import logging
import os
import weakref
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from zzcbec_docs.documents import fonts
from zzcbec_docs.documents.weasy import import_weasyprint
from zzcbec_docs.errors import RenderError
from zzcbec_docs.resources import resource_dir

logging.getLogger("weasyprint").setLevel(logging.ERROR)


logging.getLogger("fontTools").setLevel(logging.ERROR)


ROLE_VARS = {
    "fangsong": "--zz-body",
    "xiaobiaosong": "--zz-title",
    "heiti": "--zz-heading",
    "kaiti": "--zz-kai",
    "songti": "--zz-song",
}


def _fetcher_class() -> Any:
    import_weasyprint()
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LockedFetcher(URLFetcher):  # type: ignore[misc]
        """Serves only files under the allowed folders (templates, fonts) and the QR code's own PNG; refuses the rest."""

        def __init__(self, roots: tuple[Path, ...], files: tuple[Path, ...] = ()) -> None:
            super().__init__(allowed_protocols={"file"})
            self.roots = tuple(r.resolve() for r in roots)
            self.files = frozenset(f.resolve() for f in files)
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            from urllib.parse import unquote, urlsplit

            parts = urlsplit(url)
            if url.startswith("data:image/png;base64,"):  # the 版记's QR code (documents/qr.py), made here
                from zzcbec_docs.documents.qr import png_of_data_uri

                png = png_of_data_uri(url)
                if png is not None:
                    return URLFetcherResponse(url, body=png, headers={"Content-Type": "image/png"})
            if parts.scheme == "file" and not parts.netloc:
                path = Path(unquote(parts.path)).resolve()
                allowed = path in self.files or any(path.is_relative_to(r) for r in self.roots)
                if allowed and path.is_file():
                    return URLFetcherResponse(url, body=path.read_bytes(), headers={})
            self.refused.append(url)
            raise ValueError(f"zzcbec-docs fetches nothing outside its templates and fonts: {url[:80]}")

    return LockedFetcher


def locked_fetcher() -> Any:
    configured = tuple(Path(fonts.font_for(r).path) for r in ROLE_VARS if fonts.font_for(r).source == "configured")
    return _fetcher_class()((resource_dir("templates"), fonts.cache_dir(), fonts.fandol_dir()), configured)


def _face(role: str) -> tuple[str, str]:
    """(@font-face rule or "", family stack) of a role: its own face, then Noto CJK in the same weight."""
    font = fonts.font_for(role)
    weight = fonts.ROLES[role].weight
    rule = ""
    family = font.family
    copy = fonts.working_copy(font) if font.source != "configured" else None
    if copy is not None:  # subset once (GB 2312 and what the documents use) into a cached copy, same name
        rule = f'@font-face {{ font-family: "{family}"; font-weight: {weight}; src: url("{copy.as_uri()}"); }}'
    elif font.source in ("fandol", "configured"):  # a file of its own: embedded as it is, under its own name
        rule = (
            f'@font-face {{ font-family: "{family}"; font-weight: {weight}; '
            f'src: url("{Path(font.path).resolve().as_uri()}"); }}'
        )
    stack = [f'"{family}"']
    fallback = fonts.fallback_for(role)
    if fallback is not None and fallback.family != family:
        stack.append(f'"{fallback.family}"')
    return rule, ", ".join(stack) + ", serif"


def stylesheet_text(name: str = "documents.css") -> str:
    """documents.css (or the notice's notice.css) with each role's face (see fonts.py for the order
    they are looked for in)."""
    return _stylesheet_text(tuple(fonts.font_for(r) for r in ROLE_VARS), name)


@lru_cache(maxsize=8)
def _stylesheet_text(_faces: tuple, name: str = "documents.css") -> str:  # type: ignore[type-arg]
    faces = []
    css = (resource_dir("templates") / name).read_text(encoding="utf-8")
    for role, var in ROLE_VARS.items():
        rule, stack = _face(role)
        if rule and rule not in faces:
            faces.append(rule)
        css = css.replace(f"var({var})", stack)
    return "\n".join(faces) + "\n" + css


_released: list[bool] = []


@lru_cache(maxsize=1)
def _font_config(faces_key: str) -> Any:
    """One FontConfiguration per set of faces (the stylesheet text names them): when a command
    configures the bureau's fonts after a worker warmed up with the default ones, the worker starts
    afresh with only those, as a single process does, so the bytes are the same either way."""
    import atexit

    import_weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    if not _released:
        atexit.register(_release)  # its __del__ needs modules that are gone at interpreter teardown
        os.register_at_fork(after_in_child=_disown_font_folders)
        _released.append(True)
    config = FontConfiguration()
    _configs.add(config)
    return config


_configs: weakref.WeakSet[Any] = weakref.WeakSet()


def _disown_font_folders() -> None:
    """In a forked worker: the FontConfigurations it inherits keep their faces' files where they are,
    but their folders are the parent's — a worker that drops one (other fonts configured, or its
    exit) must not delete them under the parent (WeasyPrint's __del__ removes its folder)."""
    for config in list(_configs):
        config._folder = None


def _release() -> None:
    import gc

    _parsed_stylesheet.cache_clear()
    _font_config.cache_clear()
    gc.collect()


def _faces_key() -> str:
    """The @font-face rules of the configured faces: one FontConfiguration for each set of them."""
    text = stylesheet_text()
    return text[: text.index("\n", text.rindex("@font-face")) if "@font-face" in text else 0]


def _stylesheet(name: str = "documents.css") -> Any:
    """Parsed once per process (per font set); @font-face rules need the FontConfiguration shared with write_pdf."""
    return _parsed_stylesheet(stylesheet_text(name), _faces_key())


@lru_cache(maxsize=2)
def _parsed_stylesheet(text: str, faces_key: str) -> Any:
    CSS = import_weasyprint().CSS

    return CSS(string=text, url_fetcher=locked_fetcher(), font_config=_font_config(faces_key))


_stylesheet.cache_clear = _parsed_stylesheet.cache_clear  # type: ignore[attr-defined]  # the tests clear it


def warm(kinds: Iterable[str] = ()) -> None:
    """What the PDFs of this process need, loaded: for notices only, the drawer's faces (no WeasyPrint);
    else WeasyPrint imported (with its patches, patches.py), fonts and stylesheet loaded."""
    kinds = tuple(kinds)
    if "notice" in kinds:
        from zzcbec_docs.documents.pdf_draw import warm as warm_drawer

        warm_drawer()
        if set(kinds) == {"notice"}:
            return
    import_weasyprint()
    _stylesheet()


def render_pdf(html: str, identity: str, kind: str = "") -> bytes:
    """The PDF bytes of the content. `identity` seeds the PDF /ID so the same input gives the same bytes.
    The notice is laid out as a fixed form (fixed_form.py) and drawn straight to PDF (pdf_draw.py,
    no WeasyPrint); the other documents are WeasyPrint's."""
    if kind == "notice":
        from zzcbec_docs.documents.pdf_draw import notice_pdf

        return notice_pdf(html, identity)
    return _weasyprint_pdf(html, identity, kind)


def notice_pdf_weasyprint(html: str, identity: str) -> bytes:
    """The notice's fixed form as WeasyPrint draws its placed blocks (notice.css): the reference the
    tests hold pdf_draw's positions to, not a way the tool makes notices."""
    return _weasyprint_pdf(html, identity, "notice")


def _weasyprint_pdf(html: str, identity: str, kind: str) -> bytes:
    HTML = import_weasyprint().HTML  # with its patches (patches.py)

    try:
        css = "documents.css"
        if kind == "notice":
            from zzcbec_docs.documents.fixed_form import notice_html

            html, css = notice_html(html), "notice.css"
        doc = HTML(string=html, base_url=resource_dir("templates").as_uri() + "/", url_fetcher=locked_fetcher())
        key = _faces_key()
        pdf: bytes = doc.write_pdf(
            stylesheets=[_parsed_stylesheet(stylesheet_text(css), key)],
            font_config=_font_config(key),
            pdf_identifier=hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32].encode("ascii"),
            uncompressed_pdf=False,
            pdf_variant="pdf/a-2b",
            pdf_tags=True,
        )
        return pdf
    except RenderError:
        raise
    except Exception as exc:  # noqa: BLE001 - WeasyPrint failures become one clear error
        raise RenderError(f"PDF 生成失败：{type(exc).__name__}: {exc}", f"PDF rendering failed: {exc}") from exc
