"""Signed notices (issue 20, point 2): `award` signs the PDF notice (PAdES) with the key the issuer
profile names, the seal over the 署名 and the date; `verify` checks the signature (intact, signer,
time) as well as the ledger and says which failed; unsigned is a choice (--unsigned), never a fallback.

Read back independently where it matters: poppler's pdfsig checks the signature, pdfinfo the PDF/A
claim in the XMP, pdftoppm shows the seal.
"""

from __future__ import annotations

import datetime as dt
import http.server
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

from zzcbec_docs.documents import issuer as issuer_module

from conftest import SAMPLES, cli

EPOCH = "1772668800"  # 2026-03-05T00:00:00Z, 08:00 in Zhengzhou
PACKAGED = Path(issuer_module.DEFAULT_PROFILE)


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


@pytest.fixture
def profile_env(monkeypatch):
    """Point ZZCBEC_ISSUER_PROFILE at a profile (the in-process CLI caches profiles: cleared around)."""

    def use(path: Path | None) -> None:
        if path is None:
            monkeypatch.delenv("ZZCBEC_ISSUER_PROFILE", raising=False)
        else:
            monkeypatch.setenv("ZZCBEC_ISSUER_PROFILE", str(path))
        issuer_module.load_issuer.cache_clear()

    yield use
    issuer_module.load_issuer.cache_clear()


def award(tmp_path: Path, *extra: str, sample: str = "clause01-eligible.yaml", ledger: str = "ledger.db"):  # type: ignore[no-untyped-def]
    if not (tmp_path / ledger).exists():
        assert cli("ledger", "init", "--ledger", str(tmp_path / ledger)).returncode == 0
    r = cli(
        "award",
        str(SAMPLES / sample),
        "--ledger",
        str(tmp_path / ledger),
        "--out",
        str(tmp_path / "out"),
        "--date",
        "2026-03-05",
        "--format",
        "pdf",
        *extra,
    )
    return r


def the_pdf(tmp_path: Path, sample_uscc: str = "91410100MA46000016") -> Path:
    (pdf,) = (tmp_path / "out").glob(f"{sample_uscc}-*.pdf")
    return pdf


def pdfsig(path: Path) -> str:
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout


@pytest.fixture(scope="module")
def signed_once(tmp_path_factory):
    """One notice awarded and signed with the packaged demo profile, under SOURCE_DATE_EPOCH."""
    tmp = tmp_path_factory.mktemp("signed")
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
    mp.delenv("ZZCBEC_ISSUER_PROFILE", raising=False)
    issuer_module.load_issuer.cache_clear()
    try:
        r = award(tmp)
        assert r.returncode == 0, r.out + r.err
    finally:
        mp.undo()
    return tmp


def test_award_signs_the_notice_as_pades_keeping_pdfa_and_the_size(signed_once):
    pdf = the_pdf(signed_once)
    sig = pdfsig(pdf)
    assert "Signature Type: ETSI.CAdES.detached" in sig  # PAdES
    assert "Signature is Valid" in sig and "Total document signed" in sig
    assert "演示签章证书（样章，不具法律效力）" in sig  # the demo certificate says what it is
    assert "Signing Time: Mar 05 2026 00:00:00" in sig  # the award's clock, not the wall clock
    meta = subprocess.run(["pdfinfo", "-meta", str(pdf)], capture_output=True, text=True, timeout=60).stdout
    assert 'pdfaid:part="2"' in meta and 'pdfaid:conformance="B"' in meta
    data = pdf.read_bytes()
    assert data.count(b"%%EOF") == 2  # WeasyPrint's file, then one incremental update: the signature
    assert len(data) <= 100 * 1024, f"{len(data)} bytes"


