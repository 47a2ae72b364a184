"""The notice drawn straight to PDF (documents/pdf_draw.py) puts every word where WeasyPrint put the
fixed form's placed blocks (issue 20, point 4: speed kept, geometry unchanged), and the file is what
the notice promises: PDF/A-2b, tagged, its text extracting back, its provenance, the same bytes twice,
no WeasyPrint loaded to make it.

The reference is the same layout drawn by WeasyPrint (pdf.notice_pdf_weasyprint, kept for these
tests only). WeasyPrint writes each glyph's position as a whole number of thousandths of the em
(it truncates: `int(kerning)`), so its glyphs drift right by up to 1/1000 em each along a line
whose letter spacing is not a whole number of units; the drawer places them where the layout says
(a continued line ends on the 版心's right edge). Every box's left, top and bottom edges agree within
0.1 mm; its right edge within 0.1 mm plus that drift (1/1000 em a character).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from zzcbec_docs.bundle import load_bundle
from zzcbec_docs.documents import NoticeOptions
from zzcbec_docs.documents.render import build_html
from zzcbec_docs.policy import load_policy

from conftest import SAMPLES, make_bundle, run_cli, write_bundle
from docs_helpers import pdf_text, word_boxes

pytestmark = pytest.mark.slow

MM = 72 / 25.4
EPOCH = "1767225600"
NUMBER = "郑商务〔2026〕15号"
FILLER = "<p>经审核，申报材料真实完整，各项数据与财务报表、海关数据一致，符合《措施》规定的条件。</p>\n"


def _html(src: Path, **options) -> str:  # type: ignore[no-untyped-def]
    policy = load_policy()
    html, _ = build_html(load_bundle(src, policy), policy, "notice", notice=NoticeOptions(**options))
    return html


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):  # type: ignore[no-untyped-def]
    """(drawn, WeasyPrint's) PDF files of notices of every shape: one clause, many, 上街区's, a long
    name, a 版记 on a page of its own, a specimen; the numbered ones have the 版记's QR code."""
    from zzcbec_docs.documents.pdf import notice_pdf_weasyprint, render_pdf

    tmp = tmp_path_factory.mktemp("drawer")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        long_name = write_bundle(
            tmp / "long.json",
            make_bundle(
                1,
                {"import_export": "12000000", "promotion_costs": "800000"},
                name="河南省郑州市中原区示例跨境电子商务供应链管理有限公司",
                n=41,
            ),
        )
        many = _html(SAMPLES / "multi-clause-eligible.yaml", number=NUMBER)
        htmls = {
            "one-clause": _html(SAMPLES / "clause01-eligible.yaml", number=NUMBER),
            "specimen": _html(SAMPLES / "clause01-eligible.yaml"),
            "many-clauses": many,
            "long-name": _html(long_name, number=NUMBER),
            "banji-alone": many.replace('<div class="closing">', FILLER * 7 + '<div class="closing">', 1),
            "shangjie": _html(SAMPLES / "shangjie-unsettled.yaml", number=NUMBER),
        }
        out = {}
        for key, html in htmls.items():
            drawn, reference = tmp / f"{key}.pdf", tmp / f"{key}-weasyprint.pdf"
            drawn.write_bytes(render_pdf(html, key, kind="notice"))
            reference.write_bytes(notice_pdf_weasyprint(html, key))
            out[key] = (drawn, reference, html)
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    return out


KEYS = ["one-clause", "specimen", "many-clauses", "long-name", "banji-alone", "shangjie"]


@pytest.mark.parametrize("key", KEYS)
def test_every_word_box_lies_where_weasyprint_put_it(pairs, key):
    drawn, reference, _ = pairs[key]
    ours, theirs = word_boxes(drawn), word_boxes(reference)
    assert len(ours) == len(theirs), "not the same number of pages"
    for page, (a, b) in enumerate(zip(ours, theirs, strict=True), start=1):
        assert [w[4] for w in a] == [w[4] for w in b], page
        for x, y in zip(a, b, strict=True):
            size = x[3] - x[1]
            drift = len(x[4]) * size / 1000
            assert all(abs(x[i] - y[i]) < 0.1 * MM for i in (0, 1, 3)), (page, x, y)
            assert abs(x[2] - y[2]) < 0.1 * MM + drift, (page, x, y, (x[2] - y[2]) / MM)
    assert pdf_text(drawn) == pdf_text(reference)  # the same text, in the same reading order


def test_the_qr_code_is_drawn_and_decodes_to_its_url(pairs, tmp_path):
    """The 版记's QR code: an 18 mm square image, module by module, a phone's reader gets the URL."""
    drawn, _, _ = pairs["one-clause"]  # numbered: the packaged profile has a verify_url
    png = tmp_path / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "200", "-f", "2", "-l", "2", str(drawn), str(png)], check=True)
    import zxingcpp
    from PIL import Image

    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    found = [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    code = re.search(r"核验码：([A-Z2-9]{4}-[A-Z2-9]{4})", "".join(pdf_text(drawn).split()))
    assert code and len(found) == 1 and found[0].endswith("/verify/" + code.group(1)), (found, code)


@pytest.mark.parametrize("key", ["one-clause", "specimen", "banji-alone"])
def test_the_drawn_notice_is_pdf_a_2b_tagged_with_its_provenance(pairs, key):
    from pypdf import PdfReader

    drawn, reference, _ = pairs[key]
    info = subprocess.run(["pdfinfo", str(drawn)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    meta = subprocess.run(["pdfinfo", "-meta", str(drawn)], capture_output=True, text=True, check=True).stdout
    assert 'pdfaid:part="2"' in meta and 'pdfaid:conformance="B"' in meta
    ours, theirs = PdfReader(drawn), PdfReader(reference)
    for field in ("/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/CreationDate", "/ModDate"):
        assert ours.metadata[field] == theirs.metadata[field], field
    assert ours.metadata["/Producer"].startswith("zzcbec-docs ")
    xmp = ours.xmp_metadata
    assert xmp is not None and xmp.dc_title == theirs.xmp_metadata.dc_title
    root = ours.trailer["/Root"]
    assert root["/OutputIntents"][0]["/S"] == "/GTS_PDFA1" and root["/Lang"] == "zh-CN"
    # the structure: the title a heading, the table's cells, the 版记's elements, the QR code a figure
    tags = []

    def walk(elem) -> None:  # type: ignore[no-untyped-def]
        elem = elem.get_object()
        tags.append(str(elem.get("/S")))
        for kid in elem.get("/K", []):
            if not isinstance(kid, int):
                walk(kid)

    walk(root["/StructTreeRoot"]["/K"][0])
    assert tags[0] == "/Document" and "/H1" in tags and {"/Table", "/TR", "/TH", "/TD", "/P"} <= set(tags)
    if key != "specimen":  # a numbered notice: the QR code of its 核验码
        assert "/Figure" in tags
        figure = subprocess.run(["pdfimages", "-list", str(drawn)], capture_output=True, text=True, check=True)
        assert re.search(r"image\s+(\d+)\s+\1\s+gray\s+1\s+1\b", figure.stdout), figure.stdout
    fonts = subprocess.run(["pdffonts", str(drawn)], capture_output=True, text=True, check=True).stdout
    assert all(" yes yes yes " in line for line in fonts.splitlines()[2:] if line.strip())


def test_the_same_notice_gives_the_same_bytes_and_needs_no_weasyprint(tmp_path):
    """Two fresh processes under SOURCE_DATE_EPOCH: the same bytes; neither imports WeasyPrint."""
    code = (
        "import sys; from pathlib import Path\n"
        "from zzcbec_docs.bundle import load_bundle; from zzcbec_docs.policy import load_policy\n"
        "from zzcbec_docs.documents import NoticeOptions; from zzcbec_docs.documents.render import build_html\n"
        "from zzcbec_docs.documents.pdf import render_pdf\n"
        f"p = load_policy(); b = load_bundle(Path({str(SAMPLES / 'multi-clause-eligible.yaml')!r}), p)\n"
        f"html, _ = build_html(b, p, 'notice', notice=NoticeOptions(number={NUMBER!r}))\n"
        "sys.stdout.buffer.write(render_pdf(html, 'x', kind='notice'))\n"
        "assert 'weasyprint' not in sys.modules and 'pydyf' not in sys.modules, 'WeasyPrint was imported'\n"
    )
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, check=False) for _ in range(2)]
    for r in runs:
        assert r.returncode == 0, r.stderr.decode()
    assert runs[0].stdout[:5] == b"%PDF-" and runs[0].stdout == runs[1].stdout


def test_every_continued_line_ends_on_the_right_edge_exactly(pairs):
    """The drawer puts each character of a line on the 28-character grid: the pen after a continued
    line's last character is the 版心's right edge (the letter spacing the layout gave it)."""
    from zzcbec_docs.documents.fixed_form import LEFT, WIDTH, NoticeLayout, drawing
    from zzcbec_docs.documents.pdf_draw import Text

    _, _, html = pairs["many-clauses"]
    layout = NoticeLayout(html)
    ends = []
    for elems in drawing(layout):
        for elem in elems:
            if elem.tag == "P":
                runs = [r for r in elem.kids if isinstance(r, Text) and r.size == 16 and len(r.text) >= 20]
                ends += [r.xs[-1] for r in runs[:-1]]  # each but the paragraph's last line
    assert len(ends) >= 3 and all(abs(x - (LEFT + WIDTH)) < 0.01 for x in ends), ends


def _ink(image):  # type: ignore[no-untyped-def]
    return image.convert("L").point(lambda v: 255 if v < 128 else 0)


def _unmatched_ink(pdf: Path) -> float:
    """The share of page 1's ink that poppler (pdftoppm: codes as glyph ids) and Ghostscript (codes
    through the face's charset, as Acrobat reads them) do not both draw, a pixel of leeway for the
    renderers' own rounding."""
    import io

    from PIL import Image, ImageFilter

    poppler = subprocess.run(
        ["pdftoppm", "-gray", "-r", "100", "-f", "1", "-l", "1", str(pdf)], capture_output=True, check=True
    ).stdout
    gs = subprocess.run(
        ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pnggray", "-r100", "-dFirstPage=1", "-dLastPage=1"]
        + ["-sOutputFile=-", str(pdf)],
        capture_output=True,
        check=True,
    ).stdout
    a = _ink(Image.open(io.BytesIO(poppler)))
    b = _ink(Image.open(io.BytesIO(gs))).crop((0, 0, *a.size))
    near_a, near_b = a.filter(ImageFilter.MaxFilter(3)).tobytes(), b.filter(ImageFilter.MaxFilter(3)).tobytes()
    ink_a, ink_b = a.tobytes(), b.tobytes()
    missed = sum(1 for x, y in zip(ink_a, near_b, strict=True) if x and not y)
    missed += sum(1 for x, y in zip(ink_b, near_a, strict=True) if x and not y)
    return missed / max(1, sum(1 for x in ink_a if x) + sum(1 for x in ink_b if x))


@pytest.mark.skipif(
    subprocess.run(["sh", "-c", "command -v gs"], capture_output=True).returncode != 0,
    reason="Ghostscript (gs) is not installed: apt-get install ghostscript",
)
@pytest.mark.parametrize("face", ["working copies", "a bureau's CID-keyed face, CIDs not its glyph ids"])
def test_ghostscript_draws_the_same_characters_as_poppler(face, tmp_path):
    """Ghostscript reads a CID-keyed face's codes through its charset (as Acrobat and Preview do),
    poppler as glyph ids: the drawer's faces mean the same glyph to both, so the two renderings of
    the page carry the same ink (a face embedded with its own CIDs drew ~18 % of it elsewhere)."""
    from zzcbec_docs.documents import fonts

    env = {"SOURCE_DATE_EPOCH": EPOCH}
    if face != "working copies":
        fandol = fonts.fandol_dir() / fonts.ROLES["fangsong"].fandol
        if not fandol.is_file():
            pytest.skip("needs the Fandol faces (make fonts)")
        own = tmp_path / "own-fangsong.otf"  # Fandol cut by HarfBuzz: its CIDs are not its glyph ids
        own.write_bytes(fonts._hb_subset(fonts.FontFile("FandolFang", "Regular", str(fandol), 0, "configured")) or b"")
        env["ZZCBEC_FONT_FANGSONG"] = str(own)
    r = run_cli(
        "render",
        str(SAMPLES / "multi-clause-eligible.yaml"),
        "--doc",
        "notice",
        "--format",
        "pdf",
        "--out",
        str(tmp_path / "out"),
        extra_env=env,
    )
    assert r.returncode == 0, r.stderr.decode()
    assert _unmatched_ink(next((tmp_path / "out").glob("*.pdf"))) < 0.05


def test_codes_are_the_characters_own_and_extract_back_outside_the_bmp_too(tmp_path):
    """A CID-keyed face's codes are its characters' UTF-16 code units (one ToUnicode of page ranges
    for every font); a character outside the BMP (𠮷, drawn by the Noto fallback, or a box where no
    face has it) takes a private-use code mapped by its own entry, and every character extracts back."""
    from zzcbec_docs.documents.pdf_draw import Elem, Text, draw

    text = "郑州𠮷䶮A1：\U0002ebf0"
    xs = [72.0 + 16 * i for i in range(len(text) + 1)]
    pdf = draw([[Elem("P", [Text(text, xs, 100.0, 28.0, 16.0, "fangsong")])]], identity="t", meta={"title": "t"})
    path = tmp_path / "t.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert text in re.sub(r"\s", "", out), out  # (pdftotext puts a space in the room after a narrow glyph)
    assert b"beginbfrange" in zlib_streams(pdf)


def zlib_streams(pdf: bytes) -> bytes:
    """Every Flate stream of the file, inflated and joined."""
    import zlib

    out = []
    for m in re.finditer(rb"/Length (\d+) >>\nstream\n", pdf):
        try:
            out.append(zlib.decompress(pdf[m.end() : m.end() + int(m.group(1))]))
        except zlib.error:
            continue
    return b"\n".join(out)
