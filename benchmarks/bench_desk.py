"""The desk under load, on the loopback only, and bounded: 8 enterprise clients submit 40 bundles
over the JSON API at once, a reviewer approves them, 2 bureau officers award them at once, then the
notices are downloaded (the first time, and warm). Counts the 5xx answers (there must be none) and
prints p50/p95 of each step. Targets on 2 cores: submission p95 < 300 ms; warm notice PDF p95 < 150 ms.

    .venv/bin/python benchmarks/bench_desk.py [--ledger postgresql://root@127.0.0.1/test] [--workers 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zzcbec_docs.bundle.uscc import complete  # noqa: E402

PASSWORD = "bench-desk-password"


def bundle(i: int, k: int) -> dict:
    return {
        "schema_version": "1.0",
        "year": 2026,
        "applicant": {
            "name": f"压测企业{i}有限公司",
            "uscc": complete(f"91410100MA{9100 + i:07d}"),
            "district": "金水区",
            "etrade_core_zone_policy": False,
            "address": "郑州市金水区测试路1号",
            "legal_representative": "张某",
            "contact": {"name": "赵某", "phone": "0371-12345678"},
            "bank": {"name": "中国银行郑州分行", "account": "6217000000000000001"},
        },
        # each bundle its own content; together an applicant's five stay under clause 1's cap of 50万
        "claims": [{"clause": 1, "facts": {"import_export": "12000000", "promotion_costs": f"{50000 + 1000 * k}"}}],
    }


def beijing_today() -> dt.date:
    """The desk dates a review today; an award is not dated before the review that approves it."""
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] * 1000 if xs else float("nan")


def line(label: str, xs: list[float], target: float | None = None) -> str:
    verdict = "met" if target is not None and pct(xs, 95) < target else "MISSED"
    mark = "" if target is None else f"  (target < {target:.0f} ms: {verdict})"
    return f"{label:32} n={len(xs):3}  p50 {pct(xs, 50):7.1f} ms  p95 {pct(xs, 95):7.1f} ms{mark}"


class Timed:
    def __init__(self) -> None:
        self.errors_5xx = 0
        self.other = 0
        self.lock = threading.Lock()

    def call(self, client: httpx.Client, method: str, path: str, into: list[float], ok: tuple[int, ...], **kw):
        t0 = time.perf_counter()
        r = client.request(method, path, **kw)
        dt = time.perf_counter() - t0
        with self.lock:
            into.append(dt)
            if r.status_code >= 500:
                self.errors_5xx += 1
            elif r.status_code not in ok:
                self.other += 1
                print(f"  unexpected {r.status_code} on {method} {path}: {r.text[:200]}", file=sys.stderr)
        return r


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ledger", default=None, help="default: a fresh SQLite file in a temporary folder")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--per-client", type=int, default=5)
    ap.add_argument(
        "--date",
        default=None,
        help="the awards' date (YYYY-MM-DD); default: today in Beijing, never before the reviews made today",
    )
    args = ap.parse_args()
    award_date = args.date or beijing_today().isoformat()
    tmp = tempfile.mkdtemp(prefix="bench-desk-")
    url = args.ledger or str(Path(tmp) / "ledger.db")
    zz = [sys.executable, "-m", "zzcbec_docs"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    users = [
        (f"bench-ent-{i}", ["--role", "enterprise", "--uscc", complete(f"91410100MA{9100 + i:07d}")])
        for i in range(args.clients)
    ]
    users += [
        ("bench-rev", ["--role", "reviewer", "--district", "金水区"]),
        ("bench-bureau-1", ["--role", "bureau"]),
        ("bench-bureau-2", ["--role", "bureau"]),
    ]
    print(f"accounts: {len(users)} on {url}")
    for name, extra in users:
        subprocess.run(
            [*zz, "users", "add", name, *extra, "--password-stdin", "--ledger", url],
            input=PASSWORD.encode(),
            env=env,
            check=True,
            capture_output=True,
        )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*zz, "serve", "--ledger", url, "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        timed = Timed()

        def client(name: str) -> httpx.Client:
            c = httpx.Client(base_url=base, timeout=120)
            r = c.post("/api/login", json={"username": name, "password": PASSWORD})
            r.raise_for_status()
            return c

        # 1. 8 clients submit 40 bundles at once
        submits: list[float] = []
        ids: list[str] = []

        def enterprise(i: int) -> None:
            c = client(f"bench-ent-{i}")
            for k in range(args.per_client):
                r = timed.call(c, "POST", "/api/cases", submits, (201,), json=bundle(i, k))
                if r.status_code == 201:
                    with timed.lock:
                        ids.append(r.json()["id"])
            c.close()

        t0 = time.perf_counter()
        threads = [threading.Thread(target=enterprise, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        print(line("submission (JSON API)", submits, 300) + f"   [{len(submits)} in {wall:.1f} s]")

        # 2. the reviewer approves every case
        reviews: list[float] = []
        rev = client("bench-rev")
        for case_id in ids:
            timed.call(rev, "POST", f"/api/cases/{case_id}/reviews", reviews, (201,), json={"conclusion": "approve"})
        print(line("review", reviews))

        # 3. two officers award at once
        awards: list[float] = []

        def officer(n: int) -> None:
            c = client(f"bench-bureau-{n + 1}")
            for case_id in ids[n::2]:
                timed.call(c, "POST", f"/api/cases/{case_id}/award", awards, (201,), json={"date": award_date})
            c.close()

        threads = [threading.Thread(target=officer, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(line("award (2 officers at once)", awards))

        # 4. the notices: first download (made), then warm
        cold: list[float] = []
        warm: list[float] = []
        ent = {i: client(f"bench-ent-{i}") for i in range(args.clients)}
        owner = {}
        for c in ent.values():
            for row in c.get("/api/cases").json():
                owner[row["id"]] = c
        sample = ids[: min(len(ids), 16)]
        for case_id in sample:
            timed.call(owner[case_id], "GET", f"/api/cases/{case_id}/documents/notice.pdf", cold, (200,))
        for _ in range(3):
            for case_id in sample:
                timed.call(owner[case_id], "GET", f"/api/cases/{case_id}/documents/notice.pdf", warm, (200,))
        print(line("notice PDF, first download", cold))
        print(line("notice PDF, warm", warm, 150))
        print(f"5xx answers: {timed.errors_5xx}; other unexpected answers: {timed.other}")
        return 1 if timed.errors_5xx or timed.other else 0
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    sys.exit(main())
