"""agentstats.dask on a real cluster (two worker processes): the same table as one
aggregation of the same rows (SPEC 1-3), for partitions in time order (sessions crossing
their edges, empty partitions, daily Parquet files), and for other partitionings
(shuffled by session first)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import agentstats  # noqa: E402
import agentstats.dask  # noqa: E402

pytestmark = pytest.mark.cluster

NAMES = dict(session="sid", time="ts", state="code", wait="waited", agent="who")


def events(n: int, seed: int, *, sessions: int = 30, ordered: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seconds = rng.integers(0, 3 * 86400, n)
    if ordered:
        seconds = np.sort(seconds)
    waited = rng.integers(0, 40, n).astype(float)
    waited[rng.random(n) < 0.6] = np.nan
    return pd.DataFrame({
        "sid": rng.integers(0, sessions, n),
        "ts": pd.Timestamp("2024-03-01") + pd.to_timedelta(seconds, unit="s"),
        "code": rng.choice([0, 1, 1, 2, 2, 3, 4], n),      # ends mid-log: rows after the end
        "waited": waited,
        "who": rng.choice(["ann", "bob", None], n),
    })


def same(got: agentstats.SessionTable, frame: pd.DataFrame, **options) -> None:
    one = agentstats.aggregate(frame, strict=False, unit="s", **NAMES, **options)
    assert got.diagnostics == one.diagnostics
    assert got.keys.tolist() == one.keys.tolist()
    pd.testing.assert_frame_equal(got.to_pandas(), one.to_pandas())


@pytest.mark.parametrize("partitions", [1, 2, 5, 13])
@pytest.mark.parametrize("seed", [0, 1])
def test_time_ordered_partitions(client, partitions, seed):
    frame = events(600, seed)
    ddf = dd.from_pandas(frame, npartitions=partitions, sort=False)
    got = agentstats.dask.aggregate(ddf, strict=False, unit="s", **NAMES)
    same(got, frame)


def test_sessions_crossing_edges_with_as_of_and_string_keys(client):
    frame = events(500, 3).assign(sid=lambda f: "agent-" + f["sid"].astype(str))
    as_of = pd.Timestamp("2024-03-02 12:00")
    ddf = dd.from_pandas(frame, npartitions=6, sort=False)
    got = agentstats.dask.aggregate(ddf, strict=False, unit="s", as_of=as_of, **NAMES)
    same(got, frame, as_of=as_of)
    assert got.diagnostics["after_as_of"] > 0


def test_empty_partitions(client):
    frame = events(300, 4)
    pieces = [frame.iloc[:0], frame.iloc[:100], frame.iloc[100:100], frame.iloc[100:], frame.iloc[:0]]
    ddf = dd.from_delayed([_delayed(p) for p in pieces], meta=frame.iloc[:0])
    same(agentstats.dask.aggregate(ddf, strict=False, unit="s", **NAMES), frame)


def _delayed(frame):
    import dask

    return dask.delayed(lambda f: f)(frame)


@pytest.mark.parametrize("seed", [5, 6])
def test_other_partitionings_are_shuffled_by_session(client, seed):
    frame = events(500, seed, ordered=False)
    ddf = dd.from_pandas(frame, npartitions=4, sort=False)
    same(agentstats.dask.aggregate(ddf, strict=False, unit="s", **NAMES), frame)


def test_ties_keep_their_order_across_the_shuffle(client):
    """Many rows of one session at the same time (SPEC 1.1: input order decides which is
    the duplicate), in partitions that are not in time order."""
    rng = np.random.default_rng(10)
    frame = events(400, 10, sessions=5, ordered=False)
    frame["ts"] = pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 4, len(frame)), unit="s")
    ddf = dd.from_pandas(frame, npartitions=5, sort=False)
    same(agentstats.dask.aggregate(ddf, strict=False, unit="s", **NAMES), frame)


def test_agentstats_dask_is_imported_on_use():
    import subprocess
    import sys

    code = ("import sys, agentstats; assert 'dask' not in sys.modules; "
            "assert agentstats.dask.aggregate; assert 'agentstats.dask' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_daily_parquet_files(client, tmp_path):
    frame = events(900, 7)
    for day, rows in frame.groupby(frame["ts"].dt.date):
        rows.to_parquet(tmp_path / f"{day}.parquet", index=False)
    ddf = dd.read_parquet(sorted(tmp_path.glob("*.parquet")))
    assert ddf.npartitions == 3
    same(agentstats.dask.aggregate(ddf, strict=False, unit="s", **NAMES), frame)


def test_strict_errors_name_the_partition(client):
    frame = events(200, 8).assign(code=lambda f: f["code"].where(f.index != 150, 9))
    ddf = dd.from_pandas(frame, npartitions=2, sort=False)
    with pytest.raises(agentstats.TapiError, match="partition 1: row 50: invalid_state"):
        agentstats.dask.aggregate(ddf, unit="s", **NAMES)


def test_bad_arguments():
    with pytest.raises(TypeError, match="dask DataFrame"):
        agentstats.dask.aggregate(pd.DataFrame(), session="a", time="b", state="c")
    ddf = dd.from_pandas(events(10, 9), npartitions=1)
    with pytest.raises(KeyError, match="no column 'nope'"):
        agentstats.dask.aggregate(ddf, session="nope", time="ts", state="code")
