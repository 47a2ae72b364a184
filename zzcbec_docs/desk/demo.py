"""`zzcbec serve --demo`: demo accounts (their passwords printed at start) and the samples as cases."""

from __future__ import annotations

from collections.abc import Iterator

from zzcbec_docs.desk import accounts
from zzcbec_docs.resources import resource_dir


def seed(service, *, password: str) -> Iterator[str]:  # type: ignore[no-untyped-def]
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
    yield "演示账号 / demo accounts:"
    for name, role, code, districts in wanted:
        if accounts.get_user(ledger, name) is not None:
            yield f"  {name:12} {role:10} （已存在，密码不变 / exists, password unchanged）"
            continue
        accounts.add_user(ledger, name, role, password, uscc_code=code, districts=districts, actor="demo")
        yield f"  {name:12} {role:10} {password}"
    made = 0
    for b in bundles:
        try:
            if service.submit(b, actor="demo").created:
                made += 1
        except ZzcbecError as exc:
            yield f"  样例 {b.source} 未导入 / not imported: {exc.message}"
    yield f"演示案例 / demo cases: {made} 件新导入 / new, from {resource_dir('samples')}"
