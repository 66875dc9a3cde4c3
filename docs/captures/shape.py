"""The shape of a capture: what torch records, without what changes from run to run.

Plain functions over the text of a capture (``capture.py`` writes them), standard library only,
so the tests that hold the site to the captures run without torch.

A log line is ``<time> <event JSON>``; the JSON starts at the first ``{``. Each event has a
*kind*: for a rendezvous event its function (the ``name``) and its message *template* (the
message with every quoted value written ``'…'`` and every number ``N``); for any other event
its ``name`` and ``source``. Its *shape* adds what the comparison looks at: the node state or the
metadata ``state``, the metadata keys in order, the keys of the inner ``metadata`` JSON string,
and the JSON type of every value (so that ``[null]`` and ``[0]`` differ, but two pids do not).
Ids, pids, hosts, ports, times and paths are values, so they are gone.

Keep-alive heartbeats and the syncs of the rendezvous state come as often as time allows on a
busy machine: those kinds (:data:`VARIABLE`) are left out of the sequence and compared as counts
within bounds instead.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

_QUOTED = re.compile(r"'[^']*'")
_NUMBER = re.compile(r"\d+")


def template(message: str) -> str:
    """The message with quoted values as ``'…'`` and numbers as ``N``."""
    return _NUMBER.sub("N", _QUOTED.sub("'…'", message))


def events(text: str) -> list[dict[str, Any]]:
    """The events of a capture's text, in order; lines without ``{`` are skipped."""
    found = []
    for line in text.splitlines():
        start = line.find("{")
        if start >= 0:
            found.append(json.loads(line[start:]))
    return found


def is_rdzv(event: dict[str, Any]) -> bool:
    return "node_state" in event


def kind(event: dict[str, Any]) -> tuple[str, str]:
    """(function, message template) of a rendezvous event; (name, source) of any other."""
    if is_rdzv(event):
        return str(event["name"]), template(str(event.get("message", "")))
    return str(event["name"]), str(event.get("source"))


def json_type(value: object) -> str:
    """``null``, ``bool``, ``int``, ``float``, ``str``, ``[int]``..., ``{...}``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "[" + ",".join(json_type(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{json_type(v)}" for k, v in value.items()) + "}"
    return type(value).__name__


def inner_metadata(event: dict[str, Any]) -> dict[str, Any] | None:
    """The inner ``metadata`` JSON string of an event's metadata, decoded; None if none."""
    inner = event.get("metadata", {}).get("metadata") if not is_rdzv(event) else None
    if not isinstance(inner, str):
        return None
    decoded = json.loads(inner)
    return decoded if isinstance(decoded, dict) else None


def shape(event: dict[str, Any]) -> dict[str, Any]:
    """What the comparison keeps of one event (see the module's docstring)."""
    name, detail = kind(event)
    if is_rdzv(event):
        return {
            "name": name,
            "template": detail,
            "node_state": event["node_state"],
            "fields": {key: json_type(value) for key, value in event.items()},
        }
    metadata = event.get("metadata", {})
    inner = inner_metadata(event)
    return {
        "name": name,
        "source": detail,
        "state": metadata.get("state"),
        "timestamp": event.get("timestamp"),
        "metadata": {key: json_type(value) for key, value in metadata.items()},
        "inner": None if inner is None else {k: json_type(v) for k, v in inner.items()},
    }


@dataclasses.dataclass(frozen=True)
class Bounds:
    """How many events of a variable kind a capture may have: ``low <= count <= high``."""

    low: int
    high: int


#: The kinds whose number depends on time: (function, template) -> bounds per capture. A job
#: sends a heartbeat a second (``capture.py`` sets the interval to 1) and is stopped after 180
#: seconds; each round updates the heartbeat time and syncs at least once.
VARIABLE: dict[tuple[str, str], Bounds] = {
    (
        "dynamic_rendezvous.py:DynamicRendezvousHandler._keep_alive",
        "The node '…' has sent a keep-alive heartbeat to the rendezvous '…'.",
    ): Bounds(0, 400),
    (
        "dynamic_rendezvous.py:_DistributedRendezvousOpExecutor._keep_alive",
        "The node '…' updated its keep-alive heartbeat time for the rendezvous '…'. Pending sync.",
    ): Bounds(1, 400),
    (
        "dynamic_rendezvous.py:_DistributedRendezvousOpExecutor.run",
        "The node '…' has successfully synced its local changes with other nodes in the "
        "rendezvous '…'.",
    ): Bounds(1, 800),
    (
        "dynamic_rendezvous.py:_DistributedRendezvousOpExecutor.run",
        "The node '…' has a stale state and failed to sync its local changes with other nodes "
        "in the rendezvous '…'.",
    ): Bounds(0, 800),
}


