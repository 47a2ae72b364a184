"""Documents a bureau signs and archives, read back from the files (issue 12).

Every check opens what a user gets: PDF text and layout through poppler, the red 版头 as pixels
(pdftoppm), the DOCX as XML; for several bundles (one clause, many clauses, two competitions, a
long company name, a rare character in the name), in both formats.
"""

from __future__ import annotations

import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml
from docx import Document

from zzcbec_docs.bundle import load_bundle
from zzcbec_docs.documents import NoticeOptions, render_bundle
from zzcbec_docs.policy import load_policy

from conftest import SAMPLES, make_bundle, run_cli, write_bundle
from docs_helpers import docx_blocks, misdrawn_characters, pdf_text, source_faces

# renders documents or starts processes: left out by `make test-fast`
pytestmark = pytest.mark.slow

EPOCH = "1767225600"  # 2026-01-01T00:00:00Z
KINDS = ["application", "opinion", "notice"]
LONG_NAME = "河南省郑州市中原区示例跨境电子商务供应链管理有限公司"  # 25 characters: longer than a title line
RARE_NAME = "郑州䶮昇跨境电商有限公司"  # 䶮 (U+4DAE) is outside GB 2312: drawn by the Noto CJK fallback


def _bundles(tmp: Path) -> dict[str, Path]:
    return {
        "one-clause": SAMPLES / "clause01-eligible.yaml",
        "many-clauses": SAMPLES / "multi-clause-eligible.yaml",
        "two-competitions": SAMPLES / "clause11-eligible.yaml",
        "long-name": write_bundle(
            tmp / "long.json",
            make_bundle(1, {"import_export": "12000000", "promotion_costs": "800000"}, name=LONG_NAME, n=31),
        ),
        "rare-name": write_bundle(
            tmp / "rare.json",
            make_bundle(1, {"import_export": "12000000", "promotion_costs": "800000"}, name=RARE_NAME, n=32),
        ),
    }


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    """Each bundle's three documents in both formats, numbered, reproducibly."""
    tmp = tmp_path_factory.mktemp("bureau")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    out = {}
    try:
        for key, src in _bundles(tmp).items():
            bundle = load_bundle(src, load_policy())
            files = render_bundle(
                bundle,
                load_policy(),
                kinds=KINDS,
                formats=["docx", "pdf"],
                out_dir=tmp / key,
                notice=NoticeOptions(number="郑商务〔2026〕15号"),
            )
            out[key] = (bundle, {(f.kind, f.format): f.path for f in files})
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    return out


ALL = ["one-clause", "many-clauses", "two-competitions", "long-name", "rare-name"]


def flat(text: str) -> str:
    return "".join(text.split())


def docx_text(path: Path) -> str:
    return flat("".join(docx_blocks(path)))


def docx_xml(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith((".xml", ".rels"))}