def test_the_seal_is_drawn_over_the_issuer_and_the_date(signed_once, tmp_path):
    """The appearance sits where the 印章 goes: centred on the 署名 and 成文日期, which lie inside it."""
    import re

    pdf = the_pdf(signed_once)
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    widgets = [
        (i, a.get_object())
        for i, p in enumerate(reader.pages)
        for a in (p.get("/Annots") or [])
        if a.get_object().get("/FT") == "/Sig"
    ]
    assert len(widgets) == 1
    page, widget = widgets[0]
    x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
    assert abs((x1 - x0) - 42 * 72 / 25.4) < 0.5 and int(widget["/F"]) & 4  # 42 mm, printed
    bbox = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page + 1), "-l", str(page + 1), str(pdf), "-"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    height = float(re.search(r'<page width="[0-9.]+" height="([0-9.]+)"', bbox).group(1))
    boxes = {
        m.group(5): tuple(float(m.group(i)) for i in range(1, 5))
        for m in re.finditer(
            r'<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]+)</word>', bbox
        )
    }
    for word in ("郑州市商务局", "2026年3月5日"):
        wx0, wy0, wx1, wy1 = boxes[word]
        assert x0 < wx0 and wx1 < x1 and y0 < height - wy1 and height - wy0 < y1, word
    png = tmp_path / "seal"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", str(page + 1), "-l", str(page + 1), str(pdf), str(png)],
        check=True,
        timeout=60,
    )
    from PIL import Image

    (img_path,) = tmp_path.glob("seal*.png")
    img = Image.open(img_path).convert("RGB")
    scale = 60 / 72
    red = sum(
        1
        for x in range(int(x0 * scale), int(x1 * scale))
        for y in range(int((height - y1) * scale), int((height - y0) * scale))
        if (lambda p: p[0] > 150 and p[1] < 90 and p[2] < 90)(img.getpixel((x, y)))
    )
    assert red > 200  # the red 样章 is drawn there


def test_verify_passes_a_signed_notice_and_names_signer_and_time(signed_once):
    pdf = the_pdf(signed_once)
    r = cli("verify", str(pdf), "--ledger", str(signed_once / "ledger.db"))
    assert r.returncode == 0, r.out
    assert "签名：完整，签名人 演示签章证书（样章，不具法律效力）" in r.out
    assert "2026-03-05 08:00:00（北京时间）" in r.out


def test_one_changed_byte_fails_the_signature_and_only_the_signature(signed_once, tmp_path):
    pdf = the_pdf(signed_once)
    data = bytearray(pdf.read_bytes())
    # one byte of the signature's signed /Reason (the update's other objects are compressed): the page reads the same
    at = data.index(b")", data.index(b"/Reason ("))
    data[at - 1] ^= 1
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(bytes(data))
    r = cli("verify", str(changed), "--ledger", str(signed_once / "ledger.db"))
    assert r.returncode == 1
    problems = [line.strip() for line in r.out.splitlines()[1:] if not line.strip().startswith("台账：")]
    assert problems and all(p.startswith("签名：") for p in problems), r.out
    assert "签名不完整" in r.out and "signature: the signature is not intact" in r.out


def test_a_stripped_signature_is_not_passed_off_as_a_docx_by_a_bent_header(signed_once, tmp_path):
    """签名被去掉、文件头被改一个字节（%PDF_）的 PDF：仍按 PDF 核验签名，不当作 DOCX 放过。"""
    data = the_pdf(signed_once).read_bytes()
    unsigned = data[: data.index(b"%%EOF") + 6]  # the revision before the signature
    bent = tmp_path / "bent.pdf"
    bent.write_bytes(b"%PDF_" + unsigned[5:])
    r = cli("verify", str(bent), "--ledger", str(signed_once / "ledger.db"))
    assert r.returncode == 1, r.out
    assert "DOCX" not in r.out and "签名：" in r.out