@dataclasses.dataclass
class Shape:
    """A capture's shape: the sequence of its fixed events, and the counts of the variable."""

    sequence: list[dict[str, Any]]
    counts: dict[tuple[str, str], int]
    #: The shape of one event of each variable kind (the first), compared as the others are.
    variable: dict[tuple[str, str], dict[str, Any]]


def shape_of(text: str) -> Shape:
    """The shape of a capture's text."""
    sequence: list[dict[str, Any]] = []
    counts: dict[tuple[str, str], int] = {}
    variable: dict[tuple[str, str], dict[str, Any]] = {}
    for event in events(text):
        key = kind(event)
        if is_rdzv(event) and key in VARIABLE:
            counts[key] = counts.get(key, 0) + 1
            variable.setdefault(key, shape(event))
        else:
            sequence.append(shape(event))
    return Shape(sequence, counts, variable)


def _lines(shapes: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(item, ensure_ascii=False) for item in shapes]


def differences(name: str, committed: str, fresh: str) -> list[str]:
    """What differs between the shapes of a committed capture and a fresh one; [] if none.

    Each item says what changed, in words, with a unified diff of the event shapes (one JSON
    line per event) where the sequence differs.
    """
    old, new = shape_of(committed), shape_of(fresh)
    found: list[str] = []
    if old.sequence != new.sequence:
        diff = difflib.unified_diff(
            _lines(old.sequence),
            _lines(new.sequence),
            f"committed {name}",
            f"fresh {name}",
            lineterm="",
            n=1,
        )
        found.append(
            f"{name}: the events (heartbeats and syncs left out) differ:\n" + "\n".join(diff)
        )
    for key in sorted(set(old.counts) | set(new.counts)):
        count = new.counts.get(key, 0)
        bounds = VARIABLE[key]
        if (key in old.counts) != (key in new.counts) and bounds.low > 0:
            found.append(
                f"{name}: {key[0]} {key[1]!r} appears {count} times, committed "
                f"{old.counts.get(key, 0)}"
            )
        elif not bounds.low <= count <= bounds.high:
            found.append(
                f"{name}: {key[0]} {key[1]!r} appears {count} times, expected "
                f"{bounds.low} to {bounds.high}"
            )
        if key in old.variable and key in new.variable and old.variable[key] != new.variable[key]:
            found.append(
                f"{name}: the shape of {key[0]} {key[1]!r} changed from "
                f"{_lines([old.variable[key]])[0]} to {_lines([new.variable[key]])[0]}"
            )
    return found


def captured_kinds(texts: dict[str, str]) -> dict[tuple[str, str], list[tuple[str, int]]]:
    """Every kind in the captures -> where it appears: [(capture file name, line number)]."""
    found: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for file, text in texts.items():
        for number, line in enumerate(text.splitlines(), 1):
            start = line.find("{")
            if start >= 0:
                found.setdefault(kind(json.loads(line[start:])), []).append((file, number))
    return found


def committed_captures(folder: Path = HERE) -> dict[str, str]:
    """The committed captures of torch's own module: file name -> text.

    ``launcher-*.log`` are the launcher's (``launcher.py``), not scenarios of ``capture.py``.
    """
    paths = sorted(folder.glob("*.log"))
    return {
        p.name: p.read_text(encoding="utf-8") for p in paths if not p.name.startswith("launcher-")
    }


# --- what torch's source can record that no capture shows ---------------------------------------
# Files of torch 2.13.0 (the version of TORCH_VERSION), as installed in site-packages.

_RDZV = "torch/distributed/elastic/rendezvous/dynamic_rendezvous.py"
_C10D = "torch/distributed/elastic/rendezvous/c10d_rendezvous_backend.py"
_AGENT = "torch/distributed/elastic/agent/server/api.py"
_LAUNCHER = "torch/distributed/launcher/api.py"


@dataclasses.dataclass(frozen=True)
class SourceOnly:
    """A rendezvous event that torch's source records but no capture shows."""

    name: str  #: the event's name, ``<file>:<function>``
    pattern: str  #: a regular expression that the whole message matches
    node_state: str
    where: str  #: torch's file and line that records it

    def matches(self, event: dict[str, Any]) -> bool:
        return (
            event.get("name") == self.name
            and event.get("node_state") == self.node_state
            and re.fullmatch(self.pattern, str(event.get("message", ""))) is not None
        )


_NODE = r"'[^']+'"
_ERROR = r"[A-Za-z_][A-Za-z0-9_]*: .*"  # f"{type(e).__name__}: {str(e)}"
_OP = "dynamic_rendezvous.py:_DistributedRendezvousOpExecutor."
_HANDLER = "dynamic_rendezvous.py:DynamicRendezvousHandler."

