"""免申即享: every enterprise of the bureau's table against every clause, before anyone applies.

The table is streamed: the main process reads rows and hands chunks of them to worker
processes, which type each row (table_read), match it with the one-profile matcher
(match.match_profile, deciding each clause through the same engine as `check`), write a
pre-filled bundle for each enterprise with an eligible clause, and return the chunk's output
rows already formatted (CSV text and sheet XML). The main process appends them in input order
to matches.csv and matches.xlsx and adds up the totals, so memory stays flat whatever the length
of the table. Outputs get their names only when complete.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import shutil
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from zzcbec_docs.bundle.model import Applicant, Bundle, Claim, PriorAward
from zzcbec_docs.bundle.validate import fact_labels
from zzcbec_docs.calculator.match import Match, match_profile
from zzcbec_docs.calculator.table_read import (
    CellError,
    Column,
    Table,
    TableRow,
    _number_text,
    _text,
    canonical_district,
    parse_row,
)
from zzcbec_docs.calculator.xlsx_stream import INT, MAX_ROWS, MONEY, TEXT, StreamingXlsx, _text_cell, cells_xml
from zzcbec_docs.money import ZERO, fmt_amount, fmt_yuan
from zzcbec_docs.policy.model import Policy
from zzcbec_docs.process.decide import decide_counting
from zzcbec_docs.rules import wording as W
from zzcbec_docs.rules.model import Decision
from zzcbec_docs.rules.totals import Total, combined, line

COLUMNS = [
    "uscc",
    "name",
    "district",
    "year",
    "clause",
    "clause_name",
    "status",
    "amount",
    "city",
    "local",
    "gaps",
    "missing",
    "notes",
    "row",
]
KINDS = [TEXT, TEXT, TEXT, INT, INT, TEXT, TEXT, MONEY, MONEY, MONEY, TEXT, TEXT, TEXT, INT]
WIDTHS = [21, 30, 14, 7, 7, 18, 13, 14, 14, 14, 60, 50, 50, 8]
TOTAL_COLUMNS = ["district", "clause", "clause_name", "enterprises", "amount", "city", "local", "unsettled"]
TOTAL_KINDS = [TEXT, TEXT, TEXT, INT, MONEY, MONEY, MONEY, MONEY]
ERROR_COLUMNS = ["row", "column", "header", "message_zh", "message_en"]
STATUSES = ("eligible", "not_eligible", "undecided", "referred", "excluded")


@dataclass
class TableOptions:
    out_dir: Path
    jobs: int = 0  # 0: the machine's cores
    exclusion_list: frozenset[str] = frozenset()
    ledger_url: str | None = None
    chunk_rows: int = 1000


Tally = Total  # the name the SQL engines import (sqlmatch/run.py): one type, rules.totals.Total


@dataclass
class ChunkResult:
    rows_in: int = 0
    csv: bytes = b""  # the chunk's lines of matches.csv, UTF-8
    xml: bytes = b""  # its rows of the matches sheet, UTF-8
    xml_rows: int = 0
    errors: list[CellError] = field(default_factory=list)
    bad_rows: int = 0
    bundles: int = 0
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    totals: dict[tuple[str, int], Total] = field(default_factory=dict)  # by (district, clause)
    qualifying: dict[str, int] = field(default_factory=dict)  # district → enterprises with an eligible clause


@dataclass
class TableSummary:
    rows: int = 0
    bad_rows: int = 0
    bundles: int = 0
    matches: int = 0
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    totals: dict[tuple[str, int], Total] = field(default_factory=lambda: defaultdict(Total))  # by (district, clause)
    qualifying: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    first_errors: list[CellError] = field(default_factory=list)
    seconds: float = 0.0
    errors: list[CellError] = field(
        default_factory=list
    )  # every bad row: kept by the SQL engines (the row engine streams them to errors.csv)
    files: list[str] = field(default_factory=lambda: ["matches.csv", "matches.xlsx", "errors.csv"])  # in out_dir
    cut: int = 0  # matches beyond the sheet's 1,048,576 rows (in matches.csv and .parquet only)
    bundles_skipped: bool = False  # a table too large for pre-filled bundles by default

    @property
    def amount(self) -> Decimal:
        return sum((t.amount for t in self.totals.values()), ZERO)


# ---------------------------------------------------------------- one row (worker side)

_STATE: dict[str, Any] = {}


def init_state(
    policy: Policy,
    columns: list[Column],
    header_width: int,
    exclusion_list: frozenset[str],
    ledger_url: str | None,
    out_dir: str,
    source: str,
) -> None:
    """Once per worker process (or once in the main process when --jobs 1)."""
    if multiprocessing.parent_process() is not None:
        _follow_parent()
    _STATE.clear()
    _STATE.update(
        policy=policy,
        columns=columns,
        width=header_width,
        excluded=exclusion_list,
        out_dir=Path(out_dir),
        source=source,
        ledger=None,
    )
    if ledger_url:
        from zzcbec_docs.ledger import open_ledger

        _STATE["ledger"] = open_ledger(ledger_url, upgrade=False)


def _follow_parent() -> None:
    """A worker ignores Ctrl-C (the main process stops the run) and dies with the main process."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass


