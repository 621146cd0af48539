"""Turn pytest-benchmark JSON into the issue-3 target table and the scaling plot.

    python benchmarks/report.py results/bench.json [more.json ...] \
        --markdown benchmarks/results/latest.md --plot benchmarks/scaling.png

Every ratio is taken between medians measured in the same run (the same JSON file
for one scenario), as PERF-NOTES asks: these VMs are noisy. Target 5 (two threads
against one) is read from test_bench_threads.py, whose one- and two-thread calls are
timed in alternated pairs (pooled over its runs), with the layout groups' ratio of
blocks of rounds and the machine's own two-thread ratios beside. A target is judged on
agentstats as a user runs it -- n_threads=None, every core (2 here), as polars and
DuckDB use them -- and every row also gives the one-thread figure and says when that
alone would miss.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

PEERS_1 = ("pandas", "polars", "polars-trusted", "duckdb")
GRID_PEERS = ("polars-trusted", "polars", "duckdb", "pandas")
PEERS_3 = ("pandas", "polars", "duckdb", "numpy", "numba-sorted")
GIB = 1024**3


def load(paths):
    """-> list of dicts: impl, scenario, layout, keys, n_events, n_sessions, median, ..."""
    rows, machine = [], None
    for p in paths:
        data = json.loads(Path(p).read_text())
        machine = machine or dict(data.get("machine_info") or {})
        c = data.get("commit_info") or {}
        if c.get("id"):
            machine.setdefault("commits", []).append(
                f"{Path(p).name}: commit {c['id'][:7]}{' (dirty tree)' if c.get('dirty') else ''}"
                f", {data.get('datetime', '')[:16]} UTC")
        for b in data["benchmarks"]:
            info = dict(b.get("extra_info") or {})
            if "impl" not in info:
                continue
            info["median"] = b["stats"]["median"]
            info["rounds"] = b["stats"]["rounds"]
            info["group"] = b.get("group")
            rows.append(info)
    return rows, machine


#: rows that are not one timed call (their own tables): memory, alternated pairs, ceilings
NOT_TIMED = {"memory", "pairs", "ceiling", "agent-pairs"}
LAYOUT_SCENARIO = {"time": "1-time-ordered", "grouped": "2-grouped", "shuffled": "3-shuffled"}


def medians(rows):
    """(scenario, impl) -> median seconds (if a case ran twice, the median of medians)."""
    acc = defaultdict(list)
    for r in rows:
        # (the agent timeline's rows have a group, not a scenario: agents_table)
        if r.get("kind") not in NOT_TIMED and "scenario" in r:
            acc[r["scenario"], r["impl"]].append(r["median"])
    return {k: statistics.median(v) for k, v in acc.items()}


def pair_rows(rows):
    """-> ({scenario: pooled agentstats pairs}, {what: pooled machine ceiling}) from
    test_bench_threads.py. run-report.sh runs it twice (first and last), so that one bad
    minute of the host does not decide target 5: the pairs of every run are pooled (one
    median over all pair ratios) and each run's own median is kept beside."""
    def pool(group):
        ratios = [x for r in group for x in r["pair_ratios"]]
        return {"pair_ratios": ratios, "median_pair_ratio": statistics.median(ratios),
                "one_thread_s": [x for r in group for x in r["one_thread_s"]],
                "two_threads_s": [x for r in group for x in r["two_threads_s"]],
                "run_medians": [r["median_pair_ratio"] for r in group],
                "n_events": group[0].get("n_events")}
    pairs, ceilings = defaultdict(list), defaultdict(list)
    for r in rows:
        if r.get("kind") == "pairs":
            pairs[LAYOUT_SCENARIO[r["layout"]]].append(r)
        elif r.get("kind") == "ceiling":
            ceilings[r["what"]].append(r)
    return ({k: pool(v) for k, v in pairs.items()}, {k: pool(v) for k, v in ceilings.items()})


def _runs(r, label: str) -> str:
    """'; <label> 1.84x, 1.65x': each run's median, when the pairs were pooled from several."""
    medians_ = r["run_medians"]
    return f"; {label} " + ", ".join(f"{x:.2f}x" for x in medians_) if len(medians_) > 1 else ""


