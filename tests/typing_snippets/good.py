# Must pass mypy (tests/test_typing.py): the public API as the README uses it.
from decimal import Decimal

import numpy as np
import pyarrow as pa

import agentstats
import agentstats.dask

events = pa.table({"sid": [1, 1], "ts": [0, 60], "code": ["READY", "BUSY_ON_CALL"]})
table = agentstats.aggregate(events, session="sid", time="ts", state="code", unit="s")
same = agentstats.aggregate("sid", "ts", "code", data=events, unit="ms", off_table="raise")
arrays = agentstats.aggregate(np.array([1]), np.array([0]), np.array([1]), unit="s")
talk: int = table.session(1).TotalTalkTime
rate: Decimal = table.session(1).ACDCallRate
start: float = table.session(1).SessionStartTime
arrow: pa.Table = table.to_arrow(durations="timedelta", tz="Europe/Paris")
frame = table.to_pandas(durations="seconds")
counts: dict[str, int] = table.diagnostics
aggregator = agentstats.Aggregator(unit="us").update(events, session="sid", time="ts", state="code")
later = aggregator.result()
n: int = len(later)
