"""Plain-Python twins of the queued-call extraction (SPEC 8.1, 8.3) and of the per-queue
aggregation (SPEC 8.2): slow, simple, one dict per call, written from SPEC and not from
the library's code. The tests compare the library with them."""

from __future__ import annotations

from collections import Counter

CALLER_EXITS = {  # verb -> (outcome, 1-based data field holding the wait, or None)
    "ABANDON": ("abandoned", 3), "EXITWITHTIMEOUT": ("timed_out", 3),
    "EXITEMPTY": ("exited_empty", 3), "EXITWITHKEY": ("exited_with_key", 4),
    "LEAVEEMPTY": ("exited_empty", None),
}
REFUSALS = {"FULL": "full", "JOINEMPTY": "joinempty", "CLOSED": "closed"}
TALK_FIELD = {"COMPLETEAGENT": 2, "COMPLETECALLER": 2, "TRANSFER": 4, "BLINDTRANSFER": 4,
              "ATTENDEDTRANSFER": 4}
UNANSWERED = ("abandoned", "timed_out", "exited_empty", "exited_with_key")


def _data(fields: list[str], number: int | None):
    """data field `number` (1-based) as whole seconds, or None."""
    if number is None or number > len(fields):
        return None
    text = fields[number - 1].strip()
    return int(text) if text.isdigit() else None


def twin_calls(lines: list[list[str]]):
    """lines: split queue_log lines in the order the importer sees them (time order).
    Returns (calls, counted, used, notes): calls are dicts in the order the stays began;
    counted/used cover the caller-only lines; notes the shared lines' call-side findings."""
    calls: list[dict] = []
    waiting: dict = {}          # (callid, queue) -> call still in the queue
    last_left: dict = {}        # (callid, queue) -> the latest call that left that queue
    last_unanswered: dict = {}  # callid -> its latest stay that left unanswered
    counted: Counter = Counter()
    notes: Counter = Counter()
    used = 0

    def begin(callid, queue, enter):
        call = {"callid": callid, "queue": queue, "outcome": "waiting", "enter": enter,
                "leave": None, "wait": None, "agent": None, "talk": None,
                "flowed_in_from": None, "flowed_out_to": None, "_next": None}
        source = last_unanswered.pop(callid, None)
        if source is not None and source["queue"] != queue and source["_next"] is None:
            source["_next"] = call
            source["flowed_out_to"] = queue
            call["flowed_in_from"] = source["queue"]
        calls.append(call)
        return call

    def leave(call, t, outcome, wait):
        call["leave"], call["outcome"] = t, outcome
        if wait is None and call["enter"] is not None:
            wait = t - call["enter"]
        call["wait"] = wait
        last_left[(call["callid"], call["queue"])] = call
        if outcome != "answered":
            last_unanswered[call["callid"]] = call

    for parts in lines:
        t, callid, queue, agent, verb = int(parts[0]), parts[1], parts[2], parts[3], parts[4]
        fields = parts[5:]
        caller_verb = verb == "ENTERQUEUE" or verb in CALLER_EXITS or verb in REFUSALS
        if not caller_verb and verb != "CONNECT" and verb not in TALK_FIELD:
            continue
        if callid in ("", "NONE") or queue in ("", "NONE"):
            reason = "no_callid" if callid in ("", "NONE") else "no_queue"
            (counted if caller_verb else notes)[reason] += 1
            continue
        key = (callid, queue)
        if verb == "ENTERQUEUE":
            if key in waiting:
                counted["second_enterqueue"] += 1
            else:
                waiting[key] = begin(callid, queue, t)
                used += 1
        elif verb in REFUSALS:
            call = begin_refused = {"callid": callid, "queue": queue, "outcome": REFUSALS[verb],
                                    "enter": t, "leave": t, "wait": None, "agent": None,
                                    "talk": None, "flowed_in_from": None, "flowed_out_to": None,
                                    "_next": None}
            calls.append(begin_refused)
            used += 1
        elif verb in CALLER_EXITS:
            outcome, number = CALLER_EXITS[verb]
            wait = _data(fields, number)
            call = waiting.pop(key, None)
            if call is None and key in last_left:
                counted["queue_orphan"] += 1
                continue
            if call is None:
                call = begin(callid, queue, None if wait is None else t - wait)
            leave(call, t, outcome, wait)
            used += 1
        elif verb == "CONNECT":
            wait = _data(fields, 1)
            call = waiting.pop(key, None)
            if call is None and key in last_left:
                notes["second_connect" if last_left[key]["outcome"] == "answered" else "queue_orphan"] += 1
                continue
            if call is None:
                call = begin(callid, queue, None if wait is None else t - wait)
            leave(call, t, "answered", wait)
            if agent not in ("", "NONE"):
                call["agent"] = agent
        else:
            call = last_left.get(key)
            if call is None or call["outcome"] != "answered" or call.get("_ended"):
                notes["call_end_unpaired"] += 1
                continue
            number = TALK_FIELD[verb] + (1 if verb == "ATTENDEDTRANSFER" and fields[:1] == ["LINK"] else 0)
            talk = _data(fields, number)
            if talk is None:
                talk = t - call["leave"]
            elif abs(talk - (t - call["leave"])) > 1:
                notes["talk_mismatch"] += 1
            call["talk"] = talk
            call["_ended"] = True
    return calls, counted, used, notes