def _ratio_range(r) -> str:
    lo, hi = min(r["pair_ratios"]), max(r["pair_ratios"])
    return f"{r['median_pair_ratio']:.2f}x (pairs {lo:.2f}-{hi:.2f}x{_runs(r, 'runs')})"


def _fmt_s(x):
    return f"{x * 1e3:.1f} ms" if x < 1 else f"{x:.2f} s"


def _events(rows, scenario):
    for r in rows:
        if r.get("scenario") == scenario:
            return r["n_events"], r["n_sessions"]
    return None, None


def targets(rows):
    """The issue-3 targets: list of (target, measured, met) strings."""
    m = medians(rows)
    out = []

    def get(s, i):
        return m.get((s, i))

    def fastest(s, names):
        have = [(m[s, n], n) for n in names if (s, n) in m]
        return min(have) if have else (None, None)

    def row(target, value, ok, detail=""):
        met = "n/a" if ok is None else ("**yes**" if ok else "**NO**")
        out.append((target, value + (f" ({detail})" if detail else ""), met))

    def one_thread(ratio, ok):
        return f"1 thread: {ratio:.2f}x{'' if ok else ', not met'}"

    def slower(target, s, peers, bound, also=()):
        """Target: the fastest of `peers` takes >= bound x agentstats' time, judged on
        agentstats as a user runs it (n_threads=None: every core, 2 here, as polars and
        DuckDB use them), with the one-thread figure beside."""
        a, a1 = get(s, "agentstats-2t") or get(s, "agentstats"), get(s, "agentstats")
        t, who = fastest(s, peers)
        if not (a and t):
            return
        detail = [one_thread(t / a1, t / a1 >= bound)] if a1 else []
        t_also, who_also = fastest(s, also)
        if t_also:
            detail.append(f"fastest of {'/'.join(also)}: {who_also}, {t_also / a:.2f}x")
        row(target, f"{t / a:.2f}x vs {who}", t / a >= bound, "; ".join(detail))

    def near_read(target, s, bound):
        """Target: agentstats (default threads) within bound x the time to read the input."""
        a, a1, rd = get(s, "agentstats-2t") or get(s, "agentstats"), get(s, "agentstats"), get(s, "read")
        if not (a and rd):
            return
        detail = f"agentstats {_fmt_s(a)}, read {_fmt_s(rd)}"
        if a1:
            detail += "; " + one_thread(a1 / rd, a1 / rd <= bound)
        row(target, f"{a / rd:.2f}x", a / rd <= bound, detail)

    slower("1a time-ordered: fastest of pandas/polars/DuckDB >= 20x slower", "1-time-ordered",
           PEERS_1, 20)
    slower("1b time-ordered: numba loop (1 thread) >= 2x slower", "1-time-ordered", ("numba",), 2)
    near_read("1c time-ordered: within 6x of reading the input once", "1-time-ordered", 6)
    near_read("2 grouped: within 2.5x of reading the input once", "2-grouped", 2.5)
    slower("3 shuffled: fastest peer >= 10x slower", "3-shuffled", PEERS_3, 10)
    slower("4 string keys (factorisation included): pandas >= 10x slower", "4-string-keys",
           ("pandas",), 10, also=PEERS_1)
    # Target 5 is read from the alternated pairs when the run has them (the ratio of two
    # blocks of rounds moves with the host meanwhile), the blocks given beside.
    pairs, ceilings = pair_rows(rows)
    machine = ", ".join(f"{label} {ceilings[w]['median_pair_ratio']:.2f}x"
                        for w, label in (("stream", "streaming reads"), ("lines", "random lines"),
                                         ("alu", "arithmetic")) if w in ceilings)
    for s in ("1-time-ordered", "2-grouped", "3-shuffled"):
        a1, a2 = get(s, "agentstats"), get(s, "agentstats-2t")
        blocks = f"{a1 / a2:.2f}x" if a1 and a2 else None
        target = f"5 two threads >= 1.6x one thread, {s}"
        if s in pairs:
            r = pairs[s]
            detail = [f"median of {len(r['pair_ratios'])} alternated pairs, "
                      f"{min(r['pair_ratios']):.2f}-{max(r['pair_ratios']):.2f}x"
                      + _runs(r, "each run:")]
            if blocks:
                detail.append(f"separate blocks of rounds: {blocks}")
            if machine:
                detail.append(f"the machine itself in the same run: {machine}")
            detail.append("results identical (asserted)")
            row(target, f"{r['median_pair_ratio']:.2f}x", r["median_pair_ratio"] >= 1.6,
                "; ".join(detail))
        elif blocks:
            row(target, blocks, a1 / a2 >= 1.6, "separate blocks of rounds; results identical (asserted)")
    mem = [r for r in rows if r.get("kind") == "memory"]
    for r in sorted(mem, key=lambda r: (r["layout"], r["n_events"], r["n_threads"])):
        label = (f"6 memory beyond input, {r['layout']}, {r['n_events'] / 1e6:.0f}M events, "
                 f"{r['n_threads']} thread(s)")
        detail = (f"{r['extra_bytes'] / 2**20:.0f} MiB extra = {r['extra_bytes_per_event']:.2f} B/event"
                  f" = {r['extra_bytes_per_session']:.0f} B/session; peak RSS "
                  f"{r['peak_rss'] / GIB:.2f} GiB for {r['input_bytes'] / GIB:.2f} GiB input; "
                  f"{r['seconds']:.2f} s")
        if r["layout"] == "shuffled":
            # the per-event part: the slope to the same case at other sizes (the
            # O(sessions) part cancels out); failing that, the extra beyond what the
            # time-ordered path needs for the same sessions
            larger = [q for q in mem if q["layout"] == "shuffled" and q["n_events"] > r["n_events"]
                      and (q["n_sessions"], q["n_threads"]) == (r["n_sessions"], r["n_threads"])]
            smaller = [q for q in mem if q["layout"] == "shuffled" and q["n_events"] < r["n_events"]
                       and (q["n_sessions"], q["n_threads"]) == (r["n_sessions"], r["n_threads"])]
            ordered = [q for q in mem if q["layout"] == "time" and q["n_events"] == r["n_events"]
                       and q["n_sessions"] == r["n_sessions"]]
            per_event = r["extra_bytes_per_event"]
            limit = 8.0
            value = f"{per_event:.2f} B/event, all of the extra"
            if larger or smaller:
                other = (larger or smaller)[0]
                span = abs(other["n_events"] - r["n_events"])
                per_event = (other["extra_bytes"] - r["extra_bytes"]) / (other["n_events"] - r["n_events"])
                # the buffer lives in 2 MiB pages: a partly used last page is resident
                # whole, so each size may round up by up to one page
                limit = 8.0 + 2**21 / span
                value = (f"{per_event:.3f} B/event: the slope from {r['n_events'] / 1e6:.0f}M "
                         f"to {other['n_events'] / 1e6:.0f}M events (limit 8 + one 2 MiB page "
                         f"of rounding = {limit:.3f})")
            elif ordered:
                per_event = (r["extra_bytes"] - ordered[0]["extra_bytes"]) / r["n_events"]
                value = f"{per_event:.2f} B/event beyond the ordered path's O(sessions)"
            detail = f"all extra: {r['extra_bytes_per_event']:.2f} B/event; " + detail
            ok = per_event <= limit
        else:
            # O(sessions): a small constant per session, independent of the events
            ok = r["extra_bytes_per_session"] <= 1024 or r["extra_bytes_per_event"] <= 0.5
            value = f"{r['extra_bytes_per_session']:.0f} B/session"
        if r["n_events"] >= 200_000_000:
            detail += "; fits 24 GiB" if r["peak_rss"] < 24 * GIB else "; DOES NOT fit 24 GiB"
        row(label, value, ok, detail)
    return out


