"""summary.csv, summary.xlsx and the short text report of a batch."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from zzcbec_docs.atomic import write_atomic
from zzcbec_docs.batch.runner import BatchItem
from zzcbec_docs.cells import csv_text, text_cells
from zzcbec_docs.money import fmt_amount, fmt_yuan
from zzcbec_docs.rules.totals import Total, Totals, line
from zzcbec_docs.rules.totals import totals as rules_totals

COLUMNS = [
    "来源 source",
    "申请单位 applicant",
    "统一社会信用代码 USCC",
    "区县 district",
    "申报年度 year",
    "条款 clause",
    "状态 status",
    "金额 amount",
    "市级 city",
    "区县级 local",
    "原因 reasons",
    "文书 documents",
    "错误 errors",
]
MONEY = {"金额 amount", "市级 city", "区县级 local"}


def rows(items: list[BatchItem]) -> list[list[Any]]:
    out: list[list[Any]] = []
    for it in items:
        r = it.result
        docs = "; ".join(it.files)
        errs = "; ".join(it.errors)
        if not r.valid:
            out.append(
                [
                    it.source,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "invalid",
                    None,
                    None,
                    None,
                    "; ".join(f"{e.path}: {e.message}" for e in r.errors),
                    "",
                    errs,
                ]
            )
            continue
        a = r.applicant or {}
        for d in r.decisions:
            f = d.funding
            out.append(
                [
                    it.source,
                    a.get("name"),
                    a.get("uscc"),
                    a.get("district"),
                    r.year,
                    d.clause if not d.competition_name else f"{d.clause} {d.competition_name}",
                    d.status,
                    d.amount,
                    f.city if f else None,
                    f.local if f else None,
                    "; ".join(
                        [
                            *(x.message for x in d.reasons),
                            *(
                                [f"{d.awarded.label}：文号 {d.awarded.number}（{d.awarded.issued_on}）"]
                                if d.awarded is not None
                                else []
                            ),
                        ]
                    ),
                    docs,
                    errs,
                ]
            )
    return out


def totals(items: list[BatchItem]) -> Totals:
    """Per district and per clause, the eligible claims of the valid bundles (rules.totals)."""
    return rules_totals(
        line(
            (it.result.applicant or {}).get("district", ""),
            d.clause,
            d.amount,
            d.funding.city if d.funding else None,
            d.funding.local if d.funding else None,
        )
        for it in items
        if it.result.valid
        for d in it.result.decisions
        if d.status == "eligible"
    )


def _cell(v: object) -> object:
    return fmt_amount(v) if isinstance(v, Decimal) else ("" if v is None else csv_text(v))


def write_csv(items: list[BatchItem], path: Path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(COLUMNS)
    for r in rows(items):
        w.writerow([_cell(v) for v in r])
    write_atomic(path, ("\ufeff" + buf.getvalue()).encode("utf-8"))


def write_xlsx(items: list[BatchItem], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.worksheets[0]
    ws.title = "申报事项 claims"
    ws.append(COLUMNS)
    for r in rows(items):
        ws.append([v if not isinstance(v, Decimal) else v for v in r])
    widths = [36, 30, 21, 14, 10, 8, 11, 15, 15, 15, 60, 60, 40]
    for j, (h, wdt) in enumerate(zip(COLUMNS, widths, strict=True), start=1):
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = wdt
        ws.cell(row=1, column=j).font = Font(bold=True)
        if h in MONEY:
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.number_format = "#,##0.00"
        if h in ("原因 reasons", "文书 documents"):
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.alignment = Alignment(wrap_text=False)
    text_cells(ws)  # an applicant's name that begins with = is text, never a formula
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    t = wb.create_sheet("合计 totals")
    sums = totals(items)
    head = ["笔数 claims", "金额 amount", "市级 city", "区县级 local", "待定分担 unsettled"]
    tables: tuple[tuple[str, dict[Any, Total]], ...] = (
        ("区县 district", sums.by_district),
        ("条款 clause", sums.by_clause),
    )
    for title, table in tables:
        t.append([title, *head])
        for c in t[t.max_row]:
            c.font = Font(bold=True)
        for k, v in [*table.items(), ("合计 total", sums.grand)]:
            t.append([k, v.count, v.amount, v.city, v.local, v.unsettled])
        t.append([])
    for row in t.iter_rows(min_row=1):
        for cell in row[2:]:
            cell.number_format = "#,##0.00"
    for letter, wdt in zip("ABCDEF", (22, 12, 18, 18, 18, 18), strict=True):
        t.column_dimensions[letter].width = wdt
    t.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    write_atomic(path, buf.getvalue())


def report(items: list[BatchItem], seconds: float) -> str:
    valid = [i for i in items if i.result.valid]
    invalid = [i for i in items if not i.result.valid]
    grand = totals(items).grand
    eligible, amount = grand.count, grand.amount
    docs = sum(len(i.files) for i in items)
    skipped = sum(1 for i in items if i.skipped)
    failed = [i for i in items if i.errors or i.crashed]
    lines = [
        f"材料 bundles: {len(items)}（有效 valid {len(valid)}，无效 invalid {len(invalid)}）",
        f"符合的申报事项 eligible claims: {eligible}，金额合计 total {fmt_yuan(amount)}",
        f"文书 documents: {docs}（其中沿用上次 reused {sum(len(i.files) for i in items if i.skipped)}，"
        f"{skipped} bundles unchanged）；用时 {seconds:.1f} s",
    ]
    shared = [i for i in items if i.shared]
    if shared:
        lines.append("同一申请人共用上限 caps shared within the batch (file-name order):")
        lines += [f"  ↓ {i.source}: {s}" for i in shared for s in i.shared]
    if invalid:
        lines.append("无效材料 invalid:")
        lines += [f"  ✗ {i.source}: {i.result.errors[0].path}: {i.result.errors[0].zh}" for i in invalid]
    if failed:
        lines.append("文书失败 document failures:")
        lines += [f"  ✗ {i.source}: {'; '.join(i.errors)}" for i in failed]
    return "\n".join(lines)
