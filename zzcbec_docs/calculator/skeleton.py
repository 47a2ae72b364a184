"""`zzcbec init-bundle --clause N`: a commented bundle skeleton, every field with its meaning in Chinese."""

from __future__ import annotations

from collections.abc import Iterable

from zzcbec_docs.bundle.validate import fact_kinds, fact_labels
from zzcbec_docs.policy.model import CHINESE_NUMERALS, Policy

PLACEHOLDER = {  # kind → (value to replace, how to write it)
    "money": ('"0"', '金额（元），如 "1200000.50"，最多两位小数'),
    "quantity": ('"0"', "数值，最多两位小数"),
    "count": ("0", "整数"),
    "flag": ("false", "true（是）或 false（否）"),
    "date": ('"2025-01-01"', "日期 YYYY-MM-DD"),
    "text": ('""', "文字说明"),
    "hq_level": ("none", "national（全国性）/ regional（区域性）/ none（无）"),
    "demo_park_level": ("none", "national（国家级）/ provincial（省级）/ none（无）"),
}


def skeleton(policy: Policy, clause: int | Iterable[int], year: int) -> str:
    """A bundle skeleton claiming one clause, or several (`--clause 1 --clause 6`: one claim each)."""
    numbers = list(dict.fromkeys([clause] if isinstance(clause, int) else clause))
    labels = fact_labels()
    lines = [f"# 申报材料：{policy.full_title}"]
    for n in numbers:
        lines += [f"# 第{CHINESE_NUMERALS[n]}条 {policy.clauses[n].name}", f"# 条文：{policy.clauses[n].text}"]
    lines += [
        "# 填好后运行：zzcbec check 本文件；zzcbec render 本文件 --out out/",
        'schema_version: "1.0"',
        f"year: {year}                       # 申报年度：数据所属的自然年",
        "applicant:",
        '  name: ""                       # 申请单位全称',
        '  uscc: ""                       # 统一社会信用代码（18 位，校验位按 GB 32100 核验）',
        '  district: ""                   # 所在区县（市），如 金水区、郑东新区、航空港区、巩义市',
        "  etrade_core_zone_policy: false # 是否享受E贸易核心功能集聚区相关政策（是则不在支持范围，第十五条）",
        '  address: ""                    # 注册地址',
        '  legal_representative: ""       # 法定代表人',
        '  contact: {name: "", phone: ""} # 联系人及电话',
        '  bank: {name: "", account: ""}  # 开户银行及账号（奖励通知书写明拨付账户）',
        "claims:",
    ]
    for n in numbers:
        lines += [f"  - clause: {n}", "    facts:"]
        lines += _facts(policy, n, labels)
    lines += [
        "prior_awards: []                 # 已获本政策奖励（如有）：- {clause: 1, year: 2025, amount: \"300000.00\"}",
        "attachments: []                  # 证明材料（相对本文件的路径与 SHA-256）：- {kind: business_license, file: attachments/license.pdf, sha256: \"…\"}",
        "",
    ]
    return "\n".join(lines)


def _facts(policy: Policy, clause: int, labels: dict[str, str]) -> list[str]:
    lines = []
    for name, kind in fact_kinds()[clause].items():
        label = labels.get(name, name)
        if kind == "service_fees":
            lines.append(f"      {name}:                  # {label}（各项可选，单位元）")
            for fee in ("rent", "property_management", "bonded_warehousing", "other", "utilities"):
                lines.append(f'        {fee}: "0"{" " * max(1, 20 - len(fee))}# {labels.get(fee, fee)}')
            continue
        value, hint = PLACEHOLDER.get(kind, PLACEHOLDER["text"])
        unit = next((c.unit for c in policy.clauses[clause].conditions if c.fact == name and c.unit), None)
        if unit and kind in ("quantity", "count"):
            hint = f"{hint}（单位：{unit}）"
        field = f"      {name}: {value}"
        lines.append(f"{field}{' ' * max(1, 40 - len(field))}# {label}：{hint}")
    return lines
