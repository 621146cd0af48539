"""The alias-inference pass of a queue_log import alone: infer_aliases with the compiled
reader (engine="cython") against its plain-Python twin (engine="python"), in alternated
rounds in one process, beside reading the blocks alone (the reading layer both use).

    python -m agentstats.demo --agents 1000 --days 30 --dirty -o /tmp/qlog/queue_log
    python benchmarks/alias_speed.py /tmp/qlog/queue_log --rounds 3

Prints wall and process CPU time per round and the medians; both engines must give the
same aliases and messages (checked every round).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from agentstats.io.lines import LineReader, LogSource
from agentstats.io.queue_log import _BLOCK_BYTES, infer_aliases


def read_only(path: Path) -> None:
    for _block in LineReader(LogSource(path), _BLOCK_BYTES).byte_blocks():
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    runs: dict[str, list[tuple[float, float]]] = {"read the blocks": [], "cython": [], "python": []}
    answers = {}
    print(f"load before: {os.getloadavg()}")
    for round_number in range(args.rounds):
        for label in runs:
            wall, cpu = time.perf_counter(), time.process_time()
            if label == "read the blocks":
                read_only(args.log)
            else:
                answers[label] = infer_aliases([args.log], engine=label)
            runs[label].append((time.perf_counter() - wall, time.process_time() - cpu))
            print(f"round {round_number + 1} {label}: {runs[label][-1][0]:.3f} s wall, {runs[label][-1][1]:.3f} s CPU")
        assert answers["cython"] == answers["python"], "the engines differ"
    print(f"load after: {os.getloadavg()}; {len(answers['cython'][0])} aliases inferred")
    for label, times in runs.items():
        wall = statistics.median(t[0] for t in times)
        cpu = statistics.median(t[1] for t in times)
        print(f"median {label}: {wall:.3f} s wall, {cpu:.3f} s CPU")
    python_wall = statistics.median(t[0] for t in runs["python"])
    cython_wall = statistics.median(t[0] for t in runs["cython"])
    print(f"python / cython (wall): {python_wall / cython_wall:.2f}x")


if __name__ == "__main__":
    main()
