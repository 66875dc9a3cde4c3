"""Simulate a 4-node elastic training run through the real ``elastic_events``; write its log.

Usage::

    python docs/simulate_run.py OUT.log

Four nodes (``gpu-node-0`` to ``gpu-node-3``, two workers each) join round 0 of the rendezvous
``llama-ft-7f3a``, start their workers and send keep-alive heartbeats. Then ``gpu-node-2`` loses
its connection to the rendezvous store: its heartbeat fails with a traceback, its workers fail,
the other nodes drop it from the rendezvous, and every agent restarts its workers in round 1 of
the rendezvous. This time the training succeeds and the rendezvous is closed.

The events are those that torchelastic's agent and dynamic rendezvous record, with their real
messages and metadata, recorded as torchelastic records them: rendezvous events with
:func:`elastic_events.construct_and_record_rdzv_event` to the ``"dynamic_rendezvous"``
destination, and the agent's and workers' events with :func:`elastic_events.record` to a
destination of our own, ``"torchelastic"``. Both go to one log, one JSON event a line.

The log is the same on every run and on every machine: host names, pids and the run id are fixed,
events carry no time (torchelastic writes a ``timestamp`` of 0, and rendezvous events have
none), and the traceback names this file without its folder. The file is written only when its
content changes, so an incremental Sphinx build re-reads the pages that show it only then.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

# The docs show the library of this checkout, whatever is installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["LOGLEVEL"] = "INFO"  # Read when a destination's logger is created: record everything.

from elastic_events import (
    Event,
    EventSource,
    NodeState,
    construct_and_record_rdzv_event,
    record,
    register_handler,
)

if TYPE_CHECKING:
    from collections.abc import Callable

RUN_ID = "llama-ft-7f3a"
HOSTS = [f"gpu-node-{n}" for n in range(4)]
PIDS = {host: 48210 + n for n, host in enumerate(HOSTS)}  # The agents' pids.
WORKERS_PER_NODE = 2
ENTRY_POINT = "python3.11"
FAILING = "gpu-node-2"

F = TypeVar("F", bound="Callable[..., object]")


def _named_by_file_name(function: F) -> F:
    """Make tracebacks through *function* name this file without its folder.

    A traceback then reads the same wherever the repository is checked out; Python still finds
    the source lines to show, by looking for the file on :data:`sys.path`, where this script's
    folder comes first.
    """

    def relocated(code: types.CodeType) -> types.CodeType:
        consts = tuple(relocated(c) if isinstance(c, types.CodeType) else c for c in code.co_consts)
        return code.replace(co_filename=Path(code.co_filename).name, co_consts=consts)

    function.__code__ = relocated(function.__code__)
    return function


# --- the rendezvous --------------------------------------------------------------------------


class RendezvousConnectionError(Exception):
    """As torch's: the connection to the rendezvous backend has failed."""


class Node:
    """One node's elastic agent and its dynamic rendezvous handler, as far as events go."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.pid = PIDS[host]
        self.local_id = 0
        self.id = f"{host}_{self.pid}_{self.local_id}"  # torchelastic's node descriptor
        self.rank: int | None = None
        self.restarts = 0

    # DynamicRendezvousHandler and its operation executor: their messages, word for word.

    def rdzv(self, method: str, message: str, state: NodeState = NodeState.RUNNING) -> None:
        construct_and_record_rdzv_event(
            RUN_ID,
            message,
            state,
            name=method,
            hostname=self.host,
            pid=self.pid,
            local_id=self.local_id,
            rank=self.rank,
        )

    def attempt_to_join(self) -> None:
        self.rdzv(
            "DynamicRendezvousHandler.next_rendezvous",
            f"The node '{self.id}' attempts to join the next round of the rendezvous '{RUN_ID}'.",
        )

    def add_to_participants(self, round: int) -> None:
        self.rdzv(
            "_DistributedRendezvousOpExecutor.run",
            f"The node '{self.id}' added itself to the participants of round {round} of the "
            f"rendezvous '{RUN_ID}'. Pending sync.",
        )

    def mark_complete(self, round: int) -> None:
        self.rdzv(
            "_DistributedRendezvousOpExecutor.run",
            f"The node '{self.id}' marked round {round} of the rendezvous '{RUN_ID}' as "
            "complete. Pending sync.",
            NodeState.SUCCEEDED,
        )

    def joined(self, round: int, rank: int, world_size: int) -> None:
        self.rank = rank
        self.rdzv(
            "DynamicRendezvousHandler.next_rendezvous",
            f"The node '{self.id}' has joined round {round} of the rendezvous '{RUN_ID}' as rank "
            f"{rank} in a world of size {world_size}.",
        )

    @_named_by_file_name
    def keep_alive(self, store: Store) -> None:
        name = "DynamicRendezvousHandler._keep_alive"
        try:
            store.set(f"/torch.rendezvous.{RUN_ID}", self.id)
        except Exception as error:
            # As torch does: the FAILED event carries the traceback of the error being handled.
            self.rdzv(
                name,
                f"The node '{self.id}' has failed to send a keep-alive heartbeat to the "
                f"rendezvous '{RUN_ID}' due to an error of type {type(error).__name__}.",
                NodeState.FAILED,
            )
            return
        self.rdzv(
            name,
            f"The node '{self.id}' has sent a keep-alive heartbeat to the rendezvous '{RUN_ID}'.",
        )

    def remove_dead(self, dead: list[Node]) -> None:
        self.rdzv(
            "_DistributedRendezvousOpExecutor.run",
            "As part of the sync operation the node(s) "
            f"{', '.join(node.id for node in dead)} have been removed from the rendezvous "
            f"'{RUN_ID}' since they had no heartbeat.",
        )

    def close(self) -> None:
        self.rdzv(
            "_DistributedRendezvousOpExecutor.run",
            f"The node '{self.id}' marked the rendezvous '{RUN_ID}' as closed. Pending sync.",
            NodeState.SUCCEEDED,
        )

    # The elastic agent: torchelastic.worker.status.<STATE> events, as its _construct_event.

    def agent_event(self, state: str, duration_ms: float | None, group_rank: int | None) -> None:
        inner: dict[str, object] = {"group_world_size": None if group_rank is None else len(HOSTS)}
        self.record(state, EventSource.AGENT, inner, group_rank, duration_ms=duration_ms)

    def worker_event(self, state: str, local_rank: int, raw_error: str | None = None) -> None:
        group_rank = self.rank or 0
        global_rank = group_rank * WORKERS_PER_NODE + local_rank
        worker_pid = self.pid + 100 + 10 * self.restarts + local_rank  # new workers each restart
        inner = {
            "group_world_size": len(HOSTS),
            "local_rank": [local_rank],
            "role_rank": [global_rank],
            "role_world_size": [WORKERS_PER_NODE * len(HOSTS)],
            "exit_code": [1 if state == "FAILED" else (0 if state == "SUCCEEDED" else None)],
            "worker_pid": [None if state == "START" else worker_pid],
        }
        self.record(
            state,
            EventSource.WORKER,
            inner,
            group_rank,
            global_rank=global_rank,
            worker_id=str(worker_pid),
            raw_error=raw_error,
        )

    def record(
        self,
        state: str,
        source: EventSource,
        inner: dict[str, object],
        group_rank: int | None,
        global_rank: int | None = None,
        worker_id: str | None = None,
        duration_ms: float | None = None,
        raw_error: str | None = None,
    ) -> None:
        world = inner.pop("group_world_size")
        inner = {"group_world_size": world, "entry_point": ENTRY_POINT, **inner}
        metadata = {
            "run_id": RUN_ID,
            "global_rank": global_rank,
            "group_rank": group_rank,
            "worker_id": worker_id,
            "role": "default",
            "hostname": self.host,
            "state": state,
            "total_run_time": {"FAILED": 1260, "SUCCEEDED": 3921}.get(state, 0),  # seconds
            "rdzv_backend": "c10d",
            "raw_error": raw_error,
            "metadata": json.dumps(inner),
            "agent_restarts": self.restarts,
            "duration_ms": duration_ms,
        }
        record(Event(f"torchelastic.worker.status.{state}", source, 0, metadata), "torchelastic")


class Store:
    """The C10d store of the rendezvous, as one node sees it: reachable, or not."""

    def __init__(self, reachable: bool = True) -> None:
        self.reachable = reachable

    @_named_by_file_name
    def set(self, key: str, value: str) -> None:
        try:
            self._send(key, value)
        except ConnectionResetError as error:
            raise RendezvousConnectionError(
                "The connection to the C10d store has failed. See inner exception for details."
            ) from error

    @_named_by_file_name
    def _send(self, key: str, value: str) -> None:
        if not self.reachable:
            raise ConnectionResetError(104, "Connection reset by peer")


# --- the run ---------------------------------------------------------------------------------


def rendezvous(nodes: list[Node], round: int, first: bool) -> None:
    """One round: every node joins, the first marks it complete, the agents start workers."""
    for node in nodes:
        node.attempt_to_join()
    for node in nodes:
        node.add_to_participants(round)
    nodes[0].mark_complete(round)
    for rank, node in enumerate(nodes):
        node.joined(round, rank, len(nodes))
    for node in nodes:
        node.agent_event("RENDEZVOUS", 1843.27 if first else 412.5, None if first else node.rank)
        node.agent_event("ASSIGN_WORKER_RANKS", 12.04, node.rank)
        for local_rank in range(WORKERS_PER_NODE):
            node.worker_event("START", local_rank)


def simulate() -> None:
    """Record the whole run to the destinations, which the caller has set up."""
    nodes = [Node(host) for host in HOSTS]
    healthy, cut_off = Store(), Store(reachable=False)
    rendezvous(nodes, round=0, first=True)
    for node in nodes:
        node.keep_alive(healthy)
    # gpu-node-2 loses the store: its heartbeat fails, then its workers (NCCL times out).
    failing = next(node for node in nodes if node.host == FAILING)
    failing.keep_alive(cut_off)
    for local_rank in range(WORKERS_PER_NODE):
        failing.worker_event("FAILED", local_rank, raw_error=_error_file(failing, local_rank))
    nodes[0].remove_dead([failing])
    # Every agent restarts its workers: round 1 of the rendezvous, with the node back.
    for node in nodes:
        node.restarts += 1
    rendezvous(nodes, round=1, first=False)
    for node in nodes:
        node.keep_alive(healthy)
    for node in nodes:
        for local_rank in range(WORKERS_PER_NODE):
            node.worker_event("SUCCEEDED", local_rank)
        node.agent_event("SUCCEEDED", None, node.rank)
    nodes[0].close()


def _error_file(node: Node, local_rank: int) -> str:
    """What torchelastic's error handler writes for a worker that died: a JSON string."""
    rank = (node.rank or 0) * WORKERS_PER_NODE + local_rank
    return json.dumps(
        {
            "message": {
                "message": f"RuntimeError: NCCL communicator was aborted on rank {rank}.",
                "extraInfo": {
                    "py_callstack": "Traceback (most recent call last):\n  ...\n"
                    "RuntimeError: NCCL communicator was aborted.",
                    "timestamp": "1718031234",
                },
            }
        }
    )


def run_log() -> str:
    """The log of the simulated run: what the destinations' handlers wrote."""
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    saved = {
        destination: register_handler(destination, handler)
        for destination in ("dynamic_rendezvous", "torchelastic")
    }
    try:
        simulate()
    finally:
        for destination, previous in saved.items():
            if previous is not None:
                register_handler(destination, previous)
    return log.getvalue()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python docs/simulate_run.py OUT.log", file=sys.stderr)
        return 2
    out = Path(argv[0])
    text = run_log()
    if out.is_file() and out.read_text(encoding="utf-8") == text:
        print(f"{out} is up to date")
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}: {text.count(chr(10))} events")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
