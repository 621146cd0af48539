"""agentstats.dask.agent_stats and agentstats.dask.queue_stats on a real cluster (two
worker processes): the same frames as one process on the same rows (SPEC 7, 8.2), for
agents whose rows span partitions, rows in any order, a fixed report time, empty
partitions and time zones of intervals left to the one-process defaults."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import agentstats  # noqa: E402
import agentstats.dask  # noqa: E402

pytestmark = pytest.mark.cluster


def agent_events(n: int, seed: int, *, ordered: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 86400, n)
    if ordered:
        t = np.sort(t)
    frame = pd.DataFrame({"sid": rng.integers(0, 40, n), "ts": t, "st": rng.integers(0, 5, n)})
    frame["who"] = ("agent" + (frame["sid"] % 7).astype(str)).astype(object)
    frame["why"] = pd.Series(np.where(frame["st"] == 0, rng.choice(["lunch", "break"], n), None),
                             dtype=object)
    return frame


def plain_keys(frame: pd.DataFrame) -> pd.DataFrame:
    # key columns as Python objects: Dask reads text as pandas strings, one process as given
    frame = frame.reset_index(drop=True).copy()
    for column in ("agent", "reason", "queue"):
        if column in frame.columns:
            frame[column] = frame[column].astype(object)
    return frame


AGENT_OPTIONS = dict(session="sid", time="ts", state="st", agent="who", reason="why", unit="s",
                     strict=False)


@pytest.mark.parametrize("partitions", [1, 3, 7])
@pytest.mark.parametrize("ordered", [True, False])
@pytest.mark.parametrize("interval", [None, 60])
def test_agent_view_equals_one_process(client, partitions, ordered, interval):
    events = agent_events(3000, seed=partitions, ordered=ordered)
    one = agentstats.agent_stats(events, interval=interval, **AGENT_OPTIONS)
    got = agentstats.dask.agent_stats(dd.from_pandas(events, npartitions=partitions, sort=False),
                                      interval=interval, **AGENT_OPTIONS)
    pd.testing.assert_frame_equal(plain_keys(got.agents), plain_keys(one.to_pandas()))
    pd.testing.assert_frame_equal(plain_keys(got.reasons), plain_keys(one.reasons()))
    if interval is not None:
        pd.testing.assert_frame_equal(plain_keys(got.intervals), plain_keys(one.intervals()))
    assert got.diagnostics == one.diagnostics
    frame = got.agents     # SPEC 7.1 identity, on every agent
    assert (frame["logged_in"] == frame["talk"] + frame["wrapup"] + frame["ready"]
            + frame["not_ready"]).all()


def test_agent_view_with_a_report_time_and_an_empty_partition(client):
    events = agent_events(2000, seed=11)
    parts = [dd.from_pandas(events.iloc[:900], npartitions=1),
             dd.from_pandas(events.iloc[:0], npartitions=1),
             dd.from_pandas(events.iloc[900:], npartitions=2)]
    ddf = dd.concat(parts)
    one = agentstats.agent_stats(events, as_of=50_000, **AGENT_OPTIONS)
    got = agentstats.dask.agent_stats(ddf, as_of=50_000, **AGENT_OPTIONS)
    pd.testing.assert_frame_equal(plain_keys(got.agents), plain_keys(one.to_pandas()))
    assert got.diagnostics == one.diagnostics and got.diagnostics["after_as_of"] > 0


def queued_calls(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    enter = np.sort(rng.integers(0, 3 * 86400, n)).astype(float)
    outcome = rng.choice(["answered", "abandoned", "timed out", "exited empty", "exited with key",
                          "refused", "waiting"], n)
    wait = rng.integers(0, 300, n).astype(float)
    wait[rng.random(n) < 0.1] = np.nan                        # missing waits (SPEC 8.1)
    enter[(rng.random(n) < 0.05) & (outcome != "waiting")] = np.nan   # unknown entries (SPEC 8.3)
    leave = np.where(np.isnan(enter), 100_000.0, enter) + np.nan_to_num(wait, nan=10)
    leave[outcome == "waiting"] = np.nan
    wait[outcome == "waiting"] = np.nan
    return pd.DataFrame({"q": rng.choice(["sales", "support", "billing"], n), "outcome": outcome,
                         "enter": enter, "leave": leave, "wait": wait})


@pytest.mark.parametrize("partitions", [1, 4])
@pytest.mark.parametrize("interval", [None, 15, "day"])
@pytest.mark.parametrize("as_of", [None, 2 * 86400])
def test_queue_statistics_equal_one_process(client, partitions, interval, as_of):
    calls = queued_calls(4000, seed=partitions)
    options = dict(columns={"queue": "q"}, interval=interval, service_level=(20, 60))
    as_of_ticks = None if as_of is None else as_of * 10**9     # the tables' ticks are ns
    one = agentstats.queue_stats(calls, as_of=as_of_ticks, **options).to_pandas()
    got = agentstats.dask.queue_stats(dd.from_pandas(calls, npartitions=partitions),
                                      as_of=as_of_ticks, **options).to_pandas()
    pd.testing.assert_frame_equal(plain_keys(got), plain_keys(one))
    if as_of is None:     # every call is in exactly one row (SPEC 8.2: counted where it entered)
        assert got["total_calls_queued"].sum() == (calls["outcome"] != "refused").sum()


def test_not_a_dask_frame_is_refused():
    with pytest.raises(TypeError, match="dask DataFrame"):
        agentstats.dask.agent_stats(agent_events(10, 1), **AGENT_OPTIONS)
    with pytest.raises(TypeError, match="dask DataFrame"):
        agentstats.dask.queue_stats(queued_calls(10, 1))


def test_default_report_time_is_the_whole_logs(client):
    # 20 agents, each READY from its own second on, never ended; the log ends at 10,000 s
    # with agent0's line: every agent is logged in up to 10,000 s, whichever partition
    # the shuffle puts it in (SPEC 2: the default as_of is the latest time in the log).
    rows = [(i, i, 1, f"agent{i}") for i in range(20)] + [(0, 10_000, 0, "agent0")]
    events = pd.DataFrame(rows, columns=["sid", "ts", "st", "who"])
    got = agentstats.dask.agent_stats(dd.from_pandas(events, npartitions=4, sort=False),
                                      session="sid", time="ts", state="st", agent="who", unit="s")
    logged_in = got.agents.set_index("agent")["logged_in"]
    seconds = (logged_in / pd.Timedelta(seconds=1)).astype(int)
    assert seconds.tolist() == [10_000 - int(name[5:]) for name in logged_in.index]
