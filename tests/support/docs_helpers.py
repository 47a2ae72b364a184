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
    return subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


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
            if (
                row._tr.trPr is not None
                and row._tr.trPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader")
                is not None
            ):
                out.append("".join("".join(c.text.split()) for c in row.cells))
    return out


def without_repeated_headers(pdf_flat: str, headers: list[str]) -> str:
    """A table's header row repeats on every page it spans (in the PDF): keep each header once per table."""
    for h in set(headers):
        keep = headers.count(h)
        parts = pdf_flat.split(h)
        if len(parts) - 1 > keep:
            pdf_flat = h.join(parts[: keep + 1]) + "".join(parts[keep + 1 :])
    return pdf_flat


def _to_unicode(font) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """code → text, from the font's ToUnicode map: its bfchar entries and its bfrange ranges (a
    range maps consecutive codes to consecutive characters)."""
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    out = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for code, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            out[int(code, 16)] = bytes.fromhex(text).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for first, last, start in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            for k in range(int(last, 16) - int(first, 16) + 1):
                out[int(first, 16) + k] = chr(int(start, 16) + k)
    return out


def _used_codes(page) -> dict[str, set[int]]:  # type: ignore[no-untyped-def]
    """The 2-byte codes each font resource of the page shows (Tj, TJ, ' and \")."""
    from pypdf.generic import ContentStream

    out: dict[str, set[int]] = {}
    font = ""
    for operands, op in ContentStream(page.get_contents(), page.pdf).operations:
        if op == b"Tf":
            font = str(operands[0])
        elif op in (b"Tj", b"TJ", b"'", b'"'):
            for item in operands[-1] if op == b"TJ" else operands[-1:]:
                if hasattr(item, "original_bytes"):
                    raw = item.original_bytes
                    out.setdefault(font, set()).update(
                        int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)
                    )
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
    for page in PdfReader(path).pages:
        shown = _used_codes(page)
        for res, ref in page["/Resources"]["/Font"].items():
            font = ref.get_object()
            if font.get("/Subtype") != "/Type0":  # each page's own codes: a font shared by pages is read again
                continue
            descendant = font["/DescendantFonts"][0].get_object()
            family = str(descendant["/FontDescriptor"].get_object()["/FontFamily"])
            sources = source_face(family, str(font["/BaseFont"]).endswith("-Bold"))
            sources = sources if isinstance(sources, list) else [sources]
            kind, readings = _embedded_readings(descendant)
            for code, text in sorted(_to_unicode(font).items()):
                if code not in shown.get(str(res), set()):  # a code of a range that no text shows
                    continue
                if len(text) != 1 or not any(ord(text) in s.getBestCmap() for s in sources):
                    continue
                # the face's glyph for the character, or the glyph the shaping chose (a code is the
                # glyph id in the face WeasyPrint drew with: Noto's Simplified Chinese forms, say)
                wanted = [
                    _outline(s.getGlyphSet()[s.getBestCmap()[ord(text)]])
                    for s in sources
                    if ord(text) in s.getBestCmap()
                ]
                wanted += [
                    _outline(s.getGlyphSet()[s.getGlyphOrder()[code]]) for s in sources if code < len(s.getGlyphOrder())
                ]
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
            (fallback.family, role.weight), []
        ):
            files[(fallback.family, role.weight)].append((fallback.path, fallback.index))

    @cache
    def face(family: str, bold: bool) -> list[TTFont]:
        """The bold faces of the family if there are any; else its regular ones (made bold when drawn)."""
        entries = files.get((family, "bold" if bold else "normal")) or files[(family, "normal")]
        return [TTFont(path, fontNumber=index, lazy=True) for path, index in entries]

    return face


# ---------------------------------------------------------------- geometry: where things are on the page

MM = 72 / 25.4


def text_runs(path: Path) -> list[tuple[int, float, float, float, str]]:
    """(page, baseline y from the page top, x, font size, text) of every text run, read from the
    content streams (pypdf): positions that do not depend on how a font's box is described."""
    from pypdf import PdfReader

    out: list[tuple[int, float, float, float, str]] = []
    for number, page in enumerate(PdfReader(path).pages, start=1):
        height = float(page.mediabox.height)

        def visit(text, cm, tm, font, size, number=number, height=height):  # type: ignore[no-untyped-def]
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                out.append((number, height - y, x, abs(size * tm[3] * cm[3]), text.strip()))

        page.extract_text(visitor_text=visit)
    return out


def baseline_lines(path: Path, page: int | None = None) -> list[tuple[int, float, float, float, str]]:
    """Runs on the same baseline joined into lines: (page, baseline, x of the first run, size, text)."""
    lines: dict[tuple[int, float], list[tuple[float, float, str]]] = {}
    for pg, y, x, size, text in text_runs(path):
        if page is not None and pg != page:
            continue
        key = next((k for k in lines if k[0] == pg and abs(k[1] - y) < 0.6), (pg, y))
        lines.setdefault(key, []).append((x, size, text))
    out = []
    for (pg, y), runs in sorted(lines.items()):
        runs.sort()
        out.append((pg, y, runs[0][0], max(s for _, s, _ in runs), "".join(t for _, _, t in runs)))
    return out


def body_lines(path: Path) -> list[tuple[int, float, str]]:
    """(page, baseline, text) of a notice's 3号 lines that start at the 版心's left edge or 二字 in:
    the addressee, the body, the closing and the 附注 (not the 版头, the title, the tables, the 署名,
    the 版记 or the page numbers), in reading order. The 版心: 156 × 225 mm at 28 mm / 37 mm."""
    left, top, cell = 28 * MM, 37 * MM, 156 * MM / 28
    return sorted(
        (page, y, "".join(text.split()))
        for page, y, x, size, text in baseline_lines(path)
        if abs(size - 16) < 0.1 and top < y < top + 225 * MM and left - 1 < x < left + 2 * cell + 1
    )


