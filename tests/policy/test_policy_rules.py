"""Clauses 15 (exclusion), 16 (funding split) and 18 (term), which cut across every clause."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from zzcbec_docs.bundle import parse_bundle
from zzcbec_docs.policy import load_policy
from zzcbec_docs.rules import decide

from conftest import make_bundle

CLAUSE1 = {"import_export": "12000000", "promotion_costs": "800001"}  # 240,000.30


def run(bundle, **kw):
    policy = kw.pop("policy", load_policy())
    return decide(parse_bundle(json.dumps(bundle, ensure_ascii=False).encode(), "t.json", policy=policy), policy, **kw)


def test_declared_etrade_policy_excludes_every_claim():
    b = make_bundle(
        claims=[
            {"clause": 1, "facts": CLAUSE1},
            {"clause": 4, "facts": {"uses_own_customs_code": True}},
        ],
        etrade=True,
    )
    r = run(b)
    assert [d.status for d in r.decisions] == ["excluded", "excluded"]
    assert all(d.amount == 0 and d.funding is None for d in r.decisions)
    assert all(d.reasons[0].clause == 15 for d in r.decisions)
    assert not r.passed


def test_exclusion_list_excludes_and_warns_about_the_contradiction():
    b = make_bundle(1, CLAUSE1, n=7)
    r = run(b, exclusion_list=frozenset({b["applicant"]["uscc"]}))
    assert r.decisions[0].status == "excluded"
    assert r.decisions[0].reasons[0].code == "excluded_by_list"
    assert "exclusion_list_contradiction" in [w.code for w in r.warnings]


def test_exclusion_list_of_other_enterprises_changes_nothing():
    b = make_bundle(1, CLAUSE1, n=7)
    r = run(b, exclusion_list=frozenset({make_bundle(1, CLAUSE1, n=8)["applicant"]["uscc"]}))
    assert r.decisions[0].status == "eligible"


HALF = [
    "郑东新区",
    "高新技术产业开发区",
    "高新区",
    "经济技术开发区",
    "经开区",
    "中原区",
    "二七区",
    "金水区",
    "管城区",
    "管城回族区",
    "惠济区",
]
TWENTY = ["航空港经济综合实验区", "航空港区", "中牟县", "巩义市", "荥阳市", "新密市", "新郑市", "登封市"]


@pytest.mark.parametrize("district", HALF)
def test_named_districts_share_half_and_half(district):
    d = run(make_bundle(1, CLAUSE1, district=district)).decisions[0]
    assert d.amount == Decimal("240000.30")
    assert (d.funding.city, d.funding.local) == (Decimal("120000.15"), Decimal("120000.15"))


@pytest.mark.parametrize("district", TWENTY)
def test_airport_zone_and_counties_pay_eighty_percent_locally(district):
    d = run(make_bundle(1, CLAUSE1, district=district)).decisions[0]
    assert (d.funding.city, d.funding.local) == (Decimal("48000.06"), Decimal("192000.24"))


def test_city_share_is_rounded_half_up_and_local_is_the_rest():
    # 240,000.03 × 50% = 120,000.015 → city 120,000.02, local 120,000.01
    d = run(make_bundle(1, {"import_export": "12000000", "promotion_costs": "800000.10"})).decisions[0]
    assert d.amount == Decimal("240000.03")
    assert (d.funding.city, d.funding.local) == (Decimal("120000.02"), Decimal("120000.01"))


def test_shangjie_amount_stands_but_split_is_not_guessed():
    r = run(make_bundle(1, CLAUSE1, district="上街区"))
    d = r.decisions[0]
    assert d.status == "eligible" and d.amount == Decimal("240000.30")
    assert d.funding is None
    assert d.as_dict()["funding"] is None
    assert "funding_unsettled" in [w.code for w in r.warnings]


def test_draft_policy_warns_and_skips_the_term():
    r = run(make_bundle(1, CLAUSE1, year=2040))
    assert {"draft_policy", "no_issue_date"} <= {w.code for w in r.warnings}
    assert r.decisions[0].status == "eligible"


@pytest.mark.parametrize("year, inside", [(2024, False), (2025, True), (2027, True), (2028, True), (2029, False)])
def test_term_of_three_years_from_the_issue_date(year, inside):
    policy = load_policy().with_issued_on(dt.date(2025, 6, 1))  # term 2025-06-01 … 2028-05-31
    d = run(make_bundle(1, CLAUSE1, year=year), policy=policy).decisions[0]
    assert d.status == ("eligible" if inside else "ineligible")
    if not inside:
        assert d.reasons[0].clause == 18 and d.reasons[0].code == "outside_term"


def test_term_from_first_of_january_ends_before_the_fourth_year():
    policy = load_policy().with_issued_on(dt.date(2026, 1, 1))
    assert run(make_bundle(1, CLAUSE1, year=2028), policy=policy).decisions[0].status == "eligible"
    assert run(make_bundle(1, CLAUSE1, year=2029), policy=policy).decisions[0].status == "ineligible"


def test_every_failed_condition_is_a_reason_naming_value_threshold_and_boundary_word():
    b = make_bundle(
        6, {"uses_zz_logistics": False, "import_export": "19999999.99", "intl_logistics_costs": "1999999.99"}
    )
    d = run(b).decisions[0]
    assert [r.fact for r in d.reasons] == ["uses_zz_logistics", "import_export", "intl_logistics_costs"]
    r = d.reasons[1]
    assert r.clause == 6 and r.value == "19999999.99" and r.threshold == "20000000"
    assert "19,999,999.99 元 < 20,000,000.00 元（达…以上）" in r.message


def test_met_threshold_quotes_the_boundary_word():
    d = run(make_bundle(1, CLAUSE1)).decisions[0]
    assert "年进出口额 12,000,000.00 元 ≥ 10,000,000.00 元（达到…以上）" in d.trace[0].message


def test_two_competitions_each_have_their_own_cap():
    comp = {"competition_approved": True, "held_in_zhengzhou": True}
    b = make_bundle(
        claims=[
            {"clause": 11, "facts": {**comp, "competition_name": "甲赛", "requested": "300000"}},
            {"clause": 11, "facts": {**comp, "competition_name": "乙赛", "requested": "50000"}},
        ]
    )
    r = run(b)
    assert [d.amount for d in r.decisions] == [Decimal("200000.00"), Decimal("50000")]
    assert r.total == Decimal("250000")
