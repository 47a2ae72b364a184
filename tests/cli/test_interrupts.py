"""Killing `render` at its writes' fault points and `award` at each of its own (tests/support/faulty_zzcbec.py),
many times: never a partial document, never an inconsistent ledger, and the next run completes. Ctrl-C in the
middle of `match TABLE`: no matches and no bundles of the run that did not finish."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import ROOT, SAMPLES, make_bundle, run_cli, uscc, write_bundle

# renders documents or starts processes: left out by `make test-fast`
pytestmark = pytest.mark.slow

ENV = dict(os.environ, PYTHONPATH=str(ROOT))


def _kill_at(args: list[str], point: str) -> None:
    """Run the command through the test runner that pauses at the fault `point` (the award's, or the Nth
    document's write: tests/support/faulty_zzcbec.py); kill it, workers and all, there."""
    p = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "support" / "faulty_zzcbec.py"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=dict(ENV, ZZCBEC_FAULT=point),
        start_new_session=True,
    )
    assert p.stdout is not None
    paused = any(b"paused" in line for line in iter(p.stdout.readline, b""))
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait()
    assert paused, f"the command ended before its fault point {point}"


def _documents_are_whole(folder: Path) -> int:
    n = 0
    for p in folder.iterdir() if folder.exists() else []:
        if p.name.startswith("."):
            continue
        if p.suffix == ".pdf":
            assert len(PdfReader(p).pages) >= 1, p
            n += 1
        elif p.suffix == ".docx":
            assert zipfile.ZipFile(p).testzip() is None, p
            n += 1
    return n


def test_render_killed_anywhere_leaves_only_whole_documents(tmp_path):
    """Killed while a document's bytes are on disk without a name, or right after a document got its name,
    at the first, after the third and at the last of the six documents, alone or with its workers."""
    out = tmp_path / "out"
    sample = str(SAMPLES / "multi-clause-eligible.yaml")
    for point, jobs in (
        ("fsync@1", "1"),
        ("written@3", "1"),
        ("fsync@6", "1"),
        ("fsync@1", "2"),  # in a worker: the whole group is killed
    ):
        _kill_at(["render", sample, "--out", str(out), "--jobs", jobs], point)
        _documents_are_whole(out)
    r = run_cli("render", sample, "--out", str(out))
    assert r.returncode == 0, r.stderr.decode()
    assert _documents_are_whole(out) == 6
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]  # a killed run's hidden part: removed


def test_award_killed_at_each_fault_point_keeps_the_ledger_consistent(tmp_path):
    import sqlite3

    ledger = tmp_path / "ledger.db"
    assert run_cli("ledger", "init", "--ledger", str(ledger)).returncode == 0
    bundles = [
        write_bundle(
            tmp_path / f"b{i}.json",
            make_bundle(
                6,
                {"uses_zz_logistics": True, "import_export": "30000000", "intl_logistics_costs": str(2_000_000 + i)},
                n=200 + i,
            ),
        )
        for i in range(6)
    ]
    out = tmp_path / "out"
    points = ("after_records", "before_commit", "after_commit")  # the award's fault hooks, each twice
    for i, b in enumerate(bundles):
        _kill_at(["award", str(b), "--ledger", str(ledger), "--out", str(out)], points[i % len(points)])
        db = sqlite3.connect(ledger)
        seqs = sorted(s for (s,) in db.execute("SELECT seq FROM zzcbec_notices"))
        assert seqs == list(range(1, len(seqs) + 1))  # gapless
        last = db.execute("SELECT coalesce(max(last_seq), 0) FROM zzcbec_notice_counters").fetchone()[0]
        assert last == len(seqs)  # no number used by a killed run
        orphans = db.execute(
            "SELECT count(*) FROM zzcbec_notices n WHERE NOT EXISTS "
            "(SELECT 1 FROM zzcbec_awards a WHERE a.notice_id = n.id)"
        ).fetchone()[0]
        assert orphans == 0
        db.close()
        _documents_are_whole(out)
    for b in bundles:  # the next run completes: new awards, or the recorded number with its notice
        r = run_cli("award", str(b), "--ledger", str(ledger), "--out", str(out))
        assert r.returncode in (0, 1) and b"Traceback" not in r.stderr
        assert r.returncode == 0 or "already awarded" in r.stderr.decode()
    assert _documents_are_whole(out) == 12  # every bundle has its notice in both formats


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_ctrl_c_in_the_middle_of_a_table_leaves_no_bundles_and_says_so(tmp_path, engine):
    """6,000 enterprises, Ctrl-C as soon as the first progress line shows (the row engine: after its first
    chunk, its bundles being written; DuckDB: the matches decided, the bundles being made): exit 130 and
    已中止 / aborted — not an internal error — and no folder left: no matches file, no bundles of the run."""
    lines = ["uscc,name,district,year,import_export,promotion_costs"]
    lines += [f"{uscc(10_000 + i)},郑州第{i}号企业有限公司,金水区,2026,{12_000_000 + i},800000" for i in range(6000)]
    table = tmp_path / "t.csv"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    p = subprocess.Popen(
        [sys.executable, "-m", "zzcbec_docs", "match", str(table), "--out", str(out), "--engine", engine],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=ENV,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as from a terminal
    )
    assert p.stderr is not None
    for line in iter(p.stderr.readline, b""):
        if b"rows]" in line:
            break
    p.send_signal(signal.SIGINT)
    err = p.stderr.read().decode()
    assert p.wait() == 130, err
    assert "已中止 / aborted" in err and "内部错误" not in err
    assert not out.exists()
