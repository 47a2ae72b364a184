"""A code anyone can check (issue 20, point 3): the notice's 版记 carries a QR code of the desk's
verification URL; the desk answers it without a login with the notice's number, the applicant's
name, the amounts and whether it stands or was revoked — the facts `zzcbec verify` prints, nothing
more; an unknown code is a plain 404; misses are throttled like failed sign-ins.

The QR code is read back from the rendered page (pdftoppm, then zxing-cpp) and from the DOCX's
picture, and its URL opened on a running `zzcbec serve`.
"""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from pathlib import Path

import httpx
import pytest
import yaml
from PIL import Image

from zzcbec_docs.documents import issuer as issuer_module

from conftest import SAMPLES, cli
from desk_support import Server

EPOCH = "1772668800"


def qr_texts(image: Image.Image) -> list[str]:
    import zxingcpp

    return [r.text for r in zxingcpp.read_barcodes(image.convert("L")) if r.format == zxingcpp.BarcodeFormat.QRCode]


def page_qr(pdf: Path, tmp: Path) -> list[str]:
    """The QR codes on the notice's last page, as a printer would put it on paper (150 dpi)."""
    pages = int(
        re.search(
            r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=60).stdout
        ).group(1)
    )
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", str(pages), "-l", str(pages), str(pdf), str(tmp / "pg")],
        check=True,
        timeout=60,
    )
    (png,) = tmp.glob("pg*.png")
    return qr_texts(Image.open(png))


def docx_qr(docx: Path) -> list[str]:
    with zipfile.ZipFile(docx) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        return [t for n in media for t in qr_texts(Image.open(io.BytesIO(z.read(n))))]


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """A running desk on a ledger, a profile whose verify_url is that desk, and one awarded notice."""
    tmp = tmp_path_factory.mktemp("verify-page")
    ledger = tmp / "ledger.db"
    mp = pytest.MonkeyPatch()
    assert cli("ledger", "init", "--ledger", str(ledger)).returncode == 0
    with Server(str(ledger)) as server:
        data = yaml.safe_load(Path(issuer_module.DEFAULT_PROFILE).read_text(encoding="utf-8"))
        data["verify_url"] = server.url + "/verify"
        profile = tmp / "profile.yaml"
        profile.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        mp.setenv("ZZCBEC_ISSUER_PROFILE", str(profile))
        issuer_module.load_issuer.cache_clear()
        try:
            r = cli(
                "award",
                str(SAMPLES / "multi-clause-eligible.yaml"),
                "--ledger",
                str(ledger),
                "--out",
                str(tmp / "out"),
                "--date",
                "2026-03-05",
            )
            assert r.returncode == 0, r.out + r.err
            yield server, ledger, tmp
        finally:
            mp.undo()
            issuer_module.load_issuer.cache_clear()


def test_the_qr_code_in_both_formats_is_the_desks_url_of_the_code(desk, tmp_path):
    server, _, tmp = desk
    (pdf,) = (tmp / "out").glob("*.pdf")
    (docx,) = (tmp / "out").glob("*.docx")
    code = re.search(
        r"核验码：([A-Z2-9]{4}-[A-Z2-9]{4})",
        subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, timeout=60).stdout,
    ).group(1)
    url = f"{server.url}/verify/{code}"
    assert page_qr(pdf, tmp_path) == [url]
    assert docx_qr(docx) == [url]


def test_the_page_shows_the_facts_verify_prints_and_nothing_more(desk, tmp_path):
    server, ledger, tmp = desk
    (pdf,) = (tmp / "out").glob("*.pdf")
    (url,) = page_qr(pdf, tmp_path)
    page = httpx.get(url, timeout=60)  # no session, no cookie
    assert page.status_code == 200
    html = page.text
    for fact in (
        "郑商务〔2026〕1号",
        "郑州示例综合跨境电商有限公司",
        "第一条",
        "第六条",
        "第九条",
        "500,000.00 元",
        "380,000.06 元",
        "136,500.12 元",
        "1,016,500.18 元",
        "有效",
        "standing",
    ):
        assert fact in html, fact
    # nothing more: not the USCC, the bank account, the district, the case, the reviewer
    for secret in ("91410100MA4600016N", "6217", "银行", "区", "case", "审核"):
        assert secret not in re.sub(r"<[^>]+>", " ", html.split("<main ")[1].split("</main>")[0]), secret
    # the same facts as `zzcbec verify`
    v = cli("verify", str(pdf), "--ledger", str(ledger))
    assert v.returncode == 0, v.out
    assert (
        "台账：郑商务〔2026〕1号　郑州示例综合跨境电商有限公司　第一条 500,000.00元，第六条 380,000.06元，"
        "第九条 136,500.12元，合计 1,016,500.18元　有效 / standing" in v.out
    )


