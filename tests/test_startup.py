"""Start-up: `import agentstats` loads no heavy library; every public name still loads.

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
