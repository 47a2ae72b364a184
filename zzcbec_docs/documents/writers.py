"""Content → file bytes, in the two formats; light to import (the writers load their libraries when
called), so that a worker process that only writes files starts without the templates, Jinja2 or
the policy's modules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zzcbec_docs import __version__

if TYPE_CHECKING:
    from zzcbec_docs.bundle.model import Bundle
    from zzcbec_docs.policy.model import Policy

FORMATS = ("docx", "pdf")


def tune_for_rendering() -> None:
    """Rendering makes many short-lived objects: collect young garbage less often (measured ~5% faster
    notices). Called by the commands that render, never on import."""
    import gc

    gc.set_threshold(100_000, 50, 100)


def write_format(html: str, fmt: str, bundle: Bundle, policy: Policy, kind: str) -> bytes:
    """The bytes of one document in one format, from its content."""
    if fmt == "pdf":
        from zzcbec_docs.documents.pdf import render_pdf

        return render_pdf(html, identity=f"{bundle.sha256}:{kind}:{policy.id}:{__version__}", kind=kind)
    if fmt == "docx":
        from zzcbec_docs.documents import content as c
        from zzcbec_docs.documents.docx import render_docx

        provenance = (
            f"tool=zzcbec-docs {__version__}; policy={policy.id}; status={policy.status}; bundle_sha256={bundle.sha256}"
        )
        return render_docx(
            html,
            title=f"{c.KIND_NAMES[kind]}：{bundle.applicant.name}",
            subject=policy.full_title,
            keywords=f"{kind}; {policy.id}; {policy.status}; {bundle.sha256}",
            comments=provenance,
            author=f"zzcbec-docs {__version__}",
            identifier=bundle.sha256,
            version=__version__,
            status=policy.status,
            created=c.document_time(),
        )
    raise ValueError(fmt)
