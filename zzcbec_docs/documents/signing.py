"""PAdES signatures on the award notice (pyHanko), and checking them.

The issuer profile names the bureau's key and certificate (`signing:` in the profile, documents.md):
a PKCS#12 file, the environment variable that holds its passphrase (never the passphrase itself),
the seal image drawn where the 印章 goes, the bureau's certificate for `verify`, and an RFC 3161
timestamp authority (TSA). The packaged demo profile says `demo: true`: on first use a demo key and
self-signed certificate are made into the cache folder (never committed) and the seal drawn is a
clearly marked 样章 (vectors, no image).

The signature is an incremental update of the PDF/A-2b file (the XMP and the document information
are left as they were, so the file stays PDF/A), its visible appearance over the 署名 and 成文日期
(GB/T 9704 §7.3.5.1: the seal 端正、居中下压 the issuer's name and the date). With RSA keys and
no TSA the bytes are the same for the same input and clock (SOURCE_DATE_EPOCH): the signing time is
the documents' clock, the file identifier a digest of the unsigned file. A TSA's token carries the
authority's own time and nonce, so a timestamped notice differs on every run.

pyHanko is imported here only, when a notice is signed or checked (`zzcbec check` never loads it),
and then without its HTTP timestamp client unless a TSA is configured (patches.prepare_pyhanko).
The CMS is as small as PAdES B-B lets it be: the signing certificate and the chain's intermediates
(never a self-signed root: a verifier must hold its trust anchors already), and the /Contents
placeholder sized to the signature itself (with a small margin only where its size can vary: a
TSA's token, an ECDSA signature).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from zzcbec_docs.errors import ArgumentError, RenderError, TimestampUnavailable

FIELD = "Signature1"
SEAL_MM = 42.0  # a 公章's diameter
PT_PER_MM = 72 / 25.4
DEMO_PASSPHRASE = b"zzcbec-demo-not-a-secret"  # the demo key is a demo: its passphrase is no secret either
DEMO_NAME = "演示签章证书（样章，不具法律效力）"
DEMO_FILE = "demo-p256.p12"  # an ECDSA P-256 key: its certificate and signature are 0.6 KB smaller than RSA-2048's
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
SEAL_RED = (0.85, 0.1, 0.1)
SEAL_MAX_PX = 6000  # a seal scanned at 1200 dpi is ~2000 px: anything past this is a mistake (or a decompression bomb)


@dataclass(frozen=True)
class Signing:
    """The profile's `signing:` section (documents.md)."""

    demo: bool = False
    pkcs12: str | None = None
    passphrase_env: str | None = None
    certificate: str | None = None  # the bureau's certificate (PEM or DER) for verify; default: the one in pkcs12
    seal: str | None = None  # the seal image (PNG…); the demo draws its 样章
    tsa_url: str | None = None
    source: str = ""


SIGNING_KEYS = ("demo", "pkcs12", "passphrase_env", "certificate", "seal", "tsa_url")


def parse_signing(data: Any, source: str, base: Path) -> Signing | None:
    """The `signing:` mapping of a profile, checked; None where the profile has none."""
    if data is None:
        return None

    def fail(pointer: str, zh: str, en: str) -> ArgumentError:
        return ArgumentError(f"发文机关配置有误：{zh}", f"issuer profile: {en}", file=source, pointer=pointer)

    if not isinstance(data, dict):
        raise fail("/signing", "signing 应为键值映射", "signing must be a mapping")
    if "passphrase" in data or "password" in data:
        key = "passphrase" if "passphrase" in data else "password"
        raise fail(
            f"/signing/{key}",
            "证书口令不得写在配置文件中：请用 passphrase_env 指定存放口令的环境变量",
            "the passphrase never goes in the profile: name the environment variable that holds it with passphrase_env",
        )
    unknown = sorted(set(data) - set(SIGNING_KEYS))
    if unknown:
        raise fail(
            f"/signing/{unknown[0]}",
            f"未知的键“{unknown[0]}”（可用：{'、'.join(SIGNING_KEYS)}）",
            f"unknown key {unknown[0]!r} (known: {', '.join(SIGNING_KEYS)})",
        )
    demo = data.get("demo", False)
    if not isinstance(demo, bool):
        raise fail("/signing/demo", "demo 应为 true 或 false", "demo is true or false")

    def path(key: str) -> str | None:
        v = data.get(key)
        if v in (None, ""):
            return None
        if not isinstance(v, str):
            raise fail(f"/signing/{key}", f"{key} 应为文件路径", f"{key} is a file path")
        return str(Path(v) if Path(v).is_absolute() else (base / v).resolve())

    tsa = data.get("tsa_url")
    if tsa not in (None, "") and (not isinstance(tsa, str) or not re.match(r"^https?://[^\s]+$", tsa)):
        raise fail("/signing/tsa_url", "tsa_url 应为 http(s):// 地址", "tsa_url is an http(s):// URL")
    env = data.get("passphrase_env")
    if env is not None and (not isinstance(env, str) or not ENV_NAME.match(env)):
        raise fail(
            "/signing/passphrase_env",
            "passphrase_env 应为环境变量名（如 ZZCBEC_SIGNING_PASSPHRASE）",
            "passphrase_env is the name of an environment variable (e.g. ZZCBEC_SIGNING_PASSPHRASE)",
        )
    s = Signing(
        demo=demo,
        pkcs12=path("pkcs12"),
        passphrase_env=env,
        certificate=path("certificate"),
        seal=path("seal"),
        tsa_url=tsa or None,
        source=source,
    )
    if not demo:
        for key in ("pkcs12", "passphrase_env", "seal"):
            if getattr(s, key) is None:
                raise fail(
                    f"/signing/{key}",
                    f"签名配置缺少 {key}（或写 demo: true 使用演示证书）",
                    f"signing needs {key} (or demo: true for the demo certificate)",
                )
    return s


