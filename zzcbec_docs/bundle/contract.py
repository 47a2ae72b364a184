"""The bundle contract, derived from the policy: the facts each clause takes, their types and units.

`bundle_schema(policy)` is the JSON Schema a bundle is validated against; the published
`schemas/bundle.schema.json` (and `profile.schema.json`, the profile `zzcbec match` reads) is
this function's output for the packaged policy, written by `python -m zzcbec_docs.bundle.publish`
(`make schemas`) and checked by a test. A new condition on a new fact in a policy file is a new fact in the
contract, with no code change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zzcbec_docs.policy.model import Fact, Policy

if TYPE_CHECKING:  # jsonschema is loaded only when a validator is compiled (issue 14: check stays light)
    from jsonschema import Draft202012Validator

# The districts of Zhengzhou (geography, not policy): the names an applicant may write, with
# the common short forms. A district a funding clause names is accepted as well.
DISTRICTS = (
    "中原区",
    "二七区",
    "管城区",
    "管城回族区",
    "金水区",
    "上街区",
    "惠济区",
    "中牟县",
    "巩义市",
    "荥阳市",
    "新密市",
    "新郑市",
    "登封市",
    "郑东新区",
    "高新技术产业开发区",
    "高新区",
    "经济技术开发区",
    "经开区",
    "航空港经济综合实验区",
    "航空港区",
)
DISTRICT_ALIASES = {
    "管城回族区": "管城区",
    "高新区": "高新技术产业开发区",
    "经开区": "经济技术开发区",
    "航空港区": "航空港经济综合实验区",
}

BASE_TYPES: dict[str, Any] = {
    "money": {"type": ["number", "string"], "format": "money", "description": "元, ≥ 0, at most 2 decimals"},
    "quantity": {"type": ["number", "string"], "format": "money", "description": "≥ 0, at most 2 decimals"},
    "count": {"type": "integer", "minimum": 0, "maximum": 1000000000000},
    "flag": {"type": "boolean"},
    "date": {"type": "string", "format": "iso-date"},
    "text": {"type": "string", "minLength": 1, "maxLength": 2000},
    "short_text": {"type": "string", "minLength": 1, "maxLength": 200},
}


def facts_def(n: int) -> str:
    """The `$defs` name of clause n's facts: facts_01 … facts_14 (facts_100 if a policy gets there)."""
    return f"facts_{n:02d}"


def _fact_def(f: Fact) -> dict[str, Any]:
    if f.type == "choice":
        return {"enum": [v for v, _ in f.choices]}
    if f.type == "fee_items":
        if not f.items:
            return {"type": "object", "additionalProperties": {"$ref": "#/$defs/money"}}
        return {
            "type": "object",
            "additionalProperties": False,
            "properties": {k: {"$ref": "#/$defs/money", "title": label} for k, label in f.items},
        }
    raise AssertionError(f.type)


def _choice_values(policy: Policy, f: Fact) -> Fact:
    """A choice fact without declared choices takes the values its conditions name."""
    if f.type != "choice" or f.choices:
        return f
    values: list[str] = []
    for c in (c for cl in policy.clauses.values() for c in cl.all_conditions()):
        if c.fact == f.name and c.kind == "one_of":
            values += [v for v in getattr(c, "values", ()) if v not in values]
    from dataclasses import replace

    return replace(f, choices=tuple((v, v) for v in values))


def facts(policy: Policy) -> dict[str, Fact]:
    """Every fact of the policy's contract, choices filled in.

    Worked out once per policy object (a policy is immutable; `match` over a table asks for it per row)."""
    cached: dict[str, Fact] | None = policy.__dict__.get("_contract_facts")
    if cached is None:
        cached = {name: _choice_values(policy, f) for name, f in policy.facts.items()}
        object.__setattr__(policy, "_contract_facts", cached)
    return dict(cached)


def _defs(policy: Policy) -> dict[str, Any]:
    defs: dict[str, Any] = dict(BASE_TYPES)
    for f in facts(policy).values():
        if f.type in ("choice", "fee_items"):
            defs[f.name] = _fact_def(f)
    return defs


def _prop(f: Fact) -> dict[str, Any]:
    if f.type == "unused":
        return {"title": f.label, "description": "not used by this policy: accepted and ignored"}
    return {"$ref": f"#/$defs/{f.kind}", "title": f.label}


def unused_facts(policy: Policy) -> list[Fact]:
    """Facts of the vocabulary no clause takes (dropped by an amendment): any clause may still carry them."""
    return [f for f in policy.facts.values() if f.type == "unused"]


