"""What each document says, as plain data for the templates. No layout here, no I/O.

Every figure comes from the decisions of the rules engine; the documents only present them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from zzcbec_docs import __version__
from zzcbec_docs.bundle.model import Bundle
from zzcbec_docs.bundle.validate import fact_labels
from zzcbec_docs.errors import ArgumentError, RenderError
from zzcbec_docs.money import ZERO, fmt_yuan, in_words
from zzcbec_docs.policy.model import CHINESE_NUMERALS, Condition, Growth, Policy
from zzcbec_docs.rules.conditions import requirement
from zzcbec_docs.rules.model import ELIGIBLE, CheckResult, Decision

KINDS = ("application", "opinion", "notice")
# a warning in an official document speaks to its reader, not to a command-line user
DOCUMENT_WARNINGS = {"no_issue_date": "政策尚未印发，本意见未核验执行期（{term}）"}
KIND_NAMES = {"application": "申报表", "opinion": "审核意见书", "notice": "奖励通知书"}
STATUS_ZH = {"eligible": "符合", "ineligible": "不符合", "referred": "按省、市现行政策支持", "excluded": "不在支持范围"}
DOC_NUMBER = re.compile(r"^\S{1,20}〔[0-9]{4}〕[1-9][0-9]{0,5}号$")


def cn_date(d: dt.date) -> str:
    """GB/T 9704: Arabic numerals without padding: 2026年3月5日."""
    return f"{d.year}年{d.month}月{d.day}日"


def source_date_epoch() -> dt.datetime | None:
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if not value:
        return None
    try:
        return dt.datetime.fromtimestamp(int(value), tz=dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise ArgumentError(
            f"SOURCE_DATE_EPOCH={value!r} 不是有效的秒数", f"SOURCE_DATE_EPOCH={value!r} is not a number of seconds"
        ) from None


def document_time() -> dt.datetime:
    """The documents' creation time: SOURCE_DATE_EPOCH when set (reproducible builds), else now."""
    return source_date_epoch() or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def default_date() -> dt.date:
    sde = source_date_epoch()
    return (sde.astimezone(dt.timezone(dt.timedelta(hours=8))) if sde else dt.datetime.now()).date()


@dataclass(frozen=True)
class NoticeOptions:
    issuer: str = "郑州市商务局"
    number: str | None = None  # 郑商务〔2026〕15号; None leaves the number to be filled in
    date: dt.date | None = None

    def checked(self) -> NoticeOptions:
        if self.number is not None and not DOC_NUMBER.match(self.number):
            raise ArgumentError(
                f"发文字号“{self.number}”不合 GB/T 9704 格式，应如“郑商务〔2026〕15号”（六角括号、四位年份、无“第”、无前导零）",
                f"document number {self.number!r} is not in GB/T 9704 form, e.g. 郑商务〔2026〕15号",
            )
        if not self.issuer.strip() or len(self.issuer) > 40:
            raise ArgumentError("发文机关名称不能为空或过长", "the issuer must be a short, non-empty name")
        return self


def show_fact(name: str, value: Any, clause: int, policy: Policy | None = None) -> str:
    from zzcbec_docs.bundle.contract import facts as contract_facts

    fact = contract_facts(policy or _default_policy()).get(name)
    kind = fact.type if fact else "text"
    if value is None:
        return "—"
    if kind == "money":
        return fmt_yuan(Decimal(value))
    if kind == "quantity":
        return f"{Decimal(value):,.2f} {fact.unit if fact and fact.unit else ''}".rstrip()
    if kind == "count":
        return f"{value:,}"
    if kind == "flag":
        return "是" if value else "否"
    if kind == "date":
        return cn_date(value)
    if kind == "choice" and fact:
        return dict(fact.choices).get(value, str(value))
    if kind == "fee_items":
        labels = fact_labels(policy)
        parts = [f"{labels.get(k, k)} {fmt_yuan(v)}" for k, v in value.items()]
        return "；".join(parts) if parts else "—"
    return str(value)


def _default_policy() -> Policy:
    from zzcbec_docs.policy import load_policy

    return load_policy()


def _conditions_of(policy: Policy, clause: int) -> dict[str, Condition]:
    return {c.id: c for c in policy.clauses[clause].all_conditions()}


def _verdict(step_passed: bool | None) -> str:
    return {True: "满足", False: "不满足", None: "—"}[step_passed]


