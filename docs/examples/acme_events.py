"""The events of a made-up job scheduler, Acme: a project's own event class, as an example.

The page "Use it in your project" (docs/source/adopt.md) renders examples of :class:`JobEvent`
with the ``event-json`` directive, which builds each one through this class and checks it.
"""

import enum
from dataclasses import dataclass, field


class Phase(str, enum.Enum):
    """Where a job is."""

    QUEUED = "queued"
    RUNNING = "running"
    FAILED = "failed"
    DONE = "done"


@dataclass
class JobEvent:
    """One change of a job of the Acme scheduler.

    Attributes:
        job (str): The job's name.
        phase (Phase): Where the job is now.
        attempt (int): Which attempt this is, from 1.
        node (str | None): The node that runs it, once one does.
        labels (dict[str, str]): Labels of the job, by key.
    """

    job: str
    phase: Phase
    attempt: int = 1
    node: str | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.attempt < 1:
            raise ValueError(f"attempt counts from 1, got {self.attempt}")
