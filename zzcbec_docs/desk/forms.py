"""The enterprise's application form, made from the policy data and the bundle contract.

One section per claimable clause (the clause's own words at its head), each fact with its unit,
its kind of input and the policy's condition words beside it. The form's fields map one to one
onto a bundle, so what the form makes is what `zzcbec check` reads, and a bundle file fills the
form back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from zzcbec_docs.bundle.validate import fact_kinds, fact_labels
from zzcbec_docs.calculator.policy_view import amount_text, cap_text
from zzcbec_docs.policy.model import CHINESE_NUMERALS, Policy

UNITS = {"money": "元", "quantity": "平方米", "count": "个", "date": "年-月-日"}
CHOICES = {
    "flag": (("true", "是"), ("false", "否")),
    "hq_level": (("national", "全国性总部"), ("regional", "区域性总部"), ("none", "无")),
    "demo_park_level": (("national", "国家级"), ("provincial", "省级"), ("none", "无")),
}
FEES = ("rent", "property_management", "bonded_warehousing", "other", "utilities")
ATTACHMENT_KINDS = (
    ("business_license", "营业执照"),
    ("financial_statement", "财务报表或审计报告"),
    ("customs_data", "海关进出口数据"),
    ("payment_voucher", "合同、发票或付款凭证"),
    ("other", "其他证明材料"),
)
APPLICANT_FIELDS = (  # (form name, label, bundle path)
    ("applicant.name", "申请单位全称", ("applicant", "name")),
    ("applicant.address", "注册地址", ("applicant", "address")),
    ("applicant.legal_representative", "法定代表人", ("applicant", "legal_representative")),
    ("applicant.contact.name", "联系人", ("applicant", "contact", "name")),
    ("applicant.contact.phone", "联系电话", ("applicant", "contact", "phone")),
    ("applicant.bank.name", "开户银行", ("applicant", "bank", "name")),
    ("applicant.bank.account", "银行账号", ("applicant", "bank", "account")),
    ("applicant.customs_code", "海关编码（可选，10 位）", ("applicant", "customs_code")),
)


@dataclass
class FactField:
    name: str  # form field name: c{clause}.{fact}[.{fee}]
    fact: str
    label: str
    kind: str
    unit: str
    hints: list[str] = field(default_factory=list)  # the policy's condition words for this fact
    choices: tuple[tuple[str, str], ...] = ()


@dataclass
class Section:
    clause: int
    numeral: str
    name: str
    kind: str  # award | referred
    text: str
    amount: str
    cap: str
    fields: list[FactField]


def sections(policy: Policy) -> list[Section]:
    labels = fact_labels(policy)
    kinds = fact_kinds(policy)
    out = []
    for n in policy.claimable():
        cl = policy.clauses[n]
        hints: dict[str, list[str]] = {}
        units: dict[str, str] = {}
        for c in cl.all_conditions():  # the clause's conditions and its tiers' alternatives
            hints.setdefault(c.fact, []).append(condition_words(c))
            unit = getattr(c, "unit", None)
            if unit:
                units[c.fact] = str(unit)
        fields = []
        for fact, kind in kinds.get(n, {}).items():
            if kind == "service_fees":
                for fee in FEES:
                    fields.append(
                        FactField(
                            f"c{n}.{fact}.{fee}",
                            f"{fact}.{fee}",
                            f"{labels.get(fact, fact)}：{labels.get(fee, fee)}",
                            "money",
                            "元",
                        )
                    )
                continue
            fields.append(
                FactField(
                    f"c{n}.{fact}",
                    fact,
                    labels.get(fact, fact),
                    kind,
                    units.get(fact) or UNITS.get(kind, ""),
                    hints.get(fact, []),
                    CHOICES.get(kind, ()),
                )
            )
        out.append(
            Section(
                n,
                CHINESE_NUMERALS[n],
                cl.name,
                cl.kind,
                cl.text,
                amount_text(cl) if cl.kind == "award" else "",
                cap_text(cl) if cl.kind == "award" else "",
                fields,
            )
        )
    return out


def condition_words(c: Any) -> str:
    """A condition as the documents word it: 年进出口额达到1000万元以上（含本数）."""
    from zzcbec_docs.process.words import condition_words as words

    return words(c)


def _set(d: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for p in path[:-1]:
        d = d.setdefault(p, {})
    d[path[-1]] = value


def _typed(kind: str, text: str) -> Any:
    """The form's text as the bundle contract writes it; anything odd passes through for the schema to name."""
    if kind == "flag":
        return {"true": True, "false": False}.get(text, text)
    if kind == "count":
        return int(text) if text.isdigit() and len(text) < 16 else text
    return text


