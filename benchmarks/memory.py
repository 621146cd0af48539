"""Peak memory of one agentstats.aggregate call, measured in a fresh process.

    python -m benchmarks.memory --events 200e6 --sessions 200e3 --layout time

The input is generated (in a child process, so its temporaries do not count) and cached
first; then this process loads it, resets the kernel's peak-RSS counter (VmHWM, via
/proc/self/clear_refs) and calls aggregate once. "extra" is the peak RSS during the
call minus the RSS before it (input loaded, agentstats imported): the memory the
aggregation needs beyond its input. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def measure(n_events: int, n_sessions: int, layout: str, n_threads: int) -> dict:
    from benchmarks.generate import cache_path, cached_log

    if not (cache_path(n_events, n_sessions, layout) / "state.npy").exists():
        subprocess.run([sys.executable, "-m", "benchmarks.generate", str(n_events),
                        str(n_sessions), layout], check=True, stdout=subprocess.DEVNULL)
    import agentstats
    import pandas  # noqa: F401  (imported by the result; keep it out of "extra")

    log = cached_log(n_events, n_sessions, layout)
    input_bytes = sum(a.nbytes for a in log.values())
    gc.collect()
    before = _status_kb("VmRSS") * 1024
    exact = _reset_peak()
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0 = time.perf_counter()
    table = agentstats.aggregate(log["session"], log["time"], log["state"], unit="ns",
                                 n_threads=n_threads)
    seconds = time.perf_counter() - t0
    if exact:
        peak = _status_kb("VmHWM") * 1024
    else:  # no clear_refs: ru_maxrss also covers loading the input (an upper bound)
        peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, maxrss_before)
    assert len(table) == n_sessions and table.diagnostics["used"] == n_events
    extra = peak - before
    return {"n_events": n_events, "n_sessions": n_sessions, "layout": layout,
            "n_threads": n_threads, "input_bytes": input_bytes, "rss_before": before,
            "peak_rss": peak, "extra_bytes": extra, "extra_bytes_per_event": extra / n_events,
            "extra_bytes_per_session": extra / n_sessions, "seconds": seconds,
            "peak_exact": exact}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=float, required=True)
    p.add_argument("--sessions", type=float, default=200_000)
    p.add_argument("--layout", default="time", choices=["time", "grouped", "shuffled"])
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    print(json.dumps(measure(int(a.events), int(a.sessions), a.layout, a.threads)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
