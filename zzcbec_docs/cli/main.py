"""`zzcbec`: the command group, error boundary and exit codes.

Exit codes: 0 every bundle valid and no claim ineligible or excluded; 1 any bundle invalid or
any claim ineligible/excluded (or a document could not be made); 2 a usage error.
"""

from __future__ import annotations

import sys
from typing import IO

import click

from zzcbec_docs import __version__
from zzcbec_docs.errors import ArgumentError, LedgerUnavailable, UsageError, ZzcbecError

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class Outcome(Exception):
    """Raised by a command to set the exit code after it printed its results."""

    def __init__(self, code: int) -> None:
        self.code = code


LAZY_COMMANDS = {
    "validate": ("zzcbec_docs.cli.validate", "validate"),
    "check": ("zzcbec_docs.cli.check", "check"),
    "render": ("zzcbec_docs.cli.render", "render"),
    "demo": ("zzcbec_docs.cli.demo", "demo"),
    "award": ("zzcbec_docs.cli.award", "award"),
    "batch": ("zzcbec_docs.cli.batch", "batch"),
    "match": ("zzcbec_docs.cli.match", "match"),
    "explain": ("zzcbec_docs.cli.explain", "explain"),
    "policy": ("zzcbec_docs.cli.policy", "policy"),
    "init-bundle": ("zzcbec_docs.cli.init_bundle", "init_bundle"),
    "ledger": ("zzcbec_docs.cli.ledger", "ledger"),
    "submit": ("zzcbec_docs.cli.process", "submit"),
    "review": ("zzcbec_docs.cli.process", "review"),
    "case": ("zzcbec_docs.cli.process", "case"),
    "verify": ("zzcbec_docs.cli.verify", "verify"),
    "publicity": ("zzcbec_docs.cli.publicity", "publicity"),
    "serve": ("zzcbec_docs.cli.serve", "serve"),
    "users": ("zzcbec_docs.cli.users", "users"),
}


class LazyGroup(click.Group):
    """Imports a command's module only when it runs, so `check` never loads the renderers."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(LAZY_COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in LAZY_COMMANDS:
            return None
        import importlib

        module, attr = LAZY_COMMANDS[name]
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zzcbec")
@click.option("--debug", is_flag=True, help="出错时显示调用栈 / show tracebacks.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """郑州市跨境电商奖励申报审核工具 / Zhengzhou cross-border e-commerce awards toolkit.

    \b
    zzcbec init-bundle --clause N    生成带注释的申报材料模板 / a bundle skeleton
    zzcbec match PROFILE             测算可申报条款与差距 / what could we claim?
    zzcbec explain BUNDLE            逐步解释核定过程 / why this decision
    zzcbec policy show|diff          政策数据与差异 / the policy and its changes
    zzcbec validate BUNDLE...        只做格式校验 / schema only
    zzcbec check BUNDLE...           校验并逐条核定 / validate and apply every clause
    zzcbec render BUNDLE... --out D  生成申报表、审核意见书、奖励通知书 / documents
    zzcbec demo --out DIR            用全部样例生成文档 / render every sample
    zzcbec batch IN... --out DIR     批量受理、并行出文、汇总 / a folder at once, in parallel
    zzcbec submit BUNDLE...          提交：登记为案件 / record applications as cases
    zzcbec review CASE --record R    审核：记录审核结论并出具意见书 / record a review
    zzcbec award CASE --out DIR      奖励：记账、编号并出具奖励通知书 / record, number, notify
    zzcbec case list|show            案件及其经过 / the cases and their history
    zzcbec ledger init|list|revoke|export   奖励台账 / the award ledger
    zzcbec verify FILE --ledger URL  核验通知书（文号、撤销、金额、核验码）/ check a notice
    zzcbec publicity --year Y --out D 拟奖励企业名单公示 / the public list of proposed awards
    zzcbec users add|list|disable    网上申报审核系统账号 / the desk's accounts
    zzcbec serve --ledger URL        网上申报审核系统 / the web desk
    """
    ctx.obj = {"debug": debug}


def main(argv: list[str] | None = None, stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
    """Run the CLI; returns the exit code. Streams are parameters so tests can drive it in-process."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        with _streams(out, err):
            cli.main(args=args, prog_name="zzcbec", standalone_mode=False)
        return EXIT_OK
    except Outcome as o:
        return o.code
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.ClickException as e:
        show_click_error(e, err)
        return EXIT_USAGE
    except click.Abort:
        print("已中止 / aborted", file=err)
        return 130
    except (UsageError, ArgumentError) as e:
        # the same fault gets the same exit code in every command: a value the user gave is unusable
        print(f"用法错误 / usage error: {e.message}", file=err)
        return EXIT_USAGE
    except LedgerUnavailable as e:
        print(f"错误 / error: {e.message}", file=err)
        return EXIT_USAGE
    except ZzcbecError as e:
        if debug:
            import traceback

            traceback.print_exc(file=err)
        print(f"错误 / error: {e.message}", file=err)
        return EXIT_FAIL
    except KeyboardInterrupt:
        print("已中断 / interrupted", file=err)
        return 130
    except Exception as e:  # noqa: BLE001 - the last line of defence: no traceback for users
        if debug:
            import traceback

            traceback.print_exc(file=err)
        else:
            print(
                f"内部错误 / internal error: {type(e).__name__}: {e}\n"
                "请用 --debug 重新运行并报告 / run again with --debug and report it",
                file=err,
            )
        return EXIT_FAIL


