"""Scenario 4: string session keys (Python str in an object array), time-ordered log.

agentstats factorises the keys inside the timed call; so does every peer (pandas sorts
and groups the object column, polars and DuckDB hash their own string columns, built
outside the timing from the same strings).
"""

import pytest

# polars is given the order guarantee (no sort: the faster variant; sorting 50M strings
# takes minutes and would only flatter us)
IMPLS = ["agentstats", "agentstats-2t", "pandas", "polars-trusted", "duckdb"]


@pytest.mark.parametrize("impl", IMPLS)
def test_string_keys(bench, impl):
    bench(impl, "4-string-keys", "time", keys="str")
