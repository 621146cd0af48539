"""The queue_log agent translation alone: the compiled CompiledAgentTranslator on
precomputed line columns (and call-side verdicts) against the plain-Python per-line
translation (QueueLogImporter._line), in alternated rounds in one process.

    python -m agentstats.demo --agents 1000 --days 30 --dirty -o /tmp/qlog/queue_log
    python benchmarks/translate_speed.py /tmp/qlog/queue_log --rounds 3

The lines both translations read are the ones the importer hands to its translation
(recorded once from a real import). The Python figure includes its own call tracker
(_line calls it); the compiled call tracker's time is printed beside the translator's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from agentstats.io.qlog_columns import LineNames, columns_from_lines
from agentstats.io.queue_calls import CompiledCallTracker, call_verdicts
from agentstats.io.queue_log import EventChunk, QueueLogImporter, read_queue_log
from agentstats.io.queue_log_translate import CompiledAgentTranslator

BLOCK_ROWS = 1 << 20


def recorded_lines(path: Path, **options):
    """The (epoch, where, text) lines the importer translates, and the import's result."""
    seen: list[tuple[int, int, str]] = []
    translate = QueueLogImporter._line

    def spy(self, t, parts, where):
        seen.append((t, where, "|".join(parts)))
        return translate(self, t, parts, where)

    QueueLogImporter._line = spy
    try:
        result = read_queue_log(path, **options)
    finally:
        QueueLogImporter._line = translate
    return seen, result


def python_round(empty: Path, lines, options, as_of):
    importer = QueueLogImporter(empty, infer=False, as_of=as_of, **options)
    line = importer._line
    start, cpu = time.perf_counter(), time.process_time()
    for t, where, text in lines:
        line(t, text.split("|"), where)
    events = EventChunk.concat(list(importer.chunks()))
    return (time.perf_counter() - start, time.process_time() - cpu), importer, events


def compiled_round(names, blocks, verdicts, options, as_of):
    translator = CompiledAgentTranslator(names, **options)
    chunks = []
    start, cpu = time.perf_counter(), time.process_time()
    for columns, (verdict, reason) in zip(blocks, verdicts):
        translator.read(columns, verdict, reason)
        chunks.append(translator.take_events())
    translator.finish(as_of)
    chunks.append(translator.take_events())
    elapsed = (time.perf_counter() - start, time.process_time() - cpu)
    return elapsed, translator, EventChunk.concat(chunks)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--wrapup", default="*=10")
    args = parser.parse_args(argv)
    options = {"wrapup": [args.wrapup]} if args.wrapup else {}

    t0 = time.perf_counter()
    lines, (_, _, diagnostics) = recorded_lines(args.path, **options)
    print(f"recorded {len(lines):,} translated lines of {diagnostics['lines']:,} in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    options["aliases"] = diagnostics["aliases"]
    as_of = diagnostics["last_time"]

    names = LineNames()
    blocks = [columns_from_lines(lines[i:i + BLOCK_ROWS], names) for i in range(0, len(lines), BLOCK_ROWS)]
    tracker_times = []
    for _ in range(args.rounds):
        tracker = CompiledCallTracker(names, aliases=options["aliases"])
        start, cpu = time.perf_counter(), time.process_time()
        verdicts = [call_verdicts(tracker, columns) for columns in blocks]
        tracker_times.append((time.perf_counter() - start, time.process_time() - cpu))

    empty = Path(os.environ.get("TMPDIR", "/tmp")) / "translate_speed_empty_queue_log"
    empty.write_bytes(b"")
    compiled_times, python_times = [], []
    for _ in range(args.rounds):
        elapsed, translator, got = compiled_round(names, blocks, verdicts, options, as_of)
        compiled_times.append(elapsed)
        elapsed, importer, want = python_round(empty, lines, options, as_of)
        python_times.append(elapsed)
    # the two translations agree (the tests compare every column; a quick check here)
    for field in ("session", "time", "state", "wait"):
        assert np.array_equal(getattr(got, field), getattr(want, field)), field
    assert got.reason.tolist() == want.reason.tolist()
    assert translator.counted == importer.counted and translator.used == importer.used

    print(f"events {len(got):,}, sessions {translator.n_sessions:,} (seconds: wall, then CPU of this process)")

    def line(label, times):
        wall = statistics.median(t[0] for t in times)
        cpu = statistics.median(t[1] for t in times)
        print(f"{label:26s} median {wall:7.3f} wall {cpu:7.3f} cpu   "
              f"{[(round(w, 3), round(c, 3)) for w, c in times]}")
        return wall, cpu

    line("call tracker (compiled)", tracker_times)
    compiled = line("translator (compiled)", compiled_times)
    python = line("_line loop (Python)", python_times)
    print(f"speed-up {python[0] / compiled[0]:.0f}x wall, {python[1] / compiled[1]:.0f}x cpu; "
          f"load {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
