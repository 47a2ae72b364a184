"""The command line as users and scripts run it: exit codes, JSON Lines, tables, stdin.

In this process (`run_cli`) but for the exit status a shell sees and the modules a command loads
(`run_process`: its own interpreter)."""

from __future__ import annotations

import io
import json
import sys

import pytest
from click.testing import CliRunner

from zzcbec_docs.cli.main import cli, main

from conftest import SAMPLES, make_bundle, run_cli, run_process, write_bundle
from conftest import cli as cli_in_process

ELIGIBLE = SAMPLES / "clause01-eligible.yaml"


@pytest.mark.slow
def test_check_eligible_bundle_exits_0_with_a_table():
    r = run_process("check", str(ELIGIBLE))
    assert r.returncode == 0, r.stderr.decode()
    out = r.stdout.decode()
    assert "符合 eligible" in out and "¥240,000.00" in out and "¥120,000.00" in out
    assert "征求意见稿" in r.stderr.decode()  # the draft is said, on stderr


def test_check_json_lines_follow_the_contract():
    r = run_cli("check", "--json", str(ELIGIBLE), str(SAMPLES / "shangjie-unsettled.yaml"))
    assert r.returncode == 0
    lines = r.stdout.decode().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(x) for x in lines)
    assert first["valid"] is True and first["errors"] == [] and first["year"] == 2026
    assert first["applicant"]["district"] == "金水区"
    (c,) = first["claims"]
    assert c["clause"] == 1 and c["status"] == "eligible" and c["amount"] == "240000.00"
    assert c["funding"] == {"city": "120000.00", "local": "120000.00"}
    assert c["reasons"] == [] and all({"clause", "code", "message"} <= set(t) for t in c["trace"])
    assert first["total"] == "240000.00"
    assert first["policy"]["status"] == "draft" and first["policy"]["id"]
    assert second["claims"][0]["funding"] is None
    assert "funding_unsettled" in [w["code"] for w in second["warnings"]]


@pytest.mark.slow
@pytest.mark.parametrize(
    "sample", ["ineligible-clause06-below.yaml", "excluded-etrade.yaml", "invalid/wrong-uscc-check.yaml"]
)
def test_ineligible_excluded_or_invalid_exit_1(sample):
    r = run_process("check", "--json", str(SAMPLES / sample))
    assert r.returncode == 1
    assert json.loads(r.stdout)["source"].endswith(sample)


def test_invalid_bundle_json_has_errors_with_path_and_no_claims():
    r = run_cli("check", "--json", str(SAMPLES / "invalid" / "bad-district-and-amounts.yaml"))
    d = json.loads(r.stdout)
    assert d["valid"] is False and d["claims"] == []
    assert {e["path"] for e in d["errors"]} >= {"/applicant/district", "/claims/0/facts/promotion_costs"}
    assert all(e["message"] for e in d["errors"])


def test_referred_claims_do_not_fail_the_run():
    assert run_cli("check", str(SAMPLES / "clause04-referred.yaml")).returncode == 0


@pytest.mark.slow
def test_usage_errors_exit_2_without_traceback():
    for args in (
        ["check", "--bogus", str(ELIGIBLE)],
        ["check", "/no/such/file.yaml"],
        ["frobnicate"],
        ["check", "--issued-on", "2026/1/1", str(ELIGIBLE)],
    ):
        r = run_process(*args)
        assert r.returncode == 2, args
        assert b"Traceback" not in r.stderr


def test_unreadable_path_still_checks_the_others_one_json_line_per_input_in_order():
    r = run_cli("check", "--json", "/no/such.yaml", str(ELIGIBLE))
    assert r.returncode == 2
    first, second = (json.loads(x) for x in r.stdout.decode().splitlines())
    assert first["source"] == "/no/such.yaml" and first["valid"] is False
    assert first["errors"][0]["path"] == "/" and "no such file" in first["errors"][0]["message"]
    assert second["valid"] is True
    assert "no such file" in r.stderr.decode()


def test_stdin_with_dash():
    r = run_cli("check", "--json", "-", input=ELIGIBLE.read_bytes())
    assert r.returncode == 0 and json.loads(r.stdout)["claims"][0]["amount"] == "240000.00"


