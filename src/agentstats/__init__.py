"""agentstats: TAPI 3 ITAgentSession statistics from call-center agent event logs.

    import agentstats
    table = agentstats.aggregate(session, time, state, wait=wait, unit="s")
    table = agentstats.aggregate(df, session="sid", time="ts", state="status")  # any data frame
    table.to_pandas(), table.to_arrow(), table.to_polars(), pa.table(table)
    agentstats.dask.aggregate(ddf, session="sid", ...)   # a Dask dataframe (imported on use)
    table.to_pandas()            # one row per session
    table.diagnostics            # every row accounted for
    table.session(key)           # the ITAgentSession facade
    agentstats.queue_stats(calls, interval=15)   # queues and their calls

    agents = agentstats.agent_stats(session, time, state, agent=agent, unit="s")
    agents.to_pandas()           # one row per agent across its sessions
    agents.agent(key)            # the ITAgent facade

The behaviour contract is described in docs/ and in each function's docstring.
"""

from . import hresult
from .agent import Agent, AgentState, LiveAgent
from .agent_table import AgentTable
from .agents import AgentAggregator, agent_stats
from .io.queue_log_agents import queue_log_agent_stats
from .aggregate import Aggregator, aggregate, release_scratch
from .hresult import AgentSessionState, TapiError
from .itqueue import ITQueue
from .queues import QueueTable, queue_stats
from .session import DEFAULT_TIMEOUT, AgentSession, SessionStore, is_valid_transition
from .table import COLUMNS, SessionTable

__version__ = "0.1.0"

NOT_READY = AgentSessionState.NOT_READY
READY = AgentSessionState.READY
BUSY_ON_CALL = AgentSessionState.BUSY_ON_CALL
BUSY_WRAPUP = AgentSessionState.BUSY_WRAPUP
SESSION_ENDED = AgentSessionState.SESSION_ENDED

__all__ = [
    "Agent",
    "AgentAggregator",
    "AgentSession",
    "AgentState",
    "AgentTable",
    "AgentSessionState",
    "Aggregator",
    "BUSY_ON_CALL",
    "BUSY_WRAPUP",
    "COLUMNS",
    "DEFAULT_TIMEOUT",
    "ITQueue",
    "LiveAgent",
    "NOT_READY",
    "QueueTable",
    "READY",
    "SESSION_ENDED",
    "SessionStore",
    "SessionTable",
    "TapiError",
    "agent_stats",
    "aggregate",
    "hresult",
    "is_valid_transition",
    "queue_stats",
    "queue_log_agent_stats",
    "release_scratch",
]


def __getattr__(name: str) -> object:
    # agentstats.dask is imported on first use: Dask is an optional, heavy dependency.
    if name == "dask":
        import importlib

        return importlib.import_module(".dask", __name__)
    raise AttributeError(f"module 'agentstats' has no attribute {name!r}")
