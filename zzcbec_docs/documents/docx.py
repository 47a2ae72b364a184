"""The same HTML content → DOCX with python-docx: GB/T 9704 page, East Asian fonts, zh-CN.

python-docx sets only the Latin font; the Chinese font goes in w:eastAsia, set here for every
style and run. Output is deterministic: fixed zip timestamps and core-property dates.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from functools import lru_cache

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from zzcbec_docs.documents.content_tree import Node, parse, squash
from zzcbec_docs.documents.fonts import ROLES

LINE = Pt(28.95)  # 22 lines in the 225 mm 版心
COLUMN_SHARES = {"c-cond": 22, "c-val": 20, "c-std": 26, "c-res": 12, "c-item": 37, "c-num": 21}  # % as in the CSS
MARGINS = {  # top, bottom, left, right (mm)
    "gongwen": (37, 35, 28, 26),
    "form": (25, 25, 20, 20),
}


def _set_fonts(rpr_parent, role: str) -> None:  # type: ignore[no-untyped-def]
    """Name the role's font in every slot, East Asian included."""
    r = ROLES[role]
    rpr = rpr_parent.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:ascii"), r.docx_latin)
    fonts.set(qn("w:hAnsi"), r.docx_latin)
    fonts.set(qn("w:eastAsia"), r.docx_name)
    fonts.set(qn("w:cs"), r.docx_latin)
    fonts.set(qn("w:hint"), "eastAsia")


def _set_lang(rpr_parent) -> None:  # type: ignore[no-untyped-def]
    rpr = rpr_parent.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:bidi"), "ar-SA")


@lru_cache(maxsize=2)
def _base_document(layout: str) -> bytes:
    """The empty document of a layout (styles, page, footers), made once: loading it is 4× faster."""
    buf = io.BytesIO()
    _Writer(layout, fresh=True).doc.save(buf)
    return buf.getvalue()


