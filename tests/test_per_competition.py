"""A clause counted per competition is the policy's word, not the code's.

In the draft, clause 11 (支持跨境电商活动举办) is 单个活动不超过20万元: its cap's frequency is
`per_competition`, and from that one field follow four things — a bundle may claim it once per
competition, a review verifies it competition by competition, a competition named like one already
paid for is pointed out, and the other organisers of the same competition share its cap. These
claims are checked here under the draft and under variants that move the word to another clause.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from zzcbec_docs.bundle import BundleInvalid, parse_bundle
from zzcbec_docs.bundle.model import PriorAward
from zzcbec_docs.policy import load_policy
from zzcbec_docs.process.decide import decide_counting
from zzcbec_docs.process.model import ReviewRefused, VerifiedClaim
from zzcbec_docs.process.verified import apply_verified, verified_facts

from conftest import clause_of, make_bundle, write_policy

INCUBATION = {"in_incubation_program": True, "requested": "8000"}  # clause 10, 每年不超过1万元
COMPETITION = {"competition_approved": True, "held_in_zhengzhou": True, "requested": "150000"}  # clause 11


def clause_10_per_competition(d: dict) -> None:
    clause_of(d, 10)["cap"].update(frequency="per_competition", boundary_word="单个项目不超过")


def clause_11_per_year(d: dict) -> None:
    cap = clause_of(d, 11)["cap"]
    cap.pop("item_fact")
    cap.update(frequency="per_year", boundary_word="每年不超过")


@pytest.fixture
def per_project(tmp_path):
    """A variant: clause 10's 1万元 is per incubation project (named like a competition), no longer per year."""
    return load_policy(write_policy(tmp_path / "per-project.yaml", clause_10_per_competition))


def parse(policy, bundle: dict):  # type: ignore[no-untyped-def]
    return parse_bundle(json.dumps(bundle, ensure_ascii=False).encode(), "b.json", policy=policy)


def two_projects() -> dict:
    return make_bundle(
        claims=[
            {"clause": 10, "facts": dict(INCUBATION, competition_name="甲孵化项目")},
            {"clause": 10, "facts": dict(INCUBATION, competition_name="乙孵化项目")},
        ]
    )


def test_in_the_draft_only_clause_11_is_counted_per_competition():
    policy = load_policy()
    assert policy.per_competition_clauses == frozenset({11})
    assert policy.clauses[11].per_competition and not policy.clauses[10].per_competition
    assert policy.per_competition(11) and not policy.per_competition(10) and not policy.per_competition(99)


def test_the_property_follows_the_data_not_the_number(per_project, tmp_path):
    assert per_project.per_competition_clauses == frozenset({10, 11})
    per_year = load_policy(write_policy(tmp_path / "per-year.yaml", clause_11_per_year))
    assert per_year.per_competition_clauses == frozenset()


def test_clause_10_made_per_competition_may_be_claimed_once_per_project(per_project):
    result = decide_counting(parse(per_project, two_projects()), per_project, ())
    assert [(d.clause, d.competition_name, d.amount) for d in result.decisions] == [
        (10, "甲孵化项目", Decimal("8000.00")),
        (10, "乙孵化项目", Decimal("8000.00")),
    ]
    # under the draft clause 10 is once a year: the second claim is a duplicate
    with pytest.raises(BundleInvalid):
        parse(load_policy(), two_projects())


def test_a_review_verifies_clause_10_project_by_project_when_it_is_per_competition(per_project):
    bundle = parse(per_project, two_projects())
    facts = verified_facts(
        [
            VerifiedClaim(10, "甲孵化项目", {"requested": "5000"}),
            VerifiedClaim(10, "乙孵化项目", {"requested": "3000"}),
        ],
        bundle,
        policy=per_project,
    )
    verified = decide_counting(apply_verified(bundle, facts, per_project), per_project, ())
    assert [d.amount for d in verified.decisions] == [Decimal("5000.00"), Decimal("3000.00")]
    # a project the bundle does not claim is refused, by its name
    with pytest.raises(ReviewRefused, match="未申报的条款 10（丙孵化项目）"):
        verified_facts([VerifiedClaim(10, "丙孵化项目", {"requested": "1"})], bundle, policy=per_project)


def test_under_the_draft_a_review_of_clause_10_ignores_a_competition_name():
    policy = load_policy()
    bundle = parse(policy, make_bundle(10, INCUBATION))
    facts = verified_facts([VerifiedClaim(10, "任意名称", {"requested": "6000"})], bundle, policy=policy)
    assert facts == {(10, None): {"requested": Decimal("6000")}}


def test_a_project_named_like_one_already_paid_is_pointed_out_under_clause_10(per_project):
    bundle = parse(per_project, make_bundle(10, dict(INCUBATION, competition_name="第１届 甲孵化项目")))
    paid = [PriorAward(clause=10, year=2025, amount=Decimal("6000"), competition_name="第1届甲孵化项目")]
    result = decide_counting(bundle, per_project, paid)
    same = [w for w in result.warnings if w.code == "competition_same_name"]
    assert len(same) == 1 and same[0].message.startswith("第十条竞赛“第１届 甲孵化项目”")
    assert same[0].message_en.startswith("clause 10: ")
    assert result.decisions[0].amount == Decimal("4000.00")  # 1万元 per project, 6,000 already paid for it


def test_clause_11_made_per_year_neither_shares_nor_warns_by_competition(tmp_path):
    policy = load_policy(write_policy(tmp_path / "per-year.yaml", clause_11_per_year))
    bundle = parse(policy, make_bundle(11, dict(COMPETITION, competition_name="第１届 大赛")))
    paid = [PriorAward(clause=11, year=2025, amount=Decimal("100000"), competition_name="第1届大赛")]
    result = decide_counting(bundle, policy, paid)
    assert not [w for w in result.warnings if w.code.startswith("competition_")]
    assert result.decisions[0].amount == Decimal("150000.00")  # 2025's award is another year's
    draft = decide_counting(
        parse(load_policy(), make_bundle(11, dict(COMPETITION, competition_name="第１届 大赛"))), load_policy(), paid
    )
    assert [w.code for w in draft.warnings if w.code.startswith("competition_")] == ["competition_same_name"]
    assert draft.decisions[0].amount == Decimal("100000.00")  # the same competition: 200,000 less 100,000
