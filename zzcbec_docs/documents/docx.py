"""The same HTML content → DOCX with python-docx, as a clerk edits it in Word or WPS.

- Fonts live in the styles (East Asian slot included), never on runs: change a style, change the text.
- Headings use the built-in "Heading 1"/"Heading 2" styles with outline levels (navigation pane);
  the title uses the built-in "Title".
- Languages: w:eastAsia="zh-CN" for Chinese, w:val="en-US" for Latin text and numbers (with zh-CN
  there Word and LibreOffice break account numbers and amounts across lines).
- GB/T 9704 grid: w:docGrid of 22 lines × 28 characters on the 公文 (the notice: of lines only), the
  body's 28 characters a line by its letter spacing, paragraphs not snapped to the grid's cells
  (LibreOffice gives a snapped 3号 character two of them); tables repeat their header rows
  and never split a row; headings keep with what follows; the closing keeps with the body's end.
- The package carries none of python-docx's template leftovers (application name, Japanese theme
  language, ＭＳ 明朝 in the font table, the thumbnail). Output is deterministic.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt, RGBColor

from zzcbec_docs.documents.content_tree import Node, parse, squash
from zzcbec_docs.documents.fonts import ROLES

if TYPE_CHECKING:
    from docx.oxml.xmlchemy import BaseOxmlElement
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    from zzcbec_docs.documents.fixed_form import NoticeLayout

LINE = Pt(28.95)  # 22 lines in the 225 mm 版心
RED = RGBColor(0xE6, 0x00, 0x12)
COLUMN_SHARES = {
    "c-cond": 22,
    "c-val": 20,
    "c-std": 26,
    "c-res": 12,
    "c-item": 37,
    "c-num": 21,
    "c-item2": 64,
    "c-num2": 36,
    "c-pn": 7,
    "c-pname": 23,
    "c-puscc": 27,
    "c-pdist": 13,
    "c-pcl": 14,
    "c-pamt": 16,
    "c-n": 8,
    "c-att": 22,
    "c-file": 25,
    "c-hash": 45,
}  # % as in the CSS
MARGINS = {  # top, bottom, left, right (mm)
    "gongwen": (37, 35, 28, 26),
    "form": (25, 25, 20, 20),
}
# w:docGrid: a line every 28.95 pt (579 twentieths); characters 15.79 pt apart (16 pt − 0.21 pt, in 1/4096 pt)
GRID = {"gongwen": ("579", str(round((442.205 / 28 - 16) * 4096)))}
ON_GRID = {"Normal", "Heading 1", "Heading 2", "Heading 3", "Heading 4"}  # the body's 3号 styles


def _rfonts(role: str) -> BaseOxmlElement:
    r = ROLES[role]
    fonts = OxmlElement("w:rFonts")
    for k, v in (
        ("w:ascii", r.docx_latin),
        ("w:hAnsi", r.docx_latin),
        ("w:eastAsia", r.docx_name),
        ("w:cs", r.docx_latin),
    ):
        fonts.set(qn(k), v)
    fonts.set(qn("w:hint"), "eastAsia")
    return fonts


def _lang() -> BaseOxmlElement:
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:bidi"), "ar-SA")
    return lang


# what follows each element in w:pPr and w:rPr (ECMA-376 order; Word refuses elements out of order)
PPR_AFTER_PBDR = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)
PPR_AFTER_SNAP = PPR_AFTER_PBDR[PPR_AFTER_PBDR.index("w:spacing") :]
PPR_AFTER_OUTLINE = ("w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
TBLPR_AFTER_CELLMAR = ("w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")
RPR_AFTER_SPACING = (
    "w:w",
    "w:kern",
    "w:position",
    "w:sz",
    "w:szCs",
    "w:highlight",
    "w:u",
    "w:effect",
    "w:bdr",
    "w:shd",
    "w:fitText",
    "w:vertAlign",
    "w:rtl",
    "w:cs",
    "w:em",
    "w:lang",
    "w:eastAsianLayout",
    "w:specVanish",
    "w:oMath",
)


def _char_spacing(rpr: BaseOxmlElement, twentieths: int) -> None:
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(twentieths))
    rpr.insert_element_before(spacing, *RPR_AFTER_SPACING)


def _border(ppr: BaseOxmlElement, side: str, size_eighths: int, color: str = "000000", space: int = 1) -> None:
    bdr = ppr.find(qn("w:pBdr"))
    if bdr is None:
        bdr = OxmlElement("w:pBdr")
        ppr.insert_element_before(bdr, *PPR_AFTER_PBDR)
    el = OxmlElement(f"w:{side}")
    for k, v in (("w:val", "single"), ("w:sz", str(size_eighths)), ("w:space", str(space)), ("w:color", color)):
        el.set(qn(k), v)
    bdr.append(el)


@lru_cache(maxsize=2)
def _base_document(layout: str) -> bytes:
    """The empty document of a layout (styles, page, footers), made once: loading it is 4× faster."""
    buf = io.BytesIO()
    _Writer(layout, fresh=True).doc.save(buf)
    return buf.getvalue()


STYLE_NAMES = (
    "Normal",
    "Title",
    "Heading 1",
    "Heading 2",
    "ZZ Mark",
    "ZZ Doc Number",
    "ZZ Table",
    "ZZ Grid",
    "ZZ Table Heading",
    "ZZ Grid Heading",
    "ZZ Unit",
    "ZZ Banji",
    "ZZ Letter",
    "ZZ Letter Title",
    "ZZ Small",
    "ZZ Page Number",
    "ZZ Signature",
)


class _Writer:
    def __init__(self, layout: str, fresh: bool = False, fixed: NoticeLayout | None = None) -> None:
        self.layout = layout
        self.fixed = fixed  # the notice's fixed-form layout (fixed_form.py): the same positions as the PDF
        self.rows_done = 0
        self.after_table = False
        self.body_pt = 16 if layout == "gongwen" else 12
        self.first_block_of_section = False
        self.in_letter = False
        if fresh:
            self.doc = Document()
            self._styles()
            self._page()
        else:
            self.doc = Document(io.BytesIO(_base_document(layout)))
        # python-docx resolves a style object by scanning every style each time; look ids up once
        self.style_ids = {name: self.doc.styles[name].style_id for name in STYLE_NAMES}
        if fixed is not None:
            # the notice's lines are placed as the PDF places them (_fixed_lines): a grid of lines
            # only, for LibreOffice lays a character grid's text area out 0.7 pt off the margin and
            # gives a 3号 character two of its 15.79 pt cells (see _fixed_lines)
            grid = self.doc.sections[0]._sectPr.find(qn("w:docGrid"))
            if grid is not None:
                grid.set(qn("w:type"), "lines")
                if grid.get(qn("w:charSpace")) is not None:
                    del grid.attrib[qn("w:charSpace")]

    # ---------------------------------------------------------------- setup
    def _style(
        self,
        name: str,
        role: str,
        size: float,
        *,
        align: WD_ALIGN_PARAGRAPH | None = None,
        indent_chars: float = 0,
        line: Length | None = None,
        base: str | None = "Normal",
        color: RGBColor | None = None,
        keep_next: bool = False,
        outline: int | None = None,
        space_after: float = 0,
        kind: WD_STYLE_TYPE = WD_STYLE_TYPE.PARAGRAPH,
    ) -> Any:
        styles = self.doc.styles
        try:
            st = styles[name]
        except KeyError:
            st = styles.add_style(name, kind)
        if name != "Normal":
            st.base_style = styles[base] if base else None
        # a clean slate: the template's theme fonts, colours, borders and spacing go
        el = st.element
        for tag in ("w:rPr", "w:pPr"):
            old = el.find(qn(tag))
            if old is not None:
                el.remove(old)
        st.quick_style = True
        st.font.size = Pt(size)
        st.font.bold = False
        st.font.italic = False
        st.font.color.rgb = color or RGBColor(0, 0, 0)
        rpr = el.get_or_add_rPr()
        rpr.insert(0, _rfonts(role))
        rpr.append(_lang())
        if kind != WD_STYLE_TYPE.PARAGRAPH:
            return st
        pf = st.paragraph_format
        pf.space_before = Pt(0)
        pf.space_after = Pt(space_after)
        pf.widow_control = True
        if line is not None:
            pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            pf.line_spacing = line
        pf.alignment = align if align is not None else WD_ALIGN_PARAGRAPH.JUSTIFY
        pf.first_line_indent = Pt(size * indent_chars) if indent_chars else Pt(0)
        if name in ON_GRID and self.layout in GRID:
            # 28 characters in 156 mm: each 16 pt character gives back 0.3 pt (the PDF 0.21 pt): 26 and the
            # two-character indent (LibreOffice: 2 × 16 pt) fit the 441 pt LibreOffice leaves inside a character grid
            _char_spacing(rpr, BODY_SPACING)
        # in characters too, so that the indent follows the grid (and 0 where none: Word reads the
        # character value before the point value, and would inherit Normal's two characters)
        ind = el.get_or_add_pPr().find(qn("w:ind"))
        ind.set(qn("w:firstLineChars"), str(int(indent_chars * 100)))
        pf.keep_with_next = keep_next
        # no paragraph snaps to the grid's cells: LibreOffice lays a snapped line of 3号 characters out
        # as if each took two of the grid's 15.79 pt cells (lines broken after 12 to 14 characters,
        # then spread); the body's 28 characters a line come from the characters' own 15.7 pt (the
        # letter spacing above), in Word as in LibreOffice, and its 22 lines from the exact line height
        snap = OxmlElement("w:snapToGrid")
        snap.set(qn("w:val"), "0")
        el.get_or_add_pPr().insert_element_before(snap, *PPR_AFTER_SNAP)
        if outline is not None:
            ppr = el.get_or_add_pPr()
            lvl = OxmlElement("w:outlineLvl")
            lvl.set(qn("w:val"), str(outline))
            ppr.insert_element_before(lvl, *PPR_AFTER_OUTLINE)
        return st

    def _styles(self) -> None:
        gongwen = self.layout == "gongwen"
        body_line = LINE if gongwen else Pt(22)
        self._style("Normal", "fangsong", self.body_pt, indent_chars=2, line=body_line, base=None)
        # docDefaults carry the language and East Asian font for anything not styled
        defaults = self.doc.styles.element.find(qn("w:docDefaults"))
        rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        for child in list(rpr):
            if child.tag in (qn("w:rFonts"), qn("w:lang")):
                rpr.remove(child)
        rpr.insert(0, _rfonts("fangsong"))
        for tag in ("w:sz", "w:szCs"):  # the grid's characters are measured in the default size: 3号
            old = rpr.find(qn(tag))
            if old is not None:
                rpr.remove(old)
            sz = OxmlElement(tag)
            sz.set(qn("w:val"), str(self.body_pt * 2))
            rpr.append(sz)
        rpr.append(_lang())
        self._style(
            "Title",
            "xiaobiaosong",
            22 if gongwen else 18,
            align=WD_ALIGN_PARAGRAPH.CENTER,
            line=Pt(35) if gongwen else Pt(28),
            space_after=28.95 if gongwen else 8,
        )
        self._style(
            "Heading 1",
            "heiti",
            16 if gongwen else 14,
            indent_chars=2 if gongwen else 0,
            line=body_line,
            keep_next=True,
            outline=0,
        )
        self._style(
            "Heading 2",
            "kaiti",
            16 if gongwen else 12,
            indent_chars=2 if gongwen else 0,
            line=body_line,
            keep_next=True,
            outline=1,
        )
        self._style(
            "ZZ Mark", "xiaobiaosong", 36, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(44), color=RED, space_after=28.95
        )
        self._style("ZZ Doc Number", "fangsong", 16, align=WD_ALIGN_PARAGRAPH.CENTER, line=LINE, space_after=57.9)
        self._style("ZZ Table", "fangsong", 12, line=Pt(18), align=WD_ALIGN_PARAGRAPH.LEFT)
        self._style("ZZ Grid", "fangsong", 10.5, line=Pt(15), align=WD_ALIGN_PARAGRAPH.LEFT)
        self._style("ZZ Table Heading", "heiti", 12, line=Pt(18), align=WD_ALIGN_PARAGRAPH.LEFT)
        self._style("ZZ Grid Heading", "heiti", 10.5, line=Pt(15), align=WD_ALIGN_PARAGRAPH.LEFT)
        self._style("ZZ Unit", "fangsong", 10.5, line=Pt(15), align=WD_ALIGN_PARAGRAPH.RIGHT, keep_next=True)
        self._style("ZZ Banji", "fangsong", 14, line=Pt(22), align=WD_ALIGN_PARAGRAPH.LEFT)
        self._style("ZZ Letter", "fangsong", 16, indent_chars=2, line=Pt(26))
        letter_title = self._style(
            "ZZ Letter Title", "xiaobiaosong", 22, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(35), space_after=24
        )
        _char_spacing(letter_title.element.get_or_add_rPr(), 220)  # 承 诺 书: spaced by the style, not spaces
        self._style(
            "ZZ Signature",
            "fangsong",
            self.body_pt,
            line=Pt(36) if gongwen else Pt(22),
            align=WD_ALIGN_PARAGRAPH.LEFT,
            keep_next=True,
        )
        self._style("ZZ Small", "fangsong", 6.5, line=Pt(8), align=WD_ALIGN_PARAGRAPH.CENTER)
        self._style("ZZ Page Number", "songti", 14, align=WD_ALIGN_PARAGRAPH.RIGHT)
        for level, name in ((2, "Heading 3"), (3, "Heading 4")):  # 1. and （1）: 仿宋, as the body (documents.md)
            self._style(
                name,
                "fangsong",
                16 if gongwen else 12,
                indent_chars=2 if gongwen else 0,
                line=body_line,
                keep_next=True,
                outline=level,
            )
        self._drop_template_styles()
        self.doc.settings.odd_and_even_pages_header_footer = True

    def _drop_template_styles(self) -> None:
        """python-docx's template brings ~150 styles in its theme's fonts and blue accents (Heading 5,
        Light Shading, Intense Quote…): none of ours, so none is left for a clerk to pick. Kept: ours,
        the table grid the tables use, and the defaults every document has."""
        keep = {*STYLE_NAMES, "Heading 3", "Heading 4", "Table Grid"}
        root = self.doc.styles.element
        for style in list(self.doc.styles):
            el = style.element
            if style.name in keep:
                link = el.find(qn("w:link"))  # the template's linked character styles ("Heading 1 Char") go
                if link is not None:
                    el.remove(link)
            elif el.get(qn("w:default")) not in ("1", "true"):
                root.remove(el)

    def _page(self) -> None:
        sec = self.doc.sections[0]
        top, bottom, left, right = MARGINS[self.layout]
        sec.page_width, sec.page_height = Mm(210), Mm(297)
        sec.top_margin, sec.bottom_margin = Mm(top), Mm(bottom)
        sec.left_margin, sec.right_margin = Mm(left), Mm(right)
        sec.footer_distance = Mm(max(bottom - 7 - 6, 10))  # number's top ≈ 7 mm below the 版心
        sec.header_distance = Mm(15)
        grid = sec._sectPr.find(qn("w:docGrid"))
        if grid is not None:
            sec._sectPr.remove(grid)
        grid = OxmlElement("w:docGrid")
        if self.layout in GRID:
            pitch, char_space = GRID[self.layout]
            grid.set(qn("w:type"), "linesAndChars")
            grid.set(qn("w:linePitch"), pitch)
            grid.set(qn("w:charSpace"), char_space)
        else:
            grid.set(qn("w:linePitch"), "440")
        sec._sectPr.append(grid)
        for footer, align, side in (
            (sec.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
            (sec.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left"),
        ):
            p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
            for r in list(p.runs):
                r._element.getparent().remove(r._element)
            p.style = self.doc.styles["ZZ Page Number"]
            p.alignment = align
            pf = p.paragraph_format
            if side == "right":
                pf.right_indent = Pt(14)
            else:
                pf.left_indent = Pt(14)
            p.add_run("— ")
            self._field(p, "PAGE")
            p.add_run(" —")

    # ---------------------------------------------------------------- pieces
    def _field(self, p: Paragraph, instr: str) -> None:
        fld = OxmlElement("w:fldSimple")
        fld.set(qn("w:instr"), instr)
        r = OxmlElement("w:r")
        t = OxmlElement("w:t")
        t.text = "1"
        r.append(t)
        fld.append(r)
        p._p.append(fld)

    def _paragraph(self, text: str, style: str, *, classes: set[str] | None = None, container: Any = None) -> Paragraph:
        classes = classes or set()
        p = (container or self.doc).add_paragraph()
        p._p.style = self.style_ids[style]
        if self.fixed is not None:  # placed as the PDF places it, not snapped to the grid's lines
            _fixed_paragraph(p._p.get_or_add_pPr())
            if self.after_table and container is None:
                p.paragraph_format.space_before = Pt(8)  # the table's margin below, as in the PDF
                self.after_table = False
        if self.first_block_of_section and container is None:
            p.paragraph_format.page_break_before = True
            self.first_block_of_section = False
        pf = p.paragraph_format
        if classes & {"noindent", "center", "right"}:
            pf.first_line_indent = Pt(0)
            ind = p._p.get_or_add_pPr().find(qn("w:ind"))
            if ind is not None:
                ind.set(qn("w:firstLineChars"), "0")
        if "center" in classes:
            pf.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if "right" in classes:
            pf.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            pf.right_indent = Pt(self.body_pt * 4)
        if (
            text
            and self.fixed is not None
            and style == "Normal"
            and container is None
            and not classes
            & {
                "center",
                "right",
            }
        ):
            self._fixed_lines(p, text, 0.0 if "noindent" in classes else None)
        elif text:
            p.add_run(text)
        return p

    def _fixed_lines(self, p: Paragraph, text: str, indent: float | None) -> None:
        """A paragraph of the notice's body broken where the PDF breaks it, by spacing alone (no line
        breaks in the text: a clerk's edit reflows it as any paragraph, and a figure is found by
        Word's search as one string whatever runs it lies in). Each line's characters carry the
        letter spacing that fills the line in the PDF, rounded down to a twentieth of a point, so
        that the line holds exactly its characters and the next does not fit (with the room Word and
        LibreOffice put between Chinese and a number); a mark the PDF pushes in is drawn that much
        narrower; where the PDF breaks a number, Word and WPS are let break it too (w:wordWrap off:
        they break a Latin or numeric word only at its ends otherwise) — LibreOffice reads no
        w:wordWrap and takes the whole number to the next line, for its language stays en-US as the
        spec wants for numbers. The line is then justified to the 版心's edge as in the PDF.

        Why not the character grid alone (w:docGrid linesAndChars, 28 characters a line, which Word
        honours): LibreOffice gives a character on such a grid at least one cell of its own size —
        two cells of 15.79 pt for a 16 pt 3号 character — so 28 never fit there; without the grid
        it reads no w:autoSpaceDE, cannot squeeze a mark, and its letter spacing cannot give back
        the room it puts between Chinese and a number where it goes (it spaces the characters of a
        stretch of one script, not the last before another). The letter spacing per line is the
        one way both break where the PDF does; after an edit a line keeps the spacing of the line it
        was on (a few tenths of a point a character), which justification evens out."""
        from zzcbec_docs.documents.fixed_form import CELL, WIDTH, _ascii_word, atoms, break_lines

        first = 2 * CELL if indent is None else indent
        pf = p.paragraph_format
        pf.first_line_indent = Pt(round(first * 20) / 20)
        ind = p._p.get_or_add_pPr().find(qn("w:ind"))
        if ind is not None:
            ind.set(qn("w:firstLineChars"), "0")
        lines = break_lines(atoms(text), indent=first)
        room_tw = round(WIDTH * 20)
        chars: list[list[Any]] = []  # [character, spacing in 1/20 pt (None: the style's), width in %]
        broken_number = False  # a line ends inside a number
        for k, line in enumerate(lines):
            own: list[list[Any]] = [[a.ch, None, 100] for a in line.atoms]
            if not line.last and line.atoms:
                # a mark pushed in is drawn that much narrower (LibreOffice keeps a punctuation
                # mark's own width whatever its letter spacing says)
                for i, v in line.squeeze.items():
                    own[i][2] = int(100 * (line.atoms[i].width - v) / line.atoms[i].width)
                natural = sum(round(a.width * 20 * own[i][2] / 100) for i, a in enumerate(line.atoms))
                # LibreOffice sets Chinese and Latin text (a number) apart by a little (it reads no
                # w:autoSpaceDE): that room is kept for it, so that the line still holds what the PDF's does
                # (within the line, and at its ends where the text beside it is of the other kind)
                before = lines[k - 1].atoms[-1:] if k else []
                after = lines[k + 1].atoms[:1] if k + 1 < len(lines) else []
                seq = [*before, *line.atoms, *after]
                natural += LO_SCRIPT_GAP * sum(
                    1
                    for a, b in zip(seq, seq[1:], strict=False)
                    if _ascii_word_char(a.ch) != _ascii_word_char(b.ch) and not (a.ch + b.ch).isascii()
                )
                room = room_tw - (round(first * 20) if k == 0 else 0)
                spacing = (room - natural) // len(line.atoms)
                for c in own:
                    c[1] = spacing
            chars.extend(own)
            nxt = lines[k + 1].atoms[0] if k + 1 < len(lines) and lines[k + 1].atoms else None
            if line.atoms and _ascii_word(line.atoms[-1]) and _ascii_word(nxt):
                broken_number = True
        if broken_number:
            # Word and WPS then break a number inside where the line is full, as the PDF does; LibreOffice
            # reads no w:wordWrap and takes the whole number to the next line (its language stays en-US)
            wrap = OxmlElement("w:wordWrap")
            wrap.set(qn("w:val"), "0")
            p._p.get_or_add_pPr().insert_element_before(
                wrap, *PPR_AFTER_PBDR[PPR_AFTER_PBDR.index("w:overflowPunct") :]
            )
        out: list[list[Any]] = []
        for c in chars:
            if out and out[-1][1:] == c[1:]:
                out[-1][0] += c[0]
            else:
                out.append(list(c))
        for text_part, spacing, scale in out:
            run = p.add_run(text_part)
            if spacing is None and scale == 100:
                continue
            rpr = run._r.get_or_add_rPr()
            if spacing is not None:
                _char_spacing(rpr, spacing)
            if scale != 100:
                w = OxmlElement("w:w")
                w.set(qn("w:val"), str(scale))
                rpr.insert_element_before(w, *RPR_AFTER_SPACING[1:])

    def _lines(self, p: Paragraph, node: Node) -> None:
        """A paragraph's text with its <br> as line breaks."""
        parts = _split_lines(node)
        for i, part in enumerate(parts):
            run = p.add_run(part)
            if i < len(parts) - 1:
                run.add_break()

    def _footer_line(self, text: str) -> None:
        """The application's tool line: a small line in the footer of every page, as in the PDF."""
        sec = self.doc.sections[0]
        for footer in (sec.footer, sec.even_page_footer):
            p = footer.add_paragraph(style=self.doc.styles["ZZ Small"])
            p.add_run(text)

    def _table(self, node: Node) -> None:
        rows: list[tuple[Node, bool]] = []
        for child in node.elements():
            if child.tag == "tr":
                rows.append((child, False))
            elif child.tag in ("thead", "tbody", "tfoot"):
                rows.extend((tr, child.tag == "thead") for tr in child.elements() if tr.tag == "tr")
        grid = [[c for c in tr.elements() if c.tag in ("td", "th")] for tr, _ in rows]
        if not grid:
            return
        ncols = max(sum(int(c.attrs.get("colspan", "1")) for c in row) for row in grid)
        table = self.doc.add_table(rows=len(grid), cols=ncols)
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        if self.first_block_of_section:  # a table cannot break before; an empty paragraph can
            self.first_block_of_section = False
        small = "grid" in node.classes
        body_style = self.style_ids["ZZ Grid" if small else "ZZ Table"]
        head_style = self.style_ids["ZZ Grid Heading" if small else "ZZ Table Heading"]
        header_cells = next((row for (tr, head), row in zip(rows, grid, strict=True) if head), grid[0])
        shares = [COLUMN_SHARES.get(next(iter(c.classes), ""), 0) for c in header_cells]
        top, bottom, left, right = MARGINS[self.layout]
        text_width = 210 - left - right
        if not (len(shares) == ncols and all(shares)):
            shares = [21, 29, 21, 29] if ncols == 4 else [1] * ncols
            if ncols == 4 and node.classes & {"claim", "total", "sign-boxes"}:
                shares = [38, 20, 21, 21]
            elif ncols == 4 and "info" in node.classes:  # 8-character labels, an 18-character USCC (the CSS)
                shares = [23, 27, 23, 27]
        table.autofit = False
        widths = [Mm(text_width * share / sum(shares)) for share in shares]
        for j, col in enumerate(table.columns):
            col.width = widths[j]  # w:gridCol, read by LibreOffice
        for i, ((tr, head), row) in enumerate(zip(rows, grid, strict=True)):
            row_el = table.rows[i]
            trpr = row_el._tr.get_or_add_trPr()
            cant = OxmlElement("w:cantSplit")  # a row never splits across pages
            trpr.append(cant)
            if head:
                trpr.append(OxmlElement("w:tblHeader"))  # repeated on every page
            col = 0
            row_cells = row_el.cells
            for j, cell in enumerate(row_cells):
                cell.width = widths[j]  # w:tcW, read by Word
            for cell_node in row:
                span = int(cell_node.attrs.get("colspan", "1"))
                cell = row_cells[col]
                if span > 1:
                    cell = cell.merge(row_cells[col + span - 1])
                if "nowrap" in cell_node.classes:
                    cell._tc.get_or_add_tcPr().append(OxmlElement("w:noWrap"))
                # middle, as the PDF sets a cell (th, td: vertical-align middle); the box to write in
                # beside a label (tr.box td: the form's 申请单位 and 初审意见 boxes) from its top
                top = "box" in tr.classes and cell_node.tag == "td"
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP if top else WD_CELL_VERTICAL_ALIGNMENT.CENTER
                style = head_style if cell_node.tag == "th" else body_style
                blocks = [el for el in cell_node.elements() if el.tag == "p"]
                paragraphs = blocks or [cell_node]
                for k, block in enumerate(paragraphs):
                    p = cell.paragraphs[0] if k == 0 else cell.add_paragraph()
                    p._p.style = style
                    if "num" in cell_node.classes or "boxsign" in block.classes:
                        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                    if "sum" in tr.classes and col == 0:
                        p._p.style = head_style
                        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                    run = p.add_run(squash(block.text()))
                    if "hash" in cell_node.classes:
                        run.font.size = Pt(8)
                col += span
        if self.fixed is not None:
            self._fixed_rows(table)
        else:
            _cell_margins(table, top=3, side=5, bottom=3)  # th, td: padding 3pt 5pt, as the PDF

    def _fixed_rows(self, table: Table) -> None:
        """The notice's table as the PDF draws it: rows of the layout's heights, cells padded 3 × 5 pt."""
        assert self.fixed is not None
        heights = [it.height for it in self.fixed.items if it.kind == "row"][self.rows_done :]
        self.rows_done += len(table.rows)
        # 3 pt above and below as in the PDF; LibreOffice sets the text 2 pt lower in its line: 1 pt and 5 pt
        _cell_margins(table, top=1, side=5, bottom=5)
        for row, height in zip(table.rows, heights, strict=False):
            trpr = row._tr.get_or_add_trPr()
            h = OxmlElement("w:trHeight")
            h.set(qn("w:val"), str(round(height * 20)))
            h.set(qn("w:hRule"), "exact")
            trpr.insert(0, h)
            for cell in row.cells:
                for para in cell.paragraphs:
                    _fixed_paragraph(para._p.get_or_add_pPr())
        self.after_table = True

    # ---------------------------------------------------------------- walk
    def write(self, body: Node) -> None:
        first = True
        for section in body.elements():
            if section.tag == "p":
                self._block(section)
            elif section.tag == "section":
                if not first:
                    self.first_block_of_section = True
                first = False
                self.in_letter = "letter" in section.classes
                self._blocks(section)

    def _blocks(self, node: Node) -> None:
        for el in node.elements():
            self._block(el)

    def _block(self, el: Node) -> None:
        tag, cls = el.tag, el.classes
        if tag == "h1":
            p = self._paragraph("", "ZZ Letter Title" if self.in_letter else "Title")
            self._lines(p, el)
            if self.fixed is not None:
                p.paragraph_format.space_before = Pt(FIXED_TITLE_BEFORE)
                p.paragraph_format.space_after = Pt(28.95 + FIXED_ADDRESSEE_BEFORE)
        elif tag == "h2":
            self._paragraph(squash(el.text()), "Heading 1")
        elif tag == "h3":
            self._paragraph(squash(el.text()), "Heading 2")
        elif tag == "p" and "provenance" in cls:
            self._footer_line(squash(el.text()))
        elif tag == "p" and "mark" in cls:
            p = self._paragraph(squash(el.text()), "ZZ Mark")
            if self.fixed is not None:  # §7.2.4: the 标志's upper edge 35 mm below the 版心's
                p.paragraph_format.space_before = Pt(35 * 72 / 25.4 - (44 - 36) / 2 + FIXED_MARK_SHIFT)
                p.paragraph_format.space_after = Pt(0)
        elif tag == "p" and "docno" in cls:
            p = self._paragraph(squash(el.text()), "ZZ Doc Number")
            if self.fixed is not None:  # §7.2.5 空二行 under the 标志; §7.2.7 the rule 4 mm under the 文号
                p.paragraph_format.space_before = Pt(
                    2 * 28.95 + (28.95 - 16) - (28.95 - 16) / 2 - (44 - 36) / 2 - FIXED_DOCNO_RAISE
                )
                p.paragraph_format.space_after = Pt(0)
                _border(p._p.get_or_add_pPr(), "bottom", 12, "E60012", space=FIXED_RULE_SPACE)
            else:
                _border(p._p.get_or_add_pPr(), "bottom", 12, "E60012", space=11)  # the red separator, 4 mm under
        elif tag == "p" and "unit" in cls:
            p = self._paragraph(squash(el.text()), "ZZ Unit")
            if self.fixed is not None:
                p.paragraph_format.space_after = Pt(2)
        elif tag == "p" and "sign" in cls:
            self._paragraph(squash(el.text()), "ZZ Signature")
        elif tag == "p":
            p = self._paragraph(squash(el.text()), "ZZ Letter" if self.in_letter else "Normal", classes=cls)
            if "last" in cls:
                p.paragraph_format.keep_with_next = True
        elif tag == "hr":
            pass  # rules are paragraph borders (the 版头's red line, the 版记's lines)
        elif tag == "table":
            self._table(el)
        elif tag == "div" and "seal-space" in cls:
            p = self._paragraph("", "Normal", classes={"noindent"})
            if self.fixed is not None:  # three empty lines: the seal's room (§7.3.5.1)
                p.paragraph_format.line_spacing = Pt(3 * 28.95)
        elif tag == "div" and "signoff" in cls:
            signs = el.elements()
            for sign in signs:  # issuer and date, 右空四字
                q = self._paragraph(squash(sign.text()), "Normal", classes={"right"})
                if self.fixed is not None:  # the date 右空四字 on the grid, the 署名 centred over it
                    from zzcbec_docs.documents.fixed_form import CELL, SPACING, _width, atoms

                    # widths as LibreOffice sets them (a date's digits apart from its characters)
                    date_w = _width(atoms(squash(signs[-1].text())), SPACING) + _lo_gaps(squash(signs[-1].text()))
                    own = _width(atoms(squash(sign.text())), SPACING) + _lo_gaps(squash(sign.text()))
                    q.paragraph_format.right_indent = Pt(4 * CELL + (date_w - own) / 2)
        elif tag == "div" and "closing" in cls:  # kept together on one page, as in the PDF
            start = len(self.doc.paragraphs)
            self._blocks(el)
            for p in self.doc.paragraphs[start:-1]:
                p.paragraph_format.keep_with_next = True
        elif tag == "div" and "banji" in cls:
            self._banji(el)
        elif tag == "div":
            self._blocks(el)

    def _banji(self, el: Node) -> None:
        """版记: 抄送 and 印发机关/日期 between lines (thick first and last, thin between), 4号仿宋."""
        if self.fixed is not None:
            self._fixed_banji(el)
            return
        ps = [p for p in el.elements() if p.tag == "p"]
        top, bottom, left, right = MARGINS[self.layout]
        width = Mm(210 - left - right)
        spacer = self._paragraph("", "ZZ Banji")
        spacer.paragraph_format.keep_with_next = True
        for node in ps:
            p = self._paragraph("", "ZZ Banji")
            pf = p.paragraph_format
            pf.keep_with_next = node is not ps[-1]
            pf.left_indent = Pt(14)
            pf.right_indent = Pt(14)
            ppr = p._p.get_or_add_pPr()
            if "cc" in node.classes:
                pf.left_indent = Pt(14 * 4)
                pf.first_line_indent = Pt(-14 * 3)  # 回行时与冒号后的首字对齐
                ind = ppr.find(qn("w:ind"))
                ind.set(qn("w:leftChars"), "400")
                ind.set(qn("w:hangingChars"), "300")
                _border(ppr, "top", 8)
                _border(ppr, "bottom", 6)
                p.add_run(squash(node.text()))
            elif "printed" in node.classes:
                _border(ppr, "bottom", 8)
                spans = [s for s in node.elements() if s.tag == "span"]
                pf.tab_stops.add_tab_stop(width - Pt(28), alignment=2)  # right-aligned 印发日期
                p.add_run(squash(spans[0].text()) if spans else squash(node.text()))
                if len(spans) > 1:
                    p.add_run("\t" + squash(spans[1].text()))
            else:
                p.style = self.doc.styles["ZZ Grid"]
                p.add_run(squash(node.text()))

    def _fixed_banji(self, el: Node) -> None:
        """The notice's 版记 on the last page, its last rule on the 版心's lower edge (§7.4.1): the
        核验码 (and its QR code, where given), 抄送, 印发机关 and 印发日期, each a row of a one-column
        table whose rules are as wide as the 版心 (thick first and last, thin between), the text
        空一字 from either side by the cell margins. An empty line of the room the layout leaves on
        that page goes before it (LibreOffice lays the notice out as the PDF does:
        tests/test_notice_geometry.py); on a page of its own where the layout puts it there."""
        from zzcbec_docs.documents.fixed_form import BANJI, HEIGHT, PITCH, QR_MM, WIDTH

        layout = self.fixed
        assert layout is not None
        height = layout.banji_height()
        ps = [p for p in el.elements() if p.tag == "p"]
        order = (
            [p for p in ps if "vcode" in p.classes]
            + [p for p in ps if "cc" in p.classes]
            + [p for p in ps if "printed" in p.classes]
        )
        own_page = layout.banji_page > layout.flow_page
        room = HEIGHT - height - (0.0 if own_page else layout.flow_end) - FIXED_BANJI_SLACK
        if layout.banji_page - layout.flow_page == 2:  # the blank page before an even 版记 page
            self._unnumbered_section()
            self._paragraph("", "ZZ Banji")  # the blank page: the new section's first
        spacer = self._paragraph("", "ZZ Banji")
        spacer.paragraph_format.page_break_before = own_page
        spacer.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        spacer.paragraph_format.line_spacing = Pt(max(room, 1.0))
        table = self.doc.add_table(rows=len(order), cols=1)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        table.columns[0].width = Pt(WIDTH)
        tblpr = table._tbl.tblPr
        borders = OxmlElement("w:tblBorders")
        for side, size in (("top", 8), ("left", 0), ("bottom", 8), ("right", 0), ("insideH", 6), ("insideV", 0)):
            b = OxmlElement(f"w:{side}")
            b.set(qn("w:val"), "single" if size else "nil")
            if size:
                b.set(qn("w:sz"), str(size))
                b.set(qn("w:space"), "0")
                b.set(qn("w:color"), "000000")
            borders.append(b)
        tblpr.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar", *TBLPR_AFTER_CELLMAR)
        _cell_margins(table, top=0, side=BANJI, bottom=0)
        inner = WIDTH - 2 * BANJI
        for k, (row, node) in enumerate(zip(table.rows, order, strict=True)):
            cell = row.cells[0]
            cell.width = Pt(WIDTH)
            p = cell.paragraphs[0]
            p._p.style = self.style_ids["ZZ Banji"]
            _fixed_paragraph(p._p.get_or_add_pPr())
            pf = p.paragraph_format
            rows = 1
            if "cc" in node.classes:
                rows = len(layout._cc_lines(node))
                lead = sum(1 for _ in "抄送：") * BANJI
                pf.left_indent = Pt(lead)
                pf.first_line_indent = Pt(-lead)  # 回行时与冒号后的首字对齐
                ind = p._p.pPr.find(qn("w:ind"))
                if ind is not None:
                    for key in ("w:firstLineChars", "w:leftChars", "w:hangingChars"):
                        if ind.get(qn(key)) is not None:
                            del ind.attrib[qn(key)]
                p.add_run(squash(node.text()))
            elif "printed" in node.classes:
                spans = [s for s in node.elements() if s.tag == "span"]
                pf.tab_stops.add_tab_stop(Pt(inner - 1), alignment=2)  # 印发日期 右空一字
                p.add_run(squash(spans[0].text()) if spans else squash(node.text()))
                if len(spans) > 1:
                    p.add_run("\t" + squash(spans[1].text()))
            else:
                img = node.find("img")
                p.add_run(squash(node.text()))
                if img is not None:
                    self._qr(p, img, QR_MM)
            line = (
                PITCH
                if not ("vcode" in node.classes and node.find("img") is not None)
                else max(PITCH, QR_MM * 72 / 25.4 + 6)
            )
            pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            pf.line_spacing = Pt(line) if rows == 1 else Pt(PITCH)
            trpr = row._tr.get_or_add_trPr()
            h = OxmlElement("w:trHeight")
            rules = 1.0 if k == len(order) - 1 else 0.0  # the last rule below the row must stay on the page
            h.set(qn("w:val"), str(round((line * rows - rules) * 20)))
            h.set(qn("w:hRule"), "exact")
            trpr.insert(0, h)
            trpr.append(OxmlElement("w:cantSplit"))
            if k == 0:
                trpr.append(OxmlElement("w:tblHeader"))  # as every table's first row (it never splits)
            pf.keep_with_next = k < len(order) - 1

    def _unnumbered_section(self) -> None:
        """§7.5: a blank page before the 版记's lone page, and neither numbered. The body's section
        ends with its last paragraph (the 附注: no extra line that could spill onto a page of its own);
        a new section starts on the next page, with footers (odd and even) that carry no page number.
        Word, WPS and LibreOffice all keep the blank page and the 版记's page unnumbered this way, and
        a clerk's edit of the body moves the section break along with it."""
        from docx.enum.section import WD_SECTION

        body = self.doc.element.body
        blocks = [el for el in body.iterchildren() if el.tag != qn("w:sectPr")]
        last = blocks[-1] if blocks else None
        section = self.doc.add_section(WD_SECTION.NEW_PAGE)
        carrier = body.findall(qn("w:p"))[-1]  # python-docx's new paragraph holding the body's sectPr
        if last is not None and last.tag == qn("w:p"):
            last.set_sectPr(carrier.pPr.sectPr)
            body.remove(carrier)
        for footer in (section.footer, section.even_page_footer):
            footer.is_linked_to_previous = False
            for p in footer.paragraphs:  # one empty line, as high as the numbered footers' line
                p._p.style = self.style_ids["ZZ Page Number"]
                for r in list(p.runs):
                    r._element.getparent().remove(r._element)

    def _qr(self, p: Paragraph, img: Node, size_mm: float) -> None:
        """The verification QR code (a data: URI PNG from the content), right-aligned in its line."""
        from zzcbec_docs.documents.qr import docx_png, png_of_data_uri

        png = png_of_data_uri(img.attrs.get("src", ""))
        if png is None:
            return
        from zzcbec_docs.documents.fixed_form import BANJI, WIDTH

        p.paragraph_format.tab_stops.add_tab_stop(Pt(WIDTH - 2 * BANJI - 1), alignment=2)  # 右空一字
        run = p.add_run("\t")
        # one pixel a module in the content: enlarged module by module, so Word and WPS print it sharp
        run.add_picture(io.BytesIO(docx_png(png)), width=Mm(size_mm), height=Mm(size_mm))


