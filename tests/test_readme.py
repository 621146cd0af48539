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
