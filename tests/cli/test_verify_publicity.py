"""`zzcbec verify` and `zzcbec publicity`, run as a bureau runs them, against a real ledger.

The awards are made once (in process) into a SQLite ledger; a test that revokes works on a copy.
One test runs the same path against PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from zzcbec_docs import process
from zzcbec_docs.bundle import load_bundle
from zzcbec_docs.documents.verify import verify_file
from zzcbec_docs.ledger import open_ledger
from zzcbec_docs.policy import load_policy

from conftest import SAMPLES, run_cli
from docs_helpers import docx_blocks, pdf_text

# renders documents or starts processes: left out by `make test-fast`
pytestmark = pytest.mark.slow

SAMPLES_AWARDED = ("clause01-eligible.yaml", "multi-clause-eligible.yaml", "shangjie-unsettled.yaml")


def flat(text: str) -> str:
    return "".join(text.split())


def _award_all(url: str, out: Path, samples=SAMPLES_AWARDED, formats=("docx", "pdf")) -> None:  # type: ignore[no-untyped-def]
    """Submit and award each sample through the process layer; write its notices as `award` does."""
    ledger, policy = open_ledger(url), load_policy()
    out.mkdir(parents=True, exist_ok=True)
    for sample in samples:
        case = process.submit(ledger, load_bundle(SAMPLES / sample, load_policy()), actor="test", policy=policy).case
        done = process.award(ledger, case.id, actor="test", policy=policy, date=dt.date(2026, 3, 5))
        for fmt in formats:
            name, data = process.case_document(ledger, case.id, "notice", fmt, policy=policy, number=done.number)
            (out / name).write_bytes(data)


@pytest.fixture(scope="module")
def ledger_once(tmp_path_factory):
    """Three notices in one SQLite ledger: one clause, three clauses, and 上街区 (split left open)."""
    tmp = tmp_path_factory.mktemp("awarded")
    _award_all(str(tmp / "ledger.db"), tmp / "notices")
    return tmp / "ledger.db", tmp / "notices"


@pytest.fixture
def awarded(ledger_once, tmp_path):
    """A copy of the awarded ledger this test may change (revoke)."""
    db, out = ledger_once
    for part in db.parent.glob(db.name + "*"):  # the database and its WAL
        shutil.copy(part, tmp_path / part.name)
    return str(tmp_path / db.name), out


def test_verify_accepts_the_ledgers_own_notices_in_both_formats(awarded):
    ledger, out = awarded
    files = sorted(out.iterdir())
    assert len(files) == 6
    r = run_cli("verify", *map(str, files), "--ledger", ledger)
    text = r.stdout.decode()
    assert r.returncode == 0, text + r.stderr.decode()
    assert text.count("✓") == 6 and "郑商务〔2026〕2号" in text and "核验码" in text


def test_verify_refuses_a_revoked_notice(awarded):
    ledger, out = awarded
    pdf = next(out.glob("91410100MA46000016-*.pdf"))
    number = re.search(r"文号：(\S+?号)", flat(pdf_text(pdf))).group(1)
    assert run_cli("ledger", "revoke", number, "--reason", "材料不实", "--ledger", ledger).returncode == 0
    r = run_cli("verify", str(pdf), "--ledger", ledger)
    assert r.returncode == 1 and "已撤销（材料不实）" in r.stdout.decode() and "revoked" in r.stdout.decode()


def test_verify_refuses_changed_amounts_and_a_forged_code(awarded, tmp_path):
    ledger, out = awarded
    src = next(out.glob("91410100MA4600016N-*.docx"))
    forged = tmp_path / "forged.docx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(forged, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"500,000.00", b"900,000.00")
            zout.writestr(item, data)
    v = verify_file(forged, open_ledger(ledger, upgrade=False))
    assert not v.ok and any("金额与台账不符" in zh for zh, _ in v.problems)
    wrong_code = tmp_path / "code.docx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(wrong_code, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                data = re.sub(
                    rb"\xe6\xa0\xb8\xe9\xaa\x8c\xe7\xa0\x81\xef\xbc\x9a[A-Z2-9]{4}-[A-Z2-9]{4}",
                    "核验码：AAAA-AAAA".encode(),
                    data,
                )
            zout.writestr(item, data)
    v = verify_file(wrong_code, open_ledger(ledger, upgrade=False))
    assert not v.ok and any("核验码 AAAA-AAAA" in zh for zh, _ in v.problems)


def test_verify_refuses_a_notice_the_ledger_does_not_hold(awarded, tmp_path):
    ledger, _ = awarded
    from zzcbec_docs.documents import NoticeOptions, render_bundle

    (pdf,) = render_bundle(
        load_bundle(SAMPLES / "clause10-eligible.yaml", load_policy()),
        load_policy(),
        kinds=["notice"],
        formats=["pdf"],
        out_dir=tmp_path,
        notice=NoticeOptions(number="郑商务〔2026〕99号"),
    )
    v = verify_file(pdf.path, open_ledger(ledger, upgrade=False))
    assert not v.ok and v.problems[0][0] == "台账中没有文号 郑商务〔2026〕99号"
    bad = tmp_path / "notes.txt"
    bad.write_text("not a notice", encoding="utf-8")
    r = run_cli("verify", str(bad), "--ledger", ledger)
    assert r.returncode == 2 and "PDF" in r.stderr.decode() and "Traceback" not in r.stderr.decode()


def _docx_with(source: Path, target: Path, document: bytes) -> Path:
    """`source` with its word/document.xml replaced by `document`."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = document if info.filename == "word/document.xml" else src.read(info)
            out.writestr(info.filename, data)
    return target


