"""Benchmarks of agentstats against pandas, polars, DuckDB, NumPy and numba (issue 3).

See ``benchmarks/README.md`` for the command that reproduces the table.
"""
