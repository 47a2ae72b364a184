"""Two `zzcbec serve` processes on two ports, one PostgreSQL ledger: sessions are shared, and two
officers awarding two cases of one applicant at the same moment never pass the clause's cap."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest

from conftest import PG_UP
from desk_support import ENT_A, PASSWORD, Server, add_accounts, clause1, pg_schema, sign_in

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not PG_UP, reason="PostgreSQL does not answer on 127.0.0.1:5432"),
]


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    with pg_schema() as url:
        add_accounts(url)
        from zzcbec_docs.desk import accounts
        from zzcbec_docs.ledger import open_ledger

        ledger = open_ledger(url)
        accounts.add_user(ledger, "bureau-2", "bureau", PASSWORD, actor="test")
        ledger.engine.dispose()
        logs = tmp_path_factory.mktemp("logs")
        with Server(url, log=logs / "one.log") as one, Server(url, log=logs / "two.log") as two:
            yield one, two


def test_a_session_made_on_one_server_works_on_the_other(two_servers):
    one, two = two_servers
    c1 = sign_in(one.client(), "ent-a")
    r = c1.post("/api/cases", json=clause1(n=7101, promotion="300000"))
    assert r.status_code == 201
    with two.client() as c2:
        c2.cookies.set("zzdesk_session", c1.cookies.get("zzdesk_session"))
        seen = c2.get("/api/cases")
        assert seen.status_code == 200 and r.json()["id"] in {c["id"] for c in seen.json()}
        assert c2.post("/api/logout").status_code == 200  # signed out on the second server…
    assert c1.get("/api/cases").status_code == 401  # …is signed out on the first
    c1.close()


def test_two_officers_on_two_servers_never_pass_a_cap(two_servers):
    one, two = two_servers
    # clause 1 pays at most 500,000 a year: 30% of 1,200,000 is 360,000 and 30% of 1,000,000 is 300,000
    ent = sign_in(one.client(), "ent-a")
    ids = []
    for promotion in ("1200000", "1000000"):
        r = ent.post("/api/cases", json=clause1(n=7101, promotion=promotion, year=2025))
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    reviewer = sign_in(two.client(), "rev-jinshui")
    for case_id in ids:
        assert reviewer.post(f"/api/cases/{case_id}/reviews", json={"conclusion": "approve"}).status_code == 201
    officers = [sign_in(one.client(), "bureau"), sign_in(two.client(), "bureau-2")]
    start = threading.Barrier(2)
    answers: list = [None, None]

    def award(i: int) -> None:
        start.wait()
        answers[i] = officers[i].post(
            f"/api/cases/{ids[i]}/award", json={"date": date.today().isoformat()}
        )  # not before the reviews (today)

    threads = [threading.Thread(target=award, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    codes = sorted(a.status_code for a in answers)
    assert codes in ([201, 201], [201, 409]), [a.text for a in answers]
    paid = sum(Decimal(a.json()["total"]) for a in answers if a.status_code == 201)
    assert paid == Decimal("500000.00")  # the first in full, the second only what the cap leaves
    # the ledger agrees, whichever server is asked
    cases = officers[1].get("/api/cases", params={"status": "awarded"}).json()
    assert sum(Decimal(c["total"]) for c in cases if c["uscc"] == ENT_A and c["year"] == 2025) == paid
    for c in (ent, reviewer, *officers):
        c.close()
