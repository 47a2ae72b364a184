"""Submission bundles: safe reading, schema validation, typed facts."""

from zzcbec_docs.bundle.model import Applicant, Bundle, Claim, PriorAward, Problem
from zzcbec_docs.bundle.validate import (
    DISTRICT_ALIASES,
    BundleInvalid,
    load_bundle,
    parse_bundle,
)

__all__ = [
    "DISTRICT_ALIASES",
    "Applicant",
    "Bundle",
    "BundleInvalid",
    "Claim",
    "PriorAward",
    "Problem",
    "load_bundle",
    "parse_bundle",
]
