"""`zzcbec`: the command group, error boundary and exit codes.

Exit codes: 0 every bundle valid and no claim ineligible or excluded; 1 any bundle invalid or
any claim ineligible/excluded (or a document could not be made); 2 a usage error.
"""

from __future__ import annotations

import sys
from typing import IO

import click

from zzcbec_docs import __version__
from zzcbec_docs.errors import ArgumentError, UsageError, ZzcbecError

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
    "verify": ("zzcbec_docs.cli.verify", "verify"),
    "publicity": ("zzcbec_docs.cli.publicity", "publicity"),
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
        return getattr(importlib.import_module(module), attr)


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
    zzcbec award BUNDLE --ledger URL 记账、编号并出具奖励通知书 / record, number, notify
    zzcbec ledger init|list|revoke|export   奖励台账 / the award ledger
    zzcbec verify FILE --ledger URL  核验通知书（文号、撤销、金额、核验码）/ check a notice
    zzcbec publicity --year Y --out D 拟奖励企业名单公示 / the public list of proposed awards
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
        e.show(file=err)
        return EXIT_USAGE
    except click.Abort:
        print("已中止 / aborted", file=err)
        return 130
    except (UsageError, ArgumentError) as e:
        # the same fault gets the same exit code in every command: a value the user gave is unusable
        print(f"用法错误 / usage error: {e.message}", file=err)
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
