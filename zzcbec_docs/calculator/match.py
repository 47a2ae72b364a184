"""`zzcbec match`: every clause against an enterprise profile, with the gap to each unmet condition."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zzcbec_docs import schema
from zzcbec_docs.bundle import BundleInvalid, parse_bundle
from zzcbec_docs.bundle.contract import contract
from zzcbec_docs.bundle.contract import facts as contract_facts
from zzcbec_docs.bundle.model import PriorAward, Problem
from zzcbec_docs.bundle.validate import _control_chars
from zzcbec_docs.errors import ArgumentError, BundleError
from zzcbec_docs.loading import load_file
from zzcbec_docs.money import ZERO, fmt_wan, fmt_yuan
from zzcbec_docs.policy.model import (
    Clause,
    Condition,
    FeeTierAmount,
    FullYear,
    Growth,
    OneOf,
    Policy,
    Threshold,
    TierAmount,
)
from zzcbec_docs.rules import wording as W
from zzcbec_docs.rules.model import ELIGIBLE, Decision, Funding

if TYPE_CHECKING:
    from zzcbec_docs.process.service import Service

PROFILE_SCHEMA = "profile.schema.json"


@dataclass
class Match:
    clause: int
    name: str
    status: str  # eligible | not_eligible | undecided | referred | excluded
    amount: Decimal = ZERO
    funding: Funding | None = None
    gaps: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    cap: dict[str, str] | None = None  # set when a cap binds: computed and paid
    notes: list[str] = field(default_factory=list)
    awarded: list[dict[str, str]] = field(default_factory=list)  # the ledger's notices that paid this very claim

    def as_dict(self) -> dict[str, Any]:
        return {
            "clause": self.clause,
            "name": self.name,
            "status": self.status,
            "amount": f"{self.amount:.2f}",
            "funding": self.funding.as_dict() if self.funding else None,
            "gaps": self.gaps,
            "missing": self.missing,
            "cap_binds": self.cap,
            "notes": self.notes,
            **({"awarded": self.awarded} if self.awarded else {}),
        }


def fact_labels(policy: Policy) -> dict[str, str]:
    """Every fact of the policy's contract and its label (the policy's word for it)."""
    return {name: f.label for name, f in contract_facts(policy).items()}


def all_fact_kinds(policy: Policy) -> dict[str, str]:
    """Every fact of the policy's contract and its type (money, count, quantity, flag, date, text, choice, fee_items)."""
    return {name: f.type for name, f in contract_facts(policy).items()}


def parse_setting(text: str, policy: Policy) -> tuple[str, Any]:
    """`--set fact=value`: the value typed as the fact needs; a bad one is refused naming --set and the unit."""
    if "=" not in text:
        raise ArgumentError(f"--set 应写作 事实=值（收到 {text!r}）", f"--set takes fact=value (got {text!r})")
    name, _, value = text.partition("=")
    name, value = name.strip(), value.strip()
    facts = contract_facts(policy)
    kinds = {k: f.type for k, f in facts.items()}
    if name not in kinds:
        raise ArgumentError(
            f"--set：未知的事实“{name}”；可用：{'、'.join(sorted(kinds))}",
            f"--set: unknown fact {name!r}; known: {', '.join(sorted(kinds))}",
        )
    kind = kinds[name]
    unit = "元" if kind == "money" else (facts[name].unit or "")
    where_zh, where_en = f"--set {text}：", f"--set {text}: "
    if kind == "flag":
        if value.lower() in ("true", "是", "yes", "1"):
            return name, True
        if value.lower() in ("false", "否", "no", "0"):
            return name, False
        raise ArgumentError(f"{where_zh}{name} 应为 true 或 false", f"{where_en}{name} takes true or false")
    if kind == "count":
        try:
            n = int(value)
            if n < 0:
                raise ValueError
            return name, n
        except ValueError:
            raise ArgumentError(
                f"{where_zh}{name} 应为不小于 0 的整数{f'（单位：{unit}）' if unit else ''}",
                f"{where_en}{name} takes a whole number ≥ 0{f' ({unit})' if unit else ''}",
            ) from None
    if kind == "fee_items":
        try:
            fees = json.loads(value)
            if not isinstance(fees, dict):
                raise ValueError
            return name, fees
        except ValueError:
            raise ArgumentError(
                f'{where_zh}{name} 应为 JSON 对象，如 {{"rent": "300000"}}（单位：元）',
                f'{where_en}{name} takes a JSON object such as {{"rent": "300000"}} (yuan)',
            ) from None
    if kind in ("money", "quantity"):
        from decimal import InvalidOperation

        try:
            d = Decimal(value)
            if not d.is_finite() or d < 0 or d != d.quantize(Decimal("0.01")):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            raise ArgumentError(
                f"{where_zh}{name} 应为不小于 0 的数，最多两位小数（单位：{unit or '—'}）",
                f"{where_en}{name} takes a number ≥ 0 with at most 2 decimals{f' ({unit})' if unit else ''}",
            ) from None
        return name, value
    if kind == "date":
        import datetime as dt

        try:
            if len(value) != 10:
                raise ValueError
            dt.date.fromisoformat(value)
        except ValueError:
            raise ArgumentError(
                f"{where_zh}{name} 应为 YYYY-MM-DD 格式的日期", f"{where_en}{name} takes a date YYYY-MM-DD"
            ) from None
    return name, value


