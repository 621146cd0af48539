"""The agent timeline (SPEC 7.1, 7.3) against its plain-Python twin (agent_reference.py),
hand-derived cases, and the identities that must hold on every example."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import agentstats
from agentstats.agents import AgentAggregator, agent_stats
from agent_reference import agent_reference

H = 3600
MISSING = np.iinfo(np.int64).min


def _columns(rows):
    """rows: (session, time|None, state, agent, reason, presence) -> kernel inputs."""
    session = np.array([r[0] for r in rows], dtype=np.int64)
    time = np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=np.float64)
    if all(r[1] is not None for r in rows):
        time = time.astype(np.int64)
    state = np.array([r[2] if isinstance(r[2], int) else 9 for r in rows], dtype=np.int64)
    agent = np.array([r[3] for r in rows], dtype=object)
    reason = np.array([r[4] for r in rows], dtype=object)
    presence = np.array([r[5] for r in rows], dtype=bool)
    return session, time, state, agent, reason, presence


def _kernel_table(rows, *, width_minutes=None, as_of=None, chunks=1, n_threads=1):
    session, time, state, agent, reason, presence = _columns(rows)
    aggregator = AgentAggregator(unit="s", as_of=as_of, interval=width_minutes, strict=False,
                                 n_threads=n_threads)
    bounds = np.linspace(0, len(rows), chunks + 1).astype(int)
    for lo, hi in zip(bounds, bounds[1:]):
        aggregator.update(session[lo:hi], time[lo:hi], state[lo:hi], agent=agent[lo:hi],
                          reason=reason[lo:hi], presence=presence[lo:hi])
    return aggregator.result()


def _twin(rows, *, width_minutes=None, as_of=None):
    return agent_reference(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows],
        reason=[r[4] for r in rows], presence=[r[5] for r in rows], as_of=as_of,
        width=(width_minutes or 0) * 60)


def _assert_identities(table):
    """SPEC 7.1 / 7.3: logged_in == talk + wrapup + ready + not_ready for every agent,
    every interval and the whole report; no interval holds more than its length."""
    t = table.ticks
    assert np.array_equal(t["logged_in"], t["talk"] + t["wrap"] + t["ready"] + t["not_ready"])
    frame = table.to_pandas()
    parts = frame["talk"] + frame["wrapup"] + frame["ready"] + frame["not_ready"]
    assert (frame["logged_in"] == parts).all()
    assert frame["logged_in"].sum() == parts.sum()
    reasons = table.reasons()
    by_agent = reasons.groupby("agent")["not_ready"].sum()
    for key, total in zip(frame["agent"], frame["not_ready"]):
        assert by_agent.get(key, pd.Timedelta(0)) == total
    if table.interval_ticks:
        iv = table.intervals()
        parts = iv["talk"] + iv["wrapup"] + iv["ready"] + iv["not_ready"]
        assert (iv["logged_in"] == parts).all()
        assert (iv["logged_in"] <= pd.Timedelta(table.interval_ticks, unit="s")).all()
        per_agent = iv.groupby("agent")[["logged_in", "calls"]].sum()
        for key, logged, calls in zip(frame["agent"], frame["logged_in"], frame["calls"]):
            got = per_agent.loc[key] if key in per_agent.index else None
            assert (got["logged_in"] if got is not None else pd.Timedelta(0)) == logged
            assert (int(got["calls"]) if got is not None else 0) == calls


def _assert_same_as_twin(rows, table, *, width_minutes=None, as_of=None):
    expected, buckets, _ = _twin(rows, width_minutes=width_minutes, as_of=as_of)
    diagnostics = table.diagnostics
    assert {k: diagnostics[k] for k in buckets} == buckets
    assert diagnostics["rows"] == len(rows) == sum(buckets.values())
    assert sorted(map(str, table.keys)) == sorted(map(str, expected))
    t = table.ticks
    reasons = table.reasons()
    intervals = table.intervals() if width_minutes else None
    for position, key in enumerate(table.keys.tolist()):
        e = expected[key]
        got = {name: int(t[name][position]) for name in
               ("logged_in", "talk", "wrap", "ready", "not_ready", "calls", "state")}
        want = {"logged_in": e.logged_in, "talk": e.talk, "wrap": e.wrap, "ready": e.ready,
                "not_ready": e.not_ready, "calls": e.calls, "state": e.state}
        assert got == want, key
        assert int(t["first_login"][position]) == e.first_login
        last = int(t["last_logoff"][position])
        assert (None if last == MISSING else last) == e.last_logoff
        mine = reasons[reasons["agent"] == key]
        got_reasons = {r: int(v / pd.Timedelta(1, "s")) for r, v in zip(mine["reason"], mine["not_ready"])}
        assert got_reasons == {r: v for r, v in e.reasons.items() if v}
        if intervals is not None:
            mine = intervals[intervals["agent"] == key]
            got_iv = {}
            for row in mine.itertuples():
                bucket = int(row.interval_start.value // 10**9) // (width_minutes * 60)
                got_iv[bucket] = [int(x / pd.Timedelta(1, "s")) for x in
                                  (row.logged_in, row.talk, row.wrapup, row.ready, row.not_ready)] + [row.calls]
            assert got_iv == dict(e.intervals)


# -- hypothesis: multi-queue logs ---------------------------------------------------------

REASONS = st.sampled_from([None, "", "lunch", "break"])


@st.composite
def multi_queue_logs(draw, *, distinct_times=False, invalid=True):
    """Agents with several queue sessions at once (overlapping), some with a presence;
    pauses in one queue and in all at once, calls in two queues at the same time."""
    n_agents = draw(st.integers(1, 3))
    sessions = []          # (session id, agent, presence)
    for a in range(n_agents):
        for _ in range(draw(st.integers(1, 3))):
            sessions.append((len(sessions), f"agent{a}", False))
        if draw(st.booleans()):
            sessions.append((len(sessions), f"agent{a}", True))
    rows = []
    for _ in range(draw(st.integers(0, 40))):
        sid, agent, is_presence = draw(st.sampled_from(sessions))
        t = draw(st.integers(0, 200))
        state = draw(st.sampled_from([0, 1, 2, 3, 4] * 4 + (["bad"] if invalid else [])))
        if draw(st.integers(0, 30)) == 0 and invalid:
            t = None
        if draw(st.integers(0, 6)) == 0:
            # the same state change in every queue of the agent at once (PAUSEALL-like)
            for other, other_agent, other_presence in sessions:
                if other_agent == agent:
                    rows.append((other, t, state, agent, draw(REASONS), other_presence))
            continue
        rows.append((sid, t, state, agent, draw(REASONS), is_presence))
    if distinct_times:
        times = draw(st.permutations(range(len(rows))))
        rows = [(s, None if t is None else 3 * times[i], stt, a, r, p)
                for i, (s, t, stt, a, r, p) in enumerate(rows)]
    order = draw(st.sampled_from(["time", "input"]))
    if order == "time":
        rows.sort(key=lambda r: (r[1] is None, r[1] or 0))
    return rows


@settings(max_examples=min(300, settings().max_examples))   # (the suite's time: half the CI profile)
@given(multi_queue_logs(), st.sampled_from([None, 1, 2]), st.sampled_from([None, 150]),
       st.sampled_from([1, 2]))
def test_kernel_equals_twin(rows, width, as_of, n_threads):
    table = _kernel_table(rows, width_minutes=width, as_of=as_of, n_threads=n_threads)
    _assert_same_as_twin(rows, table, width_minutes=width, as_of=as_of)
    _assert_identities(table)


@settings(max_examples=min(300, settings().max_examples))   # (the suite's time: half the CI profile)
@given(multi_queue_logs(invalid=False), st.integers(2, 4), st.sampled_from([None, 1]))
def test_chunks_equal_one_shot(rows, chunks, width):
    rows = sorted(rows, key=lambda r: r[1])      # across chunks an agent goes forward in time
    one = _kernel_table(rows, width_minutes=width)
    many = _kernel_table(rows, width_minutes=width, chunks=chunks, n_threads=2)
    pd.testing.assert_frame_equal(one.to_pandas(), many.to_pandas())
    pd.testing.assert_frame_equal(one.reasons(), many.reasons())
    if width:
        pd.testing.assert_frame_equal(one.intervals(), many.intervals())
    assert one.diagnostics == many.diagnostics


@settings(max_examples=150)    # the hand-made case after it pins the rule; this one explores
@given(multi_queue_logs(invalid=False), st.lists(st.booleans(), min_size=2, max_size=4),
       st.sampled_from([None, 1]), st.sampled_from([1, 2]))
def test_chunks_with_and_without_a_reason_column_equal_the_twin(rows, with_reasons, width,
                                                                  n_threads):
    """SPEC 7.1 / 1.1: chunks of which some have no reason column (the kernel then skips
    the pause-reason bookkeeping) give the twin's table, reasons included, whichever
    chunks have one: a chunk without reasons after one with still says "no reason" for
    its pauses, and a pause begun without reasons still ends right later on."""
    assume(rows)
    rows = sorted(rows, key=lambda r: r[1])
    bounds = np.linspace(0, len(rows), len(with_reasons) + 1).astype(int)
    seen = []
    aggregator = AgentAggregator(unit="s", interval=width, strict=False, n_threads=n_threads)
    session, time, state, agent, reason, presence = _columns(rows)
    for lo, hi, given_reasons in zip(bounds, bounds[1:], with_reasons):
        if hi == lo:
            continue
        aggregator.update(session[lo:hi], time[lo:hi], state[lo:hi], agent=agent[lo:hi],
                          reason=reason[lo:hi] if given_reasons else None,
                          presence=presence[lo:hi])
        seen += rows[lo:hi] if given_reasons else [r[:4] + (None,) + r[5:] for r in rows[lo:hi]]
    _assert_same_as_twin(seen, aggregator.result(), width_minutes=width)


@pytest.mark.parametrize("n_threads", [1, 2])
def test_a_pause_without_reason_after_a_chunk_with_reasons_takes_over(n_threads):
    """SPEC 7.1: the most recent pause in force gives the reason, also when it comes in
    a chunk that has no reason column after one that had (it is then "no reason")."""
    first = [(1, 0, 1, "a", None, False), (2, 0, 1, "a", None, False),
             (1, 10, 0, "a", "lunch", False)]                     # 10-20 ready (session 2)
    second = [(2, 20, 0, "a", None, False),                      # 20-30 no reason
              (2, 30, 4, "a", None, False), (1, 40, 4, "a", None, False)]   # 30-40 lunch
    aggregator = AgentAggregator(unit="s", strict=False, n_threads=n_threads)
    for rows, with_reasons in ((first, True), (second, False)):
        session, time, state, agent, reason, presence = _columns(rows)
        aggregator.update(session, time, state, agent=agent,
                          reason=reason if with_reasons else None, presence=presence)
    reasons = aggregator.result().reasons()
    got = {r: int(v / pd.Timedelta(1, "s")) for r, v in zip(reasons["reason"], reasons["not_ready"])}
    assert got == {"lunch": 10, "": 10}


@settings(max_examples=min(300, settings().max_examples))   # (the suite's time: half the CI profile)
@given(multi_queue_logs(distinct_times=True), st.randoms(use_true_random=False))
def test_any_order_equals_time_order(rows, rng):
    ordered = sorted(rows, key=lambda r: (r[1] is None, r[1] or 0))
    shuffled = list(rows)
    rng.shuffle(shuffled)
    a = _kernel_table(ordered, width_minutes=1)
    b = _kernel_table(shuffled, width_minutes=1, n_threads=2)
    pd.testing.assert_frame_equal(a.to_pandas(), b.to_pandas())
    pd.testing.assert_frame_equal(a.reasons(), b.reasons())
    pd.testing.assert_frame_equal(a.intervals(), b.intervals())


# -- hand-derived cases -------------------------------------------------------------------


def _two_queue_day():
    """The supervisor's example: one agent in two queues 08:00-16:00, two calls (one in
    each queue), a 30-minute lunch pause in both queues at once."""
    rows = [
        (1, 8 * H, 1, "A", None, False), (2, 8 * H, 1, "A", None, False),
        (1, 9 * H, 2, "A", None, False), (1, 9 * H + 600, 1, "A", None, False),
        (2, 10 * H, 2, "A", None, False), (2, 10 * H + 300, 3, "A", None, False),
        (2, 10 * H + 400, 1, "A", None, False),
        (1, 12 * H, 0, "A", "lunch", False), (2, 12 * H, 0, "A", "lunch", False),
        (1, 12 * H + 1800, 1, "A", None, False), (2, 12 * H + 1800, 1, "A", None, False),
        (1, 16 * H, 4, "A", None, False), (2, 16 * H, 4, "A", None, False),
    ]
    return rows


def test_two_queue_agent_is_logged_in_eight_hours():
    table = _kernel_table(_two_queue_day(), width_minutes=60)
    row = table.to_pandas().iloc[0]
    assert row["logged_in"] == pd.Timedelta(hours=8)        # not 16 h
    assert row["calls"] == 2
    assert row["calls_per_hour"] == 0.25
    assert row["not_ready"] == pd.Timedelta(minutes=30)      # the lunch, once
    assert row["talk"] == pd.Timedelta(minutes=15)
    assert row["wrapup"] == pd.Timedelta(seconds=100)
    assert row["ready"] == pd.Timedelta(hours=8) - pd.Timedelta(minutes=30, seconds=15 * 60 + 100)
    assert row["first_login"] == pd.Timestamp(8 * H, unit="s")
    assert row["last_logoff"] == pd.Timestamp(16 * H, unit="s")
    assert row["state"] == "logged out"
    assert table.reasons().to_dict("list") == {
        "agent": ["A"], "reason": ["lunch"], "not_ready": [pd.Timedelta(minutes=30)]}
    hours = table.intervals()
    assert len(hours) == 8
    assert (hours["logged_in"] == pd.Timedelta(hours=1)).all()   # nothing exceeds 1 h
    assert hours["not_ready"].max() == pd.Timedelta(minutes=30)
    _assert_identities(table)


def test_ready_in_one_queue_while_on_call_in_the_other_is_on_call():
    rows = [(1, 0, 1, "A", None, False), (2, 0, 1, "A", None, False),
            (1, 100, 2, "A", None, False), (1, 400, 1, "A", None, False),
            (1, 1000, 4, "A", None, False), (2, 1000, 4, "A", None, False)]
    t = _kernel_table(rows).ticks
    assert (t["talk"][0], t["ready"][0], t["logged_in"][0]) == (300, 700, 1000)


def test_calls_in_two_queues_at_once_count_twice_but_talk_once():
    rows = [(1, 0, 2, "A", None, False), (2, 50, 2, "A", None, False),
            (1, 100, 1, "A", None, False), (2, 200, 1, "A", None, False),
            (1, 300, 4, "A", None, False), (2, 300, 4, "A", None, False)]
    t = _kernel_table(rows).ticks
    assert (t["calls"][0], t["talk"][0], t["ready"][0]) == (2, 200, 100)


def test_presence_alone_is_logged_in_and_not_ready():
    # SPEC 6.6: logged in with no queue session: not ready, reason "" (no pause given)
    rows = [(7, 0, 1, "A", None, True), (7, 600, 0, "A", "lunch", True),
            (7, 900, 1, "A", None, True), (7, 1200, 4, "A", None, True)]
    table = _kernel_table(rows)
    t = table.ticks
    assert (t["logged_in"][0], t["not_ready"][0], t["ready"][0], t["calls"][0]) == (1200, 1200, 0, 0)
    reasons = dict(zip(table.reasons()["reason"], table.reasons()["not_ready"]))
    assert reasons == {"": pd.Timedelta(seconds=900), "lunch": pd.Timedelta(seconds=300)}


def test_presence_bridges_the_gap_between_queue_sessions():
    rows = [(7, 0, 1, "A", None, True), (1, 100, 1, "A", None, False),
            (1, 200, 4, "A", None, False), (2, 500, 1, "A", None, False),
            (2, 600, 4, "A", None, False), (7, 700, 4, "A", None, True)]
    t = _kernel_table(rows).ticks
    assert (t["logged_in"][0], t["ready"][0], t["not_ready"][0]) == (700, 200, 500)


def test_most_recent_pause_in_force_gives_the_reason():
    rows = [(1, 0, 0, "A", "meeting", False), (2, 100, 0, "A", "lunch", False),
            (2, 200, 1, "A", None, False), (2, 300, 4, "A", None, False),
            (1, 400, 4, "A", None, False)]
    table = _kernel_table(rows)
    got = dict(zip(table.reasons()["reason"], table.reasons()["not_ready"] / pd.Timedelta(1, "s")))
    # 0-100 meeting; 100-200 lunch (latest pause); 200-300 ready; 300-400 meeting again
    assert got == {"meeting": 200, "lunch": 100}
    assert table.ticks["ready"][0] == 100


def test_open_agents_close_at_as_of_and_later_rows_are_not_seen():
    rows = [(1, 0, 1, "A", None, False), (1, 100, 2, "A", None, False),
            (1, 500, 1, "A", None, False)]
    table = _kernel_table(rows, as_of=300)
    t = table.ticks
    assert (t["logged_in"][0], t["talk"][0], t["state"][0]) == (300, 200, 2)
    assert table.diagnostics["after_as_of"] == 1
    assert table.to_pandas()["last_logoff"].isna().all()


def test_derived_columns_are_missing_not_zero_when_undefined():
    rows = [(1, 0, 0, "A", None, False), (1, 100, 4, "A", None, False),
            (2, 5, 4, "B", None, False)]
    frame = _kernel_table(rows).to_pandas().set_index("agent")
    assert np.isnan(frame.loc["A", "occupancy"])            # 0 / 0: never ready or busy
    assert frame.loc["A", "utilisation"] == 0.0              # 0 / 100
    assert pd.isna(frame.loc["A", "average_handle_time"])
    assert np.isnan(frame.loc["B", "utilisation"])           # logged in for 0 s
    assert np.isnan(frame.loc["B", "calls_per_hour"])


def test_interval_split_is_exact_at_the_edges():
    rows = [(1, 14 * 60 + 59, 2, "A", None, False), (1, 15 * 60 + 1, 1, "A", None, False),
            (1, 16 * 60, 4, "A", None, False)]
    iv = _kernel_table(rows, width_minutes=15).intervals()
    assert iv["talk"].dt.total_seconds().tolist() == [1, 1]
    assert iv["ready"].dt.total_seconds().tolist() == [0, 59]
    assert iv["calls"].tolist() == [1, 0]


def test_day_intervals():
    rows = [(1, 23 * H, 1, "A", None, False), (1, 26 * H, 4, "A", None, False)]
    session, time, state, agent, reason, presence = _columns(rows)
    iv = agent_stats(session, time, state, agent=agent, unit="s", interval="day").intervals()
    assert iv["logged_in"].dt.total_seconds().tolist() == [H, 2 * H]


def test_strict_mode_names_the_first_bad_row():
    with pytest.raises(agentstats.TapiError, match="row 1"):
        agent_stats([1, 1], [0, 5], [1, 7], agent=["A", "A"], unit="s")


def test_an_agent_that_changes_within_a_session_is_an_error_naming_the_row():
    with pytest.raises(ValueError, match=r"row 1: session 1 has agent 'B', but 'A' at row 0"):
        agent_stats([1, 1], [0, 5], [1, 4], agent=["A", "B"], unit="s")


def test_chunks_must_not_go_back_in_time_within_an_agent():
    aggregator = AgentAggregator(unit="s")
    aggregator.update([1], [100], [1], agent=["A"])
    with pytest.raises(ValueError, match="back in time"):
        aggregator.update([2], [50], [1], agent=["A"])
    # nothing of the failed chunk was kept
    assert aggregator.result().diagnostics["rows"] == 1


def test_inputs_are_not_modified_and_read_only_arrays_work():
    session = np.array([2, 1, 1, 2], dtype=np.int64)
    time = np.array([50, 0, 100, 10], dtype=np.int64)
    state = np.array([4, 1, 4, 1], dtype=np.int64)
    for array in (session, time, state):
        array.setflags(write=False)
    table = agent_stats(session, time, state, agent=np.array(["A"] * 4, dtype=object), unit="s")
    assert time.tolist() == [50, 0, 100, 10]
    assert table.ticks["logged_in"].tolist() == [100]


def test_string_keys_and_datetime_time():
    time = pd.to_datetime(["2026-03-02 08:00", "2026-03-02 08:30", "2026-03-02 09:00"])
    table = agent_stats(["s1", "s1", "s2"], time, [1, 4, 1], agent=["Ann", "Ann", "Bob"],
                        as_of="2026-03-02 10:00")
    frame = table.to_pandas().set_index("agent")
    assert frame.loc["Ann", "logged_in"] == pd.Timedelta(minutes=30)
    assert frame.loc["Bob", "logged_in"] == pd.Timedelta(hours=1)


def test_the_kernel_twin_comparison_can_fail():
    """A broken timeline (logged-in time summed per session, as before) is caught."""
    rows = _two_queue_day()
    table = _kernel_table(rows)
    table.ticks["logged_in"] = table.ticks["logged_in"] * 2
    with pytest.raises(AssertionError):
        _assert_same_as_twin(rows, table)
    with pytest.raises(AssertionError):
        _assert_identities(table)


def test_key_codes_keep_first_seen_codes_across_every_mapping():
    """Contiguous integer keys (code = key - base), a gap (a lookup table), then other
    keys (hashed): every key keeps its code, whatever mapping a chunk takes."""
    # chunks: contiguous from 5; continues; 20 (continues the range: 10..19 reserved);
    # 4 (below the base: a lookup table); strings (hashed)
    from agentstats.keycodes import KeyCodes

    codes = KeyCodes("session")
    seen = {}
    for chunk in ([7, 5, 6, 5], [8, 9, 6], [20, 5], [4, 9], np.array(["x", 5, "y"], dtype=object)):
        keys = np.asarray(chunk) if not isinstance(chunk, np.ndarray) else chunk
        got = codes.coded(keys).codes().tolist()
        codes.commit()
        for key, code in zip(keys.tolist(), got):
            assert seen.setdefault(key, code) == code, key
    assert len(set(seen.values())) == len(seen)              # one code per key
    known = codes.keys().tolist()                            # (a contiguous range also
    assert all(known[code] == key for key, code in seen.items())   # reserves unseen keys)


@pytest.mark.parametrize("call, error, message", [
    (lambda: agent_stats([1, 2], [0, 1, 2], [1, 1], agent=["A", "A"], unit="s"), ValueError,
     "columns have unequal lengths: session=2, time=3, state=2, agent=2"),
    (lambda: agent_stats([1], [0], [1], agent=["A"], unit="s", interval="week"), ValueError,
     "interval must be a number of minutes or 'day', not 'week'"),
    (lambda: agent_stats([1], [0], [1], agent=["A"], unit="s", interval=0), ValueError,
     "interval must be a positive number of minutes or 'day', not 0"),
    (lambda: agent_stats([1], [0], [1], agent=[None], unit="s"), ValueError,
     "agent key is missing (None) at row 0"),
    (lambda: agent_stats([1, 1], [0, 1], [1, 4], agent=["A", "A"], presence=[True, False], unit="s"),
     ValueError, "row 1: session 1 has presence False, but True at row 0"),
    (lambda: agent_stats([1], [0], [1], agent=["A"]), ValueError, "unit="),
])
def test_bad_input_is_a_clear_error(call, error, message):
    with pytest.raises(error) as caught:
        call()
    assert message in str(caught.value)
    assert "np." not in str(caught.value)


# -- threads (each thread applies the rows of its share of the agents) --------------------


def _assert_same_tables(a, b, *, intervals=True):
    pd.testing.assert_frame_equal(a.to_pandas(), b.to_pandas())
    pd.testing.assert_frame_equal(a.reasons(), b.reasons())
    if intervals:
        pd.testing.assert_frame_equal(a.intervals(), b.intervals())
    assert a.diagnostics == b.diagnostics
    assert a.ticks.keys() == b.ticks.keys()
    for name in a.ticks:
        assert np.array_equal(a.ticks[name], b.ticks[name]), name


def _many_agents_log(seed, n_agents=300, n_rows=30_000):
    """A time-ordered log of many agents (3 queue sessions each, some with a presence),
    spanning several of the kernel's row blocks, with pauses, reasons and bad rows."""
    rng = np.random.default_rng(seed)
    session = rng.integers(0, 4 * n_agents, n_rows)
    agent = session // 4
    presence = session % 4 == 3
    time = np.sort(rng.integers(0, 50_000, n_rows))
    state = rng.choice([0, 1, 2, 3, 4, 9], n_rows, p=[0.2, 0.3, 0.27, 0.215, 0.005, 0.01])
    reason = rng.choice(np.array(["lunch", "break", "", None], dtype=object), n_rows)
    return session, time, state, agent, reason, presence


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("shuffle", [False, True])
def test_one_thread_and_two_give_identical_tables(seed, shuffle):
    session, time, state, agent, reason, presence = _many_agents_log(seed)
    if shuffle:
        order = np.random.default_rng(seed + 10).permutation(len(time))
        session, time, state, agent, reason, presence = (
            c[order] for c in (session, time, state, agent, reason, presence))
    tables = [agent_stats(session, time, state, agent=agent, reason=reason, presence=presence,
                          unit="s", interval=15, strict=False, sessions=False, n_threads=n)
              for n in (1, 2)]
    assert tables[0].diagnostics["used"] > 15_000
    _assert_same_tables(*tables)
    _assert_identities(tables[1])


