"""The screen reports of a queue_log made without pandas (report.rows, the dict-keyed
KeyCodes, the small factorise and sort) against their pandas twins: the pandas frames of
report.agents / report.queues, pd.factorize and pandas' Index.

The command line builds every report through pandas when AGENTSTATS_PANDAS_ROWS is set;
its output must be the same byte for byte.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentstats.demo import DEMO_WRAPUP, generate
from agentstats.io.queue_log import import_queue_log
from agentstats.io.queue_log_agents import queue_log_agent_stats
from agentstats.keycodes import KeyCodes
from agentstats.report.agents import agent_frame
from agentstats.report.queues import queue_report
from agentstats.report.rows import agent_rows, queue_rows
from agentstats.rollup import rollup

from test_startup import SRC

# the modules (agentstats.aggregate, the attribute, is the function of that name)
aggregate_module = importlib.import_module("agentstats.aggregate")
keycodes_module = importlib.import_module("agentstats.keycodes")

SAMPLES = ("asterisk2slack-fixture.log", "issabel-devbox-2022-08.log", "issabel-devbox-2022-10.log")


def _cli(args: list[str], *, pandas_rows: bool) -> str:
    env = {"PYTHONPATH": SRC, "PATH": ""}
    if pandas_rows:
        env["AGENTSTATS_PANDAS_ROWS"] = "1"
    done = subprocess.run([sys.executable, "-m", "agentstats", *args], capture_output=True, env=env)
    return f"exit {done.returncode}\n" + done.stdout.decode() + done.stderr.decode()


#: the speed line a report shows when it took over a second (it differs run to run)
_SPEED = re.compile(r"^[\d,]+ lines in [\d.]+ s \([\d,]+ lines/s\)\n", re.MULTILINE)


def _assert_same_both_ways(args: list[str]) -> str:
    fast = _SPEED.sub("", _cli(args, pandas_rows=False))
    assert fast == _SPEED.sub("", _cli(args, pandas_rows=True))
    return fast


@pytest.mark.parametrize("args", [
    ["--by", "agent"],
    ["--by", "queue"],
    ["--by", "agent", "--from", "2026-03-02T12:00", "--queue", "s*", "--limit", "3"],
    ["--by", "queue", "--from", "2026-03-02T12:00", "--service-level", "0,30"],
    ["--by", "agent", "--as-of", "2026-03-02T11:00", "--agent", "*a*"],
    ["--by", "queue", "--as-of", "2026-03-02T11:00", "--queue", "s*", "--limit", "1"],
])
def test_demo_screen_reports_are_those_of_pandas(args):
    output = _assert_same_both_ways(["demo", *args])
    assert output.startswith("exit 0\n") and "Lines: 3,487 read" in output


def test_refusals_are_those_of_pandas():
    output = _assert_same_both_ways(["demo", "--by", "queue", "--agent", "*a*"])
    assert output.startswith("exit 1\n") and "no agent column" in output


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("view", [[], ["--by", "agent"], ["--by", "queue"]])
def test_shared_sample_screen_reports_are_those_of_pandas(shared_dir, sample, view):
    path = shared_dir / "data" / "queue_log" / sample
    if not path.is_file():
        pytest.skip(f"the shared sample {sample} is not there")
    output = _assert_same_both_ways(["report", str(path), *view])
    assert output.startswith("exit 0\n") and "Lines:" in output


def test_empty_and_unreadable_logs_both_ways(tmp_path):
    empty = tmp_path / "empty_log"
    empty.write_bytes(b"")
    blank = tmp_path / "blank_log"
    blank.write_bytes(b"\n\n")
    for path, view in ((empty, "agent"), (blank, "queue")):
        output = _assert_same_both_ways(["report", str(path), "--by", view])
        assert output.startswith("exit 0\n") and f"— 0 {view}s" in output


# -- the rows, in process (pandas is loaded here: the rows' arithmetic, not the imports) --


def _plain(value):
    """A cell with pandas' and NumPy's missing markers and scalar types made comparable."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating)) and np.isnan(value):
        return None
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value)
    return value.item() if hasattr(value, "item") else value


