"""A policy valid against its schema never crashes the engine (hypothesis).

The packaged policy is mutated — numbers, operators, cap frequencies, amount methods,
conditions added or removed, clauses added, removed or renumbered — and random bundles are
decided under each variant. Every outcome is a decision, or a clear error (PolicyError when
the variant is structurally wrong, BundleInvalid when the bundle does not fit its contract):
never an internal error.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
from decimal import Decimal
from typing import Any

import yaml
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
from zzcbec_docs.policy import build_policy, default_policy_path
from zzcbec_docs.rules import decide

from conftest import make_bundle

BASE = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
EXAMPLES = int(os.environ.get("ZZCBEC_POLICY_EXAMPLES", "100"))
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

FREQUENCIES = ["per_year", "one_time", "one_time_per_tier", "once_per_year", "per_competition"]
decimal_text = st.one_of(
    st.integers(0, 10**10).map(str),
    st.tuples(st.integers(0, 1000), st.integers(0, 99)).map(lambda t: f"{t[0]}.{t[1]:02d}"),
)
rate_text = st.integers(1, 1000).map(lambda n: str(Decimal(n) / 1000))
fact_name = st.sampled_from(
    [
        "import_export",
        "revenue",
        "employees",
        "store_area_m2",
        "brand_new_fact",
        "payment_license",
        "opened_on",
        "hq_level",
        "requested",
        "live_sales",
    ]
)


def _numbers(node: Any, path: tuple = ()) -> list[tuple]:
    """Every place of a decimal string in the clauses (value, rate, amount, cap…)."""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("value", "rate", "amount", "cap", "unit_amount", "city_ratio") and isinstance(v, str):
                out.append((*path, k))
            else:
                out += _numbers(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _numbers(v, (*path, i))
    return out


def _set(node: Any, path: tuple, value: Any) -> None:
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value


def _condition(draw, n: int) -> dict:  # type: ignore[no-untyped-def]
    kind = draw(st.sampled_from(["threshold", "flag", "one_of", "full_year", "growth"]))
    fact = draw(fact_name)
    base = {"id": f"c{n}_{draw(st.integers(0, 999))}", "kind": kind, "fact": fact, "label": f"条件{fact}"}
    if kind == "threshold":
        base.update(operator=draw(st.sampled_from([">=", ">"])), value=draw(decimal_text), boundary_word="以上")
        if draw(st.booleans()):
            base["unit"] = draw(st.sampled_from(["人", "家", "平方米"]))
    elif kind == "one_of":
        base["values"] = draw(
            st.lists(
                st.sampled_from(["national", "regional", "provincial", "a", "b"]), min_size=1, max_size=3, unique=True
            )
        )
    elif kind == "full_year":
        base["boundary_word"] = "满一年"
    elif kind == "growth":
        base.update(
            prior_fact=draw(fact_name),
            operator=draw(st.sampled_from([">=", ">"])),
            value=draw(rate_text),
            boundary_word="不低于",
        )
    return base


def _amount(draw, clause: dict) -> dict:  # type: ignore[no-untyped-def]
    method = draw(st.sampled_from(["rate", "fixed", "tiers", "per_unit", "requested", "fee_tiers"]))
    f = draw(fact_name)
    if method == "rate":
        return {"method": "rate", "base": [f], "base_label": "基数", "rate": draw(rate_text)}
    if method == "fixed":
        return {"method": "fixed", "value": draw(decimal_text)}
    if method == "tiers":
        tiers = [
            {
                "operator": draw(st.sampled_from([">=", ">"])),
                "value": draw(decimal_text),
                "amount": draw(decimal_text),
                "boundary_word": "以上",
            }
            for _ in range(draw(st.integers(1, 3)))
        ]
        return {"method": "tiers", "fact": f, "label": "档位", "tiers": tiers}
    if method == "per_unit":
        return {
            "method": "per_unit",
            "fact": f,
            "base_label": "面积",
            "unit": "平方米",
            "unit_amount": draw(decimal_text),
        }
    if method == "requested":
        return {"method": "requested", "fact": "requested", "base_label": "申请金额"}
    tiers = [
        {
            "id": str(i),
            "rate": draw(rate_text),
            "cap": draw(decimal_text),
            "any_of": [
                {
                    "id": f"t{i}",
                    "kind": "threshold",
                    "fact": draw(fact_name),
                    "label": "营收",
                    "operator": ">",
                    "value": draw(decimal_text),
                    "boundary_word": "超",
                }
            ],
        }
        for i in range(draw(st.integers(1, 2)))
    ]
    return {
        "method": "fee_tiers",
        "fee_fact": "service_fees",
        "base_label": "综合服务费",
        "excluded_fees": ["utilities"],
        "tiers": tiers,
    }


def _renumber(data: dict, mapping: dict[int, int]) -> None:
    for c in data["clauses"]:
        c["number"] = mapping.get(c["number"], c["number"])
        if "referred_by" in c:
            c["referred_by"] = mapping.get(c["referred_by"], c["referred_by"])
        for key in ("referred_clauses", "city_only_clauses"):
            if key in c:
                c[key] = [mapping.get(x, x) for x in c[key]]


def _scrub(data: dict, gone: int) -> None:
    """Remove the references to a removed clause (else the loader rightly refuses the file)."""
    for c in data["clauses"]:
        for key in ("referred_clauses", "city_only_clauses"):
            if key in c:
                c[key] = [x for x in c[key] if x != gone]
        if c.get("referred_by") == gone:
            del c["referred_by"]
            c.setdefault("kind", "referred")
            if c["kind"] == "referred":
                c["referred_by"] = next((x["number"] for x in data["clauses"] if x["kind"] == "exclusion"), c["number"])


@st.composite
def variants(draw) -> dict:  # type: ignore[no-untyped-def]
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 5))):
        awards = [c for c in data["clauses"] if c["kind"] == "award"]
        what = draw(
            st.sampled_from(
                [
                    "number",
                    "operator",
                    "frequency",
                    "method",
                    "add_condition",
                    "remove_condition",
                    "remove_clause",
                    "add_clause",
                    "renumber",
                    "cap_amount",
                ]
            )
        )
        if what == "number":
            places = _numbers(data["clauses"])
            if places:
                _set(data["clauses"], draw(st.sampled_from(places)), draw(decimal_text))
        elif what == "operator" and awards:
            c = draw(st.sampled_from(awards))
            for cond in c.get("conditions", []):
                if "operator" in cond:
                    cond["operator"] = draw(st.sampled_from([">=", ">"]))
        elif what == "frequency" and awards:
            draw(st.sampled_from(awards))["cap"]["frequency"] = draw(st.sampled_from(FREQUENCIES))
        elif what == "cap_amount" and awards:
            cap = draw(st.sampled_from(awards))["cap"]
            if draw(st.booleans()):
                cap["amount"] = draw(decimal_text)
            else:
                cap.pop("amount", None)
        elif what == "method" and awards:
            c = draw(st.sampled_from(awards))
            c["amount"] = _amount(draw, c)
        elif what == "add_condition" and awards:
            c = draw(st.sampled_from(awards))
            c.setdefault("conditions", []).append(_condition(draw, c["number"]))
        elif what == "remove_condition" and awards:
            c = draw(st.sampled_from(awards))
            if c.get("conditions"):
                c["conditions"].pop(draw(st.integers(0, len(c["conditions"]) - 1)))
        elif what == "remove_clause":
            c = draw(st.sampled_from(data["clauses"]))
            data["clauses"].remove(c)
            if draw(st.booleans()):  # sometimes leave the dangling references: the loader must refuse them
                _scrub(data, c["number"])
            if not data["clauses"]:
                data["clauses"].append(copy.deepcopy(BASE["clauses"][0]))
        elif what == "add_clause":
            n = max(c["number"] for c in data["clauses"]) + draw(st.integers(1, 3))
            new = {
                "number": n,
                "name": f"新增条款{n}",
                "name_en": f"New clause {n}",
                "kind": "award",
                "text": f"（新增）第{n}条",
                "conditions": [_condition(draw, n) for _ in range(draw(st.integers(0, 2)))],
                "cap": {
                    "frequency": draw(st.sampled_from(FREQUENCIES)),
                    "boundary_word": "不超过",
                    "amount": draw(decimal_text),
                },
                "funding": draw(st.sampled_from(["shared", "city"])),
            }
            new["amount"] = _amount(draw, new)
            data["clauses"].append(new)
        elif what == "renumber":
            numbers = [c["number"] for c in data["clauses"]]
            shift = draw(st.integers(1, 30))
            mapping = (
                {x: x + shift for x in numbers}
                if draw(st.booleans())
                else dict(zip(numbers, draw(st.permutations(numbers)), strict=True))
            )
            _renumber(data, mapping)
    return data


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
