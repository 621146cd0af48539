"""The report process's C heap settings (agentstats.report.memory): large buffers in
mappings of their own, and the import's freed pages returned before the report's frames
are built; and the report's smaller event chunks give the same outputs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from agentstats.cli import main
from agentstats.report import memory

try:
    GLIBC = bool(os.confstr("CS_GNU_LIBC_VERSION"))
except (ValueError, OSError, AttributeError):
    GLIBC = False

needs_glibc = pytest.mark.skipif(not GLIBC, reason="the heap settings are glibc's")

# After a 4 MiB buffer is freed, are a 2 MiB and a 512 KiB buffer mapped (hblks: glibc's
# count of the mapped chunks in use)? glibc's default raises its threshold to 4 MiB at
# that free (both then come from the heap); the report's threshold stays at 1 MiB.
_MAPPED_AFTER_A_FREE = textwrap.dedent("""
    import ctypes
    from agentstats.report import memory

    class Info(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in
                    "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]

    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = Info
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = (ctypes.c_void_p,)
    libc.malloc.argtypes = (ctypes.c_size_t,)
    assert memory.map_large_buffers()
    libc.free(libc.malloc(4 << 20))
    mapped = []
    for size in (2 << 20, 512 << 10):
        before = libc.mallinfo2().hblks
        kept = libc.malloc(size)
        mapped.append(libc.mallinfo2().hblks - before)
    print(*mapped)
""")


@needs_glibc
def test_map_large_buffers_keeps_the_threshold_where_it_was_set():
    done = subprocess.run([sys.executable, "-c", _MAPPED_AFTER_A_FREE], capture_output=True,
                          text=True, check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.stdout.split() == ["1", "0"]


@needs_glibc
def test_release_free_heap_returns_freed_pages():
    blocks = [bytearray(100_000) for _ in range(2000)]     # ~200 MB from the heap (below 128 KiB each)
    del blocks[:-1]                                         # the last one keeps the heap's top in use
    assert memory.release_free_heap() is True


def test_without_glibc_nothing_is_set(monkeypatch):
    monkeypatch.setattr(memory, "_glibc", lambda: None)
    assert memory.map_large_buffers() is False
    assert memory.release_free_heap() is False



@pytest.mark.parametrize("view", [["--by", "queue"], ["--by", "queue", "--interval", "15"],
                                  ["--by", "agent"], ["--by", "agent", "--interval", "60"], []])
def test_report_chunks_do_not_change_the_files(tmp_path, monkeypatch, view):
    """--low-memory's event chunks (of _REPORT_CHUNK_EVENTS) against chunks of a few
    events, one chunk of every event and the default report: the same CSV and
    accounting."""
    import agentstats.cli as cli

    outputs = []
    for chunk in (cli._REPORT_CHUNK_EVENTS, 7, 1 << 40, None):
        if chunk is not None:
            monkeypatch.setattr(cli, "_REPORT_CHUNK_EVENTS", chunk)
        out = tmp_path / f"{chunk}.csv"
        flags = ["--low-memory"] if chunk is not None else []
        assert main(["demo", *view, *flags, "-o", str(out), "-q"]) == 0
        outputs.append((out.read_bytes(), out.with_suffix(".accounting.json").read_bytes()))
    assert outputs[0] == outputs[1] == outputs[2] == outputs[3]


def test_low_memory_is_what_sets_the_heap_and_the_chunks(tmp_path, monkeypatch):
    """The default report keeps glibc's own heap policy and the importer's chunks;
    --low-memory sets both (a quarter more time for a third less memory)."""
    import agentstats.cli as cli
    import agentstats.io.queue_log as queue_log
    import agentstats.report.memory as memory

    calls = {"mapped": 0, "chunks": []}
    monkeypatch.setattr(memory, "map_large_buffers", lambda: calls.__setitem__("mapped", calls["mapped"] + 1))
    real = queue_log.QueueLogImporter.__init__

    def spy(self, *args, **kwargs):
        calls["chunks"].append(kwargs.get("chunk_events"))
        real(self, *args, **kwargs)
    monkeypatch.setattr(queue_log.QueueLogImporter, "__init__", spy)
    assert main(["demo", "--by", "queue", "-o", str(tmp_path / "a.csv"), "-q"]) == 0
    assert calls["mapped"] == 0 and set(calls["chunks"]) <= {None}
    assert main(["demo", "--by", "queue", "--low-memory", "-o", str(tmp_path / "b.csv"), "-q"]) == 0
    assert calls["mapped"] == 1 and cli._REPORT_CHUNK_EVENTS in calls["chunks"]
