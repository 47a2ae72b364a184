"""Shared helpers: build bundles as enterprises write them, run the CLI as users do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from zzcbec_docs.bundle.uscc import complete

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SHARED = ROOT.parent / "shared"


def uscc(n: int) -> str:
    return complete(f"91410100MA{n:07d}")


def make_bundle(
    clause: int | None = None,
    facts: dict[str, Any] | None = None,
    *,
    year: int = 2026,
    district: str = "金水区",
    etrade: bool = False,
    prior_awards: list[dict] | None = None,
    claims: list[dict] | None = None,
    n: int = 1,
    **applicant: Any,
) -> dict[str, Any]:
    a = {
        "name": f"测试企业{n}有限公司",
        "uscc": uscc(n),
        "district": district,
        "etrade_core_zone_policy": etrade,
        "address": "郑州市金水区测试路1号",
        "legal_representative": "张某",
        "contact": {"name": "赵某", "phone": "0371-12345678"},
        "bank": {"name": "中国银行郑州分行", "account": "6217000000000000001"},
    }
    a.update(applicant)
    b: dict[str, Any] = {
        "schema_version": "1.0",
        "year": year,
        "applicant": a,
        "claims": claims if claims is not None else [{"clause": clause, "facts": facts or {}}],
    }
    if prior_awards:
        b["prior_awards"] = prior_awards
    return b


def write_bundle(path: Path, bundle: dict[str, Any]) -> Path:
    path.write_text(json.dumps(bundle, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def run_cli(
    *args: str, input: bytes | None = None, cwd: Path | None = None, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """The CLI as a user runs it, and what it printed (bytes), run in this process: click's runner gives the
    command its stdin and binary stdout and stderr, and `main` is the entry point's own error boundary and
    exit codes, so only the interpreter's start is left out. Given another working directory or
    environment (read once per process), it runs as its own process (`run_process`), as it does where the
    process is the point: its start-up, a kill, a race between two of them."""
    if cwd is not None or extra_env:
        return run_process(*args, input=input, cwd=cwd, extra_env=extra_env)
    from click.testing import CliRunner

    from zzcbec_docs.cli.main import main

    with CliRunner().isolation(input=input) as (out, err, _):
        try:
            code = main(list(args))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
    return subprocess.CompletedProcess(["zzcbec", *args], code, out.getvalue(), err.getvalue())


def run_process(
    *args: str, input: bytes | None = None, cwd: Path | None = None, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """The CLI as its own process, `python -m zzcbec_docs`: for what only a process shows (its exit status
    as a shell sees it, its start-up, the modules it loads, a kill)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), **(extra_env or {}))
    return subprocess.run(
        [sys.executable, "-m", "zzcbec_docs", *args],
        input=input,
        capture_output=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=120,
    )


@pytest.fixture
def bundle_file(tmp_path: Path):
    def make(bundle: dict[str, Any], name: str = "bundle.json") -> Path:
        return write_bundle(tmp_path / name, bundle)

    return make


# Slow tests (rendering many documents, starting processes: what `make test-fast` leaves out) are marked
# where they are written: `@pytest.mark.slow` on the test, or `pytestmark = pytest.mark.slow` for a file.


def pytest_report_header(config):  # type: ignore[no-untyped-def]
    if PG_UP:
        return f"PostgreSQL ledger tests: run against {PG_BASE}"
    return f"PostgreSQL ledger tests: SKIPPED — no server answers at {PG_BASE} (SQLite tests still run)"


class CliResult:
    """What a command printed and returned, run in this process (no interpreter start-up)."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.returncode, self.out, self.err = code, out, err


def cli(*args: str) -> CliResult:
    """The CLI in process, through `main(argv, stdout, stderr)`: for pure-logic commands where the
    process boundary is not the point (exit codes on kills and races keep `run_cli`)."""
    import io

    from zzcbec_docs.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=out, stderr=err)
    return CliResult(code, out.getvalue(), err.getvalue())


run_in_process = run_cli  # the name some tests use for the same thing


def write_policy(path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    """The packaged policy file, changed by `mutate(data)`, written to `path` (a variant policy)."""
    import yaml

    from zzcbec_docs.policy import default_policy_path

    data = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    mutate(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def clause_of(data: dict, number: int) -> dict:
    """The clause of a policy file's data with this number."""
    return next(c for c in data["clauses"] if c["number"] == number)


PG_BASE = os.environ.get("ZZCBEC_TEST_POSTGRES", "postgresql://root@127.0.0.1:5432/test")


def _postgres_answers() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_BASE, connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001
        return False


PG_UP = _postgres_answers()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger_url(request, tmp_path):
    """A fresh, empty ledger: an empty SQLite file (the process commands refuse a path that does not
    exist; the tables are made on first use, as in an empty PostgreSQL schema), or a schema of its own
    in the PostgreSQL test database."""
    if request.param == "sqlite":
        path = tmp_path / "ledger.db"
        path.touch()
        yield str(path)
        return
    if not PG_UP:
        pytest.skip(f"PostgreSQL does not answer at {PG_BASE}: PostgreSQL ledger tests skipped")
    import psycopg

    schema = f"zz_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
