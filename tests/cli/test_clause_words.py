"""The command line cites clauses as the policy and the documents do (第一条, policy.cite), never 第1条."""

from __future__ import annotations

import io

from conftest import make_bundle, write_bundle


def test_award_lists_its_claims_by_the_policys_citation(tmp_path):
    from zzcbec_docs.cli.main import main

    ledger = tmp_path / "ledger.db"
    ledger.touch()
    bundle = write_bundle(
        tmp_path / "b.json", make_bundle(1, {"import_export": "30000000", "promotion_costs": "1000000"}, n=61)
    )
    out, err = io.StringIO(), io.StringIO()
    args = ["award", str(bundle), "--ledger", str(ledger), "--out", str(tmp_path / "out"), "--format", "docx"]
    code = main([*args, "--date", "2026-04-01"], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    assert "    第一条  ¥300,000.00" in out.getvalue() and "第1条" not in out.getvalue()