def _assert_same_rows(rows, frame, columns):
    assert len(rows) == len(frame)
    for column in columns:
        ours = [_plain(v) for v in np.asarray(rows[column]).tolist()] if rows[column].dtype.kind != "M" \
            else [_plain(v) for v in rows[column]]
        theirs = [_plain(v) for v in frame[column].tolist()]
        assert ours == theirs, column


@st.composite
def dirty_logs(draw):
    """A generated dirty queue_log of a few agents, cut anywhere, some lines dropped."""
    lines = list(generate(agents=draw(st.integers(1, 4)), seed=draw(st.integers(0, 10**6)), dirty=True))
    cut = draw(st.integers(0, len(lines)))
    dropped = set(draw(st.lists(st.integers(0, max(cut - 1, 0)), max_size=20)))
    return "".join(line + "\n" for i, line in enumerate(lines[:cut]) if i not in dropped)


#: each example imports a log: at most this many, so that the CI profile stays quick
_LOG_EXAMPLES = min(settings().max_examples, 120)


@settings(max_examples=_LOG_EXAMPLES)
@given(text=dirty_logs(), window=st.booleans())
def test_agent_rows_are_the_agent_frame(tmp_path_factory, text, window):
    path = tmp_path_factory.mktemp("rows") / "queue_log"
    path.write_text(text)
    table = queue_log_agent_stats([path], wrapup=DEMO_WRAPUP, sessions=False)
    frame = agent_frame(table)
    if window:
        frame["missed"] = frame["transfers"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    rows = agent_rows(table, window=window)
    assert rows.columns == list(frame.columns)
    _assert_same_rows(rows, frame, frame.columns)


@settings(max_examples=_LOG_EXAMPLES)
@given(text=dirty_logs(), levels=st.lists(st.integers(0, 120), min_size=1, max_size=3, unique=True))
def test_queue_rows_are_the_queue_report(tmp_path_factory, text, levels):
    path = tmp_path_factory.mktemp("rows") / "queue_log"
    path.write_text(text)
    result = import_queue_log([path], wrapup=DEMO_WRAPUP)
    table = result.table
    frame = queue_report(result, interval_minutes=None, service_levels=levels,
                         agent_frame=rollup(table, "acd_group") if len(table) else None)
    rows = queue_rows(result, service_levels=levels)
    # every column the screen shows (queue_report also keeps the members' other sums)
    shown = [c for c in frame.columns if not c.startswith("agent_") or c == "agent_time_logged_in"]
    assert rows.columns == shown
    _assert_same_rows(rows, frame, shown)


# -- the twins of the pandas-free keying -------------------------------------------------


@contextmanager
def pandas_hidden():
    """As if pandas and pyarrow were not loaded (the small paths look at sys.modules)."""
    hidden = {name: sys.modules.pop(name) for name in ("pandas", "pyarrow") if name in sys.modules}
    try:
        yield
    finally:
        sys.modules.update(hidden)


texts = st.text(alphabet="ab\u00e9\u4e2d\U0001f600 |", max_size=3)


@given(st.lists(texts, max_size=40))
def test_small_factorise_is_pd_factorize(values):
    keys = np.array(values, dtype=object)
    with pandas_hidden():
        small = aggregate_module._factorise_text_without_pandas(keys)
        order = aggregate_module._sorting_order(np.array(list(dict.fromkeys(values)), dtype=object))
    assert small is not None
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    assert small[0].tolist() == codes.tolist()
    assert small[1].tolist() == list(uniques)
    distinct = list(dict.fromkeys(values))
    # NumPy's order of the distinct names is Arrow's (UTF-8 bytes)
    assert [distinct[i] for i in order] == sorted(distinct, key=lambda t: t.encode())


def test_small_factorise_leaves_other_keys_to_pandas():
    with pandas_hidden():
        for keys in (np.array(["a", None], dtype=object), np.array(["a", 1], dtype=object),
                     np.array([1.0, float("nan")], dtype=object), np.array([1, 2])):
            assert aggregate_module._factorise_text_without_pandas(keys) is None
        many = np.array(["a"] * aggregate_module._MISSING_BY_PANDAS_MIN, dtype=object)
        assert aggregate_module._factorise_text_without_pandas(many) is None
    assert aggregate_module._factorise_text_without_pandas(np.array(["a"], dtype=object)) is None


chunks = st.lists(st.one_of(st.lists(texts, max_size=12).map(lambda v: np.array(v, dtype=object)),
                            st.lists(st.integers(-3, 40), max_size=12).map(lambda v: np.array(v, dtype=np.int64))),
                  max_size=6)


@given(chunks=chunks, limit=st.sampled_from([4, 16, 1 << 14]), commits=st.lists(st.booleans(), min_size=6, max_size=6))
def test_dict_keycodes_are_pandas_keycodes(chunks, limit, commits):
    # `limit` small: the dict index turns into pandas' Index part way through
    old = keycodes_module._MISSING_BY_PANDAS_MIN
    keycodes_module._MISSING_BY_PANDAS_MIN = limit
    try:
        by_dict, by_pandas = KeyCodes("agent"), KeyCodes("agent")
        for chunk, commit in zip(chunks, commits):
            with pandas_hidden():
                ours = by_dict.codes(chunk)
                size = by_dict.pending_size()
            theirs = by_pandas.codes(chunk)
            assert ours.tolist() == theirs.tolist()
            assert size == by_pandas.pending_size()
            assert [by_dict.pending_key(c) for c in range(size)] == [by_pandas.pending_key(c) for c in range(size)]
            if commit:
                by_dict.commit()
                by_pandas.commit()
            assert by_dict.keys().tolist() == by_pandas.keys().tolist()
            known = len(by_pandas.keys())
            assert [by_dict.key_of(c) for c in range(known)] == [by_pandas.key_of(c) for c in range(known)]
    finally:
        keycodes_module._MISSING_BY_PANDAS_MIN = old


# -- --as-of / --from / --until without pandas ---------------------------------------------


@st.composite
def iso_texts(draw):
    """Plain ISO date-times, valid or not (month 13, hour 24, second 60, offset 24:00)."""
    text = f"{draw(st.integers(1700, 2300)):04d}-{draw(st.integers(0, 13)):02d}-{draw(st.integers(0, 32)):02d}"
    if draw(st.booleans()):
        text += f"{draw(st.sampled_from('T '))}{draw(st.integers(0, 24)):02d}:{draw(st.integers(0, 60)):02d}"
        if draw(st.booleans()):
            text += f":{draw(st.integers(0, 60)):02d}"
    offset = draw(st.sampled_from(["", "Z", "+01:00", "-05:30", "+14:00", "-23:59", "+24:00"]))
    return text + offset


@given(text=iso_texts(), zone=st.sampled_from([None, "Europe/Rome"]))
def test_plain_iso_times_are_read_as_pandas_reads_them(text, zone):
    import argparse

    from agentstats.cli import _as_of_by_pandas, _plain_iso
    from agentstats.localtime import time_zone

    tz = time_zone(zone)

    def outcome(read):
        try:
            return read(text, tz, "--from")
        except argparse.ArgumentTypeError as exc:
            return str(exc)

    ours = outcome(_plain_iso)
    if ours is not None:        # None: left to pandas
        theirs = outcome(_as_of_by_pandas)
        assert type(ours) is type(theirs) and str(ours) == str(theirs)


def test_plain_iso_times_skip_pandas_where_they_can():
    from agentstats.cli import _plain_iso
    from agentstats.localtime import time_zone

    assert _plain_iso("2026-03-02T11:00", None, "--as-of") == np.datetime64("2026-03-02T11:00", "us")
    assert _plain_iso("2026-03-02 11:00:00+01:00", time_zone("Europe/Rome"), "--as-of") == \
        np.datetime64("2026-03-02T10:00", "us")
    for text, zone in (("2026-03-02T11:00", "Europe/Rome"), ("March 2, 2026", None), ("2026-03-02T11:00:00.5", None),
                       ("2026-02-30", None)):
        assert _plain_iso(text, time_zone(zone), "--as-of") is None
