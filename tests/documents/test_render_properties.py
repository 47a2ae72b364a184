"""Any valid bundle renders: random claims, districts, earlier awards and names in any script."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zzcbec_docs.bundle import parse_bundle
from zzcbec_docs.documents import render_bundle
from zzcbec_docs.errors import RenderError
from zzcbec_docs.policy import load_policy

from bundle_strategies import DISTRICTS, claims, prior
from conftest import make_bundle

# renders documents or starts processes: left out by `make test-fast`
pytestmark = pytest.mark.slow

POLICY = load_policy()
NAMES = st.text(
    alphabet=st.characters(whitelist_categories=("Lo", "Lu", "Ll", "Nd", "Po", "Ps", "Pe", "Sm")),
    min_size=1,
    max_size=60,
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    chosen=st.lists(claims, min_size=1, max_size=3, unique_by=lambda c: c[0]),
    district=st.sampled_from(DISTRICTS),
    name=NAMES,
    earlier=prior,
)
def test_every_valid_bundle_renders_or_says_why_not(chosen, district, name, earlier):
    b = make_bundle(
        claims=[{"clause": n, "facts": f} for n, f in chosen], district=district, name=name, prior_awards=earlier
    )
    bundle = parse_bundle(json.dumps(b, ensure_ascii=False).encode(), "r.json", policy=load_policy())
    with tempfile.TemporaryDirectory() as d:
        for kind in ("application", "opinion", "notice"):
            try:
                files = render_bundle(bundle, POLICY, kinds=[kind], formats=["pdf", "docx"], out_dir=Path(d))
            except RenderError as e:  # the only refusal a valid, non-excluded bundle can meet
                assert kind == "notice" and "no claim is eligible" in e.en, e.en
                continue
            assert [f.path.stat().st_size > 1000 for f in files] == [True, True]
