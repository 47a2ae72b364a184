"""Many documents on all cores, and a head start for one.

A process that renders pays once for WeasyPrint, the fonts, the stylesheet and the templates
(0.3–0.6 s). `Workers` forks its worker processes as early as a command can — right after its
options are read — and each warms up (`warm`) while the command itself goes on reading the
policy and checking the bundles. For one bundle the command builds the documents' content and
the workers, warm by then, write the PDF and DOCX files; for many bundles each worker does whole
bundles. Results come back in the order of the items, whatever order the workers finish in, so
what a command prints does not depend on timing; each document's bytes depend only on its input
(see render_pdf), so they are the same as when made one after another in one process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def warm(formats: Iterable[str], kinds: Iterable[str] = (), templates: bool = True) -> None:
    """Load in this process what every document needs (the templates only if it builds content)."""
    from zzcbec_docs.documents import fonts
    from zzcbec_docs.documents.writers import tune_for_rendering

    tune_for_rendering()
    formats, kinds = tuple(formats), tuple(kinds)
    if "pdf" in formats:
        fonts.prefetch_font_list()  # fc-list runs on another core meanwhile
    import zzcbec_docs.bundle.model  # noqa: F401 - what a task's bundle and policy unpickle into,
    import zzcbec_docs.policy.model  # noqa: F401 - loaded during the warm-up, not when the first task comes

    if templates:
        from zzcbec_docs.documents.html import environment

        env = environment()
        for kind in kinds:
            env.get_template(f"{kind}.html.j2")
    if "pdf" in formats:
        from zzcbec_docs.documents import pdf

        pdf.warm(kinds)
    if "docx" in formats:
        import zzcbec_docs.documents.docx  # noqa: F401 - python-docx and lxml, imported once here


def die_with_parent(parent: int) -> None:
    """A worker ends when the process that started it does (killed, say): on Linux the kernel
    signals it; without that a worker would wait for work forever."""
    import signal
    import sys

    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            return
    if os.getppid() != parent:  # it died before that took effect
        os._exit(1)


def _worker_start(formats: tuple[str, ...], kinds: tuple[str, ...], templates: bool, parent: int) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    die_with_parent(parent)
    try:
        warm(formats, kinds, templates)
    except Exception:  # noqa: BLE001 - only a head start: a real error is reported by the task that meets it
        pass


def _ready() -> None:
    """A first task: makes the pool fork its workers now, so they warm up at once."""


class WorkerCrashed(Exception):
    """A worker died (killed, or a crash in native code) before it returned this item's result."""


class Workers:
    """`count` forked processes, warming up for `formats` and `kinds` from the moment they start.

    `templates=False`: they only write files from content built elsewhere (no Jinja2 needed).
    """

    def __init__(self, count: int, formats: Iterable[str], kinds: Iterable[str], templates: bool = True) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.count, self.formats, self.kinds, self.templates = count, tuple(formats), tuple(kinds), templates
        self.pool = ProcessPoolExecutor(
            max_workers=count,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_worker_start,
            initargs=(self.formats, self.kinds, templates, os.getpid()),
        )
        self.pool.submit(_ready)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        return self.pool.submit(fn, *args)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def fresh(self, count: int | None = None) -> Workers:
        return Workers(count or self.count, self.formats, self.kinds, self.templates)


def alone(workers: Workers, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """`fn(*args)` in a fresh worker of its own: the result, or `WorkerCrashed` if it dies."""
    from concurrent.futures.process import BrokenProcessPool

    single = workers.fresh(1)
    try:
        return single.submit(fn, *args).result()
    except BrokenProcessPool as exc:
        return WorkerCrashed(str(exc))
    finally:
        single.close()


def result_or_crash(future: Future[Any], workers: Workers, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """The future's result; if its worker died, the work once more alone (see `alone`)."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        return future.result()
    except BrokenProcessPool:
        return alone(workers, fn, args)


def run_ordered(workers: Workers, fn: Callable[..., Any], items: list[tuple[Any, ...]]) -> Iterator[Any]:
    """`fn(*item)` for each item on the workers; results in the items' order.

    If a worker dies, the item whose result is awaited is tried again alone in a fresh worker
    and yields `WorkerCrashed` if that dies too; the items after it go on in a fresh pool. So
    one bad item never takes the others down with it. Closes the workers it was given.
    """
    from concurrent.futures.process import BrokenProcessPool

    start = 0
    pool = workers
    try:
        while start < len(items):
            futures = [pool.submit(fn, *item) for item in items[start:]]
            for offset, future in enumerate(futures):
                try:
                    yield future.result()
                except BrokenProcessPool:
                    yield alone(pool, fn, items[start + offset])
                    pool.close()
                    start += offset + 1
                    pool = pool.fresh()
                    break
            else:
                start = len(items)
    finally:
        pool.close()
