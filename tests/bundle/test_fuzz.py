"""A fuzzing entry point for the bundle loader: arbitrary bytes in, a bundle or a clear error out.

The short run is part of `make test`. A longer one:

    ZZCBEC_FUZZ_EXAMPLES=200000 .venv/bin/python -m pytest tests/bundle/test_fuzz.py -q

or, coverage-guided, with atheris (pip install atheris): python tests/bundle/fuzz_bundle.py -max_total_time=600
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zzcbec_docs.bundle import BundleInvalid, parse_bundle
from zzcbec_docs.errors import BundleError
from zzcbec_docs.policy import load_policy

# renders documents or starts processes: left out by `make test-fast`
pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("ZZCBEC_FUZZ_EXAMPLES", "2000"))
SEEDS = [
    b'{"schema_version": "1.0", "year": 2026}',
    b"schema_version: '1.0'\nyear: 2026\n",
    b"a: &a [*a]",
    b"{" * 50,
    b"\xef\xbb\xbf",
    b"year: 1e7\n",
    b"- !!binary aGVsbG8=\n",
]


def fuzz_one(data: bytes, name: str) -> None:
    """The entry point: parse_bundle may return or raise BundleError, nothing else."""
    try:
        parse_bundle(data, name, policy=load_policy())
    except BundleInvalid as e:
        assert e.problems
        for p in e.problems:
            assert p.path.startswith("/") and p.zh and p.en
    except BundleError as e:
        assert e.zh and e.en


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    data=st.one_of(
        st.binary(max_size=2000), st.sampled_from(SEEDS), st.text(max_size=500).map(lambda t: t.encode("utf-8"))
    ),
    name=st.sampled_from(["f.yaml", "f.json", "-"]),
)
def test_arbitrary_bytes_never_escape_as_an_exception(data, name):
    fuzz_one(data, name)