def load_profile(path: str | Path, settings: list[tuple[str, Any]] | tuple[()], policy: Policy) -> dict[str, Any]:
    """A profile, validated against the policy's profile contract (every fact of the policy, optional)."""
    data, _ = load_file(Path(path), BundleError)
    if isinstance(data, dict) and isinstance(data.get("facts"), dict):
        for name, value in settings:
            data["facts"][name] = value
    using = contract(policy).profile
    problems = [Problem(p, zh, en) for p, zh, en in schema.errors(PROFILE_SCHEMA, data, using=using)]
    if isinstance(data, dict):
        _control_chars(data, [], problems)
    if problems:
        raise BundleInvalid(str(path), problems)
    profile: dict[str, Any] = data  # valid against the profile contract: an object
    return profile


def _unit_step(kind: str) -> Decimal:
    return Decimal(1) if kind == "count" else Decimal("0.01")


def _show(value: Decimal, kind: str, unit: str | None) -> str:
    if kind == "count":
        return f"{int(value):,} {unit or ''}".strip()
    if kind == "quantity":
        return f"{value:,.2f} {unit or ''}".rstrip()
    return fmt_yuan(value)


def growth_pct(c: Growth) -> str:
    """The growth a condition asks, as the policy writes it: 10%."""
    return f"{(c.value * 100).normalize():f}%"


def _threshold_words(c: Threshold, kind: str) -> str:
    if kind == "money" and c.value >= 10000 and (c.value / 10000) == (c.value / 10000).to_integral_value():
        return fmt_wan(c.value)  # the policy speaks in 万元
    return _show(c.value, kind, c.unit)


def gap_for(
    c: Condition, facts: dict[str, Any], kinds: dict[str, str], labels: dict[str, str] | None = None
) -> dict[str, Any]:
    """What the enterprise still lacks for one unmet condition, in the policy's own words (`labels`:
    fact_labels, the facts' own words where a gap names a fact the condition does not label)."""
    if isinstance(c, Threshold):
        kind = kinds.get(c.fact, "money")
        value = Decimal(str(facts[c.fact]))
        target = c.value if c.operator == ">=" else c.value + _unit_step(kind)
        gap = target - value
        shown = _show(gap, kind, c.unit)
        return {
            "fact": c.fact,
            "condition": c.id,
            "gap": str(gap),
            "threshold": str(c.value),
            "boundary_word": c.boundary_word,
            "message": W.GAP_THRESHOLD.zh(
                label=c.label,
                gap=shown,
                verb=W.VERB[c.operator],
                target=_threshold_words(c, kind),
                boundary=c.boundary_word,
            ),
            "message_en": W.GAP_THRESHOLD.en(fact=c.fact, gap=shown, value=f"{c.value:,}", boundary=c.boundary_word),
        }
    if isinstance(c, Growth):
        prior = Decimal(str(facts[c.prior_fact]))
        now = Decimal(str(facts[c.fact]))
        if prior <= 0:
            return {
                "fact": c.prior_fact,
                "condition": c.id,
                "message": W.GAP_GROWTH_BASE.zh(prior_label=c.prior_label or c.prior_fact),
                "message_en": W.GAP_GROWTH_BASE.en(prior_fact=c.prior_fact),
            }
        needed = (prior * (1 + c.value)).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
        pct = growth_pct(c)
        return {
            "fact": c.fact,
            "condition": c.id,
            "gap": str(needed - now),
            "threshold": str(c.value),
            "boundary_word": c.boundary_word,
            "message": W.GAP_GROWTH.zh(
                label=c.label,
                pct=pct,
                fact_label=(labels or {}).get(c.fact, c.fact),
                gap=fmt_yuan(needed - now),
                needed=fmt_yuan(needed),
                boundary=c.boundary_word,
            ),
            "message_en": W.GAP_GROWTH.en(fact=c.fact, needed=fmt_yuan(needed), gap=fmt_yuan(needed - now), pct=pct),
        }
    if c.kind == "flag":
        return {
            "fact": c.fact,
            "condition": c.id,
            "message": W.GAP_FLAG.zh(label=c.label),
            "message_en": W.GAP_FLAG.en(fact=c.fact),
        }
    if isinstance(c, OneOf):
        return {
            "fact": c.fact,
            "condition": c.id,
            "message": W.GAP_ONE_OF.zh(label=c.label, allowed=W.ONE_OF_OR.join(c.name_of(v) for v in c.values)),
            "message_en": W.GAP_ONE_OF.en(fact=c.fact, values=", ".join(c.values)),
        }
    if isinstance(c, FullYear):
        date = facts[c.fact]
        first = int(str(date)[:4]) + (0 if str(date)[5:] == "01-01" else 1)
        return {
            "fact": c.fact,
            "condition": c.id,
            "message": W.GAP_FULL_YEAR.zh(label=c.label, date=date, first=first, boundary=c.boundary_word),
            "message_en": W.GAP_FULL_YEAR.en(fact=c.fact, date=date, first=first),
        }
    return {"fact": c.fact, "condition": c.id, "message": c.label, "message_en": c.fact}


