"""One grid shape, two builds alternated in separate processes.

    python benchmarks/grid_ab.py SHAPE --before OTHER_SRC [--calls 7] [--pairs 3] [--threads 1]

Each process loads the cached shape (grid.py), makes two warm-up calls, then times
`--calls` calls of `aggregate(..., n_threads=THREADS)` ("auto": the default), reading
the columns' sums before each, and prints the medians of both and the 1-min load
average. A process with the `--before` tree's `src/` first on the path alternates with
one of this checkout, `--pairs` times, so that both see the same load.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = str(HERE.parent / "src")

_CHILD = r"""
import os, statistics, sys, time
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import agentstats
from benchmarks.grid import DESIGN, all_shapes, cached_grid_log
shape = next(s for s in (*DESIGN, *all_shapes()) if s.name == sys.argv[3])
threads = None if sys.argv[5] == "auto" else int(sys.argv[5])
log = cached_grid_log(shape)
call = lambda: agentstats.aggregate(log["session"], log["time"], log["state"], wait=log.get("wait"),
                                    unit=shape.ticks, n_threads=threads)
read = lambda: tuple(int(v.sum()) for v in log.values())
call(); call()
calls, reads = [], []
for _ in range(int(sys.argv[4])):
    t0 = time.perf_counter(); read(); reads.append(time.perf_counter() - t0)
    t0 = time.perf_counter(); call(); calls.append(time.perf_counter() - t0)
print(f"call {1e3 * statistics.median(calls):.2f} ms, read {1e3 * statistics.median(reads):.2f} ms, "
      f"load {os.getloadavg()[0]:.2f}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shape")
    parser.add_argument("--before", required=True, help="the other tree's src/ directory")
    parser.add_argument("--calls", type=int, default=7)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--threads", default="1")
    args = parser.parse_args()
    for pair in range(args.pairs):
        for label, src in (("before", args.before), ("after", SRC)):
            out = subprocess.run([sys.executable, "-c", _CHILD, src, str(HERE.parent), args.shape,
                                  str(args.calls), args.threads],
                                 check=True, capture_output=True, text=True, env=dict(os.environ))
            print(f"{args.shape} pair {pair + 1} {label:6}: {out.stdout.strip()}", flush=True)


if __name__ == "__main__":
    main()
