"""What DuckDB hands over as Arrow, written as it is: a text column's bytes, into a file written past the page cache.

matches.csv of a million enterprise-years is 14 million lines, some 3.4 GB. DuckDB makes each line as one
text (`run.line_sql`); the bytes of a batch of lines are then one slice of the Arrow array's data buffer,
and the file is those slices one after another — no per-line work in Python. Written through the page
cache, a file that size costs the kernel more CPU (allocating and zeroing 850,000 fresh pages: 4–8 s on a
2-core VM) than making the text; written with O_DIRECT from one aligned buffer it costs 0.3 s. Where the
filesystem does not take O_DIRECT (tmpfs, some network filesystems) the same bytes are written the
ordinary way.
"""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
from pathlib import Path
from typing import Any

ALIGN = 4096  # O_DIRECT: every write's offset, length and buffer a multiple of the device's block (≤ 4 KiB)


class DirectFile:
    """A file written in large aligned blocks, with O_DIRECT where the filesystem takes it. `close()` gives the
    file exactly the bytes written (the last block's padding is cut off); `discard()` closes it as it is."""

    BLOCK = 1 << 23  # 8 MiB: one write per block

    def __init__(self, path: Path) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
        self.direct = hasattr(os, "O_DIRECT")
        try:
            self.fd = os.open(path, flags | (os.O_DIRECT if self.direct else 0), 0o644)
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
            self.direct = False
            self.fd = os.open(path, flags, 0o644)
        self.buf = mmap.mmap(-1, self.BLOCK)  # page-aligned, as O_DIRECT wants its buffer
        self.fill = 0  # bytes waiting in buf
        self.size = 0  # bytes given to write()

    def write(self, data: Any) -> None:
        view = memoryview(data).cast("B")
        self.size += len(view)
        while len(view):
            k = min(self.BLOCK - self.fill, len(view))
            self.buf[self.fill : self.fill + k] = view[:k]
            self.fill += k
            view = view[k:]
            if self.fill == self.BLOCK:
                self._write_out(self.BLOCK)
                self.fill = 0

    def _write_out(self, n: int) -> None:
        block = memoryview(self.buf)[:n]
        try:
            done = 0
            while done < n:
                try:
                    done += os.write(self.fd, block[done:])
                except OSError as exc:  # the filesystem took O_DIRECT at open but refuses it now: go on buffered
                    if not self.direct or exc.errno != errno.EINVAL:
                        raise
                    self._buffered()
                if self.direct and done % ALIGN:  # a short write leaves the next one unaligned
                    self._buffered()
        finally:
            block.release()

    def _buffered(self) -> None:
        fcntl.fcntl(self.fd, fcntl.F_SETFL, fcntl.fcntl(self.fd, fcntl.F_GETFL) & ~os.O_DIRECT)
        self.direct = False

    def close(self) -> None:
        try:
            if self.fill:
                if self.direct:  # the last block padded to the alignment, the padding then cut off
                    padded = -(-self.fill // ALIGN) * ALIGN
                    self.buf[self.fill : padded] = bytes(padded - self.fill)
                    self._write_out(padded)
                else:
                    self._write_out(self.fill)
                self.fill = 0
            os.ftruncate(self.fd, self.size)
        finally:
            self.discard()

    def discard(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
            self.buf.close()


def text_bytes(array: Any) -> memoryview:
    """The UTF-8 of a pyarrow string array's values, one after another: its data buffer between the first and
    the last offset (no NULLs: the lines are never NULL)."""
    if len(array) == 0:
        return memoryview(b"")
    _, offsets, data = array.buffers()
    if data is None:  # every value empty
        return memoryview(b"")
    import pyarrow as pa

    bytes_ = memoryview(offsets).cast("B")
    bounds = bytes_.cast("q") if pa.types.is_large_string(array.type) else bytes_.cast("i")
    start, end = bounds[array.offset], bounds[array.offset + len(array)]
    return memoryview(data)[start:end]
