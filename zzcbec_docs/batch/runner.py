"""Check every bundle in the main process (fast), render the eligible ones in worker processes.

Workers are set up once (policy, fonts, stylesheet, templates) and replaced after a number of
bundles so that memory stays flat. A bundle whose renderer crashes its worker is retried alone;
if it crashes again it is listed as crashed and the rest go on. A manifest per bundle, written
after its documents, lets an interrupted run resume: documents whose bundle, policy and tool
version are unchanged are not made again.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zzcbec_docs import __version__
from zzcbec_docs.atomic import write_atomic
from zzcbec_docs.bundle.model import Bundle, PriorAward
from zzcbec_docs.check import invalid_result, validate_file
from zzcbec_docs.money import fmt_yuan
from zzcbec_docs.policy.model import Policy, chinese_numeral
from zzcbec_docs.rules.model import ELIGIBLE, CheckResult

MANIFESTS = ".zzcbec-batch"


@dataclass
class BatchOptions:
    out_dir: Path
    kinds: tuple[str, ...] = ("application", "opinion", "notice")
    formats: tuple[str, ...] = ("docx", "pdf")
    jobs: int = 0  # 0: the machine's cores
    recycle_after: int = 40  # bundles per worker before it is replaced
    policy_file: str | None = None
    issued_on: str | None = None
    exclusion_list: frozenset[str] = frozenset()


@dataclass
class BatchItem:
    source: str
    result: CheckResult
    files: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: bool = False  # documents unchanged since an earlier run
    crashed: bool = False
    seconds: float = 0.0
    to_render: bool = False
    history: tuple[PriorAward, ...] = ()  # the awards it was decided against (ledger, and earlier in this batch)
    shared: list[str] = field(default_factory=list)  # where a cap shared within the batch cut an amount

    @property
    def ok(self) -> bool:
        return self.result.passed and not self.errors and not self.crashed


def policy_fingerprint(policy: Policy) -> str:
    data = Path(policy.source_path).read_bytes() if policy.source_path and Path(policy.source_path).is_file() else b""
    issued = policy.issued_on.isoformat() if policy.issued_on else ""
    return f"{policy.id}:{hashlib.sha256(data).hexdigest()[:16]}:{issued}"


def _manifest_path(out_dir: Path, key: str) -> Path:
    return out_dir / MANIFESTS / f"{key}.json"


def _manifest(item: BatchItem, policy_fp: str, options: BatchOptions) -> dict[str, Any]:
    # the decisions too: the same bundle decided against another ledger (or batch) is rendered again
    decided = hashlib.sha256(
        json.dumps([d.as_dict() for d in item.result.decisions], ensure_ascii=False, sort_keys=True).encode()
    ).hexdigest()[:16]
    return {
        "bundle_sha256": item.result.sha256,
        "policy": policy_fp,
        "tool": __version__,
        "kinds": list(options.kinds),
        "formats": list(options.formats),
        "decided": decided,
    }


def _unchanged(item: BatchItem, key: str, policy_fp: str, options: BatchOptions) -> list[str] | None:
    path = _manifest_path(options.out_dir, key)
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = saved.pop("files", [])
    if saved != _manifest(item, policy_fp, options) or not files:
        return None
    if not all((options.out_dir / f).is_file() for f in files):
        return None
    return [str(options.out_dir / f) for f in files]


# ---------------------------------------------------------------- the worker side

_WORKER: dict[str, Any] = {}


def _init_worker(policy_file: str | None, issued_on: str | None) -> None:
    """Once per worker: the policy, fonts, stylesheet and templates."""
    import datetime as dt
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C
    from zzcbec_docs.documents.parallel import die_with_parent

    die_with_parent(os.getppid())  # the fork server: it ends when the batch does
    from zzcbec_docs.documents import fonts, pdf
    from zzcbec_docs.documents.html import environment
    from zzcbec_docs.policy import load_policy

    policy = load_policy(policy_file)
    if issued_on:
        policy = policy.with_issued_on(dt.date.fromisoformat(issued_on))
    _WORKER["policy"] = policy
    from zzcbec_docs.documents.writers import tune_for_rendering

    tune_for_rendering()
    fonts.prepare_working_copies()
    pdf._stylesheet()
    environment()


def _render_one(
    source: str,
    kinds: tuple[str, ...],
    formats: tuple[str, ...],
    out_dir: str,
    exclusion_list: frozenset[str],
    history: tuple[PriorAward, ...] = (),
) -> dict[str, Any]:
    """Render one bundle's documents; every failure is reported, none escapes."""
    marker = _marker(Path(out_dir), source)
    marker.touch()  # while this exists, this bundle is being rendered: a crash points at it
    if os.environ.get("ZZCBEC_FAULT") == f"crash:{Path(source).name}":  # test hook: a renderer that dies
        os._exit(139)
    try:
        return _render_documents(source, kinds, formats, out_dir, exclusion_list, history)
    finally:
        marker.unlink(missing_ok=True)


