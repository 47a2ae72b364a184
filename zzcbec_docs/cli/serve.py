"""`zzcbec serve`: the web desk under uvicorn, with several worker processes."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from zzcbec_docs.cli.options import (
    exclusion_option,
    issued_on_option,
    issuer_profile_option,
    ledger_option,
    missing_ledger_file,
    policy_option,
)
from zzcbec_docs.errors import UsageError


@click.command()
@ledger_option
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址 / address to listen on.")
@click.option("--port", default=8000, type=click.IntRange(1, 65535), show_default=True)
@click.option(
    "--workers", default=1, type=click.IntRange(1, 64), show_default=True, help="工作进程数 / worker processes."
)
@click.option(
    "--demo",
    is_flag=True,
    help="演示：新建演示账号并导入 samples/ 中的案例（台账中已有非演示案件时拒绝）/ "
    "demo accounts and cases (refused on a ledger holding other cases).",
)
@click.option(
    "--force-demo", is_flag=True, help="台账中已有案件时仍导入演示数据 / --demo even on a ledger holding cases."
)
@click.option(
    "--proxy-headers/--no-proxy-headers",
    default=False,
    help="信任反向代理的 X-Forwarded-Proto（HTTPS 时 Cookie 加 Secure）/ trust X-Forwarded-* from 127.0.0.1.",
)
@policy_option
@issued_on_option
@exclusion_option
@issuer_profile_option
def serve(
    ledger_url: str | None,
    host: str,
    port: int,
    workers: int,
    demo: bool,
    force_demo: bool,
    proxy_headers: bool,
    policy_file: str | None,
    issued_on: dt.date | None,
    exclusion_list: Path | None,
    issuer_profile: str | None,
) -> None:
    """启动网上申报审核系统 / run the web desk.

    The desk decides as the command line does: under --policy (with --issued-on, else the policy
    file's own date), with the exclusion clause's --exclusion-list, numbering and printing the notices as
    the --issuer-profile's issuer (its name, 代字, 版头 and 版记).
    """
    import uvicorn

    from zzcbec_docs.cli.options import build_service
    from zzcbec_docs.desk import store
    from zzcbec_docs.ledger import open_ledger
    from zzcbec_docs.ledger.store import shown_url

    if not ledger_url:
        raise UsageError("未给出台账地址（--ledger 或 ZZCBEC_LEDGER）", "no ledger given (--ledger or ZZCBEC_LEDGER)")
    service = build_service(policy_file, issued_on, exclusion_list, issuer_profile)  # refused here (exit 2)
    if not demo:  # only `ledger init` (or a demo) creates a ledger
        missing_ledger_file(ledger_url)
    ledger = open_ledger(ledger_url)
    store.ensure_tables(ledger)  # once, before the workers start
    if force_demo and not demo:
        raise UsageError("--force-demo 须与 --demo 同用", "--force-demo goes with --demo")
    if demo:
        from zzcbec_docs.desk.demo import demo_password, refuse_real_ledger, seed

        desk_service = service.with_ledger(ledger)
        if not force_demo:
            refuse_real_ledger(desk_service)
        password, shown = demo_password(ledger)
        for line in seed(desk_service, password=password, shown=shown):
            click.echo(line)
    # each worker builds the desk's one service object from these (desk.app.create_app_from_env)
    os.environ["ZZCBEC_LEDGER"] = ledger_url
    given = {
        "ZZCBEC_POLICY": str(policy_file) if policy_file else None,
        "ZZCBEC_ISSUED_ON": issued_on.isoformat() if issued_on else None,
        "ZZCBEC_EXCLUSION_LIST": str(exclusion_list) if exclusion_list else None,
        "ZZCBEC_ISSUER_PROFILE": str(issuer_profile) if issuer_profile else None,
    }
    for key, value in given.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    click.echo(f"zzcbec desk: http://{host}:{port}/  ({workers} worker(s), ledger {shown_url(ledger.url)})", err=True)
    uvicorn.run(
        "zzcbec_docs.desk.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=proxy_headers,
        forwarded_allow_ips="127.0.0.1" if proxy_headers else None,
        server_header=False,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )
