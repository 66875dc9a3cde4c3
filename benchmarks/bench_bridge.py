"""An agent event recorded through the bridge (elastic_events.torch) against torch's own module.

The agent builds each event with the ``Event`` and ``EventSource`` its module imported, and
records it with that module's ``record`` (torch/distributed/elastic/agent/server/api.py:26,
:864). Here the same 13-key event is built and recorded through those very names of the
agent's module, once as torch has them and once with the bridge installed, alternating over
several rounds in one run, to the same kind of handler (a stream handler that discards). It
prints both figures and their ratio; it never fails. BENCH_QUICK=1 runs fewer rounds.

    python benchmarks/bench_bridge.py
"""

from __future__ import annotations

import json
import logging
import os
import sys
import timeit
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import elastic_events as ee

QUICK = os.environ.get("BENCH_QUICK") == "1"
# Many short rounds: on a shared machine a short one is more likely to run undisturbed.
ROUNDS = 15 if QUICK else 35
NUMBER = 400 if QUICK else 2_000
SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "torchelastic-examples.jsonl"


class Discard:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def main() -> int:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from torch.distributed.elastic.agent.server import api as agent
            from torch.distributed.elastic.events import handlers

            from elastic_events import torch as bridge
    except ImportError:
        print("torch is not installed: nothing to compare")
        return 0
    line = SAMPLE.read_text().splitlines()[0]
    sample = json.loads(line)
    name, metadata = sample["name"], sample["metadata"]
    assert sample["source"] == "AGENT", "the first sample line is an agent event"

    # Each side's destination "bench" gets its own discarding stream handler.
    handlers._log_handlers["bench"] = logging.StreamHandler(Discard())
    ee.register_handler("bench", logging.StreamHandler(Discard()))

    def agent_event() -> None:  # what the agent does: build with its names, record with its name
        agent.record(agent.Event(name, source=agent.EventSource.AGENT, metadata=metadata), "bench")

    best = {"torch": float("inf"), "bridge": float("inf")}
    for _ in range(ROUNDS):
        best["torch"] = min(best["torch"], timeit.timeit(agent_event, number=NUMBER) / NUMBER)
        with bridge.installed():
            best["bridge"] = min(best["bridge"], timeit.timeit(agent_event, number=NUMBER) / NUMBER)

    torch_us, bridge_us = best["torch"] * 1e6, best["bridge"] * 1e6
    print("\nan agent event (13-key metadata) built and recorded through the agent module's names")
    print("  (goal: the bridge at most 1/3 of torch's own module)")
    print(f"  {'torch.distributed.elastic.events':<40} {torch_us:10.3f} us   1.000x")
    ratio = bridge_us / torch_us
    print(f"  {'elastic_events.torch installed':<40} {bridge_us:10.3f} us   {ratio:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
