"""The award notice's DOCX as LibreOffice lays it out, measured against GB/T 9704-2012 and against
the PDF of the same notice (issue 20, point 1): a notice long enough to push the 版记 onto a page
of its own, where §7.4/§7.5 want an even last page, a blank page before it where the body ends on
an even page, and neither of those two pages numbered.

Every figure is read from the converted file (pdftotext's word boxes, the content streams'
baselines, the rules as pixels), as tests/test_notice_geometry.py reads the PDF.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from zzcbec_docs.bundle import load_bundle
from zzcbec_docs.documents import NoticeOptions, render_bundle
from zzcbec_docs.documents.fixed_form import NoticeLayout
from zzcbec_docs.documents.render import build_html
from zzcbec_docs.documents.writers import write_format
from zzcbec_docs.policy import load_policy

from conftest import SAMPLES, write_bundle
from docs_helpers import (
    baseline_lines,
    body_lines,
    default_faces,
    horizontal_rules,
    libreoffice,
    libreoffice_pdf,
    numbers_kept_whole,
    word_boxes,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        libreoffice() is None,
        reason="LibreOffice (soffice) is not installed: the DOCX is measured only where it is "
        "(apt-get install libreoffice-writer-nogui); it is not a test dependency",
    ),
]

MM = 72 / 25.4
LEFT, TOP, WIDTH, HEIGHT = 28 * MM, 37 * MM, 156 * MM, 225 * MM
RIGHT, BOTTOM = LEFT + WIDTH, TOP + HEIGHT
EPOCH = "1767225600"
NUMBER = "郑商务〔2026〕15号"
ELEMENTS = [
    "郑州市商务局文件",
    NUMBER,
    "郑州市商务局关于给予",
    "特此通知",
    "郑州市商务局",
    "2026年1月1日",
    "（本通知",
    "核验码：",
    "抄送：",
    "郑州市商务局办公室",
]
FILLER = "<p>经审核，申报材料真实完整，各项数据与财务报表、海关数据一致，符合《措施》规定的条件。</p>\n"


def _four_clauses(tmp: Path) -> Path:
    """The multi-clause sample (第一、六、九条) with the two competitions of the 第十一条 sample: a real
    notice whose closing ends on page 2, so that its 版记 stands alone on page 4 after a blank page."""
    bundle = yaml.safe_load((SAMPLES / "multi-clause-eligible.yaml").read_text(encoding="utf-8"))
    eleven = yaml.safe_load((SAMPLES / "clause11-eligible.yaml").read_text(encoding="utf-8"))
    bundle["claims"] += eleven["claims"]
    return write_bundle(tmp / "four-clauses.json", bundle)


def _padded_to_end_on_odd_page() -> str:
    """The multi-clause notice with body paragraphs added until its closing ends on page 3: the 版记
    then takes page 4 alone, numbered."""
    policy = load_policy()
    bundle = load_bundle(SAMPLES / "multi-clause-eligible.yaml", policy)
    base, _ = build_html(bundle, policy, "notice", notice=NoticeOptions(number=NUMBER))
    for n in range(60):
        html = base.replace('<div class="closing">', FILLER * n + '<div class="closing">', 1)
        layout = NoticeLayout(html)
        if layout.banji_page > layout.flow_page and layout.flow_page % 2 == 0:
            return html
    raise AssertionError("no filler makes the closing end on an odd page")


@pytest.fixture(scope="module")
def notices(tmp_path_factory):  # type: ignore[no-untyped-def]
    """key → (the PDF, the DOCX converted by LibreOffice)."""
    tmp = tmp_path_factory.mktemp("docx-geometry")
    default_faces()
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    policy = load_policy()
    out: dict[str, tuple[Path, Path]] = {}
    try:
        for key, src in (("shared", SAMPLES / "multi-clause-eligible.yaml"), ("alone-even", _four_clauses(tmp))):
            files = render_bundle(
                load_bundle(src, policy),
                policy,
                kinds=["notice"],
                formats=["pdf", "docx"],
                out_dir=tmp / key,
                notice=NoticeOptions(number=NUMBER),
            )
            paths = {f.format: f.path for f in files}
            out[key] = (paths["pdf"], libreoffice_pdf(paths["docx"], tmp / key / "lo"))
        html = _padded_to_end_on_odd_page()
        bundle = load_bundle(SAMPLES / "multi-clause-eligible.yaml", policy)
        (tmp / "alone-odd").mkdir()
        pdf, docx = tmp / "alone-odd" / "notice.pdf", tmp / "alone-odd" / "notice.docx"
        pdf.write_bytes(write_format(html, "pdf", bundle, policy, "notice"))
        docx.write_bytes(write_format(html, "docx", bundle, policy, "notice"))
        out["alone-odd"] = (pdf, libreoffice_pdf(docx, tmp / "alone-odd" / "lo"))
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    return out


KEYS = ["shared", "alone-even", "alone-odd"]


def page_numbers(path: Path) -> list[tuple[int, float, float] | None]:
    """Per page, the page number printed below the 版心 (its value, left and right edge), or None."""
    out: list[tuple[int, float, float] | None] = []
    for page in word_boxes(path):
        below = sorted(w for w in page if w[1] > BOTTOM)
        text = "".join(w[4] for w in below)
        m = re.fullmatch(r"—(\d+)—", text)
        out.append((int(m.group(1)), below[0][0], below[-1][2]) if m else None)
        assert m or not below, ("something other than a page number below the 版心", text)
    return out


def test_the_layouts_are_the_cases_this_file_is_about(notices):  # type: ignore[no-untyped-def]
    """shared: the 版记 on the closing's page; alone-even: the closing on page 2, a blank page 3, the
    版记 alone on page 4; alone-odd: the closing on page 3, the 版记 alone on page 4."""
    closing = {}
    for key in KEYS:
        pages = word_boxes(notices[key][0])
        closing[key] = next(i for i, p in enumerate(pages) if any("特此通知" in w[4] for w in p)) + 1
        banji = next(i for i, p in enumerate(pages) if any(w[4].startswith("抄送") for w in p)) + 1
        assert banji == len(pages) and len(pages) % 2 == 0, (key, banji, len(pages))
        assert (banji == closing[key]) == (key == "shared"), (key, closing[key], banji)
    assert closing["alone-even"] == 2 and closing["alone-odd"] == 3, closing


@pytest.mark.parametrize("key", KEYS)
def test_libreoffice_numbers_the_same_pages_as_the_pdf_and_leaves_the_blank_and_the_lone_banji_page_bare(
    notices,
    key,  # type: ignore[no-untyped-def]
):
    """§7.5: page numbers 4号 in — N —, odd pages on the right, even on the left, each 一字 in from
    the edge; a blank page before the 版记's lone page and that page unnumbered, in both formats."""
    pdf, converted = notices[key]
    ours, theirs = page_numbers(pdf), page_numbers(converted)
    assert len(theirs) == len(ours), (len(ours), len(theirs))
    assert [n and n[0] for n in theirs] == [n and n[0] for n in ours], (ours, theirs)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True), start=1):
        if a is None or b is None:
            continue
        assert a[0] == i
        if i % 2:
            assert abs(b[2] - (RIGHT - 14)) < 1 * MM, ("odd page number not 一字 from the right", i, b)
        else:
            assert abs(b[1] - (LEFT + 14)) < 1 * MM, ("even page number not 一字 from the left", i, b)
        assert abs(a[1] - b[1]) < 1 * MM and abs(a[2] - b[2]) < 1 * MM, (i, a, b)
    if key == "alone-even":
        assert theirs[-1] is None and theirs[-2] is None, theirs
        assert word_boxes(converted)[-2] == [], "the blank page carries something"
        assert all(n is not None for n in theirs[:-2]), theirs
    else:
        assert all(n is not None for n in theirs), theirs


