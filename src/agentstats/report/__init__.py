"""Reports: readable terminal tables (rich) and files (CSV, Parquet, JSON)."""

# Loaded on first use (PEP 562): the report modules that only parse options
# (opening_hours, queues.parse_service_levels) start without rich or the file writers.
from typing import TYPE_CHECKING, Any

__all__ = ["print_diagnostics", "print_table", "write_report"]

_LAZY = {"print_diagnostics": ".terminal", "print_table": ".terminal", "write_report": ".files"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from .files import write_report
    from .terminal import print_diagnostics, print_table
