"""Invariants over generated bundles (hypothesis): whatever the facts, the decisions keep the policy's promises."""

from __future__ import annotations

import json
import os
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zzcbec_docs import schema
from zzcbec_docs.bundle import BundleInvalid, parse_bundle
from zzcbec_docs.check import invalid_result
from zzcbec_docs.policy import load_policy
from zzcbec_docs.rules import decide

from bundle_strategies import DISTRICTS, claims, money, prior
from conftest import make_bundle

POLICY = load_policy()
EXAMPLES = int(os.environ.get("ZZCBEC_PROPERTY_EXAMPLES", "1000"))
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def cap_of(clause: int, facts: dict) -> Decimal:
    """The most this clause can ever pay, read from the policy data."""
    c = POLICY.clauses[clause]
    if c.cap and c.cap.amount is not None:
        return c.cap.amount
    if c.amount.method == "fixed":
        return c.amount.value
    if c.amount.method == "tiers":
        return max(t.amount for t in c.amount.tiers)
    return max(t.cap for t in c.amount.tiers)  # fee_tiers


def run(bundle: dict):
    b = parse_bundle(json.dumps(bundle, ensure_ascii=False).encode(), "p.json", policy=load_policy())
    return decide(b, POLICY)


@FAST
@given(claim=claims, district=st.sampled_from(DISTRICTS), etrade=st.booleans(), prior=prior)
def test_every_decision_keeps_the_policy_promises(claim, district, etrade, prior):
    clause, facts = claim
    result = run(make_bundle(clause, facts, district=district, etrade=etrade, prior_awards=prior))
    (d,) = result.decisions
    if d.status == "eligible":
        assert Decimal(0) < d.amount <= cap_of(clause, facts)
        assert d.amount == d.amount.quantize(Decimal("0.01"))
        assert not d.reasons
        if d.funding is not None:
            assert d.funding.city + d.funding.local == d.amount
            assert d.funding.city >= 0 and d.funding.local >= 0
        else:
            assert district == "上街区" and clause not in (7, 11)
    else:
        assert d.amount == 0 and d.funding is None and d.reasons
    if etrade:
        assert d.status == "excluded"
    if clause in (4, 13, 14) and not etrade:
        assert d.status == "referred"
    out = json.loads(json.dumps(result.as_dict(), ensure_ascii=False))
    assert not list(schema.validator("result.schema.json").iter_errors(out))


REWARDED = {
    1: "promotion_costs",
    6: "intl_logistics_costs",
    7: "import_export",
    10: "requested",
    11: "requested",
    12: "store_area_m2",
    3: "cbec_import_export",
    8: "park_foreign_trade",
    5: "revenue",
}


@FAST
@given(claim=claims.filter(lambda c: c[0] in REWARDED), more=money(0, 5_000_000))
def test_raising_a_rewarded_fact_never_lowers_the_amount(claim, more):
    clause, facts = claim
    name = REWARDED[clause]
    before = run(make_bundle(clause, facts)).decisions[0]
    raised = dict(facts)
    raised[name] = str(Decimal(facts[name]) + Decimal(more))
    if clause == 5:  # more revenue this year, the same last year
        raised["revenue_prior_year"] = facts["revenue_prior_year"]
    after = run(make_bundle(clause, raised)).decisions[0]
    assert after.amount >= before.amount
    assert after.amount <= cap_of(clause, raised)


@FAST
@given(
    fees=st.dictionaries(
        st.sampled_from(["rent", "property_management", "bonded_warehousing", "other"]), money(0, 900_000), min_size=1
    ),
    utilities=money(0, 900_000),
)
def test_utilities_never_count_towards_clause_9(fees, utilities):
    facts = {"demo_park_level": "provincial", "cbec_import_export": "150000000", "service_revenue": "0"}
    without = run(make_bundle(9, {**facts, "service_fees": fees})).decisions[0]
    with_water = run(make_bundle(9, {**facts, "service_fees": {**fees, "utilities": utilities}})).decisions[0]
    assert without.amount == with_water.amount


def _mutations(bundle: dict):  # type: ignore[no-untyped-def]
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**20), 10**20),
        st.text(max_size=30),
        st.floats(allow_nan=False, allow_infinity=False),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    )
    paths = [
        ("year",),
        ("schema_version",),
        ("applicant", "uscc"),
        ("applicant", "district"),
        ("applicant", "name"),
        ("applicant", "etrade_core_zone_policy"),
        ("claims",),
        ("claims", 0),
        ("claims", 0, "clause"),
        ("claims", 0, "facts"),
        ("claims", 0, "facts", "import_export"),
        ("prior_awards",),
        ("attachments",),
        ("surprise",),
    ]
    return st.tuples(st.sampled_from(paths), leaves, st.booleans())


@FAST
@given(mutation=_mutations({}))
def test_mutated_bundles_get_errors_never_exceptions(mutation):
    path, value, delete = mutation
    bundle = make_bundle(1, {"import_export": "12000000", "promotion_costs": "800000"})
    node = bundle
    for key in path[:-1]:
        node = node[key]
    if delete and isinstance(node, dict):
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    raw = json.dumps(bundle, ensure_ascii=False, default=str).encode()
    try:
        result = decide(parse_bundle(raw, "m.json", policy=load_policy()), POLICY)
    except BundleInvalid as e:
        assert e.problems and all(p.path.startswith("/") and p.zh and p.en for p in e.problems)
        result = invalid_result("m.json", e.problems, POLICY)
    out = json.loads(json.dumps(result.as_dict(), ensure_ascii=False))
    assert not list(schema.validator("result.schema.json").iter_errors(out))
