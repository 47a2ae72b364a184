"""Issue 19 at the edges: one service object under the command line and the desk (point 8), a ledger
that is not there is never made by accident (point 9), `verify` checks everything the notice prints
(point 10), and nothing is recorded before a bad input or output is refused (point 11).

Each test runs the command line as a user does (a separate process) or the desk's API in process,
and reads the ledger and the documents back."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from conftest import PG_BASE, PG_UP, ROOT, SAMPLES, make_bundle, run_cli, uscc, write_bundle
from conftest import cli as in_process
from desk_support import ENT_A, add_accounts, clause1, pg_schema, sign_in

CLAUSE1 = {"import_export": "12000000", "promotion_costs": "800000"}  # 30% of 800,000 = 240,000


def cli(*args: str) -> tuple[int, str, str]:
    """The command line in this process (main(argv, stdout, stderr)): what it records and prints."""
    r = in_process(*args)
    return r.returncode, r.out, r.err


def user_cli(*args: str) -> tuple[int, str, str]:
    """The command line as a user runs it: a process of its own."""
    r = run_cli(*args)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def cases_in(ledger: str) -> list[dict]:
    code, out, err = cli("case", "list", "--json", "--ledger", ledger)
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def notices_in(ledger: str) -> list[dict]:
    code, out, err = cli("ledger", "list", "--json", "--ledger", ledger)
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def docx_text(path_or_bytes: Path | bytes) -> str:
    import io

    data = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    return "".join(re.sub(r"<[^>]+>", "", xml).split())


def review_file(path: Path, bundle: Path, conclusion: str = "approve", verified: list | None = None) -> Path:
    import hashlib

    path.write_text(
        json.dumps(
            {
                "bundle": {"file": str(bundle), "sha256": hashlib.sha256(bundle.read_bytes()).hexdigest()},
                "reviewer": "审核员甲",
                "reviewed_on": "2026-03-02",
                "conclusion": conclusion,
                "verified": verified or [],
                "remarks": "",
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    return path


def issuer_profile(path: Path) -> Path:
    """Another bureau's profile: 洛阳市商务局, 代字 洛商务."""
    import yaml

    from zzcbec_docs.documents.issuer import DEFAULT_PROFILE

    data = yaml.safe_load(DEFAULT_PROFILE.read_text(encoding="utf-8"))
    data.update(
        name="洛阳市商务局",
        mark="洛阳市商务局文件",
        code="洛商务",
        printer="洛阳市商务局办公室",
        review_unit="洛阳市商务局",
        cc=["{district}商务主管部门", "洛阳市财政局"],
    )
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# ====================================================================== point 9: no ledger by accident
def test_award_submit_and_review_refuse_a_ledger_file_that_does_not_exist(tmp_path):
    """A mistyped --ledger must not open a new, empty ledger that pays again and reuses 郑商务〔2026〕1号:
    exit 2 naming `ledger init`, and no file is left behind; `ledger init` then makes it."""
    bundle = write_bundle(tmp_path / "b.json", make_bundle(1, CLAUSE1, n=501))
    typo = tmp_path / "ledgr.db"
    record = review_file(tmp_path / "r.json", bundle)
    for run, args in (
        (user_cli, ["submit", str(bundle)]),
        (cli, ["review", str(bundle), "--record", str(record)]),
        (cli, ["award", str(bundle), "--out", str(tmp_path / "out")]),
    ):
        code, _, err = run(*args, "--ledger", str(typo))
        assert code == 2 and "ledger init" in err and "Traceback" not in err, (args, err)
        assert not typo.exists(), args
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    assert cli("ledger", "init", "--ledger", str(typo))[0] == 0
    code, out, err = cli(
        "award",
        str(bundle),
        "--ledger",
        str(typo),
        "--out",
        str(tmp_path / "out"),
        "--format",
        "docx",
        "--date",
        "2026-03-05",
    )
    assert code == 0 and "郑商务〔2026〕1号" in out, err


