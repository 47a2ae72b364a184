"""A hypothesis strategy for variant policies: the packaged policy file mutated — numbers, operators, cap
frequencies, amount methods, conditions added or removed, clauses added, removed or renumbered (shared by
the policy property test and the SQL engines' equality test)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import yaml
from hypothesis import strategies as st

from zzcbec_docs.policy import default_policy_path

BASE = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))

FREQUENCIES = ["per_year", "one_time", "one_time_per_tier", "once_per_year", "per_competition"]
decimal_text = st.one_of(
    st.integers(0, 10**10).map(str),
    st.tuples(st.integers(0, 1000), st.integers(0, 99)).map(lambda t: f"{t[0]}.{t[1]:02d}"),
)
rate_text = st.integers(1, 1000).map(lambda n: str(Decimal(n) / 1000))
fact_name = st.sampled_from(
    [
        "import_export",
        "revenue",
        "employees",
        "store_area_m2",
        "brand_new_fact",
        "payment_license",
        "opened_on",
        "hq_level",
        "requested",
        "live_sales",
    ]
)


def _numbers(node: Any, path: tuple = ()) -> list[tuple]:
    """Every place of a decimal string in the clauses (value, rate, amount, cap…)."""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("value", "rate", "amount", "cap", "unit_amount", "city_ratio") and isinstance(v, str):
                out.append((*path, k))
            else:
                out += _numbers(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _numbers(v, (*path, i))
    return out


def _set(node: Any, path: tuple, value: Any) -> None:
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value


def _condition(draw, n: int) -> dict:  # type: ignore[no-untyped-def]
    kind = draw(st.sampled_from(["threshold", "flag", "one_of", "full_year", "growth"]))
    fact = draw(fact_name)
    base = {"id": f"c{n}_{draw(st.integers(0, 999))}", "kind": kind, "fact": fact, "label": f"条件{fact}"}
    if kind == "threshold":
        base.update(operator=draw(st.sampled_from([">=", ">"])), value=draw(decimal_text), boundary_word="以上")
        if draw(st.booleans()):
            base["unit"] = draw(st.sampled_from(["人", "家", "平方米"]))
    elif kind == "one_of":
        base["values"] = draw(
            st.lists(
                st.sampled_from(["national", "regional", "provincial", "a", "b"]), min_size=1, max_size=3, unique=True
            )
        )
    elif kind == "full_year":
        base["boundary_word"] = "满一年"
    elif kind == "growth":
        base.update(
            prior_fact=draw(fact_name),
            operator=draw(st.sampled_from([">=", ">"])),
            value=draw(rate_text),
            boundary_word="不低于",
        )
    return base


def _amount(draw, clause: dict) -> dict:  # type: ignore[no-untyped-def]
    method = draw(st.sampled_from(["rate", "fixed", "tiers", "per_unit", "requested", "fee_tiers"]))
    f = draw(fact_name)
    if method == "rate":
        return {"method": "rate", "base": [f], "base_label": "基数", "rate": draw(rate_text)}
    if method == "fixed":
        return {"method": "fixed", "value": draw(decimal_text)}
    if method == "tiers":
        tiers = [
            {
                "operator": draw(st.sampled_from([">=", ">"])),
                "value": draw(decimal_text),
                "amount": draw(decimal_text),
                "boundary_word": "以上",
            }
            for _ in range(draw(st.integers(1, 3)))
        ]
        return {"method": "tiers", "fact": f, "label": "档位", "tiers": tiers}
    if method == "per_unit":
        return {
            "method": "per_unit",
            "fact": f,
            "base_label": "面积",
            "unit": "平方米",
            "unit_amount": draw(decimal_text),
        }
    if method == "requested":
        return {"method": "requested", "fact": "requested", "base_label": "申请金额"}
    tiers = [
        {
            "id": str(i),
            "rate": draw(rate_text),
            "cap": draw(decimal_text),
            "any_of": [
                {
                    "id": f"t{i}",
                    "kind": "threshold",
                    "fact": draw(fact_name),
                    "label": "营收",
                    "operator": ">",
                    "value": draw(decimal_text),
                    "boundary_word": "超",
                }
            ],
        }
        for i in range(draw(st.integers(1, 2)))
    ]
    return {
        "method": "fee_tiers",
        "fee_fact": "service_fees",
        "base_label": "综合服务费",
        "excluded_fees": ["utilities"],
        "tiers": tiers,
    }


def _renumber(data: dict, mapping: dict[int, int]) -> None:
    for c in data["clauses"]:
        c["number"] = mapping.get(c["number"], c["number"])
        if "referred_by" in c:
            c["referred_by"] = mapping.get(c["referred_by"], c["referred_by"])
        for key in ("referred_clauses", "city_only_clauses"):
            if key in c:
                c[key] = [mapping.get(x, x) for x in c[key]]


def _scrub(data: dict, gone: int) -> None:
    """Remove the references to a removed clause (else the loader rightly refuses the file)."""
    for c in data["clauses"]:
        for key in ("referred_clauses", "city_only_clauses"):
            if key in c:
                c[key] = [x for x in c[key] if x != gone]
        if c.get("referred_by") == gone:
            del c["referred_by"]
            c.setdefault("kind", "referred")
            if c["kind"] == "referred":
                c["referred_by"] = next((x["number"] for x in data["clauses"] if x["kind"] == "exclusion"), c["number"])


@st.composite
def variants(draw) -> dict:  # type: ignore[no-untyped-def]
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 5))):
        awards = [c for c in data["clauses"] if c["kind"] == "award"]
        what = draw(
            st.sampled_from(
                [
                    "number",
                    "operator",
                    "frequency",
                    "method",
                    "add_condition",
                    "remove_condition",
                    "remove_clause",
                    "add_clause",
                    "renumber",
                    "cap_amount",
                ]
            )
        )
        if what == "number":
            places = _numbers(data["clauses"])
            if places:
                _set(data["clauses"], draw(st.sampled_from(places)), draw(decimal_text))
        elif what == "operator" and awards:
            c = draw(st.sampled_from(awards))
            for cond in c.get("conditions", []):
                if "operator" in cond:
                    cond["operator"] = draw(st.sampled_from([">=", ">"]))
        elif what == "frequency" and awards:
            draw(st.sampled_from(awards))["cap"]["frequency"] = draw(st.sampled_from(FREQUENCIES))
        elif what == "cap_amount" and awards:
            cap = draw(st.sampled_from(awards))["cap"]
            if draw(st.booleans()):
                cap["amount"] = draw(decimal_text)
            else:
                cap.pop("amount", None)
        elif what == "method" and awards:
            c = draw(st.sampled_from(awards))
            c["amount"] = _amount(draw, c)
        elif what == "add_condition" and awards:
            c = draw(st.sampled_from(awards))
            c.setdefault("conditions", []).append(_condition(draw, c["number"]))
        elif what == "remove_condition" and awards:
            c = draw(st.sampled_from(awards))
            if c.get("conditions"):
                c["conditions"].pop(draw(st.integers(0, len(c["conditions"]) - 1)))
        elif what == "remove_clause":
            c = draw(st.sampled_from(data["clauses"]))
            data["clauses"].remove(c)
            if draw(st.booleans()):  # sometimes leave the dangling references: the loader must refuse them
                _scrub(data, c["number"])
            if not data["clauses"]:
                data["clauses"].append(copy.deepcopy(BASE["clauses"][0]))
        elif what == "add_clause":
            n = max(c["number"] for c in data["clauses"]) + draw(st.integers(1, 3))
            new = {
                "number": n,
                "name": f"新增条款{n}",
                "name_en": f"New clause {n}",
                "kind": "award",
                "text": f"（新增）第{n}条",
                "conditions": [_condition(draw, n) for _ in range(draw(st.integers(0, 2)))],
                "cap": {
                    "frequency": draw(st.sampled_from(FREQUENCIES)),
                    "boundary_word": "不超过",
                    "amount": draw(decimal_text),
                },
                "funding": draw(st.sampled_from(["shared", "city"])),
            }
            new["amount"] = _amount(draw, new)
            data["clauses"].append(new)
        elif what == "renumber":
            numbers = [c["number"] for c in data["clauses"]]
            shift = draw(st.integers(1, 30))
            mapping = (
                {x: x + shift for x in numbers}
                if draw(st.booleans())
                else dict(zip(numbers, draw(st.permutations(numbers)), strict=True))
            )
            _renumber(data, mapping)
    return data
