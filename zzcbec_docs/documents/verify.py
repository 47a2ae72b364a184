"""`zzcbec verify`: is a printed or sent notice the one the ledger holds?

The notice's 版记 carries its 发文字号 and a short 核验码 (gongwen.verification_code over the number,
the applicant and the amounts). Verifying a file reads its text back (PDF through poppler's
pdftotext, DOCX from its XML) and checks every figure and name it prints against the ledger, each
a named check (`CHECKS`, in order): the number exists and stands, the number under the 版头 is the
one in the 版记 and the issuer is the ledger's, the payee (收款单位), bank and account are those of
the case's stored application, each clause's amount, the total and its 人民币大写, the city and
district shares (clause 16), the sentence 奖励资金合计…万元（人民币…整），其中市级财政承担…, the date,
and the 核验码; a PDF's signature last (`check_signature`: intact, covering the whole file, made with
the bureau's certificate, its time), a DOCX's QR code instead (`check_docx_qr`: the picture of the
profile's verification URL + the 核验码; a DOCX carries no signature to cover it). A failed check says
what the file prints and what the ledger holds.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, cast

from zzcbec_docs.documents import gongwen as g
from zzcbec_docs.errors import ArgumentError
from zzcbec_docs.money import ZERO, in_words

if TYPE_CHECKING:
    from zzcbec_docs.documents.awards import Award, Awards

NUMBER = re.compile(r"[^\s〔〕：:]{1,20}〔[0-9]{4}〕[1-9][0-9]{0,5}号")
CODE = re.compile(r"核验码[:：]\s*([A-Z0-9]{4}-[A-Z0-9]{4})")
READ_SECONDS = 60  # pdftotext reads a notice in well under a second
DOCX_TEXT_MAX = 16 * 2**20  # a notice's word/document.xml is ~12 KB; a zip bomb inflates to gigabytes
TABLE_FIGURE = re.compile(r"(?<![0-9,.])[0-9]{1,3}(?:,[0-9]{3})*\.[0-9]{2}(?![0-9])")


@dataclass(frozen=True)
class Check:
    """One named check of a notice against the ledger: what was compared, and how it came out."""

    name: str  # a short code: number, standing, payee, bank, account, amounts, total, sentence, shares, …
    label: str  # what it is called in Chinese: 收款单位, 开户银行, 账号, …
    ok: bool | None  # None: not checked (the ledger does not hold what it needs)
    zh: str = ""
    en: str = ""


@dataclass
class Verification:
    file: str
    number: str | None = None
    code: str | None = None
    checks: list[Check] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    signature: Any = None  # documents.signing.SignatureCheck of a PDF; None: a DOCX (never signed)

    @property
    def problems(self) -> list[tuple[str, str]]:
        return [(c.zh, c.en) for c in self.checks if c.ok is False]

    @property
    def ok(self) -> bool:
        return not self.problems and self.number is not None

    def fail(self, name: str, label: str, zh: str, en: str) -> None:
        self.checks.append(Check(name, label, False, zh, en))

    def passed(self, name: str, label: str) -> None:
        self.checks.append(Check(name, label, True))


def file_text(path: Path) -> str:
    """The text of a notice file, one line per paragraph or table cell."""
    if not path.is_file():
        raise ArgumentError(f"文件不存在：{path}", f"no such file: {path}", file=str(path))
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"%PDF"):
        try:
            out = subprocess.run(
                ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, timeout=READ_SECONDS
            ).stdout.decode("utf-8", "replace")
        except FileNotFoundError:
            raise ArgumentError(
                "未找到 pdftotext；请安装 poppler-utils", "pdftotext not found: install poppler-utils"
            ) from None
        except subprocess.CalledProcessError:
            raise ArgumentError(f"无法读取 PDF：{path}", f"cannot read the PDF {path}", file=str(path)) from None
        except subprocess.TimeoutExpired:
            raise ArgumentError(
                f"读取 PDF 超时（{READ_SECONDS} 秒）：{path}，不像是本系统出具的通知书",
                f"reading the PDF {path} took over {READ_SECONDS} s: not a notice this toolkit made",
                file=str(path),
            ) from None
    elif head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as z:
                size = z.getinfo("word/document.xml").file_size  # what the entry inflates to, at most
                if size > DOCX_TEXT_MAX:
                    raise ArgumentError(
                        f"DOCX 正文过大（解压后 {size // 2**20} MB），不像是本系统出具的通知书：{path}",
                        f"the DOCX's document inflates to {size // 2**20} MB: not a notice this toolkit made: {path}",
                        file=str(path),
                    )
                xml = z.read("word/document.xml").decode("utf-8")
        # a zip that is no Word file, an encrypted or exotically compressed entry, XML not in UTF-8
        except (zipfile.BadZipFile, KeyError, RuntimeError, NotImplementedError, UnicodeDecodeError, EOFError):
            raise ArgumentError(f"不是 DOCX 文件：{path}", f"not a DOCX file: {path}", file=str(path)) from None
        import html

        out = html.unescape(re.sub(r"<[^>]+>", "", xml.replace("</w:p>", "\n")))
    else:
        raise ArgumentError(
            f"只能核验 PDF 或 DOCX 通知书：{path}", f"only PDF or DOCX notices can be verified: {path}", file=str(path)
        )
    return out


PROFILE_SIGNING = object()


def verify_file(
    path: Path,
    ledger: Awards,
    notice: Callable[[str], NoticeFacts | None] | None = None,
    *,
    signing: Any = PROFILE_SIGNING,
    allow_unsigned: bool = False,
    verify_url: str | None = None,
) -> Verification:
    """Every figure and name the notice prints, against the ledger; each check named (`CHECKS`);
    then a PDF's signature (`signing`: the issuer profile's documents.signing.Signing, by default
    the packaged or $ZZCBEC_ISSUER_PROFILE's; an unsigned PDF fails unless `allow_unsigned`).

    `notice(number)`: the ledger's notice row and its case's bank account (the service's
    `notice_facts`); without it the issuer and the bank are not checked. `verify_url`: the issuer
    profile's verification page; a DOCX (which carries no signature) must show its QR code."""
    v = _against_ledger(path, ledger, notice)
    with open(path, "rb") as fh:
        docx = fh.read(2) == b"PK"
    if not docx:  # file_text read it as a PDF: only a DOCX goes unsigned (the signature covers the PDF's QR code)
        check_signature(path, v, signing, allow_unsigned)
    elif verify_url and v.code and v.number is not None:
        check_docx_qr(path, v, verify_url)
    return v