def test_serve_refuses_a_missing_ledger_and_a_bad_profile_before_it_starts(tmp_path):
    code, _, err = cli("serve", "--ledger", str(tmp_path / "nope.db"), "--port", "1")
    assert code == 2 and "ledger init" in err
    ledger = tmp_path / "l.db"
    assert cli("ledger", "init", "--ledger", str(ledger))[0] == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: 某局\n", encoding="utf-8")
    code, _, err = cli("serve", "--ledger", str(ledger), "--issuer-profile", str(bad), "--port", "1")
    assert code == 2 and "发文机关配置" in err and "Traceback" not in err
    code, _, err = cli("serve", "--ledger", str(ledger), "--exclusion-list", str(tmp_path / "none.txt"), "--port", "1")
    assert code == 2 and "Traceback" not in err


# ====================================================================== point 11: order of effects
def test_an_output_folder_that_cannot_be_written_records_nothing(ledger_url, tmp_path):
    """award and review check --out before the case, the review or the award is recorded."""
    assert cli("ledger", "init", "--ledger", ledger_url)[0] == 0
    bundle = write_bundle(tmp_path / "b.json", make_bundle(1, CLAUSE1, n=502))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    out = blocker / "notices"
    code, _, err = cli("award", str(bundle), "--ledger", ledger_url, "--out", str(out), "--format", "docx")
    assert code == 2 and "--out" in err and "nothing was recorded" in err, err
    code, _, err = cli(
        "review",
        str(bundle),
        "--record",
        str(review_file(tmp_path / "r.json", bundle)),
        "--ledger",
        ledger_url,
        "--out",
        str(out),
    )
    assert code == 2 and "--out" in err, err
    assert cases_in(ledger_url) == [] and notices_in(ledger_url) == []


def test_a_review_that_cannot_be_read_records_no_case(ledger_url, tmp_path):
    """A review record that verifies a clause the bundle does not claim, or is not a record at all,
    is refused before the bundle becomes a case."""
    assert cli("ledger", "init", "--ledger", ledger_url)[0] == 0
    bundle = write_bundle(tmp_path / "b.json", make_bundle(1, CLAUSE1, n=503))
    wrong = review_file(
        tmp_path / "wrong.json", bundle, verified=[{"clause": 6, "facts": {"intl_logistics_costs": "2500000"}}]
    )
    garbage = tmp_path / "garbage.yaml"
    garbage.write_bytes(b"\xff\xfe not yaml: [")
    for record in (wrong, garbage):
        code, _, err = cli(
            "award",
            str(bundle),
            "--review",
            str(record),
            "--ledger",
            ledger_url,
            "--out",
            str(tmp_path / "out"),
            "--format",
            "docx",
        )
        assert code != 0 and "Traceback" not in err, err
        code, _, err = cli("review", str(bundle), "--record", str(record), "--ledger", ledger_url)
        assert code != 0 and "Traceback" not in err, err
    assert cases_in(ledger_url) == [] and notices_in(ledger_url) == []


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.skipif(not PG_UP, reason=f"PostgreSQL does not answer at {PG_BASE}")
def test_two_processes_making_a_new_postgresql_ledger_at_once_both_succeed(tmp_path):
    """`ledger init`, and a first `submit`, by two processes at once on an empty database: the schema
    is made once, both succeed, and no driver's text reaches the user."""
    bundles = [write_bundle(tmp_path / f"b{i}.json", make_bundle(1, CLAUSE1, n=510 + i)) for i in range(2)]
    env = {"PYTHONPATH": str(ROOT)}
    import os

    for first in (["ledger", "init"], ["submit"]):
        with pg_schema() as url:
            procs = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "zzcbec_docs",
                        *first,
                        *([str(bundles[i])] if first == ["submit"] else []),
                        "--ledger",
                        url,
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    cwd=ROOT,
                    env=dict(os.environ, **env),
                )
                for i in range(2)
            ]
            results = [(p.wait(timeout=120), p.stdout.read().decode(), p.stderr.read().decode()) for p in procs]
            for p in procs:
                p.stdout.close()
                p.stderr.close()
            for code, out, err in results:
                assert code == 0, (first, out, err)
                assert not re.search(r"psycopg|duplicate key|already exists|Traceback|UniqueViolation", out + err)
            if first == ["submit"]:
                assert len(cases_in(url)) == 2