def test_exclusion_list_option(tmp_path):
    code = json.loads(run_cli("check", "--json", str(ELIGIBLE)).stdout)["applicant"]["uscc"]
    lst = tmp_path / "etrade.txt"
    lst.write_text(f"# 享受E贸易核心功能集聚区政策的企业\n{code}  # 示例\n\n", encoding="utf-8")
    r = run_cli("check", "--json", "--exclusion-list", str(lst), str(ELIGIBLE))
    d = json.loads(r.stdout)
    assert r.returncode == 1 and d["claims"][0]["status"] == "excluded"
    bad = tmp_path / "bad.txt"
    bad.write_text("NOT-A-CODE\n", encoding="utf-8")
    r = run_cli("check", "--exclusion-list", str(bad), str(ELIGIBLE))
    assert r.returncode == 2 and "line 1" in r.stderr.decode()


def test_issued_on_option_applies_the_term(tmp_path):
    r = run_cli("check", "--json", "--issued-on", "2027-01-01", str(ELIGIBLE))
    d = json.loads(r.stdout)
    assert r.returncode == 1 and d["claims"][0]["reasons"][0]["clause"] == 18


def test_validate_is_schema_only():
    """An ineligible bundle is still valid: validate checks the contract, not the rules."""
    r = cli_in_process("validate", str(SAMPLES / "ineligible-clause06-below.yaml"))
    assert r.returncode == 0 and "✓" in r.out and "有效 / valid" in r.out
    assert "无效" not in r.out and "invalid" not in r.out
    r = cli_in_process("validate", "--json", str(SAMPLES / "invalid" / "exponent-notation.json"))
    assert r.returncode == 1 and json.loads(r.out)["errors"][0]["path"] == "/claims/0/facts/import_export"
    r = cli_in_process("validate", str(SAMPLES / "invalid" / "exponent-notation.json"))
    assert r.returncode == 1 and "✗" in r.out and "无效 / invalid" in r.out


def test_folder_argument_checks_every_bundle_in_it():
    r = run_cli("check", "--json", str(SAMPLES))
    lines = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert len(lines) == len(list(SAMPLES.rglob("*.yaml"))) + len(list(SAMPLES.rglob("*.json")))
    assert r.returncode == 1


def test_in_process_main_with_streams():
    out, err = io.StringIO(), io.StringIO()
    code = main(["check", "--json", str(ELIGIBLE)], stdout=out, stderr=err)
    assert code == 0 and json.loads(out.getvalue())["total"] == "240000.00"


def test_click_runner():
    result = CliRunner().invoke(cli, ["validate", str(ELIGIBLE)])
    assert result.exit_code == 0 and f"✓ {ELIGIBLE}  有效 / valid" in result.output
    assert "invalid" not in result.output


@pytest.mark.slow
def test_check_never_imports_the_renderers():
    code = (
        "import sys; from zzcbec_docs.cli.main import main; "
        f"rc = main(['check', {str(ELIGIBLE)!r}]); "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('weasyprint', 'docx', 'fontTools')]; "
        "print(bad); sys.exit(1 if bad else rc)"
    )
    import subprocess

    r = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_policy_option_with_a_broken_file_is_a_usage_error(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("id: x\n", encoding="utf-8")
    r = run_cli("check", "--policy", str(p), str(ELIGIBLE))
    assert r.returncode == 2 and "p.yaml" in r.stderr.decode() and b"Traceback" not in r.stderr


def test_debug_is_the_only_way_to_a_traceback(tmp_path, monkeypatch):
    """A bug inside the library: one line without --debug, the whole traceback with it; exit 1 both ways."""
    b = write_bundle(tmp_path / "b.json", make_bundle(1, {"import_export": "1", "promotion_costs": "1"}))
    plain = cli_in_process("check", str(b))
    assert plain.returncode == 1 and "Traceback" not in plain.err  # ineligible, not an error

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the rules")

    monkeypatch.setattr("zzcbec_docs.rules.engine.decide", broken)  # the service decides through the engine
    quiet = cli_in_process("check", str(b))
    assert quiet.returncode == 1 and "Traceback" not in quiet.err
    assert "内部错误 / internal error: RuntimeError: a bug in the rules" in quiet.err and "--debug" in quiet.err
    loud = cli_in_process("--debug", "check", str(b))
    assert loud.returncode == 1
    assert "Traceback (most recent call last)" in loud.err and 'raise RuntimeError("a bug in the rules")' in loud.err
