"""`zzcbec render` and `zzcbec demo` run as users run them."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT, SAMPLES, run_cli

# renders documents or starts processes: left out by `make test-fast`
pytestmark = pytest.mark.slow


def test_render_selected_kinds_and_formats_with_progress_lines(tmp_path):
    r = run_cli(
        "render",
        str(SAMPLES / "clause06-eligible.yaml"),
        "--doc",
        "notice",
        "--format",
        "pdf",
        "--out",
        str(tmp_path),
        "--date",
        "2026-03-05",
    )
    assert r.returncode == 0, r.stderr.decode()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["91410100MA4600007Q-2026-notice-specimen.pdf"]
    assert "✓" in r.stdout.decode() and "ms)" in r.stdout.decode()


def test_a_bad_bundle_among_many_is_reported_and_skipped(tmp_path):
    r = run_cli(
        "render",
        str(SAMPLES / "invalid" / "wrong-uscc-check.yaml"),
        str(SAMPLES / "clause10-eligible.yaml"),
        "--doc",
        "notice",
        "--format",
        "docx",
        "--out",
        str(tmp_path),
    )
    assert r.returncode == 1
    assert "wrong-uscc-check.yaml" in r.stderr.decode() and "/applicant/uscc" in r.stderr.decode()
    assert [p.name for p in tmp_path.iterdir()] == ["91410100MA46000117-2026-notice-specimen.docx"]


def test_ineligible_bundle_has_no_notice_but_its_opinion_is_made(tmp_path):
    r = run_cli(
        "render",
        str(SAMPLES / "ineligible-clause06-below.yaml"),
        "--doc",
        "opinion,notice",
        "--format",
        "docx",
        "--out",
        str(tmp_path),
    )
    assert r.returncode == 1 and "no claim is eligible" in r.stderr.decode()
    assert [p.name for p in tmp_path.iterdir()] == ["91410100MA4600018W-2026-opinion.docx"]


def test_render_with_a_review_record(tmp_path):
    from hashlib import sha256

    src = SAMPLES / "clause01-eligible.yaml"
    review = tmp_path / "review.yaml"
    review.write_text(
        f"bundle: {{file: {src}, sha256: {sha256(src.read_bytes()).hexdigest()}}}\n"
        "reviewer: 李审核\nreviewed_on: 2026-04-01\nconclusion: approve\nremarks: 材料齐全。\n"
        'verified:\n  - clause: 1\n    facts: {promotion_costs: "700000"}\n',
        encoding="utf-8",
    )
    r = run_cli(
        "render",
        str(src),
        "--review",
        str(review),
        "--doc",
        "opinion,notice",
        "--format",
        "docx",
        "--out",
        str(tmp_path),
    )
    assert r.returncode == 0, r.stderr.decode()
    with zipfile.ZipFile(next(tmp_path.glob("*-notice-specimen.docx"))) as z:
        assert "210,000.00" in z.read("word/document.xml").decode()  # 30% of the verified 700,000


def test_bad_review_record_is_a_clear_error(tmp_path):
    review = tmp_path / "review.yaml"
    review.write_text(
        "bundle: {sha256: abc}\nreviewer: 李\nreviewed_on: 2026-04-01\nconclusion: maybe\n", encoding="utf-8"
    )
    r = run_cli("render", str(SAMPLES / "clause01-eligible.yaml"), "--review", str(review), "--out", str(tmp_path))
    assert r.returncode == 1 and b"Traceback" not in r.stderr
    assert "review.yaml" in r.stderr.decode()


def test_usage_errors(tmp_path):
    for args in (["--doc", "memo"], ["--format", "odt"], ["--number", "郑商务[2026]第015号"], ["--date", "2026-13-01"]):
        r = run_cli("render", str(SAMPLES / "clause01-eligible.yaml"), "--out", str(tmp_path), *args)
        assert r.returncode == 2, args
        assert b"Traceback" not in r.stderr
    assert not list(tmp_path.iterdir())


def test_demo_renders_every_eligible_sample(tmp_path):
    r = run_cli("demo", "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    out = tmp_path / "out"
    eligible = []
    for line in run_cli("check", "--json", str(SAMPLES)).stdout.decode().splitlines():
        d = json.loads(line)
        if d["valid"] and any(c["status"] == "eligible" for c in d["claims"]) and "/invalid/" not in d["source"]:
            eligible.append(d["applicant"]["uscc"] + "-" + str(d["year"]))
    expected = {
        f"{e}-{k}.{f}" for e in eligible for k in ("application", "opinion", "notice-specimen") for f in ("docx", "pdf")
    }
    assert {p.name for p in out.iterdir()} == expected
    assert "done" in r.stdout.decode()


def test_wheel_carries_its_data_and_works_from_another_folder(tmp_path):
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheel_dir), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheel_dir.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for needed in (
        "zzcbec_docs/schemas/bundle.schema.json",
        "zzcbec_docs/templates/notice.html.j2",
        "zzcbec_docs/templates/documents.css",
        "zzcbec_docs/policy/data/zz-cbec-measures-draft.yaml",
        "zzcbec_docs/samples/clause01-eligible.yaml",
    ):
        assert needed in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import zzcbec_docs; "
        "assert zzcbec_docs.__file__.startswith(sys.argv[1]), zzcbec_docs.__file__; "
        "from zzcbec_docs.cli.main import main; "
        "sys.exit(main(['check', '--json', sys.argv[2]]))"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, str(site), str(SAMPLES / "clause01-eligible.yaml")],
        cwd=elsewhere,
        capture_output=True,
    )
    assert r.returncode == 0, r.stderr.decode()
    assert json.loads(r.stdout)["total"] == "240000.00"
