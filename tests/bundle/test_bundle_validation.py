"""Bad input gets a clear error in Chinese and English naming where it is; never a crash."""

from __future__ import annotations

import json

import pytest

from zzcbec_docs.bundle import BundleInvalid, load_bundle, parse_bundle
from zzcbec_docs.policy import load_policy

from conftest import SAMPLES, make_bundle

GOOD = {"import_export": "12000000", "promotion_costs": "800000"}


def problems(raw: bytes | str, name: str = "b.json"):
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    with pytest.raises(BundleInvalid) as e:
        parse_bundle(raw, name, policy=load_policy())
    return e.value.problems


def jb(bundle) -> str:
    return json.dumps(bundle, ensure_ascii=False)


def test_good_bundle_parses_money_exactly():
    b = parse_bundle(
        jb(make_bundle(1, {"import_export": 12000000.1, "promotion_costs": "800000.05"})).encode(),
        "b.json",
        policy=load_policy(),
    )
    from decimal import Decimal

    assert b.claims[0].facts == {"import_export": Decimal("12000000.1"), "promotion_costs": Decimal("800000.05")}


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("-1", "金额"),
        (-1, "金额"),
        ("12.345", "金额"),
        ("abc", "金额"),
        ("1e7", "金额"),
        (True, "应为"),
        ("", "金额"),
        (None, "应为"),
    ],
)
def test_bad_amounts_name_their_pointer(value, fragment):
    p = problems(jb(make_bundle(1, {**GOOD, "import_export": value})))
    assert p[0].path == "/claims/0/facts/import_export"
    assert fragment in p[0].zh and p[0].en


def test_exponent_notation_in_json_is_refused():
    text = jb(make_bundle(1, GOOD)).replace('"12000000"', "1.2e7")
    (p,) = problems(text)
    assert p.path == "/claims/0/facts/import_export" and "1.2e7" in p.zh


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(literal):
    text = jb(make_bundle(1, GOOD)).replace('"12000000"', literal)
    (p,) = problems(text)
    assert literal in p.en


def test_unknown_field_missing_fact_and_wrong_type_are_all_reported():
    b = make_bundle(6, {"uses_zz_logistics": "yes", "import_export": "1", "colour": "red"})
    paths = {p.path for p in problems(jb(b))}
    assert paths == {
        "/claims/0/facts/colour",
        "/claims/0/facts/intl_logistics_costs",
        "/claims/0/facts/uses_zz_logistics",
    }


def test_wrong_uscc_check_character():
    b = make_bundle(1, GOOD)
    code = b["applicant"]["uscc"]
    b["applicant"]["uscc"] = code[:17] + ("1" if code[17] != "1" else "2")
    (p,) = problems(jb(b))
    assert p.path == "/applicant/uscc" and "GB 32100" in p.zh and code[17] in p.zh


def test_unknown_district_lists_the_accepted_names():
    (p,) = problems(jb(make_bundle(1, GOOD, district="朝阳区")))
    assert p.path == "/applicant/district" and "上街区" in p.zh and "航空港区" in p.en


def test_district_aliases_resolve_to_the_canonical_name():
    b = parse_bundle(jb(make_bundle(1, GOOD, district="管城回族区")).encode(), "b.json", policy=load_policy())
    assert b.applicant.district == "管城区" and b.applicant.district_as_written == "管城回族区"


def test_duplicate_clause_is_refused_but_clause_11_may_repeat_per_competition():
    b = make_bundle(claims=[{"clause": 1, "facts": GOOD}, {"clause": 1, "facts": GOOD}])
    (p,) = problems(jb(b))
    assert p.path == "/claims/1/clause"
    comp = {"competition_approved": True, "held_in_zhengzhou": True, "requested": "1"}
    ok = make_bundle(
        claims=[
            {"clause": 11, "facts": {**comp, "competition_name": "甲"}},
            {"clause": 11, "facts": {**comp, "competition_name": "乙"}},
        ]
    )
    assert len(parse_bundle(jb(ok).encode(), "b.json", policy=load_policy()).claims) == 2
    same = make_bundle(
        claims=[
            {"clause": 11, "facts": {**comp, "competition_name": "甲"}},
            {"clause": 11, "facts": {**comp, "competition_name": "甲"}},
        ]
    )
    assert problems(jb(same))[0].path == "/claims/1/clause"


def test_missing_exclusion_declaration_is_an_error_not_a_default():
    b = make_bundle(1, GOOD)
    del b["applicant"]["etrade_core_zone_policy"]
    (p,) = problems(jb(b))
    assert p.path == "/applicant/etrade_core_zone_policy"


