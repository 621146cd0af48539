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

# Names are loaded on first use (PEP 562) so that `import agentstats` stays quick: the
# heavy libraries (pandas, pyarrow) are imported only by the modules that need them.
import importlib as _importlib
import sys as _sys
import types as _types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> (module relative to this package, attribute or None for the module itself)
_LAZY: dict[str, tuple[str, str | None]] = {
    "hresult": (".hresult", None),
    "Agent": (".agent", "Agent"),
    "AgentState": (".agent", "AgentState"),
    "LiveAgent": (".agent", "LiveAgent"),
    "AgentTable": (".agent_table", "AgentTable"),
    "AgentAggregator": (".agents", "AgentAggregator"),
    "agent_stats": (".agents", "agent_stats"),
    "queue_log_agent_stats": (".io.queue_log_agents", "queue_log_agent_stats"),
    "Aggregator": (".aggregate", "Aggregator"),
    "aggregate": (".aggregate", "aggregate"),
    "release_scratch": (".aggregate", "release_scratch"),
    "AgentSessionState": (".hresult", "AgentSessionState"),
    "TapiError": (".hresult", "TapiError"),
    "ITQueue": (".itqueue", "ITQueue"),
    "QueueTable": (".queues", "QueueTable"),
    "queue_stats": (".queues", "queue_stats"),
    "DEFAULT_TIMEOUT": (".session", "DEFAULT_TIMEOUT"),
    "AgentSession": (".session", "AgentSession"),
    "SessionStore": (".session", "SessionStore"),
    "is_valid_transition": (".session", "is_valid_transition"),
    "COLUMNS": (".table", "COLUMNS"),
    "SessionTable": (".table", "SessionTable"),
    "NOT_READY": (".hresult", "AgentSessionState.NOT_READY"),
    "READY": (".hresult", "AgentSessionState.READY"),
    "BUSY_ON_CALL": (".hresult", "AgentSessionState.BUSY_ON_CALL"),
    "BUSY_WRAPUP": (".hresult", "AgentSessionState.BUSY_WRAPUP"),
    "SESSION_ENDED": (".hresult", "AgentSessionState.SESSION_ENDED"),
    # Dask is an optional, heavy dependency (not in __all__: `import *` must not need it)
    "dask": (".dask", None),
}


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'agentstats' has no attribute {name!r}") from None
    value: Any = _importlib.import_module(module_name, __name__)
    if attribute is not None:
        for part in attribute.split("."):
            value = getattr(value, part)
    globals()[name] = value          # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(_types.ModuleType):
    """The package module, refusing one rebinding the import system would otherwise make.

    Importing the submodule `agentstats.aggregate` binds the attribute `aggregate` of the
    package to that module; an eager `from .aggregate import aggregate` used to rebind it
    to the function. Loaded lazily, the function must win the same way, so a submodule
    whose name is also a public function or class is not bound over it.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        target = _LAZY.get(name)
        if (target is not None and target[1] is not None and isinstance(value, _types.ModuleType)
                and value.__name__ == __name__ + target[0]):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package


if TYPE_CHECKING:  # the names as type checkers and IDEs see them
    from . import hresult
    from .agent import Agent, AgentState, LiveAgent
    from .agent_table import AgentTable
    from .agents import AgentAggregator, agent_stats
    from .aggregate import Aggregator, aggregate, release_scratch
    from .hresult import AgentSessionState, TapiError
    from .io.queue_log_agents import queue_log_agent_stats
    from .itqueue import ITQueue
    from .queues import QueueTable, queue_stats
    from .session import DEFAULT_TIMEOUT, AgentSession, SessionStore, is_valid_transition
    from .table import COLUMNS, SessionTable

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
