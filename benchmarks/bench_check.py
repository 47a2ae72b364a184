"""In-process validation + rules throughput (issue 2 target: ≥ 2,000 bundles/s on one core).

Reads every valid sample once, then parses, validates and decides them from their bytes in a
loop, as `zzcbec check` does per file (file reading excluded). Prints its figures.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zzcbec_docs.bundle import parse_bundle  # noqa: E402
from zzcbec_docs.policy import load_policy  # noqa: E402
from zzcbec_docs.rules import decide  # noqa: E402


def main(rounds: int = 5, per_round: int = 2000) -> None:
    policy = load_policy()
    inputs = [(p.name, p.read_bytes()) for p in sorted((ROOT / "samples").glob("*.yaml"))]
    json_inputs = []
    import json

    for name, raw in inputs:  # the same bundles as JSON, which scripts and web forms send
        b = parse_bundle(raw, name, policy=load_policy()).raw
        json_inputs.append((name + ".json", json.dumps(b, ensure_ascii=False, default=str).encode()))
    for label, batch in (("YAML", inputs), ("JSON", json_inputs)):
        rates = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            for i in range(per_round):
                name, raw = batch[i % len(batch)]
                decide(parse_bundle(raw, name, policy=load_policy()), policy)
            rates.append(per_round / (time.perf_counter() - t0))
        print(
            f"{label}: {statistics.median(rates):,.0f} bundles/s (median of {rounds} rounds of {per_round}; "
            f"min {min(rates):,.0f}, max {max(rates):,.0f}) over {len(batch)} distinct bundles"
        )


if __name__ == "__main__":
    main()
