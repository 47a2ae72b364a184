"""Is this document valid against one of our schemas? Answered without loading jsonschema.

Importing jsonschema (with referencing, attrs and the meta-schemas it reads at import) is
60–90 ms, a third of a `zzcbec check`. Most documents checked are valid, and for a valid one
only the verdict is needed: `valid` gives it by applying the keywords our schemas use, with
JSON Schema 2020-12 semantics as jsonschema implements them (its type checker, its equality in
`enum`/`const`, `re.search` for `pattern`, our two formats). Only when a document is not valid
is jsonschema loaded, to name every error as before (zzcbec_docs.schema). A schema that uses any
keyword not implemented here gets `None` ("cannot tell"), and jsonschema decides. The tests hold
both to the same verdicts over the samples, the hostile inputs and thousands of random bundles
(tests/test_startup.py).

This module also holds what must not need jsonschema: reading a schema file, and our formats.
"""

from __future__ import annotations

import datetime as dt
import json
import numbers
import re
from decimal import Decimal
from functools import cache
from typing import Any, cast

from zzcbec_docs.resources import resource_dir

MONEY_LIMIT = Decimal(10) ** 15  # 千万亿元: far above any figure the policy can meet
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_AMOUNT = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]{1,2})?$")


@cache
def read_schema(name: str) -> dict[str, Any]:
    """schemas/`name`, parsed (checked against the meta-schema by the tests, not here)."""
    with open(resource_dir("schemas") / name, encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


def is_iso_date(value: Any) -> bool:
    """Format `iso-date`: a real date written YYYY-MM-DD (ValueError if not)."""
    if not isinstance(value, str):
        return True
    if not _DATE.match(value):
        raise ValueError("not YYYY-MM-DD")
    dt.date.fromisoformat(value)
    return True


def is_money(value: Any) -> bool:
    """Format `money`, 元: a non-negative number or decimal string with at most two decimals."""
    if isinstance(value, bool):
        return True  # the type keyword reports it
    if isinstance(value, str):
        if not _AMOUNT.match(value):
            raise ValueError("not a plain amount")
        value = Decimal(value)
    if isinstance(value, (int, Decimal)):
        d = Decimal(value)
        if d < 0:
            raise ValueError("negative")
        if -cast(int, d.as_tuple().exponent) > 2:  # finite: loading refuses NaN and Infinity
            raise ValueError("more than 2 decimals")
        if d >= MONEY_LIMIT:
            raise ValueError("too large")
    return True


FORMATS = {"iso-date": is_iso_date, "money": is_money}

# Keywords applied below, and those that only annotate. Any other keyword: `valid` says None.
APPLIED = frozenset(
    {
        "type",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "format",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
        "$ref",
    }
)
ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$defs",
        "$comment",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)
_SUBSCHEMA_MAPS = ("properties", "$defs")


