"""What a submission costs the ledger: each look at the ledger (before the case is recorded, and as the new
case sees it) finds the notices of the case, its contents and its bytes in one query, not one a key —
on PostgreSQL each statement is a round trip (benchmarks/bench_desk.py: submission p95)."""

from __future__ import annotations

from sqlalchemy import event

from desk_support import clause1, two_case_desk


def test_a_submission_reads_the_notices_once_per_look_at_the_ledger(tmp_path):
    gen = two_case_desk(str(tmp_path / "desk.db"))
    desk = next(gen)
    engine = desk["app"].state.desk.ledger.engine
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        r = desk["c"]["ent-a"].post("/api/cases", json=clause1(promotion="650000"))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert r.status_code == 201, r.text
    from zzcbec_docs.ledger.schema import notices as table

    notices = [s for s in statements if s.startswith(f"SELECT {table.name}.id, ")]  # the notices' rows
    assert len(notices) == 2, notices  # the ledger before the case is recorded, and as the new case sees it
    next(gen, None)
