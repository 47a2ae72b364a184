"""Random sequences of submit / review / award / revoke on random bundles of a few applicants
(hypothesis, stateful), on a SQLite file and on the PostgreSQL server. Whatever the order:

- no applicant's standing awards ever pass a cap (clause 1: ¥500,000 a year; clause 10: ¥10,000 a year);
- every award rests on an approving latest review, or on none (never on a rejection);
- notice numbers are gapless per issuer and year.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from zzcbec_docs import process
from zzcbec_docs.bundle import parse_bundle
from zzcbec_docs.ledger import open_ledger
from zzcbec_docs.ledger import schema as s
from zzcbec_docs.policy import load_policy
from zzcbec_docs.process import ReviewInput, VerifiedClaim

from conftest import PG_BASE, PG_UP, make_bundle

POLICY = load_policy()
CAPS = {1: Decimal("500000"), 10: Decimal("10000")}


def bundle(applicant: int, clause: int, figure: int):  # type: ignore[no-untyped-def]
    facts = (
        {"import_export": "30000000", "promotion_costs": str(figure)}
        if clause == 1
        else {"in_incubation_program": True, "requested": str(figure)}
    )
    data = make_bundle(clause, facts, n=200 + applicant)
    return parse_bundle(
        json.dumps(data, ensure_ascii=False).encode(), f"b{applicant}-{clause}-{figure}.json", policy=load_policy()
    )


class Desk(RuleBasedStateMachine):
    url: str = ""

    def __init__(self) -> None:
        super().__init__()
        self.ledger = open_ledger(self.url_for_run())
        self.cases: list[str] = []
        self.numbers: list[str] = []

    def url_for_run(self) -> str:
        return self.url

    @rule(
        applicant=st.integers(0, 2),
        clause=st.sampled_from([1, 10]),
        figure=st.sampled_from([100000, 600000, 1000000, 2000000, 3000, 8000, 12000]),
    )
    def submit(self, applicant: int, clause: int, figure: int) -> None:
        sub = process.submit(self.ledger, bundle(applicant, clause, figure), actor="hyp", policy=POLICY)
        if sub.case.id not in self.cases:
            self.cases.append(sub.case.id)

    @precondition(lambda self: self.cases)
    @rule(data=st.data(), conclusion=st.sampled_from(["approve", "partial", "reject"]), cut=st.booleans())
    def review(self, data, conclusion: str, cut: bool) -> None:  # type: ignore[no-untyped-def]
        case_id = data.draw(st.sampled_from(self.cases))
        detail = process.get_case(self.ledger, case_id, POLICY)
        claim = detail.bundle.claims[0]
        verified = ()
        if cut:  # the reviewer verifies a smaller figure
            fact = "promotion_costs" if claim.clause == 1 else "requested"
            verified = (VerifiedClaim(claim.clause, None, {fact: str(claim.facts[fact] / 2)}),)
        record = ReviewInput(
            reviewer="审核员", conclusion=conclusion, verified=verified, remarks="随机审核", reviewed_on=dt.date.today()
        )  # on or after the submission (issue 19)
        try:
            process.review(self.ledger, case_id, record, actor="hyp", policy=POLICY)
        except (process.ReviewRefused, process.CaseAwardedStands):  # an awarded case takes no review (issue 19)
            pass

    @precondition(lambda self: self.cases)
    @rule(data=st.data())
    def award(self, data) -> None:  # type: ignore[no-untyped-def]
        case_id = data.draw(st.sampled_from(self.cases))
        detail = process.get_case(self.ledger, case_id, POLICY)
        revoked = [n.number for n in detail.notices if n.revoked]
        reissue = revoked[-1] if revoked and data.draw(st.booleans()) else None
        try:
            out = process.award(
                self.ledger, case_id, actor="hyp", policy=POLICY, date=dt.date.today(), reissue_of=reissue
            )
            self.numbers.append(out.number)
        except process.NotAwardable:
            pass

    @precondition(lambda self: self.numbers)
    @rule(data=st.data())
    def revoke(self, data) -> None:  # type: ignore[no-untyped-def]
        number = data.draw(st.sampled_from(self.numbers))
        try:
            process.revoke(self.ledger, number, reason="随机撤销", actor="hyp")
        except Exception as e:  # noqa: BLE001 - only "already revoked" may be refused
            assert "already revoked" in str(e)

    def teardown(self) -> None:
        self.ledger.engine.dispose()

    @invariant()
    def caps_hold(self) -> None:
        totals: dict[tuple, Decimal] = defaultdict(Decimal)
        for a in self.ledger.awards():
            if not a.revoked:
                totals[(a.uscc, a.clause, a.year)] += a.amount
        for (_, clause, _), total in totals.items():
            assert total <= CAPS[clause], (clause, total)

    @invariant()
    def awards_rest_on_an_approving_review_or_none(self) -> None:
        with self.ledger.engine.connect() as conn:
            events = conn.execute(s.events.select().order_by(s.events.c.id)).all()
        latest: dict[str, str | None] = {}
        for e in events:
            d = json.loads(e.detail)
            if e.kind == "reviewed":
                latest[e.case_id] = d["conclusion"]
            elif e.kind == "awarded":
                assert latest.get(e.case_id) in (None, "approve", "partial"), (e.case_id, latest.get(e.case_id))

    @invariant()
    def numbers_are_gapless(self) -> None:
        seqs = defaultdict(list)
        with self.ledger.engine.connect() as conn:
            for n in conn.execute(s.notices.select()).all():
                seqs[(n.issuer_code, n.notice_year)].append(n.seq)
        for got in seqs.values():
            assert sorted(got) == list(range(1, len(got) + 1))


SETTINGS = settings(
    max_examples=int(os.environ.get("ZZCBEC_PROCESS_EXAMPLES", "10")),  # `make test-fast`: fewer sequences
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_random_process_on_sqlite(tmp_path):
    class OnSqlite(Desk):
        def url_for_run(self) -> str:
            return str(tmp_path / f"{uuid.uuid4().hex}.db")

    OnSqlite.TestCase.settings = SETTINGS
    OnSqlite.TestCase().runTest()


@pytest.mark.slow
def test_random_process_on_postgresql():
    if not PG_UP:
        pytest.skip(f"PostgreSQL does not answer at {PG_BASE}")
    import psycopg

    made = []

    class OnPostgres(Desk):
        def url_for_run(self) -> str:
            schema = f"zz_h{uuid.uuid4().hex[:10]}"
            with psycopg.connect(PG_BASE, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
            made.append(schema)
            return f"{PG_BASE}?options=-csearch_path%3D{schema}"

    OnPostgres.TestCase.settings = settings(SETTINGS, max_examples=4)
    try:
        OnPostgres.TestCase().runTest()
    finally:
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            for schema in made:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
