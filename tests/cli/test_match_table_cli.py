"""`zzcbec match TABLE` as a face: it parses, calls matching and formats — the ledger, the engine
and the results' places are the library's (issue 22 point 3)."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest

from zzcbec_docs.errors import ArgumentError
from zzcbec_docs.matching import TableRequest, check_request

from conftest import PG_BASE, PG_UP, uscc


def test_the_results_places_follow_the_request(tmp_path):
    assert TableRequest(out_dir=tmp_path).errors_place == str(tmp_path / "errors.csv")
    pg = "postgresql://u@h/db"
    assert TableRequest(engine=pg, db_table="s.t", into="s.m").errors_place == "s.m_errors"
    assert TableRequest(engine=pg, db_table="s.t", into="s.m", out_dir=tmp_path).errors_place.endswith("errors.csv")


@pytest.mark.parametrize(
    ("request_", "words"),
    [
        (TableRequest(engine="oracle", table_path="t.csv", out_dir=Path("o")), "unknown engine"),
        (TableRequest(table_path="t.csv", db_table="s.t", out_dir=Path("o")), "--table applies"),
        (TableRequest(table_path="t.csv", into="s.m", out_dir=Path("o")), "--into applies"),
        (TableRequest(table_path="t.csv"), "needs --out DIR"),
        (TableRequest(engine="postgresql://u@h/db", db_table="s.t"), "needs --out DIR"),
        (TableRequest(engine="python", out_dir=Path("o")), "give the table"),
        (TableRequest(engine="python", table_path="t.parquet", out_dir=Path("o")), "reads .csv/.xlsx only"),
    ],
)
def test_a_request_that_does_not_fit_together_is_refused_before_anything_is_read(request_, words):
    with pytest.raises(ArgumentError, match=words.replace(".", r"\.")):
        check_request(request_)


@pytest.fixture
def pg_schema():
    if not PG_UP:
        pytest.skip(f"PostgreSQL does not answer at {PG_BASE}")
    import psycopg

    schema = f"zzcli_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield schema
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.mark.postgres
def test_many_bad_rows_written_back_without_out_name_the_errors_table(pg_schema):
    """--into without --out and more bad rows than are listed: the summary names SCHEMA.NAME_errors
    (it raised TypeError on `None / 'errors.csv'`, an internal error, before)."""
    import psycopg

    from zzcbec_docs.cli.main import main

    header = ["uscc", "name", "district", "year", "import_export", "promotion_costs"]
    good = [[uscc(8000 + i), f"企业{i}", "金水区", "2026", "12000000", "800000"] for i in range(3)]
    wrong = lambda code: code[:-1] + ("1" if code[-1] == "0" else "0")  # noqa: E731 - a wrong check character
    bad = [[wrong(uscc(8100 + i)), f"坏企业{i}", "金水区", "2026", "", ""] for i in range(25)]
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {pg_schema}.enterprises ({', '.join(f'{c} TEXT' for c in header)})")
        with conn.cursor().copy(f"COPY {pg_schema}.enterprises FROM STDIN") as cp:
            for row in good + bad:
                cp.write_row(row)
    url = f"{PG_BASE}?options=-csearch_path%3D{pg_schema}"
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["match", "--engine", url, "--table", f"{pg_schema}.enterprises", "--into", f"{pg_schema}.matches"],
        stdout=out,
        stderr=err,
    )
    assert code == 1, err.getvalue()
    assert "内部错误" not in err.getvalue() and "TypeError" not in err.getvalue()
    assert f"共 25 行有误，详见 / all bad rows in {pg_schema}.matches_errors" in err.getvalue()
    assert f"结果已写回 results written to {pg_schema}.matches" in out.getvalue()
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        assert conn.execute(f"SELECT count(*) FROM {pg_schema}.matches_errors").fetchone()[0] >= 25
