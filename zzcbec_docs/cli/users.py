"""`zzcbec users add|list|disable`: the desk's accounts, kept in the ledger database."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from zzcbec_docs.cli.options import ledger_option
from zzcbec_docs.errors import UsageError

if TYPE_CHECKING:
    from zzcbec_docs.ledger.store import Ledger


def _desk_ledger(ledger_url: str | None) -> Ledger:
    from zzcbec_docs.desk import store
    from zzcbec_docs.ledger import open_ledger

    if not ledger_url:
        raise UsageError("未给出台账地址（--ledger 或 ZZCBEC_LEDGER）", "no ledger given (--ledger or ZZCBEC_LEDGER)")
    ledger = open_ledger(ledger_url)
    store.ensure_tables(ledger)
    return ledger


@click.group()
def users() -> None:
    """网上申报审核系统的账号 / the desk's accounts."""


@users.command("add")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(["enterprise", "reviewer", "bureau"]),
    required=True,
    help="enterprise（企业）/ reviewer（区县审核）/ bureau（市商务局）",
)
@click.option("--uscc", default=None, help="企业账号绑定的统一社会信用代码 / an enterprise's USCC.")
@click.option(
    "--district", "districts", multiple=True, help="审核员负责的区县，可重复 / a reviewer's district (repeatable)."
)
@click.option(
    "--name",
    "display_name",
    default=None,
    help="姓名（审核意见书的审核人）/ the person's name, as the review opinion signs it.",
)
@click.option(
    "--unit",
    default=None,
    help="审核单位，默认由区县得出（如 金水区商务局）/ the reviewing office (default: from the district).",
)
@click.option(
    "--password-stdin", is_flag=True, help="从标准输入读取密码（第一行）/ read the password from standard input."
)
@ledger_option
def add(
    username: str,
    role: str,
    uscc: str | None,
    districts: tuple[str, ...],
    display_name: str | None,
    unit: str | None,
    password_stdin: bool,
    ledger_url: str | None,
) -> None:
    """新增账号 / add an account."""
    from zzcbec_docs.desk.accounts import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("密码 / password", hide_input=True, confirmation_prompt=True, err=True)
    user = add_user(
        _desk_ledger(ledger_url),
        username,
        role,
        password,
        uscc_code=uscc,
        districts=districts,
        name=display_name,
        unit=unit,
    )
    extra = "".join(f", {x}" for x in (user.name, user.unit) if x)
    click.echo(f"已新增 / added: {user.username} ({user.role}, {user.scope}{extra})")


@users.command("list")
@ledger_option
def list_(ledger_url: str | None) -> None:
    """列出账号 / list the accounts."""
    from zzcbec_docs.desk.accounts import list_users

    for u in list_users(_desk_ledger(ledger_url)):
        state = "停用 disabled" if u.disabled else "启用 active"
        click.echo(f"{u.username}\t{u.role}\t{u.scope}\t{u.name or '—'}\t{u.unit or '—'}\t{state}")


@users.command("disable")
@click.argument("username")
@ledger_option
def disable(username: str, ledger_url: str | None) -> None:
    """停用账号并结束其会话 / disable an account and end its sessions."""
    from zzcbec_docs.desk.accounts import disable_user

    disable_user(_desk_ledger(ledger_url), username)
    click.echo(f"已停用 / disabled: {username}")
