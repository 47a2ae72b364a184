"""免申即享 at scale: `zzcbec match TABLE.csv --out DIR --jobs 2` on a generated table.

Target (issue 15): 100,000 enterprise rows matched on 2 cores in under 60 s, memory flat.
The table is generated (seeded) like a bureau's extract: each row is one kind of enterprise
(a trader, a service firm, a park operator, a retailer …) and knows that kind's facts, each
cell empty one time in ten, with values drawn around the policy's thresholds, so every clause
is decided and every status occurs; one row in a thousand is bad. The command runs as a user runs it (a separate process); its process tree's
resident memory (main process + workers, summed) is sampled every 50 ms. Run at two sizes, the
peak should not grow with the table. Not part of `make test`:

    .venv/bin/python benchmarks/bench_match_table.py [ROWS ...]     # default: 20000 100000
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zzcbec_docs.bundle.uscc import complete  # noqa: E402
from zzcbec_docs.calculator.table_read import table_fields  # noqa: E402
from zzcbec_docs.policy import load_policy  # noqa: E402

POLICY = load_policy()

DISTRICTS = ["金水区", "郑东新区", "中牟县", "上街区", "航空港区", "二七区", "高新区", "巩义市"]
AROUND = {  # a fact → values around its thresholds
    "import_export": ["9999999.99", "10000000", "20000000", "5000000000", "800000"],
    "promotion_costs": ["800000", "2000000", "0"],
    "cbec_settlement": ["10000000000", "9999999999.99"],
    "cbec_import_export": ["500000000", "500000000.01", "1000000000.01", "100000000.01", "50000000"],
    "revenue": ["12000000", "10000000", "9000000"],
    "revenue_prior_year": ["10000000", "11500000", "0"],
    "intl_logistics_costs": ["2000000", "1999999.99", "25000000"],
    "park_foreign_trade": ["2000000000", "5000000000", "10000000000", "1999999999"],
    "service_revenue": ["30000000", "15000000", "1000"],
    "requested": ["8000", "10000", "250000"],
    "cbec_retail_import": ["30000000", "30000000.01"],
    "store_area_m2": ["1000", "1000.01", "5000"],
}


def value(name: str, kind: str, rnd: random.Random) -> str:
    if name in AROUND:
        return rnd.choice(AROUND[name])
    if kind == "flag":
        return rnd.choice(["true", "false", "是", "否", "1", "0"])
    if kind == "count":
        return str(rnd.choice([19, 20, 21, 29, 30, 99, 100, 50_000_000]))
    if kind == "date":
        return rnd.choice(["2025-01-01", "2025-01-02", "2024-06-30"])
    if kind in ("hq_level", "demo_park_level"):
        return rnd.choice(
            ["national", "provincial", "none"] if kind == "demo_park_level" else ["national", "regional", "none"]
        )
    if kind == "text":
        return rnd.choice(["第二届郑州跨境电商创新大赛", "海外仓两处"])
    return str(rnd.randint(0, 3_000_000))  # money


KINDS = [  # (weight, the facts such an enterprise's row holds)
    (
        55,
        [
            "import_export",
            "promotion_costs",
            "uses_zz_logistics",
            "intl_logistics_costs",
            "cbec_import_export",
            "revenue",
            "revenue_prior_year",
            "uses_own_customs_code",
        ],
    ),
    (10, ["served_cbec_enterprises", "revenue", "revenue_prior_year", "import_export"]),
    (3, ["park_cbec_enterprises", "park_foreign_trade"]),
    (
        10,
        [
            "demo_park_level",
            "cbec_import_export",
            "service_revenue",
            "service_fees.rent",
            "service_fees.property_management",
            "service_fees.utilities",
        ],
    ),
    (3, ["payment_license", "hq_level", "cbec_settlement", "settled_on", "cbec_import_export"]),
    (2, ["served_zz_cbec_enterprises", "clearance_orders", "import_export"]),
    (10, ["store_area_m2", "opened_on", "cbec_retail_import", "import_export"]),
    (
        7,
        [
            "in_incubation_program",
            "requested",
            "competition_name",
            "competition_approved",
            "held_in_zhengzhou",
            "overseas_warehouse",
            "brand_activity",
        ],
    ),
]


def generate(path: Path, rows: int, seed: int = 15) -> None:
    rnd = random.Random(seed)
    fields = [f for f in table_fields(POLICY) if f not in ("uscc", "name", "district", "year")]
    weights = [w for w, _ in KINDS]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["uscc", "name", "district", "year", *fields])
        exclusion = fields.index("etrade_core_zone_policy")
        for i in range(rows):
            known = set(rnd.choices([k for _, k in KINDS], weights=weights)[0])
            facts = [
                value(f, table_fields(POLICY)[f], rnd) if f in known and rnd.random() < 0.9 else "" for f in fields
            ]
            facts[exclusion] = rnd.choices(["", "否", "是"], weights=[50, 45, 5])[0]
            year = "2026" if i % 1000 else "26"  # one row in a thousand is bad
            w.writerow(
                [complete(f"91410100MA{i:07d}"), f"郑州测试企业{i}有限公司", rnd.choice(DISTRICTS), year, *facts]
            )


def tree_rss(pid: int) -> int:
    """Resident memory (bytes) of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                parts = fh.read().rsplit(")", 1)[1].split()
            children.setdefault(int(parts[1]), []).append(int(entry))
            rss[int(entry)] = int(parts[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack += children.get(p, [])
    return total


def run(rows: int, work: Path) -> tuple[float, int, str]:
    table = work / f"table-{rows}.csv"
    generate(table, rows)
    out = work / f"out-{rows}"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "zzcbec_docs", "match", str(table), "--out", str(out), "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    peak = 0
    while True:  # wait4: the exit status and the CPU time of the command and the workers it reaped
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.05)
    seconds = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    report = proc.stdout.read().decode() if proc.stdout else ""
    if code not in (0, 1):
        raise SystemExit(f"match failed ({code}): {report}")
    cpu = usage.ru_utime + usage.ru_stime
    sizes = ", ".join(f"{p.name} {p.stat().st_size / 2**20:.0f} MiB" for p in sorted(out.glob("matches.*")))
    bundles = sum(1 for _ in (out / "bundles").iterdir())
    return (
        seconds,
        peak,
        f"CPU {cpu:.1f} s (user {usage.ru_utime:.1f}, sys {usage.ru_stime:.1f}); {sizes}, {bundles} bundles",
    )


def main(sizes: list[int]) -> None:
    print(
        f"zzcbec match TABLE.csv --jobs 2 on {os.cpu_count()} cores; load average before: "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} (other work on the machine slows the wall time)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for rows in sizes:
            seconds, peak, files = run(rows, Path(tmp))
            results.append((rows, seconds, peak))
            print(
                f"{rows:>7,} rows: {seconds:6.1f} s ({rows / seconds:,.0f} rows/s), peak RSS of the process tree "
                f"{peak / 2**20:,.0f} MiB; {files}"
            )
        rows, seconds, _ = results[-1]
        print(
            "CPU time / 2 cores is the least wall time on 2 otherwise idle cores; with other work on the machine "
            "the wall time above is longer"
        )
        verdict = "under" if seconds < 60 * rows / 100_000 else "OVER"
        print(f"target: 100,000 rows in under 60 s → {verdict} (scaled to {rows:,} rows)")
        if len(results) > 1:
            print(
                f"memory: peak {results[0][2] / 2**20:,.0f} MiB at {results[0][0]:,} rows, "
                f"{results[-1][2] / 2**20:,.0f} MiB at {results[-1][0]:,} rows"
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [20_000, 100_000])