def test_verify_goes_on_past_a_file_it_cannot_read_and_ends_with_exit_2(signed_once, tmp_path):
    """几个文件一起核验：读不了的文件（空文件、不是通知书、不存在）逐一说明，其余照常核验；退出码 2。"""
    pdf = the_pdf(signed_once)
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not a notice", encoding="utf-8")
    files = [tmp_path / "empty.pdf", pdf, tmp_path / "notes.txt", tmp_path / "missing.pdf", pdf]
    r = cli("verify", *map(str, files), "--ledger", str(signed_once / "ledger.db"))
    assert r.returncode == 2, r.out + r.err
    assert r.out.count(f"✓ {pdf}: 核验通过") == 2  # the readable notices, before and after the bad files
    assert f"无法读取 / unreadable: {tmp_path / 'empty.pdf'}: 只能核验 PDF 或 DOCX 通知书" in r.err
    assert f"无法读取 / unreadable: {tmp_path / 'notes.txt'}" in r.err
    assert f"无法读取 / unreadable: {tmp_path / 'missing.pdf'}: 文件不存在" in r.err
    assert "Traceback" not in r.err


def test_content_appended_after_signing_fails_the_signature(signed_once, tmp_path):
    """An incremental update after the signature (text that changes what the page shows) is named."""
    from pypdf import PdfWriter

    pdf = the_pdf(signed_once)
    writer = PdfWriter(str(pdf), incremental=True)
    writer.add_metadata({"/Title": "forged"})
    appended = tmp_path / "appended.pdf"
    with open(appended, "wb") as fh:
        writer.write(fh)
    assert appended.read_bytes().startswith(pdf.read_bytes())
    r = cli("verify", str(appended), "--ledger", str(signed_once / "ledger.db"))
    assert r.returncode == 1 and "签名之后文件又被追加了内容" in r.out, r.out


def test_unsigned_is_a_choice_and_verify_says_unsigned(tmp_path, clock, profile_env):
    profile_env(None)
    r = award(tmp_path, "--unsigned")
    assert r.returncode == 0, r.err
    pdf = the_pdf(tmp_path)
    assert b"/ByteRange" not in pdf.read_bytes()
    strict = cli("verify", str(pdf), "--ledger", str(tmp_path / "ledger.db"))
    assert strict.returncode == 1 and "签名：PDF 未签名" in strict.out and "the PDF is not signed" in strict.out
    allowed = cli("verify", str(pdf), "--ledger", str(tmp_path / "ledger.db"), "--allow-unsigned")
    assert allowed.returncode == 0 and "签名：未签名 / signature: unsigned" in allowed.out


def _profile(tmp_path: Path, signing: dict | None) -> Path:
    data = yaml.safe_load(PACKAGED.read_text(encoding="utf-8"))
    data.pop("signing", None)
    if signing is not None:
        data["signing"] = signing
    path = tmp_path / "bureau.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_profile_without_a_key_and_no_unsigned_is_a_clear_error(tmp_path, clock, profile_env):
    profile_env(_profile(tmp_path, None))
    r = award(tmp_path)
    assert r.returncode == 2
    assert "没有签名证书" in r.err and "--unsigned" in r.err and "no signing key" in r.err
    assert not (tmp_path / "out").exists()
    assert "郑商务" not in cli("ledger", "list", "--ledger", str(tmp_path / "ledger.db")).out  # nothing recorded


def test_the_passphrase_is_never_in_the_profile(tmp_path, profile_env):
    profile_env(_profile(tmp_path, {"pkcs12": "k.p12", "passphrase": "secret", "seal": "s.png"}))
    r = award(tmp_path)
    assert r.returncode == 2 and "/signing/passphrase" in r.err and "passphrase_env" in r.err


