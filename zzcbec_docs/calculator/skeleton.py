"""`zzcbec init-bundle --clause N`: a commented bundle skeleton, every field with its meaning in Chinese."""

from __future__ import annotations

from collections.abc import Iterable

from zzcbec_docs.bundle.contract import clause_facts
from zzcbec_docs.errors import ArgumentError
from zzcbec_docs.policy.model import Fact, Policy

PLACEHOLDER = {  # type → (value to replace, how to write it)
    "money": ('"0"', '金额（元），如 "1200000.50"，最多两位小数'),
    "quantity": ('"0"', "数值，最多两位小数"),
    "count": ("0", "整数"),
    "flag": ("false", "true（是）或 false（否）"),
    "date": ('"2025-01-01"', "日期 YYYY-MM-DD"),
    "text": ('""', "文字说明"),
}


def _placeholder(f: Fact) -> tuple[str, str]:
    if f.type == "choice":
        values = [v for v, _ in f.choices]
        first = "none" if "none" in values else (values[0] if values else '""')
        return first, " / ".join(f"{v}（{label}）" for v, label in f.choices)
    if f.type == "quantity" and f.unit:
        return '"0"', f"数值（{f.unit}），最多两位小数"
    if f.type == "count" and f.unit:
        return "0", f"整数（{f.unit}）"
    return PLACEHOLDER.get(f.type, PLACEHOLDER["text"])


def skeleton(policy: Policy, clause: int | Iterable[int], year: int) -> str:
    """A commented bundle for one claimable clause of the policy, or several (one claim each)."""
    numbers = list(dict.fromkeys([clause] if isinstance(clause, int) else clause))
    for n in numbers:
        if n not in policy.claimable():
            raise ArgumentError(
                f"{policy.full_title}没有可申报的第{n}条；可申报：{'、'.join(map(str, policy.claimable()))}",
                f"the policy {policy.id} has no claimable clause {n}; claimable: "
                f"{', '.join(map(str, policy.claimable()))}",
            )
    ex = policy.exclusion
    exclusion_line = (
        f"  {ex.fact}: false # 是否{ex.label}（是则不在支持范围，{policy.cite(ex.clause)}）" if ex else None
    )
    lines = [f"# 申报材料：{policy.full_title}"]
    for n in numbers:
        lines += [f"# {policy.clauses[n].cite} {policy.clauses[n].name}", f"# 条文：{policy.clauses[n].text}"]
    lines += [
        "# 填好后运行：zzcbec check 本文件；zzcbec render 本文件 --out out/",
        'schema_version: "1.0"',
        f"year: {year}                       # 申报年度：数据所属的自然年",
        "applicant:",
        '  name: ""                       # 申请单位全称',
        '  uscc: ""                       # 统一社会信用代码（18 位，校验位按 GB 32100 核验）',
        '  district: ""                   # 所在区县（市），如 金水区、郑东新区、航空港区、巩义市',
        *([exclusion_line] if exclusion_line else []),
        '  address: ""                    # 注册地址',
        '  legal_representative: ""       # 法定代表人',
        '  contact: {name: "", phone: ""} # 联系人及电话',
        '  bank: {name: "", account: ""}  # 开户银行及账号（奖励通知书写明拨付账户）',
        "claims:",
    ]
    for n in numbers:
        lines += [f"  - clause: {n}", "    facts:", *_facts(policy, n)]
    lines += [
        'prior_awards: []                 # 已获本政策奖励（如有）：- {clause: 1, year: 2025, amount: "300000.00"}',
        'attachments: []                  # 证明材料（相对本文件的路径与 SHA-256）：- {kind: business_license, file: attachments/license.pdf, sha256: "…"}',
        "",
    ]
    return "\n".join(lines)


def _facts(policy: Policy, clause: int) -> list[str]:
    lines: list[str] = []
    for f in clause_facts(policy, clause):
        name, label = f.name, f.label
        if f.type == "fee_items":
            lines.append(f"      {name}:                  # {label}（各项可选，单位元）")
            for fee, fee_label in f.items:
                lines.append(f'        {fee}: "0"{" " * max(1, 20 - len(fee))}# {fee_label}')
            if not f.items:
                lines.append("        {}                   # 各项费用：名称: 金额")
            continue
        value, hint = _placeholder(f)
        field = f"      {name}: {value}"
        lines.append(f"{field}{' ' * max(1, 40 - len(field))}# {label}：{hint}")
    return lines