def _marker(out_dir: Path, source: str) -> Path:
    return out_dir / MANIFESTS / "running" / hashlib.sha256(source.encode()).hexdigest()[:20]


def _render_documents(
    source: str,
    kinds: tuple[str, ...],
    formats: tuple[str, ...],
    out_dir: str,
    exclusion_list: frozenset[str],
    history: tuple[PriorAward, ...],
) -> dict[str, Any]:
    from zzcbec_docs.bundle import load_bundle
    from zzcbec_docs.documents import render_bundle
    from zzcbec_docs.errors import ZzcbecError

    t0 = time.perf_counter()
    files: list[str] = []
    errors: list[str] = []
    try:
        bundle = load_bundle(source, _WORKER["policy"])
    except ZzcbecError as e:
        return {"source": source, "files": [], "errors": [e.message], "seconds": 0.0}
    if history:  # decided as the summary was: declared awards the ledger (or batch) holds count once
        from dataclasses import replace

        from zzcbec_docs.process.decide import merge_history

        bundle = replace(bundle, prior_awards=merge_history(bundle.prior_awards, history))
    for kind in kinds:
        try:
            made = render_bundle(
                bundle,
                _WORKER["policy"],
                kinds=[kind],
                formats=formats,
                out_dir=Path(out_dir),
                exclusion_list=exclusion_list,
                ledger_awards=history,
            )
            files += [str(f.path) for f in made]
        except ZzcbecError as e:
            errors.append(f"{kind}: {e.message}")
        except Exception as e:  # noqa: BLE001 - a renderer bug must not stop the batch
            errors.append(f"{kind}: 渲染失败 / renderer failed: {type(e).__name__}: {e}")
    return {"source": source, "files": files, "errors": errors, "seconds": time.perf_counter() - t0}


# ---------------------------------------------------------------- the main side


