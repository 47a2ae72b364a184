"""The award process as an intake desk runs it: submit → review → award → revoke, through the
command line, on a real SQLite file and on the PostgreSQL server (each test runs on both)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from zzcbec_docs.ledger import open_ledger

from conftest import ROOT, SAMPLES, make_bundle, write_bundle


def cli(*args: str) -> tuple[int, str, str]:
    """`zzcbec ARGS` through the command line's entry point (exit code, stdout, stderr), in this process
    to keep the suite fast; the racing desks below are separate processes."""
    from zzcbec_docs.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def clause1(tmp_path: Path, name: str, promotion: str, n: int = 40, **kw) -> Path:
    return write_bundle(
        tmp_path / name, make_bundle(1, {"import_export": "30000000", "promotion_costs": promotion}, n=n, **kw)
    )


def review_file(
    tmp_path: Path,
    bundle: Path,
    conclusion: str,
    verified: list | None = None,
    remarks: str = "",
    name: str = "review.yaml",
) -> Path:
    record = {
        "bundle": {"file": bundle.name, "sha256": hashlib.sha256(bundle.read_bytes()).hexdigest()},
        "reviewer": "张审核",
        "reviewed_on": "2026-03-05",
        "conclusion": conclusion,
        "verified": verified or [],
        "remarks": remarks,
    }
    p = tmp_path / name
    p.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    return p


def docx_text(path: Path) -> str:
    xml = zipfile.ZipFile(io.BytesIO(path.read_bytes())).read("word/document.xml").decode()
    import re

    return re.sub(r"<[^>]+>", "", xml)


def award(ledger: str, target: str | Path, out: Path, *extra: str) -> tuple[int, str, str]:
    return cli(
        "award", str(target), "--ledger", ledger, "--out", str(out), "--format", "docx", "--date", "2026-04-01", *extra
    )


def numbers(ledger: str) -> list[str]:
    return [a.notice_number for a in open_ledger(ledger).awards()]


# ---------------------------------------------------------------- the review decides
def test_a_rejecting_review_awards_nothing_and_approving_one_awards(ledger_url, tmp_path):
    out = tmp_path / "out"
    b = clause1(tmp_path, "a.json", "1000000")
    code, _, err = award(ledger_url, b, out, "--review", str(review_file(tmp_path, b, "reject", remarks="票据不实")))
    assert code == 1 and "rejects the application" in err
    assert numbers(ledger_url) == [] and not list(out.glob("*notice*"))
    # the opinion of the rejection states 核定金额 0 and why; render makes no notice for it
    code, _, err = cli(
        "render",
        str(b),
        "--review",
        str(tmp_path / "review.yaml"),
        "--doc",
        "opinion,notice",
        "--format",
        "docx",
        "--out",
        str(out),
    )
    assert code == 1 and "no award notice" in err
    assert not list(out.glob("*notice*"))
    opinion = docx_text(next(out.glob("*opinion.docx")))
    assert "不同意" in opinion and "人民币零元整" in opinion and "票据不实" in opinion
    # the mirror: a later approving review (a re-review) decides, and the case is awarded
    code, text, err = award(ledger_url, b, out, "--review", str(review_file(tmp_path, b, "approve", name="r2.yaml")))
    assert code == 0, err
    assert numbers(ledger_url) == ["郑商务〔2026〕1号"]
    (notice,) = out.glob("*notice-2026-001.docx")
    assert "300,000.00" in docx_text(notice) and "郑商务〔2026〕1号" in docx_text(notice)
    code, text, _ = cli("case", "show", text.split("案件 case ")[-1].split()[0], "--ledger", ledger_url, "--json")
    shown = json.loads(text)
    assert [r["conclusion"] for r in shown["reviews"]] == ["reject", "approve"]  # both reviews kept
    assert shown["case"]["status"] == "awarded"
    code, text, _ = cli("case", "list", "--ledger", ledger_url, "--status", "awarded", "--district", "金水区")
    assert code == 0 and "1 件" in text
    code, text, _ = cli("case", "list", "--ledger", ledger_url, "--status", "rejected")
    assert code == 0 and "0 件" in text


def test_a_conclusion_contradicting_its_figures_is_refused(ledger_url, tmp_path):
    b = clause1(tmp_path, "a.json", "1000000")
    below = [{"clause": 1, "facts": {"import_export": "9000000"}}]  # under the 10,000,000 threshold
    code, _, err = cli(
        "review", str(b), "--record", str(review_file(tmp_path, b, "approve", below)), "--ledger", ledger_url
    )
    assert code == 1 and "nothing is eligible" in err and "/conclusion" in err
    (case,) = open_ledger_cases(ledger_url)
    assert case["status"] == "submitted"  # the bundle was submitted; the refused review was not recorded
    code, _, err = cli(
        "render",
        str(b),
        "--review",
        str(tmp_path / "review.yaml"),
        "--doc",
        "opinion",
        "--format",
        "docx",
        "--out",
        str(tmp_path / "refused"),
    )
    assert code == 1 and "nothing is eligible" in err and not (tmp_path / "refused").exists()
    # mirror: partial with a reduced, still eligible figure is recorded and decides the award
    reduced = [{"clause": 1, "facts": {"promotion_costs": "700000"}}]
    code, text, err = cli(
        "review",
        case["id"],
        "--record",
        str(review_file(tmp_path, b, "partial", reduced)),
        "--ledger",
        ledger_url,
        "--out",
        str(tmp_path / "out"),
        "--format",
        "docx",
    )
    assert code == 0, err
    opinion = docx_text(next((tmp_path / "out").glob("*opinion.docx")))
    assert "部分同意" in opinion and "人民币贰拾壹万元整" in opinion
    code, text, err = award(ledger_url, case["id"], tmp_path / "out")
    assert code == 0 and "¥210,000.00" in text, err


def open_ledger_cases(url: str) -> list[dict]:
    code, text, err = cli("case", "list", "--ledger", url, "--json")
    assert code == 0, err
    return [json.loads(x) for x in text.splitlines()]


# ---------------------------------------------------------------- the ledger counts everywhere
def test_every_command_that_states_an_amount_counts_the_ledger(ledger_url, tmp_path):
    out = tmp_path / "out"
    assert award(ledger_url, clause1(tmp_path, "first.json", "1000000"), out)[0] == 0  # ¥300,000 of the ¥500,000 cap
    second = clause1(tmp_path, "second.json", "1000001")  # would be ¥300,000.30 alone
    code, text, _ = cli("check", str(second), "--ledger", ledger_url, "--json")
    assert json.loads(text)["total"] == "200000.00"
    assert any(w["code"] == "ledger_counted" for w in json.loads(text)["warnings"])
    code, text, _ = cli("explain", str(second), "--ledger", ledger_url)
    assert "¥200,000.00" in text and "已计入奖励台账" in text
    code, text, _ = cli(
        "render", str(second), "--doc", "notice", "--format", "docx", "--out", str(out), "--ledger", ledger_url
    )
    assert code == 0 and "已计入奖励台账" in text
    specimen = docx_text(next(out.glob("*-notice-specimen.docx")))
    assert "200,000.00" in specimen and "样" in specimen and "郑商务〔2026〕2号" not in specimen
    assert numbers(ledger_url) == ["郑商务〔2026〕1号"]  # a specimen uses no number
    profile = {
        "schema_version": "1.0",
        "year": 2026,
        "applicant": make_bundle(1, {}, n=40)["applicant"],
        "facts": {"import_export": "30000000", "promotion_costs": "1000001"},
    }
    (tmp_path / "p.json").write_text(json.dumps(profile, ensure_ascii=False), encoding="utf-8")
    code, text, _ = cli("match", str(tmp_path / "p.json"), "--ledger", ledger_url, "--json")
    clause_1 = next(c for c in json.loads(text)["clauses"] if c["clause"] == 1)
    assert clause_1["amount"] == "200000.00" and json.loads(text)["ledger"]["awards"] == 1
    code, text, _ = cli("render", str(second), "--number", "郑商务〔2026〕9号", "--out", str(out))
    assert code == 2 and "award" in _  # only award numbers notices


def test_two_notices_of_one_applicant_stay_side_by_side(ledger_url, tmp_path):
    out = tmp_path / "out"
    assert award(ledger_url, clause1(tmp_path, "a.json", "500000"), out)[0] == 0
    assert award(ledger_url, clause1(tmp_path, "b.json", "600000"), out)[0] == 0
    names = sorted(p.name for p in out.iterdir())
    uscc = make_bundle(1, {}, n=40)["applicant"]["uscc"]
    assert names == [f"{uscc}-2026-notice-2026-001.docx", f"{uscc}-2026-notice-2026-002.docx"]
    assert "150,000.00" in docx_text(out / names[0]) and "180,000.00" in docx_text(out / names[1])


def test_an_application_is_its_content_not_its_bytes(ledger_url, tmp_path):
    out = tmp_path / "out"
    data = make_bundle(1, {"import_export": "30000000", "promotion_costs": "1000000"}, n=41)
    first = write_bundle(tmp_path / "a.json", data)
    assert award(ledger_url, first, out)[0] == 0
    # a comment, blank lines, other key order, YAML instead of JSON, 1000000 as a number: the same content
    same = tmp_path / "same.yaml"
    text = "# 重新提交\n\n" + yaml.safe_dump(dict(reversed(list(data.items()))), allow_unicode=True) + "\n\n"
    same.write_text(text.replace("'1000000'", "1000000.00"), encoding="utf-8")
    code, _, err = award(ledger_url, same, out)
    assert code == 1 and "郑商务〔2026〕1号" in err and "already awarded" in err
    assert numbers(ledger_url) == ["郑商务〔2026〕1号"]
    assert len(open_ledger_cases(ledger_url)) == 1
    # mirror: one figure changed is another application
    data["claims"][0]["facts"]["promotion_costs"] = "1000000.01"
    assert award(ledger_url, write_bundle(tmp_path / "c.json", data), out)[0] == 0
    assert len(open_ledger_cases(ledger_url)) == 2


def test_revocation_frees_the_caps_and_reissue_is_explicit(ledger_url, tmp_path):
    out = tmp_path / "out"
    b = clause1(tmp_path, "a.json", "2000000")  # ¥500,000: the whole yearly cap
    assert award(ledger_url, b, out)[0] == 0
    code, text, _ = cli("check", str(clause1(tmp_path, "other.json", "100000")), "--ledger", ledger_url, "--json")
    assert json.loads(text)["total"] == "0.00"
    code, text, err = cli("ledger", "revoke", "郑商务〔2026〕1号", "--reason", "文号有误", "--ledger", ledger_url)
    assert code == 0 and "--reissue-of" in text, err
    code, text, _ = cli("check", str(b), "--ledger", ledger_url, "--json")
    d = json.loads(text)
    assert d["total"] == "500000.00"  # the cap is free again
    (w,) = [w for w in d["warnings"] if w["code"] == "revoked_award"]
    assert "no longer counts against any cap" in w["message_en"]
    assert not [x for x in d["warnings"] if x["code"] == "already_awarded_bundle"]
    code, _, err = award(ledger_url, b, out)
    assert code == 1 and "--reissue-of 郑商务〔2026〕1号" in err
    code, _, err = award(ledger_url, b, out, "--reissue-of", "郑商务〔2026〕7号")
    assert code == 2 and "no such notice" in err
    code, text, err = award(ledger_url, b, out, "--reissue-of", "郑商务〔2026〕1号")
    assert code == 0 and "郑商务〔2026〕2号" in text, err
    notice = docx_text(next(out.glob("*notice-2026-002.docx")))
    assert "替代已撤销的郑商务〔2026〕1号" in notice
    assert len(list(out.glob("*notice*"))) == 2  # the revoked notice's file is kept
    code, text, err = cli(
        "ledger",
        "export",
        "--ledger",
        ledger_url,
        "--year",
        "2026",
        "--format",
        "csv",
        "--out",
        str(tmp_path / "x.csv"),
    )
    assert code == 0 and "另有已撤销 1 笔" in text and "1 revoked (¥500,000.00) listed apart" in text
    assert "有效奖励 1 笔，合计 ¥500,000.00" in text


# ---------------------------------------------------------------- clause 11, batch, 上街区
def test_clause_11_names_are_compared_normalised(ledger_url, tmp_path):
    out = tmp_path / "out"

    def comp(name: str, requested: str, file: str) -> Path:
        facts = {
            "competition_name": name,
            "competition_approved": True,
            "held_in_zhengzhou": True,
            "requested": requested,
        }
        return write_bundle(tmp_path / file, make_bundle(11, facts, n=42))

    assert award(ledger_url, comp("2026郑州跨境电商大赛", "150000", "a.json"), out)[0] == 0
    for i, typed in enumerate(["２０２６郑州跨境电商大赛", "2026郑州跨境电商大赛 ", "2026郑州 跨境电商大赛"]):
        code, text, _ = cli("check", str(comp(typed, "150000", f"t{i}.json")), "--ledger", ledger_url, "--json")
        assert json.loads(text)["total"] == "50000.00", typed  # ¥200,000 per competition, ¥150,000 paid
    code, text, _ = cli(
        "check", str(comp("2026郑州跨境电商大寨", "10000", "near.json")), "--ledger", ledger_url, "--json"
    )
    d = json.loads(text)
    assert d["total"] == "10000.00" and any(w["code"] == "competition_near_name" for w in d["warnings"])


def test_a_batch_shares_the_caps_of_one_applicant(ledger_url, tmp_path):
    import csv

    assert award(ledger_url, clause1(tmp_path, "earlier.json", "200000", n=43), tmp_path / "notices")[0] == 0
    folder = tmp_path / "in"
    folder.mkdir()
    # file-name order: a.json first (¥300,000), then b.json (¥270,000 alone)
    write_bundle(folder / "b.json", make_bundle(1, {"import_export": "30000000", "promotion_costs": "900000"}, n=43))
    write_bundle(folder / "a.json", make_bundle(1, {"import_export": "30000000", "promotion_costs": "1000000"}, n=43))
    for ledger, a_amount, b_amount in ((None, "300000.00", "200000.00"), (ledger_url, "300000.00", "140000.00")):
        out = tmp_path / ("with-ledger" if ledger else "alone")
        code, text, err = cli(
            "batch",
            str(folder),
            "--out",
            str(out),
            "--docs",
            "application",
            "--format",
            "docx",
            "--jobs",
            "1",
            *(["--ledger", ledger] if ledger else []),
        )
        with open(out / "summary.csv", encoding="utf-8-sig") as fh:
            rows = {Path(r["来源 source"]).name: r for r in csv.DictReader(fh)}
        assert (rows["a.json"]["金额 amount"], rows["b.json"]["金额 amount"]) == (a_amount, b_amount)
        assert "caps shared" in text and "b.json" in text.split("caps shared")[1]
        assert ("counting the ledger" in err) == bool(ledger)  # ¥60,000 already awarded counted


def test_shangjie_city_paid_clauses_are_settled_in_the_notice(ledger_url, tmp_path):
    data = yaml.safe_load((SAMPLES / "clause07-eligible.yaml").read_text(encoding="utf-8"))
    data["applicant"]["district"] = "上街区"
    b = write_bundle(tmp_path / "sj.json", data)
    code, text, _ = cli("check", str(b), "--json")
    assert not [w for w in json.loads(text)["warnings"] if w["code"] == "funding_unsettled"]
    code, text, err = award(ledger_url, b, tmp_path / "out")
    assert code == 0, err
    notice = docx_text(next((tmp_path / "out").glob("*notice-2026-001.docx")))
    assert "由市级财政全额承担" in notice and "待财政部门确定" not in notice


# ---------------------------------------------------------------- a ledger that cannot be opened
def test_an_unreachable_ledger_is_exit_2_with_one_clear_line(tmp_path):
    for args in (
        ["check", str(SAMPLES / "clause01-eligible.yaml")],
        ["case", "list"],
        ["award", str(SAMPLES / "clause01-eligible.yaml"), "--out", str(tmp_path)],
    ):
        code, _, err = cli(*args, "--ledger", "postgresql://desk:s3cret@127.0.0.1:1/zz")
        assert code == 2, (args, err)
        assert "s3cret" not in err and "127.0.0.1:1/zz" in err and "sqlalche" not in err
        assert len(err.strip().splitlines()) == 1 and "cannot be reached" in err
    garbage = tmp_path / "not-a-ledger.db"
    garbage.write_bytes(b"this is not sqlite" * 100)
    code, _, err = cli("case", "list", "--ledger", str(garbage))
    assert code == 2 and "not a SQLite database" in err and str(garbage) in err


def test_a_review_file_that_is_not_there_is_a_usage_error_and_records_nothing(tmp_path):
    """bundle.md: exit 2 for an unreadable path — the review record of review, award and render too."""
    db = str(tmp_path / "ledger.db")
    bundle = str(SAMPLES / "clause01-eligible.yaml")
    missing = str(tmp_path / "no-such-review.yaml")
    for args in (
        ["review", bundle, "--record", missing, "--ledger", db],
        ["award", bundle, "--review", missing, "--ledger", db, "--out", str(tmp_path / "n")],
        ["render", bundle, "--review", missing, "--out", str(tmp_path / "r")],
    ):
        code, _, err = cli(*args)
        assert code == 2, (args, err)
        assert missing in err and "审核记录文件不存在" in err and "does not exist" in err and "Traceback" not in err
    if Path(db).exists():  # nothing was submitted, reviewed or awarded
        code, out, _ = cli("case", "list", "--ledger", db)
        assert code == 0 and "郑州示例" not in out
    assert not (tmp_path / "n").exists() or not any((tmp_path / "n").iterdir())


# ---------------------------------------------------------------- racing desks
def _desk(args: list[list[str]]) -> subprocess.Popen:
    """One desk: a process running `zzcbec` once per argument list, one after the other."""
    code = (
        f"import sys; from zzcbec_docs.cli.main import main\ncodes = [main(a) for a in {args!r}]\nprint('codes', codes)"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )


@pytest.mark.slow
def test_two_desks_awarding_two_different_bundles_of_one_applicant_at_once(ledger_url, tmp_path):
    open_ledger(ledger_url)
    for round_ in range(2):
        a = clause1(tmp_path, f"a{round_}.json", "1000000", n=60 + round_)  # ¥300,000
        b = clause1(tmp_path, f"b{round_}.json", "900000", n=60 + round_)  # ¥270,000 alone
        desks = [
            _desk([["award", str(x), "--ledger", ledger_url, "--out", str(tmp_path / "out"), "--format", "docx"]])
            for x in (a, b)
        ]
        for d in desks:
            d.communicate(timeout=180)
        rows = open_ledger(ledger_url).awards(uscc=make_bundle(1, {}, n=60 + round_)["applicant"]["uscc"])
        assert sum(r.amount for r in rows) == Decimal("500000.00")  # whichever came first, never ¥570,000
        assert len(rows) == 2
    seqs = sorted(int(n.split("〕")[1][:-1]) for n in numbers(ledger_url))
    assert seqs == [1, 2, 3, 4]


@pytest.mark.slow
def test_two_batches_of_awards_at_once_hold_every_cap(ledger_url, tmp_path):
    open_ledger(ledger_url)
    batches = []
    for side in ("x", "y"):
        jobs = []
        for i, n in enumerate((70, 71, 70, 71)):
            b = clause1(tmp_path, f"{side}{i}.json", str(700000 + i * 1000 + (side == "y")), n=n)  # ~¥210,000 each
            jobs.append(["award", str(b), "--ledger", ledger_url, "--out", str(tmp_path / "out"), "--format", "docx"])
        batches.append(_desk(jobs))
    for d in batches:
        out, err = d.communicate(timeout=300)
        assert b"codes" in out, err
    lg = open_ledger(ledger_url)
    for n in (70, 71):
        rows = lg.awards(uscc=make_bundle(1, {}, n=n)["applicant"]["uscc"])
        assert sum(r.amount for r in rows) == Decimal("500000.00"), [r.amount for r in rows]
    seqs = sorted(int(x.split("〕")[1][:-1]) for x in numbers(ledger_url))
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_version_2_ledger_is_upgraded_and_its_awards_still_count(ledger_url, tmp_path):
    """A ledger written before the process existed: its notice (known by the bundle's bytes) still
    refuses the same bundle, counts against the cap, and can be revoked and re-issued."""
    from sqlalchemy import create_engine, insert, text

    from zzcbec_docs.ledger import schema as s
    from zzcbec_docs.ledger.store import normalise_url

    b = clause1(tmp_path, "old.json", "2000000", n=50)
    sha = hashlib.sha256(b.read_bytes()).hexdigest()
    uscc = make_bundle(1, {}, n=50)["applicant"]["uscc"]
    engine = create_engine(normalise_url(ledger_url))
    with engine.begin() as conn:
        s.schema_version.create(conn)
        s._v1(conn)
        s._v2(conn)
        for v in (1, 2):
            conn.execute(insert(s.schema_version).values(version=v, applied_at="2026-01-01T00:00:00+00:00"))
        conn.execute(
            text(
                "INSERT INTO zzcbec_notices (number, issuer, issuer_code, notice_year, seq, uscc, applicant_name, "
                "district, year, bundle_sha256, policy_id, issued_on, created_at) VALUES ('郑商务〔2026〕1号', "
                "'郑州市商务局', '郑商务', 2026, 1, :u, '旧企业', '金水区', 2026, :sha, 'p', '2026-01-02', '2026-01-02')"
            ),
            {"u": uscc, "sha": sha},
        )
        conn.execute(
            text(
                "INSERT INTO zzcbec_awards (notice_id, uscc, clause, year, amount_cents, city_cents, "
                "local_cents) VALUES (1, :u, 1, 2026, 50000000, 25000000, 25000000)"
            ),
            {"u": uscc},
        )
        conn.execute(text("INSERT INTO zzcbec_notice_counters VALUES ('郑商务', 2026, 1)"))
    engine.dispose()
    code, text_, err = cli("ledger", "init", "--ledger", ledger_url)
    from zzcbec_docs.ledger.schema import LATEST

    assert code == 0 and f"version {LATEST}" in text_ and "was 2" in text_, err
    code, _, err = award(ledger_url, b, tmp_path / "out")
    assert code == 1 and "郑商务〔2026〕1号" in err
    assert cli("ledger", "revoke", "郑商务〔2026〕1号", "--reason", "重开", "--ledger", ledger_url)[0] == 0
    code, text_, err = award(ledger_url, b, tmp_path / "out", "--reissue-of", "郑商务〔2026〕1号")
    assert code == 0 and "郑商务〔2026〕2号" in text_ and "¥500,000.00" in text_, err
