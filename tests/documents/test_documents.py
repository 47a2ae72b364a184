"""The documents, opened and read back: same text in DOCX and PDF, fonts, layout, provenance, safety."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from zzcbec_docs.bundle import load_bundle
from zzcbec_docs.documents import NoticeOptions, render_bundle
from zzcbec_docs.policy import load_policy

from conftest import SAMPLES, make_bundle, run_cli, write_bundle
from docs_helpers import (
    chars,
    docx_blocks,
    docx_footer_text,
    header_rows,
    misdrawn_characters,
    pdf_body_text,
    pdf_text,
    source_faces,
    without_repeated_headers,
)

# renders documents or starts processes: left out by `make test-fast`
pytestmark = pytest.mark.slow

EPOCH = "1767225600"  # 2026-01-01T00:00:00Z
GOLDEN = Path(__file__).parent / "golden"
KINDS = ["application", "opinion", "notice"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """All three kinds of the multi-clause sample, in both formats, reproducibly."""
    out = tmp_path_factory.mktemp("docs")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        bundle = load_bundle(SAMPLES / "multi-clause-eligible.yaml", load_policy())
        files = render_bundle(
            bundle,
            load_policy(),
            kinds=KINDS,
            formats=["docx", "pdf"],
            out_dir=out,
            notice=NoticeOptions(number="郑商务〔2026〕15号"),
        )
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    return bundle, {(f.kind, f.format): f.path for f in files}


def provenance_line(bundle, kind: str = "application") -> str:
    """The tool line: only the application (the enterprise's form) prints it; the notice and opinion do not."""
    if kind != "application":
        return ""
    return f"本表由 zzcbec-docs 0.1.0 生成；政策 zz-cbec-measures-draft（draft）；申报材料 SHA-256 {bundle.sha256}"


@pytest.mark.parametrize("kind", KINDS)
def test_file_names_hold_uscc_year_and_kind(rendered, kind):
    bundle, files = rendered
    stem = f"{bundle.applicant.uscc}-2026-{kind}" + ("-2026-015" if kind == "notice" else "")  # 郑商务〔2026〕15号
    assert files[(kind, "pdf")].name == f"{stem}.pdf"
    assert files[(kind, "docx")].name == f"{stem}.docx"


@pytest.mark.parametrize("kind", KINDS)
def test_docx_and_pdf_say_the_same_thing(rendered, kind):
    bundle, files = rendered
    blocks = docx_blocks(files[(kind, "docx")])
    pdf = pdf_body_text(files[(kind, "pdf")], provenance_line(bundle, kind))
    pdf = without_repeated_headers(pdf, header_rows(files[(kind, "docx")]))
    assert chars("".join(blocks)) == chars(pdf)
    for block in blocks:
        if "|" not in block:  # paragraphs read in order in both; table cells may wrap across lines
            assert "".join(block.split()) in pdf, block


@pytest.mark.parametrize("kind", KINDS)
def test_golden_text(rendered, kind):
    """Any change of wording is a visible diff: tests/documents/golden/<kind>.txt (ZZCBEC_UPDATE_GOLDEN=1 rewrites)."""
    _, files = rendered
    text = "\n".join(docx_blocks(files[(kind, "docx")])) + "\n"
    golden = GOLDEN / f"multi-clause-{kind}.txt"
    if os.environ.get("ZZCBEC_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_notice_content(rendered):
    bundle, files = rendered
    text = "".join("".join(docx_blocks(files[("notice", "docx")])).split())
    assert "郑商务〔2026〕15号" in text
    assert "郑州市商务局关于给予郑州示例综合跨境电商有限公司跨境电商发展资金奖励的通知" in text
    assert "郑州示例综合跨境电商有限公司：" in text
    assert "奖励资金合计1016500.18元（人民币壹佰零壹万陆仟伍佰元零壹角捌分）" in text
    assert "其中市级财政承担508250.09元，金水区财政承担508250.09元。" in text
    assert "账号6217000000000000016" in text
    assert "《郑州市关于加快推进跨境电商发展的若干措施（征求意见稿）》" in text
    assert "2026年1月1日" in text  # the date from SOURCE_DATE_EPOCH, unpadded
    assert "符合《措施》第一条、第六条、第九条规定" in text
    assert "¥" not in text  # 公文 style: 元 and 万元, tables headed 单位：元


def test_notice_of_one_clause_keeps_its_closing_with_the_body(tmp_path):
    """The 版头 and 版记 take their room: a one-clause notice runs to two pages, and the second page
    opens with the body's last lines, never with 特此通知 or the issuer alone."""
    b = load_bundle(SAMPLES / "clause01-eligible.yaml", load_policy())
    (pdf,) = render_bundle(b, load_policy(), kinds=["notice"], formats=["pdf"], out_dir=tmp_path)
    pages = [p.extract_text() for p in PdfReader(pdf.path).pages]
    assert len(pages) <= 2
    last = "".join(pages[-1].split())
    assert last.index("特此通知") > 0 and not last.startswith("特此通知")


def test_application_has_commitment_and_attachment_list(tmp_path):
    from hashlib import sha256

    (tmp_path / "attachments").mkdir()
    (tmp_path / "attachments" / "license.pdf").write_bytes(b"%PDF-1.4 license")
    digest = sha256(b"%PDF-1.4 license").hexdigest()
    b = make_bundle(1, {"import_export": "12000000", "promotion_costs": "800000"})
    b["attachments"] = [
        {"kind": "business_license", "title": "营业执照", "file": "attachments/license.pdf", "sha256": digest}
    ]
    path = write_bundle(tmp_path / "b.json", b)
    files = render_bundle(
        load_bundle(path, load_policy()),
        load_policy(),
        kinds=["application"],
        formats=["docx", "pdf"],
        out_dir=tmp_path,
    )
    text = "\n".join(docx_blocks(files[0].path))
    assert "承诺书" in text and "未享受E贸易核心功能集聚区相关政策（第十五条）" in text
    assert "营业执照" in text and digest in text
    assert "240,000.00（人民币贰拾肆万元整）" in text


def test_opinion_draft_without_review(rendered):
    _, files = rendered
    text = "\n".join(docx_blocks(files[("opinion", "docx")]))
    assert "审核稿" in text and "待核实" in text
    assert "达2000万元以上（含本数）" in text  # threshold in the policy's 万元 with its boundary word
    assert "审核结论：＿" in text


def _review(tmp_path: Path, bundle_path: Path, **extra) -> Path:
    from hashlib import sha256

    review = {
        "bundle": {"file": str(bundle_path), "sha256": sha256(bundle_path.read_bytes()).hexdigest()},
        "reviewer": "张审核",
        "reviewed_on": "2026-03-05",
        "conclusion": "partial",
        "remarks": "推广费用中10万元票据不合规，予以核减。",
        "verified": [
            {"clause": 1, "facts": {"promotion_costs": "1900000"}},
            {"clause": 6, "facts": {"import_export": "19000000"}},
        ],
    }
    review.update(extra)
    p = tmp_path / "review.yaml"
    p.write_text(json.dumps(review, ensure_ascii=False), encoding="utf-8")
    return p


def test_opinion_recomputes_with_verified_facts(tmp_path):
    from zzcbec_docs.documents.review import load_review

    src = SAMPLES / "multi-clause-eligible.yaml"
    review = load_review(_review(tmp_path, src), load_policy())
    files = render_bundle(
        load_bundle(src, load_policy()),
        load_policy(),
        kinds=["opinion", "notice"],
        formats=["docx"],
        out_dir=tmp_path,
        review=review,
    )
    text = "\n".join(docx_blocks(files[0].path))
    assert "核实调整：用于跨境电子商务的网络推广、独立站建设等费用：申报2,000,000.00元，核实1,900,000.00元" in text
    assert "190万元×30%=57万元" in text  # recomputed, then capped at 500,000
    assert "年进出口额 | 45,000,000.00元 | 19,000,000.00元（核减/更正） | 达2000万元以上（含本数） | 不满足" in text
    assert "审核结论：部分同意" in text and "（张审核）" in text and "审核日期：2026年3月5日" in text
    notice = "\n".join(docx_blocks(files[1].path))
    assert "第六条" not in notice.split("奖励资金合计")[0].split("现给予奖励如下")[1]  # clause 6 fell out


def test_review_of_another_bundle_is_refused(tmp_path):
    from zzcbec_docs.documents.review import load_review
    from zzcbec_docs.errors import ReviewError

    review = load_review(_review(tmp_path, SAMPLES / "clause01-eligible.yaml"), load_policy())
    with pytest.raises(ReviewError) as e:
        render_bundle(
            load_bundle(SAMPLES / "multi-clause-eligible.yaml", load_policy()),
            load_policy(),
            kinds=["opinion"],
            formats=["docx"],
            out_dir=tmp_path,
            review=review,
        )
    assert e.value.pointer == "/bundle/sha256"
    assert not list(tmp_path.glob("*.docx"))


def test_docx_fonts_are_in_the_east_asian_slot_and_language_is_zh_cn(rendered):
    _, files = rendered
    with zipfile.ZipFile(files[("notice", "docx")]) as z:
        styles = z.read("word/styles.xml").decode()
        document = z.read("word/document.xml").decode()
    assert 'w:eastAsia="仿宋_GB2312"' in styles and 'w:eastAsia="方正小标宋简体"' in styles
    assert 'w:eastAsia="黑体"' in styles and 'w:eastAsia="楷体_GB2312"' in styles
    assert 'w:eastAsia="zh-CN"' in styles and 'w:val="en-US"' in styles and 'w:val="zh-CN"' not in styles
    assert "w:rFonts" not in document  # fonts live in the styles: a clerk changes a style, not every run


def test_docx_page_is_gbt_9704(rendered):
    _, files = rendered
    doc = Document(str(files[("notice", "docx")]))
    s = doc.sections[0]
    mm = [
        round(x.mm, 1)
        for x in (s.page_width, s.page_height, s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)
    ]
    assert mm == [210, 297, 37, 35, 28, 26]
    normal = doc.styles["Normal"]
    assert normal.font.size.pt == 16 and round(normal.paragraph_format.line_spacing.pt, 2) == 28.95
    assert doc.styles["Title"].font.size.pt == 22
    assert doc.settings.odd_and_even_pages_header_footer
    with zipfile.ZipFile(files[("notice", "docx")]) as z:
        footers = [z.read(n).decode() for n in z.namelist() if n.startswith("word/footer")]
    assert any('w:instr="PAGE"' in f and 'w:val="right"' in f for f in footers)
    assert any('w:instr="PAGE"' in f and 'w:val="left"' in f for f in footers)


@pytest.mark.parametrize("kind", KINDS)
def test_every_viewer_draws_each_character_with_its_own_glyph(rendered, kind):
    """The codes on the page mean the same glyph to Acrobat (charset CIDs) and to poppler (glyph
    ids), and that glyph is the font's own for the character: a CID-keyed face whose CIDs are not
    its glyph ids once showed other characters, or none, in Acrobat and Ghostscript."""
    _, files = rendered
    assert misdrawn_characters(files[(kind, "pdf")], source_faces()) == []


def test_a_bureaus_own_cid_keyed_face_with_other_cids_is_drawn_right_too(tmp_path):
    """A configured 仿宋 whose CIDs are not its glyph ids (here Fandol cut by HarfBuzz, as the tool
    once made its working copies): the PDF still means the same glyphs to every viewer."""
    from fontTools.ttLib import TTFont

    from zzcbec_docs.documents import fonts

    fandol = fonts.fandol_dir() / fonts.ROLES["fangsong"].fandol
    if not fandol.is_file():
        pytest.skip("needs the Fandol faces (make fonts)")
    own = tmp_path / "own-fangsong.otf"
    own.write_bytes(fonts._hb_subset(fonts.FontFile("FandolFang", "Regular", str(fandol), 0, "configured")) or b"")
    face = TTFont(str(own), lazy=True)
    assert sum(name != f"cid{i:05d}" for i, name in enumerate(face.getGlyphOrder()) if i) > 1000  # not identity
    r = run_cli(
        "render",
        str(SAMPLES / "clause01-eligible.yaml"),
        "--doc",
        "notice",
        "--format",
        "pdf",
        "--out",
        str(tmp_path / "out"),
        extra_env={"ZZCBEC_FONT_FANGSONG": str(own)},
    )
    assert r.returncode == 0, r.stderr.decode()
    others, own_family = source_faces(), fonts._family_of(str(own))
    path = next((tmp_path / "out").glob("*.pdf"))
    assert (
        own_family.replace(" ", "-")
        in subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    )  # the bureau's face is the one used
    problems = misdrawn_characters(path, lambda family, bold: face if family == own_family else others(family, bold))
    assert problems == []


@pytest.mark.slow
def test_without_the_fandol_faces_noto_cjk_draws_the_same_glyphs_everywhere(tmp_path, monkeypatch):
    """A machine with Noto CJK only (no `make fonts`): its working copies, built fresh, give PDFs that
    every viewer reads alike (Noto has many font dicts and subroutines, Fandol one and none)."""
    from zzcbec_docs.documents import fonts

    env = {"ZZCBEC_CACHE": str(tmp_path / "cache"), "ZZCBEC_FONT_DIR": str(tmp_path / "no-fandol")}
    out = tmp_path / "out"
    r = run_cli(
        "render",
        str(SAMPLES / "clause01-eligible.yaml"),
        "--doc",
        "notice,application",
        "--format",
        "pdf",
        "--out",
        str(out),
        "--jobs",
        "1",
        extra_env=env,
    )
    assert r.returncode == 0, r.stderr.decode()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    fonts.font_for.cache_clear()
    try:
        faces = source_faces()
        assert faces("Noto Serif CJK SC", False), "the body is drawn in Noto Serif CJK"
        for path in sorted(out.glob("*.pdf")):
            assert (
                "Noto-Serif-CJK-SC"
                in subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
            )
            assert misdrawn_characters(path, faces) == [], path.name
    finally:
        fonts.font_for.cache_clear()


def _words(path: Path, page: int = 1) -> list[tuple[str, float, float, float]]:
    """(text, xMin, xMax, yMin) of each word poppler finds on the page."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [
        (w, float(x0), float(x1), float(y0))
        for x0, y0, x1, _y1, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', out
        )
    ]


def test_the_application_forms_cells_hold_their_text(tmp_path):
    """The 18-character USCC and a 30-character telephone number stay inside their cells, and the
    labels (统一社会信用代码) on one line: no word runs into the next cell or off the table."""
    phone = "+86 (0371) 6000-0001-8888-123"
    src = make_bundle(1, {"import_export": "12000000", "promotion_costs": "800000"}, n=41)
    src["applicant"]["contact"]["phone"] = phone
    out = tmp_path / "out"
    r = run_cli(
        "render",
        str(write_bundle(tmp_path / "b.json", src)),
        "--doc",
        "application",
        "--format",
        "pdf",
        "--out",
        str(out),
        "--jobs",
        "1",
    )
    assert r.returncode == 0, r.stderr.decode()
    path = next(out.glob("*.pdf"))
    words = _words(path)
    right_margin = 595.28 - 20 / 25.4 * 72  # the form's page: A4, 20 mm margins
    lines: dict[float, list[tuple[str, float, float]]] = {}
    for w, x0, x1, y0 in words:
        assert x1 <= right_margin + 0.5, (w, x1)
        lines.setdefault(round(y0), []).append((w, x0, x1))
    for line in lines.values():
        line.sort(key=lambda t: t[1])
        for (a, _, a1), (b, b0, _) in itertools.pairwise(line):
            assert a1 <= b0, f"{a!r} runs into {b!r}"
    texts = [w for w, *_ in words]
    assert "统一社会信用代码" in texts and "所在区县（市）" in texts  # each label on one line
    assert src["applicant"]["uscc"] in texts


def test_pdf_page_fonts_and_page_numbers(rendered):
    bundle, files = rendered
    path = files[("opinion", "pdf")]
    reader = PdfReader(path)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    lines = [x for x in fonts.splitlines()[2:] if x.strip()]
    assert lines and all(" yes yes yes " in x for x in lines)  # embedded, subset, with a ToUnicode map
    text = pdf_text(path)
    assert "— 1 —" in text and "— 2 —" in text
    assert "郑州市跨境电商发展资金奖励审核意见书" in text  # the text layer extracts back to Chinese


def test_provenance_in_core_properties_metadata_and_footer(rendered):
    bundle, files = rendered
    for kind in KINDS:
        doc = Document(str(files[(kind, "docx")]))
        cp = doc.core_properties
        assert cp.identifier == bundle.sha256 and cp.version == "0.1.0"
        assert "policy=zz-cbec-measures-draft" in cp.comments and "status=draft" in cp.comments
        assert cp.language == "zh-CN"
        meta = PdfReader(files[(kind, "pdf")]).metadata
        assert bundle.sha256 in meta["/Subject"] and "zz-cbec-measures-draft" in meta["/Keywords"]
        assert "zzcbec-docs 0.1.0" in meta["/Creator"]
        printed = "".join(pdf_text(files[(kind, "pdf")]).split()) + docx_footer_text(files[(kind, "docx")])
        if kind == "application":  # the enterprise's form names the bundle it was made from
            assert bundle.sha256 in docx_footer_text(files[(kind, "docx")])
            assert "".join(provenance_line(bundle).split()) in printed
        else:  # official documents print no tool line: provenance in metadata only
            assert "zzcbec" not in printed and bundle.sha256 not in printed


def _render_twice(tmp_path: Path, cwd_b: Path) -> tuple[list[bytes], list[bytes]]:
    env = {"SOURCE_DATE_EPOCH": EPOCH}
    outs = []
    for i, cwd in enumerate((Path.cwd(), cwd_b)):
        out = tmp_path / f"run{i}"
        r = run_cli(
            "render",
            str(SAMPLES / "clause06-eligible.yaml"),
            "--out",
            str(out),
            "--date",
            "2026-03-05",
            cwd=cwd,
            extra_env=env,
        )
        assert r.returncode == 0, r.stderr.decode()
        outs.append([p.read_bytes() for p in sorted(out.iterdir())])
    return outs[0], outs[1]


def test_same_input_and_source_date_epoch_give_identical_bytes(tmp_path):
    other = tmp_path / "elsewhere"
    other.mkdir()
    a, b = _render_twice(tmp_path, other)
    assert len(a) == 6 and a == b


def test_bundle_text_is_data_in_both_formats(tmp_path):
    evil = "<b>&\"'{{x}}"
    b = make_bundle(
        1,
        {"import_export": "12000000", "promotion_costs": "800000"},
        name=evil,
        address='<img src="file:///etc/passwd"><link rel="stylesheet" href="http://127.0.0.1:9/x.css">',
    )
    path = write_bundle(tmp_path / "evil.json", b)
    files = render_bundle(
        load_bundle(path, load_policy()), load_policy(), kinds=KINDS, formats=["docx", "pdf"], out_dir=tmp_path
    )
    for f in files:
        if f.format == "docx":
            text = "\n".join(docx_blocks(f.path))
        else:
            text = pdf_text(f.path)
            assert b"root:x:0:0" not in f.path.read_bytes()
        assert evil in text, (f.kind, f.format)
    app = "\n".join(docx_blocks(next(f.path for f in files if f.kind == "application" and f.format == "docx")))
    assert "file:///etc/passwd" in app


def test_the_pdf_fetcher_refuses_everything_outside_templates_and_fonts():
    from zzcbec_docs.documents.pdf import locked_fetcher

    fetcher = locked_fetcher()
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.css",
        "https://example.invalid/a.png",
        "file:///etc/../etc/passwd",
        "data:text/plain,hello",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    from zzcbec_docs.resources import resource_dir

    ok = fetcher.fetch((resource_dir("templates") / "documents.css").as_uri())
    assert b"@page" in ok.read()


def test_no_cjk_font_is_a_clear_error_naming_the_package(monkeypatch):
    from zzcbec_docs.documents import fonts
    from zzcbec_docs.errors import RenderError

    monkeypatch.setattr(fonts, "_chinese_fonts", lambda: ())
    monkeypatch.setenv("ZZCBEC_FONT_DIR", "/nonexistent")  # no Fandol faces either
    fonts.font_for.cache_clear()
    fonts.fallback_for.cache_clear()
    try:
        with pytest.raises(RenderError) as e:
            fonts.font_for("fangsong")
        assert "fonts-noto-cjk" in e.value.zh and "fonts-noto-cjk" in e.value.en
        assert "texlive-lang-chinese" in e.value.zh and "make fonts" in e.value.en
    finally:
        fonts.font_for.cache_clear()
        fonts.fallback_for.cache_clear()


def test_missing_harfbuzz_subset_is_warned(monkeypatch):
    import ctypes.util

    real = ctypes.util.find_library
    monkeypatch.setattr(ctypes.util, "find_library", lambda n: None if "harfbuzz-subset" in n else real(n))
    from zzcbec_docs.process.rendering import environment_notes

    notes = environment_notes()
    assert notes and "libharfbuzz-subset0" in notes[0]


def test_atomic_write_leaves_nothing_half_written(tmp_path, monkeypatch):
    from zzcbec_docs.documents import atomic

    target = tmp_path / "doc.pdf"

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", boom)
    with pytest.raises(OSError):
        atomic.write_atomic(target, b"%PDF-1.7 ...")
    assert list(tmp_path.iterdir()) == []


def test_ineligible_bundle_gets_no_notice_and_etrade_gets_no_application(tmp_path):
    from zzcbec_docs.errors import RenderError

    for sample, kind in (("ineligible-clause06-below.yaml", "notice"), ("excluded-etrade.yaml", "application")):
        with pytest.raises(RenderError):
            render_bundle(
                load_bundle(SAMPLES / sample, load_policy()),
                load_policy(),
                kinds=[kind],
                formats=["pdf"],
                out_dir=tmp_path,
            )
    assert list(tmp_path.iterdir()) == []


def test_shangjie_split_is_an_internal_note_of_the_opinion_not_the_notice(tmp_path):
    files = render_bundle(
        load_bundle(SAMPLES / "shangjie-unsettled.yaml", load_policy()),
        load_policy(),
        kinds=["opinion", "notice"],
        formats=["docx"],
        out_dir=tmp_path,
    )
    opinion, notice = ("\n".join(docx_blocks(f.path)) for f in files)
    assert "上街区未列入《措施》第十六条资金分担范围，市、区承担比例待财政部门确定" in opinion
    assert "待财政部门确定" not in notice and "第十六条" not in notice and "市级承担" not in notice
    assert "奖励资金合计3万元（人民币叁万元整）。" in notice


def test_hostile_strings_stay_text_fetch_nothing_and_wrap_inside_the_page(tmp_path, monkeypatch):
    from zzcbec_docs.documents import pdf as pdf_writer

    fetched: list[str] = []
    cls = type(pdf_writer.locked_fetcher())
    real_fetch = cls.fetch

    def spy(self, url, headers=None):  # type: ignore[no-untyped-def]
        fetched.append(url)
        return real_fetch(self, url, headers)

    monkeypatch.setattr(cls, "fetch", spy)
    pdf_writer._stylesheet.cache_clear()  # parse the stylesheet again under the spy
    css = '</p><style>@import url("http://127.0.0.1:9/x.css"); body{display:none}</style>{% raw %}{{ 7*7 }}'
    long_latin = "W" * 200  # the longest name the schema allows, with no place to break
    b = make_bundle(
        claims=[
            {"clause": 1, "facts": {"import_export": "12000000", "promotion_costs": "800000"}},
            {
                "clause": 13,
                "facts": {"overseas_warehouse": ("https://example.invalid/" + "长" * 900 + "x" * 900)[:2000]},
            },
        ],
        name=long_latin,
        address=css[:200],
    )
    path = write_bundle(tmp_path / "evil.json", b)
    files = render_bundle(
        load_bundle(path, load_policy()), load_policy(), kinds=KINDS, formats=["docx", "pdf"], out_dir=tmp_path
    )
    pdf_writer._stylesheet.cache_clear()
    assert all(u.startswith("file://") and ("/templates/" in u or "/fonts/" in u) for u in fetched), fetched
    for f in files:
        text = "\n".join(docx_blocks(f.path)) if f.format == "docx" else pdf_text(f.path)
        flat = "".join(text.split())
        assert long_latin in flat, (f.kind, f.format)
        if f.kind == "application":  # the address appears there, literally: no template ran it
            assert "{%raw%}{{7*7}}" in flat and '@importurl("http://127.0.0.1:9/x.css")' in flat
    # nothing runs past the right edge of the page: every word box ends inside the paper
    for f in files:
        if f.format != "pdf":
            continue
        bbox = subprocess.run(
            ["pdftotext", "-bbox", str(f.path), "-"], capture_output=True, text=True, check=True
        ).stdout
        import re

        right_edges = [float(x) for x in re.findall(r'xMax="([0-9.]+)"', bbox)]
        right_margin_mm = 20 if f.kind == "application" else 26  # the form's margins, GB/T 9704's
        assert right_edges and max(right_edges) <= 595.3 - right_margin_mm * 72 / 25.4 + 1, (f.kind, max(right_edges))


def test_pdf_follows_gbt_9704_on_the_page(rendered):
    """Measured on the PDF itself: the 版心 starts 28 mm from the left, body lines are 28.95 pt apart
    (22 a page), and page numbers sit on the outer side: right on odd pages, left on even ones."""
    import re

    _, files = rendered
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(files[("opinion", "pdf")]), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = bbox.split("<page ")[1:]
    assert len(pages) >= 2
    mm = 72 / 25.4
    for number, page in enumerate(pages, start=1):
        words = [
            (float(a), float(b), float(c), w)
            for a, b, c, w in re.findall(
                r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<', page
            )
        ]
        dash_numbers = [x for x in words if x[3] == str(number)]
        assert dash_numbers, number
        x_center = (dash_numbers[-1][0] + dash_numbers[-1][2]) / 2
        if number % 2:
            assert x_center > 595.3 / 2 + 100, (number, x_center)  # odd: right
        else:
            assert x_center < 595.3 / 2 - 100, (number, x_center)  # even: left
        body = [x for x in words if 40 * mm < x[1] < (297 - 40) * mm]
        assert min(x[0] for x in body) >= 28 * mm - 1  # nothing left of the 版心
    first = [(float(a), float(b)) for a, b in re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)"', pages[0])]
    tops = sorted({round(y, 1) for x, y in first if 79 < x < 130})  # the starts of indented body lines
    pitches = [round(b - a, 2) for a, b in zip(tops, tops[1:], strict=False) if 28 < b - a < 30]
    import statistics

    # yMin follows each font's ascent, so a line in 黑体 or 楷体 sits a few tenths off: the median is the pitch
    assert pitches and abs(statistics.median(pitches) - 28.95) <= 0.1 and all(abs(p - 28.95) < 0.5 for p in pitches), (
        pitches
    )


def test_opinion_prints_the_clause_3_reading_it_applied(tmp_path):
    """documents.md: the opinion states the reading of any ambiguous clause (clause 3's tiers)."""
    files = render_bundle(
        load_bundle(SAMPLES / "clause03-top-up.yaml", load_policy()),
        load_policy(),
        kinds=["opinion"],
        formats=["docx"],
        out_dir=tmp_path,
    )
    text = "\n".join(docx_blocks(files[0].path))
    assert "第三条：" in text and "补差" in text
    assert "按补差理解：400万元−此前已获200万元" in text
