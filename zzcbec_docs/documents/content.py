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
from zzcbec_docs.documents import gongwen as g
from zzcbec_docs.documents.issuer import Issuer, load_issuer
from zzcbec_docs.errors import ArgumentError, RenderError
from zzcbec_docs.money import ZERO, in_words
from zzcbec_docs.policy.model import CHINESE_NUMERALS, Condition, Growth, Policy, Threshold, chinese_numeral
from zzcbec_docs.rules.conditions import requirement
from zzcbec_docs.rules.model import ELIGIBLE, CheckResult, Decision
from zzcbec_docs.vocabulary import DECISION_ZH, DOCUMENT_ZH, cn_date

KINDS = ("application", "opinion", "notice")
ALL_KINDS = (*KINDS, "publicity")
# a warning in an official document speaks to its reader, not to a command-line user
DOCUMENT_WARNINGS = {"no_issue_date": "政策尚未印发，本意见未核验执行期（{term}）"}
KIND_NAMES = DOCUMENT_ZH  # the words: zzcbec_docs.vocabulary
STATUS_ZH = DECISION_ZH
DOC_NUMBER = re.compile(r"^\S{1,20}〔[0-9]{4}〕[1-9][0-9]{0,5}号$")


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
    issuer: str | None = None  # the issuer's name; None: the profile's
    number: str | None = None  # 郑商务〔2026〕15号, given by `award` only; None: a specimen (样稿), number left blank
    date: dt.date | None = None
    profile: str | None = None  # issuer profile YAML; None: $ZZCBEC_ISSUER_PROFILE or the packaged default
    replaces: str | None = None  # the revoked notice this one re-issues

    def checked(self) -> NoticeOptions:
        if self.number is not None and not DOC_NUMBER.match(self.number):
            raise ArgumentError(
                f"发文字号“{self.number}”不合 GB/T 9704 格式，应如“郑商务〔2026〕15号”（六角括号、四位年份、无“第”、无前导零）",
                f"document number {self.number!r} is not in GB/T 9704 form, e.g. 郑商务〔2026〕15号",
            )
        if self.issuer is not None and (not self.issuer.strip() or len(self.issuer) > 40):
            raise ArgumentError("发文机关名称不能为空或过长", "the issuer must be a short, non-empty name")
        self.issuer_profile()
        return self

    def issuer_profile(self) -> Issuer:
        profile = load_issuer(self.profile)
        return profile.with_name(self.issuer) if self.issuer else profile


def show_fact(name: str, value: Any, clause: int, policy: Policy) -> str:
    from zzcbec_docs.bundle.contract import facts as contract_facts

    fact = contract_facts(policy).get(name)
    kind = fact.type if fact else "text"
    if value is None:
        return "—"
    if kind == "money":
        return f"{g.table_yuan(Decimal(value))}元"
    if kind == "quantity":
        return f"{Decimal(value):,.2f} 平方米"
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
        parts = [f"{labels.get(k, k)}{g.table_yuan(v)}元" for k, v in value.items()]
        return "；".join(parts) if parts else "—"
    return str(value)


def _conditions_of(policy: Policy, clause: int) -> dict[str, Condition]:
    return {c.id: c for c in policy.clauses[clause].all_conditions()}


def _verdict(step_passed: bool | None) -> str:
    return {True: "满足", False: "不满足", None: "—"}[step_passed]


def doc_requirement(c: Condition) -> str:
    """A condition's threshold as the policy words it: 达到1000万元以上（含本数）; other kinds as the rules say."""
    if isinstance(c, Threshold) and c.value is not None:
        value = f"{g._plain(c.value)}{c.unit}" if c.unit else g.threshold_money(c.value)
        return g.threshold_phrase(value, c.boundary_word or "", c.operator)
    return g.gongwen_text(requirement(c))


def _amount_block(d: Decision, district: str, policy: Policy) -> dict[str, Any]:
    funding = policy.cite(policy.funding_rule.clause) if policy.funding_rule else "政策"
    f = d.funding
    return {
        "amount": g.table_yuan(d.amount),
        "amount_text": g.amount_sentence(d.amount, in_words(d.amount)),
        "words": in_words(d.amount),
        "city": g.table_yuan(f.city) if f else None,
        "local": g.table_yuan(f.local) if f else None,
        "split": (
            f"市级财政承担{g.yuan_text(f.city)}，{district}财政承担{g.yuan_text(f.local)}"
            if f and f.local
            else f"市级财政全额承担{g.yuan_text(f.city)}"
            if f
            else f"{district}未列入《措施》{funding}资金分担范围，市、区承担比例待财政部门确定"
            if d.amount > 0
            else "—"
        ),
    }