def red_pixels(pdf: Path, page: int = 1, dpi: int = 30) -> list[tuple[int, int]]:
    """(x, y) of strongly red pixels on a page, read from pdftoppm's PPM (no imaging library needed)."""
    raw = subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), str(pdf)], capture_output=True, check=True
    ).stdout
    header = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", raw)
    assert header, "pdftoppm gave no PPM"
    w, h = int(header.group(1)), int(header.group(2))
    data = raw[header.end() :]
    out = []
    for i in range(w * h):
        r, g, b = data[3 * i], data[3 * i + 1], data[3 * i + 2]
        if r > 170 and r - g > 70 and r - b > 70:
            out.append((i % w, i // w))
    return out


# ---------------------------------------------------------------- page numbers and the 发文字号

MM = 72 / 25.4


@pytest.mark.parametrize("kind", ["notice", "opinion"])
def test_page_numbers_stand_7_mm_below_the_type_area_in_4_hao_songti_on_the_outer_side(bundles, kind):
    """GB/T 9704: 4号 (14 pt) 宋体, the top of "— n —" 7 mm below the 版心 (A4, bottom margin 35 mm),
    right on odd pages, left on even ones."""
    _, files = bundles["many-clauses"]
    pdf = files[(kind, "pdf")]
    pages = int(
        re.search(
            r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        ).group(1)
    )
    for page in range(1, pages + 1):
        bbox = subprocess.run(
            ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        dashes = [
            (float(x0), float(y0), float(y1))
            for x0, y0, y1 in re.findall(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">—</word>', bbox
            )
        ]
        x0, y0, y1 = dashes[-1]
        assert abs(y0 - (297 - 35 + 7) * MM) < 0.5 * MM, (page, y0 / MM)  # its top 7 mm below the 版心
        assert abs((y1 - y0) - 14) < 0.5, (page, y1 - y0)  # 14 pt
        assert (x0 > 595 / 2) == (page % 2 == 1), (page, x0)  # outer side
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"\+FandolSong\s", fonts), fonts  # 宋体 (FandolSong), not its bold


@pytest.mark.parametrize(
    "number", ["郑商务[2026]15号", "郑商务〔26〕15号", "郑商务〔2026〕015号", "郑商务〔2026〕第15号"]
)
def test_a_document_number_not_in_gb_t_9704_form_is_refused_and_nothing_written(number, tmp_path):
    """〔〕 brackets, a four-digit year, no leading zeros, no 第: the notice is not made otherwise."""
    from zzcbec_docs.errors import ArgumentError

    with pytest.raises(ArgumentError) as e:
        render_bundle(
            load_bundle(SAMPLES / "clause01-eligible.yaml", load_policy()),
            load_policy(),
            kinds=["notice"],
            formats=["docx", "pdf"],
            out_dir=tmp_path,
            notice=NoticeOptions(number=number),
        )
    assert "GB/T 9704" in e.value.zh and "GB/T 9704" in e.value.en
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- the notice: 版头 and 版记


@pytest.mark.parametrize("key", ALL)
def test_notice_has_a_red_banner_and_a_red_rule_on_page_one_only_in_the_head(bundles, key):
    _, files = bundles[key]
    pdf = files[("notice", "pdf")]
    dpi = 50
    red = red_pixels(pdf, 1, dpi)
    height = 297 / 25.4 * dpi
    assert len(red) > 400, "no red 发文机关标志"
    # GB/T 9704 §7.2: the 标志 35 mm below the 版心's top, the rule under the 文号 (≈ 119 mm from the page's
    # top, issue 20); body, title and 版记 are black
    assert max(y for _, y in red) < height * 0.42, "red below the 版头"
    rows: dict[int, int] = {}
    for _, y in red:
        rows[y] = rows.get(y, 0) + 1
    width_px = 156 / 25.4 * dpi
    assert max(rows.values()) > width_px * 0.9, "no red separator across the 版心"
    assert flat(pdf_text(pdf)).startswith("郑州市商务局文件郑商务〔2026〕15号")


@pytest.mark.parametrize("key", ALL)
@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_notice_carries_banji_fuzhu_and_verification_code_and_no_tool_line(bundles, key, fmt):
    bundle, files = bundles[key]
    path = files[("notice", fmt)]
    text = flat(pdf_text(path)) if fmt == "pdf" else docx_text(path)
    d = bundle.applicant.district
    assert f"抄送：{d}商务主管部门，{d}财政部门，郑州市财政局。" in text
    assert "郑州市商务局办公室2026年1月1日印发" in text
    assert re.search(r"核验码：[A-Z2-9]{4}-[A-Z2-9]{4}", text)
    assert "（本通知所列奖励依据《措施》征求意见稿测算，政策正式印发后以正式文本为准）" in text
    assert "zzcbec" not in text and bundle.sha256 not in text and "SHA-256" not in text
    # 版记 comes after the closing: 特此通知 → issuer → date → 附注 → 抄送 → 印发
    order = [
        text.index(s) for s in ("特此通知", "郑州市商务局2026年1月1日", "（本通知", "抄送：", "办公室2026年1月1日印发")
    ]
    assert order == sorted(order)


@pytest.mark.parametrize("key", ALL)
def test_notice_money_is_in_gongwen_style_and_each_clause_is_named_once(bundles, key):
    bundle, files = bundles[key]
    for fmt in ("pdf", "docx"):
        path = files[("notice", fmt)]
        text = flat(pdf_text(path)) if fmt == "pdf" else docx_text(path)
        assert "¥" not in text and "单位：元" in text and "合计" in text
        assert re.search(r"奖励资金合计[0-9.]+万?元（人民币[零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整]+）", text)
        sentence = re.search(r"符合《措施》(.+?)规定", text).group(1)
        named = sentence.split("、")
        assert len(named) == len(set(named)), sentence
    if key == "two-competitions":
        assert "符合《措施》第十一条规定" in docx_text(files[("notice", "docx")])
    if key == "one-clause":
        assert "奖励资金合计24万元（人民币贰拾肆万元整），其中市级财政承担12万元，金水区财政承担12万元。" in docx_text(
            files[("notice", "docx")]
        )


@pytest.mark.parametrize("key", ALL)
def test_title_breaks_between_words_and_keeps_the_company_name_whole(bundles, key):
    bundle, files = bundles[key]
    name = bundle.applicant.name
    doc = Document(str(files[("notice", "docx")]))
    title = next(p for p in doc.paragraphs if p.style.name == "Title")
    lines = [x.strip() for x in title.text.split("\n")]
    assert "".join(lines) == f"郑州市商务局关于给予{name}跨境电商发展资金奖励的通知"
    assert all(len(x) <= 20 for x in lines), lines
    if len(name) <= 20:
        assert name in lines or any(x.startswith(name) or x.endswith(name) for x in lines), lines
    else:  # too long for a line: broken only before its legal form
        assert "有限公司" in lines[-2] + lines[-1] and not any(x.endswith("有限") for x in lines), lines
    pdf_lines = [flat(x) for x in pdf_text(files[("notice", "pdf")]).splitlines()]
    for line in lines:
        assert line in pdf_lines, (line, pdf_lines[:12])  # the PDF breaks the title at the same places
    lengths = [len(x) for x in lines]
    hourglass = any(lengths[i] < lengths[i - 1] and lengths[i] < lengths[i + 1] for i in range(1, len(lengths) - 1))
    assert not hourglass, lengths


@pytest.mark.parametrize("key", ["long-name", "many-clauses"])
def test_addressee_line_never_leaves_a_fragment(bundles, key):
    bundle, files = bundles[key]
    lines = [flat(x) for x in pdf_text(files[("notice", "pdf")]).splitlines()]
    at = next(i for i, x in enumerate(lines) if x.endswith("：") and bundle.applicant.name.endswith(x[:-1][-4:]))
    assert len(lines[at]) >= 6, lines[at - 1 : at + 1]  # never "司：" alone


def test_rare_character_is_drawn_and_extracts_back(bundles):
    _, files = bundles["rare-name"]
    for kind in KINDS:
        path = files[(kind, "pdf")]
        assert RARE_NAME in flat(pdf_text(path)), kind
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        assert "Noto" in fonts, "the rare character needs the Noto CJK fallback"
        assert "FandolFang" in fonts
        assert misdrawn_characters(path, source_faces()) == [], kind  # the same glyphs in every viewer


# ---------------------------------------------------------------- PDF: faces, PDF/A, tags, grid


@pytest.mark.parametrize("key", ["one-clause", "many-clauses"])
@pytest.mark.parametrize("kind", KINDS)
def test_pdf_is_pdf_a_2b_and_tagged_with_real_faces_under_their_own_names(bundles, key, kind):
    _, files = bundles[key]
    path = files[(kind, "pdf")]
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    info = subprocess.run(["pdfinfo", "-meta", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r'pdfaid:part(="|>)2', info) and re.search(r'pdfaid:conformance(="|>)B', info)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    names = [line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:] if line.strip()]
    assert any(n.startswith("FandolFang") for n in names)  # the 仿宋 body
    assert any(n.startswith("FandolHei") for n in names)  # 黑体 headings / table heads
    if kind != "application":
        assert any(n.startswith("FandolSong-Bold") for n in names)  # the heavy serif for 小标宋
    assert not any(n.startswith("ZZ") for n in names), names  # no face renamed to look like another
    assert all(" yes yes yes " in line for line in fonts.splitlines()[2:] if line.strip())


def test_pdf_body_lines_hold_28_characters(bundles):
    """3号仿宋 on the 28 × 22 grid: a full line of Chinese text holds 28 characters."""
    _, files = bundles["many-clauses"]
    lines = [flat(x) for x in pdf_text(files[("opinion", "pdf")]).splitlines()]
    full = [x for x in lines if re.fullmatch(r"[\u3001-\u303f\u4e00-\u9fff\uff01-\uff5e“”‘’《》…]+", x)]
    assert max(len(x) for x in full) == 28, max(full, key=len)


def test_pdf_body_lines_are_justified_to_the_right_edge_of_the_banxin(bundles):
    """Lines that a paragraph continues end flush on the 版心's right edge (28 + 156 mm), Chinese included."""
    _, files = bundles["many-clauses"]
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(files[("opinion", "pdf")]), "-"], capture_output=True, text=True, check=True
    ).stdout
    right_edge = (28 + 156) * 72 / 25.4
    flush, ragged = 0, 0
    for page in bbox.split("<page ")[1:]:
        lines: dict[int, list[tuple[float, float]]] = {}
        for x0, y0, x1 in re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">', page):
            lines.setdefault(round(float(y0)), []).append((float(x0), float(x1)))
        ys = sorted(lines)
        for y, next_y in zip(ys, ys[1:], strict=False):
            start = min(a for a, _ in lines[y])
            next_start = min(a for a, _ in lines[next_y])
            body = abs(start - 28 * 72 / 25.4) < 2 or abs(start - (28 * 72 / 25.4 + 31.6)) < 2
            continued = abs(next_start - 28 * 72 / 25.4) < 2 and 27 < next_y - y < 31  # next line is not indented
            if body and continued:
                end = max(b for _, b in lines[y])
                flush, ragged = (flush + 1, ragged) if abs(end - right_edge) < 2.5 else (flush, ragged + 1)
    assert flush >= 10 and ragged <= flush // 5, (flush, ragged)