def test_a_revoked_notice_says_so_and_by_what_then_unknown_codes_are_404_and_throttled(desk, tmp_path):
    server, ledger, tmp = desk
    (pdf,) = (tmp / "out").glob("*.pdf")
    (url,) = page_qr(pdf, tmp_path)
    assert cli("ledger", "revoke", "郑商务〔2026〕1号", "--reason", "材料不实", "--ledger", str(ledger)).returncode == 0
    again = cli(
        "award",
        str(SAMPLES / "multi-clause-eligible.yaml"),
        "--ledger",
        str(ledger),
        "--out",
        str(tmp_path / "re"),
        "--date",
        "2026-03-06",
        "--reissue-of",
        "郑商务〔2026〕1号",
        "--unsigned",
    )
    assert again.returncode == 0, again.err
    page = httpx.get(url, timeout=60)
    assert page.status_code == 200
    assert "已撤销（材料不实），由 郑商务〔2026〕2号 替代" in page.text
    assert "revoked (材料不实), replaced by 郑商务〔2026〕2号" in page.text
    v = cli("verify", str(pdf), "--ledger", str(ledger))
    assert v.returncode == 1 and "已撤销（材料不实），由 郑商务〔2026〕2号 替代" in v.out
    # an unknown code: the desk's plain 404, word for word what any unknown address gets
    with httpx.Client(base_url=server.url, timeout=60) as c:
        unknown = c.get("/verify/AAAA-AAAA")
        elsewhere = c.get("/no-such-page")
        assert unknown.status_code == elsewhere.status_code == 404
        assert unknown.text == elsewhere.text
        assert c.get("/verify/not-a-code").status_code == 404
        # throttled as failed sign-ins are: after five misses the address is refused for a while
        statuses = [c.get(f"/verify/ZZZZ-ZZZ{n}").status_code for n in range(2, 6)]
        assert statuses == [404, 404, 404, 429]
        refused = c.get(url.replace(server.url, ""))  # even a good code, until the window passes
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def _from(address: str, server) -> httpx.Client:  # type: ignore[no-untyped-def]
    """A client whose requests come from `address` (any of 127.0.0.0/8 reaches the desk on 127.0.0.1)."""
    return httpx.Client(base_url=server.url, timeout=60, transport=httpx.HTTPTransport(local_address=address))


def test_failed_sign_ins_never_lock_anyone_out_of_the_page_and_its_limit_is_per_address(desk, tmp_path):
    """核验页面的限流按来访地址计，与登录失败分开：有人在登录框输入“verify@某地址”连续失败，
    不会让该地址打不开核验页面；一个地址查错太多只挡住它自己。"""
    server, _, tmp = desk
    (pdf,) = (tmp / "out").glob("*.pdf")
    (url,) = page_qr(pdf, tmp_path)
    path = url.replace(server.url, "")
    with _from("127.0.0.21", server) as attacker:
        for _ in range(6):
            attacker.post("/api/login", json={"username": "verify@127.0.0.22", "password": "guess"})
    with _from("127.0.0.22", server) as victim:
        assert victim.get(path).status_code == 200  # was 429: the failed sign-ins counted as its misses
    with _from("127.0.0.23", server) as prober:
        statuses = [prober.get(f"/verify/ZZZZ-ZZZ{n}").status_code for n in range(2, 8)]
        assert statuses[:4] == [404, 404, 404, 404] and statuses[-1] == 429
    with _from("127.0.0.24", server) as neighbour:
        assert neighbour.get(path).status_code == 200  # another address is not held back
        # and a prober's misses are no failed sign-ins of the neighbour's address
        assert neighbour.post("/api/login", json={"username": "nobody", "password": "x"}).status_code == 401


def test_a_burst_of_parallel_guesses_gets_no_more_tries_than_one_guess_after_another(desk):
    """同一地址同时发出 30 个查错的核验请求：与逐个发出一样，只有前 5 个得到 404，其余 429。"""
    from concurrent.futures import ThreadPoolExecutor

    server, _, _ = desk

    def guess(n: int) -> int:
        with _from("127.0.0.41", server) as c:
            return c.get(f"/verify/YYYY-{n:04d}".replace("0", "Y").replace("1", "Z")).status_code

    with ThreadPoolExecutor(30) as pool:
        statuses = list(pool.map(guess, range(30)))
    assert statuses.count(404) == 5 and statuses.count(429) == 25, statuses