def check_docx_qr(path: Path, v: Verification, verify_url: str) -> None:
    """二维码: the DOCX's QR picture is the one of the profile's verification URL + its 核验码, module for
    module (its pixels, not its PNG bytes); a picture swapped for a look-alike page's QR code fails."""
    import io

    from PIL import Image

    from zzcbec_docs.documents.qr import docx_png, qr_png, verification_url

    url = verification_url(verify_url, cast(str, v.code))
    want = Image.open(io.BytesIO(docx_png(qr_png(url)))).convert("L")
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if not info.filename.startswith("word/media/") or info.file_size > 2**20:
                continue
            try:
                with Image.open(io.BytesIO(z.read(info))) as img:
                    if img.size == want.size and img.convert("L").tobytes() == want.tobytes():
                        v.passed("qr", "二维码")
                        return
            except (OSError, ValueError, Image.DecompressionBombError):
                continue
    v.fail(
        "qr",
        "二维码",
        f"文件中的二维码不是本通知的核验地址 {url}（图片缺失或被替换）",
        f"the file's QR code is not this notice's verification address {url} (missing or replaced)",
    )


def check_signature(path: Path, v: Verification, signing: Any, allow_unsigned: bool) -> None:
    """签名: the PDF's PAdES signature (documents/signing.py), one named check with every fault it found."""
    from zzcbec_docs.documents import signing as sg

    if signing is PROFILE_SIGNING:
        from zzcbec_docs.documents.issuer import load_issuer

        signing = load_issuer().signing
    sig = v.signature = sg.check_signature(path.read_bytes(), signing)
    if sig.ok or (not sig.signed and allow_unsigned):
        v.passed("signature", "签名")
    else:
        v.fail(
            "signature",
            "签名",
            "签名：" + "；".join(zh for zh, _ in sig.problems),
            "signature: " + "; ".join(en for _, en in sig.problems),
        )


