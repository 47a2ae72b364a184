"""`zzcbec serve --demo`: demo accounts and the samples as cases, on a ledger that holds no real cases.

The demo's password is never printed (a server's output goes to its logs): it is the value of
ZZCBEC_DEMO_PASSWORD when set, else a new random one written to a file only its owner may read,
whose name is printed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from zzcbec_docs.desk import accounts
from zzcbec_docs.errors import ArgumentError
from zzcbec_docs.resources import resource_dir

if TYPE_CHECKING:
    from zzcbec_docs.ledger.store import Ledger
    from zzcbec_docs.process.service import Service

DEMO_ACTOR = "demo"


# the demo's people (invented names, as a form's example would have them)
DEMO_NAMES = {"bureau": "王敏", "rev-jinshui": "李静", "rev-city": "张伟"}


def refuse_real_ledger(service: Service) -> None:
    """A ledger that holds cases the demo did not make is someone's real work: --demo stays off it."""
    real = [c for c in service.list_cases() if c.submitted_by != DEMO_ACTOR]
    if real:
        raise ArgumentError(
            f"台账中已有 {len(real)} 件非演示案件，--demo 不在此台账上新建演示账号和案例；"
            "演示请用新的台账文件，确需在此台账上演示请加 --force-demo",
            f"the ledger holds {len(real)} case(s) the demo did not make; --demo does not add demo accounts and "
            "cases to it. Use a new ledger file for the demo, or add --force-demo if you mean it",
        )


def demo_password(ledger: Ledger) -> tuple[str, str]:
    """(the password, where the operator finds it): never the password itself in what is printed."""
    given = os.environ.get("ZZCBEC_DEMO_PASSWORD")
    if given:
        return given, "ZZCBEC_DEMO_PASSWORD 的值 / the value of ZZCBEC_DEMO_PASSWORD"
    from zzcbec_docs.ledger.store import shown_url

    where = shown_url(ledger.url)
    path = (
        Path(f"{where}.demo-password.txt")
        if ledger.url.startswith("sqlite:///")
        else Path("zzcbec-demo-password.txt").resolve()
    )
    password = secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(password + "\n")
    os.chmod(path, 0o600)
    return password, f"文件 {path}（仅本用户可读）/ the file {path} (readable by its owner only)"


def seed(service: Service, *, password: str, shown: str = "") -> Iterator[str]:
    """The demo accounts and the samples, submitted through the desk's service (its policy)."""
    from zzcbec_docs.bundle import BundleInvalid, load_bundle
    from zzcbec_docs.errors import ZzcbecError

    ledger = service.book
    bundles = []
    for path in sorted(resource_dir("samples").glob("*.yaml")):
        try:
            bundles.append(load_bundle(path, service.policy))
        except (BundleInvalid, ZzcbecError):
            continue
    first = next(b for b in bundles if b.claims and b.claims[0].clause == 1)
    wanted = [
        ("bureau", "bureau", None, ()),
        ("rev-jinshui", "reviewer", None, ("金水区",)),
        ("rev-city", "reviewer", None, accounts.known_districts()),
        ("ent-demo", "enterprise", first.applicant.uscc, ()),
    ]
    yield f"演示账号 / demo accounts（密码 / password: {shown or '—'}）:"
    for name, role, code, districts in wanted:
        if accounts.get_user(ledger, name) is not None:
            yield f"  {name:12} {role:10} （已存在，密码不变 / exists, password unchanged）"
            continue
        accounts.add_user(
            ledger,
            name,
            role,
            password,
            uscc_code=code,
            districts=districts,
            actor=DEMO_ACTOR,
            name=DEMO_NAMES.get(name),
            unit="郑州市商务局" if len(districts) > 1 else None,
        )
        yield f"  {name:12} {role:10} （新建 / new）"
    made = 0
    for b in bundles:
        try:
            if service.submit(b, actor=DEMO_ACTOR).created:
                made += 1
        except ZzcbecError as exc:
            yield f"  样例 {b.source} 未导入 / not imported: {exc.message}"
    yield f"演示案例 / demo cases: {made} 件新导入 / new, from {resource_dir('samples')}"