# ---------------------------------------------------------------- DOCX as Word and WPS read it


@pytest.mark.parametrize("kind", KINDS)
def test_docx_package_is_clean_and_languages_are_right(bundles, kind):
    _, files = bundles["many-clauses"]
    xml = docx_xml(files[(kind, "docx")])
    everything = "".join(xml.values())
    for leftover in ("Microsoft Macintosh Word", "ja-JP", "ＭＳ 明朝", "ＭＳ ゴシック", "thumbnail.jpeg"):
        assert leftover not in everything, leftover
    assert "<Application>zzcbec-docs</Application>" in xml["docProps/app.xml"]
    styles = xml["word/styles.xml"]
    langs = re.findall(r"<w:lang [^>]*/>", styles)
    assert langs and all('w:val="en-US"' in x and 'w:eastAsia="zh-CN"' in x for x in langs), set(langs)
    assert "w:rFonts" not in xml["word/document.xml"]  # fonts through the styles only
    assert "w:lang" not in xml["word/document.xml"]
    for name in ("仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312", "宋体"):
        assert f'w:eastAsia="{name}"' in styles, name
        assert f'w:name="{name}"' in xml["word/fontTable.xml"], name
    # no style of python-docx's template is left for a clerk to pick: no theme fonts, no blue accents
    assert "Theme" not in styles and "themeColor" not in styles and "4F81BD" not in styles
    assert not re.search(r'w:styleId="(Heading[5-9]|IntenseQuote|LightShading\w*)"', styles)
    for level in ("3", "4"):  # 1. and （1）: 仿宋, as the body
        heading = re.search(rf'<w:style [^>]*w:styleId="Heading{level}".*?</w:style>', styles, re.S).group(0)
        assert 'w:eastAsia="仿宋_GB2312"' in heading and f'<w:outlineLvl w:val="{int(level) - 1}"/>' in heading


