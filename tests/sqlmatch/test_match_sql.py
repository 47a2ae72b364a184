"""免申即享 compiled to SQL: every engine decides a table exactly as the row engine does, to the fen.

The row engine (`--engine python`: each row through the one-profile matcher and the rules) is the
reference. Random tables — cells at, just below and just above each threshold of the policy,
missing cells, bad cells, repeated enterprises, excluded and listed and referred rows, district
aliases, earlier awards in the ledger — are matched by the reference and by the compiled query,
and every row of matches.csv (status, amount, city and local shares, gaps, missing facts, notes)
and every line of errors.csv must be the same. The same holds under mutated policies (the
policy-as-data tests' variants): the compiler reads the policy, not the draft.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from zzcbec_docs.bundle.contract import facts as contract_facts
from zzcbec_docs.calculator.table_match import TableOptions, run_table
from zzcbec_docs.calculator.table_read import Table, table_fields
from zzcbec_docs.errors import PolicyError
from zzcbec_docs.policy import build_policy, load_policy
from zzcbec_docs.policy.model import FeeTierAmount, Growth, Policy, Threshold, TierAmount
from zzcbec_docs.sqlmatch.run import SqlOptions, run_sql_table

from conftest import PG_BASE, PG_UP, uscc
from policy_variants import variants

EXAMPLES = int(os.environ.get("ZZCBEC_SQL_EXAMPLES", "25"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
DISTRICTS = ["金水区", "郑东新区", "高新区", "航空港区", "经开区", "管城回族区", "上街区", "巩义市", "中牟县"]
FLAG_WORDS = ["true", "false", "是", "否", "1", "0", "TRUE"]


def _near(values: list[Decimal], kind: str) -> list[str]:
    """Each threshold exactly, one step below and one above (the boundary words decide these)."""
    step = Decimal(1) if kind == "count" else Decimal("0.01")
    out = {"0"}
    for v in values:
        for x in (v - step, v, v + step):
            if x >= 0:
                out.add(str(int(x)) if kind == "count" else f"{x:.2f}")
    return sorted(out)


def boundaries(policy: Policy) -> dict[str, list[Decimal]]:
    """The policy's own numbers, by the fact they are compared with."""
    out: dict[str, list[Decimal]] = {}
    for clause in policy.clauses.values():
        for c in clause.all_conditions():
            if isinstance(c, Threshold):
                out.setdefault(c.fact, []).append(c.value)
            if isinstance(c, Growth):
                out.setdefault(c.prior_fact, []).append(Decimal(10_000_000))
        if isinstance(clause.amount, TierAmount):
            for t in clause.amount.tiers:
                out.setdefault(clause.amount.fact, []).append(t.value)
        if isinstance(clause.amount, FeeTierAmount):
            for ft in clause.amount.tiers:
                out.setdefault(clause.amount.fee_fact, []).append(ft.cap / ft.rate)
        if clause.cap is not None and clause.cap.amount is not None:
            for f in clause.amount_facts():
                out.setdefault(f, []).append(clause.cap.amount)
    return out