def _lo_gaps(text: str) -> float:
    """The room (pt) LibreOffice puts between the Chinese and the numbers of a 3号 text (measured:
    3.45 pt at each change; Word puts a quarter of the size, 4 pt: the 署名 stands within 1 mm of
    the date's centre in either)."""
    return LO_SCRIPT_GAP_SET * sum(
        1
        for a, b in zip(text, text[1:], strict=False)
        if _ascii_word_char(a) != _ascii_word_char(b) and not (a + b).isascii()
    )


def _cell_margins(table: Table, *, top: float, side: float, bottom: float) -> None:
    """The table's cell margins (pt), as the PDF's cell padding."""
    mar = OxmlElement("w:tblCellMar")
    for name, value in (("top", top), ("left", side), ("bottom", bottom), ("right", side)):
        el = OxmlElement(f"w:{name}")
        el.set(qn("w:w"), str(round(value * 20)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    table._tbl.tblPr.insert_element_before(mar, *TBLPR_AFTER_CELLMAR)


def _ascii_word_char(ch: str) -> bool:
    return len(ch) == 1 and ch.isascii() and ch.isalnum()


def _fixed_paragraph(ppr: BaseOxmlElement) -> None:
    """A paragraph of the fixed-form notice: not snapped to the grid's lines (the PDF's lines are
    placed by exact heights) and no mark hanging into the margin (the PDF pushes it in).

    The room Word and LibreOffice put between Chinese and a number or Latin word is left on
    (w:autoSpaceDE/DN): LibreOffice reads neither and always puts it (a fifth of the font's
    height), so the body's lines are measured with it (_fixed_lines); Word, left to put its own
    quarter of a character there, then fills each line with the same characters as LibreOffice
    and the PDF, where without it a line of numbers would take a character or two more."""
    for tag, successors in (
        ("w:overflowPunct", PPR_AFTER_PBDR[PPR_AFTER_PBDR.index("w:topLinePunct") :]),  # no mark hangs out
        ("w:snapToGrid", PPR_AFTER_SNAP),
    ):
        el = OxmlElement(tag)
        el.set(qn("w:val"), "0")
        ppr.insert_element_before(el, *successors)


# calibrated on LibreOffice's conversion with the same faces (tests/test_notice_geometry.py)
LO_SCRIPT_GAP_SET = 3.45  # pt LibreOffice sets between 3号 Chinese and a number (it reads no w:autoSpaceDE)
LO_SCRIPT_GAP = 90  # twentieths of a point LibreOffice keeps between 3号 Chinese and a number (Word: 80)
BODY_SPACING = -6  # twentieths of a point each body character gives back: 28 of 15.7 pt in the 156 mm 版心
FIXED_MARK_SHIFT = 0.0
FIXED_DOCNO_RAISE = 3.1  # LibreOffice sets the 文号 this much lower in its line than the PDF
FIXED_RULE_SPACE = 7  # pt between the 文号's line and the red rule
FIXED_TITLE_BEFORE = 2 * 28.95 - 0.75 - 2.4  # from the rule's lower edge; the title's text is 2.4 pt lower
FIXED_BANJI_SLACK = 2.0  # pt kept free above the 版记, so that rounding never pushes it to a new page
FIXED_ADDRESSEE_BEFORE = 3.2  # the title's 2.4 and the body's 3.2: where the PDF has the addressee


def _split_lines(node: Node) -> list[str]:
    parts = [""]
    for c in node.children:
        if isinstance(c, str):
            parts[-1] += c
        elif c.tag == "br":
            parts.append("")
        else:
            parts[-1] += c.text()
    return [squash(p) for p in parts]


def render_docx(
    html: str,
    *,
    title: str,
    subject: str,
    keywords: str,
    comments: str,
    author: str,
    identifier: str,
    version: str,
    status: str,
    created: datetime,
) -> bytes:
    root = parse(html)
    body = root.find("body")
    assert body is not None
    layout = "form" if "form" in body.classes else "gongwen"
    fixed = None
    if "notice" in body.classes:
        from zzcbec_docs.documents.fixed_form import NoticeLayout

        fixed = NoticeLayout(html)
    w = _Writer(layout, fixed=fixed)
    w.write(body)
    cp = w.doc.core_properties
    cp.title, cp.subject, cp.keywords, cp.comments = title, subject, keywords, comments
    cp.author = cp.last_modified_by = author
    cp.identifier, cp.version, cp.content_status = identifier, version, status
    cp.language = "zh-CN"
    cp.category = subject
    cp.revision = 1
    naive = created.replace(tzinfo=None)
    cp.created = cp.modified = naive
    cp.last_printed = naive
    buf = io.BytesIO()
    w.doc.save(buf)
    return _clean_package(buf.getvalue(), naive, version)


APP_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    "<Application>zzcbec-docs</Application><AppVersion>{version}</AppVersion><DocSecurity>0</DocSecurity>"
    "<ScaleCrop>false</ScaleCrop><LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
    "<HyperlinksChanged>false</HyperlinksChanged></Properties>"
)
FONT_TABLE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">{fonts}</w:fonts>'
)


