"""Compare agentstats with the reference (tests/reference.py) on the same rows."""

from __future__ import annotations

import numpy as np

import agentstats
from reference import reference

TICK_FIELDS = ("start", "end", "state", "duration", "talk", "wrap", "call", "calls",
               "wait_sum", "wait_n", "wait_max")
BUCKETS = ("used", "duplicate", "after_end", "after_as_of", "invalid_state", "invalid_time",
           "off_table")


def expected_ticks(sessions):
    """{key: {field: value}} from the reference's sessions."""
    return {
        key: {name: getattr(s, name) for name in TICK_FIELDS}
        for key, s in sessions.items()
    }


def actual_ticks(table):
    return {
        key: {name: int(table.ticks[name][i]) for name in TICK_FIELDS}
        for i, key in enumerate(table.keys.tolist())
    }


def to_columns(session, time, state, wait):
    """Python lists (None = missing) as the arrays a user would pass."""
    time_array = np.array([np.iinfo(np.int64).min if t is None else t for t in time], dtype=np.int64)
    time_array = time_array.view("datetime64[s]")           # NaT for missing
    state_array = np.array(state, dtype=np.int64)
    wait_array = None
    if wait is not None:
        wait_array = np.array([np.nan if w is None else w for w in wait], dtype=np.float64)
    return np.array(session), time_array, state_array, wait_array


def assert_same_as_reference(session, time, state, wait=None, as_of=None, **kwargs):
    """Aggregate with agentstats and with the reference; everything must be equal."""
    sessions, buckets, _ = reference(session, time, state, wait, as_of)
    s, t, st, w = to_columns(session, time, state, wait)
    table = agentstats.aggregate(
        s, t, st, wait=w, as_of=None if as_of is None else np.datetime64(as_of, "s"),
        strict=False, **kwargs,
    )
    assert actual_ticks(table) == expected_ticks(sessions)
    diagnostics = table.diagnostics
    assert {name: diagnostics[name] for name in BUCKETS} == buckets
    assert diagnostics["rows"] == len(session)
    assert sum(diagnostics[name] for name in BUCKETS if name != "off_table") == len(session)
    return table


def translated_lines(run, path, **options):
    """The lines the Python queue_log importer hands to its per-line translation
    (decoded, de-duplicated, time-ordered) as (epoch, where, text), and what
    ``run(path, engine="python", **options)`` returns (import_queue_log or
    read_queue_log): the stage-2 input the compiled readers are compared on."""
    from agentstats.io.queue_log import QueueLogImporter

    seen: list[tuple[int, int, str]] = []
    translate = QueueLogImporter._line

    def spy(self, t, parts, where):
        seen.append((t, where, "|".join(parts)))
        return translate(self, t, parts, where)

    QueueLogImporter._line = spy
    try:
        result = run(path, engine="python", **options)   # (_line is its per-line hook)
    finally:
        QueueLogImporter._line = translate
    return seen, result