# ------------------------------------------------------------------ the demo key, made on first use


def demo_dir() -> Path:
    from zzcbec_docs.resources import cache_root

    return cache_root() / "signing"


def demo_pkcs12() -> Path:
    """The demo key and self-signed certificate (PKCS#12), made once into the cache folder; a lock
    keeps two processes from making two different keys."""
    import fcntl

    folder = demo_dir()
    target = folder / DEMO_FILE
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.is_file():
            from zzcbec_docs.documents.atomic import write_atomic

            write_atomic(target, _make_demo_pkcs12())
            (folder / "README.txt").write_text(
                "演示签章证书（zzcbec-docs 首次签章时生成，不具法律效力）。删除本目录即可重新生成。\n"
                "The demo signing key of zzcbec-docs, made on first use; not valid for anything.\n",
                encoding="utf-8",
            )
    return target


def _make_demo_pkcs12() -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.COMMON_NAME, DEMO_NAME),
        ]
    )
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(
            int.from_bytes(os.urandom(8), "big") >> 1 | 1
        )  # 63 random bits: the serial is in the CMS 3 times
        .not_valid_before(dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
        .not_valid_after(dt.datetime(2099, 12, 31, tzinfo=dt.timezone.utc))
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        b"zzcbec demo", key, cert, None, serialization.BestAvailableEncryption(DEMO_PASSPHRASE)
    )


# ------------------------------------------------------------------ key, certificate, seal


def _passphrase(s: Signing) -> bytes | None:
    if s.demo:
        return DEMO_PASSPHRASE
    assert s.passphrase_env
    value = os.environ.get(s.passphrase_env)
    if value is None:
        raise ArgumentError(
            f"签名证书口令的环境变量 {s.passphrase_env} 未设置（发文机关配置 {s.source} 的 signing.passphrase_env）",
            f"the environment variable {s.passphrase_env} holding the signing key's passphrase is not "
            f"set (signing.passphrase_env of the issuer profile {s.source})",
            file=s.source,
            pointer="/signing/passphrase_env",
        )
    return value.encode("utf-8") or None


def _pkcs12_path(s: Signing) -> Path:
    path = demo_pkcs12() if s.demo else Path(s.pkcs12 or "")
    if not path.is_file():
        raise ArgumentError(
            f"签名证书文件不存在：{path}",
            f"no signing key file (PKCS#12) at {path}",
            file=s.source,
            pointer="/signing/pkcs12",
        )
    return path


def load_signer(s: Signing) -> Any:
    """pyHanko's signer for the profile's key (the PKCS#12 file and its passphrase), opened once a
    process — and again when the file changes (a renewed certificate put where the old one was:
    a running desk signs with it from the next notice on)."""
    try:
        stat = os.stat(s.pkcs12) if s.pkcs12 else None
    except OSError:
        stat = None  # _open_signer says it is missing
    on_disk = (stat.st_mtime_ns, stat.st_size, stat.st_ino) if stat else None
    key = (s.demo, s.pkcs12, on_disk, s.passphrase_env and os.environ.get(s.passphrase_env))
    if key not in _SIGNERS:
        _SIGNERS.clear()
        _SIGNERS[key] = _open_signer(s)
    return _SIGNERS[key]


_SIGNERS: dict[tuple[object, ...], Any] = {}