def test_verify_refuses_a_docx_bomb_or_a_docx_it_cannot_read_without_an_internal_error(awarded, tmp_path):
    """一个 400 KB 的 DOCX 解压后是 380 MB 的正文（解压炸弹）、正文不是 UTF-8、正文被加密：
    逐一说明读不了，不占满内存，不是内部错误；其余文件照常核验，退出码 2。"""
    ledger, out = awarded
    docx = next(f for f in sorted(out.iterdir()) if f.suffix == ".docx")
    with zipfile.ZipFile(docx) as z:
        xml = z.read("word/document.xml")
    bomb = _docx_with(docx, tmp_path / "bomb.docx", xml + b"<!--" + b" " * 400_000_000 + b"-->")
    assert bomb.stat().st_size < 1_000_000
    utf16 = _docx_with(docx, tmp_path / "utf16.docx", xml.decode("utf-8").encode("utf-16"))
    sealed = tmp_path / "sealed.docx"  # an entry zip says is encrypted (the flag bit): Python cannot open it
    shutil.copy(docx, sealed)
    raw = bytearray(sealed.read_bytes())
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        at = raw.find(sig)
        while at != -1:
            name_at = at + (30 if sig == b"PK\x03\x04" else 46)
            if raw[name_at : name_at + 17] == b"word/document.xml":
                flags = at + (6 if sig == b"PK\x03\x04" else 8)
                raw[flags] |= 1
            at = raw.find(sig, at + 4)
    sealed.write_bytes(bytes(raw))
    r = run_cli("verify", str(bomb), str(utf16), str(sealed), str(docx), "--ledger", ledger)
    err = r.stderr.decode()
    assert r.returncode == 2, r.stdout.decode() + err
    assert f"无法读取 / unreadable: {bomb}: DOCX 正文过大（解压后 381 MB）" in err
    assert f"无法读取 / unreadable: {utf16}: 不是 DOCX 文件" in err
    assert f"无法读取 / unreadable: {sealed}: 不是 DOCX 文件" in err
    assert "内部错误" not in err and "Traceback" not in err
    assert f"✓ {docx}: 核验通过" in r.stdout.decode()