def _keywords(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            if key in _SUBSCHEMA_MAPS and isinstance(value, dict):
                for sub in value.values():
                    _keywords(sub, found)
            elif key in ("enum", "const", "examples", "default", "required", "type"):
                continue  # values, not schemas
            elif isinstance(value, (dict, list)):
                _keywords(value, found)
    elif isinstance(node, list):
        for item in node:
            _keywords(item, found)


def applies_to(schema: dict[str, Any]) -> bool:
    """Whether every keyword of `schema` is one this module applies (or an annotation)."""
    found: set[str] = set()
    _keywords(schema, found)
    return found <= APPLIED | ANNOTATIONS


@cache
def supported(name: str) -> bool:
    return applies_to(read_schema(name))


def valid(name: str, instance: Any) -> bool | None:
    """True or False: whether `instance` is valid against schemas/`name`, as jsonschema would
    say; None if the schema uses a keyword this module does not apply."""
    if not supported(name):
        return None
    return valid_against(read_schema(name), instance, checked=True)


def valid_against(schema: dict[str, Any], instance: Any, checked: bool = False) -> bool | None:
    """The same for a schema given as data (one generated from a policy, say); `checked`: its
    keywords were already found supported (applies_to)."""
    if not checked and not applies_to(schema):
        return None
    try:
        return _valid(schema, instance, schema)
    except _CannotTell:
        return None


class _CannotTell(Exception):
    pass


def _equal(one: Any, two: Any) -> bool:
    """jsonschema's equality: True is not 1, False is not 0, lists and objects compared deeply."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(_equal(one[k], two[k]) for k in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    return bool(one == two)


def _is_type(instance: Any, kind: str) -> bool:
    if kind == "object":
        return isinstance(instance, dict)
    if kind == "array":
        return isinstance(instance, list)
    if kind == "string":
        return isinstance(instance, str)
    if kind == "boolean":
        return isinstance(instance, bool)
    if kind == "null":
        return instance is None
    if kind == "integer":
        if isinstance(instance, bool):
            return False
        return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())
    if kind == "number":
        return not isinstance(instance, bool) and isinstance(instance, numbers.Number)
    raise _CannotTell(kind)


def _number(instance: Any) -> bool:
    return not isinstance(instance, bool) and isinstance(instance, numbers.Number)


def _resolve(ref: str, root: dict[str, Any]) -> Any:
    if not ref.startswith("#/"):
        raise _CannotTell(ref)
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise _CannotTell(ref)
        node = node[part]
    return node


def _valid(schema: Any, instance: Any, root: dict[str, Any]) -> bool:
    if schema is True:
        return True
    if schema is False:
        return False
    if not isinstance(schema, dict):
        raise _CannotTell(type(schema).__name__)
    s = schema
    if "$ref" in s and not _valid(_resolve(s["$ref"], root), instance, root):
        return False
    if "type" in s:
        kinds = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(_is_type(instance, k) for k in kinds):
            return False
    if "enum" in s and not any(_equal(each, instance) for each in s["enum"]):
        return False
    if "const" in s and not _equal(instance, s["const"]):
        return False
    if isinstance(instance, dict):
        props = s.get("properties", {})
        for key, sub in props.items():
            if key in instance and not _valid(sub, instance[key], root):
                return False
        if any(key not in instance for key in s.get("required", ())):
            return False
        if "additionalProperties" in s:
            extra = [k for k in instance if k not in props]
            if extra and not all(_valid(s["additionalProperties"], instance[k], root) for k in extra):
                return False
    if isinstance(instance, list):
        if "items" in s and not all(_valid(s["items"], item, root) for item in instance):
            return False
        if "minItems" in s and len(instance) < s["minItems"]:
            return False
        if "maxItems" in s and len(instance) > s["maxItems"]:
            return False
    if isinstance(instance, str):
        if "minLength" in s and len(instance) < s["minLength"]:
            return False
        if "maxLength" in s and len(instance) > s["maxLength"]:
            return False
        if "pattern" in s and not re.search(s["pattern"], instance):
            return False
    if _number(instance):
        if "minimum" in s and instance < s["minimum"]:
            return False
        if "maximum" in s and instance > s["maximum"]:
            return False
        if "exclusiveMinimum" in s and instance <= s["exclusiveMinimum"]:
            return False
        if "exclusiveMaximum" in s and instance >= s["exclusiveMaximum"]:
            return False
    if "format" in s and s["format"] in FORMATS:
        try:
            if not FORMATS[s["format"]](instance):
                return False
        except ValueError:
            return False
    if "allOf" in s and not all(_valid(sub, instance, root) for sub in s["allOf"]):
        return False
    if "anyOf" in s and not any(_valid(sub, instance, root) for sub in s["anyOf"]):
        return False
    if "oneOf" in s and sum(1 for sub in s["oneOf"] if _valid(sub, instance, root)) != 1:
        return False
    if "not" in s and _valid(s["not"], instance, root):
        return False
    if "if" in s:
        branch = "then" if _valid(s["if"], instance, root) else "else"
        if branch in s and not _valid(s[branch], instance, root):
            return False
    return True