def _self_signed(  # type: ignore[no-untyped-def]
    key,
    common_name: str,
    valid: tuple[dt.datetime, dt.datetime],
    *,
    serial: int,
    digest: bool = True,
    extensions: tuple = (),
):
    """A self-signed certificate (cryptography) for `key`, in force from valid[0] to valid[1] (UTC);
    `digest` False for a key that signs without one (Ed25519)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(valid[0].replace(tzinfo=dt.timezone.utc))
        .not_valid_after(valid[1].replace(tzinfo=dt.timezone.utc))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(key, hashes.SHA256() if digest else None)


def _bureau_key(
    tmp_path: Path,
    name: str,
    valid: tuple[dt.datetime, dt.datetime] = (dt.datetime(2025, 1, 1), dt.datetime(2030, 1, 1)),
) -> tuple[Path, Path]:
    """A bureau's own key and certificate (PKCS#12 with a passphrase, and the certificate as PEM),
    in force from `valid[0]` to `valid[1]` (UTC)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _self_signed(key, name, valid, serial=7)
    p12 = tmp_path / f"{name}.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"bureau", key, cert, None, serialization.BestAvailableEncryption(b"open sesame")
        )
    )
    pem = tmp_path / f"{name}.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return p12, pem


def _seal_png(path: Path) -> Path:
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (240, 240), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse((8, 8, 232, 232), outline=(220, 20, 20, 255), width=12)
    img.save(path)
    return path


def test_a_bureau_key_from_the_profile_with_its_passphrase_from_the_environment(
    tmp_path, clock, profile_env, monkeypatch
):
    p12, pem = _bureau_key(tmp_path, "郑州市商务局测试证书")
    profile = _profile(
        tmp_path,
        {
            "pkcs12": p12.name,
            "passphrase_env": "BUREAU_PASS",
            "certificate": pem.name,
            "seal": _seal_png(tmp_path / "seal.png").name,
        },
    )
    profile_env(profile)
    missing = award(tmp_path)
    assert missing.returncode == 2 and "BUREAU_PASS" in missing.err and "未设置" in missing.err
    monkeypatch.setenv("BUREAU_PASS", "wrong")
    assert "口令错误" in award(tmp_path).err
    monkeypatch.setenv("BUREAU_PASS", "open sesame")
    r = award(tmp_path)
    assert r.returncode == 0, r.err
    pdf = the_pdf(tmp_path)
    assert "Signer Certificate Common Name: 郑州市商务局测试证书" in pdfsig(pdf)
    monkeypatch.delenv("BUREAU_PASS")  # verify needs only the certificate
    ok = cli("verify", str(pdf), "--ledger", str(tmp_path / "ledger.db"))
    assert ok.returncode == 0 and "签名人 郑州市商务局测试证书" in ok.out, ok.out
    # the same file against another bureau's certificate: the signer is not that bureau's
    _, other = _bureau_key(tmp_path, "别的机关")
    profile_env(
        _profile(
            tmp_path,
            {"pkcs12": p12.name, "passphrase_env": "BUREAU_PASS", "certificate": other.name, "seal": "seal.png"},
        )
    )
    wrong = cli("verify", str(pdf), "--ledger", str(tmp_path / "ledger.db"))
    assert wrong.returncode == 1 and "签名：签名人不是发文机关的证书：郑州市商务局测试证书" in wrong.out


def _nothing_recorded(tmp_path: Path) -> bool:
    return "郑商务" not in cli("ledger", "list", "--ledger", str(tmp_path / "ledger.db")).out and not any(
        (tmp_path / "out").glob("*")
    )