def numbers_kept_whole(lines: list[tuple[int, float, str]]) -> list[tuple[int, float, str]]:
    """The lines with each number (or Latin word) that a line break cuts taken whole to the next
    line: as LibreOffice breaks the DOCX, whose numbers are en-US (documents.md) and which reads no
    w:wordWrap (Word and WPS break them where the PDF does)."""
    out = [list(x) for x in lines]
    for i in range(len(out) - 1):
        m = re.search(r"[0-9A-Za-z.,]*$", out[i][2])
        head = m.group(0).lstrip(".,") if m else ""
        if head and head != out[i][2] and re.match(r"[0-9A-Za-z]", out[i + 1][2]):
            out[i][2] = out[i][2][: -len(head)]
            out[i + 1][2] = head + out[i + 1][2]
    return [(p, y, t) for p, y, t in out]


def word_boxes(path: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Per page, pdftotext's word boxes (xMin, yMin, xMax, yMax, text) in pt from the top-left."""
    bbox = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in bbox.split("<page ")[1:]:
        pages.append(
            [
                (float(a), float(b), float(c), float(d), w)
                for a, b, c, d, w in re.findall(
                    r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', page
                )
            ]
        )
    return pages


def horizontal_rules(path: Path, page: int, dpi: int = 200) -> list[tuple[float, float, float, float, str]]:
    """The page's horizontal lines drawn at least 100 mm long, from its pixels: (top, bottom, left,
    right) in pt and 'red' or 'black'. Text never makes a run of ink that long."""
    raw = subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), str(path)], capture_output=True, check=True
    ).stdout
    header = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", raw)
    assert header, "pdftoppm gave no PPM"
    w, h = int(header.group(1)), int(header.group(2))
    data = memoryview(raw)[header.end() :]
    scale = 72 / dpi
    rows: list[tuple[int, int, int, str]] = []
    for y in range(h):
        row = data[3 * w * y : 3 * w * (y + 1)]
        best = (0, 0, 0, "")
        start = None
        colour = ""
        for x in range(w + 1):
            if x < w:
                r, g, b = row[3 * x], row[3 * x + 1], row[3 * x + 2]
                kind = (
                    "red"
                    if r > 150 and r - g > 60 and r - b > 60
                    else ("black" if r < 110 and g < 110 and b < 110 else "")
                )
            else:
                kind = ""
            if kind and start is None:
                start, colour = x, kind
            elif start is not None and kind != colour:
                if x - start > best[1] - best[0]:
                    best = (start, x, y, colour)
                start = x if kind else None
                colour = kind
        if (best[1] - best[0]) * scale >= 100 * MM:
            rows.append((best[2], best[0], best[1], best[3]))
    rules: list[list[tuple[int, int, int, str]]] = []
    for row in rows:
        if rules and row[0] == rules[-1][-1][0] + 1 and row[3] == rules[-1][-1][3]:
            rules[-1].append(row)
        else:
            rules.append([row])
    return [
        (r[0][0] * scale, (r[-1][0] + 1) * scale, min(x[1] for x in r) * scale, max(x[2] for x in r) * scale, r[0][3])
        for r in rules
    ]


FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  {dirs}
  {aliases}
  <cachedir>{cache}</cachedir>
</fontconfig>
"""


def default_faces() -> None:
    """The packaged profile's faces for the documents this process renders next: a test that ran the
    CLI in this process with a bureau's own font file (test_a_bureau_can_use_its_own_fangsong_file)
    leaves that file configured, and the faces LibreOffice is given must be the PDF's."""
    from zzcbec_docs.documents import fonts

    fonts.configure({})


def libreoffice() -> str | None:
    import shutil

    return shutil.which("soffice") or shutil.which("libreoffice")


def libreoffice_pdf(docx: Path, out_dir: Path) -> Path:
    """The DOCX converted by LibreOffice, with the office's font names (仿宋_GB2312, 方正小标宋简体,
    黑体, 宋体…) found as the faces the PDF writer uses, as on a clerk's computer that has them."""
    import os

    from zzcbec_docs.documents import fonts

    soffice = libreoffice()
    assert soffice, "LibreOffice is not installed"
    out_dir.mkdir(parents=True, exist_ok=True)
    dirs, aliases = set(), []
    for key, role in fonts.ROLES.items():
        face = fonts.font_for(key)
        dirs.add(str(Path(face.path).parent))
        for name in (role.docx_name, role.docx_latin):
            edit = '<edit name="weight" mode="assign"><const>bold</const></edit>' if role.weight == "bold" else ""
            aliases.append(
                f'<match target="pattern"><test name="family"><string>{name}</string></test>'
                f'<edit name="family" mode="assign" binding="strong"><string>{face.family}</string></edit>'
                f"{edit}</match>"
            )
    conf = out_dir / "fonts.conf"
    conf.write_text(
        FONTS_CONF.format(
            dirs="".join(f"<dir>{d}</dir>" for d in sorted(dirs)),
            aliases="\n  ".join(aliases),
            cache=out_dir / "fc-cache",
        ),
        encoding="utf-8",
    )
    env = dict(os.environ, FONTCONFIG_FILE=str(conf), HOME=str(out_dir))
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{out_dir / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out_dir),
            str(docx),
        ],
        env=env,
        capture_output=True,
        check=True,
        timeout=300,
    )
    return out_dir / (docx.stem + ".pdf")
