"""The package's JSON Schemas are valid JSON Schema 2020-12.

Checked here, once, instead of at every start of the command (that check cost 0.28 s a run).
"""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from zzcbec_docs import schema
from zzcbec_docs.resources import resource_dir

SCHEMAS = sorted(p.name for p in resource_dir("schemas").glob("*.schema.json"))


def test_every_schema_is_listed():
    assert {"bundle.schema.json", "policy.schema.json", "review.schema.json"} <= set(SCHEMAS)


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_is_valid_against_the_meta_schema(name):
    loaded = schema.load_schema(name)
    assert loaded == json.loads((resource_dir("schemas") / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(loaded)
    # the inlined form the fast validators use is a valid schema too
    for definition in [None, *sorted(loaded.get("$defs", {}))]:
        Draft202012Validator.check_schema(schema.fast_validator(name, definition).schema)


def test_the_meta_schema_check_catches_a_broken_schema():
    with pytest.raises(SchemaError):
        Draft202012Validator.check_schema({"type": "objekt"})