def test_threads_compare_can_fail():
    """The one-thread/two-thread comparison sees a difference in one agent's time."""
    session, time, state, agent, reason, presence = _many_agents_log(0)
    a = agent_stats(session, time, state, agent=agent, unit="s", strict=False, sessions=False,
                    n_threads=1)
    b = agent_stats(session, time, state, agent=agent, unit="s", strict=False, sessions=False,
                    n_threads=2)
    b.ticks["ready"][7] += 1
    with pytest.raises(AssertionError):
        _assert_same_tables(a, b, intervals=False)


@pytest.mark.parametrize("where", ["early", "late"])
def test_with_threads_a_bad_row_is_named_as_on_one_thread(where):
    """A session whose rows name two agents (of two threads' shares), a row back in
    time within an agent across chunks, a presence flag that changes: the error names
    the same row with any number of threads."""
    session, time, state, agent, reason, presence = _many_agents_log(2)
    row = 500 if where == "early" else len(time) - 5
    moved = agent.copy()
    first = int(np.argmax(session == session[row]))
    row = max(row, first + 1)
    moved[np.flatnonzero(session == session[row])[-1]] = (agent[row] + 150) % 300   # other half
    flipped = presence.copy()
    flipped[np.flatnonzero(session == session[row])[-1]] ^= True
    for columns in ((session, time, state, moved, presence), (session, time, state, agent, flipped)):
        messages = []
        for n in (1, 2):
            with pytest.raises(ValueError) as caught:
                agent_stats(columns[0], columns[1], columns[2], agent=columns[3],
                            presence=columns[4], unit="s", strict=False, sessions=False,
                            n_threads=n)
            messages.append(str(caught.value))
        assert messages[0] == messages[1]
        assert "row " in messages[0]