def _amount_block(d: Decision, district: str, policy: Policy) -> dict[str, Any]:
    funding = policy.cite(policy.funding_rule.clause) if policy.funding_rule else "政策"
    f = d.funding
    return {
        "amount": fmt_yuan(d.amount),
        "words": in_words(d.amount),
        "city": fmt_yuan(f.city) if f else None,
        "local": fmt_yuan(f.local) if f else None,
        "split": (f"市级财政承担 {fmt_yuan(f.city)}，{district}财政承担 {fmt_yuan(f.local)}" if f and f.local
                  else f"市级财政全额承担 {fmt_yuan(f.city)}" if f
                  else f"资金分担比例未由{funding}列明，待财政部门确定" if d.amount > 0 else "—"),
    }


def _common(bundle: Bundle, result: CheckResult, policy: Policy, kind: str) -> dict[str, Any]:
    a = bundle.applicant
    return {
        "kind": kind,
        "kind_name": KIND_NAMES[kind],
        "policy": {"title": policy.full_title, "id": policy.id, "status": policy.status,
                   "status_label": policy.status_label if policy.status == "draft" else "正式印发",
                   # the special clauses as this policy numbers them (第十五条, 第十六条 in the draft)
                   "exclusion_cite": policy.cite(policy.exclusion.clause) if policy.exclusion else "",
                   "exclusion_label": policy.exclusion_label,
                   "funding_cite": policy.cite(policy.funding_rule.clause) if policy.funding_rule else ""},
        "applicant": {
            "name": a.name, "uscc": a.uscc, "district": a.district,
            "district_as_written": a.district_as_written,
            "address": a.address or "—", "legal_representative": a.legal_representative or "—",
            "contact": f"{a.contact['name']}　{a.contact['phone']}" if a.contact else "—",
            "bank_name": a.bank["name"] if a.bank else "—", "bank_account": a.bank["account"] if a.bank else "—",
            "customs_code": a.customs_code or "—",
        },
        "year": bundle.year,
        "total": fmt_yuan(result.total), "total_words": in_words(result.total),
        "provenance": {
            "tool": f"zzcbec-docs {__version__}", "policy": f"{policy.id}（{policy.status}）",
            "sha256": bundle.sha256,
        },
    }


def _claim_title(d: Decision, policy: Policy) -> str:
    name = policy.clauses[d.clause].name
    extra = f"（{d.competition_name}）" if d.competition_name else ""
    return f"{policy.cite(d.clause)}　{name}{extra}"


def application_context(bundle: Bundle, result: CheckResult, policy: Policy) -> dict[str, Any]:
    """申报表 + 承诺书: the declared facts and what the rules compute from them."""
    if bundle.applicant.etrade_core_zone_policy:
        ex = policy.exclusion
        raise RenderError(
            f"申请人声明{policy.exclusion_label}，不在此政策支持范围内（{policy.cite(ex.clause if ex else None)}），不能出具承诺书",
            f"the applicant declares it {ex.label_en if ex else 'is excluded'} (clause {ex.clause if ex else '?'}): "
            "its commitment letter would be untrue, so no application packet is made",
        )
    labels = fact_labels(policy)
    claims = []
    for claim, d in zip(bundle.claims, result.decisions, strict=True):
        rows = [{"label": labels.get(k, k), "value": show_fact(k, v, claim.clause, policy)} for k, v in claim.facts.items()]
        claims.append({
            "numeral": CHINESE_NUMERALS[len(claims) + 1],
            "title": _claim_title(d, policy),
            "rows": rows, "status": STATUS_ZH[d.status],
            "reasons": [r.message for r in d.reasons],
            **_amount_block(d, bundle.applicant.district, policy),
        })
    attachments = [{"n": i + 1, "kind": x["kind"], "title": x.get("title", ""), "file": x["file"], "sha256": x["sha256"]}
                   for i, x in enumerate(bundle.attachments)]
    return {**_common(bundle, result, policy, "application"), "title": "郑州市跨境电商发展资金奖励申报表",
            "claims": claims, "attachments": attachments, "exclusion_label": policy.exclusion_label}