def test_render_of_two_applications_of_one_applicant_and_year_keeps_both(tmp_path):
    """render A B, both 金水区 applicant 504's 2026 applications: B's documents never overwrite A's;
    each file name holds the USCC, the year, the kind and the application's case id."""
    a = write_bundle(tmp_path / "a.json", make_bundle(1, CLAUSE1, n=504))
    b = write_bundle(
        tmp_path / "b.json", make_bundle(1, {"import_export": "12000000", "promotion_costs": "600000"}, n=504)
    )
    other = write_bundle(tmp_path / "c.json", make_bundle(1, CLAUSE1, n=505))
    out = tmp_path / "out"
    code, text, err = user_cli(
        "render", str(a), str(b), str(other), "--doc", "application,opinion", "--format", "docx", "--out", str(out)
    )
    assert code == 0, err
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 6, names
    u = uscc(504)
    mine = [n for n in names if n.startswith(f"{u}-2026-")]
    assert len(mine) == 4 and all(re.match(rf"{u}-2026-[0-9a-f]{{16}}-(application|opinion)\.docx$", n) for n in mine)
    assert f"{uscc(505)}-2026-application.docx" in names  # an applicant alone keeps the usual name
    texts = {n: docx_text(out / n) for n in mine if "opinion" in n}
    assert sorted("核定金额24万元" in t for t in texts.values()) == [False, True]  # A's 30% of 800,000 …
    assert sorted("核定金额18万元" in t for t in texts.values()) == [False, True]  # … and B's of 600,000
    # the id in the name is the case id the ledger gives the same content
    ledger = tmp_path / "l.db"
    assert cli("ledger", "init", "--ledger", str(ledger))[0] == 0
    code, out_, err = cli("submit", str(a), "--json", "--ledger", str(ledger))
    case_id = json.loads(out_)["case"]["id"]
    assert any(case_id in n for n in mine)


# ====================================================================== point 8: one service under the desk
@pytest.fixture
def desk_of(ledger_url):
    """A desk as `serve` builds it with the given options, its five accounts signed in."""
    made = []

    def build(**options):
        from zzcbec_docs.desk.app import create_app

        if not made:
            add_accounts(ledger_url)
        app = create_app(ledger_url, **options)
        made.append(app)
        clients = {
            n: sign_in(TestClient(app, base_url="http://desk.test"), n) for n in ("ent-a", "rev-jinshui", "bureau")
        }
        return app, clients

    yield build
    for app in made:
        app.state.desk.ledger.engine.dispose()


def _through_the_desk(c, bundle: dict, date: str | None = None):
    r = c["ent-a"].post("/api/cases", json=bundle)
    assert r.status_code == 201, r.text
    case = r.json()["id"]
    r = c["rev-jinshui"].post(f"/api/cases/{case}/reviews", json={"conclusion": "approve"})
    assert r.status_code == 201, r.text
    # dated on or after the review that approves it (the desk's review is dated today): issue 19
    return case, c["bureau"].post(f"/api/cases/{case}/award", json={"date": date or dt.date.today().isoformat()})


def test_the_desk_numbers_and_prints_notices_as_its_issuer_profile(desk_of, tmp_path):
    """serve --issuer-profile 洛阳: the desk numbers 洛商务〔2026〕1号, the ledger records 洛阳市商务局 as the
    issuer, and the notice's 版头, 署名 and 版记 are 洛阳's — never 郑商务 or 郑州市商务局."""
    app, c = desk_of(issuer_profile=str(issuer_profile(tmp_path / "luoyang.yaml")))
    case, r = _through_the_desk(c, clause1())
    assert r.status_code == 201 and r.json()["number"] == "洛商务〔2026〕1号", r.text
    (notice,) = app.state.desk.service.get_case(case).notices
    assert notice.issuer == "洛阳市商务局"
    text = docx_text(c["ent-a"].get(f"/api/cases/{case}/documents/notice.docx").content)
    assert "洛阳市商务局文件" in text and "洛商务〔2026〕1号" in text and "洛阳市商务局办公室" in text
    assert "郑州市商务局" not in text and "郑商务" not in text
    opinion = docx_text(c["bureau"].get(f"/api/cases/{case}/documents/opinion.docx").content)
    assert "郑州市商务局" not in opinion


