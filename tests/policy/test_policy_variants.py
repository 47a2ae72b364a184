"""Variant policies: the final text, an amendment or the next city's policy is a new data file.

Each variant changes what the data says — a cap's frequency, an amount's method, a new
condition on a new fact, a renumbered exclusion clause, a clause removed or added — and the
bundles decided under it follow the new text and cite its numbers, with no code change.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from zzcbec_docs.bundle import BundleInvalid, parse_bundle
from zzcbec_docs.errors import PolicyError
from zzcbec_docs.policy import load_policy
from zzcbec_docs.rules import decide

from conftest import clause_of, cli, make_bundle, write_bundle, write_policy

CLAUSE1 = {"import_export": "12000000", "promotion_costs": "800000"}  # 30% → 240,000.00
CLAUSE6 = {"uses_zz_logistics": True, "import_export": "30000000", "intl_logistics_costs": "3000000"}  # 300,000


def variant(tmp_path: Path, mutate, name: str = "variant.yaml"):  # type: ignore[no-untyped-def]
    return load_policy(write_policy(tmp_path / name, mutate))


def decide_under(policy, bundle: dict):  # type: ignore[no-untyped-def]
    raw = json.dumps(bundle, ensure_ascii=False).encode()
    return decide(parse_bundle(raw, "b.json", policy=policy), policy)


# ---------------------------------------------------------------- cap frequency


def test_clause_6_made_one_time_refuses_a_second_award_in_another_year(tmp_path):
    policy = variant(tmp_path, lambda d: clause_of(d, 6)["cap"].update(frequency="one_time", boundary_word="一次性"))
    earlier = [{"clause": 6, "year": 2024, "amount": "100000"}]
    d = decide_under(policy, make_bundle(6, CLAUSE6, prior_awards=earlier)).decisions[0]
    assert d.status == "ineligible" and [r.code for r in d.reasons] == ["already_awarded"]
    assert d.reasons[0].clause == 6 and "一次性" in d.reasons[0].message
    # under the draft (per year), an award in 2024 does not count against 2026
    draft = decide_under(load_policy(), make_bundle(6, CLAUSE6, prior_awards=earlier)).decisions[0]
    assert draft.status == "eligible" and draft.amount == Decimal("300000.00")


def test_clause_5_made_per_year_lets_an_earlier_year_pass(tmp_path):
    facts = {"served_cbec_enterprises": 40, "revenue": "20000000", "revenue_prior_year": "15000000"}
    earlier = [{"clause": 5, "year": 2025, "amount": "600000"}]
    policy = variant(
        tmp_path, lambda d: clause_of(d, 5)["cap"].update(frequency="per_year", boundary_word="每年不超过")
    )
    d = decide_under(policy, make_bundle(5, facts, prior_awards=earlier)).decisions[0]
    assert d.status == "eligible" and d.amount == Decimal("600000.00")  # 3% × 20,000,000
    this_year = [{"clause": 5, "year": 2026, "amount": "900000"}]
    d = decide_under(policy, make_bundle(5, facts, prior_awards=this_year)).decisions[0]
    assert d.amount == Decimal("100000.00") and d.cap == Decimal("1000000")  # what is left of the year's cap
    assert decide_under(load_policy(), make_bundle(5, facts, prior_awards=earlier)).decisions[0].status == "ineligible"


def test_a_per_year_cap_made_per_competition_counts_by_item(tmp_path):
    def per_item(d):
        clause_of(d, 10)["cap"].update(frequency="per_competition", item_fact="project_name")
        d["facts"]["project_name"] = {"label": "孵化项目名称", "type": "text"}

    policy = variant(tmp_path, per_item)
    facts = {"project_name": "甲项目", "in_incubation_program": True, "requested": "8000"}
    prior = [{"clause": 10, "year": 2025, "amount": "6000", "competition_name": "甲项目"}]
    d = decide_under(policy, make_bundle(10, facts, prior_awards=prior)).decisions[0]
    assert d.amount == Decimal("4000.00")  # 10,000 per item, 6,000 already paid for 甲项目 in any year
    d = decide_under(policy, make_bundle(10, dict(facts, project_name="乙项目"), prior_awards=prior)).decisions[0]
    assert d.amount == Decimal("8000.00")


def test_a_cap_of_nothing_pays_nothing_and_says_so_without_blaming_earlier_awards(tmp_path):
    """A cap cut to ¥0 leaves nothing to pay; with no earlier award the reason is the zero amount,
    not a cap "used up" by awards that do not exist. One earlier award, and the cap is used up by it."""
    policy = variant(tmp_path, lambda d: clause_of(d, 1)["cap"].update(amount="0"))
    d = decide_under(policy, make_bundle(1, CLAUSE1)).decisions[0]
    assert d.status == "ineligible" and d.amount == Decimal("0.00")
    assert [r.code for r in d.reasons] == ["zero_amount"]
    assert "已用完" not in " ".join(s.message for s in d.trace)
    earlier = [{"clause": 1, "year": 2026, "amount": "100"}]
    d = decide_under(policy, make_bundle(1, CLAUSE1, prior_awards=earlier)).decisions[0]
    assert d.status == "ineligible" and [r.code for r in d.reasons] == ["cap_used_up"]


# ---------------------------------------------------------------- amount method


def test_clause_1_rate_made_fixed_pays_the_fixed_sum_within_the_cap(tmp_path):
    policy = variant(tmp_path, lambda d: clause_of(d, 1).update(amount={"method": "fixed", "value": "300000"}))
    d = decide_under(policy, make_bundle(1, CLAUSE1)).decisions[0]
    assert d.status == "eligible" and d.amount == Decimal("300000.00") and d.computed == Decimal("300000")
    assert any(s.code == "amount_fixed" for s in d.trace)
    # the cap (500,000 a year) still counts what the year already paid
    d = decide_under(policy, make_bundle(1, CLAUSE1, prior_awards=[{"clause": 1, "year": 2026, "amount": "400000"}]))
    assert d.decisions[0].amount == Decimal("100000.00")


def test_a_rate_made_per_unit_and_tiers_and_requested(tmp_path):
    per_unit = variant(
        tmp_path,
        lambda d: clause_of(d, 6).update(
            amount={
                "method": "per_unit",
                "fact": "intl_logistics_costs",
                "base_label": "国际物流费用",
                "unit": "元",
                "unit_amount": "0.05",
            }
        ),
        "per_unit.yaml",
    )
    assert decide_under(per_unit, make_bundle(6, CLAUSE6)).decisions[0].amount == Decimal("150000.00")
    tiers = variant(
        tmp_path,
        lambda d: clause_of(d, 6).update(
            amount={
                "method": "tiers",
                "fact": "intl_logistics_costs",
                "label": "国际物流费用",
                "tiers": [
                    {"operator": ">=", "value": "2000000", "amount": "100000", "boundary_word": "达…以上"},
                    {"operator": ">=", "value": "5000000", "amount": "250000", "boundary_word": "达…以上"},
                ],
            }
        ),
        "tiers.yaml",
    )
    assert decide_under(tiers, make_bundle(6, CLAUSE6)).decisions[0].amount == Decimal("100000.00")


# ---------------------------------------------------------------- a new condition on a new fact


def _employees(d):
    clause_of(d, 1)["conditions"].append(
        {
            "id": "employees",
            "kind": "threshold",
            "fact": "employees",
            "label": "从业人员",
            "unit": "人",
            "operator": ">=",
            "value": "10",
            "boundary_word": "以上",
        }
    )


def test_a_new_condition_on_a_new_fact_is_in_the_contract_and_decides(tmp_path):
    policy = variant(tmp_path, _employees)
    assert policy.clauses[1].facts == ("import_export", "employees", "promotion_costs")  # conditions, then amount
    assert policy.facts["employees"].type == "count" and policy.facts["employees"].unit == "人"
    # the bundle must now give it, as an integer
    with pytest.raises(BundleInvalid) as e:
        decide_under(policy, make_bundle(1, CLAUSE1))
    assert e.value.problems[0].path == "/claims/0/facts/employees"
    with pytest.raises(BundleInvalid) as e:
        decide_under(policy, make_bundle(1, dict(CLAUSE1, employees="ten")))
    assert e.value.problems[0].path == "/claims/0/facts/employees"
    ok = decide_under(policy, make_bundle(1, dict(CLAUSE1, employees=10))).decisions[0]
    assert ok.status == "eligible" and ok.amount == Decimal("240000.00")
    short = decide_under(policy, make_bundle(1, dict(CLAUSE1, employees=9))).decisions[0]
    assert short.status == "ineligible" and [r.condition for r in short.reasons] == ["employees"]
    assert short.reasons[0].message == "从业人员 9 人 < 10 人（以上），不满足"


def test_a_new_fact_works_in_explain_match_init_bundle_and_documents(tmp_path):
    pfile = write_policy(tmp_path / "employees.yaml", _employees)
    skeleton = cli("init-bundle", "--clause", "1", "--policy", str(pfile))
    assert skeleton.returncode == 0 and "employees: 0" in skeleton.out and "从业人员：整数（人）" in skeleton.out
    bundle = write_bundle(tmp_path / "b.json", make_bundle(1, dict(CLAUSE1, employees=8)))
    r = cli("explain", str(bundle), "--policy", str(pfile))
    assert r.returncode == 0, r.err
    assert "从业人员 8 人 < 10 人（以上），不满足" in r.out and "第一条 推动跨境电商应用 — 不符合" in r.out
    under_draft = cli("check", str(bundle))  # the draft does not know the fact: the bundle is invalid under it
    assert under_draft.returncode == 1, under_draft.err
    assert "/claims/0/facts/employees" in under_draft.out and "unknown field 'employees'" in under_draft.out
    draft = cli("check", "--json", str(bundle))
    assert json.loads(draft.out)["errors"][0]["path"] == "/claims/0/facts/employees"  # unknown to the draft
    profile = {
        "schema_version": "1.0",
        "year": 2026,
        "applicant": make_bundle(1, {})["applicant"],
        "facts": dict(CLAUSE1, employees=8),
    }
    (tmp_path / "profile.yaml").write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    m = cli("match", "--json", str(tmp_path / "profile.yaml"), "--policy", str(pfile))
    assert m.returncode == 0, m.err
    one = next(c for c in json.loads(m.out)["clauses"] if c["clause"] == 1)
    assert one["status"] == "not_eligible" and one["gaps"][0]["message"] == "从业人员还差 2 人 达到 10 人（以上）"
    what_if = cli("match", "--json", str(tmp_path / "profile.yaml"), "--policy", str(pfile), "--set", "employees=12")
    assert next(c for c in json.loads(what_if.out)["clauses"] if c["clause"] == 1)["status"] == "eligible"

    from zzcbec_docs.bundle import load_bundle
    from zzcbec_docs.documents import render_bundle

    from docs_helpers import docx_blocks

    policy = load_policy(pfile)
    ok = write_bundle(tmp_path / "ok.json", make_bundle(1, dict(CLAUSE1, employees=12)))
    files = render_bundle(
        load_bundle(ok, policy), policy, kinds=["application", "opinion"], formats=["docx"], out_dir=tmp_path / "out"
    )
    application = next(f.path for f in files if "application" in f.path.name)
    assert "从业人员 | 12" in docx_blocks(application)
    opinion = next(f.path for f in files if "opinion" in f.path.name)
    assert "从业人员 | 12 | 待核实 | 10人以上（含本数） | 满足" in docx_blocks(opinion)


# ---------------------------------------------------------------- renumbering, removing, adding clauses


def _renumber_exclusion(d):
    """The exclusion clause becomes 第十九条 (and everything that refers to it follows)."""
    clause_of(d, 15)["number"] = 19
    for c in d["clauses"]:
        if c.get("referred_by") == 15:
            c["referred_by"] = 19


def test_the_exclusion_clause_renumbered_is_cited_by_its_new_number(tmp_path):
    policy = variant(tmp_path, _renumber_exclusion)
    b = make_bundle(
        claims=[{"clause": 1, "facts": CLAUSE1}, {"clause": 4, "facts": {"uses_own_customs_code": True}}], etrade=True
    )
    r = decide_under(policy, b)
    assert [d.status for d in r.decisions] == ["excluded", "excluded"]
    assert {d.reasons[0].clause for d in r.decisions} == {19}
    assert all("（第十九条）" in d.reasons[0].message and "十五" not in d.reasons[0].message for d in r.decisions)
    referred = decide_under(policy, make_bundle(4, {"uses_own_customs_code": True})).decisions[0]
    assert referred.status == "referred" and referred.reasons[0].clause == 19
    assert referred.reasons[0].message == "第四条按省、市现行政策支持（第十九条），本政策不核定金额"
    listed = decide_under(policy, make_bundle(1, CLAUSE1, n=5))
    assert listed.decisions[0].status == "eligible"


def test_funding_and_term_clauses_renumbered(tmp_path):
    def renumber(d):
        clause_of(d, 16)["number"] = 26
        clause_of(d, 18)["number"] = 28
        d["issued_on"] = "2026-03-01"

    policy = variant(tmp_path, renumber)
    r = decide_under(policy, make_bundle(1, CLAUSE1, district="上街区"))
    assert r.decisions[0].trace[0].clause == 28 and "第二十八条" in r.decisions[0].trace[0].message
    assert any(w.code == "funding_unsettled" and w.message.startswith("第二十六条") for w in r.warnings)
    out = decide_under(policy, make_bundle(1, CLAUSE1, year=2030)).decisions[0]
    assert out.status == "ineligible" and out.reasons[0].clause == 28


def test_a_removed_clause_is_a_clean_schema_error_when_claimed(tmp_path):
    policy = variant(tmp_path, lambda d: d["clauses"].remove(clause_of(d, 12)))
    assert 12 not in policy.claimable()
    facts = {"store_area_m2": "1200", "opened_on": "2025-01-01", "cbec_retail_import": "35000000"}
    with pytest.raises(BundleInvalid) as e:
        decide_under(policy, make_bundle(12, facts))
    assert e.value.problems[0].path == "/claims/0/clause" and "12" not in e.value.problems[0].zh.split("应为")[1]
    # the command line says the same, exit 1, no traceback
    bundle = write_bundle(tmp_path / "b12.json", make_bundle(12, facts))
    r = cli("check", "--json", "--policy", str(tmp_path / "variant.yaml"), str(bundle))
    assert r.returncode == 1 and json.loads(r.out)["errors"][0]["path"] == "/claims/0/clause"
    assert "Traceback" not in r.err and "internal error" not in r.err


def test_a_clause_added_with_an_existing_method_decides_and_is_cited(tmp_path):
    def add(d):
        d["clauses"].insert(
            14,
            {
                "number": 19,
                "name": "支持跨境电商直播",
                "name_en": "Live-stream commerce",
                "kind": "award",
                "text": "（十九）对年直播销售额达到500万元以上的企业，按直播推广费用的20%，每年给予不超过30万元资金扶持。",
                "conditions": [
                    {
                        "id": "live_sales",
                        "kind": "threshold",
                        "fact": "live_sales",
                        "label": "年直播销售额",
                        "operator": ">=",
                        "value": "5000000",
                        "boundary_word": "达到…以上",
                    }
                ],
                "amount": {
                    "method": "rate",
                    "base": ["live_promotion_costs"],
                    "base_label": "直播推广费用",
                    "rate": "0.20",
                },
                "cap": {"amount": "300000", "frequency": "per_year", "boundary_word": "不超过"},
                "funding": "shared",
            },
        )

    policy = variant(tmp_path, add)
    assert 19 in policy.claimable() and policy.clauses[19].facts == ("live_sales", "live_promotion_costs")
    d = decide_under(policy, make_bundle(19, {"live_sales": "6000000", "live_promotion_costs": "2000000"}))
    (dec,) = d.decisions
    assert dec.status == "eligible" and dec.amount == Decimal("300000.00")  # 400,000 capped at 300,000
    assert dec.funding.city == Decimal("150000.00") and dec.clause == 19
    low = decide_under(policy, make_bundle(19, {"live_sales": "4999999.99", "live_promotion_costs": "1"}))
    assert low.decisions[0].reasons[0].clause == 19
    r = cli(
        "explain",
        str(
            write_bundle(
                tmp_path / "b19.json", make_bundle(19, {"live_sales": "6000000", "live_promotion_costs": "10"})
            )
        ),
        "--policy",
        str(tmp_path / "variant.yaml"),
    )
    assert r.returncode == 0 and "第十九条 支持跨境电商直播 — 符合" in r.out


# ---------------------------------------------------------------- structural mistakes refused at load


@pytest.mark.parametrize(
    "mutate, pointer",
    [
        (lambda d: clause_of(d, 4).update(referred_by=99), "/clauses/3/referred_by"),
        (lambda d: clause_of(d, 15)["referred_clauses"].append(42), "/clauses/14/referred_clauses/3"),
        (lambda d: clause_of(d, 16)["city_only_clauses"].append(15), "/clauses/15/city_only_clauses/2"),
        (lambda d: clause_of(d, 3)["cap"].update(reading="clause33_reading"), "/clauses/2/cap/reading"),
        (lambda d: clause_of(d, 2).update(number=1), "/clauses/1/number"),
        (lambda d: clause_of(d, 17).update(kind="term"), "/clauses/17/kind"),
        (
            lambda d: clause_of(d, 2)["conditions"][1].update(values=["national", "global"]),
            "/clauses/1/conditions/1/values",
        ),
        (lambda d: clause_of(d, 6)["conditions"][0].update(fact="import_export"), "/clauses/5/conditions/0"),
        # a rate is a share of its base (0.30 is 30 %), a city's share of the funding at most the whole
        (lambda d: clause_of(d, 1)["amount"].update(rate="30"), "/clauses/0/amount/rate"),
        (lambda d: clause_of(d, 16)["groups"][0].update(city_ratio="1.5"), "/clauses/15/groups/0/city_ratio"),
    ],
)
def test_a_structural_mistake_is_refused_when_the_policy_loads(tmp_path, mutate, pointer):
    with pytest.raises(PolicyError) as e:
        variant(tmp_path, mutate)
    assert e.value.pointer == pointer and e.value.file.endswith("variant.yaml")
    assert e.value.zh and e.value.en


def test_policies_side_by_side_are_chosen_by_id(tmp_path, monkeypatch):
    def final(d):
        d.update(id="zz-cbec-measures-2026", status="final", document_number="郑政〔2026〕8号", issued_on="2026-03-01")
        clause_of(d, 1)["amount"]["rate"] = "0.40"

    write_policy(tmp_path / "final.yaml", final)
    monkeypatch.setenv("ZZCBEC_POLICY_DIRS", str(tmp_path))
    listing = cli("policy", "list")
    assert "zz-cbec-measures-draft" in listing.out and "zz-cbec-measures-2026" in listing.out
    assert "郑政〔2026〕8号" in listing.out
    bundle = write_bundle(tmp_path / "b.json", make_bundle(1, CLAUSE1))
    draft = json.loads(cli("check", "--json", str(bundle)).out)
    final_r = json.loads(cli("check", "--json", "--policy", "zz-cbec-measures-2026", str(bundle)).out)
    assert (draft["total"], draft["policy"]["id"]) == ("240000.00", "zz-cbec-measures-draft")
    assert (final_r["total"], final_r["policy"]["id"]) == ("320000.00", "zz-cbec-measures-2026")
    unknown = cli("check", "--policy", "no-such-policy", str(bundle))
    assert unknown.returncode == 2 and "zz-cbec-measures-2026" in unknown.err


def test_policy_diff_across_structural_changes(tmp_path):
    def amend(d):
        _renumber_exclusion(d)
        d["clauses"].remove(clause_of(d, 12))
        clause_of(d, 6)["cap"]["frequency"] = "one_time"

    new = write_policy(tmp_path / "amended.yaml", amend)
    r = cli(
        "policy", "diff", "zz-cbec-measures-draft", str(new), "--bundles", str(Path(__file__).parents[2] / "samples")
    )
    assert r.returncode == 0, r.err
    assert "~ clauses[第十五条].number: 15 → 19" in r.out
    assert "- clauses[第十二条].name: 支持跨境电商新零售发展" in r.out
    assert "~ clauses[第六条].cap.frequency: per_year → one_time" in r.out
    assert "~ clauses[第四条].referred_by: 15 → 19" in r.out
    assert "clause12-eligible.yaml: 有效 valid → 无效 invalid" in r.out


@pytest.mark.parametrize(
    "command",
    [
        ["check"],
        ["validate"],
        ["explain"],
        ["render", "--out", "OUT"],
        ["match"],
        ["init-bundle", "--clause", "1"],
        ["policy", "show"],
    ],
)
def test_a_broken_policy_is_the_same_usage_error_in_every_command(tmp_path, command):
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: broken\nclauses: []\n", encoding="utf-8")
    bundle = write_bundle(tmp_path / "b.json", make_bundle(1, CLAUSE1))
    args = [a.replace("OUT", str(tmp_path / "out")) for a in command] + ["--policy", str(broken)]
    if command[0] in ("check", "validate", "explain", "render", "match"):
        args.append(str(bundle))
    r = cli(*args)
    assert r.returncode == 2, (command, r.out, r.err)
    assert "broken.yaml" in r.err and "Traceback" not in r.err


def test_exclusion_and_funding_clauses_swapping_numbers_cite_by_kind(tmp_path):
    """Swap 第十五条 and 第十六条 (the referred clauses still say referred_by: 15): the citations follow the kinds."""

    def swap(d):
        exclusion, funding = clause_of(d, 15), clause_of(d, 16)
        exclusion["number"], funding["number"] = 16, 15

    policy = variant(tmp_path, swap)
    assert policy.exclusion.clause == 16 and policy.funding_rule.clause == 15
    referred = decide_under(policy, make_bundle(13, {"overseas_warehouse": "洛杉矶仓"})).decisions[0]
    assert referred.reasons[0].clause == 16 and "（第十六条）" in referred.reasons[0].message
    excluded = decide_under(policy, make_bundle(1, CLAUSE1, etrade=True)).decisions[0]
    assert excluded.reasons[0].clause == 16
    unsettled = decide_under(policy, make_bundle(1, CLAUSE1, district="上街区"))
    assert [w.message[:4] for w in unsettled.warnings if w.code == "funding_unsettled"] == ["第十五条"]


def test_the_clause_3_reading_is_a_named_setting_that_decides(tmp_path):
    """首次超过5亿元、10亿元 … 分别给予一次性200万元、400万元: top-up (the draft's reading) or each tier in full."""
    facts = {"hq_level": "national", "settled_on": "2024-06-01", "cbec_import_export": "1200000000"}
    earlier = [{"clause": 3, "year": 2025, "amount": "2000000"}]
    top_up = decide_under(load_policy(), make_bundle(3, facts, prior_awards=earlier)).decisions[0]
    assert top_up.amount == Decimal("2000000") and any(s.code == "top_up" for s in top_up.trace)
    policy = variant(
        tmp_path,
        lambda d: d["settings"]["clause3_reading"].update(
            value="each_tier",
            explanation="每档各奖励一次，金额不相抵扣",
            explanation_en="each tier is paid once, in full",
        ),
    )
    each = decide_under(policy, make_bundle(3, facts, prior_awards=earlier)).decisions[0]
    assert each.status == "eligible" and each.amount == Decimal("4000000")
    again = decide_under(
        policy, make_bundle(3, facts, prior_awards=[*earlier, {"clause": 3, "year": 2026, "amount": "4000000"}])
    )
    assert again.decisions[0].status == "ineligible" and again.decisions[0].reasons[0].code == "already_awarded"
    r = cli(
        "explain",
        str(write_bundle(tmp_path / "b3.json", make_bundle(3, facts))),
        "--policy",
        str(tmp_path / "variant.yaml"),
    )
    assert "适用的理解：每档各奖励一次，金额不相抵扣" in r.out


def test_an_award_clause_made_referred_refers_and_keeps_no_contract_of_facts(tmp_path):
    def refer(d):
        c = clause_of(d, 10)
        for key in ("conditions", "amount", "cap", "funding"):
            c.pop(key)
        c.update(kind="referred", referred_by=15)

    policy = variant(tmp_path, refer)
    d = decide_under(policy, make_bundle(10, {"in_incubation_program": True, "requested": "8000"})).decisions[0]
    assert d.status == "referred" and d.amount == 0 and d.reasons[0].clause == 15
    assert d.reasons[0].message == "第十条按省、市现行政策支持（第十五条），本政策不核定金额"


def test_the_ledger_records_the_policy_each_award_was_decided_under(tmp_path):
    import sqlite3

    from zzcbec_docs.ledger.schema import awards, notices

    AWARDS, NOTICES = awards.name, notices.name  # noqa: N806 - the ledger's own table names

    def final(d):
        d.update(id="zz-cbec-measures-2026", status="final", document_number="郑政〔2026〕8号", issued_on="2026-01-01")
        clause_of(d, 1)["amount"]["rate"] = "0.40"

    pfile = write_policy(tmp_path / "final.yaml", final)
    ledger = tmp_path / "ledger.db"
    assert cli("ledger", "init", "--ledger", str(ledger)).returncode == 0  # award refuses a ledger not made
    bundle = write_bundle(tmp_path / "b.json", make_bundle(1, CLAUSE1, n=41))
    r = cli(
        "award",
        str(bundle),
        "--ledger",
        str(ledger),
        "--out",
        str(tmp_path / "out"),
        "--format",
        "docx",
        "--policy",
        str(pfile),
        "--date",
        "2026-05-01",
    )
    assert r.returncode == 0, r.err
    with sqlite3.connect(ledger) as conn:
        rows = conn.execute(
            f"SELECT n.policy_id, a.amount_cents FROM {AWARDS} a JOIN {NOTICES} n ON n.id = a.notice_id"
        ).fetchall()
    assert rows == [("zz-cbec-measures-2026", 32000000)]  # 40% × 800,000 = 320,000.00


def test_a_bundle_read_under_one_policy_and_decided_under_another_must_fit_the_other(tmp_path):
    """A bundle read under the packaged draft and decided under a variant is checked again."""
    facts = {"store_area_m2": "1200", "opened_on": "2025-01-01", "cbec_retail_import": "35000000"}
    bundle = parse_bundle(
        json.dumps(make_bundle(12, facts), ensure_ascii=False).encode(), "b.json", policy=load_policy()
    )
    without_12 = variant(tmp_path, lambda d: d["clauses"].remove(clause_of(d, 12)))
    with pytest.raises(BundleInvalid) as e:
        decide(bundle, without_12)
    assert e.value.problems[0].path == "/claims/0/clause"
    fixed = variant(tmp_path, lambda d: clause_of(d, 1).update(amount={"method": "fixed", "value": "300000"}), "f.yaml")
    one = parse_bundle(json.dumps(make_bundle(1, CLAUSE1), ensure_ascii=False).encode(), "b.json", policy=load_policy())
    assert decide(one, fixed).decisions[0].amount == Decimal("300000")  # promotion_costs: known, now unused