class _Writer:
    def __init__(self, layout: str, fresh: bool = False) -> None:
        self.layout = layout
        self.body_pt = 16 if layout == "gongwen" else 12
        self.first_block_of_section = False
        if fresh:
            self.doc = Document()
            self._styles()
            self._page()
        else:
            self.doc = Document(io.BytesIO(_base_document(layout)))
        # python-docx resolves a style object by scanning every style each time; look ids up once
        self.style_ids = {name: self.doc.styles[name].style_id
                          for name in ("Normal", "ZZ Title", "ZZ Heading 1", "ZZ Heading 2", "ZZ Table", "ZZ Grid")}

    # ---------------------------------------------------------------- setup
    def _style(self, name: str, role: str, size: float, *, align=None, indent_chars: float = 0,  # type: ignore[no-untyped-def]
               line=None, base: str | None = "Normal"):
        styles = self.doc.styles
        try:
            st = styles[name]
        except KeyError:
            from docx.enum.style import WD_STYLE_TYPE

            st = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            if base:
                st.base_style = styles[base]
        st.font.size = Pt(size)
        st.font.bold = False
        _set_fonts(st.element, role)
        _set_lang(st.element)
        pf = st.paragraph_format
        pf.space_before = Pt(0)
        pf.space_after = Pt(0)
        if line is not None:
            pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            pf.line_spacing = line
        if align is not None:
            pf.alignment = align
        pf.first_line_indent = Pt(size * indent_chars) if indent_chars else Pt(0)
        return st

    def _styles(self) -> None:
        body_line = LINE if self.layout == "gongwen" else Pt(22)
        normal = self._style("Normal", "fangsong", self.body_pt, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
                             indent_chars=2, line=body_line, base=None)
        normal.font.color.rgb = None
        # docDefaults carry the language and East Asian font for anything not styled
        defaults = self.doc.styles.element.find(qn("w:docDefaults"))
        if defaults is not None:
            rpr_default = defaults.find(qn("w:rPrDefault"))
            if rpr_default is not None and rpr_default.find(qn("w:rPr")) is not None:
                rpr = rpr_default.find(qn("w:rPr"))
                for child in list(rpr):
                    if child.tag in (qn("w:rFonts"), qn("w:lang")):
                        rpr.remove(child)
                fonts = OxmlElement("w:rFonts")
                r = ROLES["fangsong"]
                for k, v in (("w:ascii", r.docx_latin), ("w:hAnsi", r.docx_latin), ("w:eastAsia", r.docx_name),
                             ("w:cs", r.docx_latin)):
                    fonts.set(qn(k), v)
                rpr.insert(0, fonts)
                lang = OxmlElement("w:lang")
                lang.set(qn("w:val"), "zh-CN")
                lang.set(qn("w:eastAsia"), "zh-CN")
                lang.set(qn("w:bidi"), "ar-SA")
                rpr.append(lang)
        title_size = 22 if self.layout == "gongwen" else 18
        self._style("ZZ Title", "xiaobiaosong", title_size, align=WD_ALIGN_PARAGRAPH.CENTER,
                    line=Pt(35) if self.layout == "gongwen" else Pt(28))
        self._style("ZZ Heading 1", "heiti", 16 if self.layout == "gongwen" else 14,
                    indent_chars=2 if self.layout == "gongwen" else 0, line=body_line)
        self._style("ZZ Heading 2", "kaiti", 16 if self.layout == "gongwen" else 12,
                    indent_chars=2 if self.layout == "gongwen" else 0, line=body_line)
        self._style("ZZ Table", "fangsong", 12, line=Pt(18), align=WD_ALIGN_PARAGRAPH.LEFT)
        self._style("ZZ Grid", "fangsong", 10.5, line=Pt(15), align=WD_ALIGN_PARAGRAPH.LEFT)
        self._style("ZZ Small", "fangsong", 6.5, line=Pt(8), align=WD_ALIGN_PARAGRAPH.CENTER)
        self.doc.settings.odd_and_even_pages_header_footer = True

    def _page(self) -> None:
        sec = self.doc.sections[0]
        self._setup_section(sec, self.layout)

    def _setup_section(self, sec, layout: str) -> None:  # type: ignore[no-untyped-def]
        top, bottom, left, right = MARGINS[layout]
        sec.page_width, sec.page_height = Mm(210), Mm(297)
        sec.top_margin, sec.bottom_margin = Mm(top), Mm(bottom)
        sec.left_margin, sec.right_margin = Mm(left), Mm(right)
        sec.footer_distance = Mm(max(bottom - 7 - 5, 10))  # number's top ≈ 7 mm below the 版心
        sec.header_distance = Mm(15)
        for footer, align, side in ((sec.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
                                    (sec.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left")):
            p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
            for r in list(p.runs):
                r._element.getparent().remove(r._element)
            p.alignment = align
            pf = p.paragraph_format
            pf.first_line_indent = Pt(0)
            if side == "right":
                pf.right_indent = Pt(14)
            else:
                pf.left_indent = Pt(14)
            self._run(p, "— ", "fangsong", 14)
            self._field(p, "PAGE", 14)
            self._run(p, " —", "fangsong", 14)

    # ---------------------------------------------------------------- pieces
    def _run(self, p, text: str, role: str, size: float | None = None):  # type: ignore[no-untyped-def]
        run = p.add_run(text)
        _set_fonts(run._element, role)
        if size:
            run.font.size = Pt(size)
        return run

    def _field(self, p, instr: str, size: float) -> None:  # type: ignore[no-untyped-def]
        fld = OxmlElement("w:fldSimple")
        fld.set(qn("w:instr"), instr)
        r = OxmlElement("w:r")
        rpr = OxmlElement("w:rPr")
        sz = OxmlElement("w:sz")
        sz.set(qn("w:val"), str(int(size * 2)))
        rpr.append(sz)
        r.append(rpr)
        t = OxmlElement("w:t")
        t.text = "1"
        r.append(t)
        fld.append(r)
        p._p.append(fld)

    def _paragraph(self, text: str, style: str, role: str, *, classes: set[str] | None = None):  # type: ignore[no-untyped-def]
        classes = classes or set()
        p = self.doc.add_paragraph()
        p._p.style = self.style_ids[style]
        if self.first_block_of_section:
            p.paragraph_format.page_break_before = True
            self.first_block_of_section = False
        pf = p.paragraph_format
        if classes & {"noindent", "center", "right", "docno", "provenance"}:
            pf.first_line_indent = Pt(0)
        if classes & {"center", "docno"}:
            pf.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if "right" in classes:
            pf.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            pf.right_indent = Pt(self.body_pt * 4)
        if text:
            self._run(p, text, role)
        return p

    def _footer_line(self, text: str) -> None:
        """Provenance: a small line in the footer of every page, as in the PDF."""
        sec = self.doc.sections[0]
        for footer in (sec.footer, sec.even_page_footer):
            p = footer.add_paragraph(style=self.doc.styles["ZZ Small"])
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.first_line_indent = Pt(0)
            self._run(p, text, "fangsong")

    def _rule(self) -> None:
        p = self._paragraph("", "Normal", "fangsong", classes={"noindent"})
        ppr = p._p.get_or_add_pPr()
        bdr = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for k, v in (("w:val", "single"), ("w:sz", "8"), ("w:space", "1"), ("w:color", "000000")):
            bottom.set(qn(k), v)
        bdr.append(bottom)
        ppr.append(bdr)

    def _table(self, node: Node) -> None:
        rows = [tr for tr in node.elements() if tr.tag == "tr"]
        grid = [[c for c in tr.elements() if c.tag in ("td", "th")] for tr in rows]
        ncols = max(sum(int(c.attrs.get("colspan", "1")) for c in row) for row in grid)
        table = self.doc.add_table(rows=len(grid), cols=ncols)
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        if self.first_block_of_section:  # a table cannot break before; an empty paragraph can
            self.first_block_of_section = False
        style = "ZZ Grid" if "grid" in node.classes else "ZZ Table"
        shares = [COLUMN_SHARES.get(next(iter(c.classes), ""), 0) for c in grid[0]]
        if len(shares) == ncols and all(shares):
            top, bottom, left, right = MARGINS[self.layout]
            text_width = 210 - left - right
            table.autofit = False
            widths = [Mm(text_width * share / sum(shares)) for share in shares]
            for j, col in enumerate(table.columns):
                col.width = widths[j]  # w:gridCol, read by LibreOffice
            for row in table.rows:
                for j, cell in enumerate(row.cells):  # w:tcW, read by Word
                    cell.width = widths[j]
        style_id = self.style_ids[style]
        for i, row in enumerate(grid):
            col = 0
            row_cells = table.rows[i].cells
            for cell_node in row:
                span = int(cell_node.attrs.get("colspan", "1"))
                cell = row_cells[col]
                if span > 1:
                    cell = cell.merge(row_cells[col + span - 1])
                p = cell.paragraphs[0]
                p._p.style = style_id
                p.paragraph_format.first_line_indent = Pt(0)
                if "num" in cell_node.classes:
                    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                role = "heiti" if cell_node.tag == "th" else "fangsong"
                run = self._run(p, squash(cell_node.text()), role)
                if "hash" in cell_node.classes:
                    run.font.size = Pt(8)
                col += span

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
                self._blocks(section)

    def _blocks(self, node: Node) -> None:
        for el in node.elements():
            self._block(el)

    def _block(self, el: Node) -> None:
        tag, cls = el.tag, el.classes
        if tag == "h1":
            self._paragraph(squash(el.text()), "ZZ Title", "xiaobiaosong")
            if self.layout == "gongwen":
                self._paragraph("", "Normal", "fangsong", classes={"noindent"})  # one blank line after
        elif tag == "h2":
            self._paragraph(squash(el.text()), "ZZ Heading 1", "heiti")
        elif tag == "h3":
            self._paragraph(squash(el.text()), "ZZ Heading 2", "kaiti")
        elif tag == "p" and "provenance" in cls:
            self._footer_line(squash(el.text()))
        elif tag == "p":
            self._paragraph(squash(el.text()), "Normal", "fangsong", classes=cls)
        elif tag == "hr":
            self._rule()
        elif tag == "table":
            self._table(el)
        elif tag == "div" and "seal-space" in cls:
            for _ in range(2):
                self._paragraph("", "Normal", "fangsong", classes={"noindent"})
        elif tag == "div" and "signoff" in cls:
            for p in el.elements():  # issuer and date, 右空四字
                self._paragraph(squash(p.text()), "Normal", "fangsong", classes={"right"})
        elif tag == "div" and "closing" in cls:  # kept together on one page, as in the PDF
            start = len(self.doc.paragraphs)
            self._blocks(el)
            for p in self.doc.paragraphs[start:-1]:
                p.paragraph_format.keep_with_next = True
        elif tag == "div":
            self._blocks(el)


def render_docx(html: str, *, title: str, subject: str, keywords: str, comments: str,
                author: str, identifier: str, version: str, status: str, created: datetime) -> bytes:
    root = parse(html)
    body = root.find("body")
    assert body is not None
    layout = "form" if "form" in body.classes else "gongwen"
    w = _Writer(layout)
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
    return _deterministic_zip(buf.getvalue(), naive)


def _deterministic_zip(data: bytes, when: datetime) -> bytes:
    """Same parts, same order, fixed timestamps: the same input gives the same bytes."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=stamp)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()
