"""Helpers for the desk's tests: ledgers (SQLite file or a PostgreSQL schema), accounts, clients,
and a real `zzcbec serve` on the loopback."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import PG_BASE, ROOT, make_bundle, uscc

PASSWORD = "desk-test-password-1"


@contextmanager
def pg_schema():
    import psycopg

    schema = f"zzdesk_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


# the cast: two enterprises in two districts, a reviewer for each district, the bureau
ENT_A = uscc(7101)  # 金水区
ENT_B = uscc(7102)  # 新郑市
ACCOUNTS = [
    ("ent-a", "enterprise", ENT_A, ()),
    ("ent-b", "enterprise", ENT_B, ()),
    ("rev-jinshui", "reviewer", None, ("金水区",)),
    ("rev-xinzheng", "reviewer", None, ("新郑市",)),
    ("bureau", "bureau", None, ()),
]


def add_accounts(ledger_url: str) -> None:
    """The five accounts (and the desk's tables) in this ledger. A new, empty SQLite file gets a copy of
    a ledger made so once in this test process: the accounts' password hashes (argon2, made to be slow)
    are computed once, not for every test."""
    path = Path(ledger_url)
    if "://" not in ledger_url and (not path.exists() or path.stat().st_size == 0):
        import sqlite3

        source = sqlite3.connect(_accounts_template())
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    _make_accounts(ledger_url)


def _make_accounts(ledger_url: str) -> None:
    from zzcbec_docs.desk import accounts, store
    from zzcbec_docs.ledger import open_ledger

    ledger = open_ledger(ledger_url)
    store.ensure_tables(ledger)
    for name, role, code, districts in ACCOUNTS:
        accounts.add_user(ledger, name, role, PASSWORD, uscc_code=code, districts=districts, actor="test")
    ledger.engine.dispose()


_TEMPLATE: list[Any] = []  # the folder of the template ledger, made on first use, removed at exit


def _accounts_template() -> Path:
    if not _TEMPLATE:
        import tempfile

        folder = tempfile.TemporaryDirectory(prefix="zzcbec-desk-accounts-")
        url = str(Path(folder.name) / "accounts.db")
        Path(url).touch()  # the ledger commands refuse a path that does not exist
        _make_accounts(url)
        _TEMPLATE.append(folder)
    return Path(_TEMPLATE[0].name) / "accounts.db"


@pytest.fixture(name="app")
def app_fixture(tmp_path):
    """A desk application on a fresh SQLite ledger with the five accounts, for in-process clients."""
    from zzcbec_docs.desk.app import create_app

    url = str(tmp_path / "desk.db")
    add_accounts(url)
    application = create_app(url)
    yield application
    application.state.desk.ledger.engine.dispose()


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def clause1(n: int = 7101, promotion: str = "800000", import_export: str = "12000000", **kw: Any) -> dict:
    return make_bundle(1, {"import_export": import_export, "promotion_costs": promotion}, n=n, **kw)


def clause6(n: int = 7102, costs: str = "2500000") -> dict:
    return make_bundle(
        6,
        {"uses_zz_logistics": True, "import_export": "30000000", "intl_logistics_costs": costs},
        n=n,
        district="新郑市",
    )


def sign_in(client: httpx.Client | Any, username: str, password: str = PASSWORD) -> Any:
    r = client.post("/api/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return client


# the accounts `add_accounts` makes, in the order the matrix tests write their expected statuses
ROLES = ("anonymous", "ent-a", "ent-b", "rev-jinshui", "rev-xinzheng", "bureau")


def two_case_desk(ledger_url: str) -> Any:
    """A desk with five accounts, case A (ent-a, 金水区, clause 1) and case B (ent-b, 新郑市, clause 6);
    a generator for a fixture to `yield from`."""
    from starlette.testclient import TestClient

    from zzcbec_docs.desk.app import create_app

    add_accounts(ledger_url)
    app = create_app(ledger_url)
    clients = {"anonymous": TestClient(app, base_url="http://desk.test")}
    for name in ROLES[1:]:
        clients[name] = sign_in(TestClient(app, base_url="http://desk.test"), name)
    a = clients["ent-a"].post("/api/cases", json=clause1())
    b = clients["ent-b"].post("/api/cases", json=clause6())
    assert a.status_code == 201 and b.status_code == 201, (a.text, b.text)
    yield {"c": clients, "A": a.json()["id"], "B": b.json()["id"], "url": ledger_url, "app": app}
    app.state.desk.ledger.engine.dispose()


def statuses(
    desk: dict, method: str, path: str, body: Any = None, roles: tuple = ROLES, **request: Any
) -> dict[str, int]:
    """The status each role gets for one request (never a 5xx)."""
    out = {}
    for role in roles:
        r = desk["c"][role].request(method, path, json=body, **request)
        assert r.status_code < 500, (role, path, r.text)
        out[role] = r.status_code
    return out


def expect(anonymous: int, ent_a: int, ent_b: int, rev_jinshui: int, rev_xinzheng: int, bureau: int) -> dict[str, int]:
    return dict(zip(ROLES, (anonymous, ent_a, ent_b, rev_jinshui, rev_xinzheng, bureau), strict=True))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`zzcbec serve` as an operator starts it, on a free loopback port."""

    def __init__(self, ledger_url: str, *, workers: int = 1, demo: bool = False, log: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, PYTHONPATH=str(ROOT), ZZCBEC_DEMO_PASSWORD=PASSWORD)
        args = [
            sys.executable,
            "-m",
            "zzcbec_docs",
            "serve",
            "--ledger",
            ledger_url,
            "--port",
            str(self.port),
            "--workers",
            str(workers),
        ] + (["--demo"] if demo else [])
        self.log = open(log or os.devnull, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"zzcbec serve exited with {self.proc.returncode}")
            try:
                if httpx.get(self.url + "/login", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("zzcbec serve did not answer within 60 s")

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# the applicant part of the desk's application form, as an enterprise fills it in
APPLICANT = {
    "year": "2026",
    "applicant.name": "测试企业7101有限公司",
    "applicant.district": "金水区",
    "applicant.etrade_core_zone_policy": "false",
    "applicant.address": "郑州市金水区测试路1号",
    "applicant.legal_representative": "张某",
    "applicant.contact.name": "赵某",
    "applicant.contact.phone": "0371-12345678",
    "applicant.bank.name": "中国银行郑州分行",
    "applicant.bank.account": "6217000000000000001",
}


@contextmanager
def chromium(path: str = "/usr/bin/chromium") -> Any:
    """Debian's chromium, headless, driven by Playwright (its own browser download is not reachable here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield b
        finally:
            b.close()