def _open_signer(s: Signing) -> Any:
    _prepare()
    from asn1crypto import keys, x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs12
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    path = _pkcs12_path(s)
    try:
        key, cert, others = pkcs12.load_key_and_certificates(path.read_bytes(), _passphrase(s))
    except ValueError:
        raise ArgumentError(
            f"无法打开签名证书 {path}：口令错误或不是 PKCS#12 文件",
            f"cannot open the signing key {path}: wrong passphrase, or not a PKCS#12 file",
            file=s.source,
            pointer="/signing/pkcs12",
        ) from None
    except UnsupportedAlgorithm as exc:  # an SM2 (国密) key: OpenSSL's curve, not cryptography's
        raise _unsupported_key(s, path, _algorithm(exc)) from None
    if key is None or cert is None:
        raise ArgumentError(
            f"签名证书文件 {path} 中没有私钥或证书",
            f"{path} holds no private key or no certificate",
            file=s.source,
            pointer="/signing/pkcs12",
        )
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise _unsupported_key(s, path, type(key).__name__.lstrip("_").removesuffix("PrivateKey"))
    # the chain's intermediates go into the CMS; a self-signed root is the verifier's own trust anchor
    chain = [x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in others if c.issuer != c.subject]
    return _deterministic_signer()(
        signing_cert=x509.Certificate.load(cert.public_bytes(Encoding.DER)),
        signing_key=keys.PrivateKeyInfo.load(key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs(chain),  # type: ignore[no-untyped-call]
    )


def _algorithm(exc: Exception) -> str:
    return "SM2" if "1.2.156.10197.1.301" in str(exc) else str(exc)


def _unsupported_key(s: Signing, path: Path, algorithm: str) -> ArgumentError:
    return ArgumentError(
        f"签名证书 {path} 的密钥算法不受支持（{algorithm}）：PAdES 签名请用 RSA 或 ECDSA（P-256、P-384）证书，"
        "SM2 国密证书暂不支持",
        f"the signing key {path} uses an algorithm that cannot sign here ({algorithm}): use an RSA or ECDSA "
        "(P-256, P-384) certificate; SM2 is not supported",
        file=s.source,
        pointer="/signing/pkcs12",
    )


def _deterministic_signer() -> Any:
    """pyHanko's SimpleSigner whose ECDSA signatures are deterministic (RFC 6979): the same notice,
    key and clock give the same bytes with an ECDSA key as with an RSA one."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from pyhanko.sign import signers
    from pyhanko_certvalidator.util import get_pyca_cryptography_hash

    class Signer(signers.SimpleSigner):
        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                return bytes(super().sign_raw(data, digest_algorithm))
            algorithm = ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm), deterministic_signing=True)
            return key.sign(data, algorithm)

    return Signer


def bureau_certificate(s: Signing) -> Any | None:
    """The bureau's certificate (asn1crypto) that a signature must be made with: the profile's
    `certificate` file, else the one in the PKCS#12 file (where its passphrase is at hand)."""
    from asn1crypto import pem, x509

    if s.certificate:
        raw = Path(s.certificate).read_bytes() if Path(s.certificate).is_file() else None
        if raw is None:
            raise ArgumentError(
                f"证书文件不存在：{s.certificate}",
                f"no certificate file at {s.certificate}",
                file=s.source,
                pointer="/signing/certificate",
            )
        try:
            if pem.detect(raw):
                _, _, raw = pem.unarmor(raw)
            cert = x509.Certificate.load(raw)
            cert.native  # noqa: B018 - asn1crypto parses lazily: a file that is no certificate fails here
        except ValueError:
            raise ArgumentError(
                f"证书文件 {s.certificate} 不是 PEM 或 DER 格式的 X.509 证书",
                f"{s.certificate} is not an X.509 certificate (PEM or DER)",
                file=s.source,
                pointer="/signing/certificate",
            ) from None
        return cert
    if not s.demo and (s.passphrase_env is None or os.environ.get(s.passphrase_env) is None):
        return None
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

    try:
        _, cert, _ = pkcs12.load_key_and_certificates(_pkcs12_path(s).read_bytes(), _passphrase(s))
    except ValueError:
        return None
    except UnsupportedAlgorithm as exc:
        raise _unsupported_key(s, _pkcs12_path(s), _algorithm(exc)) from None
    return x509.Certificate.load(cert.public_bytes(Encoding.DER)) if cert is not None else None


def _seal_content(s: Signing, size: float) -> Any:
    """The appearance's picture: the profile's seal image, or the demo's 样章 drawn as vectors."""
    _prepare()
    from pyhanko.pdf_utils.content import PdfResources, RawContent, ResourceType
    from pyhanko.pdf_utils.generic import DictionaryObject, NameObject, pdf_name
    from pyhanko.pdf_utils.layout import BoxConstraints

    if s.demo:
        resources = PdfResources()  # type: ignore[no-untyped-call]
        resources[ResourceType.EXT_G_STATE][pdf_name("/SealGS")] = DictionaryObject(  # type: ignore[no-untyped-call]
            {NameObject("/BM"): NameObject("/Multiply")}
        )
        return RawContent(demo_seal_ops(size), resources=resources, box=BoxConstraints(size, size))
    from PIL import Image
    from pyhanko.pdf_utils.images import PdfImage

    path = Path(s.seal or "")
    img: Image.Image

    def too_large(width: int = 0, height: int = 0) -> ArgumentError:
        zh, en = (f"{width}×{height} 像素，", f"{width}×{height} pixels; ") if width else ("", "")
        return ArgumentError(
            f"印章图片过大：{path}（{zh}最大边不超过 {SEAL_MAX_PX} 像素）",
            f"the seal image {path} is too large ({en}at most {SEAL_MAX_PX} pixels a side)",
            file=s.source,
            pointer="/signing/seal",
        )

    try:
        with warnings.catch_warnings():  # Pillow's DecompressionBombWarning: said below, in our words
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)  # reads the header only: the size is known before the pixels are decoded
        if max(img.size) > SEAL_MAX_PX:
            raise too_large(img.width, img.height)
        img.load()
    except Image.DecompressionBombError:
        raise too_large() from None
    except (OSError, ValueError):
        raise ArgumentError(
            f"无法读取印章图片：{path}（须为 PNG、JPEG 等位图文件；SVG 请先导出为 PNG）",
            f"cannot read the seal image {path} (a PNG, JPEG or other raster file; export an SVG to PNG first)",
            file=s.source,
            pointer="/signing/seal",
        ) from None
    if img.mode not in ("RGB", "RGBA", "L", "LA"):
        img = img.convert("RGBA")
    longest = max(img.size)
    if longest > 600:  # 42 mm at ~360 dpi is plenty for a seal: keep the notice small
        img = img.resize((round(img.width * 600 / longest), round(img.height * 600 / longest)))
    return PdfImage(img, name="Seal", box=BoxConstraints(size, size))


