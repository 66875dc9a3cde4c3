"""Speed of elastic_events against the stdlib baselines (and PyTorch's module, when importable).

Every comparison is timed side by side in one run, alternating the contenders over several rounds
and keeping each one's best round, so that a noisy machine shifts both sides alike. It prints
ratios; it never fails. BENCH_QUICK=1 runs fewer rounds.

    python benchmarks/bench_library.py
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import subprocess
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import elastic_events as ee

QUICK = os.environ.get("BENCH_QUICK") == "1"
# Many short rounds rather than a few long ones: on a shared machine (a VM whose neighbours
# steal time) a short round is more likely to run undisturbed, and the best one counts.
ROUNDS = 15 if QUICK else 35
SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "torchelastic-examples.jsonl"


def best_per_call(contenders: dict[str, Callable[[], object]], number: int) -> dict[str, float]:
    """Seconds per call of each contender: the best of ROUNDS alternating rounds of
    ``number // 5`` calls each."""
    best = dict.fromkeys(contenders, float("inf"))
    number = max(1, number // 5)
    for _ in range(ROUNDS):
        for name, call in contenders.items():
            best[name] = min(best[name], timeit.timeit(call, number=number) / number)
    return best


def report(title: str, times: dict[str, float], goal: str) -> None:
    base_name, base = next(iter(times.items()))
    print(f"\n{title}  (goal: {goal})")
    for name, seconds in times.items():
        print(f"  {name:<48} {seconds * 1e6:10.3f} us   {seconds / base:8.3f}x {base_name}")


def sample_event() -> tuple[ee.Event, dict[str, object]]:
    """The 13-key metadata event of torchelastic's agent, and the same as a prebuilt dict."""
    line = SAMPLE.read_text().splitlines()[0]
    return ee.Event.deserialize(line), json.loads(line)


def torch_events():  # type: ignore[no-untyped-def]
    try:
        from torch.distributed.elastic import events
    except ImportError:
        return None
    return events


class Discard:
    """A stream that drops what it is given: the cost of the disk is not what we measure."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def bench_null(torch, event, as_dict) -> None:  # type: ignore[no-untyped-def]
    enabled = logging.getLogger("bench-enabled")
    enabled.setLevel(logging.INFO)
    contenders = {
        "logger.isEnabledFor(INFO)": lambda: enabled.isEnabledFor(logging.INFO),
        "elastic_events.record(event) to 'null'": lambda: ee.record(event),
    }
    if torch:
        torch_event = torch.Event.deserialize(json.dumps(as_dict))
        contenders["torch record(event) to 'null'"] = lambda: torch.record(torch_event)
    report("record() to the null destination", best_per_call(contenders, 20_000), "<= 1.1x")


def bench_stream(torch, event, as_dict) -> None:  # type: ignore[no-untyped-def]
    handler = logging.StreamHandler(Discard())
    baseline = logging.getLogger("bench-baseline")
    baseline.propagate = False
    baseline.setLevel(logging.INFO)
    baseline.addHandler(handler)
    ee.register_handler("bench", handler)
    contenders = {
        "logger.info(json.dumps(d))": lambda: baseline.info(json.dumps(as_dict)),
        "elastic_events.record(event, 'bench')": lambda: ee.record(event, "bench"),
    }
    if torch:
        from torch.distributed.elastic.events import handlers

        handlers._log_handlers["bench"] = handler
        torch_event = torch.Event.deserialize(json.dumps(as_dict))
        contenders["torch record(event, 'bench')"] = lambda: torch.record(torch_event, "bench")
    report("record() to a stream handler", best_per_call(contenders, 5_000), "<= 0.9x")


def bench_serialize(torch, event, as_dict) -> None:  # type: ignore[no-untyped-def]
    contenders = {
        "json.dumps(d)": lambda: json.dumps(as_dict),
        "elastic_events Event.serialize()": event.serialize,
    }
    identical = event.serialize() == json.dumps(as_dict)
    if torch:
        torch_event = torch.Event.deserialize(json.dumps(as_dict))
        contenders["torch Event.serialize()"] = torch_event.serialize
        identical = identical and torch_event.serialize() == event.serialize()
    report("serialize()", best_per_call(contenders, 5_000), "<= 1.1x")
    print(f"  output byte-identical{' to torch' if torch else ''}: {identical}")


#: The stack depth both construct_and_record_rdzv_event() run at: torch's cost, inspect.stack(),
#: grows with it, so both must be measured at the same one (about a rendezvous handler's).
CALL_DEPTH = 20


def at_depth(depth: int, call: Callable[[], object]) -> Callable[[], object]:
    """``call``, run ``depth`` frames below the benchmark's own frame."""

    def nested(level: int) -> object:
        return call() if level <= 0 else nested(level - 1)

    return lambda: nested(depth)


def bench_construct(torch) -> None:  # type: ignore[no-untyped-def]
    handler = logging.StreamHandler(Discard())
    ee.register_handler("dynamic_rendezvous", handler)

    def ours() -> None:
        ee.construct_and_record_rdzv_event("run", "joined", ee.NodeState.RUNNING, rank=0)

    contenders: dict[str, Callable[[], object]] = {"elastic_events": at_depth(CALL_DEPTH, ours)}
    if torch:
        from torch.distributed.elastic.events import handlers

        handlers._log_handlers["dynamic_rendezvous"] = handler

        def theirs() -> None:
            torch.construct_and_record_rdzv_event("run", "joined", torch.NodeState.RUNNING, rank=0)

        contenders["torch"] = at_depth(CALL_DEPTH, theirs)
    number = 50 if QUICK else 200
    report(f"construct_and_record_rdzv_event(), active handler, {CALL_DEPTH} frames deep",
           best_per_call(contenders, number), "torch >= 80x")  # fmt: skip


class Unwatched(ee.EventFileHandler):
    """The file handler without its check that the path still names the open file."""

    def _reopen_if_moved(self) -> None:
        pass


def bench_file_handler(event) -> None:  # type: ignore[no-untyped-def]
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        watched = ee.EventFileHandler(Path(scratch) / "watched.jsonl")
        unwatched = Unwatched(Path(scratch) / "unwatched.jsonl")
        stdlib = logging.handlers.WatchedFileHandler(Path(scratch) / "stdlib.jsonl")
        line = event.serialize()
        log_record = logging.LogRecord("bench", logging.INFO, "", 0, line, (), None)
        contenders = {
            "EventFileHandler without the path check": lambda: unwatched.handle(log_record),
            "EventFileHandler (reopens a moved path)": lambda: watched.handle(log_record),
            "logging.handlers.WatchedFileHandler": lambda: stdlib.handle(log_record),
        }
        times = best_per_call(contenders, 2_000)
        for handler in (watched, unwatched, stdlib):
            handler.close()
    report(
        "EventFileHandler, per event: the cost of watching the path",
        times,
        "a small fraction of the write",
    )
    extra = times["EventFileHandler (reopens a moved path)"] - times[next(iter(times))]
    print(f"  the path check costs {extra * 1e6:.2f} us per event")


def bench_import() -> None:
    # Bytecode caches on, as in any installed package, and written before the first timing.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}

    def import_time(statement: str) -> float:
        command = [sys.executable, "-c", statement]
        best = float("inf")
        for _ in range(6 if QUICK else 20):
            start = timeit.default_timer()
            subprocess.run(command, check=True, cwd=SAMPLE.parents[2], env=env)
            best = min(best, timeit.default_timer() - start)
        return best

    statements = {
        "import logging, json": "import logging, json",
        "import elastic_events": "import elastic_events",
        "import logging, json, dataclasses": "import logging, json, dataclasses",
        "import dataclasses, elastic_events": "import dataclasses, elastic_events",
    }
    times = {label: import_time(statement) for label, statement in statements.items()}
    print("\nimport cost, fresh interpreter, best of several  (goal: a few ms over the stdlib)")
    print("  (elastic_events's classes must be dataclasses, as PyTorch's are; dataclasses")
    print("   imports inspect, the larger part of the cost)")
    labels = list(times)
    for base, ours in (labels[0:2], labels[2:4]):
        extra = (times[ours] - times[base]) * 1e3
        print(f"  {ours:<36} {times[ours] * 1e3:7.2f} ms  (+{extra:.2f} ms over {base})")


def main() -> None:
    torch = torch_events()
    print(f"elastic_events {ee.__version__}; torch: {'yes' if torch else 'not importable'}")
    event, as_dict = sample_event()
    bench_null(torch, event, as_dict)
    bench_stream(torch, event, as_dict)
    bench_serialize(torch, event, as_dict)
    bench_construct(torch)
    bench_file_handler(event)
    bench_import()


if __name__ == "__main__":
    main()
