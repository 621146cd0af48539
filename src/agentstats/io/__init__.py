"""Importers: Asterisk queue_log and tabular files (CSV, Parquet, Arrow).

The names are loaded on first use (PEP 562): the queue_log reader needs only NumPy, the
tabular one pandas and pyarrow, so importing one does not import the other's libraries.
"""

import importlib as _importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "QueueLogImporter": ".queue_log",
    "QueueLogResult": ".queue_log",
    "import_queue_log": ".queue_log",
    "infer_aliases": ".queue_log",
    "read_alias_file": ".queue_log",
    "read_queue_log": ".queue_log",
    "import_table": ".tabular",
    "read_table_events": ".tabular",
}


def __getattr__(name: str) -> Any:
    try:
        module_name = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'agentstats.io' has no attribute {name!r}") from None
    value = getattr(_importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from .queue_log import (QueueLogImporter, QueueLogResult, import_queue_log, infer_aliases,
                            read_alias_file, read_queue_log)
    from .tabular import import_table, read_table_events

__all__ = [
    "QueueLogImporter",
    "QueueLogResult",
    "import_queue_log",
    "import_table",
    "infer_aliases",
    "read_alias_file",
    "read_queue_log",
    "read_table_events",
]
