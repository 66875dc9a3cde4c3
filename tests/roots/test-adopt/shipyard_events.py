"""The events of the shipyard job queue."""

import enum
from dataclasses import dataclass, field


class Phase(str, enum.Enum):
    """Where a job is."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


class Priority(enum.IntEnum):
    """How soon a job runs."""

    LOW = 1
    NORMAL = 5
    HIGH = 9


@dataclass
class JobEvent:
    """One change of a job of the queue.

    Attributes:
        job (str): The job's name.
        phase (Phase): Where the job is now.
        priority (Priority): How soon it runs.
        retries (int): How often it was retried; never negative.
        progress (float): The part done, from 0 to 1.
        node (str | None): The node that runs it, once one does.
        tags (list[str]): Free-form tags.
        labels: Labels, by key.
        urgent (bool): Whether a person is waiting.
    """

    job: str
    phase: Phase
    priority: Priority = Priority.NORMAL
    retries: int = 0
    progress: float = 0.0
    node: str | None = None
    tags: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    urgent: bool = False

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ValueError(f"retries must not be negative, got {self.retries}")
        if not 0 <= self.progress <= 1:
            raise ValueError(f"progress must be from 0 to 1, got {self.progress}")