def _font_table() -> str:
    names = []
    for r in ROLES.values():
        for n in (r.docx_name, r.docx_latin):
            if n not in names:
                names.append(n)
    entries = []
    for n in [*names, "Times New Roman", "Symbol"]:
        charset = "86" if any(ord(ch) > 127 for ch in n) or n in ("FangSong", "SimHei", "KaiTi", "SimSun") else "00"
        family = "swiss" if n in ("黑体", "SimHei") else "roman"
        entries.append(
            f'<w:font w:name="{n}"><w:charset w:val="{charset}"/><w:family w:val="{family}"/>'
            '<w:pitch w:val="variable"/></w:font>'
        )
    return FONT_TABLE.format(fonts="".join(entries))


def _rewrite(name: str, data: bytes, version: str) -> bytes | None:
    """python-docx's template leftovers out: app name, Japanese theme language and fonts, the thumbnail."""
    if name == "docProps/app.xml":
        return APP_XML.format(version=version).encode("utf-8")
    if name == "docProps/thumbnail.jpeg":
        return None
    if name == "word/fontTable.xml":
        return _font_table().encode("utf-8")
    if name == "word/settings.xml":
        return data.replace(b'w:eastAsia="ja-JP"', b'w:eastAsia="zh-CN"')
    if name.startswith("word/theme/"):
        text = data.decode("utf-8")
        text = re.sub(r'<a:font script="Jpan" typeface="[^"]*"/>', "", text)
        text = re.sub(r'<a:ea typeface=""/>', '<a:ea typeface="宋体"/>', text)
        return text.encode("utf-8")
    if name == "_rels/.rels":
        return re.sub(rb'<Relationship [^>]*thumbnail\.jpeg"/>', b"", data)
    if name == "[Content_Types].xml":
        return re.sub(rb'<Default Extension="jpeg"[^>]*/>', b"", data)
    return data


def _clean_package(data: bytes, when: datetime, version: str) -> bytes:
    """Same parts, same order, fixed timestamps (the same input gives the same bytes), leftovers out."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = _rewrite(info.filename, src.read(info.filename), version)
            if content is None:
                continue
            zi = zipfile.ZipInfo(info.filename, date_time=stamp)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, content)
    return out.getvalue()