def clause_list(clauses: list[int]) -> str:
    """第一条、第十一条: each clause named once, in order."""
    seen: list[int] = []
    for n in clauses:
        if n not in seen:
            seen.append(n)
    return "、".join(f"第{chinese_numeral(n)}条" for n in sorted(seen))


def _draft_note(policy: Policy, what: str, short: str = "《措施》") -> str | None:
    """Under a draft policy the document says so (附注); a final policy file removes the note."""
    if policy.status != "draft":
        return None
    return f"本{what}依据{short}{policy.status_label}测算，政策正式印发后以正式文本为准"


def _common(bundle: Bundle, result: CheckResult, policy: Policy, kind: str) -> dict[str, Any]:
    a = bundle.applicant
    return {
        "kind": kind,
        "kind_name": KIND_NAMES[kind],
        "policy": {
            "title": policy.full_title,
            "id": policy.id,
            "status": policy.status,
            "status_label": policy.status_label if policy.status == "draft" else "正式印发",
            # the special clauses as this policy numbers them (第十五条, 第十六条 in the draft)
            "exclusion_cite": policy.cite(policy.exclusion.clause) if policy.exclusion else "",
            "exclusion_label": policy.exclusion_label,
            "funding_cite": policy.cite(policy.funding_rule.clause) if policy.funding_rule else "",
        },
        "applicant": {
            "name": a.name,
            "name_words": g.name_words(a.name),
            "uscc": a.uscc,
            "district": a.district,
            "district_as_written": a.district_as_written,
            "address": a.address or "—",
            "legal_representative": a.legal_representative or "—",
            "contact_name": a.contact["name"] if a.contact else "—",
            "phone": a.contact["phone"] if a.contact else "—",
            "bank_name": a.bank["name"] if a.bank else "—",
            "bank_account": a.bank["account"] if a.bank else "—",
            "customs_code": a.customs_code or "—",
        },
        "year": bundle.year,
        "total": g.table_yuan(result.total),
        "total_words": in_words(result.total),
        "total_text": g.amount_sentence(result.total, in_words(result.total)),
        "provenance": {
            "tool": f"zzcbec-docs {__version__}",
            "policy": f"{policy.id}（{policy.status}）",
            "sha256": bundle.sha256,
        },
        "footer": None,
    }


def _claim_title(d: Decision, policy: Policy) -> str:
    name = policy.clauses[d.clause].name
    extra = f"（{d.competition_name}）" if d.competition_name else ""
    return f"{policy.cite(d.clause)}　{name}{extra}"


COMMITMENTS = (
    "本单位所提交的申报表及全部附件材料真实、准确、完整，所列数据与财务账簿、海关数据及相关凭证一致，不存在虚报、瞒报、伪造或篡改。",
    "本单位未被列入经营异常名录或严重违法失信主体名单，近三年内无重大违法违规行为，未发生重大安全、环保、质量事故。",
    "本单位未{exclusion}；同一事项未重复申报、未重复享受各级财政资金支持。",
    "获得的奖励资金将专款专用，按规定进行财务处理，不挪作他用。",
    "本单位自觉接受商务、财政、审计等部门的监督检查和绩效评价，按要求如实提供相关资料。",
    "如有不实，本单位愿退回全部奖励资金，并承担相应法律责任。",
)


def commitments(policy: Policy) -> tuple[str, ...]:
    """The 承诺书's promises; the exclusion as this policy words and numbers it (第十五条 in the draft)."""
    ex = policy.exclusion
    exclusion = f"{ex.label}（{policy.cite(ex.clause)}）" if ex else "享受与本政策重复的支持政策"
    return tuple(c.replace("{exclusion}", exclusion) for c in COMMITMENTS)