@pytest.mark.parametrize(
    ("valid", "words"),
    [
        ((dt.datetime(2020, 1, 1), dt.datetime(2021, 1, 1)), ("已于 2021-01-01 过期", "expired on 2021-01-01")),
        ((dt.datetime(2027, 1, 1), dt.datetime(2030, 1, 1)), ("自 2027-01-01 起才生效", "valid only from 2027-01-01")),
    ],
    ids=["expired", "not-yet-valid"],
)
def test_a_certificate_not_in_force_on_the_award_date_signs_nothing(
    tmp_path, clock, profile_env, monkeypatch, valid, words
):
    """过期或尚未生效的证书不能签发通知书：清楚的错误，台账不记录，不写文件。"""
    p12, pem = _bureau_key(tmp_path, "郑州市商务局测试证书", valid)
    seal = _seal_png(tmp_path / "seal.png")
    profile_env(
        _profile(
            tmp_path, {"pkcs12": p12.name, "passphrase_env": "BUREAU_PASS", "certificate": pem.name, "seal": seal.name}
        )
    )
    monkeypatch.setenv("BUREAU_PASS", "open sesame")
    r = award(tmp_path)
    assert r.returncode == 2, r.out + r.err
    assert "/signing/pkcs12" in r.err and words[0] in r.err and words[1] in r.err and "Traceback" not in r.err
    assert _nothing_recorded(tmp_path)


