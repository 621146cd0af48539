"""A seeded generator of realistic Asterisk queue_log files, and the shipped demo log.

    python -m agentstats.demo --agents 20 --days 1 -o demo_queue_log
    python -m agentstats.demo --agents 200 --days 30 -o month.log      # ~0.2 GB
    python -m agentstats.demo --agents 1200 --days 30 -o big.log       # > 1 GB

The model is a small discrete-event simulation of a contact center: agents work shifts
(logging in with ADDMEMBER, the FreePBX/Issabel login macro ADDMEMBER SIP/xxxx +
UNPAUSEALL/UNPAUSE, or chan_agent AGENTLOGIN), take breaks (PAUSEALL/PAUSE with a
reason, UNPAUSEALL/UNPAUSE), and answer calls that arrive with an intraday profile
(DID, ENTERQUEUE, RINGNOANSWER, CONNECT, COMPLETEAGENT/COMPLETECALLER, TRANSFER,
BLINDTRANSFER, ATTENDEDTRANSFER, ABANDON, RINGCANCELED, EXITWITHTIMEOUT); each queue
has an Asterisk wrap-up time during which its agents get no calls. Callers leave in
every way a queue allows: answered, abandoned, timed out (then most of them overflow to
another queue, keeping their callid), pressing a key (EXITWITHKEY), exited empty, and
refused at the door: when the queue is full (FULL), before the first agent of the day
logs in (JOINEMPTY) and after hours (CLOSED, as a dialplan logs it). Every day starts
with QUEUESTART and a few CONFIGRELOADs. `dirty=True` adds what real files have:
a NUL run after a "crash", a blank line, duplicated and slightly out-of-order lines,
and a custom verb. Same seed, same file, byte for byte.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import heapq
import math
import random
import sys
from collections import deque
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TextIO

__all__ = ["generate", "write_queue_log", "demo_log_path", "DEMO_WRAPUP", "QUEUES", "main"]

#: queue -> (Asterisk wrapuptime seconds, share of the traffic, mean talk seconds)
QUEUES = {
    "support": (30, 0.55, 300),
    "sales": (15, 0.30, 240),
    "billing": (0, 0.15, 180),
}
#: the wrap-up the report must be told about to match the simulated queues
DEMO_WRAPUP = {q: w for q, (w, _, _) in QUEUES.items() if w}
#: a caller who times out of a queue is sent on to this one (most of the time)
OVERFLOW = {"support": "sales", "sales": "support", "billing": "support"}
_MAX_WAIT = 300        # seconds before EXITWITHTIMEOUT
_MAX_LEN = 12          # callers a queue holds; the next one is refused (FULL)

_FIRST = ("Ana", "Bruno", "Carla", "Diego", "Elena", "Farid", "Grace", "Hugo", "Ines",
          "Jamal", "Kenji", "Lucia", "Mateo", "Nadia", "Omar", "Priya", "Quentin", "Rosa",
          "Sathish", "Tania", "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe")
_LAST = ("Silva", "Okafor", "Novak", "Garcia", "Ivanova", "Haddad", "Kim", "Moreau",
         "Rossi", "Mensah", "Tanaka", "Flores", "Berg", "Khan", "Dubois", "Nair")
_PAUSES = (("Lunch", 1800, 3600), ("Break", 600, 900), ("Training", 1800, 3600),
           ("Meeting", 900, 1800), ("Coaching", 900, 1200))


def _hourly_profile(hour: float) -> float:
    """Relative call arrival rate over the day (two humps, closed at night)."""
    if hour < 8 or hour >= 20:
        return 0.0
    return 0.6 + math.exp(-((hour - 10.5) ** 2) / 2.0) + 0.8 * math.exp(-((hour - 14.5) ** 2) / 3.0)


class _Sim:
    def __init__(self, rng: random.Random, agents: int, day0: int, out: list[tuple[int, str]]):
        self.rng = rng
        self.out = out
        self.day0 = day0
        self.heap: list = []
        self.seq = 0
        names = []
        for i in range(agents):
            name = f"{_FIRST[i % len(_FIRST)]} {_LAST[(i // len(_FIRST) + i) % len(_LAST)]}"
            if i >= len(_FIRST) * len(_LAST):
                name += f" {i}"
            names.append(name)
        self.name = names
        self.iface = [f"SIP/{1001 + i}" for i in range(agents)]
        # Login styles: 60% dynamic members logged by name, 25% the Issabel login macro
        # (ADDMEMBER with the interface), 15% chan_agent AGENTLOGIN (static members).
        self.style = [("name", "iface", "agent")[0 if r < 0.60 else 1 if r < 0.85 else 2]
                      for r in (rng.random() for _ in range(agents))]
        queue_names = list(QUEUES)
        self.queues_of = []
        for i in range(agents):
            home = queue_names[i % len(queue_names)]
            extra = [q for q in queue_names if q != home and rng.random() < 0.3]
            self.queues_of.append([home, *extra])
        self.members = {q: [i for i in range(agents) if q in self.queues_of[i]] for q in queue_names}
        self.logged = [False] * agents
        self.paused = [False] * agents
        self.busy = [False] * agents          # ringing, talking or wrapping up
        self.idle_since = [0] * agents
        self.break_due: list[tuple | None] = [None] * agents
        self.waiting = {q: deque() for q in queue_names}
        self.calls: dict[int, list] = {}
        self.next_call = 0
        # The callers' own choices (key presses, overflow) draw from a stream of their own.
        self.caller_rng = random.Random(rng.random())

    # -- plumbing ------------------------------------------------------------------

    def log(self, t: int, callid: str, queue: str, agent: str, verb: str, *data) -> None:
        self.out.append((t, "|".join((str(t), callid, queue, agent, verb, *map(str, data)))))

    def at(self, t: float, kind: str, *args) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (int(t), self.seq, kind, args))

    def run(self, until: int) -> None:
        heap = self.heap
        while heap and heap[0][0] < until:
            t, _, kind, args = heapq.heappop(heap)
            getattr(self, "_" + kind)(t, *args)

    # -- agents --------------------------------------------------------------------

    def schedule_day(self, day_start: int, weekend: bool) -> None:
        rng = self.rng
        for a in range(len(self.name)):
            if weekend and rng.random() < 0.7 or rng.random() < 0.05:
                continue  # day off
            start = day_start + int(rng.uniform(7.5, 11.0) * 3600)
            length = int(rng.gauss(8 * 3600, 1200))
            self.at(start, "login", a)
            self.at(start + length, "logout", a)
            for offset, (reason, lo, hi) in ((length * 0.25, _PAUSES[1]), (length * 0.5, _PAUSES[0]),
                                             (length * 0.75, _PAUSES[1])):
                self.at(start + offset + rng.uniform(-900, 900), "want_break", a, reason, rng.uniform(lo, hi))
            if rng.random() < 0.15:
                reason, lo, hi = rng.choice(_PAUSES[2:])
                self.at(start + rng.uniform(0.1, 0.9) * length, "want_break", a, reason, rng.uniform(lo, hi))

    def _login(self, t: int, a: int) -> None:
        if self.logged[a]:
            return
        self.logged[a] = True
        self.paused[a] = False
        self.busy[a] = False
        self.idle_since[a] = t
        name, style = self.name[a], self.style[a]
        if style == "agent":
            self.log(t, "NONE", "NONE", name, "AGENTLOGIN", self.iface[a])
        else:
            for q in self.queues_of[a]:
                self.log(t, "MANAGER", q, name if style == "name" else self.iface[a], "ADDMEMBER", "")
            if style == "iface":
                self.log(t, "NONE", "NONE", name, "UNPAUSEALL", "")
                for q in self.queues_of[a]:
                    self.log(t, "NONE", q, name, "UNPAUSE", "")
        self.dispatch(t, a)

    def _logout(self, t: int, a: int, login_t: int | None = None) -> None:
        if not self.logged[a]:
            return
        if self.busy[a]:
            self.at(t + 30, "logout", a)   # finish the call first
            return
        self.logged[a] = False
        name, style = self.name[a], self.style[a]
        if style == "agent":
            self.log(t, "NONE", "NONE", name, "AGENTLOGOFF", self.iface[a], 0)
        else:
            for q in self.queues_of[a]:
                self.log(t, "MANAGER", q, name if style == "name" else self.iface[a], "REMOVEMEMBER", "")

    def _want_break(self, t: int, a: int, reason: str, length: float) -> None:
        if not self.logged[a] or self.paused[a]:
            return
        if self.busy[a]:
            self.break_due[a] = (reason, length)
            return
        self.start_break(t, a, reason, length)

    def start_break(self, t: int, a: int, reason: str, length: float) -> None:
        self.paused[a] = True
        name = self.name[a]
        self.log(t, "NONE", "NONE", name, "PAUSEALL", reason)
        for q in self.queues_of[a]:
            self.log(t, "NONE", q, name, "PAUSE", reason)
        self.at(t + length, "end_break", a)

    def _end_break(self, t: int, a: int) -> None:
        if not self.logged[a] or not self.paused[a]:
            return
        self.paused[a] = False
        name = self.name[a]
        self.log(t, "NONE", "NONE", name, "UNPAUSEALL", "")
        for q in self.queues_of[a]:
            self.log(t, "NONE", q, name, "UNPAUSE", "")
        self.idle_since[a] = t
        self.dispatch(t, a)

    def free(self, a: int) -> bool:
        return self.logged[a] and not self.paused[a] and not self.busy[a]

    # -- calls ---------------------------------------------------------------------

    def schedule_calls(self, day_start: int, calls_per_day: float) -> None:
        rng = self.rng
        for q, (_, share, _) in QUEUES.items():
            # Thinning of a Poisson process with the intraday profile.
            peak = 2.4
            rate = calls_per_day * share / (12 * 3600 * 1.25)   # per second at profile 1
            t = day_start + 8 * 3600
            end = day_start + 20 * 3600
            while True:
                t += rng.expovariate(rate * peak)
                if t >= end:
                    break
                if rng.random() * peak < _hourly_profile((t - day_start) / 3600):
                    self.at(t, "arrive", q)
        # A mailing goes out: at 16:15 billing gets 40 patient callers in under three
        # minutes. The queue fills (FULL), callers time out and overflow to support.
        burst = day_start + int(16.25 * 3600)
        for k in range(40):
            self.at(burst + 4 * k, "arrive", "billing", 3600.0)

    def _arrive(self, t: int, q: str, patience: float | None = None) -> None:
        rng = self.rng
        cid = self.next_call
        self.next_call += 1
        uid = f"{t}.{cid}"
        caller = f"+1555{rng.randrange(10**7):07d}"
        self.log(t, uid, q, "NONE", "DID", "8005550100")
        self._enter(t, q, uid, caller, cid, rng.expovariate(1 / 150) if patience is None else patience)

    def _enter(self, t: int, q: str, uid: str, caller: str, cid: int, patience: float) -> None:
        if not any(self.logged[a] for a in self.members[q]):
            self.log(t, uid, q, "NONE", "EXITEMPTY", 1, 1, 0)
            return
        if len(self.waiting[q]) >= _MAX_LEN:
            self.log(t, uid, q, "NONE", "FULL")
            return
        pos = len(self.waiting[q]) + 1
        self.log(t, uid, q, "NONE", "ENTERQUEUE", "", caller, pos)
        # call: queue, enter time, uniqueid, status, tried agents, position, agent
        self.calls[cid] = [q, t, uid, "wait", set(), pos, None]
        self.waiting[q].append(cid)
        if patience < _MAX_WAIT:
            self.at(t + max(2, patience), "hangup", cid)
        else:
            self.at(t + _MAX_WAIT, "timeout", cid)
        self.dispatch_queue(t, q)

    def _hangup(self, t: int, cid: int) -> None:
        call = self.calls.get(cid)
        if call is None or call[3] in ("talk", "done"):
            return
        q, t0, uid, status, _, pos, a = call[:7]
        if status == "ring":
            self.log(t, uid, q, self.name[a], "RINGCANCELED", (t - call[7]) * 1000)
            self.busy[a] = False
            self.idle_since[a] = t
        if status == "wait" and self.caller_rng.random() < 0.1:
            self.log(t, uid, q, "NONE", "EXITWITHKEY", 1, pos, pos, t - t0)   # chose the voicemail
        else:
            self.log(t, uid, q, "NONE", "ABANDON", pos, pos, t - t0)
        if status == "wait":
            self.waiting[q].remove(cid)
        call[3] = "done"
        del self.calls[cid]
        if status == "ring":
            self.dispatch(t, a)

    def _timeout(self, t: int, cid: int) -> None:
        call = self.calls.get(cid)
        if call is None or call[3] != "wait":
            return
        q, t0, uid, _, _, pos, _ = call[:7]
        self.log(t, uid, q, "NONE", "EXITWITHTIMEOUT", pos, pos, t - t0)
        self.waiting[q].remove(cid)
        call[3] = "done"
        del self.calls[cid]
        if self.caller_rng.random() < 0.7:      # the dialplan sends the caller on
            cid2 = self.next_call
            self.next_call += 1
            self._enter(t, OVERFLOW[q], uid, "", cid2, self.caller_rng.expovariate(1 / 150))

    def dispatch(self, t: int, a: int) -> None:
        """Agent a became free: take the longest-waiting call of its queues."""
        if not self.free(a):
            return
        best = None
        for q in self.queues_of[a]:
            waiting = self.waiting[q]
            while waiting and self.calls.get(waiting[0], (0, 0, 0, "done"))[3] != "wait":
                waiting.popleft()
            for cid in waiting:
                call = self.calls.get(cid)
                if call is not None and call[3] == "wait" and a not in call[4]:
                    if best is None or call[1] < self.calls[best][1]:
                        best = cid
                    break
        if best is not None:
            self.ring(t, best, a)

    def dispatch_queue(self, t: int, q: str) -> None:
        waiting = self.waiting[q]
        while waiting:
            cid = waiting[0]
            call = self.calls.get(cid)
            if call is None or call[3] != "wait":
                waiting.popleft()
                continue
            free = [a for a in self.members[q] if self.free(a) and a not in call[4]]
            if not free:
                return
            a = min(free, key=self.idle_since.__getitem__)     # leastrecent strategy
            self.ring(t, cid, a)

    def ring(self, t: int, cid: int, a: int) -> None:
        call = self.calls[cid]
        call[3] = "ring"
        call[6] = a
        call.append(t) if len(call) == 7 else call.__setitem__(7, t)
        self.busy[a] = True
        self.waiting[call[0]].remove(cid)
        if self.rng.random() < 0.06:
            self.at(t + 15, "noanswer", cid, a)
        else:
            self.at(t + self.rng.randint(2, 9), "connect", cid, a)

    def _noanswer(self, t: int, cid: int, a: int) -> None:
        call = self.calls.get(cid)
        if call is None or call[3] != "ring" or call[6] != a:
            return
        self.log(t, call[2], call[0], self.name[a], "RINGNOANSWER", 15000)
        call[3] = "wait"
        call[4].add(a)
        call[6] = None
        self.waiting[call[0]].appendleft(cid)
        self.busy[a] = False
        self.idle_since[a] = t
        self.dispatch_queue(t, call[0])
        self.dispatch(t, a)

    def _connect(self, t: int, cid: int, a: int) -> None:
        call = self.calls.get(cid)
        if call is None or call[3] != "ring" or call[6] != a:
            return
        q, t0, uid = call[0], call[1], call[2]
        hold = t - t0
        self.log(t, uid, q, self.name[a], "CONNECT", hold, f"{t}.{cid}b", t - call[7])
        call[3] = "talk"
        call.append(t)
        talk = max(5, int(self.rng.lognormvariate(math.log(QUEUES[q][2]) - 0.32, 0.8)))
        self.at(t + talk, "complete", cid, a)

    def _complete(self, t: int, cid: int, a: int) -> None:
        call = self.calls.pop(cid)
        q, t0, uid, pos = call[0], call[1], call[2], call[5]
        hold = call[8] - t0
        talk = t - call[8]
        r = self.rng.random()
        name = self.name[a]
        if r < 0.04:
            self.log(t, uid, q, name, "TRANSFER", "2000", "from-internal", hold, talk, pos)
        elif r < 0.05:
            self.log(t, uid, q, name, "BLINDTRANSFER", "2001", "from-internal", hold, talk, pos)
        elif r < 0.06:
            self.log(t, uid, q, name, "ATTENDEDTRANSFER", "BRIDGE", f"{t}.x", hold, talk, pos)
        elif r < 0.55:
            self.log(t, uid, q, name, "COMPLETEAGENT", hold, talk, pos)
        else:
            self.log(t, uid, q, name, "COMPLETECALLER", hold, talk, pos)
        wrap = QUEUES[q][0]
        if wrap:
            self.at(t + wrap, "wrapped", a)
        else:
            self._wrapped(t, a)

    def _wrapped(self, t: int, a: int) -> None:
        self.busy[a] = False
        self.idle_since[a] = t
        due = self.break_due[a]
        if due is not None and self.logged[a]:
            self.break_due[a] = None
            self.start_break(t, a, *due)
            return
        self.dispatch(t, a)


def generate(*, agents: int = 20, days: int = 1, seed: int = 7, start: str = "2026-03-02",
             calls_per_agent: float = 45.0, dirty: bool = False) -> Iterator[str]:
    """Lines of a queue_log (without newlines), one simulated day at a time."""
    rng = random.Random(seed)
    day0 = int(_dt.datetime.fromisoformat(start).replace(tzinfo=_dt.timezone.utc).timestamp())
    out: list[tuple[int, str]] = []
    sim = _Sim(rng, agents, day0, out)
    for d in range(days):
        day_start = day0 + d * 86400
        weekend = _dt.datetime.fromtimestamp(day_start, _dt.timezone.utc).weekday() >= 5
        t = day_start + rng.randint(60, 600)
        out.append((t, f"{t}|NONE|NONE|NONE|QUEUESTART|"))
        for k in range(rng.randint(1, 4)):
            t2 = t + 1 + k * rng.randint(30, 3000)
            out.append((t2, f"{t2}|NONE|NONE|NONE|CONFIGRELOAD|"))
        sim.schedule_day(day_start, weekend)
        sim.schedule_calls(day_start, calls_per_agent * agents * (0.3 if weekend else 1.0))
        sim.run(day_start + 86400)
        _refused_at_the_door(random.Random(f"{seed}-{d}"), day_start, out)
        out.sort(key=lambda item: item[0])
        lines = [text for _, text in out]
        out.clear()
        if dirty:
            lines = _dirty(rng, lines)
        yield from lines


def _refused_at_the_door(rng: random.Random, day_start: int, out: list[tuple[int, str]]) -> None:
    """A few early callers (07:00-07:29, before any shift starts: JOINEMPTY) and late ones
    (21:00-23:00: CLOSED) of the day. Their own random stream, so that the simulated day
    (and every line it writes) stays the same."""
    for k, (verb, first, last) in enumerate((("JOINEMPTY", 7.0, 7.49), ("CLOSED", 21.0, 23.0))):
        for n in range(rng.randint(1, 3)):
            t = day_start + int(rng.uniform(first, last) * 3600)
            uid = f"{t}.{900_000 + 10 * k + n}"
            queue = rng.choice(list(QUEUES))
            out.append((t, f"{t}|{uid}|{queue}|NONE|DID|8005550100"))
            out.append((t, f"{t}|{uid}|{queue}|NONE|{verb}|"))


def _dirty(rng: random.Random, lines: list[str]) -> list[str]:
    """A few of the defects of real files, at seeded places."""
    n = len(lines)
    if n < 20:
        return lines
    picks = sorted(rng.sample(range(5, n - 5), 6))
    lines = list(lines)
    # out-of-order: swap two neighbouring lines a few seconds apart
    i = picks[0]
    lines[i], lines[i + 1] = lines[i + 1], lines[i]
    # duplicated lines (a writer that retried)
    for i in reversed(picks[1:3]):
        lines.insert(i, lines[i])
    # a custom verb from a dialplan
    t = lines[picks[3]].split("|", 1)[0]
    lines.insert(picks[3], f"{t}|NONE|support|NONE|SURVEYSCORE|4")
    # a blank line
    lines.insert(picks[4], "")
    # a crash: the QUEUESTART of the day after a run of NULs
    for i, text in enumerate(lines):
        if text.endswith("|QUEUESTART|"):
            lines[i] = "\x00" * 64 + text
            break
    return lines


def write_queue_log(path: str | Path | TextIO, **options) -> int:
    """Write a generated log; returns the number of lines."""
    count = 0
    own = not hasattr(path, "write")
    f = open(path, "w", encoding="utf-8", newline="\n") if own else path
    try:
        buffer = []
        for line in generate(**options):
            buffer.append(line)
            if len(buffer) >= 50_000:
                f.write("\n".join(buffer) + "\n")
                count += len(buffer)
                buffer.clear()
        if buffer:
            f.write("\n".join(buffer) + "\n")
            count += len(buffer)
    finally:
        if own:
            f.close()
    return count


def demo_log_path():
    """The queue_log shipped with the package (one day, 20 agents, dirty=True)."""
    return resources.files("agentstats") / "data" / "demo_queue_log"


# The exact options that made data/demo_queue_log (tests regenerate and compare).
DEMO_OPTIONS = dict(agents=20, days=1, seed=7, start="2026-03-02", dirty=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m agentstats.demo",
        description="Write a realistic, seeded Asterisk queue_log of a simulated contact center.",
    )
    parser.add_argument("--agents", type=int, default=20, help="number of agents (default 20)")
    parser.add_argument("--days", type=int, default=1, help="number of days (default 1)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--start", default="2026-03-02", help="first day, YYYY-MM-DD (UTC)")
    parser.add_argument("--calls-per-agent", type=float, default=45.0,
                        help="offered calls per logged-in agent and weekday (default 45)")
    parser.add_argument("--dirty", action="store_true",
                        help="add NUL runs, blank, duplicated and out-of-order lines, a custom verb")
    parser.add_argument("-o", "--output", default="-", help="output file (default: stdout)")
    args = parser.parse_args(argv)
    if args.agents < 1 or args.days < 1:
        parser.error("--agents and --days must be at least 1")
    options = dict(agents=args.agents, days=args.days, seed=args.seed, start=args.start,
                   calls_per_agent=args.calls_per_agent, dirty=args.dirty)
    if args.output == "-":
        count = write_queue_log(sys.stdout, **options)
    else:
        count = write_queue_log(args.output, **options)
        print(f"wrote {count} lines to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
