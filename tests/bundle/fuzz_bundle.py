"""Coverage-guided fuzzing of the bundle loader with atheris (not part of the test run).

pip install atheris && python tests/bundle/fuzz_bundle.py -max_total_time=600
"""

import sys

import atheris

with atheris.instrument_imports():
    from test_fuzz import fuzz_one


def main(data: bytes) -> None:
    fuzz_one(data, "fuzz.yaml" if data[:1] != b"{" else "fuzz.json")


if __name__ == "__main__":
    atheris.Setup(sys.argv, main)
    atheris.Fuzz()