def _circle(cx: float, cy: float, r: float) -> str:
    k = 0.5523 * r
    return (
        f"{cx + r:.2f} {cy:.2f} m {cx + r:.2f} {cy + k:.2f} {cx + k:.2f} {cy + r:.2f} {cx:.2f} {cy + r:.2f} c "
        f"{cx - k:.2f} {cy + r:.2f} {cx - r:.2f} {cy + k:.2f} {cx - r:.2f} {cy:.2f} c "
        f"{cx - r:.2f} {cy - k:.2f} {cx - k:.2f} {cy - r:.2f} {cx:.2f} {cy - r:.2f} c "
        f"{cx + k:.2f} {cy - r:.2f} {cx + r:.2f} {cy - k:.2f} {cx + r:.2f} {cy:.2f} c h"
    )


def demo_seal_ops(size: float) -> bytes:
    """A red ring, a star and 样章 across: a seal no one takes for a real one (each character's
    outline costs ~0.6 KB of the notice: the words are few)."""
    c = size / 2
    ring = size * 3 / 100  # the ring's width: 3% of the diameter
    ops = [
        "q /SealGS gs",
        "%.2f %.2f %.2f RG %.2f %.2f %.2f rg" % (SEAL_RED * 2),
        f"{ring:.2f} w {_circle(c, c, c - ring)} S",
    ]
    star = []
    for i in range(10):
        r = size * (0.15 if i % 2 == 0 else 0.06)
        a = math.pi / 2 + i * math.pi / 5
        star.append(f"{c + r * math.cos(a):.2f} {c + size * 0.05 + r * math.sin(a):.2f} {'m' if i == 0 else 'l'}")
    ops.append(" ".join(star) + " h f")
    big = size * 0.15
    for i, ch in enumerate("样章"):  # low in the ring, under the issuer's name and the date
        ops.append(_glyph_ops(ch, big, c + (i - 0.5) * big * 1.15, c - size * 0.36 + big / 2, 0.0))
    ops.append("Q")
    return "\n".join(o for o in ops if o).encode("ascii")


def _glyph_ops(ch: str, size: float, x: float, y: float, rotation: float) -> str:
    """One character's outline as a filled path, centred on (x, y), turned by `rotation`."""
    outline = _outlines().get(ch)
    if outline is None:
        return ""
    ops, upm = outline
    s = size / upm
    cos, sin = math.cos(rotation) * s, math.sin(rotation) * s
    # the glyph's box centre (upm/2, upm*0.38) goes to (x, y)
    ox, oy = upm / 2, upm * 0.38
    e = x - (cos * ox - sin * oy)
    f = y - (sin * ox + cos * oy)
    return f"q {cos:.5f} {sin:.5f} {-sin:.5f} {cos:.5f} {e:.2f} {f:.2f} cm {ops} f Q"


