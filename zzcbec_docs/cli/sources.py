"""Bundle arguments: files, folders (their *.yaml/*.yml/*.json), and `-` for standard input."""

from __future__ import annotations

import os
from pathlib import Path

SUFFIXES = (".yaml", ".yml", ".json")


def expand_sources(args: tuple[str, ...] | list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """(readable sources in order, [(unreadable path, why)])."""
    entries = expand_in_order(args)
    return [s for s, why in entries if why is None], [(s, why) for s, why in entries if why is not None]


def expand_in_order(args: tuple[str, ...] | list[str]) -> list[tuple[str, str | None]]:
    """Every source in the order given, each with the reason it cannot be read (None when it can)."""
    out: list[tuple[str, str | None]] = []
    for a in args:
        if a == "-":
            out.append((a, None))
            continue
        p = Path(a)
        if p.is_dir():
            found = sorted(str(x) for x in p.rglob("*") if x.is_file() and x.suffix.lower() in SUFFIXES)
            if not found:
                out.append((a, "目录中没有 .yaml/.yml/.json 文件 / the folder holds no .yaml/.yml/.json file"))
            out.extend((f, None) for f in found)
        elif not p.exists():
            out.append((a, "文件不存在 / no such file"))
        elif not os.access(p, os.R_OK):
            out.append((a, "没有读取权限 / permission denied"))
        else:
            out.append((a, None))
    return list(dict.fromkeys(out))


def finish(code: int, unreadable: list[tuple[str, str]]) -> None:
    """Report unreadable paths (a usage error, exit 2) and end the command with its exit code."""
    import click

    from zzcbec_docs.cli.main import EXIT_USAGE, Outcome

    for src, msg in unreadable:
        click.echo(f"无法读取 / unreadable: {src}: {msg}", err=True)
    if unreadable:
        code = EXIT_USAGE
    if code:
        raise Outcome(code)
