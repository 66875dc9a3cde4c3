"""Run every benchmark in turn: `make bench` (BENCH_QUICK=1 for a short run).

Each benchmark prints ratios measured side by side within its own run. A benchmark that fails
is reported and the others still run; the exit status is always 0, since timings inform and
never gate.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n===== {script.name} =====", flush=True)
        result = subprocess.run([sys.executable, str(script)], check=False)
        if result.returncode:
            print(f"{script.name} failed with exit status {result.returncode}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
