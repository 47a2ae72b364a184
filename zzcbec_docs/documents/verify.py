"""`zzcbec verify`: is a printed or sent notice the one the ledger holds?

The notice's 版记 carries its 发文字号 and a short 核验码 (gongwen.verification_code over the number,
the applicant and the amounts). Verifying a file reads its text back (PDF through poppler's
pdftotext, DOCX from its XML) and checks against the ledger: the number exists, it is not revoked,
the file's amounts (each clause, the total, its 人民币大写) are the
ledger's, and the 核验码 is the one the ledger's figures give.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from zzcbec_docs.documents import gongwen as g
from zzcbec_docs.errors import ArgumentError
from zzcbec_docs.money import ZERO, in_words

NUMBER = re.compile(r"[^\s〔〕：:]{1,20}〔[0-9]{4}〕[1-9][0-9]{0,5}号")
CODE = re.compile(r"核验码[:：]\s*([A-Z0-9]{4}-[A-Z0-9]{4})")
TABLE_FIGURE = re.compile(r"(?<![0-9,.])[0-9]{1,3}(?:,[0-9]{3})*\.[0-9]{2}(?![0-9])")


@dataclass
class Verification:
    file: str
    number: str | None = None
    code: str | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    signature: Any = None  # documents.signing.SignatureCheck of a PDF; None: a DOCX (never signed)

    @property
    def ok(self) -> bool:
        return not self.problems and self.number is not None


def file_text(path: Path) -> str:
    """The text of a notice file, one line per paragraph or table cell."""
    if not path.is_file():
        raise ArgumentError(f"文件不存在：{path}", f"no such file: {path}", file=str(path))
    head = path.read_bytes()[:8]
    if head.startswith(b"%PDF"):
        try:
            out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True,
                                 timeout=60).stdout.decode("utf-8", "replace")
        except FileNotFoundError:
            raise ArgumentError("未找到 pdftotext；请安装 poppler-utils", "pdftotext not found: install poppler-utils") from None
        except subprocess.CalledProcessError:
            raise ArgumentError(f"无法读取 PDF：{path}", f"cannot read the PDF {path}", file=str(path)) from None
    elif head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as z:
                xml = z.read("word/document.xml").decode("utf-8")
        except (zipfile.BadZipFile, KeyError):
            raise ArgumentError(f"不是 DOCX 文件：{path}", f"not a DOCX file: {path}", file=str(path)) from None
        import html

        out = html.unescape(re.sub(r"<[^>]+>", "", xml.replace("</w:p>", "\n")))
    else:
        raise ArgumentError(f"只能核验 PDF 或 DOCX 通知书：{path}", f"only PDF or DOCX notices can be verified: {path}",
                         file=str(path))
    return out


PROFILE_SIGNING = object()


def verify_file(path: Path, ledger, *, signing: Any = PROFILE_SIGNING, allow_unsigned: bool = False,  # type: ignore[no-untyped-def]
                check_signature: bool = True) -> Verification:
    """The file against the ledger, and a PDF's signature against the bureau's certificate
    (`signing`: by default the issuer profile's, documents.signing.Signing; an unsigned PDF fails
    unless `allow_unsigned`)."""
    v = _against_ledger(path, ledger)
    if check_signature and path.read_bytes()[:5] == b"%PDF-":
        from zzcbec_docs.documents import signing as sg

        if signing is PROFILE_SIGNING:
            from zzcbec_docs.documents.issuer import load_issuer

            signing = load_issuer().signing
        v.signature = sg.check_signature(path.read_bytes(), signing)
        if v.signature.signed or not allow_unsigned:
            v.problems.extend((f"签名：{zh}", f"signature: {en}") for zh, en in v.signature.problems)
    return v


def _against_ledger(path: Path, ledger) -> Verification:  # type: ignore[no-untyped-def]
    raw = file_text(path)
    text = "".join(raw.split())  # PDF lines wrap anywhere
    v = Verification(str(path))
    m = CODE.search(text)
    banji = text[m.start():] if m else ""
    numbers = NUMBER.findall(banji) or NUMBER.findall(text)
    if not numbers:
        v.problems.append(("文件中没有发文字号，不是已编号的奖励通知书", "the file holds no document number: not a numbered notice"))
        return v
    v.number = numbers[0]
    v.code = m.group(1) if m else None
    rows = [a for a in ledger.awards() if a.notice_number == v.number]
    if not rows:
        v.problems.append((f"台账中没有文号 {v.number}", f"the ledger has no notice {v.number}"))
        return v
    first = rows[0]
    v.facts.append(f"{v.number}　{first.applicant_name}　{first.uscc}　{first.issued_on}")
    if first.revoked:
        v.problems.append((f"{v.number} 已撤销（{first.revocation_reason or '未写原因'}）",
                           f"{v.number} has been revoked ({first.revocation_reason or 'no reason given'})"))
    amounts = [r.amount for r in rows]
    total = sum(amounts, ZERO)
    figures = [Decimal(x.replace(",", "")) for x in TABLE_FIGURE.findall(raw)]
    missing = [a for a in amounts if a not in figures]
    if missing:
        v.problems.append((f"文件所列金额与台账不符：台账为 {'、'.join(g.table_yuan(a) for a in amounts)} 元",
                           f"the file's amounts are not the ledger's ({', '.join(g.table_yuan(a) for a in amounts)})"))
    if total not in figures or in_words(total) not in text:
        v.problems.append((f"文件的奖励合计与台账不符：台账合计 {g.table_yuan(total)} 元（{in_words(total)}）",
                           f"the file's total is not the ledger's {g.table_yuan(total)}"))
    stray = [f for f in figures if f not in amounts and f != total and not _is_share(f, rows)]
    if stray:
        v.problems.append((f"文件中有台账没有的金额：{'、'.join(g.table_yuan(f) for f in stray[:3])}",
                           f"the file has amounts the ledger does not: {', '.join(g.table_yuan(f) for f in stray[:3])}"))
    expected = g.verification_code(v.number, first.uscc, amounts)
    if v.code is None:
        v.problems.append(("文件中没有核验码", "the file carries no verification code"))
    elif v.code != expected:
        v.problems.append((f"核验码 {v.code} 与台账记录算出的 {expected} 不符",
                           f"the verification code {v.code} is not the ledger's {expected}"))
    return v


def _is_share(figure: Decimal, rows) -> bool:  # type: ignore[no-untyped-def]
    """City and district shares (and their sums) are printed beside the amounts."""
    cities = [r.city for r in rows if r.city is not None]
    locals_ = [r.local for r in rows if r.local is not None]
    return figure in cities or figure in locals_ or figure in (sum(cities, ZERO), sum(locals_, ZERO))
