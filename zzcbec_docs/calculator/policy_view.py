"""`zzcbec policy show` and `zzcbec policy diff`: the policy data for people, and what changed."""

from __future__ import annotations

from typing import Any

from zzcbec_docs.money import fmt_yuan
from zzcbec_docs.policy.model import (
    Clause,
    Condition,
    FeeTierAmount,
    FixedAmount,
    PerUnitAmount,
    Policy,
    RateAmount,
    RequestedAmount,
    TierAmount,
    chinese_numeral,
)
from zzcbec_docs.rules.conditions import SYMBOL, requirement
from zzcbec_docs.rules.context import pct

FREQUENCY = {
    "per_year": "每年",
    "one_time": "一次性",
    "one_time_per_tier": "每档一次性",
    "once_per_year": "每年一次",
    "per_competition": "单个活动",
}


def condition_text(c: Condition) -> str:
    return f"{c.label} {requirement(c)}"


def amount_text(cl: Clause) -> str:
    a = cl.amount
    if a is None:
        return "—"
    if isinstance(a, RateAmount):
        return f"{a.base_label} × {pct(a.rate)}"
    if isinstance(a, FixedAmount):
        return fmt_yuan(a.value)
    if isinstance(a, TierAmount):
        return "；".join(f"{a.label}{SYMBOL[t.operator]}{t.value:,} → {fmt_yuan(t.amount)}" for t in a.tiers)
    if isinstance(a, PerUnitAmount):
        return f"{a.base_label} × {fmt_yuan(a.unit_amount)}/{a.unit}"
    if isinstance(a, RequestedAmount):
        return a.base_label
    assert isinstance(a, FeeTierAmount)
    parts = []
    for t in a.tiers:
        alts = " 或 ".join(condition_text(c) for c in t.any_of)
        parts.append(f"{t.id}档（{alts}）：{(t.rate * 100).normalize():f}%，不超过 {fmt_yuan(t.cap)}")
    return f"{a.base_label}：" + "；".join(parts)


def cap_text(cl: Clause) -> str:
    if cl.cap is None:
        return "—"
    amount = f" {fmt_yuan(cl.cap.amount)}" if cl.cap.amount is not None else ""
    return f"{FREQUENCY.get(cl.cap.frequency, cl.cap.frequency)}{amount}（{cl.cap.boundary_word}）"


def show(policy: Policy, clause: int | None = None) -> str:
    lines = [
        f"{policy.full_title}  id={policy.id}  status={policy.status}  "
        f"document_number={policy.document_number or '—'}  "
        f"issued_on={policy.issued_on or '未定 (draft)'}  term={policy.term_years}年"
    ]
    funding_cite = policy.cite(policy.funding_rule.clause) if policy.funding_rule else ""
    for n, cl in sorted(policy.clauses.items()):
        if clause is not None and n != clause:
            continue
        lines.append(f"\n{cl.cite} {cl.name}（{cl.name_en}）[{cl.kind}]")
        if clause is not None:
            lines.append(f"  条文：{cl.text}")
        if cl.kind == "award":
            for c in cl.conditions:
                lines.append(f"  条件：{condition_text(c)}")
            lines.append(f"  金额：{amount_text(cl)}")
            lines.append(f"  上限：{cap_text(cl)}")
            lines.append(
                f"  资金：{'市级财政全额承担' if cl.funding == 'city' else f'市、区县（市）共同承担（{funding_cite}）'}"
            )
            setting = policy.reading_for(n)
            if setting is not None:
                lines.append(f"  理解：{setting.value} — {setting.explanation}")
        elif cl.kind == "referred":
            lines.append(f"  按省、市现行政策支持（{policy.cite(policy.referring_clause(n))}）")
        elif cl.kind == "funding":
            for g in policy.funding_groups:
                lines.append(f"  市级 {g.city_ratio * 100:.0f}%：{'、'.join(g.districts)}")
            lines.append(f"  未列明（待财政部门确定）：{'、'.join(sorted(policy.unsettled_districts))}")
            lines.append(f"  市级全额：第{'、'.join(chinese_numeral(x) for x in sorted(policy.city_only_clauses))}条")
        elif cl.kind == "exclusion" and policy.exclusion is not None:
            lines.append(f"  排除：{policy.exclusion.label}（申报材料 applicant.{policy.exclusion.fact}）")
            if policy.exclusion.referred_clauses:
                lines.append(
                    f"  按省、市现行政策支持：第{'、'.join(chinese_numeral(x) for x in sorted(policy.exclusion.referred_clauses))}条"
                )
    return "\n".join(lines)


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """Every number, word and rule of a policy file under a readable path (clauses by number, items by id)."""
    out: dict[str, Any] = {}
    if isinstance(node, dict):
        for k, v in node.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(node, list):
        if node and all(isinstance(x, dict) and "number" in x for x in node):
            for x in node:
                number = x["number"]
                label = f"第{chinese_numeral(number)}条" if isinstance(number, int) else str(number)
                out.update(flatten({k: v for k, v in x.items() if k != "number"}, f"{prefix}[{label}]"))
        elif node and all(isinstance(x, dict) and "id" in x for x in node):
            for x in node:
                out.update(flatten({k: v for k, v in x.items() if k != "id"}, f"{prefix}[{x['id']}]"))
        elif all(not isinstance(x, (dict, list)) for x in node):
            out[prefix] = "、".join(str(x) for x in node)
        else:
            for i, x in enumerate(node):
                out.update(flatten(x, f"{prefix}[{i}]"))
    else:
        out[prefix] = node
    return out


def renumbered(old: Policy, new: Policy) -> dict[int, int]:
    """Clauses that moved: new number → old number, paired by name where the number alone would mislead."""
    before = {n: c.name for n, c in old.clauses.items()}
    after = {n: c.name for n, c in new.clauses.items()}
    moved: dict[int, int] = {}
    for n, name in after.items():
        if before.get(n) == name:
            continue
        candidates = [m for m, o in before.items() if o == name and after.get(m) != name]
        if len(candidates) == 1:
            moved[n] = candidates[0]
    return moved


def diff(old: Policy, new: Policy) -> list[tuple[str, str, Any, Any]]:
    """(mark, path, old, new): ~ changed, + added, - removed.

    Clauses are compared by number, except that a clause renumbered (found by its name) is
    compared with its former self and reported as renumbered, so that inserting or removing a
    clause does not show every later clause as changed.
    """
    moved = renumbered(old, new)
    new_raw = new.raw
    if moved:
        clauses = []
        for c in new.raw["clauses"]:
            n = c["number"]
            if n in moved:
                clauses.append(dict(c, number=moved[n]))
            elif n in moved.values():  # the number a moved clause had now names another clause
                clauses.append(dict(c, number=f"新增 {c['name']}"))
            else:
                clauses.append(c)
        new_raw = dict(new.raw, clauses=clauses)
    a, b = flatten(old.raw), flatten(new_raw)
    out: list[tuple[str, str, Any, Any]] = [
        ("~", f"clauses[第{chinese_numeral(o)}条].number", o, n) for n, o in sorted(moved.items())
    ]
    for key in list(dict.fromkeys([*a, *b])):
        if key in a and key in b:
            if a[key] != b[key]:
                out.append(("~", key, a[key], b[key]))
        elif key in b:
            out.append(("+", key, None, b[key]))
        else:
            out.append(("-", key, a[key], None))
    return out
