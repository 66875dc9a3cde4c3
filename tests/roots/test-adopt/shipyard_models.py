"""The same kind of event as a pydantic v2 model and as an attrs class with validators."""

from __future__ import annotations

import attrs
import pydantic

from shipyard_events import Phase


class Ticket(pydantic.BaseModel):
    """A support ticket, as a pydantic model."""

    ticket: str = pydantic.Field(description="The ticket's id.")
    phase: Phase
    votes: int = pydantic.Field(default=0, ge=0, description="Votes for it.")
    tags: list[str] = pydantic.Field(default_factory=list)


def _not_blank(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise ValueError(f"{attribute.name} must not be blank")


@attrs.define
class Lease:
    """A lease on a node, as an attrs class.

    Attributes:
        node: The node leased.
        seconds: For how long.
        phase: Where the job holding it is.
    """

    node: str = attrs.field(validator=_not_blank)
    seconds: int = attrs.field(default=60, validator=attrs.validators.gt(0))
    phase: Phase = Phase.QUEUED
