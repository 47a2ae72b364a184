"""The desk's pages without a browser: the form made from the policy data, the decision while
typing, bundle files in and out, and the three roles' forms posting to the process."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import yaml
from starlette.testclient import TestClient

from conftest import run_cli
from desk_support import (
    APPLICANT,
    ENT_A,
    PASSWORD,
    Server,
    app_fixture,  # noqa: F401 - the `app` fixture
    clause1,
    csrf_of,
    sign_in,
)


def client(app, who: str) -> TestClient:
    return sign_in(TestClient(app, base_url="http://desk.test", follow_redirects=False), who)


def test_the_form_is_made_from_the_policy_data(app):
    from zzcbec_docs.policy import load_policy

    policy = load_policy()
    page = client(app, "ent-a").get("/apply").text
    for n in policy.claimable():  # one section per clause that can be claimed, with the clause's own words
        assert f'id="clause-{n}"' in page
        assert policy.clauses[n].text[:30] in page
    assert 'name="c6.intl_logistics_costs"' in page and "年实际发生国际物流费用（含邮政小包）（元）" in page
    assert "服务跨境电商企业数（家）" in page  # the policy's unit for a count
    # issue 23: the condition in the documents' words, amounts as the documents write them
    assert "条件：年进出口额达到1000万元以上（含本数）" in page and "¥" not in page
    assert 'name="c9.service_fees.rent"' in page  # the fee items of clause 9


def test_the_decision_while_typing_and_the_gap_in_the_policys_words(app):
    c = client(app, "ent-a")
    token = csrf_of(c.get("/apply").text)
    form = {**APPLICANT, "csrf": token, "c1.import_export": "12000000", "c1.promotion_costs": "800000"}
    r = c.post("/apply/preview", data=form)
    assert r.status_code == 200 and 'data-amount="240000.00"' in r.text
    r = c.post("/apply/preview", data={**form, "c1.import_export": "9765433"})
    assert 'data-amount="0.00"' in r.text
    assert "年进出口额还差 234,567.00 元 达到 1,000万元（达到…以上）" in r.text
    # a half-typed figure is named with its place, never a crash; in the form's words (issue 23: never
    # a JSON pointer), linked to its field
    r = c.post("/apply/preview", data={**form, "c1.promotion_costs": "80万"})
    assert r.status_code == 200 and "/claims/0/facts/promotion_costs" not in r.text and "10^15" not in r.text
    assert '<a href="#f-c1.promotion_costs">第一条 ' in r.text and "请填写金额（元），只写数字" in r.text


@pytest.mark.slow
def test_bundle_files_in_and_out_are_what_the_command_line_reads(app, tmp_path):
    c = client(app, "ent-a")
    token = csrf_of(c.get("/apply").text)
    bundle = clause1()
    raw = yaml.safe_dump(bundle, allow_unicode=True).encode()
    r = c.post(
        "/apply",
        data={"csrf": token, "action": "load"},
        files={"bundle_file": ("../申报.yaml", io.BytesIO(raw), "application/yaml")},
    )
    assert r.status_code == 200
    assert 'value="12000000"' in r.text and 'value="测试企业7101有限公司"' in r.text
    form = {
        **APPLICANT,
        "csrf": token,
        "action": "download",
        "c1.import_export": "12000000",
        "c1.promotion_costs": "800000",
    }
    r = c.post("/apply", data=form)
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    path = tmp_path / "from-desk.yaml"
    path.write_bytes(r.content)
    checked = run_cli("check", "--json", str(path))
    assert checked.returncode == 0, checked.stderr
    assert '"total": "240000.00"' in checked.stdout.decode()
    # a file that is not a bundle at all is told so, in both languages
    r = c.post(
        "/apply",
        data={"csrf": token, "action": "load"},
        files={"bundle_file": ("x.yaml", io.BytesIO(b"\xff\xfe\x00"), "application/yaml")},
    )
    assert r.status_code == 422 and " / " in r.text


def test_the_three_roles_forms_from_submission_to_revocation(app):
    ent, rev, bureau = client(app, "ent-a"), client(app, "rev-jinshui"), client(app, "bureau")
    token = csrf_of(ent.get("/apply").text)
    pdf = b"%PDF-1.7\n%evidence\n"
    r = ent.post(
        "/apply",
        data={
            **APPLICANT,
            "csrf": token,
            "action": "submit",
            "c1.import_export": "12000000",
            "c1.promotion_costs": "800000",
            "attachment_kind": "financial_statement",
        },
        files={"attachment": ("报表.pdf", io.BytesIO(pdf), "application/pdf")},
    )
    assert r.status_code == 303, r.text
    case_path = r.headers["location"].split("?")[0]
    case_id = case_path.rsplit("/", 1)[1]
    case = ent.get(f"/api/cases/{case_id}").json()
    assert case["uscc"] == ENT_A and case["attachments"][0]["name"].startswith("attachments/")
    att = ent.get(f"{case_path}/attachments/{case['attachments'][0]['id']}")
    assert att.status_code == 200 and att.content == pdf
    assert client(app, "ent-b").get(f"{case_path}/attachments/{case['attachments'][0]['id']}").status_code == 404
    # the reviewer's form: a verified figure beside the declared one
    page = rev.get(case_path).text
    claim_field = re.search(r'name="(v\.\d+\.promotion_costs)"', page).group(1)
    r = rev.post(
        f"{case_path}/review",
        data={"csrf": csrf_of(page), claim_field: "600000", "conclusion": "partial", "remarks": "核减"},
    )
    assert r.status_code == 303
    assert rev.get(f"/api/cases/{case_id}").json()["total"] == "180000.00"
    # a contradiction is refused with the process's words, and the page says why
    page = rev.get(case_path).text
    r = rev.post(
        f"{case_path}/review",
        data={
            "csrf": csrf_of(page),
            "conclusion": "approve",
            re.search(r'name="(v\.\d+\.import_export)"', page).group(1): "5",
        },
    )
    assert r.status_code == 422 and "/conclusion" not in r.headers.get("location", "")
    # the bureau awards and revokes through its forms
    page = bureau.get(case_path).text
    # issue 23: the award asks for confirmation first, showing the amount; only the confirming post awards
    r = bureau.post(f"{case_path}/award", data={"csrf": csrf_of(page), "date": dt.date.today().isoformat()})
    assert r.status_code == 200 and "180,000.00 元" in r.text and 'name="confirm" value="yes"' in r.text
    assert bureau.get(f"/api/cases/{case_id}").json()["status"] == "approved"
    r = bureau.post(
        f"{case_path}/award", data={"csrf": csrf_of(page), "date": dt.date.today().isoformat(), "confirm": "yes"}
    )
    assert r.status_code == 303
    detail = bureau.get(f"/api/cases/{case_id}").json()
    assert detail["status"] == "awarded" and detail["notices"][0]["total"] == "180000.00"
    page = bureau.get(case_path).text
    number = detail["notices"][0]["number"]
    assert number in page
    r = bureau.post(f"{case_path}/revoke", data={"csrf": csrf_of(page), "number": number, "reason": "重复申报"})
    assert r.status_code == 303
    assert bureau.get(f"/api/cases/{case_id}").json()["status"] == "revoked"
    # awarded again only as a re-issue that names the revoked notice (the page's award form does)
    page = bureau.get(case_path).text
    assert f'name="reissue_of" value="{number}"' in page
    r = bureau.post(
        f"{case_path}/award",
        data={"csrf": csrf_of(page), "date": dt.date.today().isoformat(), "reissue_of": number, "confirm": "yes"},
    )
    assert r.status_code == 303
    notices = bureau.get(f"/api/cases/{case_id}").json()["notices"]
    assert [n["revoked"] for n in notices] == [True, False] and notices[1]["reissue_of"] == number
    ledger = bureau.get("/ledger").text
    assert number in ledger and "重复申报" in ledger
    assert bureau.get("/ledger/export.xlsx").content.startswith(b"PK")
    dash = bureau.get("/dashboard").text
    assert dash.count("<svg") == 4 and "<script" not in dash.split("</head>")[1]


@pytest.mark.slow
def test_serve_demo_prints_its_accounts_and_loads_the_samples(tmp_path):
    log = tmp_path / "serve.log"
    with Server(str(tmp_path / "demo.db"), demo=True, log=log) as s:
        c = s.client()
        assert c.post("/api/login", json={"username": "bureau", "password": PASSWORD}).status_code == 200
        cases = c.get("/api/cases").json()
        assert len(cases) >= 15 and {"金水区", "新郑市"} <= {x["district"] for x in cases}
        c.close()
    printed = log.read_text(encoding="utf-8")
    # issue 23: serve never prints a password; it says where the operator finds it
    assert "ent-demo" in printed and "rev-jinshui" in printed and PASSWORD not in printed
    assert "ZZCBEC_DEMO_PASSWORD" in printed


@pytest.mark.slow
def test_users_command_line(tmp_path):
    url = str(tmp_path / "u.db")
    r = run_cli(
        "users",
        "add",
        "rev-x",
        "--role",
        "reviewer",
        "--district",
        "航空港区",
        "--password-stdin",
        "--ledger",
        url,
        input=b"a-long-enough-password\n",
    )
    assert r.returncode == 0, r.stderr
    r = run_cli(
        "users",
        "add",
        "ent-x",
        "--role",
        "enterprise",
        "--uscc",
        "91410100MA46000017",
        "--password-stdin",
        "--ledger",
        url,
        input=b"a-long-enough-password\n",
    )
    assert r.returncode == 2 and "统一社会信用代码" in r.stderr.decode()
    listed = run_cli("users", "list", "--ledger", url).stdout.decode()
    assert "rev-x\treviewer\t航空港经济综合实验区" in listed
