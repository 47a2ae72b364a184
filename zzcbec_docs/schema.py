"""JSON Schema validation with errors in Chinese and English, each naming its JSON pointer."""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from zzcbec_docs.loading import pointer
from zzcbec_docs.quick_schema import MONEY_LIMIT, is_iso_date, is_money, read_schema

__all__ = ["FORMATS", "MONEY_LIMIT", "describe", "errors", "fast_validator", "load_schema", "validator"]

# The formats and the reading of a schema file live where they need no jsonschema (quick_schema).
FORMATS = FormatChecker(formats=())
FORMATS.checks("iso-date", raises=ValueError)(is_iso_date)
FORMATS.checks("money", raises=ValueError)(is_money)


def load_schema(name: str) -> dict[str, Any]:
    """A schema of the package. Checked against the JSON Schema meta-schema by the tests
    (tests/test_schemas.py), not at every start: that check took 0.28 s of each command."""
    return read_schema(name)


@cache
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(name), format_checker=FORMATS)


def inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with its local `#/$defs/…` references replaced by their targets (no cycles here).

    Resolving a reference is most of jsonschema's work on a small document; inlining them once
    makes validation several times faster with the same verdicts.
    """
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and set(node) <= {"$ref", "title", "description"}:
            return inline_refs(defs[ref.rsplit("/", 1)[1]], defs)
        return {k: inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [inline_refs(v, defs) for v in node]
    return node


@cache
def fast_validator(
    name: str, definition: str | None = None, drop: tuple[str, ...] = (), partial: bool = False
) -> Draft202012Validator:
    """A validator for the whole schema, or one of its `$defs`, with references inlined.

    `drop` names `$defs` whose `allOf` is left out because the caller checks it itself
    (the bundle's facts per clause, checked against `facts_NN` directly instead of 14 if/then).
    """
    schema = load_schema(name)
    defs = {k: (dict(v, allOf=[]) if k in drop else v) for k, v in schema.get("$defs", {}).items()}
    root = defs[definition] if definition else schema
    if partial:  # every property optional: a review record names only the facts it corrects
        root = {k: v for k, v in root.items() if k != "required"}
    return Draft202012Validator(inline_refs(root, defs), format_checker=FORMATS)


_TYPE_ZH = {
    "object": "对象",
    "array": "列表",
    "string": "文本",
    "integer": "整数",
    "number": "数字",
    "boolean": "布尔值（true/false）",
    "null": "空值",
}


def _found(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return type(value).__name__
    text = str(value)
    return repr(text[:60] + ("…" if len(text) > 60 else ""))


def _is_number_literal(value: Any) -> bool:
    """A number as the file wrote it (parsed exactly: loading.Num, int, Decimal), not text."""
    from decimal import Decimal

    from zzcbec_docs.loading import Num

    return isinstance(value, (Num, int, Decimal)) and not isinstance(value, bool)


def _expected_types(t: Any) -> tuple[str, str]:
    types: list[str] = t if isinstance(t, list) else [t]
    return "或".join(_TYPE_ZH.get(x, x) for x in types), " or ".join(types)


def describe(error: ValidationError, prefix: tuple[str | int, ...] = ()) -> tuple[str, str, str]:
    """(pointer, zh, en) for one jsonschema error; `prefix` is where the validated part sits."""
    path = [*prefix, *error.absolute_path]
    v = error.validator
    inst = error.instance
    value: Any = error.validator_value  # the keyword's value: JSON from the schema
    node: Any = error.schema  # the (sub)schema whose keyword failed: JSON
    if v == "required":
        missing = [m for m in value if isinstance(inst, dict) and m not in inst]
        name = missing[0] if missing else "?"
        return pointer([*path, name]), f"缺少必填项“{name}”", f"required field {name!r} is missing"
    if v == "additionalProperties" or v == "unevaluatedProperties":
        allowed = set(node.get("properties", {}))
        extra = sorted(k for k in inst if k not in allowed) if isinstance(inst, dict) else []
        name = extra[0] if extra else "?"
        hint = "、".join(sorted(allowed)) if allowed else "（无）"
        return (
            pointer([*path, name]),
            f"未知字段“{name}”；允许的字段：{hint}",
            f"unknown field {name!r}; allowed: {', '.join(sorted(allowed))}",
        )
    if v == "type":
        zh, en = _expected_types(value)
        wanted = value if isinstance(value, list) else [value]
        if isinstance(inst, str) and not _is_number_literal(inst) and "integer" in wanted and inst.strip().isdigit():
            return (
                pointer(path),
                f"“{inst}”写成了文本，应为不加引号的整数 {inst.strip()}",
                f"{inst!r} is written as text; write the whole number {inst.strip()} without quotes",
            )
        return pointer(path), f"应为{zh}，实际为 {_found(inst)}", f"expected {en}, found {_found(inst)}"
    if v in ("enum", "const"):
        options = value if v == "enum" else [value]
        texts = [o for o in options if isinstance(o, str)]
        if _is_number_literal(inst) and texts:
            # schema_version: 1.0 — YAML/JSON read a number where the contract wants the text "1.0"
            want = str(inst) if str(inst) in texts else texts[0]
            return (
                pointer(path),
                f'{inst} 写成了数字，应加引号写成文本："{want}"',
                f'{inst} is written as a number; quote it as text: "{want}"',
            )
        if (
            isinstance(inst, str)
            and not _is_number_literal(inst)
            and inst.strip() in [str(o) for o in options if isinstance(o, int) and not isinstance(o, bool)]
        ):
            return (  # the same words as the type error at this place: reported once
                pointer(path),
                f"“{inst}”写成了文本，应为不加引号的整数 {inst.strip()}",
                f"{inst!r} is written as text; write the whole number {inst.strip()} without quotes",
            )
        shown = "、".join(str(o) for o in options)
        return (
            pointer(path),
            f"取值 {_found(inst)} 不在允许范围内；应为：{shown}",
            f"{_found(inst)} is not accepted; expected one of: {', '.join(str(o) for o in options)}",
        )
    if v == "format":
        fmt = value
        if fmt == "money" and not str(node.get("description", "")).startswith("元"):
            # a quantity (store_area_m2: 平方米), not yuan
            name = str(path[-1]) if path else ""
            unit_zh, unit_en = ("平方米", "square metres") if name.endswith("_m2") else ("", "")
            return (
                pointer(path),
                f"数值 {_found(inst)} 不合规：应为不小于 0、小于 10^15 的数"
                f'{f"（单位：{unit_zh}）" if unit_zh else ""}，最多两位小数（如 "1200.50"）',
                f"value {_found(inst)} is not valid: expected a non-negative number below 10^15"
                f'{f" in {unit_en}" if unit_en else ""} with at most 2 decimals (e.g. "1200.50")',
            )
        if fmt == "money":
            return (
                pointer(path),
                f'金额 {_found(inst)} 不合规：应为不小于 0、小于 10^15 的元金额，最多两位小数（如 "1200000.50"）',
                f"amount {_found(inst)} is not valid: expected a non-negative amount in yuan below 10^15 "
                'with at most 2 decimals (e.g. "1200000.50")',
            )
        if fmt == "iso-date":
            return (
                pointer(path),
                f"日期 {_found(inst)} 不合规：应为 YYYY-MM-DD 格式的有效日期",
                f"date {_found(inst)} is not valid: expected a real date as YYYY-MM-DD",
            )
    if v in ("pattern", "minLength") and inst == "":
        return pointer(path), "不能为空，请填写", "must not be empty"
    if v == "pattern":
        return (
            pointer(path),
            f"{_found(inst)} 格式不符（应匹配 {value}）",
            f"{_found(inst)} does not match the expected form {value}",
        )
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        word = {"minimum": "≥", "maximum": "≤", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[v]
        return (
            pointer(path),
            f"取值 {_found(inst)} 超出范围（应 {word} {value}）",
            f"{_found(inst)} is out of range (expected {word} {value})",
        )
    if v in ("minLength", "maxLength", "minItems", "maxItems"):
        return (
            pointer(path),
            f"长度不符合要求（{v} = {value}）",
            f"length is out of range ({v} = {value})",
        )
    return pointer(path), f"不符合要求：{error.message}", f"not valid: {error.message}"


def errors(
    name: str, data: Any, *, using: Draft202012Validator | None = None, prefix: tuple[str | int, ...] = ()
) -> list[tuple[str, str, str]]:
    """All schema errors of `data` against schemas/`name` (or `using`), sorted by where they are."""
    found: list[tuple[str, str, str]] = []
    for err in (using or validator(name)).iter_errors(data):
        # anyOf/oneOf wrap the real error; report the innermost ones
        found.extend(describe(e, prefix) for e in _leaves(err))
    seen: set[tuple[str, str, str]] = set()
    out: list[tuple[str, str, str]] = []
    for item in sorted(found, key=lambda x: x[0]):
        if item not in seen and not any(o[0] == item[0] and o[1] == item[1] for o in out):
            seen.add(item)
            out.append(item)
    return out


def _leaves(err: ValidationError) -> list[ValidationError]:
    if err.validator in ("anyOf", "oneOf") and err.context:
        best = [e for e in err.context if e.validator not in ("type",)] or list(err.context)
        return [leaf for e in best[:1] for leaf in _leaves(e)]
    return [err]