def test_verify_refuses_a_signature_made_when_the_certificate_had_expired(tmp_path, clock, profile_env, monkeypatch):
    """A notice signed elsewhere with the bureau's expired key: intact, the bureau's certificate, yet not valid."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    profile_env(None)
    assert award(tmp_path, "--unsigned").returncode == 0
    pdf = the_pdf(tmp_path)
    p12, pem = _bureau_key(tmp_path, "郑州市商务局旧证书", (dt.datetime(2020, 1, 1), dt.datetime(2021, 1, 1)))
    signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=b"open sesame")
    with open(pdf, "rb") as fh:
        signed = signers.sign_pdf(
            IncrementalPdfFileWriter(fh), signers.PdfSignatureMetadata(field_name="Sig"), signer=signer
        )
    pdf.write_bytes(signed.getvalue())
    profile_env(
        _profile(
            tmp_path, {"pkcs12": p12.name, "passphrase_env": "BUREAU_PASS", "certificate": pem.name, "seal": "s.png"}
        )
    )
    r = cli("verify", str(pdf), "--ledger", str(tmp_path / "ledger.db"))
    assert r.returncode == 1, r.out
    assert "签名：签名时证书不在有效期内：证书“郑州市商务局旧证书”已于 2021-01-01 过期" in r.out
    assert "the certificate was not in force" in r.out


def test_the_certificate_verify_expects_must_exist_be_one_and_be_the_keys_own(
    tmp_path, clock, profile_env, monkeypatch
):
    """signing.certificate 是核验时认定的发文机关证书：缺失、不是证书、与私钥的证书不同，都在签发前说清楚。"""
    p12, pem = _bureau_key(tmp_path, "郑州市商务局测试证书")
    _, other = _bureau_key(tmp_path, "别的机关")
    (tmp_path / "garbage.pem").write_bytes(
        b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"
    )
    (tmp_path / "random.der").write_bytes(bytes(range(256)) * 4)
    seal = _seal_png(tmp_path / "seal.png")
    monkeypatch.setenv("BUREAU_PASS", "open sesame")

    def use(certificate: str) -> Path:
        profile = _profile(
            tmp_path,
            {"pkcs12": p12.name, "passphrase_env": "BUREAU_PASS", "certificate": certificate, "seal": seal.name},
        )
        profile_env(profile)
        return profile

    for certificate, words in (
        ("missing.pem", ("证书文件不存在", "no certificate file")),
        ("garbage.pem", ("不是 PEM 或 DER 格式的 X.509 证书", "is not an X.509 certificate")),
        ("random.der", ("不是 PEM 或 DER 格式的 X.509 证书", "is not an X.509 certificate")),
        (other.name, ("与 PKCS#12 文件中的签名证书不是同一张", "is not the certificate in the PKCS#12 file")),
    ):
        use(certificate)
        r = award(tmp_path)
        assert r.returncode == 2, (certificate, r.out, r.err)
        assert "/signing/certificate" in r.err and words[0] in r.err and words[1] in r.err, r.err
        assert _nothing_recorded(tmp_path)
    # with the right certificate the notice is signed; verify against a profile whose certificate
    # file is broken says so, once, and never as an internal error
    use(pem.name)
    assert award(tmp_path).returncode == 0
    use("random.der")
    r = cli("verify", str(the_pdf(tmp_path)), "--ledger", str(tmp_path / "ledger.db"))
    assert r.returncode == 1 and "内部错误" not in r.out + r.err, r.out + r.err
    assert "签名：证书文件" in r.out and "不是 PEM 或 DER 格式的 X.509 证书" in r.out
    assert "未给出 signing.certificate" not in r.out  # it does give one: it is broken


def test_a_seal_that_is_no_picture_says_what_a_seal_must_be(tmp_path, clock, profile_env, monkeypatch):
    """印章图片缺失、是 SVG、不是图片：说明须为 PNG、JPEG 等位图；台账不记录。"""
    p12, pem = _bureau_key(tmp_path, "郑州市商务局测试证书")
    (tmp_path / "seal.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><circle r="9"/></svg>', encoding="utf-8"
    )
    (tmp_path / "seal.png").write_text("not a picture", encoding="utf-8")
    monkeypatch.setenv("BUREAU_PASS", "open sesame")
    for seal in ("missing.png", "seal.svg", "seal.png"):
        profile_env(
            _profile(
                tmp_path, {"pkcs12": p12.name, "passphrase_env": "BUREAU_PASS", "certificate": pem.name, "seal": seal}
            )
        )
        r = award(tmp_path)
        assert r.returncode == 2, r.out + r.err
        assert f"/signing/seal: 无法读取印章图片：{tmp_path / seal}（须为 PNG、JPEG 等位图文件" in r.err
        assert "export an SVG to PNG first" in r.err
        assert _nothing_recorded(tmp_path)


def test_a_seal_image_too_large_or_a_decompression_bomb_is_refused_clearly(tmp_path, clock, profile_env, monkeypatch):
    """印章图片过大（或解压炸弹）：清楚的错误，不是内部错误，也没有 Pillow 的警告。"""
    from PIL import Image

    p12, pem = _bureau_key(tmp_path, "郑州市商务局测试证书")
    Image.new("1", (30000, 30000)).save(tmp_path / "bomb.png")  # ~100 KB on disk, 900 million pixels
    Image.new("1", (8000, 8000)).save(tmp_path / "big.png")
    monkeypatch.setenv("BUREAU_PASS", "open sesame")
    for seal in ("bomb.png", "big.png"):
        profile_env(
            _profile(
                tmp_path, {"pkcs12": p12.name, "passphrase_env": "BUREAU_PASS", "certificate": pem.name, "seal": seal}
            )
        )
        r = award(tmp_path)
        assert r.returncode == 2, r.out + r.err
        assert "/signing/seal" in r.err and "印章图片过大" in r.err and "too large" in r.err
        assert "Warning" not in r.err and "内部错误" not in r.err
        assert _nothing_recorded(tmp_path)
    assert "8000×8000 像素" in r.err


def test_signing_is_deterministic_under_source_date_epoch(signed_once, tmp_path, clock, profile_env):
    """The same unsigned notice and clock give the same signed bytes (RSA, no TSA)."""
    from zzcbec_docs.documents import signing

    profile_env(None)
    profile = issuer_module.load_issuer()
    unsigned = the_pdf(signed_once).read_bytes()
    unsigned = unsigned[: unsigned.index(b"%%EOF") + 6]
    when = dt.datetime(2026, 3, 5, tzinfo=dt.timezone.utc)
    one = signing.sign_pdf(unsigned, profile.signing, when=when, issuer="郑州市商务局", date_text="2026年3月5日")
    two = signing.sign_pdf(unsigned, profile.signing, when=when, issuer="郑州市商务局", date_text="2026年3月5日")
    assert one == two == the_pdf(signed_once).read_bytes()


# ------------------------------------------------------------------ a trusted timestamp from a local TSA


class _TSA(http.server.BaseHTTPRequestHandler):
    """An RFC 3161 timestamp authority on 127.0.0.1: pyHanko's DummyTimeStamper behind HTTP."""

    stamper = None
    requests = 0

    def do_POST(self) -> None:  # noqa: N802
        from asn1crypto import tsp

        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).requests += 1
        reply = self.stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:
        pass


