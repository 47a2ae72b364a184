"""Spreadsheet cells that stay data: no exported text is ever read as a formula.

OWASP's rule for CSV ("CSV injection"): a cell that begins with = + - @, a tab or a carriage
return is prefixed with a single quote, so Excel, LibreOffice and WPS show it as the text it is.
In XLSX every text cell is written as text (never a formula), with the quote-prefix style set, so
editing the cell later does not turn it into one either. Numbers stay numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: Any) -> Any:
    """A CSV cell: text that could start a formula is prefixed with ' (numbers are left alone)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def text_cells(ws: Worksheet, min_row: int = 1) -> None:
    """Every text cell of an openpyxl sheet written as text: openpyxl makes a cell whose text begins
    with = a formula; this makes it a string again, quote-prefixed."""
    for row in ws.iter_rows(min_row=min_row):
        for cell in row:
            if isinstance(cell.value, str) and (cell.data_type == "f" or cell.value.startswith(FORMULA_START)):
                cell.data_type = "s"
                cell.quotePrefix = True
