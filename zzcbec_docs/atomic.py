"""Atomic writes: a file (a document, a ledger export, a summary) appears whole or not at all.

On Linux the bytes go into an unnamed file (O_TMPFILE) that gets a name only once it is complete
and on disk, and is then renamed over the target: a process killed while writing leaves nothing.
Elsewhere a hidden named temporary file is used, removed on any error.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _temp_name(path: Path) -> Path:
    return path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.part"


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path.parent, os.O_TMPFILE | os.O_WRONLY, 0o644)
    except (AttributeError, OSError):  # no O_TMPFILE here (or on this file system)
        fd = -1
    if fd >= 0:
        linked = False
        try:
            with os.fdopen(fd, "wb", closefd=False) as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            tmp = _temp_name(path)
            try:
                os.link(f"/proc/self/fd/{fd}", tmp)  # the complete file gets a name only now
                linked = True
            except OSError:  # some sandboxes refuse linking an unnamed file: use a named one
                pass
            if linked:
                try:
                    os.replace(tmp, path)
                except BaseException:
                    tmp.unlink(missing_ok=True)
                    raise
        finally:
            os.close(fd)
        if linked:
            return
    _remove_stale(path)
    name = _temp_name(path)
    fd2 = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd2, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(name, path)
    except BaseException:
        name.unlink(missing_ok=True)
        raise


def _remove_stale(path: Path) -> None:
    """Temporary files of this target left by a process that was killed (its PID is gone)."""
    for tmp in path.parent.glob(f".{path.name}.*.part"):
        parts = tmp.name[len(path.name) + 2 :].split(".")
        try:
            pid = int(parts[0])
            os.kill(pid, 0)
        except (ValueError, IndexError):
            continue
        except ProcessLookupError:
            tmp.unlink(missing_ok=True)
        except PermissionError:
            continue
