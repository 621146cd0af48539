"""Build and time the kernel prototypes behind the proposals in benchmarks/README.md.

    python -m benchmarks.proposals.run [n_events] [n_sessions]

Compiles scan_proto.pyx and shuffled_proto.pyx (-O3, OpenMP) into
benchmarks/.cache/proposals/, checks each prototype's answer against agentstats on the
same cached input, and prints ns/event next to agentstats, numba and the read floor.
These are measurements for the kernel owner, not part of the package or the tests.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.generate import CACHE_DIR, cached_log
from benchmarks.peers import IMPLS, assert_same, canonical

HERE = Path(__file__).parent
BUILD = CACHE_DIR / "proposals"


def build():
    from Cython.Build import cythonize
    from setuptools import Extension
    from setuptools.dist import Distribution

    BUILD.mkdir(parents=True, exist_ok=True)
    exts = [Extension("scan_proto", [str(HERE / "scan_proto.pyx")],
                      extra_compile_args=["-O3", "-fopenmp"], extra_link_args=["-fopenmp"]),
            Extension("shuffled_proto", [str(HERE / "shuffled_proto.pyx")], language="c++",
                      extra_compile_args=["-O3", "-fopenmp"], extra_link_args=["-fopenmp"]),
            Extension("strkeys_proto", [str(HERE / "strkeys_proto.pyx")],
                      extra_compile_args=["-O3"])]
    dist = Distribution({"ext_modules": cythonize(exts, build_dir=str(BUILD / "c"), quiet=True)})
    cmd = dist.get_command_obj("build_ext")
    cmd.build_lib, cmd.build_temp = str(BUILD), str(BUILD / "tmp")
    dist.run_command("build_ext")
    sys.path.insert(0, str(BUILD))
    return (importlib.import_module("scan_proto"), importlib.import_module("shuffled_proto"),
            importlib.import_module("strkeys_proto"))


def median(f, rounds=5):
    times, out = [], None
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return sorted(times)[rounds // 2], out


def _canon_hot(hot, base):
    # Hot columns: entry_time, last_time, acc[NR], acc[READY], acc[TALK], acc[WRAP], calls, first
    seen = np.flatnonzero(hot[:, 7] != 0)
    return canonical(seen + base, {"session_duration": hot[seen, 0] - hot[seen, 7],
                                   "total_talk_time": hot[seen, 4],
                                   "total_wrapup_time": hot[seen, 5],
                                   "number_of_calls": hot[seen, 6]})


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    n = int(float(argv[0])) if argv else 5_000_000
    k = int(float(argv[1])) if len(argv) > 1 else 200_000
    scan, shuf, strkeys = build()
    import agentstats
    import pandas as pd

    log = cached_log(n, k, "time", keys="str")
    ag, _ = median(lambda: agentstats.aggregate(log["session"], log["time"], log["state"],
                                                unit="ns", n_threads=1), 3)
    fz, _ = median(lambda: pd.factorize(log["session"]), 3)
    pp, (codes, uniques) = median(lambda: strkeys.factorize_by_pointer(log["session"]), 3)
    ref_codes, ref_uniques = pd.factorize(log["session"])
    assert np.array_equal(codes, ref_codes) and list(uniques) == list(ref_uniques)
    print(f"\nstring keys, time-ordered, {n:,} events, {k:,} sessions")
    for name, s in [("agentstats 1 thread (whole call)", ag), ("pd.factorize(object keys)", fz),
                    ("proto factorise by pointer, then by value", pp)]:
        print(f"  {name:70s} {s * 1e3:9.1f} ms {s / n * 1e9:7.2f} ns/event")
    del log

    for layout in ("time", "grouped", "shuffled"):
        log = cached_log(n, k, layout)
        codes, t, st = log["session"], log["time"], log["state"]
        base = int(codes.min())
        slots = int(codes.max()) - base + 1
        rd, _ = median(lambda: IMPLS["read"].run(log), 7)
        ag, table = median(lambda: agentstats.aggregate(codes, t, st, unit="ns", n_threads=1))
        ag2, _ = median(lambda: agentstats.aggregate(codes, t, st, unit="ns", n_threads=2))
        expected = IMPLS["agentstats"].canon(table)
        nb_impl = IMPLS["numba" if layout != "shuffled" else "numba-sorted"]
        nb, _ = median(lambda: nb_impl.run(nb_impl.prepare(log)), 3)
        rows = [("read", rd), ("agentstats 1 thread", ag), ("agentstats 2 threads", ag2),
                (nb_impl.name, nb)]
        if layout != "shuffled":
            for branchy in (1, 0):
                for dist in (0, 32):
                    s, (status, hot, _c) = median(lambda: scan.scan(
                        codes, base, t, st, n_slots=slots, dist=dist, branchy=branchy))
                    assert status == 0
                    assert_same(_canon_hot(hot, base), expected, "scan_proto")
                    label = ("branchy" if branchy else "branch-free") + f", prefetch {dist}"
                    rows.append((f"proto scan ({label})", s))
            s, _ = median(lambda: scan.scan2(codes, base, t, st, n_slots=slots, dist=32))
            rows.append(("proto scan, 2 threads on row halves (merge not timed)", s))
        if layout == "grouped":
            s, (status, hot) = median(lambda: scan.runs(codes, base, t, st, n_slots=slots))
            assert status == 0
            assert_same(_canon_hot(hot, base), expected, "runs")
            rows.append(("proto run loop (grouped)", s))
        if layout == "shuffled":
            for threads in (1, 2):
                s, out = median(lambda: shuf.run(codes, base, t, st, slots, threads), 3)
                got = canonical(np.arange(slots) + base, dict(zip(
                    ["session_duration", "total_talk_time", "total_wrapup_time",
                     "number_of_calls"], out.T)))
                assert_same(got, expected, "shuffled_proto")
                rows.append((f"proto value scatter + packed sort, {threads} thread(s) "
                             f"(scatter {shuf.T_SCATTER * 1e3:.0f} ms)", s))
        print(f"\n{layout}, {n:,} events, {k:,} sessions")
        for name, s in rows:
            print(f"  {name:70s} {s * 1e3:9.1f} ms {s / n * 1e9:7.2f} ns/event {s / rd:7.1f}x read")
    return 0


if __name__ == "__main__":
    sys.exit(main())
