"""The files of `zzcbec match TABLE --engine duckdb`, however the work is shared out.

The decisions are made once, in chunks of enterprises, by as many deciders as DuckDB has threads, and one
writer takes the chunks in the table's order into matches.csv and matches.parquet while another cursor
writes matches.xlsx's sheet. Whatever the chunks and the threads, the files are the same — byte for byte
for matches.csv — and the same as the row engine's; a sheet stops at Excel's limit and says so; a failure
or a Ctrl-C while the files are written stops every thread and leaves no folder.
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from zzcbec_docs.calculator.table_match import TableOptions, run_table
from zzcbec_docs.calculator.table_read import Table, table_fields
from zzcbec_docs.policy import load_policy
from zzcbec_docs.sqlmatch import run
from zzcbec_docs.sqlmatch.run import SqlOptions, run_sql_table
from zzcbec_docs.sqlmatch.streams import DirectFile

from conftest import uscc

POLICY = load_policy()
ROOT = Path(__file__).resolve().parents[2]
VALUES = {  # a kind of fact → cells around the policy's figures, and bad ones
    "money": ["0", "800000", "2000000", "9999999.99", "10000000", "20000000", "500000000.01", "1e7"],
    "quantity": ["1000", "1000.01", "5000"],
    "count": ["19", "20", "30", "100", "50000000"],
    "flag": ["true", "false", "是", "否", "1", "0"],
    "date": ["2025-01-01", "2024-06-30", "2025-02-30"],
    "hq_level": ["national", "regional", "none"],
    "demo_park_level": ["national", "provincial", "none"],
    "text": ["第二届郑州跨境电商创新大赛", "海外仓 & 展厅 <两处>"],
    "short_text": ["第二届郑州跨境电商创新大赛"],
}
DISTRICTS = ["金水区", "郑东新区", "上街区", "航空港区", "巩义市", "中牟县"]


def a_table(path: Path, rows: int, seed: int = 7) -> Path:
    """Enterprise-years with every fact of the policy: a third of the cells empty, values at the thresholds,
    names that a spreadsheet would take for a formula, a few bad cells and a repeated enterprise."""
    rng = random.Random(seed)
    facts = [f for f in table_fields(POLICY) if f not in ("uscc", "name", "district", "year")]
    kinds = table_fields(POLICY)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["uscc", "name", "district", "year", *facts])
        for i in range(rows):
            name = rng.choice([f"郑州测试企业{i}有限公司", f"=郑州{i}", f'郑州"引号",{i}公司'])
            cells = []
            for f in facts:
                values = VALUES.get(kinds[f], VALUES["money"])
                cells.append("" if rng.random() < 0.33 else rng.choice(values))
            w.writerow([uscc(4000 + i % (rows - 3)), name, rng.choice(DISTRICTS), "2026", *cells])
    return path


def match(table: Path, out: Path, jobs: int):  # type: ignore[no-untyped-def]
    return run_sql_table(table, POLICY, SqlOptions(out_dir=out, jobs=jobs))


def parquet_rows(path: Path) -> list[tuple[object, ...]]:
    return duckdb.sql(f"SELECT * FROM read_parquet('{path}')").fetchall()


def test_the_files_are_the_same_whatever_the_chunks_and_the_threads(tmp_path, monkeypatch):
    table = a_table(tmp_path / "t.csv", 300)
    whole = match(table, tmp_path / "whole", jobs=1)  # one chunk, one thread
    monkeypatch.setattr(run, "CHUNK", 7)  # 43 chunks shared by two deciders
    shared = match(table, tmp_path / "shared", jobs=2)
    assert (tmp_path / "shared" / "matches.csv").read_bytes() == (tmp_path / "whole" / "matches.csv").read_bytes()
    assert parquet_rows(tmp_path / "shared" / "matches.parquet") == parquet_rows(tmp_path / "whole" / "matches.parquet")
    assert (shared.statuses, dict(shared.totals), dict(shared.qualifying)) == (
        whole.statuses,
        dict(whole.totals),
        dict(whole.qualifying),
    )
    sheets = [
        [
            [c.value for c in r]
            for r in load_workbook(tmp_path / d / "matches.xlsx", read_only=True)["matches"].iter_rows()
        ]
        for d in ("whole", "shared")
    ]
    assert sheets[0] == sheets[1] and len(sheets[0]) == 1 + whole.matches


def test_chunked_decisions_are_the_row_engines(tmp_path, monkeypatch):
    """The reference holds whatever the sharing: every line of matches.csv, the totals and the bad rows."""
    table = a_table(tmp_path / "t.csv", 120, seed=11)
    ref = run_table(Table(table, None, POLICY), POLICY, TableOptions(out_dir=tmp_path / "python", jobs=1))
    monkeypatch.setattr(run, "CHUNK", 5)
    got = match(table, tmp_path / "duckdb", jobs=2)

    def lines(d: str) -> list[dict[str, str]]:
        with open(tmp_path / d / "matches.csv", encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))

    assert got.bad_rows > 0 and lines("duckdb") == lines("python")
    assert (got.statuses, dict(got.totals), dict(got.qualifying)) == (
        ref.statuses,
        dict(ref.totals),
        dict(ref.qualifying),
    )
    assert (tmp_path / "duckdb" / "errors.csv").read_text(encoding="utf-8") == (
        tmp_path / "python" / "errors.csv"
    ).read_text(encoding="utf-8")


def test_the_sheet_stops_at_excels_limit_and_says_so(tmp_path, monkeypatch):
    from zzcbec_docs.calculator import xlsx_stream

    table = a_table(tmp_path / "t.csv", 40)
    monkeypatch.setattr(xlsx_stream, "MAX_ROWS", 31)  # a sheet of 30 matches and its header
    monkeypatch.setattr(run, "CHUNK", 3)
    summary = match(table, tmp_path / "out", jobs=2)
    assert summary.cut == summary.matches - 30 > 0
    wb = load_workbook(tmp_path / "out" / "matches.xlsx", read_only=True)
    sheet = [[c.value for c in r] for r in wb["matches"].iter_rows()]
    with open(tmp_path / "out" / "matches.csv", encoding="utf-8-sig", newline="") as fh:
        first = list(csv.reader(fh))[:31]
    assert len(sheet) == 31 and sheet[0] == first[0]
    for cells, line in zip(sheet[1:], first[1:], strict=True):  # the first 30 matches, cell for cell
        text = ["" if c is None else str(c) for c in cells]
        assert text[0] == line[0] and text[2:7] == line[2:7] and text[10:] == line[10:]
        assert cells[1] == (line[1][1:] if line[1].startswith("'=") else line[1])  # the CSV's formula guard
        for c, x in zip(cells[7:10], line[7:10], strict=True):
            assert (c is None and x == "") or Decimal(str(c)) == Decimal(x)
    notes = [r[0] for r in wb["totals"].iter_rows(values_only=True)]
    assert (
        f"matches 表仅列前 30 行（Excel 每表上限），全部 {summary.matches} 行见 matches.csv / matches.parquet" in notes
    )


def test_a_failure_while_the_files_are_written_stops_every_thread_and_leaves_no_folder(tmp_path, monkeypatch):
    table = a_table(tmp_path / "t.csv", 60)
    monkeypatch.setattr(run, "CHUNK", 4)
    calls = []
    add = run._MatchFiles.add

    def full(self, t):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        add(self, t)

    monkeypatch.setattr(run._MatchFiles, "add", full)
    with pytest.raises(OSError, match="No space left"):
        match(table, tmp_path / "out", jobs=2)
    assert not (tmp_path / "out").exists()


def test_a_ctrl_c_while_the_chunks_are_written_is_the_users_interrupt(tmp_path):
    """SIGINT as a terminal sends it, while the deciders decide and the writer writes — and again and again
    while the run is being stopped, as an impatient user presses it: the run is interrupted (no hang, no
    "connection is busy", no crash), nothing is left, and the process can go on."""
    table = a_table(tmp_path / "t.csv", 200)
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from zzcbec_docs.policy import load_policy\n"
        "from zzcbec_docs.sqlmatch import run\n"
        "run.CHUNK = 3\n"
        "add = run._MatchFiles.add\n"
        "def interrupted(self, t):\n"
        "    add(self, t)\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "run._MatchFiles.add = interrupted\n"
        "out = Path(sys.argv[2])\n"
        "for _ in range(3):\n"
        "    try:\n"
        "        run.run_sql_table(Path(sys.argv[1]), load_policy(), run.SqlOptions(out_dir=out, jobs=2))\n"
        "    except KeyboardInterrupt:\n"
        "        print('interrupted', out.exists())\n"
        "print('done')\n",
        encoding="utf-8",
    )
    r = subprocess.run(
        [sys.executable, str(probe), str(table), str(tmp_path / "out")],
        capture_output=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=120,
    )
    assert r.stdout.decode().split() == ["interrupted", "False"] * 3 + ["done"], r.stderr.decode()[-800:]
    assert b"Traceback" not in r.stderr


@pytest.mark.parametrize("where", ["disk", "memory"])
def test_a_file_written_past_the_page_cache_holds_exactly_the_bytes_written(tmp_path, where):
    """Writes of every size — none, one byte, a block's alignment less one, a whole buffer and one more —
    give a file of exactly those bytes, on a disk (O_DIRECT) and on tmpfs (where O_DIRECT may be refused)."""
    folder = tmp_path if where == "disk" else Path("/dev/shm")
    if not folder.is_dir():
        pytest.skip("no /dev/shm here")
    path = folder / f"direct-{os.getpid()}-{where}.bin"
    rng = random.Random(3)
    pieces = [bytes(rng.randrange(256) for _ in range(n)) for n in (0, 1, 4095, 4096, 3)]
    pieces.append(os.urandom(DirectFile.BLOCK + 1))
    pieces.append("郑州，末行\n".encode())
    try:
        f = DirectFile(path)
        for p in pieces:
            f.write(p)
        f.close()
        assert path.read_bytes() == b"".join(pieces)
        empty = DirectFile(path)
        empty.close()
        assert path.read_bytes() == b""
    finally:
        path.unlink(missing_ok=True)


@pytest.mark.parametrize("end", ["\n", "\r\n"])
@pytest.mark.parametrize("blank", [False, True])
def test_a_line_break_inside_a_cell_is_read_at_once_and_numbered_as_the_row_engine_numbers(
    tmp_path, monkeypatch, blank, end
):
    """A quoted cell holding a line break is one record for DuckDB as for the row engine's reader: the table
    is still read at once (not row by row), and every row keeps its number. A blank line is a row for the
    reader but not for DuckDB: that table is read row by row, with the same numbers — whatever ends the lines."""
    table = a_table(tmp_path / "t.csv", 30, seed=5)
    with open(table, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[4][1] = "郑州\n换行有限公司"
    rows[4][4:] = [""] * len(rows[4][4:])  # a good row: every fact unknown
    with open(table, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator=end)
        w.writerows(rows[:9])
        if blank:
            fh.write(end)
        w.writerows(rows[9:])
    ref = run_table(Table(table, None, POLICY), POLICY, TableOptions(out_dir=tmp_path / "python", jobs=1))
    if not blank:

        def row_by_row(*args: object) -> None:
            raise AssertionError("read row by row")

        monkeypatch.setattr(run.Source, "_normalised", row_by_row)
    got = match(table, tmp_path / "duckdb", jobs=2)

    def lines_of(d: str, name: str) -> list[list[str]]:
        with open(tmp_path / d / name, encoding="utf-8-sig", newline="") as fh:
            return list(csv.reader(fh))

    assert any("换行" in r[1] for r in lines_of("duckdb", "matches.csv"))
    assert lines_of("duckdb", "matches.csv") == lines_of("python", "matches.csv")
    assert lines_of("duckdb", "errors.csv") == lines_of("python", "errors.csv")
    assert (got.rows, got.bad_rows) == (ref.rows, ref.bad_rows)


def test_a_blank_line_between_lines_ended_by_cr_alone_keeps_every_rows_number(tmp_path):
    """Old Mac line ends (CR alone): a blank line there is a row for the reader too; the numbers stay the
    row engine's."""
    with open(a_table(tmp_path / "a.csv", 12, seed=9), encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    table = tmp_path / "t.csv"
    with open(table, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r")
        w.writerows(rows[:4])
        fh.write("\r")
        w.writerows(rows[4:])
    run_table(Table(table, None, POLICY), POLICY, TableOptions(out_dir=tmp_path / "python", jobs=1))
    match(table, tmp_path / "duckdb", jobs=2)

    def rows_of(d: str, name: str) -> list[list[str]]:
        with open(tmp_path / d / name, encoding="utf-8-sig", newline="") as fh:
            return list(csv.reader(fh))

    assert rows_of("duckdb", "errors.csv") == rows_of("python", "errors.csv")
    matches = rows_of("duckdb", "matches.csv")
    assert matches == rows_of("python", "matches.csv")
    numbers = {int(r[-1]) for r in matches[1:]} | {int(r[0]) for r in rows_of("duckdb", "errors.csv")[1:]}
    assert numbers == set(range(2, 15)) - {5}  # 12 rows after the header, the blank row 5 counted


def test_the_command_says_its_peak_memory_and_where_the_sheet_was_cut(tmp_path, monkeypatch):
    """As a user runs it: the summary names the engine and the peak memory, and a sheet cut at Excel's limit
    is said on stdout and in --json (`cut`: the matches only in matches.csv and .parquet)."""
    import io
    import json

    from zzcbec_docs.calculator import xlsx_stream
    from zzcbec_docs.cli.main import main

    table = a_table(tmp_path / "t.csv", 200)  # most rows hold a bad cell; the good ones make far more than 30 matches
    monkeypatch.setattr(xlsx_stream, "MAX_ROWS", 31)
    out = io.StringIO()
    assert main(["match", str(table), "--out", str(tmp_path / "a")], out, io.StringIO()) in (0, 1)
    text = out.getvalue()
    assert "引擎 engine: duckdb；内存峰值 peak memory " in text and " MiB" in text
    assert "matches.xlsx 仅含前 30 行" in text
    out = io.StringIO()
    assert main(["match", str(table), "--out", str(tmp_path / "b"), "--json"], out, io.StringIO()) in (0, 1)
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["peak_rss_mib"] > 0 and summary["cut"] == summary["matches"] - 30 > 0
