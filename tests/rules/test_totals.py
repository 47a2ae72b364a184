"""The totals the finance bureau reads: one function (rules.totals) for every district × clause table.

The ledger's export, a batch's summary and the desk's charts all add up their lines with it, so a
figure is the same wherever it is read. The claims are checked on real decisions of the packaged
policy: the split of clause 16 comes from the policy's data, never from the test.
"""

from __future__ import annotations

import json
from decimal import Decimal

from zzcbec_docs.bundle import parse_bundle
from zzcbec_docs.policy import load_policy
from zzcbec_docs.rules import decide
from zzcbec_docs.rules.totals import Amount, line, totals

from conftest import make_bundle

CLAUSE1 = {"import_export": "12000000", "promotion_costs": "800000"}  # 30% of promotion costs → 240,000.00
CLAUSE6 = {"uses_zz_logistics": True, "import_export": "30000000", "intl_logistics_costs": "3000000"}  # 300,000.00


def decided_lines(district: str, clause: int, facts: dict, n: int = 1) -> list[Amount]:
    policy = load_policy()
    raw = json.dumps(make_bundle(clause, facts, district=district, n=n), ensure_ascii=False).encode()
    result = decide(parse_bundle(raw, "b.json", policy=policy), policy)
    d = result.decisions[0]
    assert d.status == "eligible"
    return [
        line(
            result.applicant["district"],
            d.clause,
            d.amount,
            *((d.funding.city, d.funding.local) if d.funding else (None, None)),
        )
    ]


def test_each_district_and_each_clause_add_up_to_the_grand_total():
    lines = decided_lines("金水区", 1, CLAUSE1, 1) + decided_lines("金水区", 6, CLAUSE6, 2)
    lines += decided_lines("二七区", 1, CLAUSE1, 3)
    t = totals(lines)
    assert list(t.by_district) == sorted(t.by_district)  # districts in order
    assert t.by_district["金水区"].amount == Decimal("540000.00") and t.by_district["金水区"].count == 2
    assert t.by_clause[1].amount == Decimal("480000.00") and t.by_clause[6].amount == Decimal("300000.00")
    assert t.grand.amount == Decimal("780000.00") and t.grand.count == 3
    for table in (t.by_district, t.by_clause):
        assert sum((x.amount for x in table.values()), Decimal(0)) == t.grand.amount
        assert sum((x.city for x in table.values()), Decimal(0)) == t.grand.city
    # every award is split between the city and the district, to the fen
    assert t.grand.city + t.grand.local + t.grand.unsettled == t.grand.amount


def test_an_award_in_a_district_whose_split_is_unsettled_is_counted_as_unsettled():
    policy = load_policy()
    unsettled = sorted(policy.unsettled_districts)
    assert unsettled, "the draft leaves a district's split to the finance bureau (clause 16)"
    t = totals(decided_lines(unsettled[0], 1, CLAUSE1))
    assert t.grand.unsettled == Decimal("240000.00") and t.grand.city == 0 and t.grand.local == 0


def test_a_revoked_award_is_listed_apart_and_in_no_total():
    class Revoked:
        district, clause, amount, city, local, revoked = (
            "金水区",
            1,
            Decimal("100000.00"),
            Decimal("50000.00"),
            None,
            True,
        )

    t = totals([*decided_lines("金水区", 1, CLAUSE1), Revoked()])
    assert t.grand.count == 1 and t.grand.amount == Decimal("240000.00")
    assert t.grand.revoked_count == 1 and t.grand.revoked_amount == Decimal("100000.00")
    assert t.by_district["金水区"].revoked_amount == Decimal("100000.00")


def test_no_lines_give_zero_everywhere():
    t = totals([])
    assert t.by_district == {} and t.by_clause == {} and t.grand.amount == 0 and t.grand.count == 0
