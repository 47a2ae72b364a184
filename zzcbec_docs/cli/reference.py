"""The CLI reference (docs/cli.md), generated from the `--help` of every command and subcommand.

    python -m zzcbec_docs.cli.reference > docs/cli.md      # or: make docs

`tests/test_docs.py` fails when docs/cli.md is not what this prints, naming that command. The help
is laid out at a fixed width, so the page is the same on every terminal.
"""

from __future__ import annotations

import sys

import click

REGENERATE = "python -m zzcbec_docs.cli.reference > docs/cli.md"
WIDTH = 78  # click lays help out at min(terminal, 80) - 2 columns: what `--help` prints on a wide terminal

PREAMBLE = f"""\
# Command-line reference

Generated from the `--help` of `zzcbec` and of every command and subcommand; do not edit it by
hand. `make docs` (or `{REGENERATE}`) writes it again, and a test fails when it
is stale. What the commands are for, with examples and the exit codes: [commands.md](commands.md).
"""


def _help(command: click.Command, path: list[str], parent: click.Context | None) -> tuple[str, click.Context]:
    # as `zzcbec … --help` makes it: the command's own context settings (-h, --help), at a fixed width
    settings = {**command.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    ctx = click.Context(command, info_name=path[-1], parent=parent, **settings)
    return command.get_help(ctx), ctx


def _walk(command: click.Command, path: list[str], parent: click.Context | None) -> list[tuple[list[str], str]]:
    text, ctx = _help(command, path, parent)
    pages = [(path, text)]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                pages.extend(_walk(sub, [*path, name], ctx))
    return pages


def reference() -> str:
    """The whole page: one section per command, its help verbatim."""
    from zzcbec_docs.cli.main import cli

    parts = [PREAMBLE]
    pages = _walk(cli, ["zzcbec"], None)
    parts.append("## Contents\n\n" + "\n".join(f"- [`{' '.join(p)}`](#{'-'.join(p)})" for p, _ in pages) + "\n")
    for path, text in pages:
        parts.append(f"## `{' '.join(path)}`\n\n```text\n{text.rstrip()}\n```\n")
    return "\n".join(parts)


def main() -> int:
    sys.stdout.buffer.write(reference().encode("utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