def check_all(sources: list[str], policy: Policy, options: BatchOptions, ledger: Any = None) -> list[BatchItem]:
    """Validate and decide every bundle. Bundles of one applicant share its caps: they are decided in
    file-name order, each counting the awards the ledger holds and those decided before it in the batch."""
    from dataclasses import replace

    from zzcbec_docs.bundle.model import PriorAward
    from zzcbec_docs.process.decide import decide_counting, ledger_check

    checked: list[tuple[str, Bundle | None, BatchItem | None]] = []
    for src in sources:
        bundle, problems, sha = validate_file(src, policy)
        if bundle is None:
            checked.append((src, None, BatchItem(src, invalid_result(src, problems, policy, sha))))
        else:
            checked.append((src, bundle, None))
    shared_clauses = policy.per_competition_clauses
    decided: dict[str, BatchItem] = {}
    earlier: dict[str, list[PriorAward]] = {}  # USCC → awards decided so far in this batch
    for src, bundle, _ in sorted((x for x in checked if x[1] is not None), key=lambda x: _file_order(x[0])):
        assert bundle is not None
        uscc = bundle.applicant.uscc
        before = tuple(earlier.get(uscc, ()))
        # a per-competition cap (Clause.per_competition) is shared with the other organisers decided before
        # it in the batch, as with those in the ledger
        in_batch = tuple(
            replace(p, organiser=other)
            for other, ps in earlier.items()
            if other != uscc
            for p in ps
            if p.clause in shared_clauses
        )
        result, view = ledger_check(
            bundle, policy, ledger, exclusion_list=options.exclusion_list, earlier=before, organisers=in_batch
        )
        history, organisers = view.history, (*view.organisers, *in_batch)
        item = BatchItem(src, result, history=history + before)
        if before and not result.awarded:
            alone = decide_counting(
                bundle, policy, history, exclusion_list=options.exclusion_list, organisers=organisers
            )
            for d, d0 in zip(result.decisions, alone.decisions, strict=True):
                if d.amount != d0.amount:
                    item.shared.append(
                        f"第{chinese_numeral(d.clause)}条 {fmt_yuan(d0.amount)} → {fmt_yuan(d.amount)}：与本批次前面的 "
                        f"{'、'.join(sorted({p.reference or '' for p in before}))} 共用上限 / clause {d.clause} "
                        f"{fmt_yuan(d0.amount)} → {fmt_yuan(d.amount)}: cap shared with earlier bundles of the "
                        "same applicant in this batch"
                    )
        earlier.setdefault(uscc, []).extend(  # an awarded content's awards are in the ledger already
            PriorAward(
                clause=d.clause,
                year=bundle.year,
                amount=d.amount,
                competition_name=d.competition_name,
                source="batch",
                reference=Path(src).name,
                tier=d.cap,
            )
            for d in result.decisions
            if d.status == ELIGIBLE and d.awarded is None
        )
        decided[src] = item
    items = []
    seen: dict[str, str] = {}
    for src, bundle, invalid in checked:
        if invalid is not None:
            items.append(invalid)
            continue
        assert bundle is not None
        item = decided[src]
        item.to_render = any(d.status == ELIGIBLE for d in item.result.decisions)
        key = _key(bundle)
        if item.to_render and key in seen:
            item.to_render = False
            item.errors.append(
                f"与 {seen[key]} 属同一申请人同一年度，文件名冲突，未生成文书 / same applicant and year as "
                f"{seen[key]}: the documents' names would clash, none made"
            )
        elif item.to_render:
            seen[key] = src
        items.append(item)
    return items


def _file_order(src: str) -> tuple[str, str]:
    return (Path(src).name, src)


def _key(bundle: Bundle) -> str:
    return f"{bundle.applicant.uscc}-{bundle.year}"


def _history(item: BatchItem) -> tuple[PriorAward, ...]:
    """What the item was decided against: the ledger's awards and those earlier in the batch."""
    return item.history


def start_fork_server() -> Any:
    """The fork server the workers come from, started (once per process) with the renderers warm.

    Started before the bundles are checked, so that its warm-up (0.5–1 s: WeasyPrint, fonts,
    stylesheet, python-docx) runs on another core meanwhile; each worker forked from it then
    starts warm instead of paying that start-up again.
    """
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["zzcbec_docs.documents.prewarm"])
    from multiprocessing import forkserver

    forkserver.ensure_running()
    return ctx