def test_n_threads_must_be_a_positive_int():
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="n_threads must be a positive int or None"):
            agent_stats([1], [0], [1], agent=["A"], unit="s", n_threads=bad)


def test_a_pause_in_force_on_the_presence_gives_the_reason_after_the_queue_logs_off():
    # SPEC 7.1: the queue's pause ("break", the most recent) ends with its logoff; the
    # presence is still paused ("lunch"): its reason is in force again (no shortcut to
    # "no reason" while a presence session is in NOT_READY)
    table = agent_stats([1, 2, 2], [0, 10, 20], [0, 0, 4], agent=["A", "A", "A"],
                        reason=["lunch", "break", None], presence=[True, False, False],
                        unit="s", as_of=30)
    reasons = table.reasons()
    got = {r: int(v / pd.Timedelta(1, "s")) for r, v in zip(reasons["reason"], reasons["not_ready"])}
    assert got == {"lunch": 20, "break": 10}


# -- the state priority from the open counts (one 8-byte word of four 16-bit counts) ----


@pytest.mark.parametrize("n", [1, 2, 255, 256, 257, 32767])
def test_priority_with_many_sessions_open_in_one_state(n):
    """SPEC 7.1 with n queue sessions of one agent open at once (the counts of open
    sessions per state go up to the most an agent may have, 32767): ready, then one
    call and its wrap-up while the others stay ready, then all not ready, then all end."""
    sid = np.arange(n)
    parts = [
        (sid, 0, 1),                    # every session logs in ready
        (sid[:1], 100, 2),              # one call
        (sid[:1], 200, 3),              # its wrap-up
        (sid, 300, 0),                  # all not ready (the first one from wrap-up)
        (sid, 400, 4),                  # all end
    ]
    session = np.concatenate([p[0] for p in parts])
    time = np.concatenate([np.full(len(p[0]), p[1]) for p in parts])
    state = np.concatenate([np.full(len(p[0]), p[2]) for p in parts])
    table = agent_stats(session, time, state, agent=np.zeros(len(session), np.int64), unit="s",
                        sessions=False, interval=1)
    t = table.ticks
    got = {name: int(t[name][0]) for name in ("logged_in", "talk", "wrap", "ready", "not_ready", "calls")}
    assert got == {"logged_in": 400, "talk": 100, "wrap": 100, "ready": 100, "not_ready": 100,
                   "calls": 1}
    assert int(t["last_logoff"][0]) == 400
    _assert_identities(table)
    if n <= 257:
        rows = [(int(s), int(tt), int(stt), "a", None, False) for s, tt, stt in zip(session, time, state)]
        _assert_same_as_twin(rows, _kernel_table(rows, width_minutes=1), width_minutes=1)