def scenario_tables(rows):
    """Markdown: one table per scenario, every implementation, ratio to agentstats."""
    m = medians(rows)
    lines = []
    for s in sorted({sc for sc, _ in m}):
        if s.startswith("7-") or s.startswith("grid "):
            continue
        n, k = _events(rows, s)
        base = m.get((s, "agentstats"))
        loads = [r["loadavg"] for r in rows if r.get("scenario") == s and "loadavg" in r]
        load = f"; 1-min load average {min(loads):.1f}-{max(loads):.1f} before the cases" if loads else ""
        lines += [f"\n**{s}** ({n / 1e6:g}M events, {k:,} sessions{load})\n",
                  "| implementation | median | events/s | time / agentstats (1 thread) |",
                  "|---|---:|---:|---:|"]
        for impl, t in sorted(((i, t) for (sc, i), t in m.items() if sc == s), key=lambda x: x[1]):
            ratio = f"{t / base:.2f}x" if base else "-"
            lines.append(f"| {impl} | {_fmt_s(t)} | {n / t / 1e6:,.0f} M | {ratio} |")
    return "\n".join(lines)


def grid_table(rows) -> str:
    """Markdown: the grid of time-ordered shapes (test_bench_grid.py), per shape the
    ratio of the fastest peer to agentstats (target: >= 20x) and of agentstats to the
    read (target: <= 6x), agentstats with its default threads; one thread beside."""
    m = medians(rows)
    meta = {}
    for r in rows:
        if str(r.get("scenario", "")).startswith("grid ") and r.get("kind") not in NOT_TIMED:
            meta[r["scenario"]] = r
    if not meta:
        return ""
    lines = ["| shape (sessions x events/session, states, ticks, wait) | events | read | "
             "agentstats (default / 1 thread) | fastest peer | peer / agentstats (>= 20x) | "
             "agentstats / read (<= 6x) | met? |",
             "|---|---:|---:|---:|---|---:|---:|---|"]
    met_both = 0
    for s, r in meta.items():
        a, a1, rd = m.get((s, "agentstats-auto")), m.get((s, "agentstats")), m.get((s, "read"))
        have = [(m[s, p], p) for p in GRID_PEERS if (s, p) in m]
        if not (a and rd and have):
            continue
        t, who = min(have)
        ok = t / a >= 20 and a / rd <= 6
        met_both += ok
        lines.append(f"| {r['shape']} | {r['n_events'] / 1e6:.1f}M | {_fmt_s(rd)} | "
                     f"{_fmt_s(a)} / {_fmt_s(a1) if a1 else '-'} | {who} {_fmt_s(t)} | "
                     f"{t / a:.1f}x | {a / rd:.1f}x | {'**yes**' if ok else '**NO**'} |")
    loads = [r["loadavg"] for r in rows if str(r.get("scenario", "")).startswith("grid ")
             and "loadavg" in r]
    lines.append(f"\n{met_both} of {len(lines) - 2} shapes meet both; 1-min load average "
                 f"{min(loads):.1f}-{max(loads):.1f} before the cases." if loads else "")
    return "\n".join(lines)