def _tsa_stamper():  # type: ignore[no-untyped-def]
    from asn1crypto import keys, x509
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _self_signed(
        key,
        "Local test TSA",
        (dt.datetime(2020, 1, 1), dt.datetime(2040, 1, 1)),
        serial=11,
        extensions=((cx509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True),),
    )
    return DummyTimeStamper(
        tsa_cert=x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        fixed_dt=dt.datetime(2026, 3, 5, 1, 2, 3, tzinfo=dt.timezone.utc),
    )


def test_a_configured_tsa_timestamps_the_signature(tmp_path, clock, profile_env):
    _TSA.stamper, _TSA.requests = _tsa_stamper(), 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TSA)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/tsr"
        profile_env(_profile(tmp_path, {"demo": True, "tsa_url": url}))
        r = award(tmp_path)
        assert r.returncode == 0, r.err
        assert _TSA.requests >= 1
        pdf = the_pdf(tmp_path)
        v = cli("verify", str(pdf), "--ledger", str(tmp_path / "ledger.db"))
        assert v.returncode == 0, v.out
        assert "签名时间，时间戳 2026-03-05 09:02:03（北京时间）" in v.out  # the TSA's time
        assert len(pdf.read_bytes()) <= 100 * 1024 + 4096  # a token adds the TSA's certificate
        shutil.copy(pdf, tmp_path / "kept.pdf")
    finally:
        server.shutdown()
        server.server_close()
    # a TSA that does not answer is a clear error, and nothing is recorded
    profile_env(_profile(tmp_path, {"demo": True, "tsa_url": url}))
    again = award(tmp_path, sample="multi-clause-eligible.yaml")
    assert again.returncode != 0 and "时间戳服务" in again.err and "Traceback" not in again.err
    assert "郑商务〔2026〕2号" not in cli("ledger", "list", "--ledger", str(tmp_path / "ledger.db")).out


class _GarbageTSA(http.server.BaseHTTPRequestHandler):
    """A server at the TSA's address that answers with bytes that are no RFC 3161 response."""

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        reply = bytes(range(7, 250))  # a DER header claiming far more bytes than follow
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:
        pass


