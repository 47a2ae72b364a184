"""A policy valid against its schema never crashes the engine (hypothesis).

The packaged policy is mutated — numbers, operators, cap frequencies, amount methods,
conditions added or removed, clauses added, removed or renumbered — and random bundles are
decided under each variant. Every outcome is a decision, or a clear error (PolicyError when
the variant is structurally wrong, BundleInvalid when the bundle does not fit its contract):
never an internal error.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zzcbec_docs.bundle import BundleInvalid, parse_bundle
from zzcbec_docs.bundle.contract import facts as contract_facts
from zzcbec_docs.calculator.match import match_profile
from zzcbec_docs.calculator.policy_view import show
from zzcbec_docs.calculator.skeleton import skeleton
from zzcbec_docs.cli.explain import explain_text
from zzcbec_docs.documents.content import application_context, opinion_context
from zzcbec_docs.errors import PolicyError
from zzcbec_docs.policy import build_policy
from zzcbec_docs.rules import decide

from conftest import make_bundle
from policy_variants import decimal_text, variants

EXAMPLES = int(os.environ.get("ZZCBEC_POLICY_EXAMPLES", "100"))
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def _value(draw, fact) -> Any:  # type: ignore[no-untyped-def]
    t = fact.type
    if t in ("money", "quantity"):
        return draw(decimal_text)
    if t == "count":
        return draw(st.integers(0, 10**9))
    if t == "flag":
        return draw(st.booleans())
    if t == "date":
        return draw(st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31))).isoformat()
    if t == "choice":
        return draw(st.sampled_from([v for v, _ in fact.choices] or ["none"]))
    if t == "fee_items":
        items = [k for k, _ in fact.items] or ["rent", "utilities"]
        return draw(st.dictionaries(st.sampled_from(items), decimal_text, max_size=3))
    return draw(st.sampled_from(["甲赛", "乙赛", "说明"]))


@given(data=variants(), draw=st.data())
@SETTINGS
def test_a_mutated_policy_decides_random_bundles_or_says_clearly_why_not(data: dict, draw) -> None:  # type: ignore[no-untyped-def]
    try:
        policy = build_policy(data, "variant.yaml")
    except PolicyError as e:  # a structural mistake, named
        assert e.file == "variant.yaml" and e.zh and e.en
        return
    show(policy)
    claimable = policy.claimable()
    facts = contract_facts(policy)
    for n in claimable:
        skeleton(policy, n, 2026)
    if not claimable:
        return
    claims = []
    chosen = draw.draw(st.lists(st.sampled_from(claimable), min_size=1, max_size=3, unique=True))
    for n in chosen:
        values = {f: _value(draw.draw, facts[f]) for f in policy.clauses[n].facts}
        if values and draw.draw(st.integers(0, 9)) == 0:  # now and then a fact is missing: a schema error
            values.pop(next(iter(values)))
        claims.append({"clause": n, "facts": values})
    prior = [
        {
            "clause": draw.draw(st.sampled_from(claimable)),
            "year": draw.draw(st.sampled_from([2025, 2026])),
            "amount": draw.draw(decimal_text).split(".")[0] or "1",
            "competition_name": "甲赛",
        }
        for _ in range(draw.draw(st.integers(0, 3)))
    ]
    bundle = make_bundle(
        claims=claims,
        prior_awards=prior,
        etrade=draw.draw(st.integers(0, 9)) == 0,
        district=draw.draw(st.sampled_from(["金水区", "上街区", "巩义市"])),
    )
    if policy.exclusion is not None and policy.exclusion.fact != "etrade_core_zone_policy":
        bundle["applicant"][policy.exclusion.fact] = bundle["applicant"].pop("etrade_core_zone_policy")
    raw = json.dumps(bundle, ensure_ascii=False).encode()
    try:
        b = parse_bundle(raw, "b.json", policy=policy)
    except BundleInvalid as e:
        assert all(p.path.startswith("/") and p.zh and p.en for p in e.problems)
        return
    issued = draw.draw(st.sampled_from([None, dt.date(2024, 5, 1)]))
    policy = policy.with_issued_on(issued) if issued else policy
    result = decide(b, policy)
    json.dumps(result.as_dict(), ensure_ascii=False)
    # what the faces make of it: the explanation, the documents' contents, the calculator
    explain_text(result, policy, None, "zh")
    explain_text(result, policy, None, "en")
    opinion_context(b, result, result, policy, None)
    if not b.applicant.etrade_core_zone_policy:
        application_context(b, result, policy)
    profile = {
        "schema_version": "1.0",
        "year": 2026,
        "applicant": bundle["applicant"],
        "facts": {k: v for c in claims for k, v in c["facts"].items()},
    }
    for m in match_profile(policy, profile):
        assert m.status in ("eligible", "not_eligible", "undecided", "referred", "excluded")
    for d in result.decisions:
        assert d.status in ("eligible", "ineligible", "referred", "excluded")
        assert d.amount >= 0 and (d.status == "eligible") == (d.amount > 0)
        assert d.status == "eligible" or d.reasons
        assert all(s.clause in policy.clauses for s in d.trace), [s.clause for s in d.trace]
        if d.funding is not None:
            assert d.funding.city + d.funding.local == d.amount