def test_the_desk_applies_the_exclusion_list_as_the_command_line_does(desk_of, tmp_path):
    """serve --exclusion-list: an enterprise on the clause 15 list is decided excluded on the desk,
    exactly as `check --exclusion-list` decides it, and nothing is awarded."""
    listed = tmp_path / "etrade.txt"
    listed.write_text(f"# 享受E贸易核心功能集聚区政策的企业\n{ENT_A}\n", encoding="utf-8")
    _, c = desk_of(exclusion_list=str(listed))
    bundle = clause1()
    r = c["ent-a"].post("/api/cases", json=bundle)
    assert r.status_code == 201
    desk_statuses = [d["status"] for d in r.json()["check"]["claims"]]
    path = write_bundle(tmp_path / "b.json", bundle)
    code, out, err = cli("check", "--json", str(path), "--exclusion-list", str(listed))
    assert [d["status"] for d in json.loads(out)["claims"]] == desk_statuses == ["excluded"], err
    case = r.json()["id"]
    assert (
        c["rev-jinshui"]
        .post(f"/api/cases/{case}/reviews", json={"conclusion": "reject", "remarks": "第十五条"})
        .status_code
        == 201
    )
    assert c["bureau"].post(f"/api/cases/{case}/award", json={"date": "2026-03-05"}).status_code == 409


def test_the_desk_applies_the_issue_date_and_the_policy_it_was_given(desk_of, tmp_path):
    """serve --issued-on (clause 18's term) and serve --policy (another text): the desk's decision is
    the command line's under the same options, never the packaged draft's."""
    import yaml

    from zzcbec_docs.policy import default_policy_path

    data = yaml.safe_load(Path(default_policy_path()).read_text(encoding="utf-8"))
    clause = next(c for c in data["clauses"] if c["number"] == 1)
    clause["amount"]["rate"] = "0.40"
    data["id"] = "zz-cbec-measures-variant"
    variant = tmp_path / "variant.yaml"
    variant.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    bundle = clause1()
    path = write_bundle(tmp_path / "b.json", bundle)
    _, c = desk_of(policy_path=str(variant), issued_on=__import__("datetime").date(2027, 6, 1))
    r = c["ent-a"].post("/api/cases", json=bundle)
    assert r.status_code == 201, r.text
    code, out, err = cli("check", "--json", str(path), "--policy", str(variant), "--issued-on", "2027-06-01")
    cli_decisions = [(d["status"], d["amount"]) for d in json.loads(out)["claims"]]
    assert [(d["status"], d["amount"]) for d in r.json()["check"]["claims"]] == cli_decisions, err
    assert cli_decisions[0][0] != "eligible"  # 2026 lies before a term that begins in 2027
    # under the variant alone (its own date), 40% of 700,000: 280,000, not the draft's 210,000
    _, c2 = desk_of(policy_path=str(variant))
    case, r = _through_the_desk(c2, clause1(promotion="700000"))
    assert r.status_code == 201 and r.json()["total"] == "280000.00", r.text


def test_the_dashboard_cap_use_is_the_rules_own(desk_of):
    """Clause 11 is capped per competition (单个活动不超过20万): one full 20万 competition and one of 10万
    are 100% and 50% of their caps, 75% on average — not 30万 summed against one 20万; clause 9's
    fee-tier cap is shown as well."""
    app, c = desk_of()
    service = app.state.desk.service
    import yaml

    def sample(name: str, n: int) -> dict:
        data = yaml.safe_load((SAMPLES / name).read_text(encoding="utf-8"))
        data["applicant"].update(uscc=ENT_A, district="金水区")
        return data

    eleven = sample("clause11-eligible.yaml", 1)
    eleven["claims"][1]["facts"]["requested"] = "100000"
    case, r = _through_the_desk(c, eleven)
    assert r.status_code == 201 and r.json()["total"] == "300000.00", r.text
    case, r = _through_the_desk(c, sample("clause09-eligible.yaml", 1))
    assert r.status_code == 201, r.text
    use = {(u.clause, u.scope): u.share for u in service.cap_use()}
    shares = sorted(v for (clause, _), v in use.items() if clause == 11)
    assert shares == [Decimal("0.5"), Decimal(1)]
    assert any(clause == 9 for clause, _ in use)
    page = c["bureau"].get("/dashboard")
    assert page.status_code == 200
    caps = page.text[page.text.index("上限使用率") :]
    caps = caps[: caps.index("</svg>")]
    assert re.search(r"第十一条</text>.*?>75%</text>", caps) and "第九条" in caps


