"""The doors of issue 23, each tried as an attacker or a careless operator would: exported cells
that are never formulas, sign-in throttling that cannot lock the real user out, a ledger that is
gone, the demo on a real ledger, declared attachments, user names that differ only in case, a
rejection without reason, a cut by a cap, the form's bundle and its attachments, the opinion's
审核单位 and reviewer."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import shutil
import zipfile
from decimal import Decimal

import pytest
from starlette.testclient import TestClient

from conftest import run_cli, run_process, write_bundle
from desk_support import (
    ENT_A,
    PASSWORD,
    add_accounts,
    app_fixture,  # noqa: F401 - the `app` fixture
    clause1,
    csrf_of,
    sign_in,
)

FORMULAS = ['=HYPERLINK("http://evil.example","点击")', "+1+1", "-2+3", "@SUM(A1:A2)", "\tX", "\rY"]


def client(app, address: str = "testclient") -> TestClient:
    return TestClient(app, base_url="http://desk.test", follow_redirects=False, client=(address, 50000))


def award(address: str = "x", **kw):
    from zzcbec_docs.ledger.store import LedgerAward

    fields = {
        "notice_number": "郑商务〔2026〕1号",
        "issued_on": "2026-03-01",
        "uscc": ENT_A,
        "applicant_name": "测试企业有限公司",
        "district": "金水区",
        "clause": 1,
        "competition_name": None,
        "year": 2026,
        "amount": Decimal("240000.00"),
        "city": Decimal("120000.00"),
        "local": Decimal("120000.00"),
        "revoked": False,
        "revocation_reason": None,
    }
    fields.update(kw)
    return LedgerAward(**fields)


# ------------------------------------------------------------------ exports never write a live formula
def test_the_ledger_export_writes_no_formula_in_csv_or_xlsx(tmp_path):
    from openpyxl import load_workbook

    from zzcbec_docs.ledger.export import export_csv, export_xlsx

    awards = [
        award(
            notice_number=f"郑商务〔2026〕{i + 1}号",
            applicant_name=f,
            revoked=True,
            revocation_reason=f,
            competition_name=f,
        )
        for i, f in enumerate(FORMULAS)
    ]
    export_csv(awards, tmp_path / "ledger.csv")
    with open(tmp_path / "ledger.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    for row, f in zip(rows[1:], FORMULAS, strict=True):
        # OWASP: a cell that begins with = + - @ tab or CR is prefixed with ' (and so is shown as text)
        assert row[3] == row[6] == row[12] == "'" + f
        assert row[8] == "240000.00"  # numbers stay numbers
    export_xlsx(awards, tmp_path / "ledger.xlsx")
    ws = load_workbook(tmp_path / "ledger.xlsx")["奖励明细 awards"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert cells and all(c.data_type == "s" for c in cells)  # text, never a formula ("f")
    names = [ws.cell(row=r, column=4) for r in range(2, 2 + len(FORMULAS))]
    assert [c.value for c in names] == FORMULAS and all(c.quotePrefix for c in names[:4])
    assert ws.cell(row=2, column=9).data_type == "n"


def test_the_desk_exports_a_revocation_reason_that_looks_like_a_formula_as_text(app):
    from openpyxl import load_workbook

    ent, bureau = sign_in(client(app), "ent-a"), sign_in(client(app), "bureau")
    case_id = ent.post("/api/cases", json=clause1()).json()["id"]
    assert bureau.post(f"/api/cases/{case_id}/reviews", json={"conclusion": "approve"}).status_code == 201
    assert bureau.post(f"/api/cases/{case_id}/award", json={"date": dt.date.today().isoformat()}).status_code == 201
    reason = '=cmd|"/C calc"!A0'
    assert bureau.post(f"/api/cases/{case_id}/revoke", json={"reason": reason}).status_code == 201
    text = bureau.get("/ledger/export.csv").content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1][12] == "'" + reason
    ws = load_workbook(io.BytesIO(bureau.get("/ledger/export.xlsx").content))["奖励明细 awards"]
    assert ws.cell(row=2, column=13).value == reason and ws.cell(row=2, column=13).data_type == "s"


# ------------------------------------------------------------------ sign-in throttling
def test_an_attacker_locks_out_only_its_own_address_not_the_real_user(app):
    attacker = client(app, "203.0.113.7")
    for _ in range(5):
        assert attacker.post("/api/login", json={"username": "ent-a", "password": "guess-guess"}).status_code == 401
    r = attacker.post("/api/login", json={"username": "ent-a", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0  # desk.md: refused for a while
    # the real user, from its own address, still signs in (slowed a little while the account is attacked)
    assert (
        client(app, "198.51.100.20").post("/api/login", json={"username": "ent-a", "password": PASSWORD}).status_code
        == 200
    )


def test_failures_for_one_account_from_many_addresses_slow_it_but_never_lock_it(app, monkeypatch):
    from zzcbec_docs.desk import accounts

    monkeypatch.setattr(accounts, "DELAY_UNIT", 0.01)
    ledger = app.state.desk.ledger
    delays = []
    for i in range(8):  # a botnet: one failure from each of eight addresses
        delays.append(accounts.throttle(ledger, "ent-a", f"192.0.2.{i}").delay)
        assert (
            client(app, f"192.0.2.{i}")
            .post("/api/login", json={"username": "ent-a", "password": "guess-guess"})
            .status_code
            == 401
        )
    assert delays[: accounts.ACCOUNT_SLOW_AFTER] == [0.0] * accounts.ACCOUNT_SLOW_AFTER
    assert delays[-1] > delays[-2] > delays[-3] > 0  # a growing delay
    assert accounts.throttle(ledger, "ent-a", "192.0.2.250").refuse_for == 0
    assert (
        client(app, "192.0.2.250").post("/api/login", json={"username": "ent-a", "password": PASSWORD}).status_code
        == 200
    )


def test_spraying_many_names_from_one_address_is_slowed_then_refused(app, monkeypatch):
    from zzcbec_docs.desk import accounts

    monkeypatch.setattr(accounts, "DELAY_UNIT", 0.001)
    monkeypatch.setattr(accounts, "MAX_DELAY", 0.02)
    ledger = app.state.desk.ledger
    sprayer = client(app, "2001:db8:1:2::99")
    for i in range(accounts.ADDRESS_REFUSE_AFTER):
        r = sprayer.post("/api/login", json={"username": f"user-{i}", "password": "password1"})
        assert r.status_code == 401
    # another address in the same /64 is the same sprayer
    assert accounts.throttle(ledger, "someone-new", "2001:db8:1:2::1").refuse_for > 0
    assert accounts.throttle(ledger, "user-0", "2001:db8:1:2::99").delay > 0
    r = sprayer.post("/api/login", json={"username": "ent-b", "password": PASSWORD})
    assert r.status_code == 429 and "登录失败次数过多" in r.json()["error"]
    assert (
        client(app, "198.51.100.30").post("/api/login", json={"username": "ent-b", "password": PASSWORD}).status_code
        == 200
    )


# ------------------------------------------------------------------ a ledger that is gone
def test_a_ledger_that_cannot_be_reached_answers_503_with_the_message_and_never_its_place(tmp_path):
    from zzcbec_docs.desk.app import create_app

    folder = tmp_path / "share"
    folder.mkdir()
    url = str(folder / "desk.db")
    add_accounts(url)
    app = create_app(url)
    bureau = sign_in(client(app), "bureau")
    shutil.rmtree(folder)  # the network share went away
    app.state.desk.ledger.engine.dispose()
    r = bureau.get("/api/cases")
    assert r.status_code == 503 and "奖励台账暂时无法访问" in r.json()["error"] and r.headers["retry-after"]
    page = bureau.get("/bureau")
    assert page.status_code == 503 and "奖励台账暂时无法访问" in page.text
    for body in (r.text, page.text):
        assert str(folder) not in body and "desk.db" not in body and "sqlite" not in body.lower()
    assert client(app).post("/api/login", json={"username": "bureau", "password": PASSWORD}).status_code == 503


# ------------------------------------------------------------------ accounts
def test_user_names_are_unique_without_regard_to_case(app):
    from zzcbec_docs.desk import accounts
    from zzcbec_docs.desk.accounts import AccountError

    ledger = app.state.desk.ledger
    with pytest.raises(AccountError, match="不区分大小写"):
        accounts.add_user(ledger, "ENT-A", "enterprise", PASSWORD, uscc_code=ENT_A)
    with pytest.raises(AccountError):
        accounts.add_user(ledger, "Bureau", "bureau", PASSWORD)
    assert client(app).post("/api/login", json={"username": "BUREAU", "password": PASSWORD}).status_code == 200


def test_a_reviewers_unit_comes_from_its_district(tmp_path):
    from zzcbec_docs.desk.accounts import default_unit

    assert default_unit(("金水区",)) == "金水区商务局"
    assert default_unit(("郑东新区",)) == "郑东新区商务主管部门"  # a zone's office is not a 商务局 by that name
    assert default_unit(("金水区", "中原区")) == ""
    url = str(tmp_path / "u.db")
    r = run_cli(
        "users",
        "add",
        "rev-2",
        "--role",
        "reviewer",
        "--district",
        "金水区",
        "--district",
        "中原区",
        "--password-stdin",
        "--ledger",
        url,
        input=b"a-long-enough-password\n",
    )
    assert r.returncode != 0 and "--unit" in r.stderr.decode()
    r = run_cli(
        "users",
        "add",
        "rev-1",
        "--role",
        "reviewer",
        "--district",
        "金水区",
        "--name",
        "李静",
        "--password-stdin",
        "--ledger",
        url,
        input=b"a-long-enough-password\n",
    )
    assert r.returncode == 0 and "李静, 金水区商务局" in r.stdout.decode()


def test_a_desk_made_before_names_and_units_gets_its_columns(tmp_path):
    from sqlalchemy import inspect, text

    from zzcbec_docs.desk import store
    from zzcbec_docs.ledger import open_ledger

    ledger = open_ledger(str(tmp_path / "old.db"))
    store.ensure_tables(ledger)
    with ledger.engine.begin() as conn:  # as an earlier version made them
        conn.execute(text("DROP INDEX ix_zzdesk_login_failures_address_at"))
        for table, column, _ in store.ADDED_COLUMNS:
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
    store.ensure_tables(ledger)
    found = inspect(ledger.engine)
    assert {"display_name", "unit"} <= {c["name"] for c in found.get_columns("zzdesk_users")}
    assert "address" in {c["name"] for c in found.get_columns("zzdesk_login_failures")}


# ------------------------------------------------------------------ the demo
def test_serve_demo_refuses_a_ledger_that_holds_real_cases(tmp_path):
    url = str(tmp_path / "real.db")
    assert run_cli("ledger", "init", "--ledger", url).returncode == 0
    assert run_cli("submit", str(write_bundle(tmp_path / "b.json", clause1())), "--ledger", url).returncode == 0
    r = run_process("serve", "--ledger", url, "--demo", "--port", "1")  # a server that started would not return
    assert r.returncode != 0 and "--force-demo" in r.stderr.decode() and "非演示案件" in r.stderr.decode()


# ------------------------------------------------------------------ the API's declared attachments
def test_the_api_refuses_a_bundle_that_declares_attachments_the_desk_never_saw(app):
    bundle = clause1(n=7101)
    bundle["attachments"] = [{"kind": "business_license", "file": "attachments/license.pdf", "sha256": "0" * 64}]
    r = sign_in(client(app), "ent-a").post("/api/cases", json=bundle)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "/attachments"
    assert "申报页面上传" in r.json()["error"]


# ------------------------------------------------------------------ reviews and awards
def test_a_rejection_needs_its_reason_and_the_conclusion_has_no_default(app):
    ent, rev = sign_in(client(app), "ent-a"), sign_in(client(app), "rev-jinshui")
    case_id = ent.post("/api/cases", json=clause1()).json()["id"]
    r = rev.post(f"/api/cases/{case_id}/reviews", json={"conclusion": "reject"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "/remarks"
    assert rev.post(f"/api/cases/{case_id}/reviews", json={"conclusion": "reject", "remarks": "  "}).status_code == 422
    assert rev.post(f"/api/cases/{case_id}/reviews", json={}).status_code == 422
    page = rev.get(f"/cases/{case_id}").text
    assert '<option value="" selected>请选择</option>' in page and "selected>同意" not in page
    # the form: refused, with the message beside the field and what was typed kept
    r = rev.post(f"/cases/{case_id}/review", data={"csrf": csrf_of(page), "conclusion": "reject", "remarks": ""})
    assert r.status_code == 422 and 'id="e-remarks"' in r.text and "写明理由" in r.text
    assert '<option value="reject" selected>' in r.text
    assert (
        rev.post(
            f"/api/cases/{case_id}/reviews", json={"conclusion": "reject", "remarks": "进出口额与海关数据不符"}
        ).status_code
        == 201
    )


def test_an_award_cut_by_the_cap_says_so_on_the_confirmation(app):
    ent, bureau = sign_in(client(app), "ent-a"), sign_in(client(app), "bureau")
    case_id = ent.post("/api/cases", json=clause1(promotion="2000000")).json()["id"]  # 30% = 600,000 > the cap
    assert bureau.post(f"/api/cases/{case_id}/reviews", json={"conclusion": "approve"}).status_code == 201
    page = bureau.get(f"/cases/{case_id}").text
    assert "受上限或已获奖励限制" in page
    r = bureau.post(f"/cases/{case_id}/award", data={"csrf": csrf_of(page), "date": dt.date.today().isoformat()})
    assert r.status_code == 200 and "按规定计算 600,000.00 元，受上限或已获奖励限制，核定 500,000.00 元" in r.text
    assert "确认核准 500,000.00 元" in r.text


def test_the_opinion_names_the_reviewers_unit_and_name_not_the_login(tmp_path):
    from docx import Document

    from zzcbec_docs.desk import accounts
    from zzcbec_docs.desk.app import create_app
    from zzcbec_docs.ledger import open_ledger

    url = str(tmp_path / "desk.db")
    add_accounts(url)
    ledger = open_ledger(url)
    accounts.add_user(ledger, "rev-li", "reviewer", PASSWORD, districts=("金水区",), name="李静")
    ledger.engine.dispose()
    app = create_app(url)
    case_id = sign_in(client(app), "ent-a").post("/api/cases", json=clause1()).json()["id"]
    rev = sign_in(client(app), "rev-li")
    assert rev.post(f"/api/cases/{case_id}/reviews", json={"conclusion": "approve"}).status_code == 201
    data = rev.get(f"/api/cases/{case_id}/documents/opinion.docx").content
    text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    assert "审核单位（盖章）：金水区商务局" in text and "李静" in text and "rev-li" not in text


# ------------------------------------------------------------------ the form's bundle, with its attachments
def test_the_forms_bundle_passes_check_and_loads_back_with_its_attachments(app, tmp_path):
    from desk_support import APPLICANT

    ent = sign_in(client(app), "ent-a")
    token = csrf_of(ent.get("/apply").text)
    pdf = b"%PDF-1.7\n%licence\n"
    form = {
        **APPLICANT,
        "csrf": token,
        "c1.import_export": "12,000,000",
        "c1.promotion_costs": "800000",
        "attachment_kind": "business_license",
    }
    r = ent.post(
        "/apply",
        data={**form, "action": "download"},
        files={"attachment": ("营业执照.pdf", io.BytesIO(pdf), "application/pdf")},
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        z.extractall(tmp_path / "b")
    sha = hashlib.sha256(pdf).hexdigest()
    assert (tmp_path / "b" / "attachments").is_dir()
    checked = run_cli("check", str(tmp_path / "b" / "bundle.yaml"))
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()
    assert "240,000.00" in checked.stdout.decode()
    # and back into the form, attachments and all
    r = ent.post(
        "/apply",
        data={"csrf": token, "action": "load"},
        files={"bundle_file": ("bundle.zip", io.BytesIO(r.content), "application/zip")},
    )
    assert r.status_code == 200 and sha in r.text and 'value="12000000"' in r.text
    # a ZIP whose attachment does not match its SHA-256 is refused, not half-read
    bad = io.BytesIO()
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("bundle.yaml", (tmp_path / "b" / "bundle.yaml").read_text(encoding="utf-8"))
        z.writestr(f"attachments/{sha[:16]}.pdf", b"%PDF-1.7\n%another file\n")
    r = ent.post(
        "/apply",
        data={"csrf": token, "action": "load"},
        files={"bundle_file": ("bundle.zip", io.BytesIO(bad.getvalue()), "application/zip")},
    )
    assert r.status_code == 422 and "SHA-256" in r.text, r.text[r.text.find("<main") :][:600]


# ------------------------------------------------------------------ words on the pages
def test_no_page_shows_command_line_advice_the_ledgers_place_or_a_raw_figure(app):
    ent, bureau = sign_in(client(app), "ent-a"), sign_in(client(app), "bureau")
    token = csrf_of(ent.get("/apply").text)
    from desk_support import APPLICANT

    r = ent.post(
        "/apply",
        data={
            **APPLICANT,
            "csrf": token,
            "action": "check",
            "c1.import_export": "12000000",
            "c1.promotion_costs": "800000",
        },
    )
    case_id = ent.post("/api/cases", json=clause1()).json()["id"]
    pages = [
        r.text,
        ent.get(f"/cases/{case_id}").text,
        bureau.get(f"/cases/{case_id}").text,
        bureau.get("/bureau").text,
        bureau.get("/ledger").text,
        bureau.get("/dashboard").text,
    ]
    where = str(app.state.desk.ledger.url).removeprefix("sqlite:///")
    for page in pages:
        assert "--issued-on" not in page and "zzcbec " not in page and where not in page
        assert "¥" not in page and "12000000.00" not in page
    case = pages[2]
    assert "12,000,000.00 元" in case and "已提交" in case
    import re

    shown = re.search(r"提交时间</dt><dd><time datetime=\"([^\"]+)\">([^<]+)</time>", case)
    from zzcbec_docs.vocabulary import cn_datetime

    assert shown and re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d", shown.group(2))  # Chinese form
    assert shown.group(2) == cn_datetime(shown.group(1))  # in Beijing time
