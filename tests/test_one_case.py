"""One case, one truth (issue 19): a case is one thing from submission to archive, whichever command
looks at it. Each claim below runs through the command line as a user runs it (`zzcbec …`, in this
process to keep the suite fast), on a SQLite file and on the PostgreSQL server, and reads the
ledger and the documents back."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import yaml

from zzcbec_docs.ledger import open_ledger
from zzcbec_docs.policy import load_policy

from conftest import make_bundle, uscc, write_bundle

TODAY = dt.date.today()
YEAR = TODAY.year  # the 申报年度 of the bundles: reviews and awards dated today lie inside it
DAY = TODAY.isoformat()


def cli(*args: object) -> tuple[int, str, str]:
    from zzcbec_docs.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def bundle(tmp_path: Path, name: str, clause: int, facts: dict, n: int = 60, **kw) -> Path:
    return write_bundle(tmp_path / name, make_bundle(clause, facts, n=n, year=YEAR, **kw))


def clause1(tmp_path: Path, name: str, promotion: str, n: int = 60, **kw) -> Path:
    """Clause 1: 30% of the promotion costs, at most ¥500,000 a year (import/export above the threshold)."""
    return bundle(tmp_path, name, 1, {"import_export": "30000000", "promotion_costs": promotion}, n=n, **kw)


def review_file(
    tmp_path: Path,
    target: Path,
    conclusion: str = "approve",
    verified: list | None = None,
    name: str = "review.yaml",
    on: str = DAY,
    remarks: str = "",
) -> Path:
    record = {
        "bundle": {"file": target.name, "sha256": hashlib.sha256(target.read_bytes()).hexdigest()},
        "reviewer": "张审核",
        "reviewed_on": on,
        "conclusion": conclusion,
        "verified": verified or [],
        "remarks": remarks,
    }
    p = tmp_path / name
    p.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    return p


def award(ledger: str, target: object, out: Path, *extra: object) -> tuple[int, str, str]:
    return cli("award", target, "--ledger", ledger, "--out", out, "--format", "docx", "--date", DAY, *extra)


def docx_text(path: Path) -> str:
    xml = zipfile.ZipFile(io.BytesIO(path.read_bytes())).read("word/document.xml").decode()
    return re.sub(r"<[^>]+>", "", xml)


def standing(ledger: str) -> list:
    return [a for a in open_ledger(ledger).awards() if not a.revoked]


def number(seq: int) -> str:
    return f"郑商务〔{YEAR}〕{seq}号"


def check(ledger: str, target: Path) -> dict:
    code, text, err = cli("check", target, "--ledger", ledger, "--json")
    assert code in (0, 1), err
    return json.loads(text)


def issued(text: str) -> str:
    """The number `award` printed."""
    return re.search(r"✓ (\S+〔\d{4}〕\d+号)", text).group(1)  # type: ignore[union-attr]


def case_of(text: str) -> str:
    return re.search(r"案件 case ([0-9a-f]{16})", text).group(1)  # type: ignore[union-attr]


# ---------------------------------------------------------------- 1. a case never competes with itself
def test_an_awarded_case_is_shown_as_awarded_by_every_command_that_counts_the_ledger(ledger_url, tmp_path):
    out = tmp_path / "out"
    b = clause1(tmp_path, "a.json", "1500000")  # 30% = ¥450,000 of the ¥500,000 cap
    code, text, err = award(ledger_url, b, out)
    assert code == 0, err
    # check: the amounts awarded, the number, 已奖励 — not the ¥50,000 "remaining" offered again
    d = check(ledger_url, b)
    (claim,) = d["claims"]
    assert claim["status"] == "eligible" and claim["amount"] == "450000.00"
    assert claim["awarded"] == {
        "status": "awarded",
        "label": "已奖励",
        "number": number(1),
        "issued_on": DAY,
        "amount": "450000.00",
    }
    assert d["awarded"]["notices"] == [{"number": number(1), "issued_on": DAY, "total": "450000.00"}]
    assert d["awarded"]["label"] == "已奖励" and d["total"] == "450000.00"
    # explain and batch say the same
    code, text, _ = cli("explain", b, "--ledger", ledger_url)
    assert "¥450,000.00" in text and number(1) in text and "¥50,000.00" not in text
    code, text, err = cli(
        "batch",
        b,
        "--ledger",
        ledger_url,
        "--out",
        tmp_path / "batch",
        "--docs",
        "application",
        "--format",
        "docx",
        "--jobs",
        "1",
    )
    summary = (tmp_path / "batch" / "summary.csv").read_text(encoding="utf-8-sig")
    assert "450000.00" in summary and number(1) in summary and ",50000.00," not in summary, (text, err)
    # match: the enterprise's profile with the very facts of the awarded claim
    profile = {
        "schema_version": "1.0",
        "year": YEAR,
        "applicant": make_bundle(1, {}, n=60)["applicant"],
        "facts": {"import_export": "30000000", "promotion_costs": "1500000"},
    }
    (tmp_path / "p.json").write_text(json.dumps(profile, ensure_ascii=False), encoding="utf-8")
    code, text, err = cli("match", tmp_path / "p.json", "--ledger", ledger_url, "--json")
    clause_1 = next(c for c in json.loads(text)["clauses"] if c["clause"] == 1)
    assert clause_1["amount"] == "450000.00" and clause_1["awarded"][0]["number"] == number(1), err
    # the case's own award never refuses it; another case of the same applicant still counts it
    other = clause1(tmp_path, "other.json", "1000000")
    assert check(ledger_url, other)["total"] == "50000.00"
    # and the case itself is not awarded twice
    code, _, err = award(ledger_url, b, out)
    assert code == 1 and number(1) in err
    assert [a.notice_number for a in standing(ledger_url)] == [number(1)]


def test_an_opinion_made_after_the_award_says_what_the_one_before_it_said(ledger_url, tmp_path):
    # clause 9 at its cap: 60% of the fees is more than ¥500,000, so the award is the whole cap
    facts = {
        "demo_park_level": "provincial",
        "cbec_import_export": "120000000",
        "service_revenue": "0",
        "service_fees": {"rent": "900000", "property_management": "100000"},
    }
    b = bundle(tmp_path, "park.json", 9, facts, n=61)
    r = review_file(tmp_path, b, "approve")
    before, after = tmp_path / "before", tmp_path / "after"
    assert cli("ledger", "init", "--ledger", ledger_url)[0] == 0
    code, _, err = cli(
        "render", b, "--ledger", ledger_url, "--review", r, "--doc", "opinion", "--format", "docx", "--out", before
    )
    assert code == 0, err
    code, text, err = award(ledger_url, b, tmp_path / "out", "--review", r)
    assert code == 0 and "¥500,000.00" in text, err
    # after the award: the approving review is not refused ("approve conflicts, use partial"), the opinion is the same
    code, text, err = cli(
        "render", b, "--ledger", ledger_url, "--review", r, "--doc", "opinion", "--format", "docx", "--out", after
    )
    assert code == 0, err
    assert "已奖励" in text and number(1) in text
    (one,), (two,) = before.glob("*opinion.docx"), after.glob("*opinion.docx")
    assert docx_text(one) == docx_text(two)
    assert "伍拾万元整" in docx_text(two)
    # the case's own opinion from the ledger (review --out, the desk) is the same document again
    case = json.loads(cli("case", "list", "--ledger", ledger_url, "--json")[1].splitlines()[0])["id"]
    d = check(ledger_url, b)
    assert d["claims"][0]["awarded"]["number"] == number(1) and d["claims"][0]["amount"] == "500000.00"
    code, text, _ = cli("case", "show", case, "--ledger", ledger_url, "--json")
    assert json.loads(text)["case"]["status"] == "awarded"


# ---------------------------------------------------------------- 2. a review never pays more than was asked
def test_a_review_that_would_raise_the_amount_is_recorded_with_a_warning_and_pays_the_declared_amount(
    ledger_url, tmp_path
):
    out = tmp_path / "out"
    b = clause1(tmp_path, "a.json", "1000000", n=62)  # declared: ¥300,000
    raised = review_file(tmp_path, b, "approve", [{"clause": 1, "facts": {"promotion_costs": "1200000"}}])
    code, text, err = cli("review", b, "--record", raised, "--ledger", ledger_url, "--out", out, "--format", "docx")
    assert code == 0, err
    assert "review_raises" not in err and "审核只核减、不核增" in err and "declared" in err
    (opinion,) = out.glob("*opinion.docx")
    words = docx_text(opinion)
    assert "审核只核减、不核增" in words and "叁拾万元整" in words and "叁拾陆万元整" not in words
    code, text, err = award(ledger_url, case_of(text), out)
    assert code == 0 and "¥300,000.00" in text, err
    assert [a.amount for a in standing(ledger_url)] == [300000]
    # mirror: a review that lowers the figure lowers the award
    b2 = clause1(tmp_path, "b.json", "1000000", n=63)
    lower = review_file(
        tmp_path, b2, "partial", [{"clause": 1, "facts": {"promotion_costs": "700000"}}], name="r2.yaml"
    )
    code, text, err = award(ledger_url, b2, out, "--review", lower)
    assert code == 0 and "¥210,000.00" in text, err


def test_clause_11_never_pays_more_than_requested_whatever_the_review_verifies(ledger_url, tmp_path):
    facts = {
        "competition_name": "郑州跨境电商直播大赛",
        "competition_approved": True,
        "held_in_zhengzhou": True,
        "requested": "150000",
    }
    b = bundle(tmp_path, "c11.json", 11, facts, n=64)
    r = review_file(
        tmp_path,
        b,
        "approve",
        [{"clause": 11, "competition_name": "郑州跨境电商直播大赛", "facts": {"requested": "200000"}}],
    )
    code, text, err = award(ledger_url, b, tmp_path / "out", "--review", r)
    assert code == 0 and "¥150,000.00" in text and "审核只核减、不核增" in err, err
    assert [a.amount for a in standing(ledger_url)] == [150000]


# ---------------------------------------------------------------- 3. dates in order
def test_a_review_dated_before_the_submission_or_the_year_and_an_award_before_its_review_are_refused(
    ledger_url, tmp_path
):
    b = clause1(tmp_path, "a.json", "1000000", n=65)
    code, text, err = cli("submit", b, "--ledger", ledger_url, "--json")
    assert code == 0, err
    case = json.loads(text)["case"]["id"]
    submitted = json.loads(text)["case"]["submitted_at"][:10]
    early = dt.date.fromisoformat(submitted) - dt.timedelta(days=1)
    if early.year == YEAR:  # (on 1 January the day before is also before the year: refused for that reason)
        code, _, err = cli(
            "review", case, "--record", review_file(tmp_path, b, on=early.isoformat()), "--ledger", ledger_url
        )
        assert code == 2 and early.isoformat() in err and submitted in err
    before_year = f"{YEAR - 1}-12-31"
    code, _, err = cli(
        "review", case, "--record", review_file(tmp_path, b, on=before_year, name="r0.yaml"), "--ledger", ledger_url
    )
    assert code == 2 and before_year in err and f"{YEAR}-01-01" in err
    code, text, _ = cli("case", "show", case, "--ledger", ledger_url, "--json")
    assert json.loads(text)["reviews"] == []  # nothing recorded
    # an award dated before the review that approves it
    later = TODAY + dt.timedelta(days=2)
    if later.year == YEAR:
        code, _, err = cli(
            "review",
            case,
            "--record",
            review_file(tmp_path, b, on=later.isoformat(), name="r1.yaml"),
            "--ledger",
            ledger_url,
        )
        assert code == 0, err
        code, _, err = award(ledger_url, case, tmp_path / "out")
        assert code == 2 and later.isoformat() in err and DAY in err
        assert standing(ledger_url) == [] and not list((tmp_path / "out").glob("*notice*"))
        # mirror: dated on or after the review, it is awarded
        code, _, err = cli(
            "award",
            case,
            "--ledger",
            ledger_url,
            "--out",
            tmp_path / "out",
            "--format",
            "docx",
            "--date",
            later.isoformat(),
        )
        assert code == 0, err


def test_award_dates_outside_the_data_years_reach_are_refused_before_anything_is_recorded(ledger_url, tmp_path):
    b = clause1(tmp_path, "a.json", "1000000", n=66)
    for when in ("0001-01-01", "9999-12-31", f"{YEAR - 1}-06-30"):
        code, _, err = cli(
            "award", b, "--ledger", ledger_url, "--out", tmp_path / "out", "--format", "docx", "--date", when
        )
        assert code == 2 and when in err, (when, err)
    code, text, _ = cli("case", "list", "--ledger", ledger_url, "--json")
    assert text.strip() == "" and standing(ledger_url) == []  # no case, no review, no number
    # a review dated after the award it would approve, in the one-step form: refused before recording
    r = review_file(tmp_path, b, on=f"{YEAR}-12-31")
    code, _, err = cli(
        "award",
        b,
        "--review",
        r,
        "--ledger",
        ledger_url,
        "--out",
        tmp_path / "out",
        "--format",
        "docx",
        "--date",
        f"{YEAR}-01-02",
    )
    assert code == 2 and f"{YEAR}-12-31" in err and f"{YEAR}-01-02" in err
    assert cli("case", "list", "--ledger", ledger_url, "--json")[1].strip() == ""


# ---------------------------------------------------------------- 4. one identity
def test_the_same_application_written_with_an_alias_or_another_uscc_form_is_one_case_never_paid_twice(
    ledger_url, tmp_path
):
    out = tmp_path / "out"
    data = make_bundle(
        1, {"import_export": "30000000", "promotion_costs": "1000000"}, n=67, year=YEAR, district="管城回族区"
    )
    code, text, err = award(ledger_url, write_bundle(tmp_path / "a.json", data), out)
    assert code == 0, err
    first = case_of(text)
    data["applicant"]["district"] = "管城区"
    code = data["applicant"]["uscc"]
    data["applicant"]["uscc"] = " " + code.lower().translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}) + " "
    again = write_bundle(tmp_path / "b.json", data)
    code2, _, err = award(ledger_url, again, out)
    assert code2 == 1 and number(1) in err and "already awarded" in err
    assert len(cli("case", "list", "--ledger", ledger_url, "--json")[1].splitlines()) == 1
    d = check(ledger_url, again)
    assert d["applicant"]["uscc"] == code and d["applicant"]["district"] == "管城区"
    assert d["claims"][0]["awarded"]["number"] == number(1)
    code3, text, _ = cli("case", "show", first, "--ledger", ledger_url, "--json")
    assert json.loads(text)["case"]["district"] == "管城区"


def test_a_case_recorded_under_the_earlier_identity_is_still_found_and_not_paid_again(ledger_url, tmp_path):
    """A ledger written before the district was folded holds the content SHA-256 of the district as written."""
    from sqlalchemy import text as sql

    from zzcbec_docs.bundle import load_bundle
    from zzcbec_docs.process.identity import content_identities

    out = tmp_path / "out"
    a = write_bundle(
        tmp_path / "a.json",
        make_bundle(
            1, {"import_export": "30000000", "promotion_costs": "1000000"}, n=68, year=YEAR, district="航空港区"
        ),
    )
    code, text, err = award(ledger_url, a, out)
    assert code == 0, err
    current, legacy = content_identities(load_bundle(a, load_policy()))
    lg = open_ledger(ledger_url)
    with lg.engine.begin() as conn:  # what the earlier version recorded for this application
        conn.execute(
            sql("UPDATE zzcbec_cases SET content_sha256 = :o WHERE content_sha256 = :n"), {"o": legacy, "n": current}
        )
        conn.execute(
            sql("UPDATE zzcbec_notices SET content_sha256 = :o WHERE content_sha256 = :n"), {"o": legacy, "n": current}
        )
    lg.engine.dispose()
    same = write_bundle(
        tmp_path / "b.json",
        make_bundle(
            1,
            {"import_export": "30000000", "promotion_costs": "1000000"},
            n=68,
            year=YEAR,
            district="航空港经济综合实验区",
        ),
    )
    code, _, err = award(ledger_url, same, out)
    assert code == 1 and number(1) in err
    assert check(ledger_url, a)["claims"][0]["awarded"]["number"] == number(1)
    assert len(cli("case", "list", "--ledger", ledger_url, "--json")[1].splitlines()) == 1


# ---------------------------------------------------------------- 5. tiers survive revocation
def test_clause_3_revoked_and_reissued_leaves_exactly_400万_once_10亿_was_passed(ledger_url, tmp_path):
    out = tmp_path / "out"
    hq = {"hq_level": "national", "settled_on": f"{YEAR - 2}-06-18"}
    five = bundle(tmp_path, "five.json", 3, {**hq, "cbec_import_export": "600000000"}, n=69)
    ten = bundle(tmp_path, "ten.json", 3, {**hq, "cbec_import_export": "1200000000"}, n=69)
    assert award(ledger_url, five, out)[0] == 0  # 首次超过5亿元: ¥2,000,000
    code, text, err = award(ledger_url, ten, out)  # 首次超过10亿元: 400万 in all, ¥2,000,000 more
    assert code == 0 and "¥2,000,000.00" in text, err
    assert sum(a.amount for a in standing(ledger_url)) == 4000000
    # the first notice had a clerical error: revoked and issued again
    assert cli("ledger", "revoke", number(1), "--reason", "名称笔误", "--ledger", ledger_url)[0] == 0
    code, text, err = award(ledger_url, five, out, "--reissue-of", number(1))
    assert code == 0 and "¥2,000,000.00" in text, err
    assert sum(a.amount for a in standing(ledger_url)) == 4000000
    # the top-up notice revoked and issued again: still 400万 in all, never 200万 or 600万
    assert cli("ledger", "revoke", number(2), "--reason", "账号笔误", "--ledger", ledger_url)[0] == 0
    code, text, err = award(ledger_url, ten, out, "--reissue-of", number(2))
    assert code == 0 and "¥2,000,000.00" in text, err
    assert sum(a.amount for a in standing(ledger_url)) == 4000000
    # both revoked: the 10亿 case alone is paid the whole 400万, the 5亿 case then nothing more
    for n in (3, 4):
        assert cli("ledger", "revoke", number(n), "--reason", "重新核定", "--ledger", ledger_url)[0] == 0
    code, text, err = award(ledger_url, ten, out, "--reissue-of", number(4))
    assert code == 0 and "¥4,000,000.00" in text, err
    code, _, err = award(ledger_url, five, out, "--reissue-of", number(3))
    assert code == 1 and "nothing to award" in err
    assert sum(a.amount for a in standing(ledger_url)) == 4000000


def test_clause_8_and_9_and_one_time_awards_revoked_and_reissued_pay_exactly_once(ledger_url, tmp_path):
    out = tmp_path / "out"
    park = bundle(tmp_path, "park.json", 8, {"park_cbec_enterprises": 25, "park_foreign_trade": "5500000000"}, n=70)
    fees = bundle(
        tmp_path,
        "fees.json",
        9,
        {
            "demo_park_level": "provincial",
            "cbec_import_export": "120000000",
            "service_revenue": "0",
            "service_fees": {"rent": "300000"},
        },
        n=70,
    )
    once = bundle(
        tmp_path,
        "once.json",
        5,
        {"served_cbec_enterprises": 60, "revenue": "30000000", "revenue_prior_year": "20000000"},
        n=70,
    )
    for b, amount in ((park, "¥300,000.00"), (fees, "¥180,000.00"), (once, None)):
        code, text, err = award(ledger_url, b, out)
        assert code == 0 and (amount is None or amount in text), err
        first = issued(text)
        assert cli("ledger", "revoke", first, "--reason", "笔误", "--ledger", ledger_url)[0] == 0
        code, again, err = award(ledger_url, b, out, "--reissue-of", first)
        total = re.search(r"合计 / total (¥[\d,.]+)", text).group(1)  # type: ignore[union-attr]
        assert code == 0 and f"合计 / total {total}" in again, err
        # and only once: the same content is not awarded a third time
        assert award(ledger_url, b, out)[0] == 1
    by_clause = {a.clause: a.amount for a in standing(ledger_url)}
    assert by_clause[8] == 300000 and by_clause[9] == 180000 and by_clause[5] > 0
    assert sorted(a.clause for a in standing(ledger_url)) == [5, 8, 9]


# ---------------------------------------------------------------- 6. one review, recorded once
def test_the_same_review_twice_records_nothing_new_and_a_reissue_names_the_notice_it_replaces(ledger_url, tmp_path):
    out = tmp_path / "out"
    b = clause1(tmp_path, "a.json", "1000000", n=71)
    r = review_file(tmp_path, b, "approve")
    code, text, err = award(ledger_url, b, out, "--review", r)
    assert code == 0, err
    case = case_of(text)
    code, text, err = award(ledger_url, b, out, "--review", r)
    assert code == 1 and "already recorded" in text and number(1) in err
    shown = json.loads(cli("case", "show", case, "--ledger", ledger_url, "--json")[1])
    assert len(shown["reviews"]) == 1
    assert cli("ledger", "revoke", number(1), "--reason", "文号有误", "--ledger", ledger_url)[0] == 0
    code, text, err = award(ledger_url, case, out, "--reissue-of", number(1))
    assert code == 0 and number(2) in text, err
    assert f"替代已撤销的{number(1)}" in docx_text(next(out.glob("*notice-*-002.docx")))
    assert cli("ledger", "revoke", number(2), "--reason", "日期有误", "--ledger", ledger_url)[0] == 0
    # re-issuing the notice already replaced is refused and names the one that replaced it
    code, _, err = award(ledger_url, case, out, "--reissue-of", number(1))
    assert code == 2 and number(2) in err and "already replaced" in err
    code, text, err = award(ledger_url, case, out, "--reissue-of", number(2))
    assert code == 0 and number(3) in text, err
    assert f"替代已撤销的{number(2)}" in docx_text(next(out.glob("*notice-*-003.docx")))
    assert [a.notice_number for a in standing(ledger_url)] == [number(3)]


# ---------------------------------------------------------------- 7. clause 11 per competition
def test_two_organisers_of_one_competition_share_one_20万(ledger_url, tmp_path):
    out = tmp_path / "out"

    def organiser(n: int, name: str, requested: str) -> Path:
        return bundle(
            tmp_path,
            f"org{n}.json",
            11,
            {"competition_name": name, "competition_approved": True, "held_in_zhengzhou": True, "requested": requested},
            n=n,
        )

    first = organiser(72, "第１届 郑州跨境电商大赛", "150000")
    second = organiser(73, "第1届郑州跨境电商大赛", "150000")  # the same competition, written otherwise
    code, text, err = award(ledger_url, first, out)
    assert code == 0 and "¥150,000.00" in text, err
    d = check(ledger_url, second)
    assert d["total"] == "50000.00" and any(w["code"] == "competition_shared" for w in d["warnings"])
    code, text, err = award(ledger_url, second, out)
    assert code == 0 and "¥50,000.00" in text, err
    assert sum(a.amount for a in standing(ledger_url)) == 200000
    # mirror: another competition of the second organiser has its own 20万
    other = organiser(73, "第1届郑州跨境电商直播节", "200000")
    assert check(ledger_url, other)["total"] == "200000.00"


def test_organisers_of_one_competition_share_its_20万_in_a_batch_and_in_the_publicity_list(ledger_url, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for n, name in ((77, "a.json"), (78, "b.json")):
        write_bundle(
            folder / name,
            make_bundle(
                11,
                {
                    "competition_name": "郑州跨境电商选品大会",
                    "competition_approved": True,
                    "held_in_zhengzhou": True,
                    "requested": "150000",
                },
                n=n,
                year=YEAR,
            ),
        )
    assert cli("ledger", "init", "--ledger", ledger_url)[0] == 0
    code, text, err = cli(
        "batch",
        folder,
        "--ledger",
        ledger_url,
        "--out",
        tmp_path / "batch",
        "--docs",
        "application",
        "--format",
        "docx",
        "--jobs",
        "1",
    )
    summary = (tmp_path / "batch" / "summary.csv").read_text(encoding="utf-8-sig")
    assert ",150000.00," in summary and ",50000.00," in summary, (text, err)
    # approved, not yet awarded: the 公示 lists them together under the one 20万
    for name in ("a.json", "b.json"):
        b = folder / name
        assert (
            cli("review", b, "--record", review_file(tmp_path, b, name=f"r-{name}.yaml"), "--ledger", ledger_url)[0]
            == 0
        )
    code, _, err = cli(
        "publicity",
        "--year",
        YEAR,
        "--ledger",
        ledger_url,
        "--out",
        tmp_path / "pub",
        "--format",
        "docx",
        "--date",
        DAY,
        "--from",
        DAY,
    )
    assert code == 0, err
    words = docx_text(next((tmp_path / "pub").glob("*.docx")))
    assert "合计200,000.00" in words and "300,000" not in words


# ---------------------------------------------------------------- 9. nothing else pays twice or past a cap
def test_the_publicity_list_prices_an_applicants_approved_cases_together(ledger_url, tmp_path):
    for name in ("a.json", "b.json"):
        b = clause1(tmp_path, name, "1500000" if name == "a.json" else "1500001", n=74)  # ¥450,000 each alone
        code, _, err = cli(
            "review", b, "--record", review_file(tmp_path, b, name=f"r-{name}.yaml"), "--ledger", ledger_url
        )
        assert code == 0, err
    code, _, err = cli(
        "publicity",
        "--year",
        YEAR,
        "--ledger",
        ledger_url,
        "--out",
        tmp_path / "pub",
        "--format",
        "docx",
        "--date",
        DAY,
        "--from",
        DAY,
    )
    assert code == 0, err
    words = docx_text(next((tmp_path / "pub").glob("*.docx")))
    amounts = re.findall(r"第一条([\d,]+\.\d\d)", words)
    assert len(amounts) == 2 and "450,000.30" in amounts or "450,000.00" in amounts
    assert "合计500,000.00" in words and "900,000" not in words  # the yearly cap in all, not ¥900,000.30


def test_a_review_added_to_an_awarded_case_is_refused_while_its_notice_stands(ledger_url, tmp_path):
    out = tmp_path / "out"
    b = clause1(tmp_path, "a.json", "1000000", n=75)
    code, text, err = award(ledger_url, b, out, "--review", review_file(tmp_path, b, "approve"))
    assert code == 0, err
    case = case_of(text)
    lower = review_file(tmp_path, b, "partial", [{"clause": 1, "facts": {"promotion_costs": "500000"}}], name="r2.yaml")
    code, _, err = cli("review", case, "--record", lower, "--ledger", ledger_url)
    assert code == 1 and number(1) in err and "revoke" in err
    assert len(json.loads(cli("case", "show", case, "--ledger", ledger_url, "--json")[1])["reviews"]) == 1
    # revoke first: then the review is recorded and decides the re-issue
    assert cli("ledger", "revoke", number(1), "--reason", "推广费核减", "--ledger", ledger_url)[0] == 0
    assert cli("review", case, "--record", lower, "--ledger", ledger_url)[0] == 0
    code, text, err = award(ledger_url, case, out, "--reissue-of", number(1))
    assert code == 0 and "¥150,000.00" in text, err


def test_the_desk_refuses_dates_out_of_order_with_422(ledger_url, tmp_path):
    from starlette.testclient import TestClient

    from zzcbec_docs.desk.app import create_app

    from desk_support import add_accounts, sign_in
    from desk_support import clause1 as desk_clause1

    add_accounts(ledger_url)
    app = create_app(ledger_url)
    try:
        ent = sign_in(TestClient(app, base_url="http://desk.test"), "ent-a")
        bureau = sign_in(TestClient(app, base_url="http://desk.test"), "bureau")
        case = ent.post("/api/cases", json=desk_clause1(year=YEAR)).json()["id"]
        r = bureau.post(
            f"/api/cases/{case}/reviews", json={"conclusion": "approve", "reviewed_on": f"{YEAR - 1}-12-31"}
        )
        assert r.status_code == 422 and f"{YEAR - 1}-12-31" in r.text and f"{YEAR}-01-01" in r.text
        later = TODAY + dt.timedelta(days=1)
        r = bureau.post(f"/api/cases/{case}/reviews", json={"conclusion": "approve", "reviewed_on": later.isoformat()})
        assert r.status_code == 201, r.text
        r = bureau.post(f"/api/cases/{case}/award", json={"date": DAY})
        assert r.status_code == 422 and later.isoformat() in r.text and DAY in r.text
        r = bureau.post(f"/api/cases/{case}/award", json={"date": "9999-12-31"})
        assert r.status_code == 422 and "9999-12-31" in r.text
        assert standing(ledger_url) == []
        # dated in order, it is awarded; the case's page and its API then show it as awarded
        r = bureau.post(f"/api/cases/{case}/award", json={"date": later.isoformat()})
        assert r.status_code == 201, r.text
        no = r.json()["number"]
        page = bureau.get(f"/cases/{case}").text
        assert "已奖励" in page and no in page
        shown = bureau.get(f"/api/cases/{case}").json()
        assert no in json.dumps(shown, ensure_ascii=False)
        # a review added while the notice stands: 409
        r = bureau.post(
            f"/api/cases/{case}/reviews",
            json={"conclusion": "approve", "reviewed_on": later.isoformat(), "remarks": "再审"},
        )
        assert r.status_code == 409 and no in r.text
    finally:
        app.state.desk.ledger.engine.dispose()


def test_uscc_is_folded_when_read(tmp_path):
    from zzcbec_docs.bundle import load_bundle

    data = make_bundle(1, {"import_export": "30000000", "promotion_costs": "1000000"}, n=76)
    data["applicant"]["uscc"] = "  " + uscc(76).lower() + "\u3000"
    assert load_bundle(write_bundle(tmp_path / "a.json", data), load_policy()).applicant.uscc == uscc(76)
