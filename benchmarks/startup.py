"""Start-up of the command line: `import agentstats` and `agentstats report` of a small
queue_log on the screen (default view, --by agent, --by queue), in fresh interpreters.

    python benchmarks/startup.py LOG [--runs 7] [--before OTHER_SRC]

LOG: a small queue_log (e.g. `head -100` of a real one). Each command runs in a new
process with `src/` of this checkout first on the path (and, with --before, with another
tree's src/ as well, the two alternated run by run, so that both see the same load).
The .pyc files are written and warmed first, as an installed package has them. Prints
the median of the runs of each command and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")


def commands(log: str) -> dict[str, list[str]]:
    return {
        "python -c pass": ["-c", "pass"],
        "import numpy, rich.console, rich.table": ["-c", "import numpy, rich.console, rich.table"],
        "import agentstats": ["-c", "import agentstats"],
        "agentstats report LOG": ["-m", "agentstats", "report", log],
        "agentstats report LOG --by agent": ["-m", "agentstats", "report", log, "--by", "agent"],
        "agentstats report LOG --by queue": ["-m", "agentstats", "report", log, "--by", "queue"],
    }


def _environment(src: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=src)
    env.pop("PYTHONDONTWRITEBYTECODE", None)      # an installed package has its .pyc
    return env


def _run(args: list[str], src: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, *args], env=_environment(src), capture_output=True, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--before", metavar="OTHER_SRC", help="another tree's src/ to compare with")
    options = parser.parse_args()
    trees = {"now": SRC} if options.before is None else {"before": options.before, "now": SRC}
    todo = commands(options.log)
    for src in trees.values():          # warm the .pyc
        for args in todo.values():
            _run(args, src)
    times: dict[tuple[str, str], list[float]] = {(t, c): [] for t in trees for c in todo}
    load = os.getloadavg()
    for _ in range(options.runs):
        for name, args in todo.items():
            for tree, src in trees.items():
                times[tree, name].append(_run(args, src))
    print(f"load average {load[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; "
          f"medians of {options.runs} runs")
    print("| command | " + " | ".join(trees) + " |")
    print("|---|" + "---:|" * len(trees))
    for name in todo:
        cells = " | ".join(f"{statistics.median(times[tree, name]):.3f} s" for tree in trees)
        print(f"| `{name}` | {cells} |")


if __name__ == "__main__":
    main()