@pytest.mark.parametrize("chunks", [1, 2, 5])
def test_reason_time_is_handed_out_when_the_reason_changes(chunks):
    """Not-ready time per pause reason: booked to the reason in force while it lasts,
    handed out when another pause gives a new reason, when the pause that gave it ends,
    and at the close, also across chunks (then pending at a chunk's end)."""
    rows = [
        (1, 0, 1, "a", None, False), (2, 0, 1, "a", None, False),
        (1, 10, 0, "a", "lunch", False),          # 0-20 ready (session 2 is)
        (2, 20, 0, "a", "break", False),          # 20-30 break (the most recent pause)
        (2, 30, 1, "a", None, False),             # 30-70 ready
        (1, 50, 1, "a", None, False),
        (1, 60, 0, "a", "lunch", False),          # 60-70 ready
        (2, 70, 0, "a", None, False),             # 70-80 no reason (the most recent)
        (2, 80, 4, "a", None, False),             # 80-90 lunch again
        (1, 90, 4, "a", None, False),
    ]
    table = _kernel_table(rows, chunks=chunks)
    _assert_same_as_twin(rows, table)
    reasons = table.reasons()
    got = {r: int(v / pd.Timedelta(1, "s")) for r, v in zip(reasons["reason"], reasons["not_ready"])}
    assert got == {"lunch": 10, "break": 10, "": 10}
    assert int(table.ticks["ready"][0]) == 60