def match_row(policy: Policy, row: TableRow, *, listed: bool, prior: tuple[PriorAward, ...] = ()) -> list[Match]:
    """Every clause for one enterprise and year, by the one-profile matcher, sorted by clause."""
    district = canonical_district(row.district)
    excluded = bool(row.etrade) or listed
    profile = {
        "schema_version": "1.0",
        "year": row.year,
        "facts": row.facts,
        "applicant": {"name": row.name, "uscc": row.uscc, "district": row.district, policy.exclusion_fact: excluded},
    }
    applicant = Applicant(
        name=row.name, uscc=row.uscc, district=district, district_as_written=row.district, etrade_core_zone_policy=False
    )
    bundle = Bundle(source=f"row {row.row}", sha256="", year=row.year, applicant=applicant, claims=())

    def decide_clause(clause: int, facts: dict[str, Any]) -> Decision:
        one = replace(bundle, claims=(Claim(clause=clause, facts=facts, index=0),))
        return decide_counting(one, policy, prior).decisions[0]  # the one way to decide with the ledger

    matches = sorted(match_profile(policy, profile, decide_clause=decide_clause), key=lambda m: m.clause)
    for m in matches:
        ex = policy.exclusion
        if m.status == "excluded" and listed and not row.etrade and ex is not None:
            m.notes.append(
                W.NOTE_LISTED.zh(label=ex.label)
                + (W.JOIN + W.NOTE_CONTRADICTS.zh(label=ex.label) if row.etrade is False else "")
            )
        if m.status != "eligible":
            continue
        if m.funding is None:
            rule = policy.funding_rule
            m.notes.append(W.FUNDING_UNSETTLED.zh(cite=policy.cite(rule.clause if rule else None), district=district))
        if row.etrade is None and ex is not None:
            m.notes.append(W.NOTE_UNDECLARED.zh(label=ex.label, cite=policy.cite(ex.clause)))
        counted = [p for p in prior if p.clause == m.clause]
        if counted:
            m.notes.append(
                W.NOTE_LEDGER.zh(
                    awards=W.LIST_JOIN.join(W.ledger_award(p.year, fmt_yuan(p.amount), p.reference) for p in counted)
                )
            )
    return matches


HEAD = 4  # uscc, name, district, year: the same on each of an enterprise's rows


def output_rows(row: TableRow, matches: list[Match]) -> tuple[list[Any], list[list[Any]]]:
    """The enterprise's columns once, then the rest of each clause's row (COLUMNS order)."""
    head = [row.uscc, row.name, canonical_district(row.district), row.year]
    tails = []
    for m in matches:
        f = m.funding
        tails.append(
            [
                m.clause,
                m.name,
                m.status,
                m.amount,
                f.city if f else None,
                f.local if f else None,
                W.JOIN.join(g["message"] for g in m.gaps),
                W.LIST_JOIN.join(m.missing),
                W.JOIN.join(m.notes),
                row.row,
            ]
        )
    return head, tails


