"""免申即享 compiled to SQL: every engine decides a table exactly as the row engine does, to the fen.

The row engine (`--engine python`: each row through the one-profile matcher and the rules) is the
reference. Random tables — cells at, just below and just above each threshold of the policy,
missing cells, bad cells, repeated enterprises, excluded and listed and referred rows, district
aliases, earlier awards in the ledger — are matched by the reference and by the compiled query,
and every row of matches.csv (status, amount, city and local shares, gaps, missing facts, notes)
and every line of errors.csv must be the same. The same holds under mutated policies (the
policy-as-data tests' variants, and changed words, readings, funding ratios and terms): the compiler
reads the policy, not the draft. Every engine is held to it: DuckDB here, PostgreSQL (marked
postgres) and Spark SQL in local[2] mode (one session for the module, a few hundred rows).
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import os
import re
import shutil
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from zzcbec_docs.bundle.contract import facts as contract_facts
from zzcbec_docs.calculator.table_match import TableOptions, run_table
from zzcbec_docs.calculator.table_read import Table, table_fields
from zzcbec_docs.errors import PolicyError
from zzcbec_docs.policy import build_policy, load_policy
from zzcbec_docs.policy.model import FeeTierAmount, FixedAmount, Growth, Policy, Threshold, TierAmount
from zzcbec_docs.sqlmatch.run import SqlOptions, run_sql_table

from conftest import PG_BASE, PG_UP, uscc
from policy_variants import BASE, variants

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
                if ft.rate > 0:  # a mutated policy may pay 0%: no fee reaches its cap
                    out.setdefault(clause.amount.fee_fact, []).append(ft.cap / ft.rate)
        if clause.cap is not None and clause.cap.amount is not None:
            for f in clause.amount_facts():
                out.setdefault(f, []).append(clause.cap.amount)
    return out


def pool_of(rows: int) -> list[str]:
    """The enterprises of a table: few enough that the same one comes back (a repeat, a ledger's award)."""
    return [uscc(900 + i) for i in range(max(8, rows // 3))]


ITEMS = ["第二届郑州跨境电商创新大赛", "第２届 郑州跨境电商创新大赛", "海外仓"]  # one competition written two ways


@st.composite
def tables(draw, policy: Policy, max_rows: int = 10) -> tuple[list[str], list[list[str]], frozenset[str]]:  # type: ignore[no-untyped-def]
    fields = table_fields(policy)
    facts = contract_facts(policy)
    near = boundaries(policy)
    names = [f for f in fields if f not in ("uscc", "name", "district", "year")]
    columns = draw(st.lists(st.sampled_from(names), unique=True, min_size=0, max_size=len(names)))
    header = ["uscc", "name", "district", "year", *columns]
    rows = []
    pool = pool_of(max_rows)
    for _ in range(draw(st.integers(1, max_rows))):
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
                row.append(draw(st.sampled_from(ITEMS)))
        pad = draw(st.sampled_from(["", "", "", " ", "\u3000", "\t", "\xa0"]))  # str.strip()'s whitespace
        rows.append([c if not c or draw(st.integers(0, 3)) else pad + c + pad for c in row])
    listed = frozenset(draw(st.lists(st.sampled_from(pool), max_size=2)))
    return header, rows, listed


Award = tuple[str, int, int, Decimal, "Decimal | None", "str | None", bool]


@st.composite
def ledger_awards(draw, policy: Policy, max_rows: int = 10) -> list[Award]:  # type: ignore[no-untyped-def]
    """Earlier awards in a ledger for the table's enterprises: at, below and above each cap, at each tier,
    one a year or the same year twice, per competition (written otherwise), some revoked (they count not)."""
    clauses = [n for n in policy.claimable() if not policy.is_referred(n) and policy.clauses[n].amount is not None]
    if not clauses:
        return []
    out = []
    for _ in range(draw(st.integers(0, max(4, max_rows // 2)))):
        n = draw(st.sampled_from(clauses))
        clause = policy.clauses[n]
        amounts = {Decimal("0.01"), Decimal("100000.00")}
        if clause.cap is not None and clause.cap.amount is not None:
            cap = clause.cap.amount
            amounts |= {cap, cap - Decimal("0.01"), (cap / 2).quantize(Decimal("0.01"))}
        tiers: set[Decimal] = set()
        if isinstance(clause.amount, TierAmount):
            tiers = {t.amount for t in clause.amount.tiers}
        if isinstance(clause.amount, FixedAmount):
            tiers = {clause.amount.value}
        amount = draw(st.sampled_from(sorted(amounts | tiers)))
        tier = draw(st.sampled_from([None, amount, *sorted(tiers)]))
        item = draw(st.sampled_from([None, *ITEMS])) if policy.item_fact(n) else None
        year = draw(st.sampled_from([2025, 2026]))
        out.append(
            (draw(st.sampled_from(pool_of(max_rows))), n, year, amount, tier, item, draw(st.integers(0, 4)) == 0)
        )
    return out


def seed_ledger(path: Path, policy: Policy, awards: list[Award]) -> str:
    """A real ledger (SQLite) holding the awards, each under a notice of its own, through the ledger's API."""
    from sqlalchemy import insert

    from zzcbec_docs.cli.main import main
    from zzcbec_docs.ledger import open_ledger
    from zzcbec_docs.ledger import schema as s

    url = str(path)
    assert main(["ledger", "init", "--ledger", url], stdout=io.StringIO(), stderr=io.StringIO()) == 0
    ledger = open_ledger(url)
    try:
        with ledger.transaction() as conn:
            for i, (who, clause, year, amount, tier, item, revoked) in enumerate(awards, 1):
                notice = ledger.record_notice(
                    conn,
                    number=f"郑商务奖〔2026〕{i}号",
                    issuer="郑州市商务局",
                    issuer_code="ZZSW",
                    notice_year=2026,
                    seq=i,
                    uscc=who,
                    applicant_name="郑州台账企业",
                    district="金水区",
                    year=year,
                    bundle_sha256=f"{i:064x}",
                    policy_id=policy.id,
                    issued_on="2026-03-01",
                )
                ledger.record_award(conn, notice, who, clause, item, year, amount, None, None, tier=tier)
                if revoked:
                    conn.execute(
                        insert(s.revocations).values(notice_id=notice, reason="笔误", revoked_at="2026-04-01T00:00:00Z")
                    )
    finally:
        ledger.engine.dispose()
    return url


@st.composite
def reworded(draw, data: dict) -> dict:  # type: ignore[no-untyped-def]
    """What the structural variants leave alone: the words (labels with a quote or a backslash, which each
    engine writes its own way), the reading of a tiered one-time clause, the funding ratios (a third does
    not divide a fen evenly), the term's length, the exclusion's label, a clause made referred (the issue
    date, a 29 February among them, is set on the policy built: variant_policy)."""
    data = copy.deepcopy(data)
    for c in data["clauses"]:
        for cond in c.get("conditions", []):
            if "label" in cond and draw(st.integers(0, 3)) == 0:
                cond["label"] += draw(st.sampled_from(["（变）", "'s", "\\d"]))
        amount = c.get("amount") or {}
        if "label" in amount and draw(st.booleans()):
            amount["label"] += "（档）"
        if c.get("kind") == "funding":
            for g in c.get("groups", []):
                g["city_ratio"] = draw(st.sampled_from(["0.50", "0.20", "0.3333", "0.6667", "1"]))
        if c.get("kind") == "exclusion" and draw(st.booleans()):
            c["excluded_label"] = "享受'某项'相关政策"
    for setting in (data.get("settings") or {}).values():
        setting["value"] = draw(st.sampled_from(["top_up", "each_tier"]))
    data["term_years"] = draw(st.sampled_from([1, 3, 5]))
    awards = [c for c in data["clauses"] if c.get("kind") == "award"]
    exclusion = next((c["number"] for c in data["clauses"] if c.get("kind") == "exclusion"), None)
    if awards and exclusion is not None and draw(st.integers(0, 3)) == 0:
        c = draw(st.sampled_from(awards))
        for key in ("conditions", "amount", "cap", "funding"):
            c.pop(key, None)
        c.update(kind="referred", referred_by=exclusion)
    return data


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


def decide_random(policy: Policy, draw: st.DataObject, engine: str = "duckdb", max_rows: int = 10) -> None:
    """A random table (and, every other time, a random ledger) decided by the row engine and by `engine`."""
    header, rows, listed = draw.draw(tables(policy, max_rows), label="table")
    awards = draw.draw(st.one_of(st.none(), ledger_awards(policy, max_rows)), label="ledger")
    work = Path(tempfile.mkdtemp(prefix="zz-sql-"))
    try:
        ledger = seed_ledger(work / "ledger.db", policy, awards) if awards is not None else None
        both(policy, write_table(work / "t.csv", header, rows), work, listed, ledger=ledger, engine=engine)
    finally:
        shutil.rmtree(work)


def variant_policy(data: dict, draw: st.DataObject) -> Policy:
    """A structural variant (policy_variants.variants), its words and settings changed too."""
    try:
        policy = build_policy(draw.draw(reworded(data), label="reworded"), "variant.yaml")
    except PolicyError:
        assume(False)
        raise
    issued = draw.draw(st.sampled_from([None, dt.date(2024, 2, 29), dt.date(2025, 1, 1), dt.date(2026, 12, 31)]))
    return policy.with_issued_on(issued) if issued else policy


@given(issued=st.sampled_from([None, dt.date(2024, 5, 1)]), draw=st.data())
@SETTINGS
def test_random_tables_are_decided_by_duckdb_exactly_as_by_the_row_engine(issued, draw) -> None:  # type: ignore[no-untyped-def]
    decide_random(POLICY.with_issued_on(issued) if issued else POLICY, draw)


@given(data=variants(), draw=st.data())
@SETTINGS
def test_a_mutated_policy_compiles_and_decides_as_the_row_engine(data, draw) -> None:  # type: ignore[no-untyped-def]
    decide_random(variant_policy(data, draw), draw)


@given(draw=st.data())
@SETTINGS
def test_changed_words_readings_ratios_and_terms_decide_as_the_row_engine(draw) -> None:  # type: ignore[no-untyped-def]
    decide_random(variant_policy(BASE, draw), draw)


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
@given(draw=st.data())
@settings(
    max_examples=int(os.environ.get("ZZCBEC_SQL_PG_EXAMPLES", "8")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_random_tables_are_decided_inside_postgresql_as_by_the_row_engine(pg_url, draw) -> None:  # type: ignore[no-untyped-def]
    decide_random(POLICY, draw, engine=pg_url[0])


@pytest.mark.postgres
@given(data=variants(), draw=st.data())
@settings(
    max_examples=int(os.environ.get("ZZCBEC_SQL_PG_EXAMPLES", "8")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_a_mutated_policy_is_decided_inside_postgresql_as_by_the_row_engine(pg_url, data, draw) -> None:  # type: ignore[no-untyped-def]
    decide_random(variant_policy(data, draw), draw, engine=pg_url[0])


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


@pytest.fixture
def engine(request):  # type: ignore[no-untyped-def]
    """duckdb, spark (the module's session) or a PostgreSQL schema of its own, by the test's parameter."""
    if request.param == "spark":
        request.getfixturevalue("spark")
        return "spark"
    if request.param == "postgresql":
        return request.getfixturevalue("pg_url")[0]
    return "duckdb"


@pytest.mark.parametrize(
    "engine",
    [
        "duckdb",
        pytest.param("spark", marks=pytest.mark.slow),
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ],
    indirect=True,
)
def test_the_ledgers_earlier_awards_count_the_same_in_every_engine(tmp_path, engine):
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
    both(load_policy(), table, tmp_path / "work", frozenset(), ledger=url, engine=engine)
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


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_in_an_xlsx_a_row_repeating_a_refused_row_is_refused_as_a_repeat(tmp_path, engine):
    """One row per enterprise and year, even when the first of them holds a bad cell: the second names the
    first, as the row engine says (the SQL engines used to forget the refused row and match the second)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["uscc", "name", "district", "year", "import_export", "promotion_costs"])
    ws.append([uscc(961), "郑州重复企业有限公司", "金水区", 2026, "1e7", 800000])  # a bad amount
    ws.append([uscc(961), "郑州重复企业有限公司", "金水区", 2026, 12000000, 800000])  # the same year again
    ws.append([uscc(962), "郑州另一企业有限公司", "金水区", 2026, 12000000, 800000])
    wb.save(tmp_path / "t.xlsx")
    both(POLICY, tmp_path / "t.xlsx", tmp_path / "work", frozenset(), engine=engine)
    errors = read_csv(tmp_path / "work" / "duckdb" / "errors.csv")
    assert [(e["row"], e["column"]) for e in errors] == [("2", "E"), ("3", "A")]
    assert "与第 2 行重复" in errors[1]["message_zh"] and "duplicates row 2" in errors[1]["message_en"]
    assert {r["uscc"] for r in read_csv(tmp_path / "work" / "duckdb" / "matches.csv")} == {uscc(962)}


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_the_year_written_02026_is_the_year_2026_and_its_row_a_repeat(tmp_path, engine):
    """The year 02026 is read as 2026: a row of an enterprise already in the table for 2026 is a repeat naming
    the first (it was matched a second time, the repeat check comparing the cells' text)."""
    header = ["uscc", "name", "district", "year", "import_export", "promotion_costs"]
    rows = [
        [uscc(991), "郑州年度企业有限公司", "金水区", "2026", "12000000", "800000"],
        [uscc(991), "郑州年度企业有限公司", "金水区", "02026", "12000000", "800000"],
        [uscc(992), "郑州另一年度企业有限公司", "金水区", "02026", "12000000", "800000"],
    ]
    both(POLICY, write_table(tmp_path / "t.csv", header, rows), tmp_path / "work", frozenset(), engine=engine)
    errors = read_csv(tmp_path / "work" / "duckdb" / "errors.csv")
    assert [(e["row"], e["column"]) for e in errors] == [("3", "A")] and "与第 2 行重复" in errors[0]["message_zh"]
    years = {(r["uscc"], r["year"]) for r in read_csv(tmp_path / "work" / "duckdb" / "matches.csv")}
    assert years == {(uscc(991), "2026"), (uscc(992), "2026")}


@pytest.mark.postgres
def test_a_nul_character_in_a_cell_is_a_bad_cell_in_postgresql_too(pg_url, tmp_path):
    """PostgreSQL's text cannot hold U+0000: a file whose cells hold one (a name, an amount) is matched all
    the same, those cells named by row and column as the row engine names them (it was an internal error)."""
    header = ["uscc", "name", "district", "year", "import_export", "promotion_costs"]
    rows = [
        [uscc(971), "郑州\x00控制字符企业", "金水区", "2026", "12000000", "800000"],
        [uscc(972), "郑州金额企业有限公司", "金水区", "2026", "1200\x000000", "800000"],
        [uscc(971), "郑州\x00控制字符企业", "金水区", "2026", "12000000", "800000"],  # a repeat of row 2
        [uscc(973), "郑州正常企业有限公司", "金水区", "2026", "12000000", "800000"],
    ]
    table = write_table(tmp_path / "t.csv", header, rows)
    both(POLICY, table, tmp_path / "work", frozenset(), engine=pg_url[0])
    errors = read_csv(tmp_path / "work" / "duckdb" / "errors.csv")
    assert [(e["row"], e["column"]) for e in errors] == [("2", "B"), ("3", "E"), ("4", "A")]
    assert "U+0000" in errors[0]["message_zh"]
    assert {r["uscc"] for r in read_csv(tmp_path / "work" / "duckdb" / "matches.csv")} == {uscc(973)}


def test_a_ctrl_c_while_the_outputs_are_written_stops_both_writers(tmp_path):
    """The two writers (matches.parquet; matches.csv and the sheet) each run a query on their own thread: a
    Ctrl-C interrupts both, waits for them, closes their cursors and is raised as the interrupt it is —
    never DuckDB's "connection is busy" nor a wait without end."""
    import subprocess
    import sys

    probe = tmp_path / "probe.py"
    probe.write_text(
        "import os, signal, duckdb\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)  # as on a terminal\n"
        "from zzcbec_docs.sqlmatch.run import _together\n"
        "con = duckdb.connect()\n"
        "con.execute('SET threads=2')\n"
        "LONG = 'SELECT count(*) FROM range(3000000000) t(x) WHERE x % 7 = 3'\n"
        "def parquet(cur):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    for _ in range(3):\n"
        "        cur.execute(LONG).fetchall()\n"
        "def csv_and_sheet(cur):\n"
        "    for _ in range(3):\n"
        "        cur.execute(LONG).fetchall()\n"
        "for _ in range(4):\n"
        "    try:\n"
        "        _together(con, {'parquet': parquet, 'csv': csv_and_sheet})\n"
        "    except KeyboardInterrupt:\n"
        "        print('interrupted')\n"
        "print(con.execute('SELECT 42').fetchone()[0])\n",
        encoding="utf-8",
    )
    root = Path(__file__).resolve().parents[2]
    r = subprocess.run(
        [sys.executable, str(probe)], capture_output=True, env=dict(os.environ, PYTHONPATH=str(root)), timeout=120
    )
    assert r.stdout.decode().split() == ["interrupted"] * 4 + ["42"], r.stderr.decode()[-800:]
    assert b"Traceback" not in r.stderr


@pytest.mark.parametrize("caught", ["InterruptException", "RuntimeError"])
def test_a_ctrl_c_caught_by_duckdb_is_the_users_interrupt(tmp_path, monkeypatch, caught):
    """DuckDB catches a Ctrl-C that comes while its query runs and raises its own error instead (its
    InterruptException, or "Query interrupted" while a result is fetched): the run says it was interrupted
    (已中止, exit 130), not an internal error, and leaves no folder. Here the pre-filled bundles' query
    meets it."""
    import duckdb

    from zzcbec_docs.cli.main import main
    from zzcbec_docs.sqlmatch import run

    def interrupted(*args: object) -> int:
        if caught == "InterruptException":
            raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")
        raise RuntimeError("Query interrupted")

    monkeypatch.setattr(run, "_write_bundles", interrupted)
    out, err = tmp_path / "out", io.StringIO()
    root = Path(__file__).resolve().parents[2]
    code = main(["match", str(root / "examples" / "enterprises.csv"), "--out", str(out)], io.StringIO(), err)
    assert code == 130, err.getvalue()
    assert "已中止 / aborted" in err.getvalue() and "内部错误" not in err.getvalue()
    assert not out.exists()


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


# ---------------------------------------------------------------- Spark SQL (local[2]), one session for the module


@pytest.fixture(scope="module")
def spark():  # type: ignore[no-untyped-def]
    """The Spark session every Spark test of this module shares (a JVM takes seconds to start), stopped after."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("no java on this machine: `make spark` installs default-jre-headless")
    from zzcbec_docs.sqlmatch import spark as spark_engine

    yield spark_engine.session()
    spark_engine.stop()


SPARK_ROWS = int(os.environ.get("ZZCBEC_SQL_SPARK_ROWS", "120"))
SPARK_SETTINGS = settings(
    max_examples=int(os.environ.get("ZZCBEC_SQL_SPARK_EXAMPLES", "2")),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a Spark run takes seconds: the example unshrunk
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.slow
def test_spark_sql_decides_the_boundary_table_as_the_row_engine(spark, tmp_path):
    """The boundary table (support/table_cases.py), one enterprise on the exclusion list."""
    from table_cases import CASES

    header = list(dict.fromkeys(["uscc", "name", "district", "year", *[k for e, _ in CASES for k in e]]))
    table = write_table(tmp_path / "t.csv", header, [[e.get(c, "") for c in header] for e, _ in CASES])
    both(POLICY, table, tmp_path / "work", frozenset({uscc(718)}), engine="spark")


@pytest.mark.slow
@given(draw=st.data())
@SPARK_SETTINGS
def test_random_tables_are_decided_by_spark_sql_as_by_the_row_engine(spark, draw) -> None:  # type: ignore[no-untyped-def]
    decide_random(POLICY, draw, engine="spark", max_rows=SPARK_ROWS)


@pytest.mark.slow
@given(data=variants(), draw=st.data())
@SPARK_SETTINGS
def test_a_mutated_policy_is_decided_by_spark_sql_as_by_the_row_engine(spark, data, draw) -> None:  # type: ignore[no-untyped-def]
    decide_random(variant_policy(data, draw), draw, engine="spark", max_rows=SPARK_ROWS)


# ---------------------------------------------------------------- the words, once


def test_the_compiler_writes_no_words_of_its_own():
    """Every reason, gap and note is the row engine's wording (rules/wording.py) or the policy's words:
    sqlmatch's compiler and dialect hold no Chinese text to drift from them."""
    from zzcbec_docs.sqlmatch import compiler, dialect

    for module in (compiler, dialect):
        source = Path(module.__file__).read_text(encoding="utf-8")
        words = re.findall(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+", source)
        assert not words, (module.__name__, words[:5])


def test_a_wording_changed_in_one_place_reads_the_same_in_every_engine(tmp_path, monkeypatch):
    """Change the templates the row engine writes with: the compiled query writes the new words too."""
    from zzcbec_docs.rules import wording as W

    from table_cases import CASES

    changed = {
        "GAP_THRESHOLD": W.Wording("gap_threshold", "【{label}】差 {gap}，须{verb}{target}（{boundary}）"),
        "NOTE_UNDECLARED": W.Wording("exclusion_undeclared", "请声明是否{label}（{cite}）"),
        "MISSING_FACT": W.Wording("missing_fact", "{fact}={label}"),
        "NOTE_NEXT_TIER": W.Wording("next_tier", "下一档 {amount}：{label} 差 {gap}（{boundary}）"),
        "ZERO_AMOUNT": W.Wording("zero_amount", "金额为零"),
    }
    for name, wording in changed.items():
        monkeypatch.setattr(W, name, wording)
    monkeypatch.setattr(W, "JOIN", " | ")
    header = list(dict.fromkeys(["uscc", "name", "district", "year", *[k for e, _ in CASES for k in e]]))
    table = write_table(tmp_path / "t.csv", header, [[e.get(c, "") for c in header] for e, _ in CASES])
    both(POLICY, table, tmp_path / "work", frozenset({uscc(718)}))
    text = (tmp_path / "work" / "duckdb" / "matches.csv").read_text(encoding="utf-8-sig")
    assert "】差 " in text and "请声明是否" in text and "=" in text and " | " in text
    assert "还差" not in text and "申报时须如实声明" not in text
