"""Reports: readable terminal tables (rich) and files (CSV, Parquet, JSON)."""

from .files import write_report
from .terminal import print_diagnostics, print_table

__all__ = ["print_diagnostics", "print_table", "write_report"]