def _money_text(value: Decimal | None) -> str:
    return "" if value is None else "0.00" if not value else fmt_amount(value)


def _tail_out(tail: list[Any]) -> tuple[list[Any], str]:
    """One clause's columns as CSV cells and as sheet XML (a row of 1.4 million: written directly)."""
    clause, name, status, amount, city, local, gaps, missing, notes, number = tail
    money = [_money_text(amount), _money_text(city), _money_text(local)]
    xml = (
        f"<c><v>{clause}</v></c>{_text_cell(name)}{_text_cell(status)}"
        + "".join(f'<c s="1"><v>{v}</v></c>' if v else "<c/>" for v in money)
        + "".join(_text_cell(t) if t else "<c/>" for t in (gaps, missing, notes))
        + f"<c><v>{number}</v></c>"
    )
    return [clause, name, status, *money, gaps, missing, notes, number], xml


def _csv_cell(value: Any, column: str) -> Any:
    if isinstance(value, Decimal):
        return fmt_amount(value)
    if value is None:
        return ""
    if column == "name" and isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # a spreadsheet would run it as a formula (CSV injection)
    return value


def _yaml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def prefilled_bundle(
    row: TableRow,
    plain_facts: dict[str, Any],
    matches: list[Match],
    policy: Policy,
    source: str,
    prior: tuple[PriorAward, ...] = (),
) -> str:
    """A bundle of the eligible clauses, the table's facts filled in, what only the applicant
    knows left as marked lines to fill. `check` decides it as the match did."""
    eligible = [m for m in matches if m.status == "eligible"]
    total = sum((m.amount for m in eligible), ZERO)
    labels = fact_labels(policy)
    declared = "表中声明" if row.etrade is not None else "表中无此项，请如实确认"
    lines = [
        f"# 免申即享 预填申报材料：{policy.full_title}",
        f"# 由 zzcbec match 根据 {Path(source).name} 第 {row.row} 行生成；经测算可申报 "
        + "、".join(f"{policy.cite(m.clause)} {fmt_yuan(m.amount)}" for m in eligible)
        + f"，合计 {fmt_yuan(total)}（以审核认定为准）",
        "# 请核对各项数据，填写标有“待填写”的各行（联系人、开户银行等），然后运行：zzcbec check 本文件"
        + (f" --issued-on {policy.issued_on.isoformat()}" if policy.issued_on else ""),
        'schema_version: "1.0"',
        f"year: {row.year}",
        "applicant:",
        f"  name: {_yaml(row.name)}",
        f"  uscc: {_yaml(row.uscc)}",
        f"  district: {_yaml(row.district)}",
        f"  {policy.exclusion_fact}: {_yaml(bool(row.etrade))}"
        f"    # 是否{policy.exclusion_label}（{declared}；是则不在支持范围）",
        '  # address: ""                    # 可填写：注册地址',
        '  # legal_representative: ""       # 可填写：法定代表人',
        '  contact: {name: "", phone: ""}   # 待填写：联系人及电话',
        '  bank: {name: "", account: ""}    # 待填写：开户银行及账号（奖励通知书写明拨付账户）',
        "claims:",
    ]
    for m in eligible:
        lines.append(
            f"  - clause: {m.clause}                   # {policy.cite(m.clause)} {m.name}：测算 {fmt_yuan(m.amount)}"
        )
        lines.append("    facts:")
        for name in policy.clauses[m.clause].facts:
            value = plain_facts.get(name)
            if isinstance(value, dict):
                lines.append(f"      {name}:" + " " * max(1, 30 - len(name)) + f"# {labels.get(name, name)}")
                lines += [
                    f"        {k}: {_yaml(v)}" + " " * max(1, 26 - len(k) - len(_yaml(v))) + f"# {labels.get(k, k)}"
                    for k, v in value.items()
                ]
            elif value is not None:
                text = f"      {name}: {_yaml(value)}"
                lines.append(text + " " * max(1, 44 - len(text)) + f"# {labels.get(name, name)}")
    if prior:
        lines.append("prior_awards:                      # 台账中已获本政策奖励（核定时计入）")
        for p in prior:
            item = {"clause": p.clause, "year": p.year, "amount": fmt_amount(p.amount)}
            if p.competition_name:
                item["competition_name"] = p.competition_name
            if p.reference:
                item["notice_number"] = p.reference
            lines.append("  - {" + ", ".join(f"{k}: {_yaml(v)}" for k, v in item.items()) + "}")
    return "\n".join(lines) + "\n"


