"""``elastic-events show --summary``: the durations people ask for, from the times of a log.

Per run (rendezvous id) and round: when the rendezvous started (the first node that attempts
to join it) and completed (the node that marks the round complete, else the last node that
joins it), and how long that took; each failure, when and where; how long each run and the
whole log ran. The rounds are told by torchelastic's dynamic rendezvous messages
(``torch/distributed/elastic/rendezvous/dynamic_rendezvous.py``: "attempts to join the next
round", "added itself to the participants of round N", "marked round N ... as complete", "has
joined round N ... as rank K in a world of size W").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from elastic_events._model import RdzvEvent
from elastic_events._times import format_duration, format_time
from elastic_events._views import event_node, event_state, is_failure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from elastic_events._logs import LogLine

_ROUND = re.compile(r"\bround (\d+) of the rendezvous\b")
_JOIN = "attempts to join the next round"
_COMPLETE = "as complete"
_JOINED = re.compile(r"has joined round (\d+) .* in a world of size (\d+)")


@dataclass
class _Round:
    start: int | None = None
    complete: int | None = None
    joined: int | None = None  # The last "has joined": the round's end when none marks it.
    world: int | None = None
    ended: bool = False  # Whether an event completed it, timed or not.
    nodes: set[str] = field(default_factory=set)


@dataclass
class _Run:
    first: int | None = None
    last: int | None = None
    rounds: dict[int, _Round] = field(default_factory=dict)
    waiting: int | None = None  # The first "attempts to join" not yet given a round.
    failures: list[tuple[int | None, int, str]] = field(default_factory=list)


def summary(lines: Iterable[LogLine]) -> str:
    """The summary of the lines of a log, as text."""
    runs: dict[str, _Run] = {}
    first = last = None
    count = 0
    for line in lines:
        event, time = line.event, line.time
        if event is None:
            continue
        count += 1
        if isinstance(event, RdzvEvent):
            run_id = event.run_id
        else:
            found = event.metadata.get("run_id")
            run_id = found if isinstance(found, str) else ""
        run = runs.get(run_id)
        if run is None:
            run = runs[run_id] = _Run()
        if time is not None:
            first = time if first is None else min(first, time)
            last = time if last is None else max(last, time)
            run.first = time if run.first is None else min(run.first, time)
            run.last = time if run.last is None else max(run.last, time)
        if isinstance(event, RdzvEvent):
            message = event.message
            if _JOIN in message:
                if run.waiting is None:
                    run.waiting = time
            else:
                match = _ROUND.search(message) or _JOINED.search(message)
                if match is not None:
                    number = int(match.group(1))
                    round_ = run.rounds.get(number)
                    if round_ is None:  # A new round: it began with the attempt to join it.
                        start = run.waiting if run.waiting is not None else time
                        round_ = run.rounds[number] = _Round(start=start)
                        run.waiting = None
                    round_.nodes.add(event.hostname if event.local_id is None else
                                     f"{event.hostname}#{event.local_id}")  # fmt: skip
                    if _COMPLETE in message and round_.complete is None:
                        round_.complete = time
                        round_.ended = True
                    joined = _JOINED.search(message)
                    if joined is not None:
                        round_.joined = time
                        round_.ended = True
                        round_.world = int(joined.group(2))
        if is_failure(event):
            node = event_node(event)
            where = node.host or "?"
            if node.rank is not None:
                where += f" rank {node.rank}"
            if not isinstance(event, RdzvEvent):
                worker = event.metadata.get("global_rank")
                if worker is not None:
                    where += f", worker {worker}"
            run.failures.append((time, line.number, f"{where}: {event_state(event)}"
                                 f" ({event.name})"))  # fmt: skip
    return _words(runs, first, last, count)


def _at(time: int | None, origin: int | None) -> str:
    if time is None:
        return "(no time)"
    since = f" (+{format_duration(time - origin)})" if origin is not None else ""
    return f"{format_time(time)}{since}"


def _words(runs: dict[str, _Run], first: int | None, last: int | None, count: int) -> str:
    out = []
    for run_id, run in runs.items():
        name = f"run {run_id}" if run_id else "events without a run id"
        span = ""
        if run.first is not None and run.last is not None:
            span = (
                f": {format_time(run.first)} to {format_time(run.last)}, "
                f"{format_duration(run.last - run.first)}"
            )
        out.append(f"{name}{span}")
        for number, round_ in sorted(run.rounds.items()):
            end = round_.complete if round_.complete is not None else round_.joined
            took = ""
            if round_.start is not None and end is not None:
                took = f", took {format_duration(end - round_.start)}"
            world = f", world size {round_.world}" if round_.world is not None else ""
            out.append(
                f"  round {number}: rendezvous started {_at(round_.start, first)}, "
                f"completed {_at(end, first) if round_.ended else 'never'}{took}{world}"
            )
        for time, number, what in run.failures:
            out.append(f"  failure at {_at(time, first)}, line {number}: {what}")
        if not run.failures:
            out.append("  no failures")
    if first is not None and last is not None:
        out.append(
            f"the log: {count} events from {format_time(first)} to {format_time(last)}, "
            f"{format_duration(last - first)}"
        )
    else:
        out.append(f"the log: {count} events, none with a time")
    return "\n".join(out) + "\n"