@pytest.mark.parametrize("kind", ["opinion", "notice"])
def test_docx_uses_built_in_headings_grid_header_rows_and_unsplittable_rows(bundles, kind):
    _, files = bundles["many-clauses"]
    path = files[(kind, "docx")]
    doc = Document(str(path))
    xml = docx_xml(path)
    grid = re.search(r"<w:docGrid [^>]*/>", xml["word/document.xml"]).group(0)
    assert 'w:linePitch="579"' in grid  # 22 lines of 28.95 pt
    if kind == "notice":
        # the notice breaks its own lines on the 28-character grid (a grid of lines only: LibreOffice's
        # character grid moved the text off the margin), measured in test_notice_docx_geometry
        assert 'w:type="lines"' in grid
    else:
        assert 'w:type="linesAndChars"' in grid
        char_space = int(re.search(r'w:charSpace="(-?\d+)"', grid).group(1))
        assert round(156 / 25.4 * 72 / (16 + char_space / 4096)) == 28  # 28 characters in the 156 mm 版心
    for table in doc.tables:
        trs = [row._tr for row in table.rows]
        assert all(tr.trPr is not None and tr.trPr.find(qn("w:cantSplit")) is not None for tr in trs)
        assert trs[0].trPr.find(qn("w:tblHeader")) is not None  # repeated on each page
    if kind == "opinion":
        used = {p.style.name for p in doc.paragraphs}
        assert {"Heading 1", "Heading 2", "Title"} <= used
        for name, level in (("Heading 1", "0"), ("Heading 2", "1")):
            style = doc.styles[name].element
            assert style.pPr.find(qn("w:outlineLvl")).get(qn("w:val")) == level
            assert style.pPr.find(qn("w:keepNext")) is not None
        assert doc.styles["Heading 1"].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "黑体"
        assert doc.styles["Heading 2"].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "楷体_GB2312"
    else:
        closing = [p for p in doc.paragraphs if p.text.strip() in ("特此通知。", "郑州市商务局")]
        assert closing and all(p.paragraph_format.keep_with_next for p in closing)
        before = doc.paragraphs[[p.text for p in doc.paragraphs].index("特此通知。") - 1]
        assert before.paragraph_format.keep_with_next  # the body's last paragraph goes with the closing
        mark = next(p for p in doc.paragraphs if p.text == "郑州市商务局文件")
        assert mark.style.name == "ZZ Mark" and str(mark.style.font.color.rgb) == "E60012"


