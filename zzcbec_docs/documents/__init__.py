"""The documents: application packet, review opinion, award notice; DOCX and PDF from one content.

Heavy imports (WeasyPrint, python-docx, fontTools) happen only inside the writers. The names below
are loaded when first asked for, so that a module of the package (the PDF writer in a worker, say)
can be imported without the templates and the policy's modules.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zzcbec_docs.documents.content import KINDS, NoticeOptions
    from zzcbec_docs.documents.render import FORMATS, RenderedFile, render_bundle

__all__ = ["FORMATS", "KINDS", "NoticeOptions", "RenderedFile", "render_bundle"]
_HOMES = {"KINDS": "content", "NoticeOptions": "content", "FORMATS": "writers", "RenderedFile": "render",
          "render_bundle": "render"}


def __getattr__(name: str) -> object:
    import importlib

    if name in _HOMES:
        return getattr(importlib.import_module(f"zzcbec_docs.documents.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