@pytest.mark.parametrize("key", KEYS)
def test_libreoffice_puts_every_element_within_1_mm_of_the_pdf(notices, key):  # type: ignore[no-untyped-def]
    """Each element's baseline on the same page and within 1 mm; the red rule, the 版记's rules
    within 1 mm, the last on the 版心's lower edge, nothing printed below it; the 版记's page holds
    nothing else where it stands alone."""
    pdf, converted = notices[key]
    ours, theirs = baseline_lines(pdf), baseline_lines(converted)
    for start in ELEMENTS:
        a = [x for x in ours if "".join(x[4].split()).startswith(start)]
        b = [x for x in theirs if "".join(x[4].split()).startswith(start)]
        assert a and len(a) == len(b), (start, a, b)
        for x, y in zip(a, b, strict=True):
            assert x[0] == y[0] and abs(x[1] - y[1]) < 1 * MM, (start, x, y)
    pages = len(word_boxes(pdf))
    for page in range(1, pages + 1):
        mine, lo = horizontal_rules(pdf, page), horizontal_rules(converted, page)
        for colour in ("red", "black"):
            a = [r for r in mine if r[4] == colour and r[2] < LEFT + 1 * MM and r[3] > RIGHT - 1 * MM]
            b = [r for r in lo if r[4] == colour and r[2] < LEFT + 1 * MM and r[3] > RIGHT - 1 * MM]
            if colour == "black":  # the 版记's rules (a table's own lines are compared by their text)
                a = [r for r in a if r[0] > BOTTOM - 60 * MM]
                b = [r for r in b if r[0] > BOTTOM - 60 * MM]
            assert len(a) == len(b), (page, colour, a, b)
            for r, s in zip(a, b, strict=True):
                assert abs((r[0] + r[1]) / 2 - (s[0] + s[1]) / 2) < 1 * MM, (page, colour, r, s)
    rules = [r for r in horizontal_rules(converted, pages) if r[4] == "black" and r[0] > BOTTOM - 60 * MM]
    assert len(rules) >= 4, rules
    last = (rules[-1][0] + rules[-1][1]) / 2
    assert abs(last - BOTTOM) < 1 * MM, (last - BOTTOM) / MM
    words = word_boxes(converted)[-1]
    below = [w for w in words if w[1] > last]
    assert not below or (key != "alone-even" and re.fullmatch(r"—\d+—", "".join(w[4] for w in below))), below
    if key != "shared":
        assert all(w[1] > rules[0][0] - 1 for w in words), "the 版记's page carries more than the 版记"
    mark = next(x for x in theirs if "".join(x[4].split()).startswith("郑州市商务局文件"))
    head = next(w for w in word_boxes(converted)[0] if w[4].startswith("郑州市商务局文件"))
    assert mark[0] == 1 and abs(head[1] - (TOP + 35 * MM)) < 1 * MM, (head[1] - TOP) / MM  # §7.2.4