def _applicant(policy: Policy) -> dict[str, Any]:
    districts = list(DISTRICTS)
    for g in policy.funding_groups:
        districts += [d for d in g.districts if d not in districts]
    districts += [d for d in sorted(policy.unsettled_districts) if d not in districts]
    props: dict[str, Any] = {
        "name": {"$ref": "#/$defs/short_text"},
        "uscc": {
            "type": "string",
            "pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$",
            "description": "统一社会信用代码 (GB 32100)",
        },
        "district": {"enum": districts},
    }
    required = ["name", "uscc", "district"]
    if policy.exclusion is not None:
        props[policy.exclusion.fact] = {"type": "boolean", "description": f"是否{policy.exclusion.label}"}
        required.append(policy.exclusion.fact)
    props.update(
        {
            "address": {"$ref": "#/$defs/short_text"},
            "legal_representative": {"$ref": "#/$defs/short_text"},
            "contact": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "phone"],
                "properties": {
                    "name": {"$ref": "#/$defs/short_text"},
                    "phone": {"type": "string", "pattern": "^[0-9+() -]{5,30}$"},
                },
            },
            "bank": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "account"],
                "properties": {
                    "name": {"$ref": "#/$defs/short_text"},
                    "account": {"type": "string", "pattern": "^[0-9 -]{6,40}$"},
                },
            },
            "customs_code": {"type": "string", "pattern": "^[0-9A-Z]{10}$"},
        }
    )
    return {"type": "object", "additionalProperties": False, "required": required, "properties": props}


def _prior_award(policy: Policy) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["clause", "year", "amount"],
        "properties": {
            "clause": {"enum": policy.claimable(), "type": "integer"},
            "year": {"type": "integer", "minimum": 2000, "maximum": 2100},
            "amount": {"$ref": "#/$defs/money"},
            "competition_name": {"$ref": "#/$defs/text"},
            "notice_number": {"$ref": "#/$defs/short_text"},
        },
    }
    # a clause capped per named item (per competition): its earlier awards name the item
    per_item = [n for n in policy.claimable() if policy.item_fact(n)]
    if len(per_item) == 1:
        out["if"] = {"properties": {"clause": {"const": per_item[0]}}, "required": ["clause"]}
        out["then"] = {"required": ["competition_name"]}
    elif per_item:
        out["if"] = {"properties": {"clause": {"enum": per_item}}, "required": ["clause"]}
        out["then"] = {"required": ["competition_name"]}
    return out


def clause_facts(policy: Policy, n: int) -> list[Fact]:
    all_facts = facts(policy)
    return [all_facts[f] for f in policy.clauses[n].facts]


def bundle_schema(policy: Policy) -> dict[str, Any]:
    """The JSON Schema of a bundle under this policy."""
    defs = _defs(policy)
    defs["applicant"] = _applicant(policy)
    claimable = policy.claimable()
    defs["claim"] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["clause", "facts"],
        "properties": {"clause": {"enum": claimable, "type": "integer"}, "facts": {"type": "object"}},
        "allOf": [
            {
                "if": {"properties": {"clause": {"const": n}}, "required": ["clause"]},
                "then": {"properties": {"facts": {"$ref": f"#/$defs/{facts_def(n)}"}}},
            }
            for n in claimable
        ],
    }
    defs["prior_award"] = _prior_award(policy)
    defs["attachment"] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["kind", "file", "sha256"],
        "properties": {
            "kind": {"$ref": "#/$defs/short_text"},
            "file": {"type": "string", "minLength": 1, "maxLength": 500},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "title": {"$ref": "#/$defs/short_text"},
        },
    }
    for n in claimable:
        fs = clause_facts(policy, n)
        if not fs and policy.clauses[n].kind == "referred":
            # referred elsewhere and naming no facts: whatever the applicant states is recorded, not decided
            defs[facts_def(n)] = {
                "type": "object",
                "maxProperties": 50,
                "description": "referred to other policies: facts are recorded, not decided",
            }
            continue
        props = {f.name: _prop(f) for f in fs}
        props.update({f.name: _prop(f) for f in unused_facts(policy) if f.name not in props})
        defs[facts_def(n)] = {
            "type": "object",
            "additionalProperties": False,
            "required": [f.name for f in fs],
            "properties": props,
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://zzcbec-docs.invalid/schemas/bundle.schema.json",
        "title": "zzcbec-docs submission bundle (申报材料包)",
        "description": "The public input contract: ../shared/spec/bundle.md. Money is yuan, as a JSON number or a "
        f"decimal string with at most two decimals. Generated from the policy {policy.id}; do not edit by hand "
        "(python -m zzcbec_docs.bundle.publish).",
        "type": "object",
        "additionalProperties": False,
        "required": ["schema_version", "year", "applicant", "claims"],
        "properties": {
            "schema_version": {"const": "1.0"},
            "year": {
                "type": "integer",
                "minimum": 2000,
                "maximum": 2100,
                "description": "申报年度: the calendar year the figures cover",
            },
            "applicant": {"$ref": "#/$defs/applicant"},
            "claims": {"type": "array", "minItems": 1, "maxItems": 50, "items": {"$ref": "#/$defs/claim"}},
            "prior_awards": {"type": "array", "maxItems": 1000, "items": {"$ref": "#/$defs/prior_award"}},
            "attachments": {"type": "array", "maxItems": 200, "items": {"$ref": "#/$defs/attachment"}},
        },
        "$defs": defs,
    }