def test_state_records_never_straddle_a_cache_line():
    # The kernel prefetches the first line of a row's agent and session records: an
    # agent's hot fields are its first 64 bytes and a session's hot part is 8 bytes (its
    # first row and pauses also touch a 16-byte cold part), so the arrays start on a
    # line and the record sizes keep every record on its own lines.
    from agentstats import agents

    assert agents.TIMELINE_AGENT_DTYPE.itemsize % 64 == 0
    assert agents.TIMELINE_SESSION_DTYPE.itemsize == 8
    assert 64 % agents.TIMELINE_SESSION_COLD_DTYPE.itemsize == 0
    assert agents.TIMELINE_AGENT_DTYPE.fields["reason_seq"][1] == 64   # the second line starts there
    for n in (1, 7, 1000):     # (an empty array has no data to place)
        assert agents._new_agents(n).ctypes.data % 64 == 0
        assert agents._new_sessions(n).ctypes.data % 64 == 0
        assert agents._new_session_cold(n).ctypes.data % 64 == 0
        grown = agents._grow_records(agents._new_agents(n), n + 3, agents._new_agents)
        assert grown.ctypes.data % 64 == 0


@pytest.mark.parametrize("dtype", ["int8", "int16", "int64", "uint8", "float64"])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_state_dtypes_give_the_same_timeline(dtype, n_threads):
    """SPEC 3.1 / 7.1: states of any numeric dtype give the uint8 answer; values outside
    0..4 (int8 ones read in place, -128..-1 as 128..255) are invalid_state rows."""
    rng = np.random.default_rng(21)
    n = 3_000
    session = rng.integers(0, 40, n)
    time = np.sort(rng.integers(0, 50_000, n))
    state = rng.integers(0, 5, n)
    bad = rng.random(n) < 0.05
    values = np.where(bad, rng.choice([-1, -128, 5, 9, 127], n), state)
    if dtype == "uint8":
        values = np.where(bad, 200, state)
    want = agent_stats(session, time, np.where(bad, 9, state).astype(np.uint8), agent=session // 4,
                       unit="s", strict=False, sessions=False, n_threads=n_threads)
    got = agent_stats(session, time, values.astype(dtype), agent=session // 4, unit="s",
                      strict=False, sessions=False, n_threads=n_threads)
    assert got.diagnostics == want.diagnostics
    assert got.diagnostics["invalid_state"] == int(bad.sum())
    pd.testing.assert_frame_equal(got.to_pandas(), want.to_pandas())


