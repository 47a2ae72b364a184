"""A district bureau's day on the desk (issue 23, points 2–6), through its HTTP API, on a SQLite file
and on PostgreSQL: the queue and who handles a case, 补正 and resubmission within the same case,
the audit trail (the ledger's own, append-only), bulk award with the 公示 and the 拨付清单, the
inbox and its e-mail, and 免申即享 on sign-in."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from starlette.testclient import TestClient

from conftest import run_cli
from desk_support import ROLES, add_accounts, clause1, expect, sign_in, statuses, two_case_desk

# awards are dated on or after the review that approves them (reviews are dated today): issue 19
TODAY = dt.date.today().isoformat()


@pytest.fixture
def desk(ledger_url):
    """Five accounts; case A (ent-a, 金水区, clause 1) and case B (ent-b, 新郑市, clause 6)."""
    yield from two_case_desk(ledger_url)


def by_role(desk, method: str, path: str, body=None, roles=ROLES) -> dict[str, int]:
    return statuses(desk, method, path, body, roles, follow_redirects=False)


# ---------------------------------------------------------------------- the matrix
def test_the_new_routes_by_role_own_case_and_others(desk):
    A = desk["A"]  # ent-a's, in 金水区: ent-b and the 新郑市 reviewer do not learn it exists
    assert by_role(desk, "GET", "/api/queue") == expect(401, 403, 403, 200, 200, 200)
    assert by_role(desk, "GET", "/api/log") == expect(401, 403, 403, 403, 403, 200)
    assert by_role(desk, "GET", "/log/export.csv") == expect(303, 403, 403, 403, 403, 200)  # a page: to sign-in
    assert by_role(desk, "GET", "/api/inbox") == expect(401, 200, 200, 200, 200, 200)
    # taking: a reviewer of the case's district only
    assert by_role(desk, "POST", f"/api/cases/{A}/take", roles=ROLES[:3] + ROLES[4:]) == {
        "anonymous": 401,
        "ent-a": 403,
        "ent-b": 404,
        "rev-xinzheng": 404,
        "bureau": 403,
    }
    # assigning: the bureau only (and only to a reviewer of the case's district)
    assert by_role(desk, "POST", f"/api/cases/{A}/assign", {"reviewer": "rev-jinshui"}, ROLES[:5]) == {
        "anonymous": 401,
        "ent-a": 403,
        "ent-b": 404,
        "rev-jinshui": 403,
        "rev-xinzheng": 404,
    }
    r = desk["c"]["bureau"].post(f"/api/cases/{A}/assign", json={"reviewer": "rev-xinzheng"})
    assert r.status_code == 422 and "金水区" in r.json()["message_zh"]
    # returning for correction: the district's reviewer and the bureau
    assert by_role(desk, "POST", f"/api/cases/{A}/return", {"reason": "x"}, ROLES[:3] + ROLES[4:5]) == {
        "anonymous": 401,
        "ent-a": 403,
        "ent-b": 404,
        "rev-xinzheng": 404,
    }
    # resubmitting: the case's own enterprise only
    assert by_role(desk, "POST", f"/api/cases/{A}/resubmit", clause1(), ROLES[:1] + ROLES[2:]) == {
        "anonymous": 401,
        "ent-b": 404,
        "rev-jinshui": 403,
        "rev-xinzheng": 404,
        "bureau": 403,
    }
    # bulk actions: the bureau only
    for path, body in (("/api/awards", {"cases": [A]}), ("/api/publicity", {"year": 2026}), ("/api/matches", None)):
        got = by_role(desk, "POST", path, body, ROLES[:5])
        assert got == {"anonymous": 401, "ent-a": 403, "ent-b": 403, "rev-jinshui": 403, "rev-xinzheng": 403}, path
    assert by_role(desk, "GET", "/payments/2026.xlsx") == expect(303, 403, 403, 403, 403, 200)
    for page in ("/queue", "/log", "/awards", "/publicity", "/matches"):
        got = by_role(desk, "GET", page)
        assert got["anonymous"] == 303 and got["ent-a"] == 403 and got["bureau"] == 200, (page, got)
    assert by_role(desk, "GET", "/inbox") == expect(303, 200, 200, 200, 200, 200)
    # 免申即享: each enterprise its own; nobody else has claims
    assert by_role(desk, "GET", "/api/claims") == expect(401, 200, 200, 403, 403, 403)
    # none of the refused calls above left a trace on case A
    events = [e["kind"] for e in desk["c"]["bureau"].get(f"/api/cases/{A}").json()["events"]]
    assert events == ["submitted"]


def test_every_route_names_an_action_of_the_one_matrix(desk):
    from zzcbec_docs.desk import authz

    named = {getattr(r.endpoint, "action", None) for r in desk["app"].app.routes if hasattr(r, "endpoint")}
    assert named - {None} <= set(authz.MATRIX)
    for action in (
        "queue.view",
        "case.take",
        "case.assign",
        "case.return",
        "case.resubmit",
        "bulk.award",
        "publicity.publish",
        "payment.export",
        "audit.view",
        "inbox.view",
        "match.upload",
        "claims.view",
    ):
        assert action in named, action


# ---------------------------------------------------------------------- queue and assignment
def test_a_reviewer_takes_a_case_the_bureau_reassigns_it_and_my_cases_follow(desk):
    c, A = desk["c"], desk["A"]
    q = c["rev-jinshui"].get("/api/queue").json()
    assert [i["id"] for i in q["items"]] == [A] and q["items"][0]["assignee"] is None and q["unassigned"] == 1
    assert q["review_days"] == 20 and q["items"][0]["age"] == 0 and not q["items"][0]["overdue"]
    r = c["rev-jinshui"].post(f"/api/cases/{A}/take")
    assert r.status_code == 201 and r.json()["assignee"] == "rev-jinshui"
    assert c["rev-jinshui"].post(f"/api/cases/{A}/take").status_code == 200  # taking it again changes nothing
    mine = c["rev-jinshui"].get("/api/queue?mine=1").json()
    assert [i["id"] for i in mine["items"]] == [A] and mine["mine"] == 1
    # the bureau reassigns; the case leaves the first reviewer's cases
    from zzcbec_docs.desk import accounts

    accounts.add_user(
        desk["app"].state.desk.ledger,
        "rev-jinshui-2",
        "reviewer",
        "desk-test-password-1",
        districts=("金水区",),
        actor="test",
    )
    r = c["bureau"].post(f"/api/cases/{A}/assign", json={"reviewer": "rev-jinshui-2", "reason": "休假"})
    assert r.status_code == 201 and r.json()["previous"] == "rev-jinshui"
    assert c["rev-jinshui"].get("/api/queue?mine=1").json()["items"] == []
    # the first reviewer can no longer take it back: the bureau decides
    r = c["rev-jinshui"].post(f"/api/cases/{A}/take")
    assert r.status_code == 409 and "rev-jinshui-2" in r.json()["message_zh"]
    kinds = [(e["kind"], e["actor"]) for e in c["bureau"].get(f"/api/cases/{A}").json()["events"]]
    assert kinds == [("submitted", "ent-a"), ("taken", "rev-jinshui"), ("assigned", "bureau")]


def test_the_queue_filters_sorts_pages_and_counts(desk):
    c = desk["c"]
    for n, promo in ((7111, "400000"), (7112, "900000"), (7113, "600000")):
        ent = f"ent-{n}"
        from zzcbec_docs.desk import accounts

        from conftest import uscc

        accounts.add_user(
            desk["app"].state.desk.ledger, ent, "enterprise", "desk-test-password-1", uscc_code=uscc(n), actor="test"
        )
        assert (
            sign_in(TestClient(desk["app"], base_url="http://desk.test"), ent)
            .post("/api/cases", json=clause1(n=n, promotion=promo))
            .status_code
            == 201
        )
    q = c["bureau"].get("/api/queue?sort=amount&order=desc&per_page=2").json()
    assert q["total"] == 5 and q["pages"] == 3 and len(q["items"]) == 2
    assert q["counts"]["submitted"] == 5
    totals = [i["total"] for i in q["items"]]
    assert totals == sorted(totals, key=float, reverse=True)
    page3 = c["bureau"].get("/api/queue?sort=amount&order=desc&per_page=2&page=3").json()
    assert len(page3["items"]) == 1
    assert {i["district"] for i in c["bureau"].get("/api/queue?district=新郑市").json()["items"]} == {"新郑市"}
    assert {tuple(i["clauses"]) for i in c["bureau"].get("/api/queue?clause=6").json()["items"]} == {(6,)}
    cheap = c["bureau"].get("/api/queue?clause=1&max_amount=150,000").json()["items"]
    assert [i["total"] for i in cheap] == ["120000.00"]  # 30% of 400,000
    assert c["bureau"].get("/api/queue?min_age=1").json()["total"] == 0  # nothing has waited a working day yet
    # a reviewer's queue is its districts' only; counts follow the other filters
    rq = c["rev-jinshui"].get("/api/queue").json()
    assert rq["total"] == 4 and {i["district"] for i in rq["items"]} == {"金水区"}
    bad = c["bureau"].get("/api/queue?status=nonsense")
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "?status"
    assert c["bureau"].get("/api/queue?min_amount=abc").status_code == 422


def test_age_counts_working_days_against_the_profiles_time_limit(tmp_path):
    """办理时限 from the issuer profile (here 3 working days): on the third working day after it was
    received a case is due, not overdue; on the fourth it is overdue; a holiday the profile names is
    not counted; a time limit of 0 days is refused with its place."""
    from zzcbec_docs.bundle import parse_bundle
    from zzcbec_docs.documents.issuer import load_issuer
    from zzcbec_docs.ledger import open_ledger
    from zzcbec_docs.policy import load_policy
    from zzcbec_docs.process import submit
    from zzcbec_docs.process.queue import Filters, queue

    from conftest import make_bundle

    profile = tmp_path / "issuer.yaml"
    text = load_issuer().source and open(load_issuer().source, encoding="utf-8").read()
    profile.write_text(text.replace("review_days: 20", "review_days: 3"), encoding="utf-8")
    issuer = load_issuer(str(profile))
    assert issuer.review_days == 3
    ledger = open_ledger(str(tmp_path / "l.db"))
    policy = load_policy(None)
    bundle = parse_bundle(
        json.dumps(make_bundle(1, {"import_export": "12000000", "promotion_costs": "800000"}, n=7120)).encode(),
        "b.json",
        "json",
        policy=policy,
    )
    sub = submit(ledger, bundle, actor="ent", policy=policy)
    received = dt.datetime.fromisoformat(sub.case.submitted_at).astimezone(dt.timezone(dt.timedelta(hours=8))).date()

    def item(today):
        return queue(ledger, issuer, Filters(), today=today).items[0]

    # count forward from the received day to a date 3 working days on, and one beyond
    due = issuer.add_working_days(received, 3)
    assert item(due).age == 3 and not item(due).overdue and item(due).deadline == due
    after = issuer.add_working_days(due, 1)
    assert item(after).overdue and item(after).age == 4
    holiday = issuer.add_working_days(received, 1)
    off = tmp_path / "holiday.yaml"
    off.write_text(
        text.replace("review_days: 20", "review_days: 3").replace("holidays: []", f"holidays: [{holiday.isoformat()}]"),
        encoding="utf-8",
    )
    with_holiday = load_issuer(str(off))
    assert queue(ledger, with_holiday, Filters(), today=due).items[0].age == 2  # the holiday is not counted
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("review_days: 20", "review_days: 0"), encoding="utf-8")
    from zzcbec_docs.errors import ArgumentError

    with pytest.raises(ArgumentError, match="review_days"):
        load_issuer(str(bad))


# ---------------------------------------------------------------------- 补正
def test_a_case_returned_for_correction_is_resubmitted_within_the_same_case(desk):
    c, A = desk["c"], desk["A"]
    first = c["bureau"].get(f"/api/cases/{A}").json()
    c["rev-jinshui"].post(f"/api/cases/{A}/take")
    # an approval before the return: it stops deciding once the case goes back
    assert c["rev-jinshui"].post(f"/api/cases/{A}/reviews", json={"conclusion": "approve"}).status_code == 201
    assert c["rev-jinshui"].post(f"/api/cases/{A}/return", json={"reason": " "}).status_code == 422  # a reason
    r = c["rev-jinshui"].post(f"/api/cases/{A}/return", json={"reason": "推广费发票与合同金额不符，请补充发票"})
    assert r.status_code == 201 and r.json()["status"] == "returned"
    # the enterprise sees the reason on its case page, and the case in its list as 退回补正
    page = c["ent-a"].get(f"/cases/{A}")
    assert "推广费发票与合同金额不符" in page.text and 'href="/apply?correct=' in page.text
    assert c["ent-a"].get("/api/cases").json()[0]["status"] == "returned"
    assert "待补正" in c["bureau"].get("/bureau").text  # the bureau's cases by status show it too
    # nothing to award while it is back with the enterprise
    assert c["bureau"].post(f"/api/cases/{A}/award", json={"date": TODAY}).status_code == 409
    # the same bundle again is no correction
    same = c["ent-a"].post(f"/api/cases/{A}/resubmit", json=clause1())
    assert same.status_code == 409
    moved = clause1(district="新郑市")
    assert c["ent-a"].post(f"/api/cases/{A}/resubmit", json=moved).status_code == 409  # the district stays
    r = c["ent-a"].post(f"/api/cases/{A}/resubmit", json=clause1(promotion="700000"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id"] == A and body["status"] == "submitted"
    assert body["previous_content_sha256"] == first["content_sha256"] != body["content_sha256"]
    now = c["bureau"].get(f"/api/cases/{A}").json()
    assert now["id"] == A and now["total"] == "210000.00" and now["content_sha256"] == body["content_sha256"]
    assert now["bundle"]["claims"][0]["facts"]["promotion_costs"] == "700000.00"
    assert len(now["reviews"]) == 1  # the history keeps the first review …
    # … but it no longer decides: the award waits for a review of the corrected content
    r = c["bureau"].post(f"/api/cases/{A}/award", json={"date": TODAY})
    assert r.status_code == 409 and "审核" in r.json()["message_zh"]
    kinds = [e["kind"] for e in now["events"]]
    assert kinds == ["submitted", "taken", "reviewed", "returned", "corrected"]
    assert c["ent-a"].post(f"/api/cases/{A}/resubmit", json=clause1(promotion="650000")).status_code == 409
    assert c["rev-jinshui"].post(f"/api/cases/{A}/reviews", json={"conclusion": "approve"}).status_code == 201
    r = c["bureau"].post(f"/api/cases/{A}/award", json={"date": TODAY})
    assert r.status_code == 201 and r.json()["total"] == "210000.00", r.text
    # the first content submitted again is still this case, not a new one
    again = c["ent-a"].post("/api/cases", json=clause1())
    assert again.json()["id"] == A and again.status_code == 200
    # the command line shows the same history, the return's reason and where each step came from
    out = run_cli("case", "show", A, "--ledger", desk["url"])
    text = out.stdout.decode()
    assert out.returncode == 0, out.stderr.decode()
    assert "returned" in text and "推广费发票与合同金额不符" in text and "corrected" in text
    assert f"content_sha256={body['content_sha256']}" in text and "from testclient" in text


def test_correction_through_the_form_keeps_the_case(desk):
    c, A = desk["c"], desk["A"]
    c["rev-jinshui"].post(f"/api/cases/{A}/return", json={"reason": "请核对推广费"})
    form = c["ent-a"].get(f"/apply?correct={A}")
    assert form.status_code == 200 and "请核对推广费" in form.text and f'name="correct" value="{A}"' in form.text
    assert c["ent-b"].get(f"/apply?correct={A}").status_code == 404  # not its case
    from desk_support import csrf_of

    values = {
        "csrf": csrf_of(form.text),
        "correct": A,
        "action": "submit",
        "year": "2026",
        "applicant.name": "测试企业7101有限公司",
        "applicant.district": "金水区",
        "applicant.etrade_core_zone_policy": "false",
        "c1.import_export": "12000000",
        "c1.promotion_costs": "500000",
    }
    r = c["ent-a"].post("/apply", data=values, follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    assert r.headers["location"] == f"/cases/{A}?submitted=corrected"
    assert c["ent-a"].get(f"/api/cases/{A}").json()["total"] == "150000.00"


# ---------------------------------------------------------------------- the audit trail
def test_each_step_records_who_when_and_from_where_in_the_ledgers_own_trail(desk):
    from sqlalchemy import text

    c, A = desk["c"], desk["A"]
    c["rev-jinshui"].post(f"/api/cases/{A}/take")
    c["rev-jinshui"].post(f"/api/cases/{A}/reviews", json={"conclusion": "approve", "remarks": "=HYPERLINK(1)"})
    page = c["bureau"].get(f"/cases/{A}").text
    assert "经办记录" in page and "testclient" in page and "受理" in page
    log = c["bureau"].get("/api/log?kind=reviewed").json()
    assert log["total"] == 1 and log["items"][0]["actor"] == "rev-jinshui"
    assert log["items"][0]["address"] == "testclient" and log["items"][0]["case_id"] == A
    assert c["bureau"].get("/api/log?actor=ent-b").json()["total"] == 1  # case B's submission
    assert c["bureau"].get("/api/log?district=金水区").json()["total"] == 3
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert c["bureau"].get(f"/api/log?since={tomorrow}").json()["total"] == 0
    assert c["bureau"].get("/api/log?since=2026-13-01").status_code == 422
    # the trail is the ledger's events table itself, and the database refuses to edit it
    ledger = desk["app"].state.desk.ledger
    with ledger.engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, actor, address FROM zzcbec_events ORDER BY id")).all()
    assert [tuple(r) for r in rows][-2:] == [
        ("taken", "rev-jinshui", "testclient"),
        ("reviewed", "rev-jinshui", "testclient"),
    ]
    for sql in ("UPDATE zzcbec_events SET actor = 'x'", "DELETE FROM zzcbec_events"):
        with pytest.raises(Exception, match="append-only"), ledger.engine.begin() as conn:
            conn.execute(text(sql))


def test_the_action_log_exports_are_formula_safe(desk):
    from openpyxl import load_workbook

    c, A = desk["c"], desk["A"]
    c["rev-jinshui"].post(f"/api/cases/{A}/return", json={"reason": "=1+1 @SUM(A1) -2 +3"})
    raw = c["bureau"].get("/log/export.csv?kind=returned")
    assert raw.status_code == 200 and raw.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.content.decode("utf-8-sig"))))
    assert rows[1][5] == "退回补正" and rows[1][7] == A
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
    assert any(cell.startswith("理由：=1+1") for cell in rows[1])  # written as it was given, not computed
    x = c["bureau"].get("/log/export.xlsx")
    wb = load_workbook(io.BytesIO(x.content))
    cells = [cell for r in wb.active.iter_rows() for cell in r]
    assert all(cell.data_type == "s" for cell in cells if cell.value is not None)
    assert any("=1+1" in str(cell.value) for cell in cells)


# ---------------------------------------------------------------------- bulk award, 公示, 拨付清单
def _enterprise(desk, n: int, promotion: str):
    from zzcbec_docs.desk import accounts

    from conftest import uscc

    accounts.add_user(
        desk["app"].state.desk.ledger, f"ent-{n}", "enterprise", "desk-test-password-1", uscc_code=uscc(n), actor="test"
    )
    client = sign_in(TestClient(desk["app"], base_url="http://desk.test"), f"ent-{n}")
    r = client.post("/api/cases", json=clause1(n=n, promotion=promotion))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_the_bureau_awards_in_bulk_each_case_on_its_own(desk):
    from openpyxl import load_workbook

    c, A, B = desk["c"], desk["A"], desk["B"]
    C = _enterprise(desk, 7131, "500000")
    D = _enterprise(desk, 7132, "600000")
    for case in (A, C):
        assert c["rev-jinshui"].post(f"/api/cases/{case}/reviews", json={"conclusion": "approve"}).status_code == 201
    assert (
        c["rev-jinshui"]
        .post(f"/api/cases/{D}/reviews", json={"conclusion": "reject", "remarks": "推广费无发票"})
        .status_code
        == 201
    )
    # B has no review: it cannot be awarded, and says why; D was rejected; A and C are awarded
    r = c["bureau"].post("/api/awards", json={"cases": [A, B, C, D, "no-such-case"], "date": TODAY})
    assert r.status_code == 200, r.text
    out = r.json()
    assert [x["case"] for x in out["awarded"]] == [A, C]
    numbers = [x["number"] for x in out["awarded"]]
    assert len(set(numbers)) == 2 and all(n.startswith(f"郑商务〔{TODAY[:4]}〕") for n in numbers)
    assert out["total"] == "390000.00"  # 240,000 + 150,000
    why = {x["case"]: " ".join(x["reasons"]) for x in out["refused"]}
    assert set(why) == {B, D, "no-such-case"}
    assert "审核" in why[B] and "不同意" in why[D] and "没有案件" in why["no-such-case"]
    assert c["bureau"].get(f"/api/cases/{B}").json()["status"] == "submitted"  # untouched
    # the same batch again awards nothing twice
    again = c["bureau"].post("/api/awards", json={"cases": [A], "date": TODAY}).json()
    assert again["awarded"] == [] and "已奖励" in again["refused"][0]["reasons"][0]
    assert c["bureau"].post("/api/awards", json={"cases": [A]}).status_code == 422  # one date, given
    # the 公示 from the desk: a PDF and a DOCX kept, and an event in the ledger's trail
    r = c["bureau"].post("/api/publicity", json={"year": 2026, "start": "2026-03-03", "days": 5})
    assert r.status_code == 201, r.text
    pub = r.json()
    assert pub["entries"] == 2 and pub["total"] == "390000.00"
    pdf = c["bureau"].get(f"/publicity/{pub['id']}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    import hashlib

    assert hashlib.sha256(pdf.content).hexdigest() == pub["sha256"]
    assert c["bureau"].get("/api/log?kind=published").json()["items"][0]["actor"] == "bureau"
    # the 拨付清单: payee, bank, account, city and district shares, every cell text
    x = c["bureau"].get("/payments/2026.xlsx")
    assert x.status_code == 200
    ws = load_workbook(io.BytesIO(x.content)).active
    rows = [[cell.value for cell in r] for r in ws.iter_rows()]
    assert rows[0][3].startswith("收款单位") and rows[0][6].startswith("银行账号")
    assert [r[1] for r in rows[1:3]] == numbers
    assert rows[1][3] == "测试企业7101有限公司" and rows[1][5] == "中国银行郑州分行"
    assert rows[1][6] == "6217000000000000001"  # all 19 digits, as text
    assert rows[1][9] == "240,000.00" and rows[-1][9] == "390,000.00"
    from decimal import Decimal

    for r in rows[1:3]:  # the city's and the district's shares add up to the award (clause 16)
        assert Decimal(r[10].replace(",", "")) + Decimal(r[11].replace(",", "")) == Decimal(r[9].replace(",", ""))
    assert all(cell.data_type == "s" for r in ws.iter_rows() for cell in r if cell.value is not None)


def test_bulk_award_through_the_form_confirms_the_total_first(desk):
    from desk_support import csrf_of

    c, A = desk["c"], desk["A"]
    c["rev-jinshui"].post(f"/api/cases/{A}/reviews", json={"conclusion": "approve"})
    page = c["bureau"].get("/awards")
    assert page.status_code == 200 and A in page.text
    token = csrf_of(page.text)
    confirm = c["bureau"].post("/awards", data={"csrf": token, "case": [A], "date": TODAY, "action": "confirm"})
    assert confirm.status_code == 200 and "240,000.00 元" in confirm.text and 'value="award"' in confirm.text
    assert c["bureau"].get(f"/api/cases/{A}").json()["status"] == "approved"  # nothing done yet
    done = c["bureau"].post("/awards", data={"csrf": token, "case": [A], "date": TODAY, "action": "award"})
    assert done.status_code == 200 and "奖励 1 件" in done.text
    assert c["bureau"].get(f"/api/cases/{A}").json()["status"] == "awarded"


# ---------------------------------------------------------------------- the inbox and e-mail
def test_each_account_hears_of_its_cases_in_its_inbox(desk):
    c, A = desk["c"], desk["A"]
    assert [m["kind"] for m in c["rev-jinshui"].get("/api/inbox").json()["items"]] == ["submitted"]
    assert c["rev-xinzheng"].get("/api/inbox").json()["items"][0]["case_id"] == desk["B"]  # its district only
    c["rev-jinshui"].post(f"/api/cases/{A}/take")
    c["rev-jinshui"].post(f"/api/cases/{A}/return", json={"reason": "请补充推广费发票"})
    c["ent-a"].post(f"/api/cases/{A}/resubmit", json=clause1(promotion="700000"))
    c["rev-jinshui"].post(f"/api/cases/{A}/reviews", json={"conclusion": "approve"})
    c["bureau"].post(f"/api/cases/{A}/award", json={"date": TODAY})
    c["bureau"].post(f"/api/cases/{A}/revoke", json={"reason": "材料不实"})
    ent = c["ent-a"].get("/api/inbox").json()
    assert [m["kind"] for m in ent["items"]] == ["revoked", "awarded", "reviewed", "returned", "taken"]
    assert ent["unread"] == 5 and "请补充推广费发票" in ent["items"][3]["what"]
    rev = c["rev-jinshui"].get("/api/inbox").json()
    assert [m["kind"] for m in rev["items"]] == ["revoked", "awarded", "corrected", "submitted"]
    assert [m["kind"] for m in c["bureau"].get("/api/inbox").json()["items"]] == ["reviewed", "corrected", "returned"]
    assert c["ent-b"].get("/api/inbox").json()["items"] == []  # nothing of ent-a's reaches ent-b
    page = c["ent-a"].get("/inbox")
    assert page.status_code == 200 and "退回补正" in page.text and "请补充推广费发票" in page.text
    assert c["ent-a"].get("/api/inbox").json()["unread"] == 0  # read once shown


def test_mail_goes_through_the_configured_smtp_server_and_a_failure_never_fails_the_step(ledger_url, monkeypatch):
    from zzcbec_docs.desk.app import create_app

    from smtp_support import SmtpServer

    add_accounts(ledger_url)
    with SmtpServer() as smtp:
        monkeypatch.setenv("ZZCBEC_SMTP", f"127.0.0.1:{smtp.port}")
        monkeypatch.setenv("ZZCBEC_SMTP_FROM", "desk@zzcbec.test")
        app = create_app(ledger_url)
        ent = sign_in(TestClient(app, base_url="http://desk.test"), "ent-a")
        rev = sign_in(TestClient(app, base_url="http://desk.test"), "rev-jinshui")
        assert rev.post("/api/inbox/email", json={"email": "rev@zzcbec.test"}).status_code == 200
        assert ent.post("/api/inbox/email", json={"email": "ent-a@zzcbec.test"}).status_code == 200
        assert ent.post("/api/inbox/email", json={"email": "not an address"}).status_code == 422
        case = ent.post("/api/cases", json=clause1()).json()["id"]
        assert [(m[0], m[1]) for m in smtp.messages] == [("desk@zzcbec.test", ["rev@zzcbec.test"])]
        assert "提交申报" in smtp.messages[0][2]["Subject"] and case in smtp.messages[0][2].get_content()
        rev.post(f"/api/cases/{case}/return", json={"reason": "请补充发票"})
        assert smtp.messages[-1][1] == ["ent-a@zzcbec.test"] and "请补充发票" in smtp.messages[-1][2].get_content()
        assert rev.get("/api/inbox").json()["items"][0]["mail"] == "sent"
        # the mail server goes down: the step is still done, the failure is in the inbox
        smtp.refuse = True
        r = ent.post(f"/api/cases/{case}/resubmit", json=clause1(promotion="700000"))
        assert r.status_code == 201
        failed = rev.get("/api/inbox").json()["items"][0]
        assert failed["kind"] == "corrected" and failed["mail"].startswith("failed")
        app.state.desk.ledger.engine.dispose()
    # no server at all (its port closed): still done, still shown
    r = rev.post(f"/api/cases/{case}/take")
    assert r.status_code == 201


# ---------------------------------------------------------------------- 免申即享
TABLE = (
    "uscc,name,district,year,etrade_core_zone_policy,import_export,promotion_costs,uses_zz_logistics,"
    "intl_logistics_costs\n"
    "{a},测试企业7101有限公司,金水区,2026,否,12000000,800000,是,1500000\n"
    "{b},测试企业7102有限公司,新郑市,2026,否,30000000,,是,2500000\n"
)


def test_an_enterprise_in_the_bureaus_match_sees_what_it_may_claim_and_applies_in_one_click(desk):
    from desk_support import ENT_A, ENT_B, csrf_of

    c = desk["c"]
    assert c["ent-a"].get("/api/claims").json() == {"match": None, "years": []}
    table = TABLE.format(a=ENT_A, b=ENT_B).encode()
    r = c["bureau"].post("/api/matches?name=enterprises.csv", content=table, headers={"content-type": "text/csv"})
    assert r.status_code == 201, r.text
    assert r.json()["rows"] == 2 and r.json()["bad_rows"] == 0
    claims = c["ent-a"].get("/api/claims").json()
    (year,) = claims["years"]
    assert [(x["clause"], x["amount"]) for x in year["eligible"]] == [(1, "240000.00")]
    # clause 6 is short of its threshold: what is missing, in the clause's words
    six = next(x for x in year["other"] if x["clause"] == 6)
    assert any("2,000,000" in g or "200万" in g for g in six["gaps"]), six
    # ent-b sees its own, never ent-a's
    assert [x["clause"] for x in c["ent-b"].get("/api/claims").json()["years"][0]["eligible"]] == [6]
    page = c["ent-a"].get("/apply")
    assert "免申即享" in page.text and "240,000.00 元" in page.text and f"/apply?claim={year['key']}" in page.text
    filled = c["ent-a"].get(f"/apply?claim={year['key']}")
    assert filled.status_code == 200 and 'value="800000' in filled.text
    theirs = c["ent-b"].get(f"/apply?claim={year['key']}")  # the same key gives each enterprise its own line
    assert theirs.status_code == 200 and 'value="800000' not in theirs.text and 'value="2500000' in theirs.text
    assert c["ent-a"].get(f"/apply?claim={claims['match']}-2019").status_code == 404
    form = {
        "csrf": csrf_of(filled.text),
        "action": "submit",
        "year": "2026",
        "applicant.name": "测试企业7101有限公司",
        "applicant.district": "金水区",
        "applicant.etrade_core_zone_policy": "false",
        "c1.import_export": "12000000",
        "c1.promotion_costs": "800000",
    }
    r = c["ent-a"].post("/apply", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?submitted=new"), r.text[:500]
    new = r.headers["location"].split("/")[2].split("?")[0]
    assert c["ent-a"].get(f"/api/cases/{new}").json()["total"] == "240000.00"
    # the bureau's totals by district and clause, and the charts drawn on the server
    t = c["bureau"].get("/api/matches").json()
    b6 = c["ent-b"].get("/api/claims").json()["years"][0]["eligible"][0]["amount"]  # what ent-b was told
    from decimal import Decimal

    assert Decimal(t["total"]) == Decimal("240000.00") + Decimal(b6)  # the totals add up to what each was told
    assert t["by_district"] == {"新郑市": b6, "金水区": "240000.00"} and t["by_clause"] == {"1": "240000.00", "6": b6}
    html = c["bureau"].get("/matches").text
    assert html.count("<svg") == 3 and "可申报金额（按区县）" in html and "<script" not in html.split("<main ")[1]
    bad = c["bureau"].post(
        "/api/matches?name=t.csv", content=b"uscc,nonsense\n1,2\n", headers={"content-type": "text/csv"}
    )
    assert bad.status_code == 422 and "nonsense" in bad.text
