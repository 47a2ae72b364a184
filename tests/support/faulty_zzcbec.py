"""Test only: the CLI with the award's fault hook set from ZZCBEC_FAULT=point[:seconds].

At that point the award pauses (default 60 s) after printing "paused", so that a test can kill
the process there or make a second desk race this one. Production code reads no such variable.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from zzcbec_docs.cli.main import main  # noqa: E402
from zzcbec_docs.process import awarding  # noqa: E402


def pause(point: str) -> None:
    wanted, _, seconds = os.environ.get("ZZCBEC_FAULT", "").partition(":")
    if point == wanted:
        print(f"zzcbec: paused at {point}", flush=True)
        time.sleep(float(seconds or 60))


if __name__ == "__main__":
    awarding.fault_hook = pause
    sys.exit(main())
