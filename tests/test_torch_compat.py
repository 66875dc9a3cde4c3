"""Side by side with PyTorch's torch.distributed.elastic.events, where torch is installed."""

from __future__ import annotations

import dataclasses
import inspect
import warnings
from types import ModuleType

import pytest
from hypothesis import given

import elastic_events
from elastic_events import Event, RdzvEvent
from tests import strategies

pytestmark = pytest.mark.torch

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # torch warns when NumPy is missing; irrelevant here
    torch_events: ModuleType = pytest.importorskip(
        "torch.distributed.elastic.events", reason="PyTorch is not installed"
    )


def as_torch(event: Event | RdzvEvent) -> object:
    """The same event built with torch's classes."""
    values = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    if isinstance(event, Event):
        values["source"] = torch_events.EventSource[event.source.name]
        return torch_events.Event(**values)
    values["node_state"] = torch_events.NodeState[event.node_state.name]
    return torch_events.RdzvEvent(**values)


@given(strategies.any_event)
def test_both_write_the_same_bytes(event: Event | RdzvEvent) -> None:
    assert event.serialize() == as_torch(event).serialize()  # type: ignore[attr-defined]
    assert str(event) == str(as_torch(event))


@given(strategies.any_event)
def test_each_reads_what_the_other_writes(event: Event | RdzvEvent) -> None:
    torch_class = getattr(torch_events, type(event).__name__)
    theirs = torch_class.deserialize(event.serialize())
    assert theirs.serialize() == event.serialize()
    assert type(event).deserialize(theirs.serialize()) == event


@pytest.mark.parametrize("name", ["Event", "RdzvEvent"])
def test_same_fields_defaults_and_order(name: str) -> None:
    def shape(cls: type) -> list[tuple[str, object, object]]:
        return [(f.name, f.default, f.default_factory) for f in dataclasses.fields(cls)]

    assert shape(getattr(elastic_events, name)) == shape(getattr(torch_events, name))


@pytest.mark.parametrize("name", ["EventSource", "NodeState"])
def test_same_enum_members(name: str) -> None:
    ours, theirs = getattr(elastic_events, name), getattr(torch_events, name)
    assert [(m.name, m.value) for m in ours] == [(m.name, m.value) for m in theirs]


@pytest.mark.parametrize(
    "name",
    ["record", "record_rdzv_event", "construct_and_record_rdzv_event", "get_logging_handler"],
)
def test_same_function_signatures(name: str) -> None:
    def parameters(function: object) -> list[tuple[str, object, object]]:
        signature = inspect.signature(function)  # type: ignore[arg-type]
        return [(p.name, p.kind, p.default) for p in signature.parameters.values()]

    assert parameters(getattr(elastic_events, name)) == parameters(getattr(torch_events, name))


def test_same_metadata_value_type() -> None:
    assert elastic_events.EventMetadataValue == torch_events.EventMetadataValue


def test_torchs_public_names_all_exist_here() -> None:
    theirs = {name for name in dir(torch_events) if not name.startswith("_")}
    modules = {"api", "handlers", "inspect", "logging", "os", "socket", "traceback", "Optional"}
    assert theirs - modules <= set(elastic_events.__all__)
