"""What a bureau's IT asks of the desk: sessions, sign-in throttling, Origin and CSRF, headers,
uploads, the authorization matrix and the audit trail."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from conftest import run_cli
from desk_support import (
    PASSWORD,
    app_fixture,  # noqa: F401 - the `app` fixture
    clause1,
    csrf_of,
    sign_in,
)


def client(app) -> TestClient:
    return TestClient(app, base_url="http://desk.test", follow_redirects=False)


def test_the_matrix_is_one_table_that_matches_desk_md(app):
    from zzcbec_docs.desk.authz import MATRIX

    # desk.md: who may do what, read as a table
    assert MATRIX["case.submit"] == {"enterprise"}
    assert MATRIX["case.review"] == {"reviewer", "bureau"}
    assert MATRIX["case.award"] == MATRIX["case.revoke"] == MATRIX["ledger.export"] == {"bureau"}
    assert MATRIX["doc.opinion"] == {"reviewer", "bureau"}
    assert (
        MATRIX["case.view"] == MATRIX["doc.application"] == MATRIX["doc.notice"] == {"enterprise", "reviewer", "bureau"}
    )
    # and no route escapes it: every endpoint names an action of the table, or is public on purpose
    from starlette.routing import Route

    routes = [r for r in app.app.routes if isinstance(r, Route)]
    public = {r.path for r in routes if r.endpoint.action is None}
    assert public == {"/", "/login", "/api/login", "/verify/{code}"}  # issue 20: the notice's QR code opens /verify
    assert all(r.endpoint.action in MATRIX for r in routes if r.path not in public)


def test_sign_in_makes_a_new_session_and_sign_out_ends_it(app):
    c = client(app)
    c.cookies.set("zzdesk_session", "attacker-chosen-token")
    r = c.post("/api/login", json={"username": "ent-a", "password": PASSWORD})
    assert r.status_code == 200
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax") and "Secure" not in cookie
    token = re.search(r"zzdesk_session=([^;]+)", cookie).group(1)
    assert token != "attacker-chosen-token" and len(token) >= 40
    c = client(app)
    c.cookies.set("zzdesk_session", token)
    assert c.get("/api/cases").status_code == 200
    # a second sign-in gets another id
    assert sign_in(client(app), "ent-a").cookies.get("zzdesk_session") != token
    assert c.post("/api/logout").status_code == 200
    stale = client(app)
    stale.cookies.set("zzdesk_session", token)
    assert stale.get("/api/cases").status_code == 401
    # the database keeps only a hash of the token
    from zzcbec_docs.desk import store

    with app.state.desk.ledger.engine.connect() as conn:
        stored = [r.token_hash for r in conn.execute(select(store.sessions))]
    assert token not in stored and all(len(h) == 64 for h in stored)


def test_cookie_is_secure_behind_https(app):
    c = TestClient(app, base_url="https://desk.test")
    r = c.post("/api/login", json={"username": "ent-a", "password": PASSWORD})
    assert "Secure" in r.headers["set-cookie"]
    assert "max-age" in r.headers["strict-transport-security"]


def test_wrong_password_and_unknown_user_look_alike_then_429(app):
    c = client(app)
    wrong = c.post("/api/login", json={"username": "ent-a", "password": "not-the-password"})
    unknown = c.post("/api/login", json={"username": "nobody", "password": "not-the-password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    for _ in range(4):
        c.post("/api/login", json={"username": "ent-a", "password": "still-wrong-password"})
    r = c.post("/api/login", json={"username": "ent-a", "password": PASSWORD})  # even the right one, for a while
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "登录失败次数过多" in r.json()["error"]
    assert (
        c.post("/api/login", json={"username": "ent-b", "password": PASSWORD}).status_code == 200
    )  # others are not locked


@pytest.mark.slow
def test_disabled_accounts_lose_their_sessions(app, tmp_path):
    c = sign_in(client(app), "ent-b")
    r = run_cli("users", "disable", "ent-b", "--ledger", str(tmp_path / "desk.db"))
    assert r.returncode == 0, r.stderr
    assert c.get("/api/cases").status_code == 401
    assert client(app).post("/api/login", json={"username": "ent-b", "password": PASSWORD}).status_code == 401


def test_foreign_origin_and_missing_csrf_are_refused(app):
    c = sign_in(client(app), "ent-a")
    evil = {"Origin": "https://evil.example"}
    assert c.post("/api/cases", json=clause1(), headers=evil).status_code == 403
    assert c.post("/api/logout", headers=evil).status_code == 403
    page = c.get("/apply")
    assert page.status_code == 200
    token = csrf_of(page.text)
    form = {"year": "2026", "c1.import_export": "12000000", "action": "check"}
    assert c.post("/apply", data=form).status_code == 403  # no token
    assert c.post("/apply", data={**form, "csrf": "0" * 64}).status_code == 403  # a wrong one
    assert c.post("/apply", data={**form, "csrf": token}, headers=evil).status_code == 403
    ok = c.post("/apply", data={**form, "csrf": token}, headers={"Origin": "http://desk.test"})
    assert ok.status_code == 200
    # the sign-in form carries its own token too
    anon = client(app)
    assert anon.post("/login", data={"username": "ent-a", "password": PASSWORD}).status_code == 403
    # every state change, whoever makes it: the bureau's review, award and revocation too
    case = c.post("/api/cases", json=clause1(promotion="900000"), headers={"Origin": "http://desk.test"}).json()["id"]
    bureau = sign_in(client(app), "bureau")
    for action, body in (
        ("reviews", {"conclusion": "approve", "verified": [], "remarks": "x"}),
        ("award", {"date": "2026-03-01"}),
        ("revoke", {"reason": "x"}),
    ):
        assert bureau.post(f"/api/cases/{case}/{action}", json=body, headers=evil).status_code == 403, action
    shown = bureau.get(f"/api/cases/{case}").json()
    assert shown["status"] == "submitted" and shown["reviews"] == [] and shown["notices"] == []


def test_passwords_are_kept_only_as_argon2id_hashes(app):
    """desk.md: passwords stored with a memory-hard hash — never the password itself."""
    from zzcbec_docs.desk import store

    ledger = app.state.desk.ledger
    with ledger.engine.connect() as conn:
        hashes = [row.password_hash for row in conn.execute(select(store.users))]
    assert hashes and all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_security_headers_on_pages_api_and_errors(app):
    c = client(app)
    for path in ("/login", "/api/cases", "/no-such-page", "/static/desk.css"):
        r = c.get(path)
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "server" not in r.headers
    assert "<script" not in c.get("/login").text.replace('<script src="/static/desk.js" defer></script>', "")


def test_pages_and_forms_need_the_right_role(app):
    ent, rev, bureau, anon = (
        sign_in(client(app), "ent-a"),
        sign_in(client(app), "rev-jinshui"),
        sign_in(client(app), "bureau"),
        client(app),
    )
    assert anon.get("/apply").status_code == 303 and anon.get("/apply").headers["location"] == "/login"
    for path in ("/ledger", "/dashboard", "/ledger/export.csv", "/bureau"):
        assert ent.get(path).status_code == 403 and rev.get(path).status_code == 403, path
        assert bureau.get(path).status_code == 200, path
    assert rev.get("/apply").status_code == 403 and bureau.get("/apply").status_code == 403
    assert ent.get("/queue").status_code == 403


def test_uploads_are_told_by_content_and_never_named_by_the_user(app):
    from zzcbec_docs.desk import store

    c = sign_in(client(app), "ent-a")
    token = csrf_of(c.get("/apply").text)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    r = c.post(
        "/apply",
        data={"csrf": token, "action": "upload", "attachment_kind": "business_license"},
        files={"attachment": ("../../etc/passwd\x00.pdf", io.BytesIO(pdf), "application/pdf")},
    )
    assert r.status_code == 200
    import hashlib

    assert hashlib.sha256(pdf).hexdigest() in r.text  # the SHA-256 is shown
    with app.state.desk.ledger.engine.connect() as conn:
        row = conn.execute(select(store.uploads)).one()
    assert "/" not in row.original_name and row.original_name.startswith("passwd")  # shown, never a path
    assert row.media_type == "application/pdf"
    # a script that calls itself a PDF is refused, whatever its name and declared type
    r = c.post(
        "/apply",
        data={"csrf": token, "action": "upload"},
        files={"attachment": ("evidence.pdf", io.BytesIO(b"<script>alert(1)</script>"), "application/pdf")},
    )
    assert r.status_code == 422 and "按文件内容判断" in r.text
    big = b"%PDF-" + b"0" * (10 * 1024 * 1024)
    r = c.post(
        "/apply",
        data={"csrf": token, "action": "upload"},
        files={"attachment": ("big.pdf", io.BytesIO(big), "application/pdf")},
    )
    assert r.status_code in (413, 422)
    # another account cannot take this upload into its application
    other = sign_in(client(app), "ent-b")
    t2 = csrf_of(other.get("/apply").text)
    r = other.post("/apply", data={"csrf": t2, "action": "check", "upload": str(row.id), "year": "2026"})
    assert "passwd" not in r.text


def test_an_oversized_body_is_refused_before_it_is_read(app):
    c = sign_in(client(app), "ent-a")
    r = c.post(
        "/api/cases", content=b"{" + b" " * (2 * 1024 * 1024) + b"}", headers={"content-type": "application/json"}
    )
    assert r.status_code == 413


def test_every_state_change_is_in_the_append_only_audit_trail(app):
    from zzcbec_docs.desk import store

    sign_in(client(app), "ent-a")
    client(app).post("/api/login", json={"username": "ent-a", "password": "wrong-password-x"})
    with app.state.desk.ledger.engine.connect() as conn:
        rows = conn.execute(select(store.audit).order_by(store.audit.c.id)).all()
    actions = [(r.actor, r.action) for r in rows]
    assert ("test", "user.add") in actions and ("ent-a", "login") in actions and ("ent-a", "login.failed") in actions
    assert all(r.at for r in rows)
    # and the database refuses to edit or delete it
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DatabaseError

    for change in (update(store.audit).values(actor="someone-else"), delete(store.audit)):
        with pytest.raises(DatabaseError, match="append-only"):
            with app.state.desk.ledger.engine.begin() as conn:
                conn.execute(change)


def test_odd_requests_get_clear_answers_never_a_500(app):
    c = sign_in(client(app), "bureau")
    assert c.get("/api/cases", params={"status": "<script>"}).status_code == 422
    assert c.get("/api/cases/" + "a" * 5000).status_code == 404
    assert c.get("/api/cases/x/documents/notice.exe").status_code == 404
    assert c.request("DELETE", "/api/cases").status_code == 405
    assert client(app).post("/login", files={"f": ("a", b"x")}).status_code in (403, 422)
    ent = sign_in(client(app), "ent-a")
    token = csrf_of(ent.get("/apply").text)
    many = [("attachment", (f"{i}.pdf", b"%PDF-1.4", "application/pdf")) for i in range(25)]
    assert ent.post("/apply", data={"csrf": token, "action": "upload"}, files=many).status_code == 422


def test_the_verification_pages_limit_holds_one_ipv6_network_as_one_address(app):
    """核验页面查错的限流把一个 IPv6 /64 网段当作一个地址（与登录相同）：同一网段换地址不能绕过；别的网段不受影响。"""

    def from_(address: str) -> TestClient:
        return TestClient(app, base_url="http://desk.test", client=(address, 50000))

    statuses = [from_(f"2001:db8:1:2::{n:x}").get(f"/verify/ZZZZ-ZZZ{n}").status_code for n in range(2, 8)]
    assert statuses[:4] == [404, 404, 404, 404] and statuses[-1] == 429  # six addresses, one network
    assert from_("2001:db8:1:3::2").get("/verify/ZZZZ-ZZZ2").status_code == 404  # the next network