@pytest.mark.parametrize("clause", [0, 15, 18, "1", 1.0, 2.0])
def test_clause_outside_1_to_14_is_refused(clause):
    p = problems(jb(make_bundle(claims=[{"clause": clause, "facts": {}}])))
    assert p[0].path == "/claims/0/clause"


def test_control_characters_are_refused_at_validation():
    p = problems(jb(make_bundle(1, GOOD, name="坏\x07名字")))
    assert p[0].path == "/applicant/name" and "U+0007" in p[0].zh


def test_duplicate_keys_are_refused_in_json_and_yaml():
    assert "duplicate" in problems('{"year": 2026, "year": 2027}')[0].en
    assert "duplicate" in problems("year: 2026\nyear: 2027\n", "b.yaml")[0].en


def test_yaml_numbers_keep_their_text_and_yes_is_not_a_boolean():
    text = (SAMPLES / "clause06-eligible.yaml").read_text(encoding="utf-8")
    b = parse_bundle(text.encode(), "s.yaml", policy=load_policy())
    assert b.claims[0].facts["uses_zz_logistics"] is True
    p = problems(text.replace("uses_zz_logistics: true", "uses_zz_logistics: yes"), "s.yaml")
    assert p[0].path == "/claims/0/facts/uses_zz_logistics"
    # YAML 1.1 would read 1_000 and 0x10 as numbers and 1:30 as 90: all refused
    for odd in ("1_000", "0x10", "1:30", "007"):
        p = problems(text.replace("import_export: '30000000'", f"import_export: {odd}"), "s.yaml")
        assert p[0].path == "/claims/0/facts/import_export", odd


def test_yaml_alias_bomb_is_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        bomb += f"{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
    (p,) = problems(bomb, "bomb.yaml")
    assert "alias" in p.en


def test_deep_nesting_is_refused():
    (p,) = problems("[" * 10000 + "]" * 10000)
    assert "nesting" in p.en


def test_bom_is_accepted_and_gbk_is_explained():
    text = jb(make_bundle(1, GOOD))
    assert parse_bundle(b"\xef\xbb\xbf" + text.encode("utf-8"), "b.json", policy=load_policy()).year == 2026
    (p,) = problems(text.encode("gbk"))
    assert "GBK" in p.zh and "iconv" in p.en


def test_crlf_yaml_is_fine():
    text = (SAMPLES / "clause01-eligible.yaml").read_text(encoding="utf-8").replace("\n", "\r\n")
    assert parse_bundle(text.encode(), "s.yaml", policy=load_policy()).year == 2026


def test_empty_and_oversized_files(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_bytes(b"")
    with pytest.raises(Exception) as e:
        load_bundle(empty, load_policy())
    assert "empty" in str(e.value)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * (2 * 1024 * 1024))
    with pytest.raises(Exception) as e:
        load_bundle(big, load_policy())
    assert "limit" in str(e.value)


def test_a_directory_is_not_a_bundle(tmp_path):
    with pytest.raises(Exception) as e:
        load_bundle(tmp_path, load_policy())
    assert "directory" in str(e.value)


def test_not_a_mapping_at_the_top():
    (p,) = problems("[1, 2]")
    assert p.path == "/" and "object" in p.en


def test_every_sample_under_invalid_is_invalid_and_every_other_sample_is_valid():
    for f in sorted(SAMPLES.glob("*.yaml")):
        load_bundle(f, load_policy())
    invalid = sorted((SAMPLES / "invalid").iterdir())
    assert len(invalid) >= 4
    for f in invalid:
        with pytest.raises(BundleInvalid):
            load_bundle(f, load_policy())


def test_fast_validation_agrees_with_the_published_schema():
    """The inlined, per-clause validation must find exactly what the published schema finds."""
    from zzcbec_docs import schema
    from zzcbec_docs.bundle.validate import SCHEMA, _schema_errors
    from zzcbec_docs.errors import BundleError
    from zzcbec_docs.loading import parse_text

    cases = [
        make_bundle(1, GOOD),
        make_bundle(6, {"uses_zz_logistics": "yes", "colour": 1}),
        make_bundle(9, {"demo_park_level": "city", "service_fees": {"water": "1"}}),
        make_bundle(claims=[{"clause": 16, "facts": {}}, {"clause": 2}, "x"]),
        {"year": "2026"},
    ]
    for f in sorted(SAMPLES.rglob("*.yaml")):
        cases.append(parse_text(f.read_text(encoding="utf-8"), f.name, BundleError))
    for data in cases:
        full = {p for p, _, _ in schema.errors(SCHEMA, data)}
        fast = {p for p, _, _ in _schema_errors(data, load_policy())}
        assert full == fast, data
