"""`zzcbec policy show` and `zzcbec policy diff`: the policy data for people, and what changed."""

from __future__ import annotations

from typing import Any

from zzcbec_docs.money import fmt_yuan
from zzcbec_docs.policy.model import CHINESE_NUMERALS, Clause, Condition, Policy
from zzcbec_docs.rules.conditions import SYMBOL, requirement

FREQUENCY = {"per_year": "每年", "one_time": "一次性", "one_time_per_tier": "每档一次性", "once_per_year": "每年一次",
             "per_competition": "单个活动"}


def condition_text(c: Condition) -> str:
    return f"{c.label} {requirement(c)}"


def amount_text(cl: Clause) -> str:
    a = cl.amount
    if a is None:
        return "—"
    if a.method == "rate":
        pct = a.rate * 100  # type: ignore[operator]
        rate = f"{pct.normalize():f}%" if pct == pct.to_integral_value() else f"{(a.rate * 1000).normalize():f}‰"  # type: ignore[operator]
        return f"{a.base_label} × {rate}"
    if a.method == "fixed":
        return fmt_yuan(a.value)  # type: ignore[arg-type]
    if a.method == "tiers":
        return "；".join(f"{a.label}{SYMBOL[t.operator]}{t.value:,} → {fmt_yuan(t.amount)}" for t in a.tiers)  # type: ignore[arg-type]
    if a.method == "per_unit":
        return f"{a.base_label} × {fmt_yuan(a.unit_amount)}/{a.unit}"  # type: ignore[arg-type]
    if a.method == "requested":
        return a.base_label
    if a.method == "fee_tiers":
        parts = []
        for t in a.tiers:
            alts = " 或 ".join(condition_text(c) for c in t.any_of)
            parts.append(f"{t.id}档（{alts}）：{(t.rate * 100).normalize():f}%，不超过 {fmt_yuan(t.cap)}")  # type: ignore[operator,arg-type]
        return f"{a.base_label}：" + "；".join(parts)
    return a.method


def cap_text(cl: Clause) -> str:
    if cl.cap is None:
        return "—"
    amount = f" {fmt_yuan(cl.cap.amount)}" if cl.cap.amount is not None else ""
    return f"{FREQUENCY.get(cl.cap.frequency, cl.cap.frequency)}{amount}（{cl.cap.boundary_word}）"


def show(policy: Policy, clause: int | None = None) -> str:
    lines = [f"{policy.full_title}  id={policy.id}  status={policy.status}  "
             f"issued_on={policy.issued_on or '未定 (draft)'}  term={policy.term_years}年"]
    for n, cl in sorted(policy.clauses.items()):
        if clause is not None and n != clause:
            continue
        lines.append(f"\n第{CHINESE_NUMERALS[n]}条 {cl.name}（{cl.name_en}）[{cl.kind}]")
        if clause is not None:
            lines.append(f"  条文：{cl.text}")
        if cl.kind == "award":
            for c in cl.conditions:
                lines.append(f"  条件：{condition_text(c)}")
            lines.append(f"  金额：{amount_text(cl)}")
            lines.append(f"  上限：{cap_text(cl)}")
            lines.append(f"  资金：{'市级财政全额承担' if cl.funding == 'city' else '市、区县（市）共同承担（第十六条）'}")
            if n == 3:
                lines.append(f"  理解：{policy.clause3_reading} — {policy.clause3_explanation}")
        elif cl.kind == "referred":
            lines.append(f"  按省、市现行政策支持（第{CHINESE_NUMERALS[cl.referred_by or 15]}条）")
        elif cl.kind == "funding":
            for g in policy.funding_groups:
                lines.append(f"  市级 {g.city_ratio * 100:.0f}%：{'、'.join(g.districts)}")
            lines.append(f"  未列明（待财政部门确定）：{'、'.join(sorted(policy.unsettled_districts))}")
            lines.append(f"  市级全额：第{'、'.join(CHINESE_NUMERALS[x] for x in sorted(policy.city_only_clauses))}条")
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
                out.update(flatten({k: v for k, v in x.items() if k != "number"},
                                   f"{prefix}[第{CHINESE_NUMERALS.get(x['number'], x['number'])}条]"))
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


def diff(old: Policy, new: Policy) -> list[tuple[str, str, Any, Any]]:
    """(mark, path, old, new): ~ changed, + added, - removed."""
    a, b = flatten(old.raw), flatten(new.raw)
    out = []
    for key in list(dict.fromkeys([*a, *b])):
        if key in a and key in b:
            if a[key] != b[key]:
                out.append(("~", key, a[key], b[key]))
        elif key in b:
            out.append(("+", key, None, b[key]))
        else:
            out.append(("-", key, a[key], None))
    return out
