"""Reading documents back: DOCX through python-docx, PDF through pdftotext and pypdf."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

from docx import Document
from docx.table import Table
from docx.text.paragraph import Paragraph

PAGE_NUMBER = re.compile(r"^\s*—\s*\d+\s*—\s*$")


def docx_blocks(path: Path) -> list[str]:
    """Body paragraphs and table rows in document order (rows as 'a | b | c'), empty ones dropped."""
    doc = Document(str(path))
    out = []
    for child in doc.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[1]
        if tag == "p":
            text = Paragraph(child, doc).text.strip()
            if text:
                out.append(" ".join(text.split()))
        elif tag == "tbl":
            table = Table(child, doc)
            for row in table.rows:
                cells = []
                for cell in row.cells:  # merged cells repeat: keep each once
                    if not cells or cell._tc is not cells[-1][0]:
                        cells.append((cell._tc, " ".join(cell.text.split())))
                out.append(" | ".join(t for _, t in cells))
    return out


def docx_footer_text(path: Path) -> str:
    doc = Document(str(path))
    return " ".join(p.text for p in doc.sections[0].footer.paragraphs)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout


def pdf_body_text(path: Path, provenance: str) -> str:
    """PDF text without page numbers and the provenance footer repeated on each page."""
    text = pdf_text(path)
    squashed = "".join(text.split())
    squashed = squashed.replace("".join(provenance.split()), "")
    return re.sub(r"—\d+—", "", squashed)


def chars(text: str) -> Counter:
    return Counter(ch for ch in text if not ch.isspace() and ch != "|")


def header_rows(path: Path) -> list[str]:
    """The text of each table's repeated header rows (w:tblHeader), whitespace removed."""
    doc = Document(str(path))
    out = []
    for table in doc.tables:
        for row in table.rows:
            if row._tr.trPr is not None and row._tr.trPr.find(
                    "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader") is not None:
                out.append("".join("".join(c.text.split()) for c in row.cells))
    return out


def without_repeated_headers(pdf_flat: str, headers: list[str]) -> str:
    """A table's header row repeats on every page it spans (in the PDF): keep each header once per table."""
    for h in set(headers):
        keep = headers.count(h)
        parts = pdf_flat.split(h)
        if len(parts) - 1 > keep:
            pdf_flat = h.join(parts[:keep + 1]) + "".join(parts[keep + 1:])
    return pdf_flat


def _to_unicode(font) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """code → text, from the font's ToUnicode map (bfchar entries, as WeasyPrint writes them)."""
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    out = {}
    for code, text in re.findall(r"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]+)>", data):
        out[int(code, 16)] = bytes.fromhex(text).decode("utf-16-be")
    return out


def _outline(glyph) -> list:  # type: ignore[no-untyped-def, type-arg]
    from fontTools.pens.recordingPen import DecomposingRecordingPen

    pen = DecomposingRecordingPen(None)
    glyph.draw(pen)
    return [(op, tuple((round(x), round(y)) for x, y in pts)) for op, pts in pen.value]


def _embedded_readings(descendant) -> tuple[str, dict[str, dict[int, object]]]:  # type: ignore[no-untyped-def]
    """The embedded program's kind and, for each way a viewer may read a code, code → glyph.

    A CID-keyed CFF program maps codes through its charset (as Acrobat, Preview and Ghostscript
    read it); inside an OpenType wrapper poppler and PDFium take the code as a glyph id instead.
    A TrueType program: code = glyph id (CIDToGIDMap /Identity)."""
    import io

    from fontTools.cffLib import CFFFontSet
    from fontTools.ttLib import TTFont

    descriptor = descendant["/FontDescriptor"].get_object()
    if "/FontFile3" in descriptor:
        stream = descriptor["/FontFile3"].get_object()
        subtype, data = stream["/Subtype"], stream.get_data()
        if subtype == "/OpenType":
            face = TTFont(io.BytesIO(data))
            top = face["CFF "].cff.topDictIndex[0]
        else:
            holder = TTFont(recalcBBoxes=False)
            fontset = CFFFontSet()
            fontset.decompile(io.BytesIO(data), holder)
            top = fontset.topDictIndex[0]
        charset = list(top.charset)
        glyphs = top.CharStrings
        readings: dict[str, dict[int, object]] = {"glyph id": {i: glyphs[n] for i, n in enumerate(charset)}}
        if hasattr(top, "ROS"):  # CID-keyed: the charset names are cidNNNNN
            readings["charset CID"] = {int(n[3:]) if n.startswith("cid") else 0: glyphs[n] for n in charset}
            if subtype == "/CIDFontType0C":  # every viewer reads a bare CID-keyed program by its charset
                del readings["glyph id"]
        return str(subtype), readings
    face = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
    glyph_set = face.getGlyphSet()
    return "TrueType", {"glyph id": {i: glyph_set[n] for i, n in enumerate(face.getGlyphOrder())}}


