"""One vocabulary for people: the words the command line, the desk and the documents use for
case statuses, events, roles, review conclusions, decisions and document kinds.

The codes (`submitted`, `approve`, `eligible` …) are the ledger's and the API's and never change;
the words here are what a person reads. No other module writes its own word for these: a test
(tests/test_vocabulary.py) greps the package for them. Clause names are the policy's own
(`clause_title` reads them from the policy data; nothing of the policy is repeated here).

The status of a case that the applicant has handed in and no officer has acted on yet is
已提交: 受理 is an act of the district bureau (in 政务服务 the sequence is 已提交 → 已受理 →
办理中 → 已办结), so the ledger does not claim it; the reviewer's taking of a case is the event
受理. A review's conclusion is 同意 / 部分同意 / 不同意 as the 审核意见书 writes it, and the case
is then 审核同意 or 审核不同意.

This module imports nothing heavy (the CLI's `check` imports it on its way).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Term:
    zh: str
    en: str

    def __str__(self) -> str:
        return self.zh

    @property
    def both(self) -> str:
        """Chinese with the English beside: 已提交 / submitted."""
        return f"{self.zh} / {self.en}"


def _terms(pairs: dict[str, tuple[str, str]]) -> dict[str, Term]:
    return {code: Term(zh, en) for code, (zh, en) in pairs.items()}


# ---------------------------------------------------------------- a case's status (process.model's codes)
CASE_STATUSES: dict[str, Term] = _terms(
    {
        "submitted": ("已提交", "submitted"),
        "reviewed": ("已审核", "reviewed"),
        "returned": ("待补正", "returned for correction"),
        "approved": ("审核同意", "approved"),
        "rejected": ("审核不同意", "rejected"),
        "awarded": ("已奖励", "awarded"),
        "revoked": ("已撤销", "revoked"),
    }
)

# ---------------------------------------------------------------- what happened to a case (the events' kinds)
EVENTS: dict[str, Term] = _terms(
    {
        "submitted": ("提交申报", "submitted"),
        "resubmitted": ("重新提交", "submitted again"),
        "assigned": ("分派", "assigned"),
        "taken": ("受理", "taken"),
        "returned": ("退回补正", "returned for correction"),
        "corrected": ("补正后重新提交", "resubmitted after correction"),
        "reviewed": ("审核", "reviewed"),
        "awarded": ("核准奖励", "awarded"),
        "revoked": ("撤销奖励", "revoked"),
        "published": ("公示", "published"),
    }
)

# ---------------------------------------------------------------- accounts
ROLES: dict[str, Term] = _terms(
    {
        "enterprise": ("申报企业", "enterprise"),
        "reviewer": ("区县审核", "district reviewer"),
        "bureau": ("市商务局", "city bureau"),
    }
)

# ---------------------------------------------------------------- a review's conclusion (as the 审核意见书 writes it)
CONCLUSIONS: dict[str, Term] = _terms(
    {
        "approve": ("同意", "approve"),
        "partial": ("部分同意", "approve in part"),
        "reject": ("不同意", "reject"),
    }
)

# ---------------------------------------------------------------- a clause's decision (rules.model's codes)
DECISIONS: dict[str, Term] = _terms(
    {
        "eligible": ("符合", "eligible"),
        "ineligible": ("不符合", "not eligible"),
        "referred": ("按省、市现行政策支持", "referred"),
        "excluded": ("不在支持范围", "excluded"),
    }
)

# ---------------------------------------------------------------- what `match` finds a profile could claim
# (calculator.match's codes: a profile may lack facts, so a clause is also undecided)
MATCH_STATUSES: dict[str, Term] = {
    **_terms(
        {
            "eligible": ("可申报", "eligible"),
            "not_eligible": ("暂不符合", "not eligible"),
            "undecided": ("信息不足，无法判断", "missing facts"),
        }
    ),
    "referred": DECISIONS["referred"],
    "excluded": DECISIONS["excluded"],
}

# ---------------------------------------------------------------- a notice in the ledger
NOTICE_STATES: dict[str, Term] = _terms(
    {
        "standing": ("有效", "standing"),
        "revoked": ("已撤销", "revoked"),
    }
)

# ---------------------------------------------------------------- the documents
DOCUMENT_KINDS: dict[str, Term] = _terms(
    {
        "application": ("申报表", "application form"),
        "opinion": ("审核意见书", "review opinion"),
        "notice": ("奖励通知书", "award notice"),
        "publicity": ("拟奖励企业名单公示", "publicity list"),
    }
)

# the plain Chinese maps, for templates and tables
STATUS_ZH = {k: t.zh for k, t in CASE_STATUSES.items()}
EVENT_ZH = {k: t.zh for k, t in EVENTS.items()}
ROLE_ZH = {k: t.zh for k, t in ROLES.items()}
CONCLUSION_ZH = {k: t.zh for k, t in CONCLUSIONS.items()}
DECISION_ZH = {k: t.zh for k, t in DECISIONS.items()}
DOCUMENT_ZH = {k: t.zh for k, t in DOCUMENT_KINDS.items()}
NOTICE_ZH = {k: t.zh for k, t in NOTICE_STATES.items()}


def _word(table: dict[str, Term], code: str, english: bool) -> str:
    t = table.get(code)
    if t is None:
        return code
    return t.both if english else t.zh


def status(code: str, *, english: bool = False) -> str:
    """已提交 (or 已提交 / submitted); an unknown code is shown as it is."""
    return _word(CASE_STATUSES, code, english)


def event(code: str, *, english: bool = False) -> str:
    return _word(EVENTS, code, english)


def role(code: str, *, english: bool = False) -> str:
    return _word(ROLES, code, english)


def conclusion(code: str, *, english: bool = False) -> str:
    return _word(CONCLUSIONS, code, english)


def decision(code: str, *, english: bool = False) -> str:
    return _word(DECISIONS, code, english)


def document(code: str, *, english: bool = False) -> str:
    return _word(DOCUMENT_KINDS, code, english)


def notice_state(revoked: bool, *, english: bool = False) -> str:
    return _word(NOTICE_STATES, "revoked" if revoked else "standing", english)


def clause_title(policy: Any, number: int) -> str:
    """第十一条 支持参加跨境电商竞赛 — the policy's own citation and name of the clause."""
    c = policy.clauses[number]
    return f"{c.cite} {c.name}"


BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")


def beijing(at: str | dt.datetime | None) -> dt.datetime | None:
    """A stored time (ISO 8601, UTC or with its offset) in Beijing time; None stays None."""
    if at is None or at == "":
        return None
    when = at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(BEIJING)


def cn_datetime(at: str | dt.datetime | None) -> str:
    """2026年12月2日 16:04 (Beijing time), the Chinese form of the documents' dates with the time."""
    when = beijing(at)
    if when is None:
        return ""
    return f"{when.year}年{when.month}月{when.day}日 {when:%H:%M}"


def cn_date(at: str | dt.date | None) -> str:
    """2026年3月5日 (GB/T 9704: Arabic numerals, no padding); a time is taken in Beijing time."""
    if at is None or at == "":
        return ""
    if isinstance(at, dt.datetime) or (isinstance(at, str) and len(at) > 10):
        when = beijing(at)
        assert when is not None
        d: dt.date = when.date()
    else:
        d = at if isinstance(at, dt.date) else dt.date.fromisoformat(str(at))
    return f"{d.year}年{d.month}月{d.day}日"
