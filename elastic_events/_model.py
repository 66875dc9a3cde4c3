"""The data model: the two event classes, their enums and the metadata value type."""

# No `from __future__ import annotations` here: the wire format reads the field annotations as
# the types themselves, which spares importing typing.
from dataclasses import dataclass, field
from enum import Enum

from elastic_events import _wire

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypeAlias

# Documented where users import it from (elastic_events/__init__.py), where autodoc reads it.
EventMetadataValue: "TypeAlias" = str | int | float | bool | None


class EventSource(str, Enum):
    """Who produced an :class:`~elastic_events.Event`."""

    #: The elastic agent, the supervisor process that runs on each node.
    AGENT = "AGENT"
    #: A worker, one of the training processes that the agent spawns.
    WORKER = "WORKER"


class NodeState(str, Enum):
    """The state of a node in the rendezvous, carried by :class:`~elastic_events.RdzvEvent`."""

    #: The node is setting up, for instance creating its rendezvous store.
    INIT = "INIT"
    #: The node is taking part in the rendezvous: joining, waiting, sending heartbeats.
    RUNNING = "RUNNING"
    #: The node completed a step: a round of the rendezvous, or closing it.
    SUCCEEDED = "SUCCEEDED"
    #: The node hit an error; :attr:`RdzvEvent.error_trace` holds its traceback.
    FAILED = "FAILED"


@dataclass
class Event:
    """A generic event of a torchelastic job, such as a worker that started or failed.

    The constructor checks every field and raises :class:`~elastic_events.InvalidEventError`
    on a value the wire format cannot carry; a source may be given by its name.

    Attributes:
        name (str): What happened, for instance ``"torchelastic.worker.status.SUCCEEDED"``.
        source (EventSource): Who produced the event: the agent or a worker.
        timestamp (int): When it happened, in milliseconds since the epoch; torchelastic always
            records ``0``.
        metadata (dict[str, str | int | float | bool | None]): Everything else about the
            event, as JSON scalars keyed by strings.

    Example:
        >>> from elastic_events import Event, EventSource
        >>> event = Event("torchelastic.worker.status.START", EventSource.WORKER,
        ...               metadata={"global_rank": 1})
        >>> print(event)
        {"name": "torchelastic.worker.status.START", "source": "WORKER", "timestamp": 0, "metadata": {"global_rank": 1}}
        >>> Event.deserialize(event.serialize()) == event
        True
    """  # noqa: E501

    name: str
    source: EventSource
    timestamp: int = 0
    metadata: dict[str, EventMetadataValue] = field(default_factory=dict)

    # The generated __init__ calls _wire.check itself: no frame of ours in between.
    __post_init__ = _wire.check  # type: ignore[misc]  # a function of the instance all the same

    def __str__(self) -> str:
        return self.serialize()

    def serialize(self) -> str:
        """Return the event as one line of JSON, exactly as the log gets it.

        Raises:
            InvalidEventError: ``metadata`` was changed after construction to hold a value
                that JSON cannot carry.
        """
        return _wire.encode(self)

    @classmethod
    def deserialize(cls, data: "str | bytes | bytearray | dict[str, object] | Event") -> "Event":
        """Read an event back from its JSON.

        Args:
            data: A JSON document (text, or UTF-8 bytes), a dict decoded from one, or an
                ``Event``, which is returned as it is. Omitted optional fields take their
                defaults.

        Raises:
            InvalidEventError: ``data`` is not the JSON of an ``Event``; the message says what
                is wrong and where.

        Example:
            >>> Event.deserialize('{"name": "started", "source": "AGENT"}')
            Event(name='started', source=<EventSource.AGENT: 'AGENT'>, timestamp=0, metadata={})
        """
        return _wire.decode(cls, data)


@dataclass
class RdzvEvent:
    """An event of the dynamic rendezvous, recorded by each node as it joins, waits or fails.

    The constructor checks every field and raises :class:`~elastic_events.InvalidEventError`
    on a value the wire format cannot carry; a node state may be given by its name.

    Attributes:
        name (str): Where the event was recorded, as ``"<file>:<function>"``.
        run_id (str): The identifier of the rendezvous, shared by every node of the job.
        message (str): What happened, in words.
        hostname (str): The host name of the node that recorded the event.
        pid (int): The process identifier of the agent that recorded the event.
        node_state (NodeState): The state of the node when it recorded the event.
        master_endpoint (str): The endpoint of the rendezvous store; torchelastic leaves it empty.
        rank (int | None): The rank of the node in the rendezvous round, once it has one.
        local_id (int | None): The identifier of the node among the nodes of its host.
        error_trace (str): The traceback of the error, when ``node_state`` is ``FAILED``.

    Example:
        >>> from elastic_events import NodeState, RdzvEvent
        >>> event = RdzvEvent("rdzv.py:join", "job-1", "joined", "node-0", 4242, NodeState.RUNNING)
        >>> print(event)  # doctest: +NORMALIZE_WHITESPACE
        {"name": "rdzv.py:join", "run_id": "job-1", "message": "joined", "hostname": "node-0",
         "pid": 4242, "node_state": "RUNNING", "master_endpoint": "", "rank": null,
         "local_id": null, "error_trace": ""}
        >>> RdzvEvent.deserialize(event.serialize()) == event
        True
    """

    name: str
    run_id: str
    message: str
    hostname: str
    pid: int
    node_state: NodeState
    master_endpoint: str = ""
    rank: int | None = None
    local_id: int | None = None
    error_trace: str = ""

    # The generated __init__ calls _wire.check itself: no frame of ours in between.
    __post_init__ = _wire.check  # type: ignore[misc]  # a function of the instance all the same

    def __str__(self) -> str:
        return self.serialize()

    def serialize(self) -> str:
        """Return the event as one line of JSON, exactly as the log gets it."""
        return _wire.encode(self)

    @classmethod
    def deserialize(
        cls, data: "str | bytes | bytearray | dict[str, object] | RdzvEvent"
    ) -> "RdzvEvent":
        """Read an event back from its JSON.

        Args:
            data: A JSON document (text, or UTF-8 bytes), a dict decoded from one, or an
                ``RdzvEvent``, which is returned as it is. Omitted optional fields take their
                defaults.

        Raises:
            InvalidEventError: ``data`` is not the JSON of an ``RdzvEvent``; the message says
                what is wrong and where.
        """
        return _wire.decode(cls, data)