def application_context(bundle: Bundle, result: CheckResult, policy: Policy) -> dict[str, Any]:
    """申报表 + 承诺书: the declared facts and what the enterprise's own estimate (自测) gives."""
    if bundle.applicant.etrade_core_zone_policy:
        ex = policy.exclusion
        raise RenderError(
            f"申请人声明{policy.exclusion_label}，不在此政策支持范围内（{policy.cite(ex.clause if ex else None)}），不能出具承诺书",
            f"the applicant declares it {ex.label_en if ex else 'is excluded'} (clause {ex.clause if ex else '?'}): "
            "its commitment letter would be untrue, so no application packet is made",
        )
    labels = fact_labels(policy)
    claims: list[dict[str, Any]] = []
    for claim, d in zip(bundle.claims, result.decisions, strict=True):
        rows = [
            {"label": labels.get(k, k), "value": show_fact(k, v, claim.clause, policy)} for k, v in claim.facts.items()
        ]
        claims.append(
            {
                "numeral": CHINESE_NUMERALS[len(claims) + 1],
                "title": _claim_title(d, policy),
                "rows": rows,
                "eligible": d.status == ELIGIBLE,
                "notes": [g.gongwen_text(r.message) for r in d.reasons],
                **_amount_block(d, bundle.applicant.district, policy),
            }
        )
    attachments = [
        {"n": i + 1, "kind": x["kind"], "title": x.get("title", ""), "file": x["file"], "sha256": x["sha256"]}
        for i, x in enumerate(bundle.attachments)
    ]
    issuer = load_issuer()
    ctx = {
        **_common(bundle, result, policy, "application"),
        "title": "郑州市跨境电商发展资金奖励申报表",
        "claims": claims,
        "attachments": attachments,
        "exclusion_label": policy.exclusion_label,
        "commitments": commitments(policy),
        "addressee": issuer.name,
        "clauses": clause_list([c.clause for c in bundle.claims]),
    }
    prov = ctx["provenance"]
    ctx["footer"] = f"本表由 {prov['tool']} 生成；政策 {prov['policy']}；申报材料 SHA-256 {prov['sha256']}"
    return ctx


def _basis(policy: Policy, clause: int, facts: dict[str, Any]) -> str:
    """The fact an amount is computed from, with its (verified) value."""
    cl = policy.clauses[clause]
    if cl.amount is None:
        return ""
    names = cl.amount_facts()
    labels = fact_labels(policy)
    shown = [f"{labels.get(n, n)}：{show_fact(n, facts.get(n), clause, policy)}" for n in names if n in facts]
    if not shown:
        return "定额奖励，依据为上表所列条件"
    return "；".join(shown)


def opinion_context(
    bundle: Bundle,
    declared: CheckResult,
    verified: CheckResult,
    policy: Policy,
    review: Any | None,
    issuer: Issuer | None = None,
) -> dict[str, Any]:
    """审核意见书: each condition declared vs verified vs threshold, the recomputed amounts."""
    labels = fact_labels(policy)
    issuer = issuer or load_issuer()
    sections: list[dict[str, Any]] = []
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
                declared_v = (
                    f"{show_fact(c.fact, claim.facts.get(c.fact), claim.clause, policy)}／上年"
                    f"{show_fact(c.prior_fact, claim.facts.get(c.prior_fact), claim.clause, policy)}"
                )
            rows.append(
                {
                    "label": c.label,
                    "declared": declared_v,
                    "verified": verified_v,
                    "threshold": doc_requirement(c),
                    "result": _verdict(step.passed) + ("（择一）" if step.code == "alternative" else ""),
                }
            )
        changed = [
            f"{labels.get(k, k)}：申报{show_fact(k, claim.facts.get(k), claim.clause, policy)}，"
            f"核实{show_fact(k, v, claim.clause, policy)}"
            for k, v in vfacts.items()
            if v != claim.facts.get(k)
        ]
        steps = [g.gongwen_text(s.message) for s in d.trace if s.condition is None]
        sections.append(
            {
                "numeral": CHINESE_NUMERALS[len(sections) + 1],
                "title": _claim_title(d, policy),
                "rows": rows,
                "steps": steps,
                "changed": changed,
                "status": STATUS_ZH[d.status],
                "declared_amount": g.yuan_text(d0.amount),
                "reasons": [g.gongwen_text(r.message) for r in d.reasons],
                "basis": _basis(policy, claim.clause, {**claim.facts, **vfacts}),
                **_amount_block(d, bundle.applicant.district, policy),
            }
        )
    readings = []
    for n in dict.fromkeys(c.clause for c in bundle.claims):
        setting = policy.reading_for(n)
        if setting is not None:
            readings.append(g.gongwen_text(f"{policy.cite(n)}：{setting.explanation}"))
    notes = [n for n in (_draft_note(policy, "意见", "政策"),) if n]
    return {
        **_common(bundle, verified, policy, "opinion"),
        "title": "郑州市跨境电商发展资金奖励审核意见书",
        "sections": sections,
        "readings": readings,
        "declared_total": g.yuan_text(declared.total),
        "draft": review is None,
        "review_unit": getattr(review, "unit", None) or issuer.review_unit,
        "reviewer": review.reviewer if review else None,
        "reviewed_on": cn_date(review.reviewed_on) if review else None,
        "remarks": review.remarks if review else "",
        "conclusion": review.conclusion_zh if review else None,
        "review_source": review.source if review else None,
        "warnings": [
            DOCUMENT_WARNINGS[w.code].format(term=policy.cite(policy.term_clause))
            if w.code in DOCUMENT_WARNINGS
            else g.gongwen_text(w.message)
            for w in verified.warnings
            if w.code not in ("draft_policy",)
        ],
        "notes": notes,
    }