def test_the_command_line_awards_as_its_issuer_profile(ledger_url, tmp_path):
    bundle = write_bundle(tmp_path / "b.json", make_bundle(1, CLAUSE1, n=506))
    profile = issuer_profile(tmp_path / "luoyang.yaml")
    code, out, err = cli(
        "award",
        str(bundle),
        "--ledger",
        ledger_url,
        "--out",
        str(tmp_path / "out"),
        "--format",
        "docx",
        "--date",
        "2026-03-05",
        "--issuer-profile",
        str(profile),
    )
    assert code == 0 and "洛商务〔2026〕1号" in out, err
    (notice,) = (tmp_path / "out").glob("*.docx")
    text = docx_text(notice)
    assert "洛阳市商务局文件" in text and "郑州市商务局" not in text
    assert notices_in(ledger_url)[0]["notice_number"] == "洛商务〔2026〕1号"
    code, out, err = cli("verify", str(notice), "--ledger", ledger_url)
    assert code == 0, out + err


# ====================================================================== point 10: verify everything printed
@pytest.fixture(scope="module")
def one_notice(tmp_path_factory):
    """One awarded clause 1 notice (DOCX) in a SQLite ledger: 240,000, 金水区 half and half."""
    tmp = tmp_path_factory.mktemp("verify")
    ledger = tmp / "l.db"
    assert cli("ledger", "init", "--ledger", str(ledger))[0] == 0
    bundle = write_bundle(tmp / "b.json", make_bundle(1, CLAUSE1, n=507))
    code, out, err = cli(
        "award",
        str(bundle),
        "--ledger",
        str(ledger),
        "--out",
        str(tmp / "out"),
        "--format",
        "docx",
        "--date",
        "2026-03-05",
    )
    assert code == 0, err
    (notice,) = (tmp / "out").glob("*.docx")
    return str(ledger), notice


def _forged_paragraph(paragraph: str, old: str, new: str) -> str:
    """Every `old` in a paragraph's text replaced by `new`, whichever runs its characters are in (the
    notice's DOCX carries each body line's letter spacing on a run of its own, so a figure the PDF
    breaks across two lines lies in two runs); the runs keep their formatting."""
    texts = list(re.finditer(r"(<w:t(?: [^>]*)?>)([^<]*)(</w:t>)", paragraph))
    joined = "".join(t.group(2) for t in texts)
    while (at := joined.find(old)) >= 0:
        end, pos, pieces = at + len(old), 0, []
        for t in texts:
            start, stop = pos, pos + len(t.group(2))
            pos = stop
            piece = joined[start : min(stop, at)] if start < at else ""
            if start <= at < stop:
                piece += new
            piece += joined[max(start, end) : stop] if stop > end else ""
            pieces.append(piece)
        for t, piece in reversed(list(zip(texts, pieces, strict=True))):
            paragraph = paragraph[: t.start(2)] + piece + paragraph[t.end(2) :]
        texts = list(re.finditer(r"(<w:t(?: [^>]*)?>)([^<]*)(</w:t>)", paragraph))
        joined = "".join(t.group(2) for t in texts)
    return paragraph