def _run_pool(
    batch: list[BatchItem], workers: int, options: BatchOptions, finished: Callable[[BatchItem, dict[str, Any]], None]
) -> list[BatchItem]:
    """Render `batch` in a fresh pool; returns the items left unfinished because a worker died.

    Workers are recycled by giving each pool a bounded batch (see run_batch), not through
    max_tasks_per_child, which hangs the pool on Python 3.11 once a worker retires (measured:
    the run stopped after exactly `recycle_after` bundles).
    """
    ctx = start_fork_server()
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(options.policy_file, options.issued_on)
    )
    broken: list[BatchItem] = []
    try:
        futures: dict[Future[dict[str, Any]], BatchItem] = {
            pool.submit(
                _render_one,
                item.source,
                options.kinds,
                options.formats,
                str(options.out_dir),
                options.exclusion_list,
                _history(item),
            ): item
            for item in batch
        }
        for fut in as_completed(futures):
            item = futures[fut]
            try:
                finished(item, fut.result())
            except BrokenProcessPool:
                broken.append(item)
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return broken


def run_batch(
    sources: list[str],
    policy: Policy,
    options: BatchOptions,
    progress: Callable[[BatchItem, int, int], None] | None = None,
    ledger: Any = None,
) -> list[BatchItem]:
    """Check all, render the eligible ones in parallel, return every item (input order)."""
    start_fork_server()  # warming up while the bundles are checked
    items = check_all(sources, policy, options, ledger)
    policy_fp = policy_fingerprint(policy)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    for stale in options.out_dir.glob(".*.part"):  # temporary files of a run that was killed
        stale.unlink(missing_ok=True)
    total = len(items)
    done = 0
    pending: list[BatchItem] = []
    for item in items:
        if item.to_render:
            key = f"{item.result.applicant['uscc']}-{item.result.year}"  # type: ignore[index]
            files = _unchanged(item, key, policy_fp, options)
            if files is not None:
                item.files, item.skipped = files, True
            else:
                pending.append(item)
                continue
        done += 1
        if progress:
            progress(item, done, total)

    def finished(item: BatchItem, res: dict[str, Any]) -> None:
        nonlocal done
        item.files, item.errors, item.seconds = res["files"], item.errors + res["errors"], res["seconds"]
        if not res["errors"]:
            key = f"{item.result.applicant['uscc']}-{item.result.year}"  # type: ignore[index]
            m = _manifest(item, policy_fp, options)
            m["files"] = [Path(f).name for f in item.files]
            write_atomic(_manifest_path(options.out_dir, key), json.dumps(m, ensure_ascii=False).encode())
        done += 1
        if progress:
            progress(item, done, total)

    jobs = options.jobs or os.cpu_count() or 1
    running = options.out_dir / MANIFESTS / "running"
    running.mkdir(parents=True, exist_ok=True)
    for stale in running.iterdir():
        stale.unlink()
    queue = list(pending)
    suspects: list[BatchItem] = []  # bundles that were being rendered when a worker died
    stalls = 0
    while queue or suspects:
        alone = bool(suspects)  # a suspect runs alone: if it kills its worker again, it is the culprit
        generation = jobs * options.recycle_after  # then the pool, and with it each worker, is replaced
        batch = suspects[:1] if alone else queue[:generation]
        broken = _run_pool(batch, 1 if alone else min(jobs, len(batch)), options, finished)
        if alone:
            suspects = suspects[1:]
            if broken:
                item = broken[0]
                item.crashed = True
                item.errors.append("渲染进程崩溃，已跳过 / the renderer crashed on this bundle; skipped")
                done += 1
                if progress:
                    progress(item, done, total)
        else:
            started = [i for i in broken if _marker(options.out_dir, i.source).exists()]
            for i in started:
                _marker(options.out_dir, i.source).unlink(missing_ok=True)
            stalls = stalls + 1 if broken and not started and len(broken) == len(batch) else 0
            if stalls >= 2:  # the workers die before rendering anything: no bundle is to blame
                for item in broken:
                    item.errors.append("渲染进程无法启动 / the rendering workers could not start")
                    done += 1
                    if progress:
                        progress(item, done, total)
                break
            suspects += started
            queue = [i for i in broken if i not in started] + queue[len(batch) :]
    return items
