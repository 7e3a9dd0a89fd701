"""Run every ``benchmarks/*_bench.py`` in turn with the same size flags.

    python benchmarks/run_all.py            # full size (each benchmark's defaults)
    python benchmarks/run_all.py --small    # tiny sizes, as CI runs them (make bench-smoke)

Every benchmarks/*_bench.py is picked up (import_bench, drilldown_bench, stats_bench).

Arguments are passed to every benchmark unchanged, so they share flag conventions (``--small``).
Each runs in its own process (each sets up Django on its own scratch database). The exit code is
non-zero when any benchmark fails.
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    failed = []
    for script in sorted(HERE.glob("*_bench.py")):
        print(f"=== {script.name} {' '.join(argv)}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script), *argv], cwd=HERE.parent)
        print(f"=== {script.name}: exit {code} after {time.perf_counter() - started:.0f} s", flush=True)
        if code:
            failed.append(script.name)
    if failed:
        print("failed:", ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
