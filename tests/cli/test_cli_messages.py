"""Messages a user meets at the command line: both languages, the place, the unit, one error per mistake."""

from __future__ import annotations

import io
import json

import yaml

from zzcbec_docs.cli.main import main

from conftest import SAMPLES, make_bundle, write_bundle


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_init_bundle_gives_every_clause_asked_for(tmp_path):
    code, text, _ = run("init-bundle", "--clause", "1", "--clause", "12", "--year", "2026")
    assert code == 0
    data = yaml.safe_load(text)
    assert [c["clause"] for c in data["claims"]] == [1, 12]
    assert "平方米" in text  # store_area_m2 is an area, not money


def test_an_unquoted_schema_version_is_told_to_quote_it(tmp_path):
    for name in ("a.yaml", "b.json"):
        p = tmp_path / name
        if name.endswith(".yaml"):
            raw = (SAMPLES / "clause01-eligible.yaml").read_text(encoding="utf-8")
            p.write_text(raw.replace("schema_version: '1.0'", "schema_version: 1.0"), encoding="utf-8")
        else:
            b = make_bundle(1, {"import_export": "30000000", "promotion_costs": "1"})
            p.write_text(json.dumps(b).replace('"schema_version": "1.0"', '"schema_version": 1.0'), encoding="utf-8")
        code, out, _ = run("validate", str(p))
        assert code == 1 and 'quote it as text: "1.0"' in out and "加引号" in out, out
        assert "is not accepted" not in out


def test_a_clause_number_written_as_text_is_one_error(tmp_path):
    b = make_bundle(1, {"import_export": "30000000", "promotion_costs": "1"})
    p = tmp_path / "b.json"
    p.write_text(json.dumps(b).replace('"clause": 1', '"clause": "1"'), encoding="utf-8")
    code, out, _ = run("validate", str(p))
    assert code == 1 and out.count("/claims/0/clause") == 1 and "without quotes" in out


def test_a_bad_quantity_names_its_unit_not_yuan(tmp_path):
    data = yaml.safe_load((SAMPLES / "clause12-eligible.yaml").read_text(encoding="utf-8"))
    data["claims"][0]["facts"]["store_area_m2"] = "1200.555"
    code, out, _ = run("validate", str(write_bundle(tmp_path / "b.json", data)))
    assert code == 1 and "平方米" in out and "square metres" in out and "元" not in out.split("store_area_m2")[1]


def test_match_set_with_a_bad_value_is_a_usage_error_naming_set():
    code, _, err = run("match", "examples/profile.yaml", "--set", "store_area_m2=bad")
    assert code == 2 and "--set store_area_m2=bad" in err and "平方米" in err
    code, _, err = run("match", "examples/profile.yaml", "--set", "uses_zz_logistics=maybe")
    assert code == 2 and "--set" in err and "true or false" in err


def test_option_parser_errors_speak_both_languages():
    code, _, err = run("check", "--no-such-option", "x")
    assert code == 2 and "没有选项 --no-such-option" in err and "No such option" in err
    code, _, err = run("award")
    assert code == 2 and "缺少参数 CASE_OR_BUNDLE" in err and "Missing argument" in err
    code, _, err = run("ledger", "revoke", "郑商务〔2026〕1号")
    assert code == 2 and "缺少选项 --reason" in err
    code, _, err = run("explain", "x", "--lang", "fr")
    assert code == 2 and "--lang 的取值无效" in err


def test_a_known_failing_condition_is_not_eligible_even_with_facts_missing(tmp_path):
    profile = {
        "schema_version": "1.0",
        "year": 2026,
        "applicant": make_bundle(1, {}, n=7)["applicant"],
        "facts": {"import_export": "9000000"},
    }  # below ¥10,000,000; promotion_costs unknown
    p = tmp_path / "p.json"
    p.write_text(json.dumps(profile, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run("match", str(p), "--json")
    clause1 = next(c for c in json.loads(out)["clauses"] if c["clause"] == 1)
    assert clause1["status"] == "not_eligible" and clause1["gaps"] and clause1["missing"]
    assert "1,000,000" in clause1["gaps"][0]["message"] or "100万" in clause1["gaps"][0]["message"]
    profile["facts"]["import_export"] = "12000000"  # the mirror: the known condition holds → undecided
    p.write_text(json.dumps(profile, ensure_ascii=False), encoding="utf-8")
    clause1 = next(c for c in json.loads(run("match", str(p), "--json")[1])["clauses"] if c["clause"] == 1)
    assert clause1["status"] == "undecided"
