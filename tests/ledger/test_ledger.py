"""The award ledger on real databases: a SQLite file, and the PostgreSQL server on 127.0.0.1:5432."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from zzcbec_docs import process
from zzcbec_docs.bundle import load_bundle
from zzcbec_docs.errors import LedgerError
from zzcbec_docs.ledger import open_ledger
from zzcbec_docs.policy import load_policy
from zzcbec_docs.process import AlreadyAwarded, NotAwardable

from conftest import ROOT, SAMPLES, make_bundle, run_cli, uscc, write_bundle


def clause1_bundle(tmp_path: Path, name: str, promotion: str, n: int = 50, **kw) -> Path:
    b = make_bundle(1, {"import_export": "30000000", "promotion_costs": promotion}, n=n, **kw)
    return write_bundle(tmp_path / name, b)


@dataclass(frozen=True)
class Awarded:
    number: str
    result: object
    files: tuple[Path, ...]


def award(url: str, path: Path, out: Path, **kw) -> Awarded:
    """Submit the bundle and award its case through the process layer; write the notice as `award` does."""
    lg, policy = open_ledger(url), load_policy()
    case = process.submit(lg, load_bundle(path, load_policy()), actor="test", policy=policy).case
    outcome = process.award(lg, case.id, actor="test", policy=policy, **kw)
    name, data = process.case_document(lg, case.id, "notice", "docx", policy=policy, number=outcome.number)
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_bytes(data)
    return Awarded(outcome.number, outcome.result, (out / name,))


def test_award_records_numbers_and_writes_the_notice(ledger_url, tmp_path):
    out = tmp_path / "out"
    first = award(ledger_url, clause1_bundle(tmp_path, "a.json", "1000000"), out)
    assert first.number.startswith("郑商务〔") and first.number.endswith("〕1号")
    assert [p.name for p in first.files] == [f.name for f in out.iterdir()]
    second = award(ledger_url, SAMPLES / "clause06-eligible.yaml", out)
    assert second.number.endswith("〕2号")
    rows = open_ledger(ledger_url).awards()
    assert [(r.notice_number, r.clause, r.amount) for r in rows] == [
        (first.number, 1, Decimal("300000.00")),
        (second.number, 6, Decimal("250000.00")),
    ]


def test_same_bundle_is_refused_with_its_number(ledger_url, tmp_path):
    path = clause1_bundle(tmp_path, "a.json", "1000000")
    first = award(ledger_url, path, tmp_path / "out")
    with pytest.raises(AlreadyAwarded) as e:
        award(ledger_url, path, tmp_path / "out")
    assert e.value.number == first.number and first.number in e.value.zh
    assert len(open_ledger(ledger_url).awards()) == 1


def test_yearly_cap_holds_across_bundles(ledger_url, tmp_path):
    out = tmp_path / "out"
    award(ledger_url, clause1_bundle(tmp_path, "a.json", "1000000"), out)  # 300,000
    second = award(ledger_url, clause1_bundle(tmp_path, "b.json", "1000001"), out)  # 300,000.30 → 200,000
    assert second.result.decisions[0].amount == Decimal("200000.00")
    with pytest.raises(NotAwardable) as e:
        award(ledger_url, clause1_bundle(tmp_path, "c.json", "1000002"), out)
    assert "nothing to award" in e.value.en
    total = sum(r.amount for r in open_ledger(ledger_url).awards(clause=1, year=2026))
    assert total == Decimal("500000.00")


def test_one_time_award_and_clause_3_top_up_across_bundles(ledger_url, tmp_path):
    out = tmp_path / "out"
    facts = {"hq_level": "national", "settled_on": "2024-01-01", "cbec_import_export": "600000000"}
    first = write_bundle(tmp_path / "y1.json", make_bundle(3, facts, year=2025, n=60))
    award(ledger_url, first, out)
    bigger = write_bundle(tmp_path / "y2.json", make_bundle(3, {**facts, "cbec_import_export": "1500000000"}, n=60))
    r = award(ledger_url, bigger, out)
    assert r.result.decisions[0].amount == Decimal("2000000.00")  # 4,000,000 − 2,000,000 already paid
    pay = write_bundle(
        tmp_path / "p1.json",
        make_bundle(
            2, {"payment_license": True, "hq_level": "regional", "cbec_settlement": "20000000000"}, n=61, year=2025
        ),
    )
    award(ledger_url, pay, out)
    again = write_bundle(
        tmp_path / "p2.json",
        make_bundle(2, {"payment_license": True, "hq_level": "regional", "cbec_settlement": "30000000000"}, n=61),
    )
    with pytest.raises(NotAwardable):
        award(ledger_url, again, out)


def test_revocation_gives_the_cap_back_and_deletes_nothing(ledger_url, tmp_path):
    out = tmp_path / "out"
    first = award(ledger_url, clause1_bundle(tmp_path, "a.json", "2000000"), out)  # 500,000: cap used
    lg = open_ledger(ledger_url)
    lg.revoke(first.number, "重复申报，撤销")
    with pytest.raises(LedgerError):
        lg.revoke(first.number, "again")
    rows = lg.awards()
    assert len(rows) == 1 and rows[0].revoked and rows[0].revocation_reason == "重复申报，撤销"
    second = award(ledger_url, clause1_bundle(tmp_path, "b.json", "1000000"), out)
    assert second.result.decisions[0].amount == Decimal("300000.00")
    assert second.number.endswith("〕2号")  # numbers are never reused


@pytest.mark.slow
def test_check_with_the_ledger_names_the_entry_that_used_the_cap(ledger_url, tmp_path):
    out = tmp_path / "out"
    first = award(ledger_url, clause1_bundle(tmp_path, "a.json", "2000000"), out)
    r = run_cli("check", "--json", "--ledger", ledger_url, str(clause1_bundle(tmp_path, "b.json", "10")))
    import json

    d = json.loads(r.stdout)
    assert r.returncode == 1 and d["claims"][0]["reasons"][0]["code"] == "cap_used_up"
    assert first.number in d["claims"][0]["reasons"][0]["message"]


def test_declared_prior_awards_that_the_ledger_holds_count_once(ledger_url, tmp_path):
    out = tmp_path / "out"
    first = award(ledger_url, clause1_bundle(tmp_path, "a.json", "1000000"), out)  # 300,000
    declared = [{"clause": 1, "year": 2026, "amount": "300000.00", "notice_number": first.number}]
    r = award(ledger_url, clause1_bundle(tmp_path, "b.json", "500000", prior_awards=declared), out)
    assert r.result.decisions[0].amount == Decimal("150000.00")  # not capped at 500k − 600k


def _award_process(url: str, bundle: Path, out: Path, fault: str | None = None) -> subprocess.Popen:
    """`zzcbec award` in a process of its own; with `fault`, through the test runner that pauses there."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "zzcbec_docs"]
    if fault:
        env["ZZCBEC_FAULT"] = fault
        cmd = [sys.executable, str(ROOT / "tests" / "support" / "faulty_zzcbec.py")]
    return subprocess.Popen(
        [*cmd, "award", str(bundle), "--ledger", url, "--out", str(out), "--format", "docx"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def _paused(p: subprocess.Popen) -> bool:
    """Read the desk's output until it says it paused at its fault point (False if it ended first)."""
    for line in iter(p.stdout.readline, b""):
        if b"paused" in line:
            return True
    return False


@pytest.mark.slow
def test_two_desks_awarding_the_same_applicant_at_once_hold_the_cap(ledger_url, tmp_path):
    """Desk A pauses inside its transaction after recording; desk B starts meanwhile. Without the
    lock, B would read the history before A commits and both would pay 300,000."""
    open_ledger(ledger_url)  # schema created before the race
    for round_ in range(3):
        a = clause1_bundle(tmp_path, f"a{round_}.json", "1000000", n=70 + round_)
        b = clause1_bundle(tmp_path, f"b{round_}.json", "1000001", n=70 + round_)
        pa = _award_process(ledger_url, a, tmp_path / "out", fault="after_records:1.5")
        assert _paused(pa)
        pb = _award_process(ledger_url, b, tmp_path / "out")
        outs = [p.communicate(timeout=120) for p in (pa, pb)]
        assert pa.returncode == 0 and pb.returncode == 0, outs
        rows = open_ledger(ledger_url).awards(uscc=load_bundle(a, load_policy()).applicant.uscc)
        assert sorted(r.amount for r in rows) == [Decimal("200000.00"), Decimal("300000.00")]
    numbers = sorted(int(r.notice_number.split("〕")[1][:-1]) for r in open_ledger(ledger_url).awards())
    assert numbers == list(range(1, 7))  # gapless


@pytest.mark.slow
def test_many_concurrent_desks_never_exceed_the_cap(ledger_url, tmp_path):
    open_ledger(ledger_url)
    bundles = [clause1_bundle(tmp_path, f"c{i}.json", str(400000 + i), n=90) for i in range(5)]  # 120,000 each
    procs = [_award_process(ledger_url, b, tmp_path / "out") for b in bundles]
    for p in procs:
        p.communicate(timeout=180)
    rows = open_ledger(ledger_url).awards(uscc=load_bundle(bundles[0], load_policy()).applicant.uscc)
    assert sum(r.amount for r in rows) <= Decimal("500000.00")
    assert sum(r.amount for r in rows) == Decimal("500000.00")  # 4 × 120,000 + 20,000
    assert sorted(p.returncode for p in procs) == [0, 0, 0, 0, 0]


@pytest.mark.slow
@pytest.mark.parametrize("point", ["after_records", "before_commit"])
def test_killing_award_before_commit_leaves_no_award_and_no_used_number(ledger_url, tmp_path, point):
    open_ledger(ledger_url)
    bundle = clause1_bundle(tmp_path, "a.json", "1000000")
    p = _award_process(ledger_url, bundle, tmp_path / "out", fault=point)
    assert _paused(p)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    assert open_ledger(ledger_url).awards() == []
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    again = award(ledger_url, bundle, tmp_path / "out")
    assert again.number.endswith("〕1号")  # the killed run used no number


@pytest.mark.slow
def test_killed_after_commit_the_notice_is_written_again(ledger_url, tmp_path):
    open_ledger(ledger_url)
    bundle = clause1_bundle(tmp_path, "a.json", "1000000")
    p = _award_process(ledger_url, bundle, tmp_path / "out", fault="after_commit")
    assert _paused(p)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    (row,) = open_ledger(ledger_url).awards()
    r = run_cli("award", str(bundle), "--ledger", ledger_url, "--out", str(tmp_path / "out"), "--format", "docx")
    assert r.returncode == 1 and row.notice_number in r.stderr.decode() and "written again" in r.stderr.decode()
    (written,) = (tmp_path / "out").iterdir()
    # named by its number, 郑商务〔2026〕1号: the applicant's USCC, the year, the notice's year and number
    assert row.notice_number.endswith("〔2026〕1号")
    assert written.name == f"{uscc(50)}-2026-notice-2026-001.docx"
    import io
    import zipfile

    doc = zipfile.ZipFile(io.BytesIO(written.read_bytes())).read("word/document.xml").decode()
    assert row.notice_number in doc and "300,000.00" in doc


@pytest.mark.slow
def test_export_adds_up(ledger_url, tmp_path):
    out = tmp_path / "out"
    for s in (
        "multi-clause-eligible.yaml",
        "clause06-eligible.yaml",
        "clause07-eligible.yaml",
        "shangjie-unsettled.yaml",
        "clause11-eligible.yaml",
    ):
        award(ledger_url, SAMPLES / s, out)
    lg = open_ledger(ledger_url)
    lg.revoke(lg.awards(clause=6)[0].notice_number, "测试撤销")
    r = run_cli(
        "ledger",
        "export",
        "--ledger",
        ledger_url,
        "--year",
        "2026",
        "--format",
        "csv",
        "--out",
        str(tmp_path / "awards.csv"),
    )
    assert r.returncode == 0, r.stderr.decode()
    with open(tmp_path / "awards.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    live = [x for x in rows if x["状态 status"].startswith("awarded")]
    amount = sum(Decimal(x["金额 amount"]) for x in live)
    for name in ("awards-by-district.csv", "awards-by-clause.csv"):
        with open(tmp_path / name, encoding="utf-8-sig") as fh:
            t = list(csv.DictReader(fh))
        *parts, total = t
        for col in ("金额 amount", "市级 city", "区县级 local", "待定分担 unsettled"):
            assert sum(Decimal(x[col]) for x in parts) == Decimal(total[col])
        assert Decimal(total["金额 amount"]) == amount
        assert (
            Decimal(total["市级 city"]) + Decimal(total["区县级 local"]) + Decimal(total["待定分担 unsettled"])
            == amount
        )
    assert {"91410100MA4600016N", "91410100MA4600017R"} <= {x["统一社会信用代码 USCC"] for x in rows}
    r = run_cli(
        "ledger",
        "export",
        "--ledger",
        ledger_url,
        "--year",
        "2026",
        "--format",
        "xlsx",
        "--out",
        str(tmp_path / "awards.xlsx"),
    )
    assert r.returncode == 0
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "awards.xlsx")
    assert wb.sheetnames == ["奖励明细 awards", "分区县合计 by district", "分条款合计 by clause"]
    ws = wb["分条款合计 by clause"]
    last = [c.value for c in list(ws.iter_rows())[-1]]
    assert last[0] == "合计 total" and Decimal(str(last[2])) == amount
    assert wb["奖励明细 awards"].freeze_panes == "A2"


@pytest.mark.slow
def test_list_filters(ledger_url, tmp_path):
    out = tmp_path / "out"
    for s in ("clause06-eligible.yaml", "clause10-eligible.yaml", "clause01-eligible.yaml"):
        award(ledger_url, SAMPLES / s, out)
    r = run_cli("ledger", "list", "--ledger", ledger_url, "--district", "金水区", "--json")
    import json

    rows = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert [x["clause"] for x in rows] == [1]
    r = run_cli("ledger", "list", "--ledger", ledger_url, "--clause", "10")
    assert "巩义示例电子商务有限公司" in r.stdout.decode() and "1 笔" in r.stdout.decode()


@pytest.mark.slow
def test_an_old_ledger_is_upgraded_with_its_data(tmp_path):
    from sqlalchemy import create_engine, insert, inspect, text

    from zzcbec_docs.ledger import schema as s

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        s.schema_version.create(conn)
        s._v1(conn)
        conn.execute(insert(s.schema_version).values(version=1, applied_at="2026-01-01T00:00:00+00:00"))
        conn.execute(
            text(
                "INSERT INTO zzcbec_notices (number, issuer, issuer_code, notice_year, seq, uscc, applicant_name, "
                "district, year, bundle_sha256, policy_id, issued_on, created_at) VALUES ('郑商务〔2026〕1号', "
                "'郑州市商务局', '郑商务', 2026, 1, '91410100MA46000016', '旧企业', '金水区', 2026, :sha, 'p', "
                "'2026-01-02', '2026-01-02')"
            ),
            {"sha": "0" * 64},
        )
        conn.execute(
            text(
                "INSERT INTO zzcbec_awards (notice_id, uscc, clause, year, amount_cents, city_cents, "
                "local_cents) VALUES (1, '91410100MA46000016', 1, 2026, 50000000, 25000000, 25000000)"
            )
        )
        conn.execute(text("INSERT INTO zzcbec_notice_counters VALUES ('郑商务', 2026, 1)"))
    assert "tool_version" not in {c["name"] for c in inspect(engine).get_columns("zzcbec_notices")}
    with pytest.raises(LedgerError):
        open_ledger(str(tmp_path / "old.db"), upgrade=False)  # check refuses an old schema
    r = run_cli("ledger", "init", "--ledger", str(tmp_path / "old.db"))
    assert r.returncode == 0 and f"version {s.LATEST}" in r.stdout.decode() and "was 1" in r.stdout.decode()
    lg = open_ledger(str(tmp_path / "old.db"))
    assert lg.version() == s.LATEST
    assert "tool_version" in {c["name"] for c in inspect(lg.engine).get_columns("zzcbec_notices")}
    (row,) = lg.awards()
    assert row.amount == Decimal("500000.00") and row.notice_number == "郑商务〔2026〕1号"
    again = award(str(tmp_path / "old.db"), SAMPLES / "clause06-eligible.yaml", tmp_path / "out", date=None)
    assert again.number == f"郑商务〔{again.number[4:8]}〕{2 if again.number[4:8] == '2026' else 1}号"


@pytest.mark.slow
def test_bad_ledger_urls_are_clear(tmp_path):
    for url, code in (("mysql://x@y/z", 2), (str(tmp_path / "no" / "such" / "l.db"), 2)):
        r = run_cli("ledger", "list", "--ledger", url)
        assert r.returncode == code, (url, r.stderr)
        assert b"Traceback" not in r.stderr
    r = run_cli("ledger", "list", "--ledger", "postgresql://nobody@127.0.0.1:1/x")
    err = r.stderr.decode()
    assert r.returncode == 2 and "Traceback" not in err and "cannot open the ledger" in err
    assert "sqlalche.me" not in err and len(err.strip().splitlines()) == 1
    r = run_cli("award", str(SAMPLES / "clause01-eligible.yaml"), "--out", str(tmp_path))
    assert r.returncode == 2


@pytest.mark.slow
def test_reading_a_missing_ledger_creates_nothing(tmp_path):
    missing = tmp_path / "none.db"
    for args in (
        ["check", str(SAMPLES / "clause01-eligible.yaml"), "--ledger", str(missing)],
        ["ledger", "list", "--ledger", str(missing)],
    ):
        r = run_cli(*args)
        assert r.returncode == 2 and "ledger init" in r.stderr.decode()
    assert not missing.exists()
    assert run_cli("ledger", "init", "--ledger", str(missing)).returncode == 0 and missing.exists()


def test_the_ledger_writes_a_revocation_and_the_process_its_event(ledger_url, tmp_path):
    """The storage appends the revocation row only; the case's `revoked` event is the process's, in the
    same transaction (issue 22 point 4: no ledger.store → ledger.cases cycle)."""
    from sqlalchemy import select

    from zzcbec_docs.ledger import schema as s

    lg, policy = open_ledger(ledger_url), load_policy()
    numbers = []
    for name, promotion, n in (("a.json", "1000000", 61), ("b.json", "1000000", 62)):
        case = process.submit(
            lg, load_bundle(clause1_bundle(tmp_path, name, promotion, n=n), policy), actor="t", policy=policy
        ).case
        numbers.append((case.id, process.award(lg, case.id, actor="t", policy=policy).number))

    def revoked_events(case_id: str) -> list:
        with lg.engine.connect() as conn:
            e = s.events
            return conn.execute(select(e.c.actor).where(e.c.case_id == case_id, e.c.kind == "revoked")).all()

    (first_case, first), (second_case, second) = numbers
    lg.revoke(first, "台账直接撤销")
    assert revoked_events(first_case) == [] and lg.awards(clause=1)[0].revoked
    process.revoke(lg, second, reason="经办撤销", actor="bureau-1")
    assert [r.actor for r in revoked_events(second_case)] == ["bureau-1"]
    with pytest.raises(LedgerError):
        process.revoke(lg, second, reason="again", actor="bureau-1")
    assert len(revoked_events(second_case)) == 1  # the refused second revocation wrote nothing


def test_the_desk_tables_are_versioned_by_the_ledgers_scheme(tmp_path):
    """One migration scheme: the desk's tables have their numbered steps and version table like the
    ledger's; a desk made before they were versioned (no version table, older columns) is taken in."""
    from sqlalchemy import inspect, text

    from zzcbec_docs.desk import store
    from zzcbec_docs.ledger import schema as s

    lg = open_ledger(str(tmp_path / "l.db"))
    assert lg.version() == s.LEDGER.latest == s.LATEST and lg.version(scheme=store.DESK) == 0
    store.ensure_tables(lg)
    assert lg.version(scheme=store.DESK) == store.DESK.latest >= 3
    assert lg.migrate(store.DESK) == [] and lg.upgrade() == []
    with lg.engine.begin() as conn:  # as a desk of an earlier version left it
        conn.execute(text("DROP TABLE zzdesk_schema_version"))
        conn.execute(text("DROP INDEX ix_zzdesk_login_failures_address_at"))
        conn.execute(text("ALTER TABLE zzdesk_login_failures DROP COLUMN address"))
        conn.execute(text("INSERT INTO zzdesk_settings VALUES ('kept', 'yes')"))
    assert lg.version(scheme=store.DESK) == 0
    assert lg.migrate(store.DESK) == list(store.DESK.numbers)
    found = inspect(lg.engine)
    assert "address" in {c["name"] for c in found.get_columns("zzdesk_login_failures")}
    with lg.engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM zzdesk_settings WHERE key = 'kept'")).scalar() == "yes"
        versions = conn.execute(text("SELECT version FROM zzdesk_schema_version ORDER BY version")).scalars().all()
    assert versions == list(store.DESK.numbers)