def _against_ledger(path: Path, ledger: Awards, notice: Callable[[str], NoticeFacts | None] | None) -> Verification:
    raw = file_text(path)
    text = "".join(raw.split())  # PDF lines wrap anywhere
    v = Verification(str(path))
    m = CODE.search(text)
    banji = text[m.start() :] if m else ""
    numbers = NUMBER.findall(banji) or NUMBER.findall(text)
    if not numbers:
        v.fail(
            "number",
            "发文字号",
            "文件中没有发文字号，不是已编号的奖励通知书",
            "the file holds no document number: not a numbered notice",
        )
        return v
    v.number = numbers[0]
    v.code = m.group(1) if m else None
    rows = [a for a in ledger.awards() if a.notice_number == v.number]
    if not rows:
        v.fail("number", "发文字号", f"台账中没有文号 {v.number}", f"the ledger has no notice {v.number}")
        return v
    first = rows[0]
    v.facts.append(f"{v.number}　{first.applicant_name}　{first.uscc}　{first.issued_on}")
    facts = notice(v.number) if notice is not None else None
    seen = Seen(raw=raw, text=text, number=v.number, code=v.code, rows=rows, notice=facts or _from_awards(rows))
    for check in CHECKS:
        check(seen, v)
    return v


@dataclass(frozen=True)
class Seen:
    """What a check compares: the file's text (as read, and with all white space removed) and the
    ledger's notice (its awards, and the notice row with its case's stored application)."""

    raw: str
    text: str
    number: str
    code: str | None
    rows: list[Award]  # the awards of the notice
    notice: NoticeFacts


class NoticeFacts(TypedDict):
    """The ledger's notice row and its case's bank account; None where it is unknown."""

    issuer: str | None
    district: str | None
    issued_on: str | None
    applicant: str | None
    bank: tuple[str, str] | None  # (bank, account)


def _from_awards(rows: list[Award]) -> NoticeFacts:
    """What the award rows alone say of their notice (no issuer, no bank: those checks are not made)."""
    first = rows[0]
    return {
        "issuer": None,
        "district": first.district,
        "issued_on": first.issued_on,
        "applicant": first.applicant_name,
        "bank": None,
    }


def _flat(s: str) -> str:
    return "".join(s.split())


def check_standing(seen: Seen, v: Verification) -> None:
    first = seen.rows[0]
    if first.revoked:
        v.fail(
            "standing",
            "通知状态",
            f"{seen.number} 已撤销（{first.revocation_reason or '未写原因'}）",
            f"{seen.number} has been revoked ({first.revocation_reason or 'no reason given'})",
        )
    else:
        v.passed("standing", "通知状态")


def check_payee(seen: Seen, v: Verification) -> None:
    """收款单位: the addressee and the title name the ledger's applicant."""
    name = _flat(seen.notice["applicant"] or seen.rows[0].applicant_name)
    found = re.search(r"关于给予(.+?)跨境电商发展资金", seen.text)
    if f"关于给予{name}跨境电商发展资金" in seen.text and f"{name}：" in seen.text:
        v.passed("payee", "收款单位")
    else:
        shown = found.group(1) if found else "（未找到）"
        v.fail(
            "payee",
            "收款单位",
            f"收款单位与台账不符：文件为“{shown}”，台账为“{name}”",
            f"the payee is not the ledger's: the file names {shown!r}, the ledger {name!r}",
        )


_ACCOUNT = re.compile(r"拨付至你单位账户：(.*?)，账号(.*?)。")