@pytest.mark.parametrize("n_threads", [1, 2])
def test_reasons_after_chunks_without_find_the_pause_in_force(n_threads):
    """SPEC 7.1: sessions first seen in chunks without a reason column (the scan then
    keeps no list of an agent's sessions) are still searched for the most recent pause
    in force once reasons come: at 40 the pause that gave the reason (session 3's) ends,
    and session 2's lunch, begun at 20 in the third chunk by a session first seen in the
    first, is in force again (not "no reason")."""
    chunks = [
        [(1, 0, 1, "a", None, False), (2, 0, 1, "a", None, False), (1, 10, 0, "a", None, False)],
        [(9, 11, 1, "b", None, False)],                            # new sessions, no reasons
        [(2, 20, 0, "a", "lunch", False), (3, 25, 0, "a", "coffee", False), (3, 30, 1, "a", None, False),
         (3, 35, 0, "a", "coffee", False), (3, 40, 4, "a", None, False), (2, 50, 1, "a", None, False),
         (1, 60, 4, "a", None, False), (2, 60, 4, "a", None, False), (9, 60, 4, "b", None, False)],
    ]
    aggregator = AgentAggregator(unit="s", strict=False, n_threads=n_threads)
    seen = []
    for k, rows in enumerate(chunks):
        session, time, state, agent, reason, presence = _columns(rows)
        with_reasons = k == 2
        aggregator.update(session, time, state, agent=agent, reason=reason if with_reasons else None,
                          presence=presence)
        seen += rows if with_reasons else [r[:4] + (None,) + r[5:] for r in rows]
    table = aggregator.result(as_of=80)
    _assert_same_as_twin(seen, table, as_of=80)
    reasons = table.reasons()
    by_reason = dict(zip(reasons.loc[reasons["agent"] == "a", "reason"],
                         reasons.loc[reasons["agent"] == "a", "not_ready"]))
    # not ready 20-25 lunch, 25-30 and 35-40 coffee, 40-50 lunch again
    assert by_reason == {"lunch": pd.Timedelta(seconds=15), "coffee": pd.Timedelta(seconds=10)}