def misdrawn_characters(path: Path, source_face) -> list[str]:  # type: ignore[no-untyped-def]
    """Characters a viewer would draw with another glyph than the font's own for that character.

    For every font of every page: each code the text uses, looked up the way each kind of viewer
    looks it up, must give the same outline as the source face has for the character the ToUnicode
    map says the code stands for (or, where shaping picked another form, as the face's glyph whose
    id the code is). `source_face(family, bold)` gives the face, or the faces when two
    carry the family's name (the Noto working copy and the installed Noto, when Fandol is missing):
    then the glyph must be one of theirs.
    """
    from pypdf import PdfReader

    problems: list[str] = []
    seen = set()
    for page in PdfReader(path).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            if id(font) in seen or font.get("/Subtype") != "/Type0":
                continue
            seen.add(id(font))
            descendant = font["/DescendantFonts"][0].get_object()
            family = str(descendant["/FontDescriptor"].get_object()["/FontFamily"])
            sources = source_face(family, str(font["/BaseFont"]).endswith("-Bold"))
            sources = sources if isinstance(sources, list) else [sources]
            kind, readings = _embedded_readings(descendant)
            for code, text in sorted(_to_unicode(font).items()):
                if len(text) != 1 or not any(ord(text) in s.getBestCmap() for s in sources):
                    continue
                # the face's glyph for the character, or the glyph the shaping chose (a code is the
                # glyph id in the face WeasyPrint drew with: Noto's Simplified Chinese forms, say)
                wanted = [_outline(s.getGlyphSet()[s.getBestCmap()[ord(text)]]) for s in sources
                          if ord(text) in s.getBestCmap()]
                wanted += [_outline(s.getGlyphSet()[s.getGlyphOrder()[code]]) for s in sources
                           if code < len(s.getGlyphOrder())]
                for reading, glyphs in readings.items():
                    glyph = glyphs.get(code)
                    try:
                        drawn = None if glyph is None else _outline(glyph)
                    except IndexError:  # a glyph program calling subroutines its font dict lacks
                        drawn = None
                    if drawn is None or drawn not in wanted:
                        problems.append(f"{family} ({kind}, read by {reading}): {text!r} code {code}")
    return problems


def source_faces():  # type: ignore[no-untyped-def]
    """(family, bold) → the faces the documents were drawn from: the working copy (or the bureau's
    file) of each role, and the installed Noto fallback, which may carry the same family name."""
    from functools import cache

    from fontTools.ttLib import TTFont

    from zzcbec_docs.documents import fonts

    files: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for key, role in fonts.ROLES.items():  # each role's face, through its working copy as pdf.py embeds it
        f = fonts.font_for(key)
        copy = fonts.working_copy(f) if f.source != "configured" else None
        entry = (str(copy), 0) if copy else (f.path, f.index)
        if entry not in files.setdefault((f.family, role.weight), []):
            files[(f.family, role.weight)].append(entry)
    for key, role in fonts.ROLES.items():  # the Noto fallback, found by fontconfig as it is installed
        fallback = fonts.fallback_for(key)
        if fallback is not None and (fallback.path, fallback.index) not in files.setdefault(
                (fallback.family, role.weight), []):
            files[(fallback.family, role.weight)].append((fallback.path, fallback.index))

    @cache
    def face(family: str, bold: bool) -> list[TTFont]:
        """The bold faces of the family if there are any; else its regular ones (made bold when drawn)."""
        entries = files.get((family, "bold" if bold else "normal")) or files[(family, "normal")]
        return [TTFont(path, fontNumber=index, lazy=True) for path, index in entries]

    return face
