"""The documents: application packet, review opinion, award notice; DOCX and PDF from one content.

Heavy imports (WeasyPrint, python-docx, fontTools) happen only inside the writers. The names below
are loaded when first asked for, so that a module of the package (the PDF writer in a worker, say)
can be imported without the templates and the policy's modules.
"""

from typing import TYPE_CHECKING

from zzcbec_docs.lazy import names_from

if TYPE_CHECKING:
    from zzcbec_docs.documents.content import KINDS, NoticeOptions
    from zzcbec_docs.documents.render import RenderedFile, render_bundle
    from zzcbec_docs.documents.writers import FORMATS

__all__ = ["FORMATS", "KINDS", "NoticeOptions", "RenderedFile", "render_bundle"]
__getattr__ = names_from(
    __name__,
    {
        "KINDS": "content",
        "NoticeOptions": "content",
        "FORMATS": "writers",
        "RenderedFile": "render",
        "render_bundle": "render",
    },
)