def qn(tag: str) -> str:
    from docx.oxml.ns import qn as _qn

    return _qn(tag)


# ---------------------------------------------------------------- the application: signable


@pytest.mark.parametrize("key", ["one-clause", "many-clauses", "long-name"])
@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_application_can_be_signed_stamped_and_reviewed(bundles, key, fmt):
    bundle, files = bundles[key]
    path = files[("application", fmt)]
    text = flat(pdf_text(path)) if fmt == "pdf" else docx_text(path)
    for field in (
        "法定代表人（签字）",
        "单位盖章",
        "填报日期",
        "区县（市）商务主管部门初审意见",
        "区县（市）财政部门意见",
        "经办人（签字）",
        "负责人（签字）",
        "（盖章）",
        "自测奖励金额",
        "不是审核结论",
    ):
        assert field in text, field
    assert "初核结果" not in text and "符合；" not in text
    for commitment in (
        "真实、准确、完整",
        "经营异常",
        "严重违法失信",
        "近三年内无重大违法违规行为",
        "各级财政资金",
        "专款专用",
        "绩效评价",
        "退回全部奖励资金",
        "法律责任",
    ):
        assert commitment in text, commitment


def test_application_long_numbers_stay_on_one_line_and_the_letter_is_16_pt(bundles):
    bundle, files = bundles["many-clauses"]
    a = bundle.applicant
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(files[("application", "pdf")]), "-"], capture_output=True, text=True, check=True
    ).stdout
    words = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<', bbox)
    texts = [w for _, _, w in words]
    for number in (a.uscc, a.bank["account"], a.contact["phone"]):
        assert number in texts, number  # one word on one line, not broken inside its cell
    pages = bbox.split("<page ")[1:]
    letter = next(p for p in pages if "承" in p and "诺" in p and "书" in p and "专款专用" in p)
    heights = [
        float(b) - float(a_)
        for a_, b, w in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<', letter)
        if "承诺" in w or "本单位" in w
    ]
    assert heights and min(heights) > 14, heights  # 3号 (16 pt) text, not 12 pt
    doc = Document(str(files[("application", "docx")]))
    commitments = [p for p in doc.paragraphs if p.text.startswith(("一、本单位", "四、获得"))]
    assert commitments and all(p.style.font.size.pt == 16 for p in commitments)
    xml = docx_xml(files[("application", "docx")])["word/document.xml"]
    assert xml.count("<w:noWrap/>") >= 3  # USCC, phone, account cells


