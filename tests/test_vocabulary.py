"""One vocabulary: every status, event, role, conclusion and decision a person reads comes from
zzcbec_docs.vocabulary — the command line, the desk and the documents say the same word."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from zzcbec_docs import vocabulary
from zzcbec_docs.process import model
from zzcbec_docs.rules import model as rules_model

PACKAGE = Path(vocabulary.__file__).resolve().parent
ROOT = PACKAGE.parent

# (roles are left out: a page titled per role, "reviewer": "待审案件", is a title, not the role's name)
CODES = sorted(
    set(vocabulary.CASE_STATUSES)
    | set(vocabulary.EVENTS)
    | set(vocabulary.CONCLUSIONS)
    | set(vocabulary.DECISIONS)
    | set(vocabulary.DOCUMENT_KINDS)
)
# a code mapped to a Chinese word in a literal: "submitted": "已提交" (Python, Jinja or JSON alike)
OWN_WORD = re.compile(r"""["'](""" + "|".join(CODES) + r""")["']\s*:\s*["'][^"'\n]*[\u4e00-\u9fff]""")
# words the desk or the command line once used for a case's status, and which are no one's now
RETIRED = ("已受理", "审核通过", "审核未通过", "状态：未通过")
# (`zzcbec match`'s headings, 可申报, 信息不足 …, are the vocabulary's MATCH_STATUSES now)
ALLOWED: set[str] = set()


def _sources() -> list[Path]:
    files = [p for p in PACKAGE.rglob("*") if p.suffix in (".py", ".html", ".j2", ".js") and p.is_file()]
    files += [p for p in (ROOT / "templates").glob("*.j2")]
    return [p for p in files if p.name != "vocabulary.py"]


def test_no_module_writes_its_own_word_for_a_status_event_role_or_conclusion():
    found = []
    for path in _sources():
        rel = path.relative_to(PACKAGE).as_posix() if PACKAGE in path.parents else path.name
        if rel in ALLOWED:
            continue
        text = path.read_text(encoding="utf-8")
        for m in OWN_WORD.finditer(text):
            found.append(f"{rel}: {m.group(0)}")
        for word in RETIRED:
            if word in text:
                found.append(f"{rel}: {word}")
    assert not found, "words defined outside zzcbec_docs/vocabulary.py:\n" + "\n".join(found)


def test_the_vocabulary_names_every_status_and_decision_the_code_knows():
    assert set(model.STATUSES) <= set(vocabulary.CASE_STATUSES)
    assert {rules_model.ELIGIBLE, rules_model.INELIGIBLE, rules_model.REFERRED, rules_model.EXCLUDED} == set(
        vocabulary.DECISIONS
    )
    assert model.STATUS_ZH == {s: vocabulary.STATUS_ZH[s] for s in model.STATUSES}
    assert model.CONCLUSIONS == vocabulary.CONCLUSION_ZH


def test_a_case_just_handed_in_is_yi_tijiao_and_an_approving_review_makes_it_shenhe_tongyi():
    assert vocabulary.status("submitted") == "已提交"
    assert vocabulary.status("approved") == "审核同意" and vocabulary.conclusion("approve") == "同意"
    assert vocabulary.status("rejected", english=True) == "审核不同意 / rejected"
    assert vocabulary.status("no-such-code") == "no-such-code"


def test_the_command_line_the_desk_and_the_documents_share_the_words():
    from zzcbec_docs.cli import table
    from zzcbec_docs.desk import app
    from zzcbec_docs.documents import content

    assert app.STATUS_ZH is vocabulary.STATUS_ZH and app.CONCLUSION_ZH is vocabulary.CONCLUSION_ZH
    assert table.STATUS_ZH is vocabulary.DECISION_ZH is content.STATUS_ZH
    assert content.KIND_NAMES is vocabulary.DOCUMENT_ZH


def test_times_are_written_in_beijing_time_in_chinese_form():
    assert vocabulary.cn_datetime("2026-12-02T08:04:04+00:00") == "2026年12月2日 16:04"
    assert vocabulary.cn_datetime("2026-12-31T17:30:00Z") == "2027年1月1日 01:30"
    assert vocabulary.cn_date("2026-12-31T17:30:00+00:00") == "2027年1月1日"
    assert vocabulary.cn_date(dt.date(2026, 3, 5)) == "2026年3月5日"
    assert vocabulary.cn_datetime(None) == "" and vocabulary.cn_date("") == ""


def test_clause_titles_are_the_policys_own():
    from zzcbec_docs.policy import load_policy

    policy = load_policy()
    n = min(policy.clauses)
    assert vocabulary.clause_title(policy, n) == f"{policy.clauses[n].cite} {policy.clauses[n].name}"