def profile_schema(policy: Policy) -> dict[str, Any]:
    """The JSON Schema of an enterprise profile (`zzcbec match`): every fact once, all optional."""
    b = bundle_schema(policy)
    defs = {
        k: v for k, v in b["$defs"].items() if k in BASE_TYPES or k in ("applicant", "prior_award") or k in policy.facts
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://zzcbec-docs.invalid/schemas/profile.schema.json",
        "title": "zzcbec-docs enterprise profile (企业画像), for `zzcbec match`",
        "description": "A bundle without claims: every fact the enterprise knows, once, by the names of bundle.md. "
        "Facts are all optional; a clause whose facts are missing is reported as undecided. Generated from the "
        f"policy {policy.id} (python -m zzcbec_docs.bundle.publish).",
        "type": "object",
        "additionalProperties": False,
        "required": ["schema_version", "year", "applicant", "facts"],
        "properties": {
            "schema_version": {"const": "1.0"},
            "year": {"type": "integer", "minimum": 2000, "maximum": 2100},
            "applicant": {"$ref": "#/$defs/applicant"},
            "facts": {
                "type": "object",
                "additionalProperties": False,
                "properties": {f.name: _prop(f) for f in facts(policy).values()},
            },
            "prior_awards": {"type": "array", "maxItems": 1000, "items": {"$ref": "#/$defs/prior_award"}},
        },
        "$defs": defs,
    }


# ---------------------------------------------------------------- validators, once per policy


class _Validators(dict[int, "Draft202012Validator"]):
    """Per clause, compiled the first time a bundle claims it (most runs need one or two)."""

    def __init__(self, policy: Policy, defs: dict[str, Any], partial: bool) -> None:
        super().__init__()
        self.defs, self.partial, self.claimable = defs, partial, set(policy.claimable())

    def __contains__(self, n: object) -> bool:
        return n in self.claimable

    def __missing__(self, n: int) -> Draft202012Validator:
        from jsonschema import Draft202012Validator

        from zzcbec_docs.schema import FORMATS, inline_refs

        if n not in self.claimable:
            raise KeyError(n)
        d = self.defs[facts_def(n)]
        if self.partial:
            d = {k: v for k, v in d.items() if k != "required"}
        made = Draft202012Validator(inline_refs(d, self.defs), format_checker=FORMATS)
        self[n] = made
        return made


@dataclass
class Contract:
    """A policy's bundle contract, ready to validate: the schema and its compiled validators."""

    policy: Policy
    schema: dict[str, Any]
    envelope: Draft202012Validator  # the bundle with the per-clause facts left out
    by_clause: _Validators
    partial: _Validators  # every fact optional (a review's corrections)
    _profile: Draft202012Validator | None = None

    @property
    def profile(self) -> Draft202012Validator:
        if self._profile is None:
            from jsonschema import Draft202012Validator

            from zzcbec_docs.schema import FORMATS, inline_refs

            prof = profile_schema(self.policy)
            self._profile = Draft202012Validator(inline_refs(prof, prof["$defs"]), format_checker=FORMATS)
        return self._profile


_CONTRACTS: dict[str, Contract] = {}


def contract(policy: Policy) -> Contract:
    """The compiled contract of a policy (cached by the policy's content)."""
    key = policy.digest or str(id(policy))
    found = _CONTRACTS.get(key)
    if found is not None:
        return found
    from jsonschema import Draft202012Validator

    from zzcbec_docs.schema import FORMATS, inline_refs

    schema = bundle_schema(policy)
    defs = dict(schema["$defs"])
    env_defs = dict(defs, claim=dict(defs["claim"], allOf=[]))
    made = Contract(
        policy=policy,
        schema=schema,
        envelope=Draft202012Validator(inline_refs(schema, env_defs), format_checker=FORMATS),
        by_clause=_Validators(policy, defs, partial=False),
        partial=_Validators(policy, defs, partial=True),
    )
    if len(_CONTRACTS) > 32:
        _CONTRACTS.clear()
    _CONTRACTS[key] = made
    return made


_QUICK: dict[str, tuple[Policy, dict[str, Any], bool]] = {}


def quick_valid(policy: Policy, data: Any) -> bool | None:
    """Whether `data` is valid against the policy's bundle schema, without loading jsonschema
    (zzcbec_docs.quick_schema: the same verdicts); None when it cannot tell."""
    from zzcbec_docs import quick_schema

    key = policy.digest or str(id(policy))
    found = _QUICK.get(key)
    if found is None or found[0] is not policy:
        schema = bundle_schema(policy)
        found = (policy, schema, quick_schema.applies_to(schema))
        if len(_QUICK) > 32:
            _QUICK.clear()
        _QUICK[key] = found
    if not found[2]:
        return None
    return quick_schema.valid_against(found[1], data, checked=True)


def fact_kinds(policy: Policy) -> dict[int, dict[str, str]]:
    """Per claimable clause, each fact and its kind (money, count, flag, date, hq_level, service_fees…)."""
    return {n: {f.name: f.kind for f in clause_facts(policy, n)} for n in policy.claimable()}


def fact_labels(policy: Policy) -> dict[str, str]:
    """The Chinese name of every fact and fee item."""
    labels: dict[str, str] = {}
    for f in facts(policy).values():
        labels[f.name] = f.label
        labels.update(dict(f.items))
    return labels