def agents_table(rows) -> str:
    """Markdown: the agent timeline beside `aggregate` (test_bench_agents.py), per log
    the ratio of their medians (target: <= 2x) and, when measured, the median of the
    ratios of alternated pairs (the same calls in turns: a drift of the host's speed
    between the two groups' rounds moves the first, not the second)."""
    medians_, pairs = defaultdict(dict), {}
    for r in rows:
        group = str(r.get("group") or "")
        if r.get("kind") == "agent-pairs":
            pairs[r["log"]] = r
        elif group.startswith("7-agents") and group != "7-agents-peer":
            log = "benchmark" if group == "7-agents" else group.split(" ", 1)[1]
            if group.startswith("7-agents-grid"):
                log = "grid " + log
            medians_[log][r["impl"]] = r["median"]
    logs = [log for log in {**medians_, **pairs}
            if "aggregate" in medians_.get(log, {}) or log in pairs]
    if not logs:
        return ""
    lines = ["| log | `aggregate` | `agent_stats` | ratio of medians | alternated pairs: median ratio (range) |",
             "|---|---:|---:|---:|---:|"]
    for log in logs:
        m = medians_.get(log, {})
        a, b = m.get("aggregate"), m.get("agent_stats")
        p = pairs.get(log)
        paired = (f"{p['median_pair_ratio']:.2f}x ({min(p['pair_ratios']):.2f}-"
                  f"{max(p['pair_ratios']):.2f}x)") if p else "-"
        lines.append(f"| {log} | {_fmt_s(a) if a else '-'} | {_fmt_s(b) if b else '-'} | "
                     f"{f'{b / a:.2f}x' if a and b else '-'} | {paired} |")
    return "\n".join(lines)