def altered(src: Path, dest: Path, old: str, new: str) -> Path:
    """The DOCX with a printed figure or name changed, as a forger would in Word: in every paragraph's
    text, across the runs it is split into."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                xml = data.decode("utf-8")
                forged = re.sub(
                    r"<w:p[ >].*?</w:p>", lambda m: _forged_paragraph(m.group(0), old, new), xml, flags=re.S
                )
                assert old in verify_text(xml) and forged != xml, old
                assert old in new or old not in verify_text(forged), (old, "left in the text")
                data = forged.encode("utf-8")
            zout.writestr(item, data)
    return dest


def verify_text(xml: str) -> str:
    """The document's text as `verify` reads a DOCX (tags dropped, one line per paragraph)."""
    return re.sub(r"<[^>]+>", "", xml.replace("</w:p>", "\n"))


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        (
            "6217000000000000001",
            "6217000000000000009",
            "账号与台账不符：文件为 6217000000000000009，台账为 6217000000000000001",
        ),
        ("中国银行郑州分行", "中国建设银行郑州分行", "开户银行与台账不符"),
        ("测试企业507有限公司：", "另一企业有限公司：", "收款单位与台账不符"),
        ("市级财政承担12万元", "市级财政承担14万元", "奖励金额的文字表述与台账不符"),
        ("人民币贰拾肆万元整", "人民币贰拾伍万元整", "奖励合计与台账不符"),
        ("2026年3月5日", "2026年3月6日", "成文日期与台账不符：文件为 2026年3月6日，台账为 2026年3月5日"),
        ("120,000.00", "140,000.00", "市级、区县分担与台账不符"),
    ],
)
def test_verify_names_every_printed_figure_and_name_that_differs(one_notice, tmp_path, old, new, says):
    ledger, notice = one_notice
    code, out, err = cli("verify", str(notice), "--ledger", ledger)
    assert code == 0 and "✓" in out, out + err
    forged = altered(notice, tmp_path / "forged.docx", old, new)
    code, out, err = cli("verify", str(forged), "--ledger", ledger)
    assert code == 1 and says in out and "✗" in out, out + err


def test_verify_checks_are_named_and_another_can_be_added(one_notice):
    """The checks are a list of named checks with their results (a signature check is one more)."""
    from zzcbec_docs.documents import verify
    from zzcbec_docs.ledger import open_ledger
    from zzcbec_docs.policy import load_policy
    from zzcbec_docs.process.service import Service

    ledger, notice = one_notice
    service = Service.build(open_ledger(ledger, upgrade=False), load_policy())
    v = service.verify(notice)
    names = [c.name for c in v.checks if c.ok]
    assert {
        "standing",
        "number",
        "issuer",
        "payee",
        "bank",
        "account",
        "amounts",
        "total",
        "shares",
        "sentence",
        "date",
        "code",
    } <= set(names) and v.ok

    def refuse(seen, v):
        v.fail("signature", "签章", "未签章", "not signed")

    verify.CHECKS.append(refuse)
    try:
        v = service.verify(notice)
        assert not v.ok and v.problems == [("未签章", "not signed")]
    finally:
        verify.CHECKS.remove(refuse)


def test_the_dashboard_counts_one_competitions_cap_once_whoever_organised_it(desk_of):
    """单个活动不超过20万 per competition, whoever of its organisers applies (issue 19 point 7): two
    organisers of one competition paid 15万 and 5万 use all of its 20万 — one cap, at 100%."""
    from zzcbec_docs.process.model import ReviewInput

    app, _ = desk_of()
    service = app.state.desk.service
    name = "2026郑州跨境电商创新创业大赛"
    for n, requested in ((520, "150000"), (521, "50000")):
        bundle = make_bundle(
            11,
            {"competition_name": name, "competition_approved": True, "held_in_zhengzhou": True, "requested": requested},
            n=n,
        )
        from zzcbec_docs.bundle import parse_bundle

        case = service.submit(
            parse_bundle(json.dumps(bundle, ensure_ascii=False).encode(), "b.json", policy=service.policy), actor="test"
        ).case.id
        import datetime as dt

        service.review(
            case,
            ReviewInput(reviewer="审核员", conclusion="approve", verified=(), reviewed_on=dt.date(2027, 3, 1)),
            actor="test",
        )
        assert service.award(case, actor="test", date=dt.date(2027, 3, 5)).total == Decimal(requested)
    (use,) = [u for u in service.cap_use() if u.clause == 11]
    assert (use.cap, use.used, use.share) == (Decimal("200000"), Decimal("200000"), Decimal(1))