def _decision(
    policy: Policy, profile: dict[str, Any], clause: int, facts: dict[str, Any], history: tuple[PriorAward, ...] = ()
) -> Decision:
    """The clause decided on the profile's facts, counting the ledger's awards (`history`) when given."""
    from zzcbec_docs.process.decide import decide_counting

    bundle = {
        "schema_version": "1.0",
        "year": profile["year"],
        "applicant": profile["applicant"],
        "claims": [{"clause": clause, "facts": facts}],
        "prior_awards": profile.get("prior_awards", []),
    }
    raw = json.dumps(bundle, ensure_ascii=False, default=str).encode()
    return decide_counting(parse_bundle(raw, "profile", policy=policy), policy, history).decisions[0]


def _known_failures(policy: Policy, clause: int, facts: dict[str, Any], year: int) -> list[Condition]:
    """The clause's own conditions that the known facts already fail (facts missing for the rest)."""
    from zzcbec_docs.rules.conditions import evaluate

    kinds = all_fact_kinds(policy)
    typed = {
        k: (Decimal(str(v)) if kinds.get(k) in ("money", "quantity") and not isinstance(v, bool) else v)
        for k, v in facts.items()
    }
    failed = []
    for c in policy.clauses[clause].conditions:
        needs = [getattr(c, "fact", None), getattr(c, "prior_fact", None)]
        if any(f is not None and f not in facts for f in needs):
            continue
        try:
            step = evaluate(clause, c, typed, year)
        except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError):  # needs more than it names
            continue
        if step.passed is False:
            failed.append(c)
    return failed


