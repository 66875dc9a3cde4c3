"""Hostile input to recording: what a bad event, a broken logging setup or a strange
environment gets. Recording never raises into its caller and never writes a line that its own
reader rejects; the problem goes through ``logging.Handler.handleError`` or one warning.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import io
import itertools
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import jsonschema
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from elastic_events import (
    Event,
    EventFileHandler,
    EventLog,
    EventSource,
    InvalidEventError,
    NodeState,
    RdzvEvent,
    _destinations,
    _record,
    _wire,
    construct_and_record_rdzv_event,
    json_schema,
    record,
    register_handler,
)
from tests import strategies

EVENT = Event("torchelastic.worker.status.START", EventSource.WORKER, metadata={"rank": 1})
_names = (f"hostile{n}" for n in itertools.count())


class Collect(logging.Handler):
    """Keeps every record it is given, and every error reported to it."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.errors: list[tuple[object, BaseException | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def handleError(self, record: logging.LogRecord) -> None:
        self.errors.append((record.msg, sys.exc_info()[1]))


def collecting() -> tuple[str, Collect]:
    """A new destination (one per Hypothesis example) and its handler."""
    name, handler = next(_names), Collect()
    register_handler(name, handler)
    return name, handler


def reads_back(cls: type[Event] | type[RdzvEvent], line: str) -> Event | RdzvEvent:
    event = cls.deserialize(line)
    jsonschema.validate(json.loads(line), json_schema(cls))
    return event


# 1. What the constructor accepts, serialize() writes and deserialize() reads back equal.


@settings(deadline=None)  # Huge integers and schema checks: slow on a busy machine.
@given(
    timestamp=strategies.hostile_scalars,
    value=strategies.hostile_scalars,
    key=strategies.hostile_keys,
)
def test_an_accepted_event_round_trips_anything_else_is_refused_at_construction(
    timestamp: object, value: object, key: object
) -> None:
    try:
        event = Event("e", EventSource.AGENT, timestamp, {key: value})  # type: ignore[arg-type,dict-item]
    except InvalidEventError as error:
        message = str(error)
        assert "timestamp" in message or "metadata" in message
        return
    assert reads_back(Event, event.serialize()) == event


@settings(deadline=None)  # Huge integers and schema checks: slow on a busy machine.
@given(pid=strategies.edge_integers, rank=strategies.edge_integers | st.floats())
def test_rdzv_event_integers_beyond_a_double_are_refused_at_construction(
    pid: int, rank: object
) -> None:
    try:
        event = RdzvEvent("n", "r", "m", "h", pid, NodeState.INIT, rank=rank)  # type: ignore[arg-type]
    except InvalidEventError as error:
        message = str(error)
        assert ("'pid'" in message) or ("'rank'" in message)
        assert abs(pid) > _wire.MAX_NUMBER or not (
            isinstance(rank, int) and abs(rank) <= _wire.MAX_NUMBER
        )
        return
    assert abs(pid) <= _wire.MAX_NUMBER
    assert reads_back(RdzvEvent, event.serialize()) == event


def test_the_integer_bound_is_the_largest_double_and_its_digit_count() -> None:
    assert sys.float_info.max == _wire.MAX_NUMBER
    assert _wire.MAX_INTEGER_DIGITS == 309 == len(str(int(sys.float_info.max)))
    Event("e", EventSource.AGENT, int(_wire.MAX_NUMBER))
    with pytest.raises(InvalidEventError) as raised:
        Event("e", EventSource.AGENT, -int(_wire.MAX_NUMBER) - 1)
    assert str(raised.value) == (
        "field 'timestamp' must be an integer within ±1.7976931348623157e+308 (the range of a "
        "double); got an integer of about 309 digits"
    )
    with pytest.raises(InvalidEventError) as raised:
        Event("e", EventSource.AGENT, metadata={"n": 10**5000})
    assert str(raised.value) == (
        "metadata['n'] must lie within ±1.7976931348623157e+308 (the range of a double); got an "
        "integer of about 5001 digits (write it as a string instead)"
    )