def _write_whole(path: Path, text: str) -> None:
    """Whole or not at all under its name (a temporary name, then a rename). No fsync: a bundle is
    derived output, made again by running the match again, and 100,000 fsyncs would take minutes."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def match_chunk(rows: list[tuple[int, list[Any]]]) -> ChunkResult:
    """Type, match and format a chunk of rows; write the bundles. Never raises for a bad row."""
    s = _STATE
    policy: Policy = s["policy"]
    res = ChunkResult(rows_in=len(rows))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    bundles_dir = s["out_dir"] / "bundles"
    xml: list[str] = []
    for number, cells in rows:
        row, errors, plain = parse_row(policy, s["columns"], s["width"], number, cells)
        if row is None:
            res.errors += errors
            res.bad_rows += 1
            continue
        prior = tuple(s["ledger"].history_readonly(row.uscc)) if s["ledger"] is not None else ()
        matches = match_row(policy, row, listed=row.uscc in s["excluded"], prior=prior)
        district = canonical_district(row.district)
        any_eligible = False
        head, tails = output_rows(row, matches)
        head_csv = [_csv_cell(v, c) for v, c in zip(head, COLUMNS, strict=False)]
        head_xml = cells_xml(head, KINDS[:HEAD])
        for tail in tails:
            tail_csv, tail_xml = _tail_out(tail)
            writer.writerow(head_csv + tail_csv)
            xml.append(f"<row>{head_xml}{tail_xml}</row>")
        for m in matches:
            res.statuses[m.status] += 1
            if m.status != "eligible":
                continue
            any_eligible = True
            f = m.funding
            claim = line(district, m.clause, m.amount, f.city if f else None, f.local if f else None)
            res.totals.setdefault((district, m.clause), Total()).add(claim)
        if any_eligible:
            res.qualifying[district] = res.qualifying.get(district, 0) + 1
            text = prefilled_bundle(row, plain, matches, policy, s["source"], prior)
            _write_whole(bundles_dir / f"{row.uscc}-{row.year}.yaml", text)
            res.bundles += 1
    res.csv = buf.getvalue().encode("utf-8")  # encoded here, in parallel, not in the main process
    res.xml, res.xml_rows = "".join(xml).encode("utf-8"), len(xml)
    return res


# ---------------------------------------------------------------- the table (main side)


def _chunks(
    table: Table,
    size: int,
    duplicate: Callable[[int, list[Any]], CellError | None],
) -> Iterator[list[tuple[int, list[Any]]] | CellError]:
    """Chunks of rows to match; a repeated enterprise and year comes out alone, as its error."""
    chunk: list[tuple[int, list[Any]]] = []
    for number, cells in table.rows():
        dup = duplicate(number, cells)
        if dup is not None:
            if chunk:
                yield chunk
                chunk = []
            yield dup
            continue
        chunk.append((number, cells))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Outputs:
    """matches.csv, matches.xlsx and errors.csv, each written under a temporary name."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.parts: list[tuple[Path, Path]] = []
        self.csv = self._open("matches.csv", binary=True)
        self.csv.write(("\ufeff" + ",".join(COLUMNS) + "\r\n").encode("utf-8"))
        self.errors = self._open("errors.csv")
        self.errors.write("\ufeff" + ",".join(ERROR_COLUMNS) + "\r\n")
        self.error_writer = csv.writer(self.errors, lineterminator="\r\n")
        self.xlsx = StreamingXlsx(out_dir / "matches.xlsx")
        self.xlsx.start_sheet("matches", COLUMNS, WIDTHS)
        self.sheet = 1

    def _open(self, name: str, binary: bool = False) -> Any:
        final = self.out_dir / name
        tmp = self.out_dir / f".{name}.{os.getpid()}.part"
        self.parts.append((tmp, final))
        if binary:
            return open(tmp, "wb")  # noqa: SIM115 - closed in finish/discard
        return open(tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in finish/discard

    def add(self, res: ChunkResult) -> None:
        self.csv.write(res.csv)
        data, count = res.xml, res.xml_rows
        while count:
            room = MAX_ROWS - self.xlsx.rows
            if room <= 0:  # this sheet is full: the rows go on in the next
                self.sheet += 1
                self.xlsx.start_sheet(f"matches ({self.sheet})", COLUMNS, WIDTHS)
                continue
            if count <= room:
                self.xlsx.write_rows(data, count)
                break
            cut = 0
            for _ in range(room):
                cut = data.index(b"</row>", cut) + len(b"</row>")
            self.xlsx.write_rows(data[:cut], room)
            data, count = data[cut:], count - room
        for e in res.errors:
            self.error_writer.writerow([e.row, e.column, e.header, e.zh, e.en])

    def finish(self, summary: TableSummary, policy: Policy) -> None:
        self.xlsx.start_sheet("totals", TOTAL_COLUMNS, [22, 14, 20, 12, 18, 18, 18, 18])
        for values in total_rows(summary, policy):
            self.xlsx.append(values, TOTAL_KINDS)
        self.xlsx.close()
        for fh in (self.csv, self.errors):
            fh.close()
        for tmp, final in self.parts:
            os.replace(tmp, final)
        # this engine writes no Parquet file: one left by an earlier run into the folder (the SQL engines
        # write one) would hold that run's matches beside this run's
        (self.out_dir / "matches.parquet").unlink(missing_ok=True)

    def discard(self) -> None:
        self.xlsx.discard()
        for fh in (self.csv, self.errors):
            fh.close()
        for tmp, _ in self.parts:
            tmp.unlink(missing_ok=True)


def repeat_key(uscc: str, year: str) -> str:
    """What makes two rows the same enterprise and year (the USCC upper-cased by the caller): a year
    written 02026 is the year 2026. The SQL engines take the same key (sqlmatch.run._typed_rows)."""
    return f"{uscc}-{year.lstrip('0')}"


def move_bundles(made: Path, into: Path) -> None:
    """The bundles into DIR/bundles: the folder renamed when there is none yet, else each file (a rerun
    rewrites these bundles and keeps those of an earlier table)."""
    try:
        os.rename(made, into)
        return
    except OSError:
        pass
    into.mkdir(exist_ok=True)
    with os.scandir(made) as entries:
        for e in entries:
            os.replace(e.path, into / e.name)
    made.rmdir()


def total_rows(summary: TableSummary, policy: Policy) -> list[list[Any]]:
    """By district and clause, a subtotal per district, the city-wide total per clause, the grand total
    (rules.totals.combined); a district's and the grand count are enterprises (one with two clauses once)."""
    out: list[list[Any]] = []
    for (district, clause), t in sorted(summary.totals.items()):
        out.append([district, policy.cite(clause), policy.clauses[clause].name, *t.sums()])
    sums = combined(summary.totals)
    for district, t in sums.by_district.items():
        out.append([district, "小计 subtotal", "", *t.sums(summary.qualifying[district])])
    for clause, t in sums.by_clause.items():
        out.append(["全市 all", policy.cite(clause), policy.clauses[clause].name, *t.sums()])
    out.append(["全市 all", "合计 total", "", *sums.grand.sums(sum(summary.qualifying.values()))])
    return out


def _merge(summary: TableSummary, res: ChunkResult) -> None:
    summary.rows += res.rows_in
    summary.bad_rows += res.bad_rows
    summary.bundles += res.bundles
    for k, v in res.statuses.items():
        summary.statuses[k] += v
        summary.matches += v
    for key, t in res.totals.items():
        summary.totals[key].merge(t)
    for d, n in res.qualifying.items():
        summary.qualifying[d] += n
    room = 20 - len(summary.first_errors)
    if room > 0:
        summary.first_errors += res.errors[:room]


def run_table(
    table: Table,
    policy: Policy,
    options: TableOptions,
    progress: Callable[[TableSummary, int | None], None] | None = None,
) -> TableSummary:
    """Match every row of an opened table; write matches.csv, matches.xlsx, errors.csv and the bundles."""
    t0 = time.perf_counter()
    out = options.out_dir
    created = not out.exists()
    # the bundles are made in a work folder and moved into DIR/bundles once the run is complete: Ctrl-C, `kill`
    # or a bad line of the file midway leaves none of an unfinished run (nor an empty DIR it made)
    work = out / f".match-{os.getpid()}.part"
    (work / "bundles").mkdir(parents=True, exist_ok=True)
    summary = TableSummary()
    columns = table.columns
    by_field = {c.field: c for c in columns}
    seen: dict[str, int] = {}

    def duplicate(number: int, cells: list[Any]) -> CellError | None:
        u, y = by_field["uscc"], by_field["year"]
        uscc = _text(cells[u.index] if u.index < len(cells) else None).upper()
        year = _number_text(cells[y.index] if y.index < len(cells) else None)
        if not uscc or not year:
            return None  # reported by the row's own check
        first = seen.setdefault(repeat_key(uscc, year), number)
        if first == number:
            return None
        return CellError(
            number,
            u.letter,
            u.header,
            f"与第 {first} 行重复：同一企业同一年度只能有一行",
            f"duplicates row {first}: one row per enterprise and year",
        )

    jobs = options.jobs or os.cpu_count() or 1
    args = (policy, columns, table.width, options.exclusion_list, options.ledger_url, str(work), table.source)
    outputs = _Outputs(out)
    pool: ProcessPoolExecutor | None = None
    try:
        if jobs == 1:
            init_state(*args)
            run: Callable[[list[tuple[int, list[Any]]]], Any] = match_chunk
        else:
            # fork: the workers start at once with the policy loaded; a process with other threads
            # (a web server) spawns fresh ones instead.
            method = "fork" if threading.active_count() == 1 and os.name == "posix" else "spawn"
            pool = ProcessPoolExecutor(
                max_workers=jobs, mp_context=multiprocessing.get_context(method), initializer=init_state, initargs=args
            )
            submit = pool.submit

            def run(chunk: list[tuple[int, list[Any]]]) -> Any:
                return submit(match_chunk, chunk)

        def finished(res: ChunkResult) -> None:
            outputs.add(res)
            _merge(summary, res)
            if progress:
                progress(summary, table.estimate)

        pending: deque[Future[ChunkResult]] = deque()
        for chunk in _chunks(table, options.chunk_rows, duplicate):
            if isinstance(chunk, CellError):  # a repeated row: reported in its place in the order
                while pending:
                    finished(pending.popleft().result())
                finished(ChunkResult(rows_in=1, bad_rows=1, errors=[chunk]))
                continue
            if pool is None:
                finished(run(chunk))
                continue
            pending.append(run(chunk))
            while len(pending) > 2 * jobs:
                finished(pending.popleft().result())
        while pending:
            finished(pending.popleft().result())
        summary.seconds = time.perf_counter() - t0
        outputs.finish(summary, policy)
        move_bundles(work / "bundles", out / "bundles")
        work.rmdir()
    except BaseException:
        if pool is not None:  # interrupted or failed: stop the workers now, not after their chunk
            workers = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for w in workers:
                w.terminate()
            for w in workers:  # gone before the work folder is removed: none writes a bundle after it
                w.join(5)
            pool = None
        outputs.discard()
        shutil.rmtree(work, ignore_errors=True)
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
        table.close()
    return summary