def threads_table(rows) -> str:
    """Markdown: agentstats' alternated one/two-thread pairs and the machine's ceilings."""
    pairs, ceilings = pair_rows(rows)
    if not (pairs or ceilings):
        return ""
    lines = ["| work | one thread (median) | two threads (median) | one / two: median pair ratio |",
             "|---|---:|---:|---:|"]
    for s, r in sorted(pairs.items()):
        lines.append(f"| agentstats, {s} ({r['n_events'] / 1e6:g}M events) | "
                     f"{_fmt_s(statistics.median(r['one_thread_s']))} | "
                     f"{_fmt_s(statistics.median(r['two_threads_s']))} | {_ratio_range(r)} |")
    labels = {"stream": "machine: streaming reads (sum of 800 MB)",
              "lines": "machine: random 64-byte lines of a 12.8 MB table",
              "alu": "machine: arithmetic in cache (SHA-256)"}
    for w in ("stream", "lines", "alu"):
        if w in ceilings:
            r = ceilings[w]
            lines.append(f"| {labels[w]} | {_fmt_s(statistics.median(r['one_thread_s']))} | "
                         f"{_fmt_s(statistics.median(r['two_threads_s']))} | {_ratio_range(r)} |")
    return "\n".join(lines)


def scaling_points(rows):
    """{'events': {impl: [(n, events/s)]}, 'sessions': {impl: [(k, events/s)]}}."""
    m = medians(rows)
    meta = {}
    for r in rows:
        if r.get("kind") not in NOT_TIMED and r.get("layout") == "time" and r.get("keys") == "int":
            meta[r["scenario"]] = (r["n_events"], r["n_sessions"])
    # the session sweep runs at one log size (50M unless overridden)
    at = {n for s, (n, k) in meta.items() if s.startswith("7-sessions")} or {50_000_000}
    by_events, by_sessions = defaultdict(dict), defaultdict(dict)
    for (s, impl), t in m.items():
        if s not in meta or s.startswith("grid "):
            continue
        n, k = meta[s]
        if k == 200_000:
            by_events[impl].setdefault(n, []).append(n / t)
        if n in at and impl in {i for (s2, i) in m if s2.startswith("7-sessions")}:
            by_sessions[impl].setdefault(k, []).append(n / t)
    pick = lambda d: {i: sorted((x, statistics.median(v)) for x, v in pts.items())  # noqa: E731
                      for i, pts in d.items()}
    return {"events": pick(by_events), "sessions": pick(by_sessions)}


def scaling_table(points):
    lines = []
    for sweep, label in (("events", "events (200k sessions)"), ("sessions", "sessions (at 50M events)")):
        d = points[sweep]
        xs = sorted({x for pts in d.values() for x, _ in pts})
        if not xs:
            continue
        lines += [f"\nevents/s (millions) vs {label}, time-ordered log\n",
                  "| implementation | " + " | ".join(f"{x:,}" for x in xs) + " |",
                  "|---|" + "---:|" * len(xs)]
        for impl in sorted(d, key=lambda i: -max(v for _, v in d[i])):
            vals = dict(d[impl])
            lines.append(f"| {impl} | " + " | ".join(
                f"{vals[x] / 1e6:,.0f}" if x in vals else "-" for x in xs) + " |")
    return "\n".join(lines)


