"""Test only: the CLI with fault points, chosen by ZZCBEC_FAULT.

- `point[:seconds]`: the award's fault hook (`after_records`, `before_commit`, `after_commit`);
- `fsync@N[:seconds]`: a document's bytes, the Nth this process writes, are on disk but have no name yet
  (inside `write_atomic`, between the write and the link);
- `written@N[:seconds]`: the Nth document this process writes has just got its name (a whole file), the
  next has not begun.

At that point the process prints "paused" and pauses (default 60 s), so that a test can kill it there or
make a second desk race this one. Forked workers inherit the points and count their own writes.
Production code reads no such variable.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from zzcbec_docs.cli.main import main  # noqa: E402
from zzcbec_docs.process import awarding  # noqa: E402

WANTED, _, SECONDS = os.environ.get("ZZCBEC_FAULT", "").partition(":")


def pause(point: str) -> None:
    if point == WANTED:
        print(f"zzcbec: paused at {point} (pid {os.getpid()})", flush=True)
        time.sleep(float(SECONDS or 60))


def count_calls(name: str, real):  # type: ignore[no-untyped-def]
    """`real`, which calls `pause(f"{name}@N")` before (fsync: after) its Nth call in this process."""
    calls = {"pid": 0, "n": 0}

    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        if calls["pid"] != os.getpid():  # a forked worker counts its own
            calls.update(pid=os.getpid(), n=0)
        calls["n"] += 1
        result = real(*args, **kwargs)
        pause(f"{name}@{calls['n']}")
        return result

    return wrapper


class _AtomicOs:
    """The `os` that `write_atomic` sees: the real one, but for the call being counted."""

    def __init__(self, **counted: object) -> None:
        self.__dict__.update(counted)

    def __getattr__(self, name: str) -> object:
        return getattr(os, name)


if __name__ == "__main__":
    from zzcbec_docs import atomic

    awarding.fault_hook = pause
    if WANTED.startswith("fsync@"):  # only the documents' writes count, not the caches'
        atomic.os = _AtomicOs(fsync=count_calls("fsync", os.fsync))  # type: ignore[assignment]
    elif WANTED.startswith("written@"):
        atomic.os = _AtomicOs(replace=count_calls("written", os.replace))  # type: ignore[assignment]
    sys.exit(main())