def check_bank(seen: Seen, v: Verification) -> None:
    """开户银行 and 账号: those of the case's stored application."""
    bank = seen.notice["bank"]
    found = _ACCOUNT.search(seen.text)
    shown_bank, shown_account = (found.group(1), found.group(2)) if found else ("（未找到）", "（未找到）")
    if bank is None:
        v.checks.append(
            Check(
                "bank",
                "开户银行",
                None,
                "台账没有该通知的申报材料，开户银行和账号未核验",
                "the ledger holds no application for this notice: bank and account not checked",
            )
        )
        return
    name, account = _flat(bank[0]), _flat(bank[1])
    if shown_bank == name:
        v.passed("bank", "开户银行")
    else:
        v.fail(
            "bank",
            "开户银行",
            f"开户银行与台账不符：文件为“{shown_bank}”，台账为“{name}”",
            f"the bank is not the ledger's: the file names {shown_bank!r}, the ledger {name!r}",
        )
    if shown_account == account:
        v.passed("account", "账号")
    else:
        v.fail(
            "account",
            "账号",
            f"账号与台账不符：文件为 {shown_account}，台账为 {account}",
            f"the account is not the ledger's: the file gives {shown_account}, the ledger {account}",
        )


def check_amounts(seen: Seen, v: Verification) -> None:
    """Each clause's amount, the 合计 and its 人民币大写, and no figure the ledger does not hold."""
    rows = seen.rows
    amounts = [r.amount for r in rows]
    total = sum(amounts, ZERO)
    figures = [Decimal(x.replace(",", "")) for x in TABLE_FIGURE.findall(seen.raw)]
    missing = [a for a in amounts if a not in figures]
    if missing:
        v.fail(
            "amounts",
            "奖励金额",
            f"文件所列金额与台账不符：台账为 {'、'.join(g.table_yuan(a) for a in amounts)} 元",
            f"the file's amounts are not the ledger's ({', '.join(g.table_yuan(a) for a in amounts)})",
        )
    else:
        v.passed("amounts", "奖励金额")
    if total not in figures or in_words(total) not in seen.text:
        v.fail(
            "total",
            "奖励合计",
            f"文件的奖励合计与台账不符：台账合计 {g.table_yuan(total)} 元（{in_words(total)}）",
            f"the file's total is not the ledger's {g.table_yuan(total)}",
        )
    else:
        v.passed("total", "奖励合计")
    stray = [f for f in figures if f not in amounts and f != total and not _is_share(f, rows)]
    if stray:
        v.fail(
            "figures",
            "其他金额",
            f"文件中有台账没有的金额：{'、'.join(g.table_yuan(f) for f in stray[:3])}",
            f"the file has amounts the ledger does not: {', '.join(g.table_yuan(f) for f in stray[:3])}",
        )


def check_shares(seen: Seen, v: Verification) -> None:
    """市级 and 区县（市）承担 (clause 16): each row's shares in the table and their sums."""
    rows = seen.rows
    if any(r.city is None for r in rows):
        if "市级承担" in seen.text:
            v.fail(
                "shares",
                "分担金额",
                "台账中该通知的分担尚未确定，文件却列出了市级与区县分担",
                "the ledger leaves the split open, but the file prints city and district shares",
            )
        else:
            v.passed("shares", "分担金额")
        return
    figures = [Decimal(x.replace(",", "")) for x in TABLE_FIGURE.findall(seen.raw)]
    # every split is settled here, and a settled split has both shares (rules/funding.py)
    cities = [cast(Decimal, r.city) for r in rows]
    locals_ = [cast(Decimal, r.local) for r in rows]
    wanted = cities + locals_
    if len(rows) > 1:
        wanted += [sum(cities, ZERO), sum(locals_, ZERO)]
    missing = [x for x in wanted if x not in figures]
    if missing:
        v.fail(
            "shares",
            "分担金额",
            f"文件的市级、区县分担与台账不符：台账为 市级 {'、'.join(g.table_yuan(x) for x in cities)} 元，"
            f"区县 {'、'.join(g.table_yuan(x) for x in locals_)} 元",
            "the file's city and district shares are not the ledger's",
        )
    else:
        v.passed("shares", "分担金额")