def plot(points, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    for ax, sweep, xlabel in ((axes[0], "events", "events in the log (200k sessions)"),
                              (axes[1], "sessions", "sessions in the log (50M events)")):
        for impl, pts in sorted(points[sweep].items()):
            if not pts:
                continue
            xs, ys = zip(*pts)
            style = "-" if impl.startswith("agentstats") or impl == "read" else "--"
            ax.plot(xs, ys, style, marker="o", label=impl)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("events / s")
        ax.grid(True, which="both", alpha=0.3)
        if points[sweep]:
            ax.legend(fontsize=8)
    axes[0].set_title("throughput vs log size (time-ordered)")
    axes[1].set_title("throughput vs number of sessions (time-ordered)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def machine_line(machine):
    if not machine:
        return ""
    cpu = machine.get("cpu", {})
    return (f"{cpu.get('brand_raw', machine.get('processor', '?'))}, "
            f"{cpu.get('count', '?')} CPUs, Python {machine.get('python_version')}, "
            f"{machine.get('system')} {machine.get('release')}")


def machine_description(machine) -> str:
    """CPU, caches, RAM and library versions of the machine running the report."""
    import platform
    import subprocess
    lines = []
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        info = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        get = lambda k: info.get(k, "?").strip()  # noqa: E731
        lines.append(f"CPU: {get('Model name')} (family {get('CPU family')}, model "
                     f"{get('Model')}), {get('CPU(s)')} vCPUs ({get('Hypervisor vendor')} VM); "
                     f"L1d {get('L1d cache')}, L2 {get('L2 cache')}, L3 {get('L3 cache')}")
    except (OSError, subprocess.CalledProcessError, ValueError):
        if machine:
            lines.append(f"CPU: {machine_line(machine)}")
    try:
        kb = int(next(x for x in open("/proc/meminfo") if x.startswith("MemTotal")).split()[1])
        lines.append(f"RAM: {kb / 2**20:.1f} GiB; Linux {platform.release()}")
    except (OSError, StopIteration):
        pass
    versions = [f"Python {platform.python_version()}"]
    for mod in ("numpy", "pandas", "pyarrow", "polars", "duckdb", "numba", "Cython",
                "pytest_benchmark"):
        try:
            versions.append(f"{mod} {__import__(mod).__version__}")
        except ImportError:
            pass
    lines.append(", ".join(versions))
    lines += (machine or {}).get("commits", [])
    return "\n".join(f"- {x}" for x in lines)


def update_readme(path, text) -> None:
    """Replace the block between the results markers of README.md with `text`."""
    begin, end = "<!-- results:begin -->", "<!-- results:end -->"
    readme = Path(path).read_text()
    if begin not in readme or end not in readme:
        raise SystemExit(f"{path}: no {begin} ... {end} block")
    head, rest = readme.split(begin, 1)
    _, tail = rest.split(end, 1)
    Path(path).write_text(f"{head}{begin}\n{text}\n{end}{tail}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("json", nargs="+", help="pytest-benchmark --benchmark-json files")
    p.add_argument("--markdown", help="also write the Markdown here")
    p.add_argument("--plot", help="write the scaling plot (PNG) here")
    p.add_argument("--readme", help="replace the results block of this README.md")
    a = p.parse_args(argv)
    rows, machine = load(a.json)
    if not rows:
        print("no agentstats benchmarks in the JSON", file=sys.stderr)
        return 1
    md = ["| target | measured | met? |", "|---|---|---|"]
    md += [f"| {t} | {v} | {ok} |" for t, v, ok in targets(rows)]
    points = scaling_points(rows)
    threads = threads_table(rows)
    if threads:
        threads = "\n\n### Two threads, in alternated pairs (target 5)\n\n" + threads
    grid = grid_table(rows)
    if grid:
        grid = "\n\n### The grid: time-ordered logs of many shapes (target 8)\n\n" + grid
    agents = agents_table(rows)
    if agents:
        grid += "\n\n### The agent timeline beside aggregate (at most 2x)\n\n" + agents
    text = ("### Targets\n\n" + "\n".join(md) + threads + grid
            + "\n\n### Every implementation, per scenario\n" + scenario_tables(rows)
            + "\n\n### Scaling\n" + scaling_table(points) + "\n"
            + "\n### Machine\n\n" + machine_description(machine) + "\n")
    print(text)
    if a.markdown:
        Path(a.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(a.markdown).write_text(text)
    if a.plot:
        plot(points, a.plot)
    if a.readme:
        update_readme(a.readme, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