@st.composite
def tables(draw, policy: Policy) -> tuple[list[str], list[list[str]], frozenset[str]]:  # type: ignore[no-untyped-def]
    fields = table_fields(policy)
    facts = contract_facts(policy)
    near = boundaries(policy)
    names = [f for f in fields if f not in ("uscc", "name", "district", "year")]
    columns = draw(st.lists(st.sampled_from(names), unique=True, min_size=0, max_size=len(names)))
    header = ["uscc", "name", "district", "year", *columns]
    rows = []
    pool = [uscc(900 + i) for i in range(8)]
    for _ in range(draw(st.integers(1, 10))):
        row = [
            draw(st.sampled_from(pool)),
            draw(st.sampled_from(["郑州甲有限公司", "=HYPERLINK(1)", "乙 & <丙>"])),
            draw(st.sampled_from(DISTRICTS)),
            draw(st.sampled_from(["2026", "2026", "2025", "26"])),
        ]
        for name in columns:
            kind = fields[name]
            fact = facts.get(name.split(".")[0])
            if draw(st.integers(0, 3)) == 0:
                row.append("")  # unknown
                continue
            if draw(st.integers(0, 40)) == 0:
                row.append(draw(st.sampled_from(["1e7", "maybe", "2025/01/01", "-5", "12.345"])))  # a bad cell
                continue
            if kind == "flag":
                row.append(draw(st.sampled_from(FLAG_WORDS)))
            elif kind in ("money", "quantity", "count"):
                base = near.get(name.split(".")[0], []) if "." in name else near.get(name, [])
                choices = _near(base, kind) + (["123456.78", "5000000"] if kind != "count" else ["7", "100"])
                row.append(draw(st.sampled_from(choices)))
            elif kind == "date":
                row.append(
                    draw(st.sampled_from(["2025-01-01", "2025-01-02", "2024-12-31", "2026-01-01", "2020-06-30"]))
                )
            elif fact is not None and fact.type == "choice":
                row.append(draw(st.sampled_from([v for v, _ in fact.choices] + ["none"])))
            else:
                row.append(
                    draw(st.sampled_from(["第二届郑州跨境电商创新大赛", "第２届 郑州跨境电商创新大赛", "海外仓"]))
                )
        pad = draw(st.sampled_from(["", "", "", " ", "\u3000", "\t", "\xa0"]))  # str.strip()'s whitespace
        rows.append([c if not c or draw(st.integers(0, 3)) else pad + c + pad for c in row])
    listed = frozenset(draw(st.lists(st.sampled_from(pool), max_size=2)))
    return header, rows, listed