def click_error_zh(e: click.ClickException) -> str:
    """The option parser's complaint in Chinese (its English text follows it)."""
    from click import exceptions as x

    if isinstance(e, x.NoSuchOption):
        near = f"（是否想用：{'、'.join(e.possibilities)}）" if e.possibilities else ""
        return f"没有选项 {e.option_name}{near}"
    if isinstance(e, x.MissingParameter):
        p = e.param
        if isinstance(p, click.Argument):
            return f"缺少参数 {p.metavar or p.human_readable_name}"
        return f"缺少选项 {'/'.join(p.opts)}" if p is not None else "缺少参数"
    if isinstance(e, x.BadParameter):
        name = "/".join(e.param.opts) if e.param is not None and e.param.opts else (e.param_hint or "")
        return f"{name} 的取值无效".strip()
    if isinstance(e, x.BadOptionUsage):
        return f"选项 {e.option_name} 用法不对"
    if isinstance(e, x.NoArgsIsHelpError):
        return "未给出任何参数"
    text = e.format_message()
    if text.startswith("No such command"):
        return f"没有这个命令：{text.split(chr(39))[1] if chr(39) in text else text}"
    if text.startswith("Got unexpected extra argument"):
        return "多余的参数：" + text.split("(", 1)[-1].rstrip(")")
    return "命令行用法不对"


def show_click_error(e: click.ClickException, err: IO[str]) -> None:
    """Usage errors in Chinese and English, with the command's usage line and where to read more."""
    ctx = getattr(e, "ctx", None)
    if ctx is not None:
        print(ctx.get_usage().replace("Usage:", "用法 / Usage:"), file=err)
    print(f"用法错误 / usage error: {click_error_zh(e)} / {e.format_message()}", file=err)
    if ctx is not None:
        print(f"帮助 / help: {ctx.command_path} --help", file=err)


class _streams:
    """Point sys.stdout/stderr at the given streams for click.echo while a command runs."""

    def __init__(self, out: IO[str], err: IO[str]) -> None:
        self.out, self.err = out, err

    def __enter__(self) -> None:
        self.saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = self.out, self.err

    def __exit__(self, *exc: object) -> None:
        sys.stdout, sys.stderr = self.saved


def entry() -> None:
    sys.exit(main())