@pytest.mark.parametrize("key", KEYS)
def test_libreoffice_breaks_every_line_of_the_body_where_the_pdf_does(notices, key):  # type: ignore[no-untyped-def]
    """§5.2.3 in the converted DOCX: line by line, the same characters as the PDF's line, at the same
    baseline (within 1 mm) — the DOCX's paragraphs are broken by LibreOffice itself (no line breaks
    in the text), so a line the PDF fills LibreOffice fills too and none is spread over a character
    that went on to the next line."""
    pdf, converted = notices[key]
    ours, theirs = numbers_kept_whole(body_lines(pdf)), body_lines(converted)
    assert len(ours) >= 8, ours
    assert [t for _, _, t in theirs] == [t for _, _, t in ours]
    for (pa, ya, _), (pb, yb, text) in zip(ours, theirs, strict=True):
        assert pa == pb and abs(ya - yb) < 1 * MM, (text, pa, pb, ya, yb)


@pytest.mark.parametrize("key", KEYS)
def test_libreoffice_sets_the_date_four_characters_from_the_right_and_the_issuer_centred_over_it(notices, key):  # type: ignore[no-untyped-def]
    """§7.3.5.1 on the converted DOCX: 成文日期右空四字, the 署名 centred over it (within 1 mm), as in the PDF."""
    _, converted = notices[key]
    cell = WIDTH / 28
    for page in word_boxes(converted):
        rows: dict[float, list] = {}
        for w in page:
            rows.setdefault(round(w[1]), []).append(w)
        lines = {
            "".join(x[4] for x in sorted(ws)): (min(x[0] for x in ws), max(x[2] for x in ws)) for ws in rows.values()
        }
        if "2026年1月1日" in lines and "郑州市商务局" in lines:
            (d0, d1), (i0, i1) = lines["2026年1月1日"], lines["郑州市商务局"]
            assert abs(d1 - (RIGHT - 4 * cell)) < 1 * MM, (RIGHT - d1) / cell
            assert abs((i0 + i1) / 2 - (d0 + d1) / 2) < 1 * MM, ((i0 + i1) / 2 - (d0 + d1) / 2) / MM
            return
    raise AssertionError("no 署名 and date found")


