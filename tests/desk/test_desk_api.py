"""The desk's HTTP API, as desk.md states it: every route × every role × own case and other's case,
on a SQLite file and on PostgreSQL; then the security a bureau's IT asks about."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from conftest import SAMPLES, run_cli, write_bundle
from desk_support import ENT_A, ROLES, clause1, expect, statuses, two_case_desk

# awards are dated on or after the review that approves them (reviews are dated today): issue 19
TODAY = dt.date.today().isoformat()


@pytest.fixture
def desk(ledger_url):
    """A desk with five accounts, case A (ent-a, 金水区, clause 1) and case B (ent-b, 新郑市, clause 6)."""
    yield from two_case_desk(ledger_url)


def test_reading_routes_by_role_own_and_others(desk):
    A = desk["A"]
    # case A belongs to ent-a and lies in 金水区: ent-b and the 新郑市 reviewer do not learn it exists
    assert statuses(desk, "GET", f"/api/cases/{A}") == expect(401, 200, 404, 200, 404, 200)
    assert statuses(desk, "GET", f"/api/cases/{A}/documents/application.docx") == expect(401, 200, 404, 200, 404, 200)
    # an unknown case looks exactly like somebody else's
    assert statuses(desk, "GET", "/api/cases/no-such-case") == expect(401, 404, 404, 404, 404, 404)
    # the list: each sees only its own
    lists = {role: desk["c"][role].get("/api/cases") for role in ROLES}
    assert lists["anonymous"].status_code == 401
    ids = {role: {c["id"] for c in r.json()} for role, r in lists.items() if role != "anonymous"}
    assert ids == {
        "ent-a": {A},
        "ent-b": {desk["B"]},
        "rev-jinshui": {A},
        "rev-xinzheng": {desk["B"]},
        "bureau": {A, desk["B"]},
    }
    row = next(c for c in lists["bureau"].json() if c["id"] == A)
    assert row == {
        "id": A,
        "uscc": ENT_A,
        "applicant": "测试企业7101有限公司",
        "district": "金水区",
        "year": 2026,
        "status": "submitted",
        "total": "240000.00",
    }


def test_writing_routes_refused_by_role_own_and_others(desk):
    A = desk["A"]
    denied = lambda *allowed: [r for r in ROLES if r not in allowed]  # noqa: E731 - the allowed act in the next test
    review = {"conclusion": "approve", "verified": [], "remarks": "核实无误"}
    assert statuses(desk, "POST", f"/api/cases/{A}/reviews", review, denied("rev-jinshui", "bureau")) == {
        "anonymous": 401,
        "ent-a": 403,
        "ent-b": 404,
        "rev-xinzheng": 404,
    }
    for action in ("award", "revoke"):
        assert statuses(desk, "POST", f"/api/cases/{A}/{action}", {"reason": "x"}, denied("bureau")) == {
            "anonymous": 401,
            "ent-a": 403,
            "ent-b": 404,
            "rev-jinshui": 403,
            "rev-xinzheng": 404,
        }, action
    # submitting: enterprises only, and only for their own USCC
    assert statuses(desk, "POST", "/api/cases", clause1(promotion="900000")) == expect(401, 201, 403, 403, 403, 403)
    # nothing above changed case A
    case = desk["c"]["bureau"].get(f"/api/cases/{A}").json()
    assert case["status"] == "submitted" and case["reviews"] == [] and case["notices"] == []


def test_the_process_through_the_api(desk):
    c, A = desk["c"], desk["A"]
    # award before any review: 409 with the reason
    r = c["bureau"].post(f"/api/cases/{A}/award", json={"date": TODAY})
    assert r.status_code == 409 and r.json()["errors"]
    # the district reviewer verifies a lower figure: the opinion recomputes (30% of 500,000)
    r = c["rev-jinshui"].post(
        f"/api/cases/{A}/reviews",
        json={
            "conclusion": "partial",
            "remarks": "推广费核减",
            "verified": [{"clause": 1, "facts": {"promotion_costs": "500000"}}],
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["total"] == "150000.00" and r.json()["status"] == "approved"
    assert statuses(desk, "GET", f"/api/cases/{A}/documents/opinion.docx") == expect(401, 403, 404, 200, 404, 200)
    # the notice before the award does not exist for anyone
    assert c["ent-a"].get(f"/api/cases/{A}/documents/notice.docx").status_code in (404, 409)
    # an award dated before the review that approves it: 422 at the request's own field, nothing awarded
    before = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    r = c["bureau"].post(f"/api/cases/{A}/award", json={"date": before})
    assert r.status_code == 422 and [e["path"] for e in r.json()["errors"]] == ["/date"], r.text
    assert c["bureau"].get(f"/api/cases/{A}").json()["notices"] == []
    r = c["bureau"].post(f"/api/cases/{A}/award", json={"date": TODAY})
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    assert number.startswith(f"郑商务〔{TODAY[:4]}〕") and r.json()["total"] == "150000.00"
    assert c["bureau"].post(f"/api/cases/{A}/award", json={}).status_code == 409  # never twice
    pdf = c["ent-a"].get(f"/api/cases/{A}/documents/notice.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert "attachment" in pdf.headers["content-disposition"]
    assert statuses(desk, "GET", f"/api/cases/{A}/documents/notice.docx") == expect(401, 200, 404, 200, 404, 200)
    shown = c["ent-a"].get(f"/api/cases/{A}")
    case = shown.json()
    assert case["status"] == "awarded" and case["notices"][0]["number"] == number
    assert "奖励台账" in shown.text  # the decision counted the ledger, and says so…
    assert "奖励台账 奖励台账" not in shown.text  # named once, not the placeholder beside the word
    assert "ledger.db" not in shown.text and "127.0.0.1" not in shown.text  # …without naming its file or server
    assert case["reviews"][0]["conclusion"] == "partial"
    # revocation frees the cap; the case says so
    r = c["bureau"].post(f"/api/cases/{A}/revoke", json={"reason": "材料不实"})
    assert r.status_code == 201 and r.json()["number"] == number
    assert c["bureau"].get(f"/api/cases/{A}").json()["status"] == "revoked"


@pytest.mark.slow
def test_an_invalid_bundle_gets_the_errors_check_gives(desk, tmp_path):
    bad = clause1()
    bad["claims"][0]["facts"]["import_export"] = "12,000,000"
    bad["applicant"]["district"] = "火星区"
    r = desk["c"]["ent-a"].post(
        "/api/cases", content=json.dumps(bad, ensure_ascii=False).encode(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    cli = run_cli("check", "--json", str(write_bundle(tmp_path / "bad.json", bad)))
    expected = json.loads(cli.stdout.decode())["errors"]
    assert [(e["path"], e["message"]) for e in r.json()["errors"]] == [(e["path"], e["message"]) for e in expected]
    assert {e["path"] for e in r.json()["errors"]} >= {"/claims/0/facts/import_export", "/applicant/district"}
    # YAML is a bundle too, and broken text is a 422 with a place, never a 500
    yaml_text = (SAMPLES / "clause01-eligible.yaml").read_bytes()
    r = desk["c"]["ent-a"].post("/api/cases", content=yaml_text, headers={"content-type": "application/yaml"})
    assert r.status_code == 403  # a valid bundle, but another applicant's USCC
    for body in (b"{", b"\xff\xfe", b"[]", b"claims: [", b'{"year": 1e400}'):
        r = desk["c"]["ent-a"].post("/api/cases", content=body)
        assert r.status_code == 422 and r.json()["errors"][0]["path"], body


def test_bad_review_and_award_bodies_are_422_with_pointers(desk):
    c, A = desk["c"], desk["A"]
    cases = [
        ({"conclusion": "maybe"}, "/conclusion"),
        (
            {"conclusion": "approve", "verified": [{"clause": 1, "facts": {"promotion_costs": "-5"}}]},
            "/verified/0/facts/promotion_costs",
        ),
        ({"conclusion": "approve", "verified": [{"clause": 6, "facts": {}}]}, "/verified/0/clause"),
        ({"conclusion": "approve", "verified": "all"}, "/verified"),
        # approve while the verified figures give nothing: refused by the process
        ({"conclusion": "approve", "verified": [{"clause": 1, "facts": {"import_export": "100"}}]}, "/conclusion"),
    ]
    for body, pointer in cases:
        r = c["rev-jinshui"].post(f"/api/cases/{A}/reviews", json=body)
        assert r.status_code == 422, (body, r.text)
        assert pointer in {e["path"] for e in r.json()["errors"]}, (body, r.json())
        assert " / " in r.json()["error"]  # Chinese and English
    r = c["bureau"].post(f"/api/cases/{A}/award", json={"date": "2026-13-45"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "/date"
    assert c["bureau"].post(f"/api/cases/{A}/revoke", json={}).status_code == 422


def test_hostile_json_bodies_get_a_422_with_a_place(desk):
    c, A = desk["c"], desk["A"]
    for body in (
        b"[" * 5000 + b"]" * 5000,
        b'{"conclusion": "approve", "conclusion": "reject"}',
        b"\xff",
        b'{"conclusion": NaN}',
        b'{"conclusion": "approve", "verified": [{"clause": 1e3, "facts": {}}]}',
        b'{"conclusion": "approve", "verified": [{"clause": 1, "facts": {"promotion_costs": 1.123}}]}',
    ):
        r = c["rev-jinshui"].post(f"/api/cases/{A}/reviews", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422, (body[:40], r.text)
        assert r.json()["error"] and "Traceback" not in r.text
    r = c["bureau"].post(f"/api/cases/{A}/award", content=b'{"date": 20260301}')
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "/date"
    assert c["ent-a"].post("/api/login", content=b"[1, 2]").status_code == 422
    assert c["anonymous"].post("/api/login", json={"username": ["x"], "password": 1}).status_code == 401


@pytest.mark.slow
def test_a_submission_answers_with_its_case_and_the_check_the_command_line_gives(desk, tmp_path):
    """POST /api/cases: 201 {"id", "status": "submitted", "check": <what `check --json` says>}; the
    same bundle again is the same case (200), not a second one."""
    bundle = clause1(promotion="900000")
    r = desk["c"]["ent-a"].post("/api/cases", json=bundle)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "submitted" and body["id"]
    cli = json.loads(run_cli("check", "--json", str(write_bundle(tmp_path / "b.json", bundle))).stdout.decode())
    pick = lambda check: [(c["clause"], c["status"], c["amount"], c["funding"]) for c in check["claims"]]  # noqa: E731
    assert (
        pick(body["check"]) == pick(cli) == [(1, "eligible", "270000.00", {"city": "135000.00", "local": "135000.00"})]
    )
    again = desk["c"]["ent-a"].post("/api/cases", json=bundle)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    shown = desk["c"]["ent-a"].get(f"/api/cases/{body['id']}").json()
    facts = shown["bundle"]["claims"][0]["facts"]
    assert shown["bundle"]["applicant"]["uscc"] == ENT_A and Decimal(facts["promotion_costs"]) == Decimal("900000")


def test_the_citys_review_a_rejection_and_a_used_up_cap_through_the_api(desk):
    """The bureau may add the city's review; a rejected case cannot be awarded (409); nor can a case
    whose clause has nothing left under the yearly cap (409 with the reason)."""
    c = desk["c"]
    # 新郑市's reviewer rejects case B: status rejected, and the bureau's award is refused
    r = c["rev-xinzheng"].post(
        f"/api/cases/{desk['B']}/reviews", json={"conclusion": "reject", "verified": [], "remarks": "材料不全"}
    )
    assert r.status_code == 201 and r.json()["status"] == "rejected", r.text
    r = c["bureau"].post(f"/api/cases/{desk['B']}/award", json={"date": TODAY})
    assert r.status_code == 409 and r.json()["errors"]
    assert c["bureau"].get(f"/api/cases/{desk['B']}").json()["status"] == "rejected"
    # case A (clause 1) is approved by its district; then ent-a's second clause-1 case, reviewed by
    # the city, takes the whole yearly cap (500,000) first
    r = c["rev-jinshui"].post(
        f"/api/cases/{desk['A']}/reviews", json={"conclusion": "approve", "verified": [], "remarks": "核实无误"}
    )
    assert r.status_code == 201 and r.json()["status"] == "approved", r.text
    big = c["ent-a"].post("/api/cases", json=clause1(promotion="2000000")).json()["id"]
    r = c["bureau"].post(
        f"/api/cases/{big}/reviews", json={"conclusion": "approve", "verified": [], "remarks": "市级复核"}
    )
    assert r.status_code == 201 and r.json()["status"] == "approved", r.text
    assert c["bureau"].get(f"/api/cases/{big}").json()["reviews"][0]["actor"] == "bureau"
    r = c["bureau"].post(f"/api/cases/{big}/award", json={"date": TODAY})
    assert r.status_code == 201 and r.json()["total"] == "500000.00", r.text
    # case A, same clause and year: nothing is left under the cap
    r = c["bureau"].post(f"/api/cases/{desk['A']}/award", json={"date": TODAY})
    assert r.status_code == 409, r.text
    assert "上限" in json.dumps(r.json(), ensure_ascii=False)
    assert c["bureau"].get(f"/api/cases/{desk['A']}").json()["status"] == "approved"
