"""Batch throughput (issue 5 targets on this 2-core machine):

500 bundles → every document of all three kinds in both formats in ≤ 120 s wall with 2 jobs,
at least 1.7× faster than with 1 job, peak memory of the whole run ≤ 600 MB, and 1,000 bundles
taking at most 2.1× the time of 500.

Generates N synthetic but valid bundles spread over every clause and district, runs
`zzcbec batch` as a user would (a separate process), samples the memory of the whole process
tree every 50 ms, and prints wall time, documents per second and peak memory.

    python benchmarks/bench_batch.py            # 500 with --jobs 1 and 2, then 1000 with --jobs 2
    python benchmarks/bench_batch.py 100 1 2    # N and the job counts to try
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zzcbec_docs.bundle.uscc import complete  # noqa: E402

DISTRICTS = [
    "中原区",
    "二七区",
    "管城区",
    "金水区",
    "上街区",
    "惠济区",
    "中牟县",
    "巩义市",
    "荥阳市",
    "新密市",
    "新郑市",
    "登封市",
    "郑东新区",
    "高新区",
    "经开区",
    "航空港区",
]
CLAUSES = [
    (1, {"import_export": "12000000", "promotion_costs": "800000"}),
    (2, {"payment_license": True, "hq_level": "regional", "cbec_settlement": "12000000000"}),
    (3, {"hq_level": "national", "settled_on": "2024-06-18", "cbec_import_export": "600000000"}),
    (5, {"served_cbec_enterprises": 35, "revenue": "12000000", "revenue_prior_year": "10000000"}),
    (6, {"uses_zz_logistics": True, "import_export": "30000000", "intl_logistics_costs": "2500000"}),
    (7, {"served_zz_cbec_enterprises": 120, "clearance_orders": 60000000, "import_export": "5200000000"}),
    (8, {"park_cbec_enterprises": 25, "park_foreign_trade": "5500000000"}),
    (
        9,
        {
            "demo_park_level": "provincial",
            "cbec_import_export": "120000000",
            "service_revenue": "0",
            "service_fees": {"rent": "300000", "property_management": "60000", "utilities": "45000"},
        },
    ),
    (10, {"in_incubation_program": True, "requested": "8000"}),
    (
        11,
        {
            "competition_name": "郑州跨境电商大赛",
            "competition_approved": True,
            "held_in_zhengzhou": True,
            "requested": "150000",
        },
    ),
    (12, {"store_area_m2": "1500", "opened_on": "2025-01-01", "cbec_retail_import": "35000000"}),
]


def make_bundles(n: int, folder: Path) -> None:
    for i in range(n):
        clause, facts = CLAUSES[i % len(CLAUSES)]
        claims = [{"clause": clause, "facts": facts}]
        if i % 5 == 0 and clause not in (1, 6):  # every fifth enterprise claims three clauses
            claims += [{"clause": 1, "facts": CLAUSES[0][1]}, {"clause": 6, "facts": CLAUSES[4][1]}]
        district = DISTRICTS[i % len(DISTRICTS)]
        b = {
            "schema_version": "1.0",
            "year": 2026,
            "applicant": {
                "name": f"郑州基准测试第{i}号跨境电商有限公司",
                "uscc": complete(f"91410100MB{i:07d}"),
                "district": district,
                "etrade_core_zone_policy": False,
                "address": f"郑州市{district}测试路{i}号",
                "legal_representative": "王某",
                "contact": {"name": "李某", "phone": "0371-60000000"},
                "bank": {"name": "中国银行郑州分行", "account": f"6217{i:015d}"},
            },
            "claims": claims,
        }
        (folder / f"bundle-{i:05d}.json").write_text(json.dumps(b, ensure_ascii=False), encoding="utf-8")


def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc)."""
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack += [int(x) for x in fh.read().split()]
        except (OSError, ValueError):
            continue
    return total


def run(folder: Path, out: Path, jobs: int) -> tuple[float, int, int]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "zzcbec_docs", "batch", str(folder), "--out", str(out), "--jobs", str(jobs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss_kb(proc.pid))
            time.sleep(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    proc.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    th.join()
    docs = sum(1 for p in out.iterdir() if p.suffix in (".pdf", ".docx"))
    return wall, docs, peak // 1024


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    jobs_list = [int(x) for x in sys.argv[2:]] or [1, 2]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        make_bundles(n, folder)
        # fonts prepared once beforehand, as after any first run
        subprocess.run(
            [sys.executable, "-c", "from zzcbec_docs.documents import fonts; fonts.prepare_working_copies()"],
            check=True,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
        )
        for jobs in jobs_list:
            wall, docs, peak = run(folder, Path(tmp) / f"out-{jobs}", jobs)
            results[jobs] = wall
            print(
                f"{n} bundles, --jobs {jobs}: {wall:.1f} s wall, {docs} documents, {docs / wall:.1f} documents/s, "
                f"peak memory {peak} MB",
                flush=True,
            )
        if 1 in results and 2 in results:
            print(f"speed-up 2 jobs vs 1: {results[1] / results[2]:.2f}×")
        if len(sys.argv) <= 1:
            big = Path(tmp) / "in-1000"
            big.mkdir()
            make_bundles(2 * n, big)
            wall, docs, peak = run(big, Path(tmp) / "out-1000", 2)
            print(
                f"{2 * n} bundles, --jobs 2: {wall:.1f} s wall, {docs} documents, {docs / wall:.1f} documents/s, "
                f"peak memory {peak} MB; {wall / results[2]:.2f}× the time of {n}"
            )


if __name__ == "__main__":
    main()
