"""Many documents on all cores: warm the renderers once, then fork workers that share it.

A process that renders pays once for WeasyPrint, the fonts, the stylesheet and the templates
(0.3–0.6 s). `warm` does that in the parent; `fork_map` then forks the workers, which start
with all of it already in memory (shared, copy-on-write) and go straight to work. Results come
back in the order of the items, whatever order the workers finish in, so what a command prints
does not depend on timing; each document's bytes depend only on its input (see render_pdf), so
they are the same as when made one after another.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def worker_count(items: int, jobs: int = 0) -> int:
    """How many workers for `items` pieces of work: `jobs` (0: every usable core), never more than items."""
    return max(1, min(jobs or usable_cores(), items))


def warm(formats: Iterable[str], kinds: Iterable[str] = ()) -> None:
    """Load in this process what every document needs, so forked workers start warm."""
    from zzcbec_docs.documents.html import environment

    env = environment()
    for kind in kinds:
        env.get_template(f"{kind}.html.j2")
    formats = tuple(formats)
    if "pdf" in formats:
        from zzcbec_docs.documents import pdf

        pdf.warm()
    if "docx" in formats:
        import zzcbec_docs.documents.docx  # noqa: F401 - python-docx and lxml, imported once here


_TASK: tuple[Callable[[Any, Any], Any], Any] | None = None  # set before forking; the workers inherit it


def _call(item: Any) -> Any:
    assert _TASK is not None
    fn, state = _TASK
    return fn(state, item)


def _worker_start() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


class WorkerCrashed(Exception):
    """A worker died (killed, or a crash in native code) before it returned this item's result."""


def fork_map(fn: Callable[[Any, T], R], state: Any, items: list[T], workers: int) -> Iterator[R | WorkerCrashed]:
    """`fn(state, item)` for each item, in `workers` forked processes; results in the items' order.

    `state` is not sent to the workers: they inherit it when they are forked, so it may be large
    (the policy, a review) and need not be picklable. Each result must be picklable.

    If a worker dies (killed, or a crash in native code), the item whose result is awaited is
    tried again alone in a fresh worker and yields `WorkerCrashed` if that dies too; the items
    after it go on in a fresh pool. So one bad item never takes the others down with it.
    """
    global _TASK
    _TASK = (fn, state)
    try:
        start = 0
        while start < len(items):
            for offset, result in enumerate(_pool_map(items[start:], workers)):
                if isinstance(result, WorkerCrashed):
                    alone = next(iter(_pool_map([items[start + offset]], 1)))
                    yield alone
                    start += offset + 1
                    break
                yield result
            else:
                start = len(items)
    finally:
        _TASK = None


def _pool_map(items: list[Any], workers: int) -> Iterator[Any]:
    """Results in order; from the first dead worker on, a WorkerCrashed (and nothing after it)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(items))),
                               mp_context=multiprocessing.get_context("fork"), initializer=_worker_start)
    try:
        futures = [pool.submit(_call, item) for item in items]
        for future in futures:
            try:
                yield future.result()
            except BrokenProcessPool as exc:
                yield WorkerCrashed(str(exc))
                return
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