def write_table(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def engine_run(engine: str, policy: Policy, table: Path, out: Path, listed: frozenset[str], ledger: str | None = None):  # type: ignore[no-untyped-def]
    options = SqlOptions(out_dir=out, jobs=1, exclusion_list=listed, ledger_url=ledger)
    if engine == "duckdb":
        return run_sql_table(table, policy, options)
    if engine == "spark":
        from zzcbec_docs.sqlmatch.spark import run_spark_table

        return run_spark_table(table, policy, options)
    from zzcbec_docs.sqlmatch.postgres import run_postgres_table

    return run_postgres_table(engine, str(table), None, None, policy, options)


def both(
    policy: Policy, table: Path, work: Path, listed: frozenset[str], ledger: str | None = None, engine: str = "duckdb"
) -> None:
    """The row engine and a SQL engine over one table: the same matches and errors, row for row."""
    ref = run_table(
        Table(table, None, policy),
        policy,
        TableOptions(out_dir=work / "python", jobs=1, exclusion_list=listed, ledger_url=ledger),
    )
    got = engine_run(engine, policy, table, work / "duckdb", listed, ledger)
    expected, actual = read_csv(work / "python" / "matches.csv"), read_csv(work / "duckdb" / "matches.csv")
    assert len(actual) == len(expected)
    for e, a in zip(expected, actual, strict=True):
        assert a == e, (e["row"], e["clause"])
    assert read_csv(work / "duckdb" / "errors.csv") == read_csv(work / "python" / "errors.csv")
    assert (got.rows, got.bad_rows, got.statuses, got.amount) == (ref.rows, ref.bad_rows, ref.statuses, ref.amount)
    assert dict(got.totals) == dict(ref.totals) and dict(got.qualifying) == dict(ref.qualifying)
    bundles = sorted(p.name for p in (work / "python" / "bundles").glob("*.yaml"))
    assert sorted(p.name for p in (work / "duckdb" / "bundles").glob("*.yaml")) == bundles
    for name in bundles:
        assert (work / "duckdb" / "bundles" / name).read_text(encoding="utf-8") == (
            work / "python" / "bundles" / name
        ).read_text(encoding="utf-8")


POLICY = load_policy()


@given(table=tables(POLICY), issued=st.sampled_from([None, dt.date(2024, 5, 1)]))
@SETTINGS
def test_random_tables_are_decided_by_duckdb_exactly_as_by_the_row_engine(table, issued) -> None:  # type: ignore[no-untyped-def]
    header, rows, listed = table
    policy = POLICY.with_issued_on(issued) if issued else POLICY
    work = Path(tempfile.mkdtemp(prefix="zz-sql-"))
    try:
        both(policy, write_table(work / "t.csv", header, rows), work, listed)
    finally:
        shutil.rmtree(work)


@given(data=variants(), draw=st.data())
@SETTINGS
def test_a_mutated_policy_compiles_and_decides_as_the_row_engine(data, draw) -> None:  # type: ignore[no-untyped-def]
    try:
        policy = build_policy(data, "variant.yaml")
    except PolicyError:
        assume(False)
        return
    header, rows, listed = draw.draw(tables(policy))
    work = Path(tempfile.mkdtemp(prefix="zz-sql-"))
    try:
        both(policy, write_table(work / "t.csv", header, rows), work, listed)
    finally:
        shutil.rmtree(work)


@pytest.fixture
def pg_url():
    """A schema of its own in the PostgreSQL test database."""
    if not PG_UP:
        pytest.skip(f"PostgreSQL does not answer at {PG_BASE}")
    import psycopg

    schema = f"zz_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield f"{PG_BASE}?options=-csearch_path%3D{schema}", schema
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.mark.postgres
@given(table=tables(POLICY))
@settings(
    max_examples=int(os.environ.get("ZZCBEC_SQL_PG_EXAMPLES", "8")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_random_tables_are_decided_inside_postgresql_as_by_the_row_engine(pg_url, table) -> None:  # type: ignore[no-untyped-def]
    header, rows, listed = table
    work = Path(tempfile.mkdtemp(prefix="zz-sql-"))
    try:
        both(POLICY, write_table(work / "t.csv", header, rows), work, listed, engine=pg_url[0])
    finally:
        shutil.rmtree(work)


@pytest.mark.postgres
def test_a_table_in_postgresql_is_matched_there_and_written_back(pg_url, tmp_path):
    """The extract never leaves the server: --table in, --into out; the same decisions as DuckDB's."""
    import psycopg

    from zzcbec_docs.cli.main import main

    from table_cases import CASES

    url, schema = pg_url
    header = list(dict.fromkeys(["uscc", "name", "district", "year", *[k for e, _ in CASES for k in e]]))
    rows = [[e.get(c, "") for c in header] for e, _ in CASES]
    rows.append([uscc(999)[:-1] + "0", "校验位错误企业", "金水区", "2026", *[""] * (len(header) - 4)])
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        cols = ", ".join(f'"{c}" TEXT' for c in header)
        conn.execute(f"CREATE TABLE {schema}.enterprises ({cols})")
        with conn.cursor().copy(f"COPY {schema}.enterprises FROM STDIN") as cp:
            for r in rows:
                cp.write_row([x or None for x in r])
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["match", "--engine", url, "--table", f"{schema}.enterprises", "--into", f"{schema}.matches", "--json"],
        stdout=out,
        stderr=err,
    )
    assert code == 1, err.getvalue()  # one bad row, named
    assert "校验位" in err.getvalue() and "A 列" in err.getvalue()
    table = write_table(tmp_path / "t.csv", header, rows)
    run_sql_table(table, POLICY, SqlOptions(out_dir=tmp_path / "duckdb", jobs=1))
    expected = read_csv(tmp_path / "duckdb" / "matches.csv")
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        got = conn.execute(
            f"SELECT uscc, name, district, year, clause, status, amount, city, local, gaps, "
            f'missing, notes, "row" FROM {schema}.matches ORDER BY "row", clause'
        ).fetchall()
        errors = conn.execute(f'SELECT "row", "column" FROM {schema}.matches_errors').fetchall()
    assert len(got) == len(expected)
    money = lambda v: "" if v is None else f"{v:.2f}"  # noqa: E731
    for g, e in zip(got, expected, strict=True):
        assert (
            g[0],
            g[2],
            str(g[3]),
            str(g[4]),
            g[5],
            money(g[6]),
            money(g[7]),
            money(g[8]),
            g[9] or "",
            g[10] or "",
            g[11] or "",
            str(g[12]),
        ) == (
            e["uscc"],
            e["district"],
            e["year"],
            e["clause"],
            e["status"],
            e["amount"],
            e["city"],
            e["local"],
            e["gaps"],
            e["missing"],
            e["notes"],
            e["row"],
        )
    assert errors == [(len(rows) + 1, "A")]


def test_the_ledgers_earlier_awards_count_the_same_in_both_engines(tmp_path):
    """Caps per year, one-time, per competition and the top-up of clause 3 with the ledger's awards."""
    from zzcbec_docs.cli.main import main

    from conftest import make_bundle, write_bundle

    url = str(tmp_path / "ledger.db")
    awards = [
        (1, {"import_export": "30000000", "promotion_costs": "1000000"}, 901),  # 300,000 of clause 1's 500,000
        (1, {"import_export": "30000000", "promotion_costs": "1700000"}, 902),  # the whole 500,000
        (3, {"hq_level": "national", "settled_on": "2024-01-01", "cbec_import_export": "600000000"}, 903),
        (
            11,
            {
                "competition_name": "第二届郑州跨境电商创新大赛",
                "competition_approved": True,
                "held_in_zhengzhou": True,
                "requested": "150000",
            },
            904,
        ),
        (2, {"payment_license": True, "hq_level": "national", "cbec_settlement": "10000000000"}, 905),
    ]
    assert main(["ledger", "init", "--ledger", url], stdout=io.StringIO(), stderr=io.StringIO()) == 0
    for clause, facts, n in awards:
        b = write_bundle(tmp_path / f"b{n}.json", make_bundle(clause, facts, n=n))
        code = main(
            ["award", str(b), "--ledger", url, "--out", str(tmp_path / "notices"), "--format", "docx"],
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
        assert code == 0
    ids = {n: make_bundle(n=n)["applicant"]["uscc"] for _, _, n in awards}
    header = [
        "uscc",
        "name",
        "district",
        "year",
        "import_export",
        "promotion_costs",
        "hq_level",
        "settled_on",
        "cbec_import_export",
        "competition_name",
        "competition_approved",
        "held_in_zhengzhou",
        "requested",
        "payment_license",
        "cbec_settlement",
    ]
    rows = [
        [ids[901], "甲", "金水区", "2026", "30000000", "1000000", "", "", "", "", "", "", "", "", ""],
        [ids[902], "乙", "金水区", "2026", "30000000", "1000000", "", "", "", "", "", "", "", "", ""],
        [ids[903], "丙", "中牟县", "2026", "", "", "national", "2024-01-01", "1000000000.01", "", "", "", "", "", ""],
        [
            ids[904],
            "丁",
            "二七区",
            "2026",
            "",
            "",
            "",
            "",
            "",
            "第二届 郑州跨境电商创新大赛",
            "是",
            "是",
            "200000",
            "",
            "",
        ],
        [ids[905], "戊", "上街区", "2026", "", "", "national", "", "", "", "", "", "", "true", "10000000000"],
        [ids[901], "甲", "金水区", "2027", "30000000", "1000000", "", "", "", "", "", "", "", "", ""],
    ]
    table = write_table(tmp_path / "t.csv", header, rows)
    both(load_policy(), table, tmp_path / "work", frozenset(), ledger=url)
    got = {(r["uscc"], r["year"], r["clause"]): r for r in read_csv(tmp_path / "work" / "duckdb" / "matches.csv")}
    assert got[(ids[901], "2026", "1")]["amount"] == "200000.00"  # what is left of the year's cap
    assert got[(ids[902], "2026", "1")]["status"] == "not_eligible"  # used up
    assert got[(ids[903], "2026", "3")]["amount"] == "2000000.00"  # the top-up to the second tier
    assert got[(ids[904], "2026", "11")]["amount"] == "50000.00"  # the same competition, written otherwise
    assert got[(ids[905], "2026", "2")]["status"] == "not_eligible"  # one-time, already awarded
    assert got[(ids[901], "2027", "1")]["amount"] == "300000.00"  # another year, another cap


@pytest.mark.parametrize("kind", ["parquet", "xlsx"])
def test_parquet_and_xlsx_tables_decide_as_the_csv(tmp_path, kind):
    header = [
        "uscc",
        "name",
        "district",
        "year",
        "import_export",
        "promotion_costs",
        "store_area_m2",
        "opened_on",
        "cbec_retail_import",
    ]
    rows = [
        [
            uscc(951),
            "郑州表格企业有限公司",
            "郑东新区",
            "2026",
            "12000000",
            "800000.5",
            "1200",
            "2025-01-01",
            "35000000",
        ],
        [uscc(952), "郑州表格企业二有限公司", "经开区", "2026", "25000000.25", "", "", "", ""],
    ]
    table = write_table(tmp_path / "t.csv", header, rows)
    import duckdb

    if kind == "parquet":
        other = tmp_path / "t.parquet"
        duckdb.sql(f"COPY (SELECT * FROM read_csv('{table}', all_varchar=true)) TO '{other}' (FORMAT parquet)")
    else:
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.append(header)
        for r in rows:
            ws.append([r[0], r[1], r[2], int(r[3]), *[float(x) if x and "-" not in x else x or None for x in r[4:]]])
        other = tmp_path / "t.xlsx"
        wb.save(other)
    policy = load_policy()
    run_sql_table(table, policy, SqlOptions(out_dir=tmp_path / "a", jobs=1))
    run_sql_table(other, policy, SqlOptions(out_dir=tmp_path / "b", jobs=1))
    assert read_csv(tmp_path / "b" / "matches.csv") == read_csv(tmp_path / "a" / "matches.csv")


def test_a_bad_table_leaves_no_half_written_folder(tmp_path):
    from zzcbec_docs.cli.main import main

    table = tmp_path / "t.csv"
    table.write_text("uscc,name,district,year,colour\n", encoding="utf-8")
    err = io.StringIO()
    assert main(["match", str(table), "--out", str(tmp_path / "out")], stdout=io.StringIO(), stderr=err) == 2
    assert "colour" in err.getvalue() and not (tmp_path / "out").exists()


def test_check_and_a_profile_match_load_no_duckdb():
    """DuckDB is loaded by `match TABLE` only: `check` and `match PROFILE` start as light as before."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    probe = (
        "import sys\nfrom zzcbec_docs.cli.main import main\nimport io\n"
        "code = main(sys.argv[1:], stdout=io.StringIO())\nprint('duckdb' in sys.modules)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(root))
    for args in (
        ["check", str(root / "samples" / "clause01-eligible.yaml")],
        ["match", str(root / "examples" / "profile.yaml")],
    ):
        r = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, env=env, timeout=120)
        assert r.stdout.decode().strip().splitlines()[-1] == "False", (args, r.stderr.decode()[-500:])


@pytest.mark.slow
def test_spark_sql_decides_a_table_as_the_row_engine(tmp_path):
    """Spark SQL in local[2] mode (pyspark and Java 17: `make spark`), on the boundary table of test_match_table."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("no java on this machine: `make spark` installs default-jre-headless")
    from table_cases import CASES

    header = list(dict.fromkeys(["uscc", "name", "district", "year", *[k for e, _ in CASES for k in e]]))
    table = write_table(tmp_path / "t.csv", header, [[e.get(c, "") for c in header] for e, _ in CASES])
    both(POLICY, table, tmp_path / "work", frozenset({uscc(718)}), engine="spark")
