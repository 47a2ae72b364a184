"""Review record files (YAML/JSON, schemas/review.schema.json) → ReviewInput."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zzcbec_docs.process.model import ReviewInput, VerifiedClaim


def review_input_from_file(path: str | Path, *, unit: str | None = None, policy: Any) -> ReviewInput:
    """Read and validate a review record file; it keeps the file's name and the SHA-256 of its bytes."""
    from zzcbec_docs.bundle.verified import jsonable
    from zzcbec_docs.documents.review import load_review

    r = load_review(path, policy)
    verified = tuple(
        VerifiedClaim(clause, name, {k: jsonable(v) for k, v in facts.items()})
        for (clause, name), facts in r.verified.items()
    )
    return ReviewInput(
        reviewer=r.reviewer,
        conclusion=r.conclusion,
        verified=verified,
        remarks=r.remarks,
        reviewed_on=r.reviewed_on,
        unit=unit,
        record_file=str(path),
        record_sha256=r.sha256,
        bundle_sha256=r.bundle_sha256,
    )