# ---------------------------------------------------------------- the other 公文 documents' DOCX


def _cells(text: str) -> float:
    """Grid cells a text takes: a digit or Latin letter half a cell, anything else one."""
    return sum(0.5 if ch.isascii() else 1.0 for ch in text)


@pytest.fixture(scope="module")
def opinion(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The review opinion of the multi-clause sample (a 公文 of long 3号 paragraphs): (PDF, its DOCX
    converted by LibreOffice)."""
    tmp = tmp_path_factory.mktemp("opinion")
    default_faces()
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        policy = load_policy()
        files = render_bundle(
            load_bundle(SAMPLES / "multi-clause-eligible.yaml", policy),
            policy,
            kinds=["opinion"],
            formats=["pdf", "docx"],
            out_dir=tmp,
        )
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    paths = {f.format: f.path for f in files}
    return paths["pdf"], libreoffice_pdf(paths["docx"], tmp / "lo")


def _pitches(path: Path) -> list[tuple[str, float]]:
    """(text, pt a cell) of each 3号 line that spans the 版心: its extent over the cells its characters
    take (3号 word boxes are 16 pt high in the PDF, 20.8 pt in LibreOffice's)."""
    out = []
    for page in word_boxes(path):
        rows: dict[float, list[tuple[float, float, float, float, str]]] = {}
        for w in page:
            key = next((k for k in rows if abs(k - w[1]) < 1.0), w[1])
            rows.setdefault(key, []).append(w)
        for y, ws in rows.items():
            height = ws[0][3] - ws[0][1]
            extent = max(w[2] for w in ws) - min(w[0] for w in ws)
            if TOP < y < BOTTOM and (15 < height < 17 or 19.5 < height < 22) and extent > WIDTH - 3 * WIDTH / 28:
                text = "".join(w[4] for w in sorted(ws))
                out.append((text, extent / _cells(text)))
    return out


def test_libreoffice_spreads_no_line_of_the_opinion(opinion):  # type: ignore[no-untyped-def]
    """§5.2.3 in the other 公文: no 3号 line is spread over the 版心 — each holds its characters at
    about their own pitch (a cell of 15.79 pt, a digit half) in the converted DOCX as in the PDF
    (lines the PDF itself sets apart, the blanks of 审核日期：　年　月　日, aside), and the conversion
    takes about as many lines. (A paragraph snapped to the section's character grid took two cells
    a character in LibreOffice: lines broken after 12 to 14 characters, then spread.)"""
    limit = WIDTH / 28 + 1.5
    pdf, converted = (_pitches(path) for path in opinion)
    apart = {text for text, pitch in pdf if pitch >= limit}
    spread = [(text, round(pitch, 1)) for text, pitch in converted if pitch >= limit and text not in apart]
    assert not spread, spread
    assert len(pdf) >= 10 and len(converted) <= len(pdf) * 1.1, (len(pdf), len(converted))
