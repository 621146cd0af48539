"""The compiled module against its stub, and the debug build (bounds checks on)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import agentstats
from agentstats.io.qlog_columns import LineNames
from checks import assert_same_as_reference

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("module", ["agentstats._kernel", "agentstats._queues", "agentstats._agents", "agentstats._qlog", "agentstats._qlog_calls", "agentstats._qlog_agents", "agentstats._qlog_lines", "agentstats._qlog_aliases"])
def test_stub_matches_the_compiled_module(module):
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", module],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_package_ships_stub_and_marker():
    package = Path(agentstats.__file__).parent
    assert (package / "_kernel.pyi").is_file()
    assert (package / "_queues.pyi").is_file()
    assert (package / "_agents.pyi").is_file()
    assert (package / "py.typed").is_file()


@pytest.fixture(scope="module")
def debug_kernel(tmp_path_factory):
    """Build the extension with AGENTSTATS_DEBUG=1 (boundscheck, wraparound,
    initializedcheck on; -O0) from a copy of the sources, and load it."""
    if not (REPO / "setup.py").is_file():
        pytest.skip("the source tree is not beside the tests")
    work = tmp_path_factory.mktemp("debug-build")
    shutil.copytree(REPO / "src", work / "src", ignore=shutil.ignore_patterns("*.so", "*.c", "*.cpp", "__pycache__"))
    for name in ("setup.py", "pyproject.toml", "README.md"):
        if (REPO / name).exists():
            shutil.copy(REPO / name, work / name)
    env = {**os.environ, "AGENTSTATS_DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_ext", "--build-lib", str(work / "lib"),
         "--build-temp", str(work / "tmp")],
        cwd=work, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    built = next((work / "lib" / "agentstats").glob("_kernel*"))
    spec = importlib.util.spec_from_file_location("_kernel", built)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build_dir = work / "lib" / "agentstats"
    module.built_lib = module.build_dir
    return module


def _debug_module(debug_kernel, pattern: str):
    """Load one extension of the debug build (by its file name pattern) as a module."""
    built = next(debug_kernel.built_lib.glob(pattern))
    spec = importlib.util.spec_from_file_location(f"agentstats.{built.name.split('.')[0]}", built)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _use_module(monkeypatch, name: str, module) -> None:
    """The package uses `module` as its extension `name` for the rest of the test."""
    monkeypatch.setattr(agentstats, name, module, raising=False)
    monkeypatch.setitem(sys.modules, f"agentstats.{name}", module)


def test_debug_build_of_the_queue_loop_gives_the_same_answers(debug_kernel, monkeypatch):
    from agentstats.queues import MISSING, CallColumns, queue_stats

    debug_queues = _debug_module(debug_kernel, "_queues*")
    rng = np.random.default_rng(5)
    n = 500
    enter = rng.integers(0, 20_000, n)
    enter[rng.random(n) < 0.1] = MISSING
    leave = np.where(enter != MISSING, enter, 10_000) + rng.integers(0, 400, n)
    cols = CallColumns(queue=rng.integers(0, 3, n).astype(np.int32), queue_names=["a", "b", "c"],
                       enter=enter, leave=leave, wait=rng.integers(0, 400, n),
                       outcome=rng.integers(0, 9, n).astype(np.int8), flowed_in=rng.random(n) < 0.2,
                       flowed_out_at=np.where(rng.random(n) < 0.2, leave, MISSING))
    want = [queue_stats(cols, interval=i, as_of=15_000).to_pandas() for i in (None, 15)]
    calls = []
    loop = debug_queues.queue_cells
    monkeypatch.setattr(debug_queues, "queue_cells", lambda *a, **k: calls.append(1) or loop(*a, **k))
    _use_module(monkeypatch, "_queues", debug_queues)
    got = [queue_stats(cols, interval=i, as_of=15_000).to_pandas() for i in (None, 15)]
    assert len(calls) == 2 and all(g.equals(w) for g, w in zip(got, want))


def test_debug_build_of_the_agent_timeline_gives_the_twin_answers(debug_kernel, monkeypatch):
    debug_agents = _debug_module(debug_kernel, "_agents*")
    # the module, imported here: the package's names load on first use, so it may not be yet
    monkeypatch.setattr(importlib.import_module("agentstats.agents"), "_agents", debug_agents)
    from test_agents import _assert_same_as_twin, _kernel_table

    rng = np.random.default_rng(5)
    for layout in ("time", "shuffled"):
        n = 300
        rows = []
        for t in (np.sort(rng.integers(0, 500, n)) if layout == "time" else rng.integers(0, 500, n)):
            session = int(rng.integers(0, 8))
            rows.append((session, int(t), int(rng.integers(0, 5)), f"agent{session % 3}",
                         ["lunch", None, "break"][int(rng.integers(0, 3))], session == 7))
        for width in (None, 1):
            _assert_same_as_twin(rows, _kernel_table(rows, width_minutes=width), width_minutes=width)


def test_debug_build_gives_the_reference_answers(debug_kernel, monkeypatch):
    aggregate_module = sys.modules["agentstats.aggregate"]
    monkeypatch.setattr(aggregate_module, "_kernel", debug_kernel)
    rng = np.random.default_rng(3)
    for layout in ("time", "shuffled"):
        n = 400
        session = rng.integers(0, 9, n).tolist()
        time = rng.integers(0, 100, n).tolist()
        if layout == "time":
            time.sort()
        state = rng.integers(0, 6, n).tolist()
        wait = [None if w > 20 else int(w) for w in rng.integers(0, 30, n)]
        for threads in (1, 2):
            assert_same_as_reference(session, time, state, wait, n_threads=threads)


def test_debug_build_of_the_queue_log_tokenizer_gives_the_twin_answers(debug_kernel, monkeypatch, tmp_path):
    # bounds checks on: the tokenizer never reads or writes past its arrays (SPEC 6.5 lines)
    debug_qlog = _debug_module(debug_kernel, "_qlog.*")   # not _qlog_calls, _qlog_agents
    calls = []
    tokenize = debug_qlog.tokenize_block
    monkeypatch.setattr(debug_qlog, "tokenize_block", lambda *a: calls.append(1) or tokenize(*a))
    _use_module(monkeypatch, "_qlog", debug_qlog)
    from test_hostile_io import ONE_BAD_LINE, with_line
    from test_qlog_tokenizer import same_on_both_engines

    from agentstats.demo import demo_log_path

    same_on_both_engines(demo_log_path(), block_bytes=4096)
    for name, hostile, at, _bucket in ONE_BAD_LINE:
        path = tmp_path / name
        path.write_bytes(with_line(hostile, at) + b"\x00\x00")
        same_on_both_engines(path, block_bytes=97)
    assert calls


def test_debug_build_of_the_line_stage_gives_the_twin_answers(debug_kernel, monkeypatch, tmp_path):
    # bounds checks on: the compiled line stage (agentstats._qlog_lines) against its twin
    debug_lines = _debug_module(debug_kernel, "_qlog_lines*")
    _use_module(monkeypatch, "_qlog_lines", debug_lines)
    from test_hostile_io import ONE_BAD_LINE, with_line
    from test_qlog_lines import EDGE_CASES, same_stages

    from agentstats.demo import demo_log_path

    same_stages(demo_log_path(), block_bytes=4096)
    for name, hostile, at, _bucket in ONE_BAD_LINE:
        path = tmp_path / name
        path.write_bytes(with_line(hostile, at) + b"\x00\x00")
        same_stages(path, block_bytes=97)
    for case, lines in EDGE_CASES.items():
        path = tmp_path / "edge"
        path.write_bytes("\n".join(lines).encode() + b"\n")
        same_stages(path, block_bytes=13)
        same_stages(path, block_bytes=13, block_callids=True)
    same_stages(demo_log_path(), block_bytes=4096, block_callids=True)


def test_debug_build_of_the_call_side_gives_the_same_answers(debug_kernel, monkeypatch, tmp_path):
    # bounds checks on: the compiled call side (agentstats._qlog_calls, SPEC 8.1) with
    # blocks carrying their own callid tables, compacted after every block, against the
    # tracker reading one table of the import
    debug_calls = _debug_module(debug_kernel, "_qlog_calls.*")
    _use_module(monkeypatch, "_qlog_calls", debug_calls)
    from test_queue_streaming import EDGES, assert_block_callids_same, assert_same_table, log_lines, streamed_and_kept

    from agentstats.demo import write_queue_log
    from agentstats.io import queue_calls

    monkeypatch.setattr(queue_calls, "_FOLD_MIN", 1)
    monkeypatch.setattr(queue_calls, "_CALLID_SLACK", -(1 << 40))
    for rows in EDGES.values():
        lines = log_lines(rows)
        for memory in (0, 100, 8 * 3600):
            assert_same_table(*streamed_and_kept(lines, blocks=range(1, len(lines)), memory=memory))
    path = tmp_path / "queue_log"
    write_queue_log(path, agents=10, days=2, seed=3, dirty=True)
    assert_block_callids_same(path, {"interval": 15}, block_bytes=2048, chunk_events=300)
    assert queue_calls.CompiledCallTracker(LineNames())._state.__class__ is debug_calls.CallState


def test_debug_build_of_the_agent_translation_gives_the_twin_answers(debug_kernel, monkeypatch, tmp_path):
    # bounds checks on: the compiled queue_log agent translation (SPEC 6.1 - 6.6) against
    # its plain-Python twin on every hand-made case and a demo log, cut into blocks
    debug_agents = _debug_module(debug_kernel, "_qlog_agents.*")
    calls = []
    read = debug_agents.AgentState.read
    _use_module(monkeypatch, "_qlog_agents", debug_agents)
    from test_qlog_translate import EDGES, assert_same, importer_lines, log_lines

    from agentstats.demo import demo_log_path
    from agentstats.io.queue_log_translate import CompiledAgentTranslator

    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    for rows, options in EDGES.values():
        lines = log_lines(rows)
        translator, _ = assert_same(empty, lines, blocks=(1, len(lines) // 2), **options)
        calls.append(type(translator._state).read is read)
    lines, (_, _, diagnostics) = importer_lines(demo_log_path())
    assert_same(empty, lines, aliases=diagnostics["aliases"], as_of=diagnostics["last_time"], blocks=(500,))
    assert calls and all(calls)
    assert CompiledAgentTranslator(LineNames())._k is debug_agents


def test_debug_build_of_the_alias_inference_gives_the_twin_answers(debug_kernel, monkeypatch, tmp_path):
    # bounds and None checks on: the compiled alias inference (agentstats._qlog_aliases,
    # SPEC 6.4) against its plain-Python twin on the hand-made cases and a demo log
    debug_aliases = _debug_module(debug_kernel, "_qlog_aliases.*")
    _use_module(monkeypatch, "_qlog_aliases", debug_aliases)
    from test_qlog_aliases import HAND_MADE, _write, both_engines

    from agentstats.demo import demo_log_path

    assert both_engines([demo_log_path()])[0]
    for case, (lines, expected) in HAND_MADE.items():
        assert both_engines([_write(tmp_path / "queue_log", lines)])[0] == expected, case