# ---------------------------------------------------------------- the opinion: a reviewer's document


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_opinion_names_reviewing_unit_reviewer_and_second_reviewer_and_the_basis_of_each_amount(bundles, fmt):
    bundle, files = bundles["many-clauses"]
    path = files[("opinion", fmt)]
    text = flat(pdf_text(path)) if fmt == "pdf" else docx_text(path)
    assert "审核单位（盖章）：郑州市商务局" in text
    assert "审核人（签字）：＿＿＿＿＿＿＿＿" in text and "复核人（签字）：＿＿＿＿＿＿＿＿" in text
    assert text.count("计算依据：") == len(bundle.claims)
    assert "计算依据：年实际发生国际物流费用（含邮政小包）：3,800,000.55元" in text
    assert "第B档" not in text and "380000.055" not in text and "¥" not in text
    assert "（本意见依据政策征求意见稿测算，政策正式印发后以正式文本为准）" in text


def test_a_final_policy_removes_the_draft_note(tmp_path):
    data_dir = Path(__file__).resolve().parents[2] / "zzcbec_docs" / "policy" / "data"
    text = (data_dir / "zz-cbec-measures-draft.yaml").read_text(encoding="utf-8")
    final = tmp_path / "final.yaml"
    final.write_text(
        text.replace("status: draft", "status: final", 1).replace("issued_on: null", "issued_on: 2026-01-01", 1),
        encoding="utf-8",
    )
    r = run_cli(
        "render",
        str(SAMPLES / "clause01-eligible.yaml"),
        "--doc",
        "opinion,notice",
        "--format",
        "docx",
        "--policy",
        str(final),
        "--out",
        str(tmp_path / "out"),
        "--date",
        "2026-03-05",
    )
    assert r.returncode == 0, r.stderr.decode()
    for path in (tmp_path / "out").glob("*.docx"):
        text = docx_text(path)
        assert "征求意见稿" not in text and "正式印发后以正式文本为准" not in text, path.name


# ---------------------------------------------------------------- issuer profile and fonts