def opinion_context(bundle: Bundle, declared: CheckResult, verified: CheckResult, policy: Policy,
                    review: Any | None) -> dict[str, Any]:
    """审核意见书: each condition declared vs verified vs threshold, the recomputed amounts."""
    labels = fact_labels(policy)
    sections = []
    for claim, d0, d in zip(bundle.claims, declared.decisions, verified.decisions, strict=True):
        conds = _conditions_of(policy, claim.clause)
        vfacts = review.facts_for(claim) if review else {}
        rows = []
        for step in d.trace:
            if step.condition is None or step.condition not in conds:
                continue
            c = conds[step.condition]
            declared_v = show_fact(c.fact, claim.facts.get(c.fact), claim.clause, policy)
            if review is None:
                verified_v = "待核实"
            elif c.fact in vfacts:
                verified_v = show_fact(c.fact, vfacts[c.fact], claim.clause, policy)
                if vfacts[c.fact] != claim.facts.get(c.fact):
                    verified_v += "（核减/更正）"
            else:
                verified_v = "与申报一致"
            if isinstance(c, Growth):
                declared_v = (f"{show_fact(c.fact, claim.facts.get(c.fact), claim.clause, policy)}／上年 "
                              f"{show_fact(c.prior_fact, claim.facts.get(c.prior_fact), claim.clause, policy)}")
            rows.append({"label": c.label, "declared": declared_v, "verified": verified_v,
                         "threshold": requirement(c),
                         "result": _verdict(step.passed) + ("（择一）" if step.code == "alternative" else "")})
        changed = [f"{labels.get(k, k)}：申报 {show_fact(k, claim.facts.get(k), claim.clause, policy)}，"
                   f"核实 {show_fact(k, v, claim.clause, policy)}" for k, v in vfacts.items() if v != claim.facts.get(k)]
        steps = [s.message for s in d.trace if s.condition is None]
        sections.append({
            "numeral": CHINESE_NUMERALS[len(sections) + 1],
            "title": _claim_title(d, policy), "rows": rows, "steps": steps, "changed": changed,
            "status": STATUS_ZH[d.status], "declared_amount": fmt_yuan(d0.amount),
            "reasons": [r.message for r in d.reasons],
            **_amount_block(d, bundle.applicant.district, policy),
        })
    readings = []
    for n in dict.fromkeys(c.clause for c in bundle.claims):
        setting = policy.reading_for(n)
        if setting is not None:
            readings.append(f"{policy.cite(n)}：{setting.explanation}")
    return {
        **_common(bundle, verified, policy, "opinion"), "title": "郑州市跨境电商发展资金奖励审核意见书",
        "sections": sections, "readings": readings,
        "declared_total": fmt_yuan(declared.total),
        "draft": review is None,
        "reviewer": review.reviewer if review else None,
        "reviewed_on": cn_date(review.reviewed_on) if review else None,
        "remarks": review.remarks if review else "",
        "conclusion": review.conclusion_zh if review else None,
        "review_source": review.source if review else None,
        "warnings": [DOCUMENT_WARNINGS[w.code].format(term=policy.cite(policy.term_clause))
                     if w.code in DOCUMENT_WARNINGS else w.message for w in verified.warnings
                     if w.code not in ("draft_policy",)],
    }


def notice_context(bundle: Bundle, result: CheckResult, policy: Policy, options: NoticeOptions) -> dict[str, Any]:
    """奖励通知书: the eligible claims only, with amounts, shares and the bank account."""
    options = options.checked()
    awarded = [d for d in result.decisions if d.status == ELIGIBLE]
    if not awarded:
        raise RenderError("没有符合条件的申报事项，不出具奖励通知书",
                          "no claim is eligible, so there is no award notice")
    if bundle.applicant.bank is None:
        raise RenderError("材料缺少开户银行和账号（/applicant/bank），奖励通知书须写明拨付账户",
                          "the bundle has no bank account (/applicant/bank), which an award notice needs",
                          file=bundle.source, pointer="/applicant/bank")
    district = bundle.applicant.district
    rows = [{"title": _claim_title(d, policy), **_amount_block(d, district, policy)} for d in awarded]
    total = sum((d.amount for d in awarded), ZERO)
    settled = all(d.funding is not None for d in awarded)
    city = sum((d.funding.city for d in awarded if d.funding), ZERO)
    local = sum((d.funding.local for d in awarded if d.funding), ZERO)
    date = options.date or default_date()
    number = options.number or f"郑商务〔{date.year}〕　　号"
    clauses = "、".join(policy.cite(d.clause) for d in awarded)
    return {
        **_common(bundle, result, policy, "notice"),
        "title": f"{options.issuer}关于给予{bundle.applicant.name}跨境电商发展资金奖励的通知",
        "issuer": options.issuer, "number": number, "date": cn_date(date),
        "rows": rows, "clauses": clauses,
        "total": fmt_yuan(total), "total_words": in_words(total),
        "settled": settled, "city": fmt_yuan(city), "local": fmt_yuan(local),
        "city_only": settled and local == ZERO,
    }
