"""Target 6: memory beyond the input (opt-in: AGENTSTATS_BENCH_MEMORY=1).

Each case runs ``python -m benchmarks.memory`` in a fresh process (peak RSS needs a
process of its own) and stores its JSON in the benchmark's extra_info, so that
report.py finds the memory figures in the same JSON file as the timings.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.conftest import N_EVENTS, N_SESSIONS, env_int

pytestmark = pytest.mark.skipif(os.environ.get("AGENTSTATS_BENCH_MEMORY", "") in ("", "0"),
                                reason="memory runs are opt-in: AGENTSTATS_BENCH_MEMORY=1")
BIG = env_int("AGENTSTATS_BENCH_MEMORY_EVENTS", 200_000_000)
# The shuffled path at two sizes: the slope between them is its cost per event, the
# per-session arrays (counts, offsets, states) cancelling out (report.py).
CASES = [(BIG, "time", 1), (N_EVENTS, "time", 1), (N_EVENTS, "grouped", 1),
         (N_EVENTS, "shuffled", 1), (N_EVENTS, "shuffled", 2),
         (2 * N_EVENTS, "shuffled", 1), (2 * N_EVENTS, "shuffled", 2)]


@pytest.mark.parametrize(("n_events", "layout", "threads"), CASES,
                         ids=[f"{n}-{l}-{t}t" for n, l, t in CASES])
def test_memory(benchmark, n_events, layout, threads):
    pytest.importorskip("agentstats._kernel", reason="agentstats kernel not built")
    root = Path(__file__).resolve().parents[1]
    cmd = [sys.executable, "-m", "benchmarks.memory", "--events", str(n_events),
           "--sessions", str(N_SESSIONS), "--layout", layout, "--threads", str(threads)]
    result = {}

    def once():
        out = subprocess.run(cmd, cwd=root, check=True, capture_output=True, text=True)
        result.update(json.loads(out.stdout.strip().splitlines()[-1]))

    benchmark.group = "6-memory"
    benchmark.pedantic(once, rounds=1, iterations=1)
    benchmark.extra_info.update(result, impl="agentstats" if threads == 1 else "agentstats-2t",
                                kind="memory", scenario="6-memory", keys="int")
    assert result["extra_bytes"] < 2 * result["input_bytes"]  # sanity only; report.py judges
