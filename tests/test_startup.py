"""Start-up: `import agentstats` loads no heavy library; every public name still loads;
`agentstats report` of a small queue_log on the screen loads neither pandas nor pyarrow.

The names of the package and of agentstats.io are loaded on first use (PEP 562), and
library modules import pandas/pyarrow inside the functions that use them, so a program
that needs only part of the library does not pay for all of it.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

# The folder of the agentstats these tests import (the installed copy in CI, where src/
# holds no compiled modules; src/ in a checkout built in place).
SRC = str(Path(importlib.util.find_spec("agentstats").origin).resolve().parents[1])
HEAVY = ("pandas", "pyarrow", "rich", "polars", "duckdb")


def _loaded_after(code: str) -> list[str]:
    """The heavy libraries in sys.modules after running `code` in a fresh interpreter."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env={"PYTHONPATH": SRC, "PATH": ""}, check=True)
    return done.stdout.split()


@pytest.mark.parametrize("code", [
    "import agentstats",
    "import agentstats; agentstats.hresult; agentstats.READY; agentstats.AgentSession",
    "import agentstats.io.queue_log",
    "import agentstats.io",
    "from agentstats.io.lines import LineReader",
    "import agentstats.queues",
    "import agentstats.cli",
])
def test_light_imports_load_no_heavy_library(code):
    assert _loaded_after(code) == []


def test_import_agentstats_loads_not_even_numpy():
    # the package's names are loaded on use: numpy (and its extras) come with the first one
    done = subprocess.run(
        [sys.executable, "-c", "import agentstats, sys\n"
         "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
         "('numpy', 'pandas', 'pyarrow', 'rich', 'polars', 'duckdb', 'zoneinfo'))))"],
        capture_output=True, text=True, env={"PYTHONPATH": SRC, "PATH": ""}, check=True)
    assert done.stdout.split() == []


#: the libraries a report on the screen of a small queue_log does without (rich draws it)
TABLE_LIBRARIES = ("pandas", "pyarrow", "polars", "duckdb")


def _report_loads(args: list[str], **env: str) -> tuple[list[str], str]:
    """Run `agentstats ARGS` in a fresh interpreter: the TABLE_LIBRARIES it loaded by its
    exit, and its output."""
    probe = ("import sys\nfrom agentstats.cli import main\n"
             f"status = main({args!r})\n"
             f"print('LOADED:', *(m for m in {TABLE_LIBRARIES!r} if m in sys.modules))\n"
             "raise SystemExit(status)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env={"PYTHONPATH": SRC, "PATH": "", **env}, check=True)
    output, _, loaded = done.stdout.rpartition("LOADED:")
    return loaded.split(), output


@pytest.fixture(scope="module")
def small_log(tmp_path_factory):
    """The first 300 lines of the shipped demo log: agents, queues, calls, pauses, dirt."""
    from agentstats.demo import demo_log_path

    lines = demo_log_path().read_bytes().splitlines(keepends=True)[:300]
    path = tmp_path_factory.mktemp("startup") / "queue_log"
    path.write_bytes(b"".join(lines))
    return str(path)


@pytest.mark.parametrize("view", [[], ["--by", "agent"], ["--by", "queue"],
                                  ["--by", "agent", "--queue", "s*"], ["--by", "queue", "--service-level", "10,30"],
                                  ["--as-of", "2026-03-02T09:00"], ["--by", "agent", "--from", "2026-03-02T08:00Z"],
                                  ["--by", "queue", "--until", "2026-03-02 10:00:00+01:00"]])
def test_a_screen_report_of_a_small_log_loads_no_table_library(small_log, view):
    loaded, output = _report_loads(["report", small_log, *view])
    assert loaded == []
    assert "Lines: 300 read" in output


def test_the_report_probe_sees_a_table_library(small_log):
    # the probe must be able to fail: a file report is written through pandas
    loaded, _ = _report_loads(["report", small_log, "--by", "agent", "-o", str(Path(small_log).with_suffix(".csv"))])
    assert "pandas" in loaded


def test_the_loader_sees_a_heavy_import():
    # the probe itself must be able to fail
    assert "pandas" in _loaded_after("import agentstats.io.tabular")


def test_every_public_name_loads_and_lists():
    import agentstats

    for name in agentstats.__all__:
        value = getattr(agentstats, name)
        exec(f"from agentstats import {name}", {})
        assert name in dir(agentstats)
        assert value is getattr(agentstats, name)
    namespace: dict = {}
    exec("from agentstats import *", namespace)
    assert set(agentstats.__all__) <= set(namespace)
    assert agentstats.READY == agentstats.AgentSessionState.READY
    with pytest.raises(AttributeError, match="no_such_name"):
        agentstats.no_such_name


def test_a_submodule_does_not_hide_the_function_of_its_name():
    # importing agentstats.aggregate (the module) must leave agentstats.aggregate the function
    done = subprocess.run(
        [sys.executable, "-c",
         "import agentstats, agentstats.aggregate as m\n"
         "import agentstats.aggregate\n"
         "print(callable(agentstats.aggregate) and agentstats.aggregate.__module__)"],
        capture_output=True, text=True, env={"PYTHONPATH": SRC, "PATH": ""}, check=True)
    assert done.stdout.strip() == "agentstats.aggregate"


def test_io_names_load():
    import agentstats.io as io

    for name in io.__all__:
        assert callable(getattr(io, name)) and name in dir(io)
