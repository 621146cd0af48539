# Each line marked `# E: <code>` must be reported by mypy with that error code
# (tests/test_typing.py); nothing else may be reported.
import numpy as np

import agentstats

table = agentstats.aggregate(np.array([1]), np.array([0]), np.array([1]), unit="minutes")  # E: arg-type
session = table.session(1)
bad: str = session.TotalTalkTime  # E: assignment
calls: str = session.NumberOfCalls  # E: assignment
frame = table.to_pandas(durations="minutes")  # E: arg-type
aggregator = agentstats.Aggregator(unit="hours")  # E: arg-type
strictness = agentstats.aggregate(np.array([1]), np.array([0]), np.array([1]), off_table="ignore")  # E: arg-type