_OUTLINES: dict[str, tuple[str, int]] = {}


def _outlines() -> dict[str, tuple[str, int]]:
    """The demo seal's characters as PDF path operators, from the documents' 小标宋 face (fontTools):
    a 公章's lettering is a heavy 宋体 (and its outlines are lighter than the 黑体's)."""
    if _OUTLINES:
        return _OUTLINES
    from fontTools.pens.basePen import BasePen
    from fontTools.ttLib import TTFont

    from zzcbec_docs.documents import fonts

    face = fonts.font_for("xiaobiaosong")
    font = TTFont(face.path, fontNumber=face.index, lazy=True)
    cmap = font.getBestCmap()
    glyphs = font.getGlyphSet()
    upm = font["head"].unitsPerEm

    class Pen(BasePen):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(glyphs)
            self.ops: list[str] = []

        def _moveTo(self, p: Any) -> None:
            self.ops.append(f"{p[0] / 10:.0f} {p[1] / 10:.0f} m")

        def _lineTo(self, p: Any) -> None:
            self.ops.append(f"{p[0] / 10:.0f} {p[1] / 10:.0f} l")

        def _curveToOne(self, a: Any, b: Any, p: Any) -> None:
            self.ops.append(" ".join(f"{v / 10:.0f}" for v in (*a, *b, *p)) + " c")

        def _closePath(self) -> None:
            self.ops.append("h")

    for ch in "样章":
        name = cmap.get(ord(ch))
        if name is None:
            continue
        pen = Pen()
        glyphs[name].draw(pen)
        _OUTLINES[ch] = (" ".join(pen.ops), upm // 10)  # in tenths of the face's units: small enough
    font.close()
    return _OUTLINES


# ------------------------------------------------------------------ where the seal goes


@dataclass(frozen=True)
class SealPlace:
    page: int  # 0-based
    box: tuple[float, float, float, float]  # PDF points, origin at the bottom left


def seal_place(pdf: bytes, issuer: str, date_text: str) -> SealPlace:
    """Over the 署名 and the 成文日期 (found in the PDF's own word boxes): the seal centred on them,
    the two lines a little below its centre (GB/T 9704 §7.3.5.1)."""
    import subprocess
    from xml.etree import ElementTree

    try:
        out = subprocess.run(
            ["pdftotext", "-bbox", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60
        ).stdout
    except FileNotFoundError:
        raise RenderError(
            "未找到 pdftotext；请安装 poppler-utils", "pdftotext not found: install poppler-utils"
        ) from None
    except subprocess.CalledProcessError:
        raise RenderError("签章前无法读取通知书 PDF", "cannot read the notice's PDF to place the seal") from None
    root = ElementTree.fromstring(re.sub(rb"<!DOCTYPE[^>]*>", b"", out))
    ns = "{http://www.w3.org/1999/xhtml}"
    for index, page in enumerate(root.iter(f"{ns}page")):
        height = float(page.get("height") or 842)
        words: list[tuple[str, float, float, float, float]] = [
            (w.text or "", *(float(w.get(k) or 0) for k in ("xMin", "yMin", "xMax", "yMax")))  # type: ignore[misc]
            for w in page.iter(f"{ns}word")
        ]
        for i, (text, x0, y0, x1, y1) in enumerate(words):
            if text != date_text:
                continue
            above = [w for w in words[:i] if w[0] == issuer and w[4] <= y0 and y0 - w[4] < 40]
            if not above:
                continue
            _, ix0, iy0, ix1, _ = above[-1]
            cx = (min(x0, ix0) + max(x1, ix1)) / 2
            cy = (iy0 + y1) / 2 - 0.1 * SEAL_MM * PT_PER_MM  # the lines sit below the seal's centre
            r = SEAL_MM * PT_PER_MM / 2
            return SealPlace(
                index, (round(cx - r, 2), round(height - cy - r, 2), round(cx + r, 2), round(height - cy + r, 2))
            )
    raise RenderError(
        f"通知书中找不到署名“{issuer}”和成文日期“{date_text}”，无法确定盖章位置",
        f"the notice shows no issuer line {issuer!r} above the date {date_text!r}: nowhere to seal",
    )


# ------------------------------------------------------------------ signing


def require_signing(profile: Any) -> Signing:
    """The profile's signing section, or the clear error: unsigned is a choice (--unsigned), never a fallback."""
    if profile.signing is None:
        raise ArgumentError(
            f"发文机关配置 {profile.source} 没有签名证书（signing）：请在配置中写明 signing（PKCS#12 证书、口令环境变量、"
            "印章图片），或用 --unsigned 明确出具不签名的通知书",
            f"the issuer profile {profile.source} has no signing key (signing): configure one (a PKCS#12 file, the "
            "variable holding its passphrase, the seal image), or issue the notice unsigned on purpose with --unsigned",
            file=profile.source,
            pointer="/signing",
        )
    return profile.signing  # type: ignore[no-any-return]


def sign_notice(
    pdf: bytes, *, issuer: str | None = None, profile: str | None = None, date: dt.date | None = None
) -> bytes:
    """A numbered notice's PDF signed with its issuer profile's key, at the documents' clock
    (SOURCE_DATE_EPOCH, else now), its seal over the 署名 and the 成文日期."""
    from zzcbec_docs.documents.content import NoticeOptions, default_date, document_time
    from zzcbec_docs.vocabulary import cn_date

    issuer_profile = NoticeOptions(issuer=issuer, profile=profile).issuer_profile()
    s = require_signing(issuer_profile)
    return sign_pdf(pdf, s, when=document_time(), issuer=issuer_profile.name, date_text=cn_date(date or default_date()))


def sign_pdf(
    pdf: bytes,
    s: Signing,
    *,
    when: dt.datetime,
    issuer: str,
    date_text: str,
    reason: str = "奖励通知书",
    signer: Any = None,
) -> bytes:
    """The notice signed (PAdES B-B, or B-T with the profile's TSA), as an incremental update."""
    import hashlib
    import io

    _prepare()
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import StaticStampStyle

    place = seal_place(pdf, issuer, date_text)
    signer = signer or load_signer(s)
    _usable_at(signer.signing_cert, when, s)
    digest = hashlib.sha256(pdf).digest()

    class Writer(IncrementalPdfFileWriter):
        @classmethod
        def _handle_id(cls, prev: Any) -> Any:
            first = super()._handle_id(prev)[0]  # type: ignore[no-untyped-call]
            return generic.ArrayObject([first, generic.ByteStringObject(digest[:16])])

        def _update_meta(self) -> None:
            """Keep the XMP and the document information as they are: the file stays PDF/A-2b as
            WeasyPrint wrote it (pyHanko would stamp its own producer and the wall clock's date)."""

        def _write_objects(self, stream: Any, object_position_dict: Any) -> Any:
            """The update's dictionaries (catalog, page, form, widget) in one compressed object
            stream, as the drawn file has its own (0.4 KB less); the signature dictionary stays a
            plain object, its /Contents and /ByteRange filled in where they are written."""
            loose = [
                key
                for key, obj in self.objects.items()
                if key[0] == 0
                and isinstance(obj, generic.DictionaryObject)
                and not isinstance(obj, generic.StreamObject)
                and "/ByteRange" not in obj
            ]
            if loose:
                packed = self.prepare_object_stream()  # type: ignore[no-untyped-call]
                for key in loose:
                    obj = self.objects.pop(key)
                    packed.add_object(key[1], obj)
                    self.objs_in_streams[key[1]] = obj
            super()._write_objects(stream, object_position_dict)

    class Signer(signers.PdfSigner):
        def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
            session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
            session.system_time = when  # the award's clock, not the wall clock
            estimate = session.estimate_signature_container_size

            async def reserve(validation_info: Any, tight: bool = False) -> Any:
                # the CMS of a dry run, in hex (tight_size_estimates), plus what may differ in the real one
                return await estimate(validation_info, tight=True) + 2 * margin

            session.estimate_signature_container_size = reserve  # type: ignore[method-assign]
            return session

    margin = placeholder_margin(signer, bool(s.tsa_url))
    timestamper = None
    from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError

    if s.tsa_url:

        class Stamper(HTTPTimeStamper):
            async def async_request_tsa_response(self, req: Any) -> Any:
                try:
                    return await super().async_request_tsa_response(req)
                except TimestampRequestError:
                    raise
                except Exception as exc:  # noqa: BLE001 - a reply that is no RFC 3161 response (asn1crypto's words)
                    raise TimestampRequestError("the reply is not an RFC 3161 timestamp response") from exc

        timestamper = Stamper(s.tsa_url, timeout=TSA_TIMEOUT)
    size = place.box[2] - place.box[0]
    style = _compressed_style(StaticStampStyle)(
        background=_seal_content(s, size), border_width=0, background_opacity=1.0
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        tight_size_estimates=True,
    )
    spec = fields.SigFieldSpec(FIELD, on_page=place.page, box=cast(Any, place.box))  # points, not whole ones
    pdf_signer = Signer(meta, signer, timestamper=timestamper, stamp_style=style, new_field_spec=spec)
    try:
        out = pdf_signer.sign_pdf(Writer(io.BytesIO(pdf)))
    except Exception as exc:  # noqa: BLE001 - pyHanko's and the TSA's failures become one clear error
        if s.tsa_url and isinstance(exc, TimestampRequestError):
            raise TimestampUnavailable(
                f"通知书签章失败：无法从时间戳服务 {s.tsa_url} 取得时间戳（连接不上、{TSA_TIMEOUT} 秒内无答复，"
                "或答复不是 RFC 3161 时间戳）",
                f"signing the notice failed: no timestamp from the TSA {s.tsa_url} (unreachable, no answer "
                f"within {TSA_TIMEOUT} s, or a reply that is no RFC 3161 timestamp)",
            ) from exc
        where = f"（时间戳服务 {s.tsa_url}）" if s.tsa_url else ""
        raise RenderError(
            f"通知书签章失败{where}：{type(exc).__name__}: {exc}",
            f"signing the notice failed{f' (TSA {s.tsa_url})' if s.tsa_url else ''}: {exc}",
        ) from exc
    return bytes(out.getvalue())


def validity_problem(cert: Any, when: dt.datetime) -> tuple[str, str] | None:
    """Why a certificate (asn1crypto) could not sign at `when` (expired, not yet valid), or None."""
    validity = cert["tbs_certificate"]["validity"]
    start, end = validity["not_before"].native, validity["not_after"].native
    at = when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
    name = cert.subject.native.get("common_name") or cert.subject.human_friendly
    if at > end:
        return (
            f"证书“{name}”已于 {end:%Y-%m-%d} 过期（签名时间 {at:%Y-%m-%d}）",
            f"the certificate {name!r} expired on {end:%Y-%m-%d} (signing time {at:%Y-%m-%d})",
        )
    if at < start:
        return (
            f"证书“{name}”自 {start:%Y-%m-%d} 起才生效（签名时间 {at:%Y-%m-%d}）",
            f"the certificate {name!r} is valid only from {start:%Y-%m-%d} (signing time {at:%Y-%m-%d})",
        )
    return None


def _usable_at(cert: Any, when: dt.datetime, s: Signing) -> None:
    """Before a notice is signed: the key's certificate is in force at the signing time, and it is the
    certificate `verify` will expect (the profile's signing.certificate, where one is named)."""
    problem = validity_problem(cert, when)
    if problem is not None:
        raise ArgumentError(
            f"签名证书不能用于签名：{problem[0]}",
            f"the signing certificate cannot sign: {problem[1]}",
            file=s.source,
            pointer="/signing/pkcs12",
        )
    expected = bureau_certificate(s) if s.certificate else None
    if expected is not None and expected.dump() != cert.dump():
        raise ArgumentError(
            f"signing.certificate（{s.certificate}）与 PKCS#12 文件中的签名证书不是同一张：这样签出的通知书无法通过核验",
            f"signing.certificate ({s.certificate}) is not the certificate in the PKCS#12 file: notices signed "
            "with it would not verify",
            file=s.source,
            pointer="/signing/certificate",
        )


TSA_TIMEOUT = 20  # seconds a TSA has to answer each request
TSA_MARGIN = 128  # bytes: a TSA's token differs from the dry run's (its time's fraction, serial, nonce)
ECDSA_MARGIN = 8  # bytes: a DER ECDSA signature's length varies by a byte or two with its r and s


def placeholder_margin(signer: Any, timestamped: bool) -> int:
    """Bytes reserved in /Contents beyond the dry run's CMS: none where the real one has the same
    length (an RSA signature is as long as its modulus), a little where it may be longer."""
    algorithm = signer.signing_cert.public_key.algorithm if signer.signing_cert is not None else ""
    return (TSA_MARGIN if timestamped else 0) + (0 if algorithm in ("rsa", "rsassa_pss") else ECDSA_MARGIN)


def _prepare() -> None:
    from zzcbec_docs.documents.patches import prepare_pyhanko

    prepare_pyhanko()


def _compressed_style(base: Any) -> Any:
    """pyHanko's static stamp, its appearance stream compressed (the seal's outlines are ~20 KB raw)."""
    _prepare()
    from pyhanko.stamp.static import StaticContentStamp

    class Stamp(StaticContentStamp):
        def as_form_xobject(self) -> Any:
            xobject = super().as_form_xobject()
            xobject.compress()  # type: ignore[no-untyped-call]
            return xobject

    class Style(base):  # type: ignore[misc]
        def create_stamp(self, writer: Any, box: Any, text_params: Any) -> Any:
            return Stamp(writer=writer, style=self, box=box)

    return Style


# ------------------------------------------------------------------ checking


@dataclass
class SignatureCheck:
    """What `verify` says about a PDF's signature: unsigned, or intact/signer/time each passed or not."""

    signed: bool = False
    intact: bool = False  # the signed bytes are unchanged and the signature is the certificate's
    whole_file: bool = False  # nothing was added after signing
    signer: str | None = None
    signer_ok: bool | None = None  # the bureau's certificate; None: no certificate to compare with
    signed_at: dt.datetime | None = None
    timestamp: dt.datetime | None = None
    timestamp_ok: bool | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.signed and not self.problems


def check_signature(pdf: bytes, s: Signing | None) -> SignatureCheck:
    """Check the notice's signature: intact (and covering the whole file), made with the bureau's
    certificate, and its time (the signer's, and the TSA's token where there is one)."""
    import io
    import logging

    _prepare()
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    for name in ("pyhanko", "pyhanko_certvalidator"):  # a self-signed demo certificate is no error to log
        logging.getLogger(name).setLevel(logging.CRITICAL)
    c = SignatureCheck()
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        sigs = list(reader.embedded_signatures)
    except Exception:  # noqa: BLE001 - a file pyHanko cannot read has no signature we could trust
        c.signed = True
        c.problems.append(
            ("签名无法读取：文件已损坏或被改动", "the signature cannot be read: the file is damaged or changed")
        )
        return c
    if not sigs:
        c.problems.append(
            (
                "PDF 未签名（出具时选择了 --unsigned，或签名已被去除）",
                "the PDF is not signed (issued with --unsigned, or the signature was removed)",
            )
        )
        return c
    c.signed = True
    sig = sigs[-1]
    expected = None
    unreadable = False  # the profile's certificate file is missing or broken (said once, as it is)
    try:
        expected = bureau_certificate(s) if s is not None else None
    except ArgumentError as exc:
        unreadable = True
        c.problems.append((exc.zh, exc.en))
    try:
        vc = ValidationContext(trust_roots=[expected] if expected is not None else [], allow_fetching=False)
        status = validate_pdf_signature(sig, vc)
    except Exception as exc:  # noqa: BLE001
        c.problems.append((f"签名已损坏，无法核验（{type(exc).__name__}）", f"the signature is broken: {exc}"))
        return c
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    c.intact = bool(status.intact and status.valid)
    c.whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    cert = status.signing_cert
    if cert is not None:
        c.signer = cert.subject.native.get("common_name") or cert.subject.human_friendly
    c.signed_at = status.signer_reported_dt
    if not c.intact:
        c.problems.append(
            (
                "签名不完整：签名后文件内容被改动，或签名与证书不符",
                "the signature is not intact: the file was changed after signing, or the signature is not "
                "the certificate's",
            )
        )
    elif not c.whole_file:
        c.problems.append(
            (
                "签名之后文件又被追加了内容（签名未覆盖整个文件）",
                "content was added to the file after it was signed (the signature does not cover it all)",
            )
        )
    if expected is None:
        c.signer_ok = None
        if unreadable:  # already said: the certificate file is missing or is no certificate
            pass
        elif s is None:
            c.problems.append(
                (
                    "发文机关配置没有签名证书，无法核对签名人",
                    "the issuer profile names no certificate: the signer cannot be checked",
                )
            )
        else:
            c.problems.append(
                (
                    "无法核对签名人：发文机关配置未给出 signing.certificate，且证书口令未设置",
                    "the signer cannot be checked: the profile gives no signing.certificate and the key's "
                    "passphrase is not set",
                )
            )
    else:
        c.signer_ok = cert is not None and cert.dump() == expected.dump()
        if not c.signer_ok:
            c.problems.append(
                (f"签名人不是发文机关的证书：{c.signer}", f"the signer is not the bureau's certificate: {c.signer}")
            )
    ts = status.timestamp_validity
    if ts is not None:
        c.timestamp = ts.timestamp
        c.timestamp_ok = bool(ts.intact and ts.valid)
        if not c.timestamp_ok:
            c.problems.append(("签名时间戳不完整或无效", "the signature's timestamp is not intact"))
    if c.timestamp is None and c.signed_at is None:
        c.problems.append(("签名没有签名时间", "the signature carries no signing time"))
    elif cert is not None:
        problem = validity_problem(cert, cast(dt.datetime, c.timestamp or c.signed_at))
        if problem is not None:
            c.problems.append(
                (f"签名时证书不在有效期内：{problem[0]}", f"the certificate was not in force: {problem[1]}")
            )
    return c