def test_a_tsa_answering_garbage_is_named_in_plain_words_and_nothing_is_recorded(tmp_path, clock, profile_env):
    """时间戳服务答复的不是时间戳：错误说清是哪个服务、什么问题，不转述解析库的原话；台账不记录。"""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _GarbageTSA)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/tsr"
        profile_env(_profile(tmp_path, {"demo": True, "tsa_url": url}))
        r = award(tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    assert r.returncode == 1, r.out + r.err
    assert f"无法从时间戳服务 {url} 取得时间戳" in r.err and "no RFC 3161 timestamp" in r.err
    assert "Insufficient data" not in r.err and "ValueError" not in r.err and "Traceback" not in r.err
    assert _nothing_recorded(tmp_path)


def _other_key(tmp_path: Path, algorithm: str) -> Path:
    """A PKCS#12 (passphrase "open sesame") with an Ed25519 key (cryptography) or an SM2 国密 key (OpenSSL)."""
    p12 = tmp_path / f"{algorithm}.p12"
    if algorithm == "ed25519":
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
        from cryptography.hazmat.primitives.serialization import pkcs12

        key = ed25519.Ed25519PrivateKey.generate()
        cert = _self_signed(
            key, "Ed25519 证书", (dt.datetime(2025, 1, 1), dt.datetime(2030, 1, 1)), serial=3, digest=False
        )
        p12.write_bytes(
            pkcs12.serialize_key_and_certificates(
                b"k", key, cert, None, serialization.BestAvailableEncryption(b"open sesame")
            )
        )
        return p12
    openssl = shutil.which("openssl")
    key, pem = tmp_path / "sm2.key", tmp_path / "sm2.pem"
    steps = [
        [openssl, "genpkey", "-algorithm", "SM2", "-out", str(key)],
        [
            openssl,
            "req",
            "-new",
            "-x509",
            "-key",
            str(key),
            "-sm3",
            "-subj",
            "/CN=SM2",
            "-days",
            "365",
            "-out",
            str(pem),
        ],
        [
            openssl,
            "pkcs12",
            "-export",
            "-inkey",
            str(key),
            "-in",
            str(pem),
            "-out",
            str(p12),
            "-passout",
            "pass:open sesame",
        ],
    ]
    if openssl is None or any(subprocess.run(s, capture_output=True, timeout=60).returncode for s in steps):
        pytest.skip("this OpenSSL makes no SM2 key")
    return p12


@pytest.mark.parametrize(("algorithm", "named"), [("ed25519", "Ed25519"), ("sm2", "SM2")])
def test_a_key_pades_cannot_sign_with_is_named_before_anything_is_recorded(
    tmp_path, clock, profile_env, monkeypatch, algorithm, named
):
    """国密 SM2 或 Ed25519 的证书不能做 PAdES 签名：说清算法与可用的证书，不是内部错误；台账不记录。"""
    p12 = _other_key(tmp_path, algorithm)
    seal = _seal_png(tmp_path / "seal.png")
    profile_env(_profile(tmp_path, {"pkcs12": p12.name, "passphrase_env": "BUREAU_PASS", "seal": seal.name}))
    monkeypatch.setenv("BUREAU_PASS", "open sesame")
    r = award(tmp_path)
    assert r.returncode == 2, r.out + r.err
    assert f"的密钥算法不受支持（{named}）" in r.err and "use an RSA or ECDSA" in r.err and "/signing/pkcs12" in r.err
    assert "内部错误" not in r.err and "SigningError" not in r.err
    assert _nothing_recorded(tmp_path)


def test_a_renewed_certificate_put_in_place_of_the_old_one_signs_the_next_notice(
    tmp_path, clock, profile_env, monkeypatch
):
    """证书到期换新：新的 PKCS#12 和证书放在原来的位置，下一份通知书就用新证书签（不必重启服务）。"""
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    old_p12, old_pem = _bureau_key(tmp_path / "old", "郑州市商务局2025证书")
    new_p12, new_pem = _bureau_key(tmp_path / "new", "郑州市商务局2026证书")
    p12, pem = tmp_path / "bureau.p12", tmp_path / "bureau.pem"
    shutil.copy(old_p12, p12)
    shutil.copy(old_pem, pem)
    seal = _seal_png(tmp_path / "seal.png")
    profile = _profile(
        tmp_path, {"pkcs12": p12.name, "passphrase_env": "BUREAU_PASS", "certificate": pem.name, "seal": seal.name}
    )
    profile_env(profile)
    monkeypatch.setenv("BUREAU_PASS", "open sesame")
    assert award(tmp_path).returncode == 0
    assert "郑州市商务局2025证书" in pdfsig(the_pdf(tmp_path))
    shutil.copy(new_p12, p12)  # the renewal, in the same process (the CLI in process keeps its signer, as a desk does)
    shutil.copy(new_pem, pem)
    profile_env(profile)
    r = award(tmp_path, sample="multi-clause-eligible.yaml")
    assert r.returncode == 0, r.err
    (second,) = (tmp_path / "out").glob("91410100MA4600016N-*.pdf")
    assert "郑州市商务局2026证书" in pdfsig(second)
