"""One aggregate() call on a cached grid shape, for instruction counts under callgrind.

The call runs inside ``sorted()``'s key function, so that
``--toggle-collect=builtin_sorted`` counts exactly that call (the loading of the
cached input and a warm-up call before it are left out); one thread, so that the
count does not depend on the machine's load::

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=builtin_sorted \\
        python benchmarks/grid_callgrind.py 1Mx20-int64-ms-wait [ROWS]

ROWS keeps only the first rows of the shape's log. Run from the repository root with
``PYTHONPATH=src`` (and ``AGENTSTATS_BENCH_CACHE`` where the grid's inputs are cached).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import agentstats  # noqa: E402
from benchmarks.grid import DESIGN, all_shapes, cached_grid_log  # noqa: E402


def main(name: str, rows: int | None = None) -> None:
    shape = next(s for s in (*DESIGN, *all_shapes()) if s.name == name)
    log = cached_grid_log(shape)
    if rows:
        log = {k: v[:rows].copy() for k, v in log.items()}

    def call(_: object = None) -> int:
        agentstats.aggregate(log["session"], log["time"], log["state"], wait=log.get("wait"),
                             unit=shape.ticks, n_threads=1)
        return 0

    call()                      # imports, the kept session states
    sorted([0], key=call)       # the counted call


if __name__ == "__main__":
    main(sys.argv[1], int(float(sys.argv[2])) if len(sys.argv) > 2 else None)
