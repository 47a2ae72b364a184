"""`zzcbec serve`: the web desk under uvicorn, with several worker processes."""

from __future__ import annotations

import os

import click

from zzcbec_docs.cli.options import ledger_option
from zzcbec_docs.errors import UsageError


@click.command()
@ledger_option
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址 / address to listen on.")
@click.option("--port", default=8000, type=click.IntRange(1, 65535), show_default=True)
@click.option("--workers", default=1, type=click.IntRange(1, 64), show_default=True,
              help="工作进程数 / worker processes.")
@click.option("--demo", is_flag=True, help="演示：新建演示账号并导入 samples/ 中的案例（台账中已有非演示案件时拒绝）/ "
              "demo accounts and cases (refused on a ledger holding other cases).")
@click.option("--force-demo", is_flag=True, help="台账中已有案件时仍导入演示数据 / --demo even on a ledger holding cases.")
@click.option("--proxy-headers/--no-proxy-headers", default=False,
              help="信任反向代理的 X-Forwarded-Proto（HTTPS 时 Cookie 加 Secure）/ trust X-Forwarded-* from 127.0.0.1.")
def serve(ledger_url: str | None, host: str, port: int, workers: int, demo: bool, force_demo: bool,
          proxy_headers: bool) -> None:
    """启动网上申报审核系统 / run the web desk."""
    import uvicorn

    from zzcbec_docs.desk import store
    from zzcbec_docs.ledger import open_ledger
    from zzcbec_docs.ledger.store import shown_url

    if not ledger_url:
        raise UsageError("未给出台账地址（--ledger 或 ZZCBEC_LEDGER）", "no ledger given (--ledger or ZZCBEC_LEDGER)")
    ledger = open_ledger(ledger_url)
    store.ensure_tables(ledger)  # once, before the workers start
    if force_demo and not demo:
        raise UsageError("--force-demo 须与 --demo 同用", "--force-demo goes with --demo")
    if demo:
        from zzcbec_docs.desk.demo import demo_password, refuse_real_ledger, seed

        if not force_demo:
            refuse_real_ledger(ledger)
        password, shown = demo_password(ledger)
        for line in seed(ledger, password=password, shown=shown):
            click.echo(line)
    os.environ["ZZCBEC_LEDGER"] = ledger_url
    click.echo(f"zzcbec desk: http://{host}:{port}/  ({workers} worker(s), ledger {shown_url(ledger.url)})", err=True)
    uvicorn.run("zzcbec_docs.desk.app:create_app_from_env", factory=True, host=host, port=port, workers=workers,
                proxy_headers=proxy_headers, forwarded_allow_ips="127.0.0.1" if proxy_headers else None,
                server_header=False, log_level="warning", timeout_graceful_shutdown=5)
