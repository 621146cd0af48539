"""The agent timeline beside `aggregate`, two builds alternated in separate processes.

    python benchmarks/agents_ab.py [--events 50000000] [--rounds 3] [--repeats 3] [--before OTHER_SRC]

Each process loads the benchmark's time-ordered log (`test_bench_agents.agent_log`:
20k agents x 3 queues, cached under benchmarks/.cache), then times `aggregate`,
`agent_stats(..., sessions=False)` on the default threads and on one thread, `--rounds`
times each, and prints the medians and the ratio agent_stats / aggregate of that
process (a ratio inside one process is what survives other jobs on the machine). With
`--before`, a process with another tree's `src/` first on the path alternates with one
of this checkout, `--repeats` times each, so that both see the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = str(HERE.parent / "src")

_CHILD = r"""
import json, statistics, sys, time
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import agentstats
from test_bench_agents import N_AGENTS, N_QUEUES, agent_log
log = agent_log(int(sys.argv[3]), N_AGENTS, N_QUEUES)
times = {"aggregate": [], "agent_stats": [], "agent_stats_1_thread": []}
for _ in range(int(sys.argv[4])):
    for name, call in (
            ("aggregate", lambda: agentstats.aggregate(log["session"], log["time"], log["state"], unit="ns")),
            ("agent_stats", lambda: agentstats.agent_stats(
                log["session"], log["time"], log["state"], agent=log["agent"], unit="ns", sessions=False)),
            ("agent_stats_1_thread", lambda: agentstats.agent_stats(
                log["session"], log["time"], log["state"], agent=log["agent"], unit="ns", sessions=False,
                n_threads=1))):
        start = time.perf_counter()
        call()
        times[name].append(time.perf_counter() - start)
print(json.dumps({"src": agentstats.__file__, **{k: statistics.median(v) for k, v in times.items()}}))
"""


def run(src: str, events: int, rounds: int) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, src, str(HERE), str(events), str(rounds)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--before", metavar="OTHER_SRC", help="another tree's src/ to alternate with")
    args = parser.parse_args(argv)
    trees = [("before", args.before), ("this", SRC)] if args.before else [("this", SRC)]
    for _ in range(args.repeats):
        for label, src in trees:
            r = run(src, args.events, args.rounds)
            print(f"{label:6} load {os.getloadavg()[0]:.1f}  aggregate {1e3 * r['aggregate']:7.1f} ms  "
                  f"agent_stats {1e3 * r['agent_stats']:7.1f} ms ({r['agent_stats'] / r['aggregate']:.2f}x)  "
                  f"one thread {1e3 * r['agent_stats_1_thread']:7.1f} ms", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
