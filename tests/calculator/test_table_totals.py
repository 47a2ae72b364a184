"""One totals function (issue 22 point 5): a table match adds its claims up with rules.totals' types,
and its totals are exactly what `rules.totals.totals` gives from the eligible rows of matches.csv."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from zzcbec_docs.calculator.table_match import TableOptions, run_table, total_rows
from zzcbec_docs.calculator.table_read import Table
from zzcbec_docs.policy import load_policy
from zzcbec_docs.rules.totals import Total, combined, line, totals

from table_cases import CASES

POLICY = load_policy()


def _table(path: Path) -> Path:
    rows = [e for e, _ in CASES]
    cols = list(dict.fromkeys(["uscc", "name", "district", "year", *[k for r in rows for k in r]]))
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerows([[r.get(c, "") for c in cols] for r in rows])
    return path


def _money(text: str) -> Decimal | None:
    return Decimal(text.replace(",", "")) if text else None


def test_a_tables_totals_are_the_one_totals_function_of_its_rows(tmp_path):
    summary = run_table(Table(_table(tmp_path / "t.csv"), None, POLICY), POLICY, TableOptions(tmp_path / "out", jobs=1))
    assert summary.totals and all(type(t) is Total for t in summary.totals.values())
    with open(tmp_path / "out" / "matches.csv", encoding="utf-8-sig", newline="") as fh:
        eligible = [r for r in csv.DictReader(fh) if r["status"] == "eligible"]
    lines = [
        line(r["district"], int(r["clause"]), _money(r["amount"]) or Decimal(0), _money(r["city"]), _money(r["local"]))
        for r in eligible
    ]
    expected, got = totals(lines), combined(summary.totals)
    assert got.by_district == expected.by_district and got.by_clause == expected.by_clause
    assert got.grand == expected.grand and got.grand.unsettled > 0  # 上街区's split is not settled
    # the workbook's totals sheet: the cells, then each district (its enterprises counted once), each clause, all
    rows = {(r[0], r[1]): r[3:] for r in total_rows(summary, POLICY)}
    for clause, t in expected.by_clause.items():
        assert rows[("全市 all", POLICY.cite(clause))] == t.sums()
    assert rows[("全市 all", "合计 total")][1:] == expected.grand.sums()[1:]
    assert rows[("全市 all", "合计 total")][0] == sum(summary.qualifying.values()) <= expected.grand.count
