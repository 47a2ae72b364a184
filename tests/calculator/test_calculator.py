"""The policy calculator: match, explain, policy show/diff, init-bundle — from "what could we claim?"
to a filled bundle, a check and the documents, with the CLI alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from zzcbec_docs.policy import default_policy_path, load_policy

from conftest import SAMPLES, run_in_process, uscc

PROFILE = {
    "schema_version": "1.0",
    "year": 2026,
    "applicant": {
        "name": "郑州测算示例有限公司",
        "uscc": uscc(300),
        "district": "金水区",
        "etrade_core_zone_policy": False,
    },
    "facts": {
        "import_export": "9765433",
        "promotion_costs": "800000",
        "uses_zz_logistics": True,
        "intl_logistics_costs": "2500000",
        "served_cbec_enterprises": 28,
        "revenue": "12000000",
        "revenue_prior_year": "11500000",
        "store_area_m2": "1200",
        "opened_on": "2025-03-01",
        "cbec_retail_import": "35000000",
        "in_incubation_program": True,
        "requested": "8000",
        "park_cbec_enterprises": 25,
        "park_foreign_trade": "3000000000",
    },
}


def _profile(tmp_path: Path, **facts) -> Path:
    p = dict(PROFILE, facts={**PROFILE["facts"], **facts})
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(p, allow_unicode=True), encoding="utf-8")
    return path


def _match(*args: str) -> dict:
    r = run_in_process("match", "--json", *args)
    assert r.returncode == 0, r.stderr.decode()
    return json.loads(r.stdout)


def test_match_lists_every_clause_sorted_by_amount_with_gaps(tmp_path):
    d = _match(str(_profile(tmp_path)))
    by = {c["clause"]: c for c in d["clauses"]}
    assert sorted(by) == list(range(1, 15))
    eligible = [c for c in d["clauses"] if c["status"] == "eligible"]
    assert [c["clause"] for c in eligible] == [12, 8, 10]  # 360,000 / 100,000 / 8,000
    assert [c["amount"] for c in eligible] == ["360000.00", "100000.00", "8000.00"]
    assert by[12]["funding"] == {"city": "180000.00", "local": "180000.00"}
    gap = by[1]["gaps"][0]
    assert gap["message"] == "年进出口额还差 ¥234,567.00 达到 1,000万元（达到…以上）" and gap["gap"] == "234567"
    assert [g["fact"] for g in by[5]["gaps"]] == ["served_cbec_enterprises", "revenue"]
    assert "还差 2 家" in by[5]["gaps"][0]["message"]
    assert "¥650,000.00" in by[5]["gaps"][1]["message"]  # 11.5M × 110% − 12M
    assert by[2]["status"] == "undecided" and any("payment_license" in m for m in by[2]["missing"])
    assert {by[n]["status"] for n in (4, 13, 14)} == {"referred"}
    assert d["total"] == "468000.00"
    assert any("距下一档" in n for n in by[8]["notes"])


def test_match_gap_for_超过_needs_one_step_more(tmp_path):
    d = _match(str(_profile(tmp_path, store_area_m2="1000", park_cbec_enterprises=20)))
    by = {c["clause"]: c for c in d["clauses"]}
    assert by[12]["gaps"][0]["message"].startswith("累计营业面积还差 0.01 平方米 超过")
    assert by[8]["gaps"][0]["message"].startswith("入驻跨境电商企业数还差 1 家 超过 20 家（超过）")


def test_match_what_if_and_cap_binding(tmp_path):
    d = _match(str(_profile(tmp_path)), "--set", "import_export=25000000", "--set", "promotion_costs=2000000")
    by = {c["clause"]: c for c in d["clauses"]}
    assert by[1]["status"] == "eligible" and by[1]["amount"] == "500000.00"
    assert by[1]["cap_binds"] == {"computed": "600000.00", "paid": "500000.00"}
    assert by[6]["status"] == "eligible"
    assert d["settings"] == {"import_export": "25000000", "promotion_costs": "2000000"}


@pytest.mark.slow
def test_match_table_and_bad_input(tmp_path):
    r = run_in_process("match", str(_profile(tmp_path)))
    assert r.returncode == 0 and "可申报 / eligible" in r.stdout.decode() and "第十二条" in r.stdout.decode()
    r = run_in_process("match", str(_profile(tmp_path)), "--set", "colour=red")
    assert r.returncode == 2 and "unknown fact" in r.stderr.decode()
    r = run_in_process("match", str(_profile(tmp_path, import_export="-1")))
    assert r.returncode == 1 and "/facts/import_export" in r.stderr.decode()


def test_excluded_profile(tmp_path):
    p = dict(PROFILE, applicant={**PROFILE["applicant"], "etrade_core_zone_policy": True})
    path = tmp_path / "p.json"
    path.write_text(json.dumps(p, ensure_ascii=False), encoding="utf-8")
    d = _match(str(path))
    assert {c["status"] for c in d["clauses"] if c["clause"] not in (4, 13, 14)} == {"excluded"}


@pytest.mark.slow
def test_explain_quotes_the_clause_and_numbers_the_steps():
    r = run_in_process("explain", str(SAMPLES / "multi-clause-eligible.yaml"), "--clause", "6")
    text = r.stdout.decode()
    assert r.returncode == 0
    assert "第六条 降低国际物流费用成本 — 符合，¥380,000.06" in text
    assert "条文：（六）降低国际物流费用成本。" in text
    assert "  2. 年进出口额 45,000,000.00 元 ≥ 20,000,000.00 元（达…以上），满足" in text
    assert "380000.055 四舍五入至分" in text
    assert "第一条" not in text.split("条文")[0]
    r = run_in_process("explain", str(SAMPLES / "clause03-top-up.yaml"), "--lang", "en")
    assert "top-up" in r.stdout.decode() and "Clause 3" in r.stdout.decode()
    r = run_in_process("explain", str(SAMPLES / "invalid" / "wrong-uscc-check.yaml"))
    assert r.returncode == 1


@pytest.mark.slow
def test_policy_show():
    r = run_in_process("policy", "show")
    text = r.stdout.decode()
    assert "第一条 推动跨境电商应用" in text and "年进出口额 ≥ ¥10,000,000.00（达到…以上）" in text
    assert "第七、十一条" in text
    r = run_in_process("policy", "show", "--clause", "9")
    assert "条文：（九）" in r.stdout.decode() and "第一条" not in r.stdout.decode()


@pytest.mark.slow
def test_policy_diff_lists_changes_and_their_effect_on_bundles(tmp_path):
    data = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    data["status"] = "final"
    data["issued_on"] = "2026-03-01"
    data["clauses"][0]["conditions"][0]["value"] = "20000000"  # clause 1 threshold up
    data["clauses"][5]["amount"]["rate"] = "0.08"  # clause 6 rate down
    new = tmp_path / "final.yaml"
    new.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = run_in_process("policy", "diff", str(default_policy_path()), str(new), "--bundles", str(SAMPLES))
    text = r.stdout.decode()
    assert r.returncode == 0, r.stderr.decode()
    assert "~ status: draft → final" in text
    assert "~ clauses[第一条].conditions[import_export].value: 10000000 → 20000000" in text
    assert "~ clauses[第六条].amount.rate: 0.10 → 0.08" in text
    assert "clause01-eligible.yaml 第一条: eligible ¥240,000.00 → ineligible ¥0.00" in text
    assert "clause06-eligible.yaml 第六条: eligible ¥250,000.00 → eligible ¥200,000.00" in text


@pytest.mark.slow
def test_from_nothing_to_documents_with_the_cli_alone(tmp_path):
    out = tmp_path / "b.yaml"
    assert run_in_process("init-bundle", "--clause", "6", "--year", "2026", "--out", str(out)).returncode == 0
    text = out.read_text(encoding="utf-8")
    assert "年实际发生国际物流费用（含邮政小包）" in text and "（六）降低国际物流费用成本" in text
    assert run_in_process("init-bundle", "--clause", "6", "--out", str(out)).returncode == 2  # never overwrites
    r = run_in_process("validate", str(out))
    assert r.returncode == 1 and "must not be empty" in r.stdout.decode()
    filled = (
        text.replace('name: ""', "name: 郑州填写示例有限公司", 1)
        .replace('uscc: ""', f"uscc: {uscc(301)}")
        .replace('district: ""', "district: 新郑市")
        .replace('address: ""', "address: 新郑市示例路1号")
        .replace('legal_representative: ""', "legal_representative: 王某")
        .replace('contact: {name: "", phone: ""}', 'contact: {name: 李某, phone: "0371-62000000"}')
        .replace('bank: {name: "", account: ""}', 'bank: {name: 中国银行新郑支行, account: "6217000000000000301"}')
        .replace("uses_zz_logistics: false", "uses_zz_logistics: true")
        .replace('import_export: "0"', 'import_export: "30000000"')
        .replace('intl_logistics_costs: "0"', 'intl_logistics_costs: "2500000"')
    )
    out.write_text(filled, encoding="utf-8")
    r = run_in_process("check", str(out))
    assert r.returncode == 0, r.stdout.decode()
    assert "¥250,000.00" in r.stdout.decode() and "¥50,000.00" in r.stdout.decode()
    r = run_in_process("render", str(out), "--doc", "notice", "--format", "pdf", "--out", str(tmp_path / "docs"))
    assert r.returncode == 0 and len(list((tmp_path / "docs").glob("*.pdf"))) == 1


@pytest.mark.slow
def test_every_clause_skeleton_names_exactly_the_facts_the_schema_needs():
    from zzcbec_docs.bundle.validate import fact_kinds

    for n in range(1, 15):
        text = run_in_process("init-bundle", "--clause", str(n), "--year", "2026").stdout.decode()
        data = yaml.safe_load(text)
        assert set(data["claims"][0]["facts"]) == set(fact_kinds(load_policy())[n]), n


def test_the_profile_schema_holds_every_fact_of_the_bundle_schema():
    from zzcbec_docs import schema
    from zzcbec_docs.bundle.validate import fact_kinds

    facts = schema.load_schema("profile.schema.json")["properties"]["facts"]["properties"]
    every = {name for kinds in fact_kinds(load_policy()).values() for name in kinds}
    assert set(facts) == every


@pytest.mark.slow
def test_the_examples_work(tmp_path):
    from conftest import ROOT

    assert run_in_process("match", str(ROOT / "examples" / "profile.yaml")).returncode == 0
    r = run_in_process(
        "render",
        str(SAMPLES / "clause01-eligible.yaml"),
        "--review",
        str(ROOT / "examples" / "review.yaml"),
        "--doc",
        "opinion",
        "--format",
        "docx",
        "--out",
        str(tmp_path),
    )
    assert r.returncode == 0, r.stderr.decode()
