"""The policy, loaded and checked once, kept ready for the next command.

Reading the policy file, checking it against its schema and building the typed policy took
20–50 ms of every command (0.2 s when the schema was also checked against its meta-schema).
The typed policy is kept in the cache folder (`~/.cache/zzcbec-docs/policy/`, or
`$ZZCBEC_CACHE/policy/`) under a key made of:

- the SHA-256 of the policy file's bytes and its path (the policy records where it came from);
- the tool's version, the Python version, and the size and modification time of every module
  of the package and every schema file: any change to the code or the schemas is a new key.

So an edited policy file, an upgraded tool or a changed schema is never served from the cache:
the file is read and checked again. A policy that fails its checks is never cached. A cache file
that cannot be read back (truncated, garbage, from another layout) is ignored and replaced.
Cache files are pickles: one is used only if it belongs to the current user and neither it nor
its folder can be written by anyone else (pickle runs code when it loads).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zzcbec_docs import __version__
from zzcbec_docs.resources import PACKAGE_DIR, cache_root, resource_dir

FORMAT = "1"


def cache_folder() -> Path:
    return cache_root() / "policy"


def code_fingerprint() -> str:
    """Size and modification time of every module of the package and every schema file."""
    h = hashlib.sha256()
    roots = [PACKAGE_DIR]
    try:
        roots.append(resource_dir("schemas"))
    except FileNotFoundError:
        pass
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".py", ".json")):
                    st = os.stat(os.path.join(folder, name))
                    h.update(f"{folder}/{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def cache_key(path: str, content: bytes) -> str:
    h = hashlib.sha256()
    for part in (FORMAT, __version__, sys.version, path, hashlib.sha256(content).hexdigest(), code_fingerprint()):
        h.update(part.encode("utf-8") + b"\0")
    return h.hexdigest()


def _entry(path: str, key: str) -> Path:
    """One file per policy path; its name also carries the key, so a stale one is never read."""
    where = hashlib.sha256(path.encode("utf-8")).hexdigest()[:16]
    return cache_folder() / f"{where}-{key[:32]}.pickle"


def _trusted(p: Path) -> bool:
    """Ours, and writable by nobody else (nor is its folder)."""
    try:
        for st in (os.stat(p), os.stat(p.parent)):
            if st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return False
    except OSError:
        return False
    return True


def _read(entry: Path, key: str, expected: type) -> Any | None:
    if not entry.is_file() or not _trusted(entry):
        return None
    try:
        with open(entry, "rb") as fh:
            saved_key, value = pickle.load(fh)
    except Exception:  # noqa: BLE001 - a damaged cache file is ignored and rewritten
        return None
    return value if saved_key == key and type(value) is expected else None


def _write(entry: Path, key: str, value: Any) -> None:
    import tempfile

    folder = entry.parent
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump((key, value), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.chmod(tmp, 0o600)
            os.replace(tmp, entry)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        for old in folder.glob(entry.name.split("-", 1)[0] + "-*.pickle"):
            if old != entry:
                old.unlink(missing_ok=True)
        _prune(folder)
    except Exception:  # noqa: BLE001 - no cache folder, or a policy that cannot be pickled: checked every time, as before
        return


MAX_ENTRIES = 32  # policy files kept ready (tests and `policy diff` meet many); the oldest go first


def _prune(folder: Path) -> None:
    entries = []
    for p in folder.glob("*.pickle"):
        try:
            entries.append((p.stat().st_mtime_ns, p))
        except OSError:
            continue
    for _, p in sorted(entries, reverse=True)[MAX_ENTRIES:]:
        p.unlink(missing_ok=True)


def load_ready(path: str, build: Callable[[str], Any], expected: type) -> Any:
    """`build(path)` (read and check the policy file), or its result saved by an earlier command.

    Errors of `build` (a broken policy) propagate and nothing is saved.
    """
    if os.environ.get("ZZCBEC_NO_POLICY_CACHE"):
        return build(path)
    try:
        content = Path(path).read_bytes()
    except OSError:
        return build(path)  # it reports the unreadable file
    key = cache_key(path, content)
    entry = _entry(path, key)
    value = _read(entry, key, expected)
    if value is None:
        value = build(path)
        try:
            unchanged = Path(path).read_bytes() == content
        except OSError:
            unchanged = False
        if unchanged:  # not if the file changed while it was being checked
            _write(entry, key, value)
    return value