def test_a_docx_whose_qr_code_leads_elsewhere_does_not_verify(awarded, tmp_path):
    """DOCX 没有电子签名：把版记里的二维码换成别的网址（仿冒的核验页面），文字与台账一致也不能通过核验。"""
    from zzcbec_docs.documents.qr import docx_png, qr_png

    ledger, out = awarded
    docx = next(f for f in sorted(out.iterdir()) if f.suffix == ".docx")
    r = run_cli("verify", str(docx), "--ledger", ledger)
    assert r.returncode == 0, r.stdout.decode()
    code = re.search(r"核验码 ([A-Z2-9]{4}-[A-Z2-9]{4})", r.stdout.decode()).group(1)
    forged = tmp_path / "forged.docx"
    with zipfile.ZipFile(docx) as src, zipfile.ZipFile(forged, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("word/media/"):
                data = docx_png(qr_png(f"http://zzcbec-verify.example/verify/{code}"))
            dst.writestr(info.filename, data)
    r = run_cli("verify", str(forged), "--ledger", ledger)
    assert r.returncode == 1, r.stdout.decode()
    assert f"文件中的二维码不是本通知的核验地址 http://127.0.0.1:8000/verify/{code}" in r.stdout.decode()


def test_a_pdf_that_pdftotext_cannot_finish_reading_is_named_not_an_internal_error(awarded, tmp_path, monkeypatch):
    """读取 PDF 超时（恶意构造、读不完的 PDF）：说明是哪个文件、为什么，不是内部错误。"""
    import os

    from zzcbec_docs.documents import verify

    from conftest import cli

    ledger, out = awarded
    pdf = next(f for f in sorted(out.iterdir()) if f.suffix == ".pdf")
    slow = tmp_path / "bin"
    slow.mkdir()
    (slow / "pdftotext").write_text("#!/bin/sh\nexec sleep 30\n", encoding="utf-8")
    (slow / "pdftotext").chmod(0o755)
    monkeypatch.setenv("PATH", f"{slow}:{os.environ['PATH']}")
    monkeypatch.setattr(verify, "READ_SECONDS", 1)  # pdftotext's 60 s, shortened for the test
    r = cli("verify", str(pdf), "--ledger", ledger)
    assert r.returncode == 2, r.out + r.err
    assert f"无法读取 / unreadable: {pdf}: 读取 PDF 超时（1 秒）" in r.err and "took over 1 s" in r.err
    assert "内部错误" not in r.err


def test_verify_and_publicity_on_either_ledger(ledger_url, tmp_path):  # noqa: F811
    """The same reads on SQLite and PostgreSQL: a notice verifies, the 公示 lists it."""
    from zzcbec_docs.documents.issuer import load_issuer
    from zzcbec_docs.documents.publicity import entries_from_ledger, render_publicity

    _award_all(ledger_url, tmp_path / "n", samples=("clause06-eligible.yaml",), formats=("pdf",))
    ledger = open_ledger(ledger_url, upgrade=False)
    v = verify_file(next((tmp_path / "n").glob("*.pdf")), ledger)
    assert v.ok, v.problems
    (entry,) = entries_from_ledger(ledger, 2026)
    assert entry.clauses == (6,) and entry.number == v.number
    (docx,) = render_publicity(
        entries_from_ledger(ledger, 2026),
        load_policy(),
        load_issuer(),
        year=2026,
        start=dt.date(2026, 3, 9),
        formats=("docx",),
        out_dir=tmp_path,
    )
    assert "2026年3月9日至2026年3月13日" in flat("".join(docx_blocks(docx)))


def test_publicity_lists_the_years_awards_with_period_total_and_masked_uscc(awarded, tmp_path):
    ledger, out = awarded
    first = next(out.glob("91410100MA46000016-*.pdf"))
    number = re.search(r"文号：(\S+?号)", flat(pdf_text(first))).group(1)
    assert run_cli("ledger", "revoke", number, "--reason", "重复申报", "--ledger", ledger).returncode == 0
    pub = tmp_path / "pub"
    # 2026-03-06 is a Friday: five working days run to Thursday 2026-03-12
    r = run_cli(
        "publicity",
        "--year",
        "2026",
        "--from",
        "2026-03-06",
        "--days",
        "5",
        "--mask-uscc",
        "--ledger",
        ledger,
        "--out",
        str(pub),
    )
    assert r.returncode == 0, r.stderr.decode()
    files = sorted(pub.iterdir())
    assert [f.name for f in files] == ["publicity-2026-2026-03-06.docx", "publicity-2026-2026-03-06.pdf"]
    for f in files:
        text = flat(pdf_text(f)) if f.suffix == ".pdf" else flat("".join(docx_blocks(f)))
        assert "郑州市商务局关于2026年度跨境电商发展资金拟奖励企业名单的公示" in text
        assert "公示期：2026年3月6日至2026年3月12日（5个工作日）" in text
        assert "可以书面形式向郑州市商务局反映" in text
        assert "郑州示例综合跨境电商有限公司" in text and "上街示例跨境电商有限公司" in text
        assert "郑州示例跨境贸易有限公司" not in text  # revoked: not proposed any more
        assert "914101********016N" in text and "91410100MA4600016N" not in text
        assert "1,016,500.18" in text and "30,000.00" in text and "合计" in text and "1,046,500.18" in text
        assert "奖励资金合计1046500.18元（人民币壹佰零肆万陆仟伍佰元零壹角捌分）" in text
        assert "《措施》第一条、第六条、第九条" in text
        assert "¥" not in text and "zzcbec" not in text
    pdf = files[1]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    meta = subprocess.run(["pdfinfo", "-meta", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M) and re.search(r'pdfaid:part(="|>)2', meta)


def test_publicity_proposes_approved_cases_not_yet_awarded_and_leaves_out_rejected_ones(awarded, tmp_path):
    """documents.md: the 公示 is made from the ledger's approved *or* awarded cases — it usually comes
    before the notices. An approved case is listed with what it would be paid; a rejected one is not."""
    from zzcbec_docs.process.model import ReviewInput

    ledger_url, _ = awarded
    ledger, policy = open_ledger(ledger_url), load_policy()
    approved = process.submit(
        ledger, load_bundle(SAMPLES / "clause05-eligible.yaml", load_policy()), actor="test", policy=policy
    ).case
    process.review(
        ledger,
        approved.id,
        ReviewInput(reviewer="张审核", conclusion="approve", remarks="核实无误"),
        actor="test",
        policy=policy,
    )
    rejected = process.submit(
        ledger, load_bundle(SAMPLES / "clause07-eligible.yaml", load_policy()), actor="test", policy=policy
    ).case
    process.review(
        ledger,
        rejected.id,
        ReviewInput(reviewer="张审核", conclusion="reject", remarks="材料不全"),
        actor="test",
        policy=policy,
    )
    ledger.engine.dispose()
    expected = process.case_result(open_ledger(ledger_url), approved.id, policy).total
    pub = tmp_path / "pub"
    r = run_cli(
        "publicity",
        "--year",
        "2026",
        "--from",
        "2026-03-09",
        "--ledger",
        ledger_url,
        "--out",
        str(pub),
        "--format",
        "docx",
    )
    assert r.returncode == 0, r.stderr.decode()
    text = flat("".join(docx_blocks(next(pub.glob("*.docx")))))
    assert approved.applicant_name in text and f"{expected:,.2f}" in text
    assert rejected.applicant_name not in text
    assert "郑州示例跨境贸易有限公司" in text  # the awarded ones are still there


def test_publicity_counts_working_days_from_the_profile_and_refuses_an_empty_year(awarded, tmp_path):
    from zzcbec_docs.documents.issuer import load_issuer
    from zzcbec_docs.documents.publicity import period_end

    ledger, _ = awarded
    issuer = load_issuer()
    assert period_end(issuer, dt.date(2026, 3, 2), 5) == dt.date(2026, 3, 6)  # Monday to Friday
    assert period_end(issuer, dt.date(2026, 3, 5), 5) == dt.date(2026, 3, 11)  # over a weekend
    r = run_cli(
        "publicity", "--year", "2031", "--from", "2031-03-03", "--ledger", ledger, "--out", str(tmp_path / "pub")
    )
    assert r.returncode == 1 and "没有2031年度审核同意或已奖励的申报" in r.stderr.decode()
    assert not (tmp_path / "pub").exists() or not list((tmp_path / "pub").iterdir())
