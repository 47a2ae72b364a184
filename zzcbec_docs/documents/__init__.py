"""The documents: application packet, review opinion, award notice; DOCX and PDF from one content.

Heavy imports (WeasyPrint, python-docx, fontTools) happen only inside the writers.
"""

from zzcbec_docs.documents.content import KINDS, NoticeOptions
from zzcbec_docs.documents.render import FORMATS, RenderedFile, render_bundle

__all__ = ["FORMATS", "KINDS", "NoticeOptions", "RenderedFile", "render_bundle"]
