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