def test_issuer_profile_sets_banner_code_cc_printer_and_contact(tmp_path):
    profile = tmp_path / "issuer.yaml"
    profile.write_text(
        yaml.safe_dump(
            {
                "name": "郑州航空港经济综合实验区商务局",
                "mark": "郑州航空港经济综合实验区商务局文件",
                "code": "郑港商",
                "printer": "郑州航空港经济综合实验区商务局办公室",
                "review_unit": "郑州航空港经济综合实验区商务局",
                "cc": ["{district}财政局", "郑州市商务局"],
                "contact": {"name": "赵某", "phone": "0371-12345678"},
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    r = run_cli(
        "render",
        str(SAMPLES / "clause01-eligible.yaml"),
        "--doc",
        "notice",
        "--format",
        "docx,pdf",
        "--issuer-profile",
        str(profile),
        "--date",
        "2026-03-05",
        "--out",
        str(tmp_path / "out"),
    )
    assert r.returncode == 0, r.stderr.decode()
    for path in (tmp_path / "out").iterdir():  # render makes a 样稿: the number is left for `award`
        text = flat(pdf_text(path)) if path.suffix == ".pdf" else docx_text(path)
        assert "郑州航空港经济综合实验区商务局文件郑港商〔2026〕" in flat(text), text[:40]
        assert "抄送：金水区财政局，郑州市商务局。" in text
        assert "郑州航空港经济综合实验区商务局办公室2026年3月5日印发" in text
        assert "（联系人：赵某；联系电话：0371-12345678）" in text


def test_a_bad_issuer_profile_is_a_clear_error_naming_the_key(tmp_path):
    profile = tmp_path / "issuer.yaml"
    profile.write_text(
        "name: 某局\nmark: 某局文件\ncode: 某〔\nprinter: 某局办公室\nreview_unit: 某局\ncc: []\n", encoding="utf-8"
    )
    r = run_cli(
        "render",
        str(SAMPLES / "clause01-eligible.yaml"),
        "--doc",
        "notice",
        "--format",
        "docx",
        "--issuer-profile",
        str(profile),
        "--out",
        str(tmp_path / "out"),
    )
    err = r.stderr.decode()
    assert r.returncode == 2 and "/code" in err and "发文机关代字" in err and "issuer profile" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_a_bureau_can_use_its_own_fangsong_file(tmp_path):
    """The profile names a font file for the 仿宋 role: the PDF embeds that face, under its own name."""
    from zzcbec_docs.documents import fonts

    own = fonts.fandol_dir() / "FandolKai-Regular.otf"  # stands in for a bureau's 仿宋_GB2312.ttf
    if not own.is_file():
        pytest.skip("Fandol faces not installed (make fonts)")
    profile = tmp_path / "issuer.yaml"
    data = yaml.safe_load(
        (
            Path(__file__).resolve().parents[2] / "zzcbec_docs" / "documents" / "issuers" / "zhengzhou-commerce.yaml"
        ).read_text(encoding="utf-8")
    )
    data["fonts"] = {"fangsong": str(own)}
    profile.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = run_cli(
        "render",
        str(SAMPLES / "clause01-eligible.yaml"),
        "--doc",
        "notice",
        "--format",
        "pdf",
        "--issuer-profile",
        str(profile),
        "--out",
        str(tmp_path / "out"),
    )
    assert r.returncode == 0, r.stderr.decode()
    fonts_out = subprocess.run(
        ["pdffonts", str(next((tmp_path / "out").glob("*.pdf")))], capture_output=True, text=True, check=True
    ).stdout
    assert "FandolKai" in fonts_out and "FandolFang" not in fonts_out


# ---------------------------------------------------------------- gongwen helpers, as a policy officer reads them


def test_amounts_titles_and_thresholds_in_gongwen_words():
    from decimal import Decimal

    from zzcbec_docs.documents import gongwen as g

    assert g.amount_sentence(Decimal("240000"), "人民币贰拾肆万元整") == "24万元（人民币贰拾肆万元整）"
    assert g.yuan_text(Decimal("15000")) == "1.5万元" and g.yuan_text(Decimal("380000.055")) == "380000.06元"
    assert g.yuan_text(Decimal("500")) == "500元"
    assert g.threshold_phrase(g.threshold_money(Decimal("10000000")), "达到…以上", ">=") == "达到1000万元以上（含本数）"
    assert g.threshold_phrase(g.threshold_money(Decimal("100000000")), "超", ">") == "超1亿元（不含本数）"
    assert (
        g.gongwen_text("适用第B档：补贴比例 30%，每年不超过 ¥200,000.00") == "适用档次：补贴比例30%，每年不超过20万元"
    )
    assert "四舍五入至分" in g.gongwen_text("¥3,800,000.55 × 10% = ¥380,000.06（380000.055 四舍五入至分）")
    assert "380000.055" not in g.gongwen_text("¥3,800,000.55 × 10% = ¥380,000.06（380000.055 四舍五入至分）")
    lines = g.break_title(
        ["郑州市商务局", "关于给予", "郑州示例跨境贸易有限公司", "跨境电商发展资金", "奖励的通知"], whole=frozenset({2})
    )
    assert lines == ["郑州市商务局关于给予", "郑州示例跨境贸易有限公司", "跨境电商发展资金奖励的通知"]