def match_profile(
    policy: Policy,
    profile: dict[str, Any],
    history: tuple[PriorAward, ...] = (),
    decide_clause: Callable[[int, dict[str, Any]], Decision] | None = None,
) -> list[Match]:
    """Every clause against the profile; `history`: the applicant's awards in the ledger, counted.
    `decide_clause(clause, facts)` decides one clause from facts already validated and typed (the
    table matcher's fast path); by default the facts are validated as a bundle would be."""
    facts = profile["facts"]
    kinds = all_fact_kinds(policy)
    labels = fact_labels(policy)
    ex = policy.exclusion
    out: list[Match] = []
    for n in policy.claimable():
        clause = policy.clauses[n]
        m = Match(n, clause.name, "undecided")
        if policy.is_referred(n):
            m.status = "referred"
            m.notes.append(W.NOTE_REFERRED.zh(cite=policy.cite(policy.referring_clause(n))))
            out.append(m)
            continue
        if ex is not None and profile["applicant"].get(ex.fact):
            m.status = "excluded"
            m.notes.append(W.NOTE_EXCLUDED.zh(label=ex.label, cite=policy.cite(ex.clause)))
            out.append(m)
            continue
        needed = list(clause.facts)  # every fact the bundle contract asks of this clause
        missing = [f for f in needed if f not in facts]
        if missing:
            m.missing = [W.MISSING_FACT.zh(label=labels.get(f, f), fact=f) for f in missing]
            failing = _known_failures(policy, n, facts, profile["year"])
            if failing:  # a known condition fails: not eligible whatever the missing facts are
                m.status = "not_eligible"
                m.gaps = [gap_for(c, facts, kinds, labels) for c in failing]
            out.append(m)
            continue
        needed_facts = {f: facts[f] for f in needed}
        d = decide_clause(n, needed_facts) if decide_clause else _decision(policy, profile, n, needed_facts, history)
        m.amount, m.funding = d.amount, d.funding
        if d.status == ELIGIBLE:
            m.status = "eligible"
            if d.computed is not None and d.computed > d.amount:
                m.cap = {"computed": f"{d.computed:.2f}", "paid": f"{d.amount:.2f}"}
                m.notes.append(W.NOTE_CAP_BINDS.zh(computed=fmt_yuan(d.computed), paid=fmt_yuan(d.amount)))
            m.notes += _next_tier(clause, facts)
        else:
            m.status = "not_eligible"
            conditions = {c.id: c for c in clause.all_conditions()}
            for r in d.reasons:
                if r.condition in conditions:
                    m.gaps.append(gap_for(conditions[r.condition], facts, kinds, labels))
                elif r.code == "threshold_not_met" and isinstance(clause.amount, FeeTierAmount):
                    lowest = clause.amount.tiers[-1]
                    alternatives = [gap_for(c, facts, kinds, labels) for c in lowest.any_of]
                    m.gaps.append(
                        {
                            "fact": None,
                            "condition": "any_of",
                            "message": W.GAP_ANY_OF.zh(
                                alternatives=W.ALTERNATIVES_JOIN.join(a["message"] for a in alternatives)
                            ),
                            "message_en": W.GAP_ANY_OF.en(
                                alternatives="; or ".join(a["message_en"] for a in alternatives)
                            ),
                            "alternatives": alternatives,
                        }
                    )
                else:
                    m.gaps.append(
                        {"fact": r.fact, "condition": r.code, "message": r.message, "message_en": r.message_en}
                    )
        out.append(m)
    order = {"eligible": 0, "not_eligible": 1, "undecided": 2, "referred": 3, "excluded": 4}
    return sorted(out, key=lambda m: (order[m.status], -m.amount, m.clause))


def _next_tier(clause: Clause, facts: dict[str, Any]) -> list[str]:
    """For tiered clauses: how far the next tier is."""
    rule = clause.amount
    if not isinstance(rule, TierAmount):
        return []
    value = Decimal(str(facts[rule.fact]))
    higher = [t for t in rule.tiers if not (value > t.value if t.operator == ">" else value >= t.value)]
    if not higher:
        return []
    t = min(higher, key=lambda t: t.value)
    step = Decimal("0.01") if t.operator == ">" else ZERO
    return [
        W.NOTE_NEXT_TIER.zh(
            amount=fmt_yuan(t.amount), label=rule.label, gap=fmt_yuan(t.value + step - value), boundary=t.boundary_word
        )
    ]


def match_counting(service: Service, profile: dict[str, Any]) -> tuple[list[Match], dict[str, Any] | None]:
    """`match PROFILE` with the service's ledger: the applicant's standing awards count against the caps,
    and a claim the ledger already awarded (a case of the same applicant and year stating the profile's
    very facts: process.decide.profile_awards) is shown as awarded — its notices and amounts — never
    decided against its own award. Returns the matches and what was counted ({ledger, awards, total};
    None without a ledger)."""
    ledger = service.ledger
    policy = service.policy
    if ledger is None:
        return match_profile(policy, profile), None
    from zzcbec_docs.process.decide import AWARDED_LABEL, profile_awards

    code = str(profile["applicant"]["uscc"]).strip().upper()
    history = tuple(ledger.history_readonly(code))
    counted = {
        "ledger": service.ledger_name,
        "awards": len(history),
        "total": f"{sum((p.amount for p in history), Decimal(0)):.2f}",
    }
    own = profile_awards(ledger, policy, code, int(profile["year"]), dict(profile.get("facts") or {}))
    mine = {(clause, x[0]) for clause, xs in own.items() for x in xs}
    results = match_profile(policy, profile, tuple(p for p in history if (p.clause, p.reference) not in mine))
    for m in results:
        if m.clause in own and m.status == "eligible":
            m.amount = sum((x[2] for x in own[m.clause]), Decimal("0.00"))
            m.awarded = [
                {"status": "awarded", "label": AWARDED_LABEL, "number": n, "issued_on": on, "amount": f"{a:.2f}"}
                for n, on, a, _ in own[m.clause]
            ]
            m.notes.insert(
                0, f"{AWARDED_LABEL}：" + "、".join(f"文号 {n}（{on}，{fmt_yuan(a)}）" for n, on, a, _ in own[m.clause])
            )
    return results, counted
