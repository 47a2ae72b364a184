"""The policy data file: verbatim clause text, every number in data, a strict loader."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from zzcbec_docs.errors import PolicyError
from zzcbec_docs.policy import Threshold, default_policy_path, load_policy

from conftest import ROOT, SHARED

SHARED_TEXT = SHARED / "policy" / "zhengzhou-cbec-measures-draft.txt"


def packaged_text() -> Path:
    """The verbatim policy text in the package, named by the data file's `source`, beside it."""
    data = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    return default_policy_path().parent / data["source"]


def test_all_eighteen_clauses_are_there():
    p = load_policy()
    assert sorted(p.clauses) == list(range(1, 19))
    assert p.status == "draft" and p.issued_on is None and p.term_years == 3
    assert p.full_title == "《郑州市关于加快推进跨境电商发展的若干措施（征求意见稿）》"


def test_clause_text_is_verbatim_from_the_policy():
    source = packaged_text().read_text(encoding="utf-8")
    assert source.startswith("郑州市关于加快推进跨境电商发展的若干措施\n\n（征求意见稿）")
    for clause in load_policy().clauses.values():
        assert clause.text in source, clause.number
        assert clause.text.startswith(f"（{clause.numeral}）")


@pytest.mark.skipif(not SHARED_TEXT.exists(), reason="../shared/policy is not beside this checkout")
def test_the_packaged_policy_text_is_the_published_one():
    assert packaged_text().read_bytes() == SHARED_TEXT.read_bytes()


def test_the_policy_text_goes_into_the_wheel():
    """hatch puts every file under zzcbec_docs/ into the wheel unless excluded: the text is not."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    text = packaged_text().relative_to(ROOT).as_posix()
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]["build"]["targets"][
        "wheel"
    ]
    assert "zzcbec_docs" in wheel["packages"] and text.startswith("zzcbec_docs/")
    assert not any(text.startswith(x.strip("/")) for x in wheel.get("exclude", []))


def test_every_threshold_number_appears_in_its_clause_text():
    """A number in the data file must be the clause's own number (in 元, 万元 or 亿元)."""

    def spellings(value):
        from decimal import Decimal

        v = Decimal(value)
        out = {f"{v.normalize():f}"}
        for unit, div in (("万", 10_000), ("亿", 100_000_000)):
            q = v / div
            if q == q.to_integral_value() or q * 10 == (q * 10).to_integral_value():
                out.add(f"{q.normalize():f}{unit}")
        return out

    for clause in load_policy().award_clauses():
        text = clause.text.replace("‰", "")
        for c in clause.conditions:
            if not isinstance(c, Threshold):
                continue
            assert any(s in text for s in spellings(c.value)), (clause.number, c.id)
            if c.boundary_word:
                core = c.boundary_word.replace("…", "")
                assert all(ch in clause.text for ch in core), (clause.number, c.boundary_word)


def test_operators_follow_the_boundary_words():
    for clause in load_policy().award_clauses():
        for c in clause.conditions:
            if c.kind != "threshold":
                continue
            if "超" in c.boundary_word:
                assert c.operator == ">", (clause.number, c.id)
            else:
                assert c.operator == ">=", (clause.number, c.id)


def test_no_policy_number_is_written_in_the_rules_code():
    numbers = re.compile(
        r"\b(500000|1000000|2000000|3000000|5000000|10000000|20000000|30000000|"
        r"50000000|100000000|500000000|1000000000|0\.30|0\.03|0\.10|0\.0005)\b"
    )
    for f in (ROOT / "zzcbec_docs").rglob("*.py"):
        hits = [
            line
            for line in f.read_text(encoding="utf-8").splitlines()
            if numbers.search(line) and not line.strip().startswith("#")
        ]
        assert not hits, (f, hits)


def _write_policy(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    mutate(data)
    p = tmp_path / "policy.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


def test_a_final_policy_replaces_the_draft_without_code(tmp_path):
    def final(d):
        d["status"] = "final"
        d["id"] = "zz-cbec-measures-final"
        d["issued_on"] = "2026-03-01"
        d["clauses"][0]["conditions"][0]["value"] = "20000000"

    p = load_policy(_write_policy(tmp_path, final))
    assert p.status == "final" and p.full_title == "《郑州市关于加快推进跨境电商发展的若干措施》"
    assert str(p.clauses[1].conditions[0].value) == "20000000"


@pytest.mark.parametrize(
    "mutate, where",
    [
        (lambda d: d["clauses"][0]["conditions"][0].update(operator="=>"), "/clauses/0/conditions/0/operator"),
        (lambda d: d["clauses"][0]["cap"].update(amount=500000), "/clauses/0/cap/amount"),
        (lambda d: d.update(issued_on="2026/03/01"), "/issued_on"),
        (lambda d: d["clauses"][0].update(surprise=1), "/clauses/0/surprise"),
    ],
)
def test_broken_policy_files_are_refused_naming_the_entry(tmp_path, mutate, where):
    with pytest.raises(PolicyError) as e:
        load_policy(_write_policy(tmp_path, mutate))
    assert e.value.pointer == where and "policy.yaml" in e.value.file


def test_duplicate_keys_in_the_policy_file_are_refused(tmp_path):
    p = tmp_path / "dup.yaml"
    p.write_text(default_policy_path().read_text(encoding="utf-8") + "\nid: again\n", encoding="utf-8")
    with pytest.raises(PolicyError) as e:
        load_policy(p)
    assert "duplicate" in e.value.en