def check_sentence(seen: Seen, v: Verification) -> None:
    """The sentence 奖励资金合计N万元（人民币…整），其中市级财政承担…，某区财政承担…。 as the ledger's figures give it."""
    rows = seen.rows
    total = sum((r.amount for r in rows), ZERO)
    sentence = f"奖励资金合计{g.amount_sentence(total, in_words(total))}"
    if all(r.city is not None for r in rows):
        city = sum((cast(Decimal, r.city) for r in rows), ZERO)
        local = sum((r.local or ZERO for r in rows), ZERO)
        district = _flat(seen.notice["district"] or rows[0].district)
        sentence += (
            "，由市级财政全额承担"
            if local == ZERO
            else f"，其中市级财政承担{g.yuan_text(city)}，{district}财政承担{g.yuan_text(local)}"
        )
    sentence += "。"
    if sentence in seen.text:
        v.passed("sentence", "金额大写句")
        return
    found = re.search(r"奖励资金合计.*?。", seen.text)
    v.fail(
        "sentence",
        "金额大写句",
        f"奖励金额的文字表述与台账不符：文件为“{found.group(0) if found else '（未找到）'}”，台账应为“{sentence}”",
        f"the sentence stating the award is not the ledger's: it should read {sentence!r}",
    )


def check_date(seen: Seen, v: Verification) -> None:
    """成文日期 (and 印发日期): the ledger's issue date."""
    from zzcbec_docs.vocabulary import cn_date

    issued = seen.notice["issued_on"] or seen.rows[0].issued_on
    want = cn_date(issued)
    dates = re.findall(r"[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日", seen.text[seen.text.find("特此通知") :])
    if dates and all(d == want for d in dates):
        v.passed("date", "成文日期")
    else:
        other = next((d for d in dates if d != want), "（未找到）")
        v.fail(
            "date",
            "成文日期",
            f"成文日期与台账不符：文件为 {other}，台账为 {want}",
            f"the date is not the ledger's: the file gives {other}, the ledger {want}",
        )


def check_number_and_issuer(seen: Seen, v: Verification) -> None:
    """The 发文字号 printed under the 版头 and in the 版记 is one number; the issuer is the ledger's."""
    before = seen.text[: seen.text.find("关于给予")] if "关于给予" in seen.text else ""
    if seen.number not in before:
        head = re.search(r"〔[0-9]{4}〕[0-9]+号", before)
        shown = head.group(0) if head else "（未找到）"
        v.fail(
            "number",
            "发文字号",
            f"版头的发文字号（{shown}）与版记的 {seen.number} 不一致",
            f"the number under the heading ({shown}) is not the one in the footer, {seen.number}",
        )
    else:
        v.passed("number", "发文字号")
    issuer = seen.notice["issuer"]
    if issuer and f"{_flat(issuer)}关于给予" not in seen.text:
        v.fail(
            "issuer", "发文机关", f"发文机关与台账不符：台账为“{issuer}”", f"the issuer is not the ledger's {issuer!r}"
        )
    elif issuer:
        v.passed("issuer", "发文机关")


def check_code(seen: Seen, v: Verification) -> None:
    expected = g.verification_code(seen.number, seen.rows[0].uscc, [r.amount for r in seen.rows])
    if seen.code is None:
        v.fail("code", "核验码", "文件中没有核验码", "the file carries no verification code")
    elif seen.code != expected:
        v.fail(
            "code",
            "核验码",
            f"核验码 {seen.code} 与台账记录算出的 {expected} 不符",
            f"the verification code {seen.code} is not the ledger's {expected}",
        )
    else:
        v.passed("code", "核验码")


# Every check a notice goes through, in order; another (a signature check) is one more entry here.
CHECKS = [
    check_standing,
    check_number_and_issuer,
    check_payee,
    check_bank,
    check_amounts,
    check_shares,
    check_sentence,
    check_date,
    check_code,
]


def _is_share(figure: Decimal, rows: list[Award]) -> bool:
    """City and district shares (and their sums) are printed beside the amounts."""
    cities = [r.city for r in rows if r.city is not None]
    locals_ = [r.local for r in rows if r.local is not None]
    return figure in cities or figure in locals_ or figure in (sum(cities, ZERO), sum(locals_, ZERO))