def test_an_integral_float_is_the_integer_it_equals() -> None:
    event = Event("e", EventSource.AGENT, 12.0)  # type: ignore[arg-type]
    assert type(event.timestamp) is int
    assert event.serialize() == '{"name": "e", "source": "AGENT", "timestamp": 12, "metadata": {}}'


def test_a_value_whose_repr_raises_is_still_refused_with_invalid_event_error() -> None:
    with pytest.raises(InvalidEventError) as raised:
        Event(strategies.RaisingRepr(), EventSource.AGENT)  # type: ignore[arg-type]
    assert str(raised.value) == (
        "field 'name' must be a string; got <RaisingRepr object whose repr() raised> "
        "(a RaisingRepr)"
    )


@pytest.mark.parametrize(
    ("length", "shown"), [(56, "['" + "a" * 56 + "']"), (57, "['" + "a" * 55 + "...")]
)
def test_a_refused_value_is_shown_whole_up_to_60_characters_then_cut(
    length: int, shown: str
) -> None:
    with pytest.raises(InvalidEventError) as raised:
        Event(["a" * length], EventSource.AGENT)  # type: ignore[arg-type]
    assert str(raised.value) == f"field 'name' must be a string; got {shown} (an array)"
    assert len(shown) == 60


# 2. Events changed after construction: serialize() names the field; record() drops them.


@settings(deadline=None)  # Huge integers and schema checks: slow on a busy machine.
@given(st.data(), strategies.any_event)
def test_serialize_of_a_mutated_event_writes_a_readable_line_or_names_the_field(
    data: st.DataObject, event: Event | RdzvEvent
) -> None:
    changed = data.draw(strategies.mutations(event))
    try:
        line = event.serialize()
    except InvalidEventError as error:
        message = str(error)
        assert (
            repr(changed) in message or f"{changed}[" in message or (f"{changed} keys" in message)
        )
        return
    assert reads_back(type(event), line) == event


@settings(deadline=None)  # Huge integers and schema checks: slow on a busy machine.
@given(st.data(), strategies.any_event)
def test_record_of_a_mutated_event_writes_a_readable_line_or_reports_the_drop(
    data: st.DataObject, event: Event | RdzvEvent
) -> None:
    data.draw(strategies.mutations(event))
    destination, handler = collecting()
    record(event, destination)
    if handler.records:
        ((log_record,), []) = (handler.records, handler.errors)
        assert reads_back(type(event), log_record.getMessage()) == event
        assert log_record.event is event  # type: ignore[attr-defined]
    else:
        ((message, error),) = handler.errors
        assert message == (
            f"an event recorded to {destination!r} was dropped ({type(event).__name__} object)"
        )
        assert isinstance(error, InvalidEventError)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: setattr(e, "source", "SOMEBODY"), "field 'source' must be one of 'AGENT'"),
        (lambda e: e.metadata.__setitem__(1, "x"), "metadata keys must be strings; got 1"),
        (lambda e: setattr(e, "timestamp", 1.5), "field 'timestamp' must be an integer; got 1.5"),
        (lambda e: e.metadata.__setitem__("n", {"a": 1}), "metadata['n'] must be a string"),
        (lambda e: e.metadata.__setitem__("n", 10**400), "metadata['n'] must lie within"),
        (lambda e: delattr(e, "name"), "field 'name' is missing (it was deleted)"),
    ],
)
def test_the_mutations_of_the_issue_are_named_by_serialize(change, message) -> None:  # type: ignore[no-untyped-def]
    event = Event("e", EventSource.AGENT)
    change(event)
    with pytest.raises(InvalidEventError, match="^" + re.escape(message)):
        event.serialize()


def test_a_plainly_valid_event_is_written_without_the_full_check() -> None:
    with mock.patch.object(_wire, "check", side_effect=AssertionError("slow path")):
        assert EVENT.serialize() == json.dumps(dataclasses.asdict(EVENT))