def notice_context(bundle: Bundle, result: CheckResult, policy: Policy, options: NoticeOptions) -> dict[str, Any]:
    """奖励通知书: the eligible claims only, with amounts, shares and the bank account; 版头 and 版记."""
    options = options.checked()
    issuer = options.issuer_profile()
    awarded = [d for d in result.decisions if d.status == ELIGIBLE]
    if not awarded:
        raise RenderError(
            "没有符合条件的申报事项，不出具奖励通知书", "no claim is eligible, so there is no award notice"
        )
    if bundle.applicant.bank is None:
        raise RenderError(
            "材料缺少开户银行和账号（/applicant/bank），奖励通知书须写明拨付账户",
            "the bundle has no bank account (/applicant/bank), which an award notice needs",
            file=bundle.source,
            pointer="/applicant/bank",
        )
    district = bundle.applicant.district
    rows = [{"title": _claim_title(d, policy), **_amount_block(d, district, policy)} for d in awarded]
    total = sum((d.amount for d in awarded), ZERO)
    settled = all(d.funding is not None for d in awarded)
    city = sum((d.funding.city for d in awarded if d.funding), ZERO)
    local = sum((d.funding.local for d in awarded if d.funding), ZERO)
    date = options.date or default_date()
    number = options.number or f"{issuer.code}〔{date.year}〕　　号"
    name = bundle.applicant.name
    title_words = [issuer.name, "关于给予", name, "跨境电商发展资金", "奖励的通知"]
    contact = issuer.contact
    fuzhu = []
    if contact.get("name") or contact.get("phone"):
        fuzhu.append(
            "；".join(
                x
                for x in (
                    f"联系人：{contact['name']}" if contact.get("name") else "",
                    f"联系电话：{contact['phone']}" if contact.get("phone") else "",
                )
                if x
            )
        )
    draft = _draft_note(policy, "通知所列奖励")
    if draft:
        fuzhu.append(draft)
    code = g.verification_code(number, bundle.applicant.uscc, [d.amount for d in awarded]) if options.number else None
    verify_url = qr_src = None
    if code and issuer.verify_url:  # the 版记's QR code: the desk's public page for this 核验码
        from zzcbec_docs.documents import qr

        verify_url = qr.verification_url(issuer.verify_url, code)
        qr_src = qr.qr_data_uri(verify_url)
    return {
        **_common(bundle, result, policy, "notice"),
        "title": "".join(title_words),
        "title_lines": g.break_title(title_words, whole=frozenset({2})),
        "issuer": issuer.name,
        "mark": issuer.mark,
        "number": number,
        "date": cn_date(date),
        "rows": rows,
        "clauses": clause_list([d.clause for d in awarded]),
        "total": g.table_yuan(total),
        "total_words": in_words(total),
        "total_text": g.amount_sentence(total, in_words(total)),
        "settled": settled,
        "city": g.table_yuan(city),
        "local": g.table_yuan(local),
        "city_text": g.yuan_text(city),
        "local_text": g.yuan_text(local),
        "city_only": settled and local == ZERO,
        "fuzhu": fuzhu,
        "cc": "，".join(issuer.cc_for(district)),
        "printer": issuer.printer,
        "printed_on": cn_date(date),
        "verification_code": code,
        "verify_url": verify_url,
        "verification_qr": qr_src,  # a data: URI PNG of the verification URL's QR code, drawn in the 版记 (qr.py)
        "specimen": options.number is None,
        "replaces": options.replaces,
    }
