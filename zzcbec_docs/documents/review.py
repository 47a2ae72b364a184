"""Review records: the reviewer's verified facts, remarks and conclusion for one bundle."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from zzcbec_docs.bundle.model import Bundle, Claim
from zzcbec_docs.bundle.verified import checked_verified
from zzcbec_docs.errors import ArgumentError, ReviewError
from zzcbec_docs.loading import load_file
from zzcbec_docs.vocabulary import CONCLUSION_ZH

CONCLUSIONS = CONCLUSION_ZH


@dataclass(frozen=True)
class Review:
    source: str
    bundle_sha256: str
    reviewer: str
    reviewed_on: dt.date
    verified: dict[tuple[int, str | None], dict[str, Any]]  # (clause, competition) → typed facts
    remarks: str
    conclusion: str
    sha256: str = ""  # of the review file itself, recorded with an award
    per_item: frozenset[int] = frozenset()  # clauses verified per named item (Policy.per_competition_clauses)
    unit: str | None = None  # 审核单位 the review names (a district bureau); else the issuer profile's

    @property
    def conclusion_zh(self) -> str:
        return CONCLUSIONS[self.conclusion]

    def facts_for(self, claim: Claim) -> dict[str, Any]:
        return self.verified.get((claim.clause, claim.competition_name if claim.clause in self.per_item else None), {})


def load_review(path: str | Path, policy: Any) -> Review:
    """Read and validate a review record under the caller's policy (there is no default policy)."""
    import hashlib

    from zzcbec_docs import schema  # jsonschema: loaded only by a command that reads a review

    per_item = policy.per_competition_clauses

    if not Path(path).is_file():  # a path the command was given wrongly: a usage error (exit 2), not a bad record
        raise ArgumentError("审核记录文件不存在", "the review record does not exist", file=str(path))
    data, raw = load_file(Path(path), ReviewError)
    name = str(path)
    problems = schema.errors("review.schema.json", data)
    if problems:
        ptr, zh, en = problems[0]
        raise ReviewError(zh, en, file=name, pointer=ptr)
    items = ((item["clause"], item.get("competition_name"), item["facts"]) for item in data.get("verified", []))
    verified = {  # checked as every review is (bundle.verified); keyed by the names as written
        (v.clause, v.name if v.clause in per_item else None): v.facts
        for v in checked_verified(items, policy, error=ReviewError, file=name)
    }
    return Review(
        source=name,
        bundle_sha256=data["bundle"]["sha256"],
        reviewer=data["reviewer"],
        reviewed_on=dt.date.fromisoformat(data["reviewed_on"]),
        verified=verified,
        remarks=data.get("remarks", ""),
        conclusion=data["conclusion"],
        sha256=hashlib.sha256(raw).hexdigest(),
        per_item=per_item,
    )


def check_matches(review: Review, bundle: Bundle) -> None:
    """The review must be of this very bundle (same SHA-256), and verify only claimed clauses."""
    if review.bundle_sha256 != bundle.sha256:
        raise ReviewError(
            f"审核记录对应的材料 SHA-256 为 {review.bundle_sha256[:12]}…，与材料 {bundle.source} 的 "
            f"{bundle.sha256[:12]}… 不一致（材料在审核后被修改？）",
            f"the review is of bundle SHA-256 {review.bundle_sha256[:12]}…, but {bundle.source} is "
            f"{bundle.sha256[:12]}… (was the bundle changed after review?)",
            file=review.source,
            pointer="/bundle/sha256",
        )
    claimed = {(c.clause, c.competition_name if c.clause in review.per_item else None) for c in bundle.claims}
    for key in review.verified:
        if key not in claimed:
            raise ReviewError(
                f"审核记录核实了未申报的条款 {key[0]}" + (f"（{key[1]}）" if key[1] else ""),
                f"the review verifies clause {key[0]}, which the bundle does not claim",
                file=review.source,
                pointer="/verified",
            )


def verified_bundle(bundle: Bundle, review: Review) -> Bundle:
    """The bundle with the reviewer's verified facts in place of the declared ones."""
    claims = tuple(replace(c, facts={**c.facts, **review.facts_for(c)}) for c in bundle.claims)
    return replace(bundle, claims=claims)