class Agreeable(int):
    """An integer that says it equals anything: equality alone must not pass it as checked."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = int.__hash__


class AgreeableList(list):  # type: ignore[type-arg]
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = None  # type: ignore[assignment]


@pytest.mark.parametrize(
    ("replacement", "readable"),
    [
        (Agreeable(10**400), False),
        (AgreeableList([1]), False),
        (10**400, False),
        ([1], False),
        (1.5, True),
        ("one", True),
    ],
    ids=["agreeable huge int", "agreeable list", "huge int", "list", "float", "string"],
)
def test_metadata_changed_after_construction_is_checked_again(
    replacement: object, readable: bool
) -> None:
    # encode() writes metadata equal to the last one checked at construction without a full
    # check: a value changed since, even one that claims to be equal, must be looked at.
    event = Event("e", EventSource.AGENT, metadata={"n": 1, "s": "x"})
    event.metadata["n"] = replacement
    if readable:
        assert Event.deserialize(event.serialize()).metadata["n"] == replacement
    else:
        with pytest.raises(InvalidEventError) as raised:
            event.serialize()
        assert raised.value.path == ("metadata", "n")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({"n": 1}, {"n": 1.0}),
        ({"n": 1}, {"n": True}),
        ({"n": 0.0}, {"n": -0.0}),
        ({"a": None, "b": None}, {"b": None, "a": None}),
    ],
    ids=["int to float", "int to bool", "zero to minus zero", "reordered"],
)
def test_metadata_changed_to_equal_values_is_written_as_it_now_is(
    before: dict[str, object], after: dict[str, object]
) -> None:
    # encode() writes the copy remembered at construction only while the metadata holds its
    # very objects: equal ones of another type, sign or order are written as torch writes them.
    event = Event("e", EventSource.AGENT, metadata=dict(before))
    event.metadata.clear()
    event.metadata.update(after)
    assert event.serialize() == json.dumps(dataclasses.asdict(event))


@pytest.mark.parametrize("size", [0, 1, _wire._SAME_OBJECTS_MAX, _wire._SAME_OBJECTS_MAX + 1])
def test_metadata_of_any_size_changed_after_construction_is_written_as_it_now_is(
    size: int,
) -> None:
    event = Event("e", EventSource.AGENT, metadata={f"k{n}": n for n in range(size)})
    assert event.serialize() == json.dumps(dataclasses.asdict(event))
    event.metadata["last"] = "changed"
    assert event.serialize() == json.dumps(dataclasses.asdict(event))
    event.metadata["last"] = 10**400
    with pytest.raises(InvalidEventError, match=r"metadata\['last'\] must lie within"):
        event.serialize()


def test_metadata_of_subclasses_is_not_remembered_as_checked() -> None:
    # Accepted at construction by the full check, but equality with an Agreeable value holds
    # for anything: a huge int put in its place must still be refused.
    event = Event("e", EventSource.AGENT, metadata={"n": Agreeable(5)})
    event.metadata["n"] = 10**400
    with pytest.raises(InvalidEventError, match=r"metadata\['n'\] must lie within"):
        event.serialize()


def read_from_a_log(line: str) -> Event:
    (read,) = EventLog([line])
    assert isinstance(read.event, Event)
    return read.event


@pytest.mark.parametrize(
    "build",
    [
        lambda: Event.deserialize('{"name": "e", "source": "AGENT", "metadata": {"n": 1}}'),
        lambda: read_from_a_log(
            '{"name": "e", "source": "AGENT", "timestamp": 5, "metadata": {"restarts": 1000}}'
        ),
        lambda: Event("e", "WORKER", metadata={"n": 1, "x": "y"}),  # type: ignore[arg-type]
        lambda: Event("e", EventSource.AGENT, metadata={"n": 1.5}),
        lambda: Event(
            "e", EventSource.AGENT, metadata={f"k{n}": n for n in range(_wire._SAME_OBJECTS_MAX)}
        ),
    ],
    ids=["read from JSON", "read from a log", "source given by name", "plain", "largest"],
)
def test_plain_metadata_checked_at_construction_is_not_checked_again_when_written(
    build: Callable[[], Event],
) -> None:
    # Speed, not behaviour: serialize() must not look at each value of metadata that the
    # constructor found plain, also when another field (a source given by name) was not.
    event = build()
    with mock.patch.object(_wire, "_plain_metadata", side_effect=AssertionError("checked")):
        line = event.serialize()
    assert Event.deserialize(line) == event


def test_metadata_changed_after_construction_is_looked_at_in_full_once() -> None:
    event = Event("e", EventSource.AGENT, metadata={"n": 1})
    event.metadata["n"] = int("5000")  # A new object: the remembered copy no longer vouches.
    first = event.serialize()
    with mock.patch.object(_wire, "_plain_metadata", side_effect=AssertionError("checked")):
        assert (
            event.serialize()
            == first
            == '{"name": "e", "source": "AGENT", "timestamp": 0, "metadata": {"n": 5000}}'
        )


def test_metadata_checked_for_another_event_does_not_vouch_for_this_one() -> None:
    first = Event("first", EventSource.AGENT, metadata={"n": 1})
    Event("second", EventSource.AGENT, metadata={"n": 2})  # The last one checked.
    first.metadata["n"] = 10**400
    with pytest.raises(InvalidEventError, match=r"metadata\['n'\] must lie within"):
        first.serialize()
    assert Event("third", EventSource.AGENT, metadata={"n": 2}).serialize().endswith('{"n": 2}}')


def test_a_field_given_as_a_name_after_construction_is_written_canonically() -> None:
    event = Event("e", EventSource.AGENT)
    event.source = "WORKER"  # type: ignore[assignment]
    assert event.serialize() == '{"name": "e", "source": "WORKER", "timestamp": 0, "metadata": {}}'
    assert event.source is EventSource.WORKER


def test_fields_reordered_by_delete_and_set_are_written_in_declaration_order() -> None:
    event = Event("e", EventSource.AGENT, metadata={"k": 1})
    del event.name
    event.name = "again"
    assert event.serialize() == json.dumps(
        {"name": "again", "source": "AGENT", "timestamp": 0, "metadata": {"k": 1}}
    )


def test_a_drop_prints_the_field_through_the_stdlib_handle_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    register_handler("stream", logging.StreamHandler(sys.stdout))
    event = Event("e", EventSource.AGENT)
    event.source = "SOMEBODY"  # type: ignore[assignment]
    record(event, "stream")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--- Logging error ---" in captured.err
    assert "field 'source' must be one of 'AGENT', 'WORKER'" in captured.err
    assert "Message: \"an event recorded to 'stream' was dropped (Event object)\"" in captured.err


# 5. LOGLEVEL: whatever its value, record() does not raise; an unusable one warns once.


def expected_level(raw: str) -> int | None:
    """The level a LOGLEVEL value sets, or None when it is unusable."""
    raw = raw.strip()
    if not raw:
        return logging.INFO
    if raw.isascii() and raw.isdigit():
        with contextlib.suppress(ValueError):
            return int(raw)
        return None
    level = logging.getLevelName(raw.upper())
    return level if isinstance(level, int) else None


loglevels = (
    st.text()
    | st.sampled_from(
        ["debug", " Info ", "WARN", "²", "٣", "\uff11\uff10", "-5", "1e3", "Level 5", "NOTSET"]
    )
    | st.integers(min_value=0).map(str)
    | st.integers(min_value=4_301, max_value=6_000).map(lambda digits: "9" * digits)
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(raw=loglevels.filter(lambda raw: "\x00" not in raw))
def test_any_loglevel_is_read_or_warned_about_once_and_never_raises(
    raw: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.clear()
    _destinations._loglevel_reported.clear()
    (first, one), (second, two) = collecting(), collecting()
    with mock.patch.dict(os.environ, {"LOGLEVEL": raw}):
        for destination in (first, second, first):
            record(EVENT, destination)
    level = expected_level(raw)
    warnings = [r for r in caplog.records if "is not a logging level" in r.getMessage()]
    dropped = [r for r in caplog.records if "are dropped" in r.getMessage()]
    logger = logging.getLogger(f"torchelastic-events-{first}")
    assert logger.level == (logging.INFO if level is None else level)
    assert len(warnings) == (1 if level is None else 0)
    if logger.isEnabledFor(logging.INFO):  # NOTSET (0) defers to the root logger, as in torch.
        assert dropped == []
        assert (len(one.records), len(two.records)) == (2, 1)
    else:
        assert len(dropped) == 2  # one per destination
        assert one.records == two.records == []


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(length=st.integers(min_value=1, max_value=100))
@example(length=40)  # The longest value shown whole,
@example(length=41)  # and one a character longer.
def test_an_unusable_loglevel_is_shown_cut_to_40_characters(
    caplog: pytest.LogCaptureFixture, length: int
) -> None:
    caplog.clear()
    _destinations._loglevel_reported.clear()
    raw = "v" * length
    with mock.patch.dict(os.environ, {"LOGLEVEL": raw}):
        record(EVENT, collecting()[0])
    shown = raw if length <= 40 else raw[:37] + "..."
    assert caplog.messages == [
        f"LOGLEVEL={shown!r} is not a logging level (expected DEBUG, INFO, WARNING, ERROR, "
        "CRITICAL or a number); event loggers use INFO"
    ]


# 6. The caller's objects and logging setup: never an exception into the training loop.


def test_a_raising_logger_filter_is_reported_and_the_event_dropped() -> None:
    destination, handler = collecting()
    logger = logging.getLogger(f"torchelastic-events-{destination}")
    logger.addFilter(lambda r: 1 / 0)
    record(EVENT, destination)
    assert handler.records == []
    ((message, error),) = handler.errors
    assert isinstance(error, ZeroDivisionError)
    assert message == f"an event recorded to {destination!r} was dropped (Event object)"


@pytest.mark.parametrize("level", ["INFO", None, 20.5, object()])
def test_a_handler_whose_level_is_no_int_is_reported_and_the_others_still_get_it(
    level: object,
) -> None:
    destination, broken = collecting()
    kept = Collect()
    logging.getLogger(f"torchelastic-events-{destination}").addHandler(kept)
    broken.level = level  # type: ignore[assignment]
    record(EVENT, destination)
    assert [r.getMessage() for r in kept.records] == [EVENT.serialize()]
    if level == 20.5:  # A float compares: INFO is below it.
        assert broken.records == broken.errors == []
    else:
        assert broken.records == []
        assert [type(e) for _, e in broken.errors] == [TypeError]


def test_a_logger_whose_level_is_no_int_is_reported() -> None:
    destination, handler = collecting()
    record(EVENT, destination)
    logger = logging.getLogger(f"torchelastic-events-{destination}")
    logger.level = "INFO"  # type: ignore[assignment]
    logger._cache.clear()  # type: ignore[attr-defined]
    record(EVENT, destination)
    assert len(handler.records) == 1
    assert [type(e) for _, e in handler.errors] == [TypeError]


def test_a_serialize_that_returns_no_str_is_reported_and_the_event_dropped() -> None:
    class Bytes(Event):
        def serialize(self) -> bytes:  # type: ignore[override]
            return b"{}"

    destination, handler = collecting()
    record(Bytes("e", EventSource.AGENT), destination)
    assert handler.records == []
    ((message, error),) = handler.errors
    assert message.startswith(f"an event recorded to {destination!r} was dropped")
    assert isinstance(error, TypeError)
    assert str(error) == "serialize() returned bytes, not str"


def test_records_and_error_reports_carry_the_event_and_no_caller() -> None:
    destination, handler = collecting()
    reported: list[logging.LogRecord] = []
    handler.handleError = reported.append  # type: ignore[method-assign]
    dropped = Event("e", EventSource.AGENT)
    dropped.source = "SOMEBODY"  # type: ignore[assignment]
    record(EVENT, destination)
    record(dropped, destination)
    for written, event in [(handler.records[0], EVENT), (reported[0], dropped)]:
        assert written.event is event  # type: ignore[attr-defined]
        # What logging itself says when it finds no caller: the caller is not this library.
        assert (written.pathname, written.lineno) == ("(unknown file)", 0)


def test_a_logger_whose_make_record_raises_never_raises_into_record() -> None:
    destination, handler = collecting()
    record(EVENT, destination)
    logger = logging.getLogger(f"torchelastic-events-{destination}")
    with mock.patch.object(logger, "makeRecord", side_effect=RuntimeError("broken")):
        record(EVENT, destination)  # Nothing to report through, either: the event is lost.
    assert (len(handler.records), handler.errors) == (1, [])


def test_a_swap_waits_for_the_lock_that_logging_add_handler_takes() -> None:
    destination, _ = collecting()
    record(EVENT, destination)  # Its logger exists now: a new handler is swapped in.
    new = Collect()  # (made outside: making a handler takes that lock too)
    with logging._lock:  # type: ignore[attr-defined]
        swapping = _in_a_thread(lambda: register_handler(destination, new), 0.5)
        assert swapping.is_alive()
    swapping.join()


@settings(deadline=None)  # Huge integers and schema checks: slow on a busy machine.
@given(thing=strategies.hostile_values, destination=strategies.hostile_values | st.just("x"))
def test_record_of_anything_to_anywhere_never_raises(thing: object, destination: object) -> None:
    name, handler = collecting()
    record(thing, name)  # type: ignore[arg-type]
    assert len(handler.records) + len(handler.errors) == 1
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        record(EVENT, destination)  # type: ignore[arg-type]
    if destination != "x":  # Unknown: the event goes to the console, none is lost.
        assert stderr.getvalue() == EVENT.serialize() + "\n"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(length=st.integers(min_value=0, max_value=400))
@example(length=196)  # The longest repr shown whole,
@example(length=197)  # and one a character longer.
def test_a_destination_that_is_no_name_is_reported_with_its_repr_cut_to_200_characters(
    caplog: pytest.LogCaptureFixture, length: int
) -> None:
    caplog.clear()
    _record._unknown_reported.clear()
    destination = ["x" * length]
    with contextlib.redirect_stderr(io.StringIO()):
        record(EVENT, destination)  # type: ignore[arg-type]
    whole = repr(destination)
    shown = whole if len(whole) <= 200 else whole[:197] + "..."
    assert caplog.messages == [
        f"cannot record to {shown}: TypeError(\"unhashable type: 'list'\"); its events go to "
        "'console'"
    ]


arguments = st.fixed_dictionaries(
    {},
    optional={
        name: strategies.hostile_values
        for name in ["name", "hostname", "pid", "master_endpoint", "local_id", "rank"]
    },
)


@settings(deadline=None)  # Huge integers and schema checks: slow on a busy machine.
@given(
    run_id=strategies.hostile_values | strategies.text,
    message=strategies.hostile_values | strategies.text,
    node_state=strategies.hostile_values | st.sampled_from(NodeState),
    others=arguments,
)
def test_construct_and_record_never_raises_and_reports_what_it_cannot_carry(
    run_id: object, message: object, node_state: object, others: dict[str, object]
) -> None:
    handler = Collect()
    register_handler("dynamic_rendezvous", handler)
    construct_and_record_rdzv_event(run_id, message, node_state, **others)  # type: ignore[arg-type]
    if handler.records:
        (log_record,) = handler.records
        event = reads_back(RdzvEvent, log_record.getMessage())
        assert (event.run_id, event.message) == (run_id, message)
    else:
        ((reported, error),) = handler.errors
        assert isinstance(reported, str)
        assert reported.startswith("construct_and_record_rdzv_event(run_id=")
        assert error is not None


def test_huge_integers_and_raising_reprs_as_arguments_are_reported() -> None:
    handler = Collect()
    register_handler("dynamic_rendezvous", handler)
    construct_and_record_rdzv_event(strategies.RaisingRepr(), 10**5000, NodeState.RUNNING)  # type: ignore[arg-type]
    ((reported, error),) = handler.errors
    assert reported == (
        "construct_and_record_rdzv_event(run_id=<RaisingRepr object whose repr() raised>, "
        "message=<int object whose repr() raised>, ...)"
    )
    assert isinstance(error, InvalidEventError)


# 7. The JSON Schema and deserialize() agree on every document.


@settings(deadline=None)  # Huge integers and schema checks: slow on a busy machine.
@given(st.data(), st.sampled_from([Event, RdzvEvent]))
def test_valid_by_the_schema_exactly_when_read_by_deserialize(
    data: st.DataObject, cls: type[Event] | type[RdzvEvent]
) -> None:
    text = data.draw(strategies.near_documents(cls))
    try:
        document = json.loads(text)
    except ValueError:  # Python's own limits, such as the digits of an integer.
        assume(False)
    valid = jsonschema.Draft202012Validator(json_schema(cls)).is_valid(document)
    try:
        event = cls.deserialize(text)
    except InvalidEventError:
        assert not valid, text
    else:
        assert valid, text
        assert reads_back(cls, event.serialize()) == event


@pytest.mark.parametrize(
    "document",
    [
        {"name": "e", "source": "AGENT", "timestamp": 12.0},
        {"name": "e", "source": "AGENT", "timestamp": 1e308},
        {"name": "e", "source": "AGENT", "metadata": {"x": int(sys.float_info.max)}},
    ],
)
def test_what_the_issue_found_valid_by_the_schema_is_read(document: dict[str, object]) -> None:
    jsonschema.validate(document, json_schema(Event))
    assert Event.deserialize(json.dumps(document)).timestamp == document.get("timestamp", 0)


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "e", "source": "AGENT", "metadata": {"x": 1e999}}',
        '{"name": "e", "source": "AGENT", "timestamp": 1e400}',
        '{"name": "e", "source": "AGENT", "metadata": {"x": 1' + "0" * 309 + "}}",
    ],
)
def test_numbers_beyond_a_double_are_refused_by_both(text: str) -> None:
    assert not jsonschema.Draft202012Validator(json_schema(Event)).is_valid(json.loads(text))
    with pytest.raises(InvalidEventError):
        Event.deserialize(text)


def _vandalize(value: object) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _vandalize(item)
        value["vandal"] = True
    elif isinstance(value, list):
        for item in value:
            _vandalize(item)
        value.append("vandal")


@pytest.mark.parametrize("cls", [Event, RdzvEvent])
def test_json_schema_returns_a_new_object_each_time(cls: type) -> None:
    pristine = copy.deepcopy(json_schema(cls))
    _vandalize(json_schema(cls))
    assert json_schema(cls) == pristine
    assert json_schema(cls) is not json_schema(cls)


# 8. The file under EventFileHandler moves, vanishes or is truncated.


operations = st.lists(
    st.sampled_from(["write", "write", "move", "move+create", "delete", "truncate"]), max_size=12
)


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40, deadline=None
)
@given(steps=operations)
def test_events_land_in_the_file_that_the_path_names(tmp_path: Path, steps: list[str]) -> None:
    directory = tmp_path / next(_names)
    directory.mkdir()
    path = directory / "events.jsonl"
    handler = EventFileHandler(path)
    destination = next(_names)
    register_handler(destination, handler)
    expected: list[str] = []  # What `path` must hold now.
    moved: list[tuple[Path, list[str]]] = []
    for number, step in enumerate(steps):
        if step == "write":
            event = Event("e", EventSource.AGENT, metadata={"n": number})
            record(event, destination)
            expected.append(event.serialize())
        elif step.startswith("move") and path.exists():
            target = directory / f"events.jsonl.{number}"
            path.rename(target)
            moved.append((target, expected))
            expected = []
            if step == "move+create":
                path.touch()
        elif step == "delete" and path.exists():
            path.unlink()
            expected = []
        elif step == "truncate" and path.exists():
            os.truncate(path, 0)  # copytruncate: copy elsewhere, then truncate in place
            expected = []
    handler.close()
    assert (path.read_text().splitlines() if path.exists() else []) == expected
    for target, lines in moved:
        assert target.read_text().splitlines() == lines


def test_the_file_handler_reopens_only_when_the_path_changes(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    handler = EventFileHandler(path)
    register_handler("file", handler)
    with mock.patch("os.open", wraps=os.open) as opened:
        record(EVENT, "file")
        record(EVENT, "file")
        assert opened.call_count == 0
        path.rename(tmp_path / "old")
        record(EVENT, "file")
        record(EVENT, "file")
        assert opened.call_count == 1
    handler.close()
    assert path.read_text().splitlines() == [EVENT.serialize()] * 2


def test_a_path_that_cannot_be_reopened_is_reported(tmp_path: Path) -> None:
    directory = tmp_path / "logs"
    directory.mkdir()
    handler = EventFileHandler(directory / "events.jsonl")
    errors: list[BaseException | None] = []
    handler.handleError = lambda record: errors.append(sys.exc_info()[1])  # type: ignore[method-assign]
    register_handler("file", handler)
    (directory / "events.jsonl").unlink()
    directory.rmdir()
    record(EVENT, "file")
    assert [type(e) for e in errors] == [FileNotFoundError]
    handler.close()


def test_a_short_write_is_finished_so_the_line_lands_whole(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    register_handler("file", EventFileHandler(path))
    write = os.write

    def at_most_ten_bytes(fd: int, data: bytes) -> int:
        return write(fd, data[:10])  # what a signal or a nearly full disk may do

    with mock.patch("os.write", side_effect=at_most_ten_bytes) as writes:
        record(EVENT, "file")
    assert path.read_text() == EVENT.serialize() + "\n"
    assert writes.call_count == -(-len(EVENT.serialize() + "\n") // 10)


def test_the_file_is_created_readable_by_all_and_reopening_leaks_no_descriptor(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.jsonl"
    umask = os.umask(0o022)
    try:
        handler = EventFileHandler(path)
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644
    register_handler("file", handler)
    record(EVENT, "file")
    first = handler._fd  # opened before the old one is closed: never the same number
    path.unlink()
    record(EVENT, "file")
    with pytest.raises(OSError, match="Bad file descriptor"):
        os.fstat(first)  # type: ignore[arg-type]
    handler.close()
    assert path.read_text() == EVENT.serialize() + "\n"


def test_closing_the_file_handler_also_unregisters_it_from_logging(tmp_path: Path) -> None:
    handler = EventFileHandler(tmp_path / "events.jsonl")
    handler.set_name("events-file")
    named = logging._handlers  # type: ignore[attr-defined]  # getHandlerByName() is 3.12+
    assert named["events-file"] is handler
    handler.close()
    assert "events-file" not in named


def _in_a_thread(work: Callable[[], object], seconds: float) -> threading.Thread:
    """Start ``work`` in another thread and give it ``seconds`` to end (is_alive(): it did not)."""
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(seconds)
    return thread


def test_closing_the_file_handler_frees_its_descriptor_and_its_lock(tmp_path: Path) -> None:
    handler = EventFileHandler(tmp_path / "events.jsonl")
    descriptor = handler._fd
    handler.close()
    with pytest.raises(OSError, match="Bad file descriptor"):
        os.fstat(descriptor)  # type: ignore[arg-type]
    taken: list[bool] = []
    _in_a_thread(lambda: taken.append(handler.lock.acquire(timeout=2)), 5)  # type: ignore[union-attr]
    assert taken == [True]


def test_reopening_the_file_waits_for_the_thread_holding_the_handlers_lock(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    handler = EventFileHandler(path)
    path.rename(tmp_path / "old")
    with handler.lock:  # type: ignore[union-attr]  # as close() or another call would hold it
        emitting = _in_a_thread(lambda: handler.emit(logging.makeLogRecord({"msg": EVENT})), 0.5)
        assert emitting.is_alive()
    emitting.join()
    handler.close()
    assert path.read_text() == EVENT.serialize() + "\n"
