"""The rule scenarios of tests/rules/clause_NN.yaml, each case named as a claim a policy officer can check.

Each case goes the whole way a bundle goes: JSON text → validation → rules → decision.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from zzcbec_docs.bundle import parse_bundle
from zzcbec_docs.policy import load_policy
from zzcbec_docs.rules import decide

from conftest import make_bundle

RULES = Path(__file__).parent  # the scenarios live next to this file


def _cases():
    files = sorted(RULES.glob("clause_*.yaml"))
    assert len(files) >= 14, f"the rule scenarios are missing from {RULES}"  # never a silently empty run
    for f in files:
        spec = yaml.safe_load(f.read_text(encoding="utf-8"))
        d = spec.get("defaults", {})
        for case in spec["cases"]:
            yield pytest.param(spec["clause"], d, case, id=f"{f.stem}: {case['name']}")


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = v  # a case replaces a whole fact (service_fees included), as the officer wrote it
    return out


@pytest.mark.parametrize("clause, defaults, case", list(_cases()))
def test_scenario(clause: int, defaults: dict, case: dict) -> None:
    facts = _merge(defaults.get("facts", {}), case.get("facts", {}))
    bundle = make_bundle(
        clause,
        facts,
        district=case.get("district", defaults.get("district", "金水区")),
        year=case.get("year", 2026),
        prior_awards=case.get("prior_awards"),
    )
    raw = json.dumps(bundle, ensure_ascii=False).encode()
    result = decide(parse_bundle(raw, "case.json", policy=load_policy()), load_policy())
    (d,) = result.decisions
    got = d.as_dict()
    want = case["expect"]
    assert got["status"] == want["status"], [r["message"] for r in got["reasons"]]
    if "amount" in want:
        assert got["amount"] == want["amount"]
    if "computed" in want:
        assert got["computed"] == want["computed"]
    if "funding" in want:
        assert got["funding"] == want["funding"]
    if "reasons" in want:
        assert [r["code"] for r in got["reasons"]] == want["reasons"]
    if "failed" in want:
        assert [r.get("condition") or r.get("fact") for r in got["reasons"]] == want["failed"]
    if got["status"] == "eligible":
        assert got["reasons"] == []
        if got["funding"] is not None:
            f = got["funding"]
            from decimal import Decimal

            assert Decimal(f["city"]) + Decimal(f["local"]) == Decimal(got["amount"])
    else:
        assert got["amount"] == "0.00"
        assert got["reasons"], "a decision that pays nothing says why"
    for step in got["trace"]:
        assert step["clause"] in (clause, 15, 18) and step["message"]