def twin_queue_stats(calls: list[dict], *, as_of: int, interval: int | None = None,
                     thresholds=(20,)) -> dict:
    """(queue, interval start or None) -> statistics, by SPEC 8.2, one call at a time.
    Times are whole seconds. A call of unknown entry counts where it left (SPEC 8.3)."""
    rows: dict = {}
    flowed_at = {}
    for call in calls:
        nxt = call.get("_next")
        if nxt is not None:
            flowed_at[id(call)] = nxt["enter"] if nxt["enter"] is not None else nxt["leave"]
    for call in calls:
        when = call["enter"] if call["enter"] is not None else call["leave"]
        if when is None or when > as_of:
            continue
        slot = None if interval is None else when - when % interval
        row = rows.setdefault((call["queue"], slot), {
            "queued": 0, "waiting": 0, "answered": 0, "abandoned": 0, "timed_out": 0,
            "exited_empty": 0, "exited_with_key": 0, "refused": 0, "flowed_in": 0,
            "flowed_out": 0, "final": 0, "waits_left": [], "waits_answered": [],
            "waits_all": [], "waits_now": [], **{f"within_{t}": 0 for t in thresholds}})
        has_left = call["leave"] is not None and call["leave"] <= as_of
        outcome = call["outcome"] if has_left else "waiting"
        if outcome in ("full", "joinempty", "closed"):
            row["refused"] += 1
            continue
        row["queued"] += 1
        if outcome == "waiting":
            row["waiting"] += 1
            wait = None if call["enter"] is None else as_of - call["enter"]
            if wait is not None:
                row["waits_now"].append(wait)
        else:
            row[outcome] += 1
            wait = call["wait"]
            if wait is not None:
                row["waits_left"].append(wait)
        if wait is not None:
            row["waits_all"].append(wait)
        if call["flowed_in_from"] is not None:
            row["flowed_in"] += 1
        out_at = flowed_at.get(id(call))
        flowed_out = out_at is not None and out_at <= as_of
        row["flowed_out"] += flowed_out
        if outcome in UNANSWERED and not flowed_out:
            row["final"] += 1
        if outcome == "answered" and wait is not None:
            row["waits_answered"].append(wait)
            for t in thresholds:
                row[f"within_{t}"] += wait <= t
    out = {}
    for key, row in rows.items():
        def mean(values):
            return sum(values) // len(values) if values else None
        out[key] = {
            "total_calls_queued": row["queued"], "current_calls_queued": row["waiting"],
            "answered": row["answered"], "total_calls_abandoned": row["abandoned"],
            "timed_out": row["timed_out"], "exited_empty": row["exited_empty"],
            "exited_with_key": row["exited_with_key"], "refused": row["refused"],
            "total_calls_flowed_in": row["flowed_in"], "total_calls_flowed_out": row["flowed_out"],
            "final_disposition": row["final"],
            "longest_ever_wait_time": max(row["waits_all"], default=None),
            "current_longest_wait_time": max(row["waits_now"], default=None),
            "average_wait_time": mean(row["waits_left"]),
            "average_speed_of_answer": mean(row["waits_answered"]),
            "abandon_rate": row["abandoned"] / row["queued"] if row["queued"] else None,
            **{f"answered_within_{t}s": row[f"within_{t}"] for t in thresholds},
            **{f"service_level_{t}s": row[f"within_{t}"] / row["queued"] if row["queued"] else None
               for t in thresholds},
        }
    return out