def to_bundle(
    form: dict[str, str], policy: Policy, *, uscc: str, attachments: Sequence[dict[str, str]] = ()
) -> dict[str, Any]:
    """The bundle a filled form stands for. A clause is claimed when any of its facts is filled in."""

    def get(k: str) -> str:
        return (form.get(k) or "").strip()

    year = get("year")
    b: dict[str, Any] = {"schema_version": "1.0", "year": int(year) if year.isdigit() and len(year) == 4 else year}
    applicant: dict[str, Any] = {
        "uscc": uscc,
        "district": get("applicant.district"),
        "etrade_core_zone_policy": _typed("flag", get("applicant.etrade_core_zone_policy")),
    }
    b["applicant"] = applicant
    for name, _label, path in APPLICANT_FIELDS:
        if get(name):
            _set(b, path, get(name))
    if applicant["district"] == "":
        del applicant["district"]
    if applicant["etrade_core_zone_policy"] == "":
        del applicant["etrade_core_zone_policy"]
    claims = []
    for s in sections(policy):
        facts: dict[str, Any] = {}
        for f in s.fields:
            value = get(f.name)
            if value == "":
                continue
            if f.kind in ("money", "quantity", "count"):
                value = normalise_figure(value)
            if "." in f.fact:  # service fee item
                top, fee = f.fact.split(".")
                facts.setdefault(top, {})[fee] = value
            else:
                facts[f.fact] = _typed(f.kind, value)
        if facts:
            claims.append({"clause": s.clause, "facts": facts})
    b["claims"] = claims
    if attachments:
        b["attachments"] = [dict(a) for a in attachments]
    return b


def from_bundle(data: Any) -> dict[str, str]:
    """A bundle's data as form values (the first claim of each clause)."""
    out: dict[str, str] = {}
    if not isinstance(data, dict):
        return out
    if data.get("year") is not None:
        out["year"] = str(data["year"])
    a = data.get("applicant") or {}
    if isinstance(a, dict):
        for name, _label, path in APPLICANT_FIELDS:
            node: Any = data
            for p in path:
                node = node.get(p) if isinstance(node, dict) else None
            if node is not None and not isinstance(node, (dict, list)):
                out[name] = str(node)
        if a.get("district") is not None:
            out["applicant.district"] = str(a["district"])
        if isinstance(a.get("etrade_core_zone_policy"), bool):
            out["applicant.etrade_core_zone_policy"] = "true" if a["etrade_core_zone_policy"] else "false"
    for c in data.get("claims") or []:
        if not isinstance(c, dict) or not isinstance(c.get("facts"), dict):
            continue
        n = c.get("clause")
        for fact, value in c["facts"].items():
            if isinstance(value, dict):
                for fee, v in value.items():
                    out.setdefault(f"c{n}.{fact}.{fee}", str(v))
            elif isinstance(value, bool):
                out.setdefault(f"c{n}.{fact}", "true" if value else "false")
            elif value is not None:
                out.setdefault(f"c{n}.{fact}", str(value))
    return out


def field_for_pointer(pointer: str, bundle: dict[str, Any]) -> str | None:
    """The form field a JSON pointer names (so an error shows beside its input)."""
    parts = pointer.strip("/").split("/")
    if parts[:1] == ["claims"] and len(parts) >= 4 and parts[2] == "facts":
        try:
            clause = bundle["claims"][int(parts[1])]["clause"]
        except (ValueError, IndexError, KeyError, TypeError):
            return None
        return ".".join([f"c{clause}", *parts[3:]])
    if parts[:1] == ["applicant"]:
        return ".".join(parts)
    if parts == ["year"]:
        return "year"
    return None


# what each kind of field asks for, in the form's words (a schema's message names a JSON pointer,
# a pattern or 10^15; a person is told what to type)
FIELD_WORDS = {
    "money": "请填写金额（元），只写数字，最多两位小数，如 1200000 或 1200000.50",
    "quantity": "请填写数量，只写数字，最多两位小数",
    "count": "请填写整数，如 35",
    "date": "请按“年-月-日”填写日期，如 2025-12-31",
    "flag": "请选择“是”或“否”",
    "hq_level": "请选择总部级别",
    "demo_park_level": "请选择示范园区（基地）级别",
    "text": "请填写文字（不超过 500 字）",
}
APPLICANT_WORDS = {
    "year": ("申报年度", "请填写四位数的年度，如 2025"),
    "applicant.district": ("所在区县（市）", "请选择所在区县（市）"),
    "applicant.name": ("申请单位全称", "请填写申请单位全称"),
    "applicant.contact.phone": ("联系电话", "请填写联系电话，如 0371-12345678 或 13800000000"),
    "applicant.bank.account": ("银行账号", "请填写银行账号（数字）"),
    "applicant.customs_code": ("海关编码", "海关编码为 10 位数字或字母，不申报可不填"),
}


def field_words(name: str | None, message: str, all_sections: list[Section]) -> tuple[str, str]:
    """(the field's label, what to do) for an error the schema places at `name`."""
    if name is None or name == "general":
        return "", message.split(" / ")[0]
    if name in APPLICANT_WORDS:
        return APPLICANT_WORDS[name]
    for label_name, label, _path in APPLICANT_FIELDS:
        if label_name == name:
            return label, f"请检查“{label}”的填写"
    for s in all_sections:
        for f in s.fields:
            if f.name == name:
                return f"第{s.numeral}条 {f.label}", FIELD_WORDS.get(f.kind, message.split(" / ")[0])
        if name == f"c{s.clause}":
            return f"第{s.numeral}条", message.split(" / ")[0]
    return "", message.split(" / ")[0]


def normalise_figure(text: str) -> str:
    """A figure as people type it (12,000,000 or 1 200 000 or full-width digits) in the bundle's form."""
    table = str.maketrans("０１２３４５６７８９．，", "0123456789.,")
    plain = text.translate(table).replace(",", "").replace(" ", "").replace("\u3000", "")
    return plain if plain.replace(".", "", 1).isdigit() else text


def bundle_json(bundle: dict[str, Any]) -> bytes:
    return json.dumps(bundle, ensure_ascii=False, indent=2).encode("utf-8")
