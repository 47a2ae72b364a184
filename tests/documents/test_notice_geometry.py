"""The award notice measured against GB/T 9704-2012, on the PDF itself and on the DOCX as
LibreOffice lays it out (issue 20, point 1).

Every figure is read from the files: pdftotext's word boxes (each character's em box), the
baselines of the content streams, and the rules as pixels (pdftoppm). 1 pt = 1/72 inch; the 版心
is 156 × 225 mm, 28 mm from the left and 37 mm from the top; a line of the 22-line grid is 28.95 pt.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest

from zzcbec_docs.bundle import load_bundle
from zzcbec_docs.documents import NoticeOptions, render_bundle
from zzcbec_docs.documents.render import build_html
from zzcbec_docs.policy import load_policy

from conftest import SAMPLES, make_bundle, write_bundle
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

MM = 72 / 25.4
LEFT, TOP, WIDTH, HEIGHT = 28 * MM, 37 * MM, 156 * MM, 225 * MM
RIGHT, BOTTOM = LEFT + WIDTH, TOP + HEIGHT
LINE = 28.95  # 22 lines in 225 mm
CELL = WIDTH / 28  # 28 characters in 156 mm
EPOCH = "1767225600"
NUMBER = "郑商务〔2026〕15号"
LONG_NAME = "河南省郑州市中原区示例跨境电子商务供应链管理有限公司"


def _bundles(tmp: Path) -> dict[str, Path]:
    return {
        "one-clause": SAMPLES / "clause01-eligible.yaml",
        "many-clauses": SAMPLES / "multi-clause-eligible.yaml",
        "long-name": write_bundle(
            tmp / "long.json",
            make_bundle(1, {"import_export": "12000000", "promotion_costs": "800000"}, name=LONG_NAME, n=41),
        ),
    }


@pytest.fixture(scope="module")
def notices(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("geometry")
    default_faces()
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    out = {}
    try:
        for key, src in _bundles(tmp).items():
            files = render_bundle(
                load_bundle(src, load_policy()),
                load_policy(),
                kinds=["notice"],
                formats=["pdf", "docx"],
                out_dir=tmp / key,
                notice=NoticeOptions(number=NUMBER),
            )
            out[key] = {f.format: f.path for f in files}
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    return out


KEYS = ["one-clause", "many-clauses", "long-name"]


def cells(text: str) -> float:
    """Grid cells a text takes: a Chinese character or full-width mark one, a digit or Latin letter half."""
    return sum(0.5 if ord(ch) < 0x2000 and unicodedata.east_asian_width(ch) in "NaH" else 1.0 for ch in text)


def lines_of(page_words):  # type: ignore[no-untyped-def]
    """Word boxes of one page joined into lines (same yMin): [(xMin, yMin, xMax, yMax, text)]."""
    rows: dict[float, list] = {}
    for w in page_words:
        key = next((k for k in rows if abs(k - w[1]) < 0.5), w[1])
        rows.setdefault(key, []).append(w)
    out = []
    for y in sorted(rows):
        ws = sorted(rows[y])
        out.append((ws[0][0], y, max(w[2] for w in ws), max(w[3] for w in ws), "".join(w[4] for w in ws)))
    return out


def find(lines, start: str):  # type: ignore[no-untyped-def]
    hits = [ln for ln in lines if ln[4].startswith(start)]
    assert hits, (start, [ln[4] for ln in lines])
    return hits[0]


def page_number(text: str) -> bool:
    return re.fullmatch(r"—\s*\d+\s*—", text) is not None


# ---------------------------------------------------------------- §7.2 版头


@pytest.mark.parametrize("key", KEYS)
def test_the_banner_stands_35_mm_below_the_type_area_and_the_number_two_lines_under_it(notices, key):
    """§7.2.4: 发文机关标志 centred, its upper edge 35 mm below the 版心's; §7.2.5: 发文字号 centred,
    two empty lines of the grid between them (the 文号's em box starts 2 lines and a leading lower)."""
    first = lines_of(word_boxes(notices[key]["pdf"])[0])
    mark, number = find(first, "郑州市商务局文件"), find(first, NUMBER)
    assert abs(mark[1] - (TOP + 35 * MM)) < 0.3 * MM, (mark[1] - TOP) / MM
    assert abs((mark[0] + mark[2]) / 2 - (LEFT + WIDTH / 2)) < 1.5
    assert abs(number[1] - mark[3] - (2 * LINE + (LINE - 16))) < 1.0, number[1] - mark[3]
    assert abs((number[0] + number[2]) / 2 - (LEFT + WIDTH / 2)) < 1.0


@pytest.mark.parametrize("key", KEYS)
def test_the_red_rule_is_4_mm_under_the_number_and_as_wide_as_the_type_area(notices, key):
    """§7.2.7: 发文字号之下4mm处 a red 分隔线 as wide as the 版心; nothing else on the page is red."""
    pdf = notices[key]["pdf"]
    number = find(lines_of(word_boxes(pdf)[0]), NUMBER)
    red = [r for r in horizontal_rules(pdf, 1) if r[4] == "red"]
    assert len(red) == 1, red
    top, bottom, left, right, _ = red[0]
    assert abs((top + bottom) / 2 - (number[3] + 4 * MM)) < 0.3 * MM, ((top + bottom) / 2 - number[3]) / MM
    assert abs(left - LEFT) < 0.5 * MM and abs(right - RIGHT) < 0.5 * MM, (left / MM, right / MM)


@pytest.mark.parametrize("key", KEYS)
def test_the_title_is_two_lines_under_the_rule_centred_and_shorter_than_the_type_area(notices, key):
    """§7.3.1: 2号 title, 空二行 under the rule, centred, each line shorter than the 版心."""
    pdf = notices[key]["pdf"]
    first = lines_of(word_boxes(pdf)[0])
    red = [r for r in horizontal_rules(pdf, 1) if r[4] == "red"][0]
    title = [ln for ln in first if abs((ln[3] - ln[1]) - 22) < 0.5]
    assert len(title) >= 2
    rule = (red[0] + red[1]) / 2
    assert abs(title[0][1] - rule - (2 * LINE + (35 - 22) / 2)) < 1.0, title[0][1] - rule
    for ln in title:
        assert ln[2] - ln[0] < WIDTH - 1, ln
        assert abs((ln[0] + ln[2]) / 2 - (LEFT + WIDTH / 2)) < 1.5, ln


# ---------------------------------------------------------------- §5.2.3 / §7.3.3 the lines of the body


def body_paragraph_lines(pdf: Path):  # type: ignore[no-untyped-def]
    """(line, is the paragraph's last line) of the 3号 body lines of every page, in order."""
    out = []
    for page in word_boxes(pdf):
        rows = [
            ln
            for ln in lines_of(page)
            if abs((ln[3] - ln[1]) - 16) < 0.3 and LEFT - 1 < ln[0] < LEFT + 2 * CELL + 1 and ln[1] < BOTTOM - 4 * LINE
        ]  # the body, not the 版记 (4号) or the title (2号)
        for i, ln in enumerate(rows):
            nxt = rows[i + 1] if i + 1 < len(rows) else None
            continued = nxt is not None and abs(nxt[0] - LEFT) < 1 and abs(nxt[1] - ln[1] - LINE) < 0.5
            out.append((ln, not continued))
    return out


@pytest.mark.parametrize("key", KEYS)
def test_only_a_paragraphs_last_line_is_short_and_no_line_is_spread(notices, key):
    """§5.2.3: 28 characters a line, filling the 版心: a line that the paragraph continues ends on the
    right edge and holds its 28 cells at their own pitch (a number's digits are half a cell)."""
    lines = body_paragraph_lines(notices[key]["pdf"])
    continued = [ln for ln, last in lines if not last]
    assert len(continued) >= 3, lines
    for x0, _, x1, _, text in continued:
        assert abs(x1 - RIGHT) < 1.5, (text, RIGHT - x1)
        indent = 2 if abs(x0 - (LEFT + 2 * CELL)) < 1 else 0
        assert cells(text) + indent >= 27.5, (text, cells(text) + indent)
        assert (x1 - x0) / (cells(text)) <= CELL + 0.35, (text, (x1 - x0) / cells(text))  # not spread


# ---------------------------------------------------------------- §7.3.5 署名, 成文日期, 印章; §7.3.6 附注


@pytest.mark.parametrize("key", KEYS)
def test_the_date_stands_four_characters_from_the_right_under_the_issuer_with_room_for_the_seal(notices, key):
    """§7.3.5.1: 成文日期右空四字, the 署名 centred over it; a 42 mm seal, its top within a line of the
    body, presses both below its centre; §7.3.6: the 附注 on the next line, 左空二字."""
    pdf = notices[key]["pdf"]
    pages = word_boxes(pdf)
    page, lines = next((i, lines_of(p)) for i, p in enumerate(pages) if any("特此通知" in w[4] for w in p))
    closing = find(lines, "特此通知")
    issuer = next(ln for ln in lines if ln[4] == "郑州市商务局" and ln[1] > closing[1])
    date = next(ln for ln in lines if ln[4] == "2026年1月1日" and ln[1] > issuer[1])
    fuzhu = find(lines, "（本通知")
    assert abs(date[2] - (RIGHT - 4 * CELL)) < 1.0, (RIGHT - date[2]) / CELL
    assert abs((issuer[0] + issuer[2]) / 2 - (date[0] + date[2]) / 2) < 1.0
    assert abs(date[1] - issuer[1] - LINE) < 0.5
    assert abs(issuer[1] - closing[1] - 4 * LINE) < 0.5  # three empty lines: the seal's room
    seal = 42 * MM
    middle = (issuer[1] + date[3]) / 2
    lowest, highest = max(closing[3], date[3] - seal), min(closing[3] + LINE, middle - seal / 2)
    assert lowest <= highest, (lowest, highest)  # a seal top exists that meets every condition
    assert abs(fuzhu[1] - date[1] - LINE) < 0.5 and abs(fuzhu[0] - (LEFT + 2 * CELL)) < 1.0


# ---------------------------------------------------------------- §7.4 版记, §7.5 页码


@pytest.mark.parametrize("key", KEYS)
def test_the_last_rule_of_the_banji_lies_on_the_lower_edge_and_nothing_is_printed_below_it(notices, key):
    """§7.4.1: the 版记 on the last page between rules as wide as the 版心 (thick first and last,
    thin between), the last on the 版心's lower edge; the 核验码 is one of its elements, above it;
    §7.4.3: 印发机关 左空一字 and 印发日期 右空一字 on the line over the last rule."""
    pdf = notices[key]["pdf"]
    pages = word_boxes(pdf)
    last = len(pages)
    rules = [r for r in horizontal_rules(pdf, last) if r[4] == "black" and r[0] > BOTTOM - 60 * MM]
    assert len(rules) >= 4, rules
    bottom_rule = rules[-1]
    assert abs((bottom_rule[0] + bottom_rule[1]) / 2 - BOTTOM) < 0.3 * MM, (
        (bottom_rule[0] + bottom_rule[1]) / 2 - BOTTOM
    ) / MM
    for _top, _bottom, left, right, _ in rules:
        assert abs(left - LEFT) < 0.5 * MM and abs(right - RIGHT) < 0.5 * MM
    thickness = [b - t for t, b, *_ in rules]
    assert thickness[0] > min(thickness[1:-1]) and thickness[-1] > min(thickness[1:-1]), thickness
    lines = lines_of(pages[-1])
    below = [ln for ln in lines if ln[1] > (bottom_rule[0] + bottom_rule[1]) / 2 and not page_number(ln[4])]
    assert not below, below
    code = find(lines, "核验码：")
    printed = next(ln for ln in lines if ln[4].startswith("郑州市商务局办公室"))
    assert rules[0][1] < code[1] < bottom_rule[0]
    assert 0 < bottom_rule[0] - printed[3] < LINE
    assert abs(printed[0] - (LEFT + 14)) < 1.0 and abs(printed[2] - (RIGHT - 14)) < 1.0  # 左右各空一字


def _padded_notice_pages(extra: int, tmp: Path) -> tuple[Path, object]:
    """The many-clauses notice with `extra` more body paragraphs, laid out and drawn."""
    from zzcbec_docs.documents.fixed_form import NoticeLayout
    from zzcbec_docs.documents.pdf import render_pdf

    bundle = load_bundle(SAMPLES / "multi-clause-eligible.yaml", load_policy())
    html, _ = build_html(bundle, load_policy(), "notice", notice=NoticeOptions(number=NUMBER))
    filler = "<p>经审核，申报材料真实完整，各项数据与财务报表、海关数据一致，符合《措施》规定的条件。</p>\n"
    html = html.replace('<div class="closing">', filler * extra + '<div class="closing">', 1)
    path = tmp / f"padded-{extra}.pdf"
    path.write_bytes(render_pdf(html, f"padded-{extra}", kind="notice"))
    return path, NoticeLayout(html)


@pytest.mark.parametrize("flow_ends_on", ["even", "odd"])
def test_a_banji_that_stands_alone_takes_an_even_last_page(tmp_path, flow_ends_on):
    """§7.4 / §7.5: where the 版记 cannot share the page of the closing it goes to a page of its own,
    an even one: after a closing on an even page a blank page comes first, and then neither the
    blank page nor the 版记's page is numbered; after an odd one the 版记's page is numbered."""
    from zzcbec_docs.documents.fixed_form import NoticeLayout

    bundle = load_bundle(SAMPLES / "multi-clause-eligible.yaml", load_policy())
    base, _ = build_html(bundle, load_policy(), "notice", notice=NoticeOptions(number=NUMBER))
    filler = "<p>经审核，申报材料真实完整，各项数据与财务报表、海关数据一致，符合《措施》规定的条件。</p>\n"
    wanted = 1 if flow_ends_on == "even" else 0  # index of the closing's page: 1 is page 2
    extra = next(
        n
        for n in range(0, 60)
        if (lambda lay: lay.banji_page > lay.flow_page and lay.flow_page % 2 == wanted)(
            NoticeLayout(base.replace('<div class="closing">', filler * n + '<div class="closing">', 1))
        )
    )
    pdf, layout = _padded_notice_pages(extra, tmp_path)
    pages = word_boxes(pdf)
    assert len(pages) % 2 == 0, len(pages)
    assert any(w[4].startswith("抄送") for w in pages[-1])
    numbers = [[w for w in p if page_number(w[4]) or re.fullmatch(r"\d+", w[4]) and w[1] > BOTTOM] for p in pages]
    if flow_ends_on == "even":
        assert pages[-2] == [], pages[-2]  # the blank page
        assert numbers[-1] == [] and numbers[-2] == []
        assert all(numbers[i] for i in range(len(pages) - 2))
    else:
        assert all(numbers[i] for i in range(len(pages)))
    body_on_last = [w for w in lines_of(pages[-1]) if w[1] < BOTTOM - 40 * MM and not page_number(w[4])]
    assert not body_on_last, body_on_last  # the 版记 stands alone


# ---------------------------------------------------------------- the DOCX, as LibreOffice lays it out

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


@pytest.mark.slow
@pytest.mark.skipif(
    libreoffice() is None,
    reason="LibreOffice (soffice) is not installed: the DOCX is measured "
    "only where it is (apt-get install libreoffice-writer-nogui); it is not a test dependency",
)
@pytest.mark.parametrize("key", KEYS)
def test_the_docx_converted_by_libreoffice_puts_everything_within_1_mm_of_the_pdf(notices, key, tmp_path):
    """The same positions when LibreOffice converts the DOCX (with the office's font names found as
    the same faces): each element's baseline, the red rule and the 版记's rules within 1 mm; every
    line of the body the same characters as the PDF's line, at the same baseline (LibreOffice breaks
    the paragraphs itself: the DOCX has no line breaks in them)."""
    pdf, docx = notices[key]["pdf"], notices[key]["docx"]
    converted = libreoffice_pdf(docx, tmp_path / "lo")
    ours, theirs = baseline_lines(pdf), baseline_lines(converted)
    assert max(x[0] for x in theirs) == max(x[0] for x in ours), "not the same number of pages"
    for start in ELEMENTS:
        a = [x for x in ours if "".join(x[4].split()).startswith(start)]
        b = [x for x in theirs if "".join(x[4].split()).startswith(start)]
        assert a and b, start
        for x, y in zip(a, b, strict=False):
            assert x[0] == y[0] and abs(x[1] - y[1]) < 1 * MM, (start, x, y)
    for page in range(1, max(x[0] for x in ours) + 1):
        mine = horizontal_rules(pdf, page)
        lo = horizontal_rules(converted, page)
        for colour in ("red", "black"):
            a = [r for r in mine if r[4] == colour and r[2] < LEFT + 1 * MM and r[3] > RIGHT - 1 * MM]
            b = [r for r in lo if r[4] == colour and r[2] < LEFT + 1 * MM and r[3] > RIGHT - 1 * MM]
            if colour == "black":  # the 版记's rules (the tables' own lines are compared by the text in them)
                a = [r for r in a if r[0] > BOTTOM - 60 * MM]
                b = [r for r in b if r[0] > BOTTOM - 60 * MM]
            assert len(a) == len(b), (page, colour, a, b)
            for r, s in zip(a, b, strict=True):
                assert abs((r[0] + r[1]) / 2 - (s[0] + s[1]) / 2) < 1 * MM, (page, colour, r, s)
    mine, lo = numbers_kept_whole(body_lines(pdf)), body_lines(converted)
    assert len(mine) >= 6, mine
    assert [t for _, _, t in lo] == [t for _, _, t in mine]
    for (pa, ya, _), (pb, yb, text) in zip(mine, lo, strict=True):
        assert pa == pb and abs(ya - yb) < 1 * MM, (text, pa, pb, ya, yb)


def test_the_seal_box_given_to_a_signature_lies_where_the_seal_goes(notices, tmp_path):
    """The box a signature's appearance is drawn in (fixed_form.seal_box): 42 mm, its top within a
    line of the body's last line, the 署名 and the date inside it and below its centre."""
    from zzcbec_docs.documents.fixed_form import seal_box

    bundle = load_bundle(SAMPLES / "multi-clause-eligible.yaml", load_policy())
    html, _ = build_html(bundle, load_policy(), "notice", notice=NoticeOptions(number=NUMBER))
    page, x0, y0, x1, y1 = seal_box(html)
    assert abs((x1 - x0) - 42 * MM) < 0.01 and abs((y1 - y0) - 42 * MM) < 0.01
    lines = lines_of(word_boxes(notices["many-clauses"]["pdf"])[page])
    closing = find(lines, "特此通知")
    issuer = next(ln for ln in lines if ln[4] == "郑州市商务局" and ln[1] > closing[1])
    date = next(ln for ln in lines if ln[4] == "2026年1月1日" and ln[1] > issuer[1])
    assert closing[3] <= y0 <= closing[3] + LINE
    assert (y0 + y1) / 2 < issuer[1] and date[3] < y1
    assert x0 < min(issuer[0], date[0]) and max(issuer[2], date[2]) < x1
