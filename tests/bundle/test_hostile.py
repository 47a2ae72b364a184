"""Whatever arrives, a clear error naming where it is: the corpus of tests/bundle/hostile/ and its expectations."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from zzcbec_docs.check import validate_file
from zzcbec_docs.policy import load_policy

from conftest import ROOT

# renders documents or starts processes: left out by `make test-fast`
pytestmark = pytest.mark.slow

HOSTILE = Path(__file__).parent / "hostile"
CASES = yaml.safe_load((HOSTILE / "expected.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", autouse=True)
def generated_files():
    """Inputs git cannot or should not hold: a 50 MB file, a directory, a symlink out of the folder."""
    big = HOSTILE / "big-50mb.yaml"
    with open(big, "wb") as fh:
        fh.write(b"# ")
        fh.write(b"x" * (50 * 1024 * 1024))
    (HOSTILE / "a-directory").mkdir(exist_ok=True)
    link = HOSTILE / "att" / "files" / "link-to-outside"
    if not link.is_symlink():
        link.symlink_to("../../bom.yaml")
    yield
    big.unlink()
    (HOSTILE / "a-directory").rmdir()
    link.unlink()


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_each_hostile_file_gets_its_expected_answer(case):
    bundle, problems, _ = validate_file(HOSTILE / case["file"], load_policy())
    if case.get("valid"):
        assert bundle is not None, problems
        return
    assert bundle is None
    assert any(p.path == case["path"] and case["en"] in p.en and p.zh for p in problems), [
        (p.path, p.en) for p in problems
    ]


def _limited() -> None:
    one_gb = 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (one_gb, one_gb))


@pytest.mark.parametrize("command", ["validate", "check"])
def test_the_cli_answers_every_file_within_20_s_and_1_gb(command):
    files = [str(HOSTILE / c["file"]) for c in CASES if c["file"] != "a-directory"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run(
        [sys.executable, "-m", "zzcbec_docs", command, "--json", *files],
        capture_output=True,
        timeout=20,
        preexec_fn=_limited,
        env=env,
    )
    assert r.returncode == 1 and b"Traceback" not in r.stderr, r.stderr.decode()[-2000:]
    lines = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert len(lines) == len(files)
    for line, case in zip(lines, [c for c in CASES if c["file"] != "a-directory"], strict=True):
        assert line["valid"] == bool(case.get("valid")), case["file"]


def test_a_directory_given_as_a_bundle():
    r = subprocess.run(
        [sys.executable, "-m", "zzcbec_docs", "check", str(HOSTILE / "a-directory")],
        capture_output=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=60,
    )
    assert r.returncode == 2 and "folder holds no" in r.stderr.decode()


def test_the_yaml_python_tag_runs_nothing(tmp_path):
    flag = tmp_path / "pwned"
    text = (HOSTILE / "python-tag.yaml").read_text(encoding="utf-8").replace("echo pwned", f"touch {flag}")
    p = tmp_path / "t.yaml"
    p.write_text(text, encoding="utf-8")
    validate_file(p, load_policy())
    assert not flag.exists()
