"""Tables the desk hands out as files (the action log, the 拨付清单): CSV and XLSX where no cell is
ever a live formula. CSV cells that begin with = + - @ (or a tab / carriage return) are prefixed
with an apostrophe (OWASP's rule for CSV injection); XLSX cells are all stored as text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutral(value: Any) -> str:
    """The cell's text, never read as a formula by a spreadsheet."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM (Excel opens it as UTF-8), CRLF lines, every cell neutralised."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([neutral(h) for h in header])
    for r in rows:
        w.writerow([neutral(v) for v in r])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook with one sheet per (title, header, rows); every cell a text cell (type s), so that
    "=1+1" is shown as written and an account number keeps its leading zeros and all its digits."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook()
    first = True
    for title, header, rows in sheets:
        ws = wb.active if first else wb.create_sheet()
        assert isinstance(ws, Worksheet)
        first = False
        ws.title = title[:31]
        widths = [len(str(h)) for h in header]
        for i, row in enumerate([header, *rows], start=1):
            for j, value in enumerate(row, start=1):
                cell = ws.cell(row=i, column=j)
                cell.value = "" if value is None else str(value)
                cell.data_type = "s"  # never "f": text as written, whatever it begins with
                cell.number_format = "@"
                if i == 1:
                    cell.font = Font(bold=True)
                elif j <= len(widths):
                    widths[j - 1] = max(widths[j - 1], len(str(cell.value)))
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = max(10, min(48, w + 4))
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
