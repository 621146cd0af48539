"""README examples run as tests, and CI runs exactly the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


@pytest.fixture
def readme():
    if not README.is_file():
        pytest.skip("README.md is not beside the tests")
    return README


def test_python_examples_run_in_order(readme):
    namespace: dict = {}
    blocks = code_blocks("python")
    assert len(blocks) >= 4
    for block in blocks:
        exec(compile(block, str(readme), "exec"), namespace)


def test_ci_runs_the_readme_test_command(readme):
    bash = code_blocks("bash")
    assert len(bash) >= 2, "README must start with the demo and the test commands"
    test_command = bash[1].strip()
    assert "pytest" in test_command
    ci = (REPO / ".ci" / "run").read_text()
    assert test_command in ci.splitlines()


def test_the_data_frame_flow_is_one_of_the_examples(readme):
    """The notebook flow (DuckDB -> agentstats -> polars; Dask over Parquet -> the same
    table) is a python block, so test_python_examples_run_in_order runs it."""
    flows = [block for block in code_blocks("python")
             if "duckdb.sql" in block and "agentstats.dask.aggregate" in block and "pl.DataFrame(table)" in block]
    assert len(flows) == 1


def command_lines() -> list[str]:
    """The `agentstats ...` lines of the README's command-line examples, comments cut."""
    lines = []
    for block in code_blocks("text"):
        for line in block.splitlines():
            if line.startswith(("agentstats ", "zcat ")):
                lines.append(re.sub(r"\s+#.*$", "", line).strip())
    return lines


@pytest.fixture
def readme_files(tmp_path, monkeypatch):
    """The files the README's examples name, made from the demo day, in a fresh directory."""
    import gzip
    import shutil

    import pandas as pd

    from agentstats.cli import main
    from agentstats.demo import demo_log_path

    monkeypatch.chdir(tmp_path)
    with __import__("importlib.resources").resources.as_file(demo_log_path()) as log:
        shutil.copy(log, tmp_path / "queue_log")
    (tmp_path / "old").mkdir()
    with open(tmp_path / "queue_log", "rb") as src, gzip.open(tmp_path / "old" / "queue_log.1.gz", "wb") as dst:
        dst.write(src.read())
    events = pd.read_csv(Path(__file__).parent / "data" / "events.csv")
    events = events.assign(time=events["ts"], state=events["status"], agent=events["who"])
    events.to_csv(tmp_path / "events.csv", index=False)
    events.to_parquet(tmp_path / "events.parquet", index=False)
    assert main(["report", "queue_log", "--calls", "export.csv", "-q"]) == 0
    return tmp_path


def test_every_command_line_example_runs(readme_files, capsys):
    import shlex
    import subprocess
    import sys

    from agentstats.cli import main

    lines = command_lines()
    assert len(lines) >= 10
    for line in lines:
        line = line.replace("/var/log/asterisk/queue_log*", "queue_log")
        if "|" in line:     # a pipe: run through the shell, agentstats as this Python's module
            command = line.replace("agentstats ", f"{shlex.quote(sys.executable)} -m agentstats ")
            # the agentstats these tests import (the installed copy in CI: src/ holds no compiled modules)
            import agentstats

            env = {**__import__("os").environ, "PYTHONPATH": str(Path(agentstats.__file__).resolve().parents[1])}
            done = subprocess.run(["bash", "-c", f"set -o pipefail; {command}"], capture_output=True,
                                  text=True, env=env, timeout=120)
            assert done.returncode == 0, (line, done.stderr)
            continue
        argv = shlex.split(line)[1:]
        assert main(argv) == 0, (line, capsys.readouterr().err)
    capsys.readouterr()
    for name in ("out.csv", "calls.parquet", "queues.xlsx", "report.html"):
        assert (readme_files / name).is_file(), name
