"""Options shared by several commands, each defined once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from zzcbec_docs.errors import UsageError

if TYPE_CHECKING:
    from zzcbec_docs.ledger.store import Ledger
    from zzcbec_docs.policy.model import Policy
    from zzcbec_docs.process.service import Service


class IsoDate(click.ParamType[dt.date, Any]):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            if len(value) != 10:
                raise ValueError
            return dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            self.fail(f"日期应为 YYYY-MM-DD / a date is written YYYY-MM-DD: {value!r}", param, ctx)


def split_list(value: str, allowed: tuple[str, ...], what: str) -> list[str]:
    items = [x.strip() for x in value.split(",") if x.strip()]
    bad = [x for x in items if x not in allowed]
    if bad or not items:
        raise UsageError(
            f"{what} 只接受：{', '.join(allowed)}（收到 {value!r}）",
            f"{what} takes: {', '.join(allowed)} (got {value!r})",
        )
    return list(dict.fromkeys(items))


bundles_argument = click.argument("bundles", nargs=-1, required=True, metavar="BUNDLE...")

policy_option = click.option(
    "--policy",
    "policy_file",
    metavar="ID|FILE",
    default=None,
    envvar="ZZCBEC_POLICY",
    show_envvar=True,
    help="适用的政策：已安装政策的 id 或政策数据文件（zzcbec policy list）/ the policy: an installed id or a "
    "policy data file (default: the packaged draft; see `zzcbec policy list`).",
)
issued_on_option = click.option(
    "--issued-on",
    type=IsoDate(),
    default=None,
    help="政策印发日期，用于核验执行期（执行期条款）/ the issue date, to check the policy's term.",
)
exclusion_option = click.option(
    "--exclusion-list",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="享受E贸易核心功能集聚区政策的企业名单（每行一个统一社会信用代码，# 为注释）/ "
    "USCCs known to enjoy the E-trade core zone policies.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="JSON Lines, one object per bundle.")


def load_policy_option(policy_file: str | Path | None, issued_on: dt.date | None) -> Policy:
    """The policy chosen by --policy (an installed id or a file), with --issued-on applied.

    A policy that cannot be found or loaded is a usage error (exit 2) in every command.
    """
    from zzcbec_docs.errors import PolicyError
    from zzcbec_docs.policy import load_policy

    try:
        policy = load_policy(policy_file)
    except PolicyError as e:
        raise UsageError(e.zh, e.en, file=e.file, pointer=e.pointer) from None
    if issued_on is not None:
        policy = policy.with_issued_on(issued_on)
    return policy


ledger_option = click.option(
    "--ledger",
    "ledger_url",
    default=None,
    envvar="ZZCBEC_LEDGER",
    show_envvar=True,
    help="奖励台账：SQLite 文件路径或 postgresql://用户@主机/数据库 / the award ledger: a SQLite file "
    "or postgresql://user@host/db",
)

actor_option = click.option(
    "--actor",
    default=None,
    envvar="ZZCBEC_ACTOR",
    show_envvar=True,
    help="经办人（记入台账）/ who does this, recorded in the ledger (default: the login name)",
)


def actor_name(actor: str | None) -> str:
    if actor and actor.strip():
        return actor.strip()
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli"


def require_ledger(url: str | None, *, upgrade: bool = True) -> Ledger:
    """The ledger a process command works on; it must be given, and it must exist: a SQLite file
    that is not there is refused (exit 2) as the read-only commands refuse it; only `ledger init`
    creates one (a mistyped path must not open a new, empty ledger that pays again)."""
    from zzcbec_docs.ledger import open_ledger

    if not url:
        raise UsageError(
            "请用 --ledger 或 ZZCBEC_LEDGER 指定奖励台账", "give the ledger with --ledger or ZZCBEC_LEDGER"
        )
    missing_ledger_file(url)
    return open_ledger(url, upgrade=upgrade)


def missing_ledger_file(url: str) -> None:
    """Refuse a SQLite ledger path that does not exist (LedgerUnavailable: exit 2, HTTP 503)."""
    from zzcbec_docs.errors import LedgerUnavailable
    from zzcbec_docs.ledger.store import normalise_url

    full = normalise_url(url)
    if (
        full.startswith("sqlite:///")
        and Path(full[len("sqlite:///") :]).parent.is_dir()
        and not Path(full[len("sqlite:///") :]).is_file()
    ):
        path = full[len("sqlite:///") :]
        raise LedgerUnavailable(
            f"台账文件不存在：{path}（新建请运行 zzcbec ledger init）",
            f"no ledger file at {path} (create one with `zzcbec ledger init`)",
        )


issuer_profile_option = click.option(
    "--issuer-profile",
    "issuer_profile",
    type=click.Path(dir_okay=False),
    default=None,
    envvar="ZZCBEC_ISSUER_PROFILE",
    show_envvar=True,
    help="发文机关配置 YAML（名称、代字、版头、版记；默认郑州市商务局）/ the issuer profile (default: 郑州市商务局)",
)


def build_service(
    policy_file: str | Path | None,
    issued_on: dt.date | None,
    exclusion_list: Path | None,
    issuer_profile: str | None = None,
    ledger: Ledger | None = None,
) -> Service:
    """The command's one service object: policy (with --issued-on), issuer profile and exclusion list
    read and checked first (exit 2 when one cannot be), the ledger added with `.with_ledger` once
    every other input was read, so that nothing is recorded before a bad input is refused."""
    from zzcbec_docs.errors import ZzcbecError
    from zzcbec_docs.process.service import Service

    policy = load_policy_option(policy_file, issued_on)
    try:
        return Service.build(ledger, policy, issuer_profile=issuer_profile, exclusion_list=exclusion_list)
    except ZzcbecError as e:
        raise UsageError(e.zh, e.en, file=e.file, pointer=e.pointer) from None


def writable_folder(path: Path | None, option: str = "--out") -> None:
    """An output folder that exists or can be made, and can be written: checked before anything is recorded."""
    import os
    import tempfile

    if path is None:
        return
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".zzcbec-probe-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(
            f"{option} {path}：输出目录无法写入（{exc.strerror or '不可写'}），未记录任何内容",
            f"{option} {path}: the folder cannot be written ({exc.strerror or 'not writable'}); nothing was recorded",
            file=str(path),
        ) from None


def reading_ledger(url: str | None) -> Ledger | None:
    """The ledger a deciding command counts, when one is given (read only: never created here)."""
    if not url:
        return None
    from zzcbec_docs.ledger import open_ledger

    return open_ledger(url, upgrade=False)
