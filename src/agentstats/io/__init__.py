"""Importers: Asterisk queue_log and tabular files (CSV, Parquet, Arrow)."""

from .queue_log import (
    QueueLogImporter,
    QueueLogResult,
    import_queue_log,
    infer_aliases,
    read_alias_file,
    read_queue_log,
)
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
