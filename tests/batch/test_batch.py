"""`zzcbec batch`: a folder at once, bad files isolated, resumable, summarised."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import ROOT, SAMPLES, make_bundle, run_cli, write_bundle

# renders documents or starts processes: left out by `make test-fast`
pytestmark = pytest.mark.slow


def _inputs(tmp_path: Path, names: list[str]) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for n in names:
        shutil.copy(SAMPLES / n, folder / Path(n).name)
    return folder


def _summary(out: Path) -> list[dict]:
    with open(out / "summary.csv", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_batch_checks_renders_and_summarises(tmp_path):
    folder = _inputs(
        tmp_path,
        [
            "clause01-eligible.yaml",
            "multi-clause-eligible.yaml",
            "clause04-referred.yaml",
            "ineligible-clause06-below.yaml",
            "invalid/wrong-uscc-check.yaml",
        ],
    )
    (folder / "broken.yaml").write_bytes(b"\xff\xfe not yaml")
    out = tmp_path / "out"
    r = run_cli("batch", str(folder), "--out", str(out), "--jobs", "2")
    assert r.returncode == 1, r.stderr.decode()  # one invalid, one ineligible
    made = sorted(p.name for p in out.iterdir() if p.suffix in (".pdf", ".docx"))
    assert len(made) == 12  # two eligible bundles × 3 kinds × 2 formats
    for p in out.glob("*.pdf"):
        assert len(PdfReader(p).pages) >= 1
    rows = _summary(out)
    by_source = {}
    for row in rows:
        by_source.setdefault(Path(row["来源 source"]).name, []).append(row)
    assert [x["状态 status"] for x in by_source["multi-clause-eligible.yaml"]] == ["eligible"] * 3
    assert by_source["multi-clause-eligible.yaml"][0]["金额 amount"] == "500000.00"
    assert by_source["wrong-uscc-check.yaml"][0]["状态 status"] == "invalid"
    assert "/applicant/uscc" in by_source["wrong-uscc-check.yaml"][0]["原因 reasons"]
    assert by_source["broken.yaml"][0]["状态 status"] == "invalid"
    assert by_source["ineligible-clause06-below.yaml"][0]["状态 status"] == "ineligible"
    assert by_source["clause04-referred.yaml"][0]["状态 status"] == "referred"
    assert "-notice-specimen.pdf" in by_source["clause01-eligible.yaml"][0]["文书 documents"]
    report = r.stdout.decode()
    assert "bundles: 6" in report and "invalid 2" in report and "wrong-uscc-check.yaml" in report
    # progress without a terminal: one plain line per bundle
    assert sum(1 for line in r.stderr.decode().splitlines() if line.startswith("[")) == 6


def test_summary_xlsx_is_formatted_and_adds_up(tmp_path):
    folder = _inputs(
        tmp_path,
        ["clause01-eligible.yaml", "clause06-eligible.yaml", "clause07-eligible.yaml", "shangjie-unsettled.yaml"],
    )
    out = tmp_path / "out"
    r = run_cli("batch", str(folder), "--out", str(out), "--docs", "notice", "--format", "pdf")
    assert r.returncode == 0, r.stderr.decode()
    from decimal import Decimal

    from openpyxl import load_workbook

    wb = load_workbook(out / "summary.xlsx")
    claims, totals = wb["申报事项 claims"], wb["合计 totals"]
    assert claims.freeze_panes == "A2" and claims.column_dimensions["B"].width >= 20
    assert claims["H2"].number_format == "#,##0.00"
    amounts = [Decimal(str(c.value)) for (c,) in claims.iter_rows(min_row=2, min_col=8, max_col=8)]
    grand = next(row for row in totals.iter_rows(values_only=True) if row[0] == "合计 total")
    assert Decimal(str(grand[2])) == sum(amounts) == Decimal("3520000.00")
    assert Decimal(str(grand[3])) + Decimal(str(grand[4])) + Decimal(str(grand[5])) == sum(amounts)


def test_a_crashing_renderer_is_isolated(tmp_path):
    folder = _inputs(
        tmp_path,
        ["clause01-eligible.yaml", "clause06-eligible.yaml", "clause10-eligible.yaml", "clause12-eligible.yaml"],
    )
    out = tmp_path / "out"
    r = run_cli(
        "batch",
        str(folder),
        "--out",
        str(out),
        "--jobs",
        "2",
        "--docs",
        "notice",
        "--format",
        "docx",
        extra_env={"ZZCBEC_FAULT": "crash:clause06-eligible.yaml"},
    )
    assert r.returncode == 1
    rows = {Path(x["来源 source"]).name: x for x in _summary(out)}
    assert "crashed" in rows["clause06-eligible.yaml"]["错误 errors"]
    for name in ("clause01-eligible.yaml", "clause10-eligible.yaml", "clause12-eligible.yaml"):
        assert rows[name]["文书 documents"].endswith("-notice-specimen.docx"), name
    assert len(list(out.glob("*.docx"))) == 3


def test_same_applicant_and_year_twice_is_reported_not_overwritten(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_bundle(folder / "a.json", make_bundle(1, {"import_export": "12000000", "promotion_costs": "1"}, n=5))
    write_bundle(folder / "b.json", make_bundle(1, {"import_export": "12000000", "promotion_costs": "2"}, n=5))
    r = run_cli("batch", str(folder), "--out", str(tmp_path / "out"), "--docs", "notice", "--format", "docx")
    assert r.returncode == 1 and "same applicant and year" in r.stdout.decode()


def test_an_interrupted_batch_resumes_and_leaves_no_partial_file(tmp_path):
    folder = _inputs(tmp_path, [p.name for p in sorted(SAMPLES.glob("clause*-eligible.yaml"))])
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "zzcbec_docs", "batch", str(folder), "--out", str(out), "--jobs", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    deadline = time.time() + 120
    manifests = out / ".zzcbec-batch"
    while time.time() < deadline and len(list(manifests.glob("*.json"))) < 3:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole run, workers included, mid-flight
    proc.wait()
    first = {p.name for p in out.glob("*.pdf")} | {p.name for p in out.glob("*.docx")}
    assert 0 < len(first) < 66
    for p in out.iterdir():  # whatever carries a document's name is a whole document
        if p.suffix == ".pdf" and not p.name.startswith("."):
            assert len(PdfReader(p).pages) >= 1
        if p.suffix == ".docx" and not p.name.startswith("."):
            zipfile.ZipFile(p).testzip()
    r = run_cli("batch", str(folder), "--out", str(out), "--jobs", "2")
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert "unchanged, reused" in r.stderr.decode()
    assert len(list(out.glob("*.pdf"))) == len(list(out.glob("*.docx"))) == 33
    assert not list(out.glob(".*.part"))


def test_a_changed_bundle_is_rendered_again(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    path = write_bundle(folder / "a.json", make_bundle(1, {"import_export": "12000000", "promotion_costs": "100"}, n=8))
    out = tmp_path / "out"
    assert run_cli("batch", str(folder), "--out", str(out), "--docs", "notice", "--format", "docx").returncode == 0
    r = run_cli("batch", str(folder), "--out", str(out), "--docs", "notice", "--format", "docx")
    assert "unchanged, reused" in r.stderr.decode()
    write_bundle(path, make_bundle(1, {"import_export": "12000000", "promotion_costs": "200"}, n=8))
    r = run_cli("batch", str(folder), "--out", str(out), "--docs", "notice", "--format", "docx")
    assert "1 documents" in r.stderr.decode()
    doc = zipfile.ZipFile(next(out.glob("*.docx"))).read("word/document.xml").decode()
    assert "60.00" in doc and "¥" not in doc  # 单位：元 tables


def test_on_a_terminal_the_progress_is_a_bar_with_time_left(tmp_path):
    import pty

    folder = _inputs(tmp_path, ["clause01-eligible.yaml", "clause10-eligible.yaml"])
    master, slave = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "zzcbec_docs",
            "batch",
            str(folder),
            "--out",
            str(tmp_path / "out"),
            "--docs",
            "notice",
            "--format",
            "docx",
        ],
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
        timeout=120,
    )
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    text = seen.decode("utf-8", "replace")
    assert p.returncode == 0
    assert "█" in text and "2/2" in text and "left" in text and "\r" in text
