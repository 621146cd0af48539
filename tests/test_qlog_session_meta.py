"""The queue_log import's per-session names (SPEC 6.4: agent and queue of a session)
taken from the session table once, against the aggregation of per-event object columns
(the twin: every event carries its session's agent and queue); and the coded event
chunks of the compiled reader (names built on first use) against their materialised
columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentstats import Aggregator
from agentstats.demo import DEMO_WRAPUP, demo_log_path
from agentstats.hresult import TapiError
from agentstats.io.queue_log import EventChunk, QueueLogImporter, import_queue_log

from test_hostile_io import WRAPUP
from test_qlog_tokenizer import dirty_logs

FIELDS = ("session", "time", "state", "wait", "reason", "agent", "acd_group", "presence")


def per_event_table(path, **options):
    """The twin: the aggregator keeps the first agent / acd_group of each session from
    object columns given with every event."""
    importer = QueueLogImporter(path, **options)
    aggregator = Aggregator(unit="s", strict=False)
    fed = False
    for chunk in importer.chunks():
        q = chunk.queue_sessions_only()
        aggregator.update(q.session, q.time, q.state, wait=q.wait, agent=np.array(list(q.agent), dtype=object),
                          acd_group=np.array(list(q.acd_group), dtype=object))
        fed = True
    end = importer.last_time
    return aggregator.result(as_of=end) if end is not None else aggregator.result(), fed


def assert_same_table(path, **options):
    want, fed = per_event_table(path, **options)
    got = import_queue_log(path, **options).table
    assert np.array_equal(got.keys, want.keys)
    assert sorted(got.meta) == sorted(want.meta)
    for name, values in want.meta.items():
        assert got.meta[name].dtype == values.dtype == object, name
        assert got.meta[name].tolist() == values.tolist(), name
    if fed:
        pd.testing.assert_frame_equal(got.to_pandas(), want.to_pandas())


def materialised(chunk: EventChunk) -> EventChunk:
    return EventChunk(*(None if getattr(chunk, f) is None else np.array(getattr(chunk, f)) for f in FIELDS))


def assert_same_chunk(got: EventChunk, want: EventChunk) -> None:
    for name in FIELDS:
        left, right = getattr(got, name), getattr(want, name)
        assert left.dtype == right.dtype, name
        assert left.tolist() == right.tolist(), name


@pytest.mark.parametrize("engine", ["cython", "python"])
@pytest.mark.parametrize("chunk_events", [1 << 19, 97])
def test_demo_log_names_from_the_session_table(engine, chunk_events):
    assert_same_table(demo_log_path(), engine=engine, wrapup=DEMO_WRAPUP, chunk_events=chunk_events)


def test_an_empty_log_has_no_names(tmp_path):
    path = tmp_path / "queue_log"
    path.write_bytes(b"")
    assert_same_table(path, engine="cython")
    assert_same_table(path, engine="python")


def test_a_log_without_agent_events(tmp_path):
    """Call lines only: no event chunk reaches the aggregator, so no name column."""
    path = tmp_path / "queue_log"
    path.write_text("1700000000|c1|q1|NONE|ENTERQUEUE||100|1\n1700000005|c1|q1|NONE|ABANDON|1|1|5\n")
    for engine in ("cython", "python"):
        assert_same_table(path, engine=engine)


def test_coded_chunks_build_the_same_columns():
    importer = QueueLogImporter(demo_log_path(), engine="cython", wrapup=DEMO_WRAPUP, chunk_events=100,
                                block_bytes=4096)
    chunks = list(importer.chunks())
    assert len(chunks) > 3
    for chunk in chunks:
        assert chunk._reason_code is not None or len(chunk) == 0     # the coded form
        # the queue sessions of a coded chunk, before and after its columns are built
        lazy = chunk.queue_sessions_only()
        want = materialised(chunk)
        assert_same_chunk(lazy, want.queue_sessions_only())
        assert_same_chunk(chunk, want)
        assert_same_chunk(chunk.queue_sessions_only(), want.queue_sessions_only())
    python = list(QueueLogImporter(demo_log_path(), engine="python", wrapup=DEMO_WRAPUP,
                                   chunk_events=100, block_bytes=4096).chunks())
    assert_same_chunk(EventChunk.concat(chunks), EventChunk.concat(python))


@settings(max_examples=40, deadline=None)
@given(data=dirty_logs(), block_bytes=st.sampled_from([8 << 20, 7, 333]),
       chunk_events=st.sampled_from([1 << 19, 3]))
def test_dirty_logs_names_from_the_session_table(tmp_path_factory, data, block_bytes, chunk_events):
    path = tmp_path_factory.mktemp("dirty") / "queue_log"
    path.write_bytes(data)
    for engine in ("cython", "python"):
        try:
            per_event_table(path, engine=engine, wrapup=WRAPUP, block_bytes=block_bytes, infer=False)
        except TapiError:       # a file-level error: both ways raise it (tested elsewhere)
            continue
        assert_same_table(path, engine=engine, wrapup=WRAPUP, block_bytes=block_bytes,
                          chunk_events=chunk_events, infer=False)


def test_a_plain_chunk_keeps_what_it_was_given():
    """A chunk made from columns (not codes) hands them back as given, None included."""
    n = np.arange(3, dtype=np.int64)
    chunk = EventChunk(n, n, n.astype(np.uint8), n, None, None, None)
    assert chunk.reason is None and chunk.agent is None and chunk.acd_group is None and chunk.presence is None
    names = np.array(["a", "b", "c"], dtype=object)
    chunk = EventChunk(n, n, n.astype(np.uint8), n, names, names, names, np.zeros(3, dtype=bool))
    assert chunk.agent is names and chunk.queue_sessions_only() is chunk
