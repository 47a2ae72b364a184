"""The finance bureau's export: one row per award, and totals per district and per clause.

No cell is ever a live formula (zzcbec_docs.cells: OWASP's rule for CSV, text cells in XLSX).

Revoked awards are listed (marked) and counted apart (their own columns), in no total; every
total adds up to its rows.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from zzcbec_docs.atomic import write_atomic
from zzcbec_docs.cells import csv_text, text_cells
from zzcbec_docs.ledger.store import LedgerAward
from zzcbec_docs.money import fmt_amount
from zzcbec_docs.rules.totals import Total, totals
from zzcbec_docs.vocabulary import STATUS_ZH

AWARD_COLUMNS = [
    "文号 notice",
    "成文日期 date",
    "统一社会信用代码 USCC",
    "申请单位 applicant",
    "区县 district",
    "条款 clause",
    "竞赛 competition",
    "申报年度 year",
    "金额 amount",
    "市级 city",
    "区县级 local",
    "状态 status",
    "撤销原因 revocation",
]
TOTAL_COLUMNS = [
    "奖励笔数 awards",
    "金额 amount",
    "市级 city",
    "区县级 local",
    "待定分担 unsettled",
    "已撤销笔数（不计入）revoked awards (not counted)",
    "已撤销金额（不计入）revoked amount (not counted)",
]


def _award_row(a: LedgerAward) -> list:
    a_state = "revoked" if a.revoked else "awarded"
    return [
        a.notice_number,
        a.issued_on,
        a.uscc,
        a.applicant_name,
        a.district,
        a.clause,
        a.competition_name or "",
        a.year,
        a.amount,
        a.city,
        a.local,
        f"{a_state} {STATUS_ZH[a_state]}",
        a.revocation_reason or "",
    ]


def _totals(awards: list[LedgerAward]) -> tuple[dict[str, Total], dict[int, Total], Total]:
    t = totals(awards)  # rules.totals: the one totals function (a revoked award counted apart)
    return t.by_district, t.by_clause, t.grand


def _money(v: object) -> object:
    return fmt_amount(v) if isinstance(v, Decimal) else ("" if v is None else csv_text(v))


def export_csv(awards: list[LedgerAward], path: Path) -> list[Path]:
    """PATH: the awards; PATH-by-district.csv and PATH-by-clause.csv: the totals (UTF-8 with BOM for Excel)."""
    by_district, by_clause, grand = _totals(awards)
    outputs = []

    def write(p: Path, header: list[str], rows: list[list]) -> None:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(header)
        for r in rows:
            w.writerow([_money(v) for v in r])
        write_atomic(p, ("\ufeff" + buf.getvalue()).encode("utf-8"))
        outputs.append(p)

    write(path, AWARD_COLUMNS, [_award_row(a) for a in awards])
    stem = path.with_suffix("")
    write(
        Path(f"{stem}-by-district.csv"),
        ["区县 district", *TOTAL_COLUMNS],
        [[k, *t.row()] for k, t in by_district.items()] + [["合计 total", *grand.row()]],
    )
    write(
        Path(f"{stem}-by-clause.csv"),
        ["条款 clause", *TOTAL_COLUMNS],
        [[k, *t.row()] for k, t in by_clause.items()] + [["合计 total", *grand.row()]],
    )
    return outputs


def export_xlsx(awards: list[LedgerAward], path: Path) -> list[Path]:
    """One workbook: 奖励明细 (awards), 分区县合计, 分条款合计; money as numbers formatted #,##0.00."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    by_district, by_clause, grand = _totals(awards)
    wb = Workbook()
    money_cols = {"金额 amount", "市级 city", "区县级 local", "待定分担 unsettled", TOTAL_COLUMNS[-1]}

    def sheet(ws, header: list[str], rows: list[list]) -> None:  # type: ignore[no-untyped-def]
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in rows:
            ws.append([v if not isinstance(v, Decimal) else v for v in r])
        for j, h in enumerate(header, start=1):
            letter = ws.cell(row=1, column=j).column_letter
            ws.column_dimensions[letter].width = max(12, min(40, len(h) + 4))
            if h in money_cols:
                for row in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                    row[0].number_format = "#,##0.00"
        text_cells(ws)  # a name or a reason that begins with = is text, never a formula
        ws.freeze_panes = "A2"

    ws = wb.active
    ws.title = "奖励明细 awards"
    sheet(ws, AWARD_COLUMNS, [_award_row(a) for a in awards])
    sheet(
        wb.create_sheet("分区县合计 by district"),
        ["区县 district", *TOTAL_COLUMNS],
        [[k, *t.row()] for k, t in by_district.items()] + [["合计 total", *grand.row()]],
    )
    sheet(
        wb.create_sheet("分条款合计 by clause"),
        ["条款 clause", *TOTAL_COLUMNS],
        [[k, *t.row()] for k, t in by_clause.items()] + [["合计 total", *grand.row()]],
    )
    buf = io.BytesIO()
    wb.save(buf)
    write_atomic(path, buf.getvalue())
    return [path]
