"""The public API is typed: mypy reports the mistakes of tests/typing_snippets/bad.py (each
marked line, with its error code, and nothing else) and passes tests/typing_snippets/good.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import agentstats

pytest.importorskip("mypy")

HERE = Path(__file__).resolve().parent / "typing_snippets"


def run_mypy(path: Path, tmp_path: Path) -> list[str]:
    env = dict(os.environ)
    package_root = Path(agentstats.__file__).resolve().parents[1]
    if package_root.name == "src":            # the source tree, not an installed package
        env["MYPYPATH"] = str(package_root)
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", str(tmp_path / "cache"),
         "--follow-imports=silent", "--ignore-missing-imports", "--show-error-codes",
         "--no-error-summary", str(path)],
        capture_output=True, text=True, env=env, timeout=300,
    )
    return [line for line in done.stdout.splitlines() if ": error:" in line]


@pytest.mark.slow
def test_mypy_catches_the_marked_mistakes(tmp_path):
    path = HERE / "bad.py"
    expected = {
        (number, match.group(1))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if (match := re.search(r"# E: ([\w-]+)", line))
    }
    assert len(expected) == 6
    reported = set()
    for line in run_mypy(path, tmp_path):
        found = re.match(r".*?:(\d+): error: .*\[([\w-]+)\]$", line)
        assert found, line
        reported.add((int(found.group(1)), found.group(2)))
    assert reported == expected


@pytest.mark.slow
def test_mypy_passes_the_documented_use(tmp_path):
    assert run_mypy(HERE / "good.py", tmp_path) == []
