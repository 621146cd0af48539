"""The benchmark peers compute exactly agentstats' answer (small inputs, fast).

benchmarks/peers.py re-implements the per-session statistics in pandas, polars,
DuckDB, NumPy and numba; the benchmark report is only meaningful if they agree with
agentstats. This keeps them honest in the normal test run. Peers whose library is not
installed are skipped (pip install .[bench]).
"""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.generate import LAYOUTS, check_log, make_log  # noqa: E402
from benchmarks.peers import COLUMNS, IMPLS, assert_same, compute  # noqa: E402

N_EVENTS, N_SESSIONS = 20_000, 400
PEERS = [name for name, impl in IMPLS.items() if impl.kind == "peer"]


@pytest.fixture(scope="module")
def logs():
    return {(layout, keys): make_log(N_EVENTS, N_SESSIONS, layout, seed=7, keys=keys)
            for layout in LAYOUTS for keys in ("int", "str")}


@pytest.fixture(scope="module")
def expected(logs):
    return {case: compute("agentstats", log) for case, log in logs.items()}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("keys", ["int", "str"])
def test_generated_log_is_valid(logs, layout, keys):
    log = logs[layout, keys]
    assert len(log["time"]) == N_EVENTS
    assert log["time"].dtype == np.int64 and log["state"].dtype == np.uint8
    check_log(log)


def test_layouts_hold_the_same_events(logs):
    def rows(log):
        return sorted(zip(log["session"].tolist(), log["time"].tolist(), log["state"].tolist()))
    assert rows(logs["time", "int"]) == rows(logs["grouped", "int"]) == rows(logs["shuffled", "int"])
    t = logs["time", "int"]["time"]
    assert np.all(np.diff(t) >= 0)


def test_generator_is_seeded():
    a, b = make_log(5_000, 100, "shuffled", seed=3), make_log(5_000, 100, "shuffled", seed=3)
    for c in ("session", "time", "state"):
        np.testing.assert_array_equal(a[c], b[c])


# Only the (peer, layout, keys) cases the benchmark races: e.g. the numba loop needs
# integer keys, and "polars-trusted" is only honest on logs with per-session order.
RACED = [(peer, layout, keys) for peer in PEERS for layout in LAYOUTS for keys in ("int", "str")
         if layout in IMPLS[peer].layouts and keys in IMPLS[peer].keys]


@pytest.mark.parametrize(("peer", "layout", "keys"), RACED)
def test_peer_equals_agentstats(logs, expected, peer, layout, keys):
    impl = IMPLS[peer]
    pytest.importorskip(impl.module, reason=f"{impl.module} not installed (pip install .[bench])")
    assert_same(compute(peer, logs[layout, keys]), expected[layout, keys], peer)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_agentstats_two_threads_identical(logs, expected, layout):
    assert_same(compute("agentstats-2t", logs[layout, "int"]), expected[layout, "int"], "2 threads")


def test_expected_is_not_trivial(logs, expected):
    e = expected["time", "int"]
    assert len(e["session"]) == N_SESSIONS
    for c in COLUMNS:
        assert e[c].min() >= 0 and e[c].sum() > 0, c


@pytest.mark.parametrize("peer", ["pandas", "duckdb"])
def test_queue_benchmark_peers_agree(peer):
    """benchmarks/test_bench_queues.py: pandas and DuckDB compute exactly agentstats'
    queue statistics (agentstats itself is held to the twin in tests/test_queues.py)."""
    from importlib.util import find_spec

    from benchmarks import test_bench_queues as bq

    prepare, run, canon, module = bq.IMPLS[peer]
    if find_spec(module) is None:
        pytest.skip(f"{module} is not installed")
    data = bq.generate(20_000, seed=3)
    want = bq.canon_agentstats(bq.run_agentstats(data))
    got = canon(run(prepare(data)))
    for key in want:
        assert np.array_equal(got[key], want[key]), key


@pytest.mark.cluster
def test_dask_benchmark_runs_at_a_small_size(tmp_path):
    """benchmarks/test_bench_dask.py (200M events by hand) stays runnable: the same code at
    30,000 events in three daily files, its own two-worker cluster, its equality checks
    after the timing; the recorded 200M figures are not touched."""
    import os
    import subprocess

    pytest.importorskip("distributed")
    repo = Path(__file__).resolve().parents[1]
    recorded = repo / "benchmarks" / "results" / "dask.json"
    before = recorded.read_bytes() if recorded.exists() else None
    env = dict(os.environ, AGENTSTATS_DASK_EVENTS="30000", AGENTSTATS_DASK_DAYS="3",
               AGENTSTATS_BENCH_CACHE=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(repo / "benchmarks" / "test_bench_dask.py")],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 passed" in done.stdout
    assert (recorded.read_bytes() if recorded.exists() else None) == before
    small = repo / "benchmarks" / "results" / "dask-30000.json"
    assert small.exists()
    small.unlink()