SOURCE_ONLY_RDZV = [
    SourceOnly(
        _OP + "_add_to_wait_list",
        rf"The node {_NODE} added itself to the wait list of round \d+ of the rendezvous "
        rf"{_NODE}\. Pending sync\.",
        "RUNNING",
        f"{_RDZV}:752-756",
    ),
    SourceOnly(
        _OP + "_add_to_redundancy_list",
        rf"The node {_NODE} added itself to the redundancy list of round \d+ of the rendezvous "
        rf"{_NODE}\. Pending sync\.",
        "RUNNING",
        f"{_RDZV}:766-770",
    ),
    SourceOnly(
        _OP + "_remove_from_wait_list",
        rf"The node {_NODE} removed itself from the wait list of round \d+ of the rendezvous "
        rf"{_NODE}\. Pending sync\.",
        "RUNNING",
        f"{_RDZV}:796-800",
    ),
    SourceOnly(
        _OP + "_remove_from_redundancy_list",
        rf"The node {_NODE} removed itself from the redundant list of round \d+ of the "
        rf"rendezvous {_NODE}\. Pending sync\.",
        "RUNNING",
        f"{_RDZV}:808-812",
    ),
    SourceOnly(
        _OP + "run",
        rf"The node {_NODE} has a stale state and failed to sync its local changes with other "
        rf"nodes in the rendezvous {_NODE}\.",
        "RUNNING",
        f"{_RDZV}:657-662",
    ),
    SourceOnly(
        "dynamic_rendezvous.py:_BackendRendezvousStateHolder.sync",
        rf"As part of the sync operation the node\(s\) {_NODE}(, {_NODE})* have been removed "
        rf"from the rendezvous {_NODE} since they had no heartbeat\.",
        "RUNNING",
        f"{_RDZV}:454-459",
    ),
    SourceOnly(
        _HANDLER + "_keep_alive",
        rf"The node {_NODE} has failed to send a keep-alive heartbeat to the rendezvous "
        rf"{_NODE} due to an error of type \w+\.",
        "FAILED",
        f"{_RDZV}:1340-1345",
    ),
    SourceOnly(
        _HANDLER + "shutdown",
        rf"The node {_NODE} has failed to shutdown the rendezvous {_NODE} due to an error of "
        r"type \w+\.",
        "FAILED",
        f"{_RDZV}:1292-1297",
    ),
    *(
        SourceOnly(_HANDLER + function, _ERROR, "FAILED", f"{_RDZV}:{line}")
        for function, line in [
            ("next_rendezvous", 1179),
            ("is_closed", 1247),
            ("set_closed", 1259),
            ("num_nodes_waiting", 1274),
            ("shutdown", 1302),
        ]
    ),
    SourceOnly("dynamic_rendezvous.py:create_handler", _ERROR, "FAILED", f"{_RDZV}:1453"),
    SourceOnly("c10d_rendezvous_backend.py:create_backend", _ERROR, "FAILED", f"{_C10D}:263"),
]
"""Rendezvous events that only torch's source shows, with the line that records each."""

#: The metadata keys of every ``torchelastic.worker.status.*`` event, in torch's order
#: (``_construct_event``, torch/distributed/elastic/agent/server/api.py:820-866).
STATUS_KEYS = [
    "run_id",
    "global_rank",
    "group_rank",
    "worker_id",
    "role",
    "hostname",
    "state",
    "total_run_time",
    "rdzv_backend",
    "raw_error",
    "metadata",
    "agent_restarts",
    "duration_ms",
]
#: The keys of the inner ``metadata`` string of an agent's and of a worker's status event.
AGENT_INNER_KEYS = ["group_world_size", "entry_point"]
WORKER_INNER_KEYS = [
    *AGENT_INNER_KEYS,
    "local_rank",
    "role_rank",
    "role_world_size",
    "exit_code",
    "worker_pid",
]

#: Status events that only torch's source shows: (name, source) -> (where, inner keys).
SOURCE_ONLY_STATUS: dict[tuple[str, str], tuple[str, list[str]]] = {
    ("torchelastic.worker.status.TERMINATED", "WORKER"): (
        f"{_AGENT}:797-799 (a worker without a failure of its own in a failed or unhealthy group)",
        WORKER_INNER_KEYS,
    ),
    ("torchelastic.worker.status.FAILED", "AGENT"): (
        f"{_LAUNCHER}:391-399 (agent.run() raised; raw_error is its traceback, {_AGENT}:763-768)",
        AGENT_INNER_KEYS,
    ),
}
