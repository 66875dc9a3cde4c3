"""A hostile user against the fast paths (issue 10): each test is a reproducer of a way to make
record() or serialize() write a line the reader rejects, the constructor raise something else
than InvalidEventError or accept what serialize() cannot write, or a fast path answer otherwise
than the slow one."""

from __future__ import annotations

import dataclasses
import dis
import enum
import inspect
import io
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any
from unittest import mock

import pytest

from elastic_events import (
    Event,
    EventSource,
    InvalidEventError,
    _destinations,
    _times,
    _wire,
    record,
    register_handler,
    unregister_handler,
)
from tests.interpreter import setting

HUGE = 10**400  # Written as 401 digits, which readers refuse (beyond MAX_NUMBER).


def written_or_refused(event: Event) -> str | None:
    """The line serialize() writes, checked to read back; None if it refuses the event."""
    try:
        line = event.serialize()
    except InvalidEventError:
        return None
    Event.deserialize(line)  # Raises if the reader rejects it.
    return line


@contextmanager
def at_line_of(code: object, action: Callable[[FrameType], None]) -> Iterator[None]:
    """Run *action* once on each line event of a function's frames: the deterministic stand-in
    for another thread that gets the GIL between two bytecodes of that function. A trace
    function already set (a coverage tool's, tools/mutate.py's) goes on seeing every line."""
    previous = sys.gettrace()

    def tracer(frame: FrameType, what: str, arg: object) -> Any:
        theirs = previous(frame, what, arg) if previous else None
        if frame.f_code is not code:
            return theirs

        def local(frame: FrameType, what: str, arg: object) -> object:
            nonlocal theirs
            theirs = theirs(frame, what, arg) if theirs else None
            if what == "line":
                action(frame)
            return local

        return local

    with setting(sys.gettrace, sys.settrace, tracer):
        yield


def line_of(function: Callable[..., object], text: str) -> int:
    """The number of the first line of *function*'s source that holds *text*."""
    source, first = inspect.getsourcelines(function)
    return first + next(n for n, line in enumerate(source) if text in line)


# Values and keys whose own methods lie or act.


def test_a_value_whose_eq_swaps_in_a_huge_int_is_never_written_after_construction() -> None:
    # encode() compared the metadata with the remembered copy before it looked at the types:
    # the value's __eq__ put an exact huge int in its own place, which the type test then passed.
    class Swapping(int):
        def __eq__(self, other: object) -> bool:
            metadata["a"] = HUGE
            return True

        __hash__ = int.__hash__

    Event("e", EventSource.AGENT, metadata={"a": 1})  # Remembered: {"a": 1}.
    event = Event("e", EventSource.AGENT, metadata={"a": 1})
    metadata: dict[str, Any] = {"a": Swapping(1)}
    event.metadata = metadata
    assert written_or_refused(event) is None


def test_metadata_changed_by_its_own_value_during_the_check_is_refused_at_construction() -> None:
    # The full check looked at the dict while a value's __eq__ changed it: it accepted an event
    # whose metadata held a list, which serialize() refuses.
    class Nesting(int):
        def __eq__(self, other: object) -> bool:
            metadata["a"] = [1]
            return True

        __hash__ = int.__hash__

    metadata: dict[str, Any] = {"a": Nesting(1)}
    with pytest.raises(
        InvalidEventError, match=r"^metadata changed while it was checked"
    ) as raised:
        Event("e", EventSource.AGENT, metadata=metadata)
    assert raised.value.path == ("metadata",)


def test_metadata_resized_by_its_own_value_during_the_check_is_an_invalid_event() -> None:
    # Was RuntimeError: dictionary changed size during iteration.
    class Growing(int):
        def __eq__(self, other: object) -> bool:
            metadata[f"k{len(metadata)}"] = 1
            return True

        __hash__ = int.__hash__

    metadata: dict[str, Any] = {"a": Growing(1)}
    with pytest.raises(InvalidEventError, match=r"^metadata changed while it was checked"):
        Event("e", EventSource.AGENT, metadata=metadata)


def test_a_field_changed_by_a_value_while_serialize_checks_is_not_written() -> None:
    # serialize() checked the fields in order, then wrote the event: a metadata value's __eq__,
    # run by that check, changed the timestamp, which had been checked already.
    class Stamping(int):
        def __eq__(self, other: object) -> bool:
            event.timestamp = HUGE
            return True

        __hash__ = int.__hash__

    event = Event("e", EventSource.AGENT, metadata={"a": 1})
    event.metadata = {"a": Stamping(1)}
    with pytest.raises(InvalidEventError, match=r"^field 'timestamp' must be an integer within"):
        event.serialize()


def test_a_dict_subclass_whose_items_change_is_checked_as_it_is_written() -> None:
    # Checked through one call of items(), written through another: the third gave a huge int.
    class Turning(dict):  # type: ignore[type-arg]
        reads = 0

        def items(self):  # type: ignore[no-untyped-def,override]
            Turning.reads += 1
            return [("a", 1 if Turning.reads <= 2 else HUGE)]

    event = Event("e", EventSource.AGENT, metadata=Turning(a=1))
    with pytest.raises(InvalidEventError, match=r"metadata\['a'\] must lie within"):
        event.serialize()


@pytest.mark.parametrize("honest", range(8))
def test_a_dict_subclass_whose_items_turn_huge_at_any_read_is_never_written_so(
    honest: int,
) -> None:
    # Each check reads items() again, and so does the encoder of a dict subclass: after the
    # last check, only a plain copy of what it read may be written.
    class Turning(dict):  # type: ignore[type-arg]
        reads = 0

        def items(self):  # type: ignore[no-untyped-def,override]
            Turning.reads += 1
            return [("a", 1 if Turning.reads <= honest else HUGE)]

    try:
        event = Event("e", EventSource.AGENT, metadata=Turning(a=1))
    except InvalidEventError:
        return
    written_or_refused(event)


def test_a_dict_subclass_whose_items_raise_is_an_invalid_event() -> None:
    class Failing(dict):  # type: ignore[type-arg]
        def items(self):  # type: ignore[no-untyped-def,override]
            raise OSError("no")

    with pytest.raises(InvalidEventError, match=r"^metadata must be an object whose items\(\)"):
        Event("e", EventSource.AGENT, metadata=Failing(a=1))


def test_record_drops_and_reports_what_a_changed_value_would_make_unreadable() -> None:
    class Swapping(int):
        def __eq__(self, other: object) -> bool:
            metadata["a"] = HUGE
            return True

        __hash__ = int.__hash__

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    errors: list[logging.LogRecord] = []
    handler.handleError = errors.append  # type: ignore[method-assign]
    register_handler("hostile-fast", handler)
    try:
        event = Event("e", EventSource.AGENT, metadata={"a": 1})
        metadata: dict[str, Any] = {"a": Swapping(1)}
        event.metadata = metadata
        record(event, destination="hostile-fast")
    finally:
        unregister_handler("hostile-fast")
    for line in stream.getvalue().splitlines():
        Event.deserialize(line)
    assert len(errors) == 1


# Another thread between two bytecodes, made deterministic with a trace function.


def test_a_change_while_the_constructor_checks_is_never_remembered_as_checked() -> None:
    # The constructor checked the caller's dict, then remembered a copy of it: a change between
    # the two (at a key already looked at) was remembered as checked, and written as such.
    metadata: dict[str, Any] = {"a": 1, "b": 2}

    def change(frame: FrameType) -> None:
        if frame.f_locals.get("key") == "b":
            metadata["a"] = HUGE

    with at_line_of(_wire._plain_metadata.__code__, change):
        event = Event("e", EventSource.AGENT, metadata=metadata)
    assert written_or_refused(event) is None


def test_a_resize_while_the_constructor_checks_is_no_runtime_error() -> None:
    metadata: dict[str, Any] = {"a": 1, "b": 2}

    def grow(frame: FrameType) -> None:
        if frame.f_locals.get("key") == "a" and "c" not in metadata:
            metadata["c"] = 3

    with at_line_of(_wire._plain_metadata.__code__, grow):
        event = Event("e", EventSource.AGENT, metadata=metadata)
    assert Event.deserialize(event.serialize()).metadata == {"a": 1, "b": 2, "c": 3}


def test_a_resize_while_each_field_is_checked_is_no_runtime_error() -> None:
    # A source given by name is not plain: each field is then checked as the event holds it,
    # the metadata too, which another thread may resize while it is looked at.
    metadata: dict[str, Any] = {"a": 1, "b": 2}

    def grow(frame: FrameType) -> None:
        if frame.f_locals.get("value") is metadata and frame.f_locals.get("key") == "a":
            metadata.setdefault("c", HUGE)

    with (
        at_line_of(_wire._plain_metadata.__code__, grow),
        pytest.raises(InvalidEventError, match=r"^metadata\['c'\] must lie within"),
    ):
        Event("e", "AGENT", metadata=metadata)  # type: ignore[arg-type]


def circular() -> list[object]:
    looped: list[object] = []
    looped.append(looped)
    return looped


@pytest.mark.parametrize(
    "value", [HUGE, float("nan"), object(), circular()], ids=["huge", "nan", "object", "loop"]
)
def test_a_change_between_the_check_and_the_write_is_not_written(value: object) -> None:
    # encode() checked the event's metadata, then wrote it: a change in between (another
    # thread's) was written unchecked, or made the encoder raise. It now writes its own copy.
    event = Event("e", EventSource.AGENT, metadata={"a": 1})
    write = line_of(_wire.encode, "_FLAT(fields, 0)")

    def change(frame: FrameType) -> None:
        if frame.f_lineno == write:  # Checked, about to be written.
            event.metadata["a"] = value

    with at_line_of(_wire.encode.__code__, change):
        line = event.serialize()
    assert Event.deserialize(line).metadata == {"a": 1}


def test_a_field_deleted_between_the_full_checks_is_named_missing() -> None:
    # The full check passed, then another thread deleted the metadata before the copy that is
    # checked again and written: that check names it (the copy's snapshot must not KeyError).
    event = Event("e", EventSource.AGENT, metadata={"a": 1})
    event.source = "WORKER"  # type: ignore[assignment]  # Not plain: checked in full.
    copying = line_of(_wire.encode, "copy.__dict__ =")

    def delete(frame: FrameType) -> None:
        if frame.f_lineno == copying and "metadata" in vars(event):
            del event.metadata

    with (
        at_line_of(_wire.encode.__code__, delete),
        pytest.raises(InvalidEventError, match=r"^field 'metadata' is missing"),
    ):
        event.serialize()


def test_a_resize_while_serialize_compares_with_the_remembered_copy_is_looked_at() -> None:
    # The comparison reads the keys, then the values: a key added in between makes its
    # unpacking raise, which must mean "not the same", and a check in full.
    event = Event("e", EventSource.AGENT, metadata={"a": 1, "b": 2})
    same = _wire._same_objects(2)
    # Made by exec(), so without source: the line of its a.values().
    values = next(i.positions.lineno for i in dis.get_instructions(same) if i.argval == "values")

    def grow(frame: FrameType) -> None:
        if frame.f_lineno == values and "c" not in event.metadata:
            event.metadata["c"] = 3

    with at_line_of(same.__code__, grow):
        line = event.serialize()
    assert Event.deserialize(line).metadata == {"a": 1, "b": 2, "c": 3}


# Keys and types that lie to the remembered-copy comparison.


def test_a_key_that_lies_about_its_hash_and_equality_is_not_written_twice() -> None:
    class Liar(str):
        def __eq__(self, other: object) -> bool:
            return True

        def __hash__(self) -> int:
            return hash("b")

    event = Event("e", EventSource.AGENT, metadata={"a": 1, "b": 1})
    event.metadata = {"a": 1, Liar("a"): 1}
    assert written_or_refused(event) is None


def test_a_value_whose_metaclass_says_it_is_an_int_is_not_written() -> None:
    class PassesForInt(type):
        def __eq__(cls, other: object) -> bool:
            return True

        def __hash__(cls) -> int:
            return hash(int)

    class Agreeing(int, metaclass=PassesForInt):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = int.__hash__

    event = Event("e", EventSource.AGENT, metadata={"a": 1})
    event.metadata = {"a": Agreeing(HUGE)}
    assert written_or_refused(event) is None


def test_an_instance_dict_key_that_says_it_is_a_field_name_is_not_written() -> None:
    class Liar(str):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = str.__hash__

    event = Event("n", EventSource.AGENT)
    event.__dict__ = {Liar("zzz"): "x", "source": EventSource.AGENT, "timestamp": 0, "metadata": {}}
    assert written_or_refused(event) is None


# Enums whose members are not written as their names.


class Color(str, enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    LOW = 1


class Shape(enum.Enum):
    SQUARE = "SQUARE"


@pytest.mark.parametrize("kind", [Color, Level, Shape])
def test_an_enum_not_written_as_its_names_is_refused_as_a_field(kind: type[enum.Enum]) -> None:
    # A str enum is written as its value: "red" for RED, which its reader refused; an IntEnum as
    # its number; a plain Enum not at all (serialize() refused what the constructor accepted).
    member = next(iter(kind))
    cls = dataclasses.make_dataclass(
        "Tagged", [("tag", kind, dataclasses.field(default=member))], bases=(Event,)
    )
    with pytest.raises(TypeError, match=r"^no wire format for a field annotated <enum "):
        cls("n", EventSource.AGENT)


def test_a_str_enum_whose_values_are_its_names_is_still_a_field() -> None:
    class Mood(str, enum.Enum):
        CALM = "CALM"

    felt = dataclasses.make_dataclass(
        "Felt", [("mood", Mood, dataclasses.field(default=Mood.CALM))], bases=(Event,)
    )
    line = felt("n", EventSource.AGENT).serialize()
    assert line.endswith(', "mood": "CALM"}')
    assert felt.deserialize(line).mood is Mood.CALM


# The LogRecords of events (elastic_events/_destinations.py, owned elsewhere).


def made_and_built(logger: logging.Logger) -> tuple[dict[str, Any], dict[str, Any]]:
    built = _destinations._record_of(logger, "m").__dict__
    made = logger.makeRecord(logger.name, logging.INFO, "(unknown file)", 0, "m", (), None)
    return built, made.__dict__


def test_a_patched_log_record_init_is_run_for_events_records() -> None:
    stock = logging.LogRecord.__init__

    def enriched(self: logging.LogRecord, *args: Any, **kwargs: Any) -> None:
        stock(self, *args, **kwargs)
        self.hostname = "node-0"

    logger = logging.getLogger("torchelastic-events-hostile-init")
    with mock.patch.object(logging.LogRecord, "__init__", enriched):
        built, made = made_and_built(logger)
    assert built.get("hostname") == made["hostname"]


def test_msecs_of_a_time_before_1970_is_logging_s() -> None:
    logger = logging.getLogger("torchelastic-events-hostile-time")
    with (
        mock.patch("time.time", return_value=-1.5),
        mock.patch("time.time_ns", return_value=-1_500_000_000),
    ):
        built, made = made_and_built(logger)
    assert built["msecs"] == made["msecs"]


@pytest.mark.parametrize("flag", ["logThreads", "logProcesses", "logMultiprocessing"])
def test_logging_flags_changed_at_run_time_are_followed(flag: str) -> None:
    logger = logging.getLogger("torchelastic-events-hostile-flags")
    with mock.patch.object(logging, flag, False), mock.patch("time.time", return_value=1.5e9):
        built, made = made_and_built(logger)
    assert built == made
    assert list(built) == list(made)


# The time of lines read in a row (elastic_events/_times.py): the shortcut for a prefix that
# differs from the last one only in its fraction's digits must say what reading it alone says.

LINES: list[bytes | str] = [
    b"2026-11-25T10:00:00.123Z {",
    b"2026-11-25T10:00:00.456Z {",  # The shortcut.
    "2026-11-25T10:00:00.789Z {",  # The same as str.
    "2026-11-25T10:00:00.\u0667\u0668\u0669Z {",  # Arabic-Indic digits: no time (not [0-9]).
    b"2026-11-25T10:00:00.999Z {",
    b"2026-11-25T10:00:00.9991Z {",  # One digit longer.
    b"2026-11-25T10:00:00.1234567891Z {",  # Past nanoseconds...
    b"2026-11-25T10:00:00.1234567892Z {",  # ...differs past the ninth digit only.
    b"2026-11-25T10:00:00.100+02:00 {",
    b"2026-11-25T10:00:00.200+02:00 {",
    b"2026-11-25T10:00:00.300-02:00 {",  # Same length, another zone.
    b"2026-11-25 10:00:00,000 INFO {",  # asctime, interleaved.
    b"2026-11-25T10:00:00.400Z {",
    b"2026-11-25 10:00:00,500 INFO {",
    b"2026-12-31T23:59:60.500Z {",  # A leap second.
    b"2026-12-31T23:59:60.600Z {",
    b"2026-02-30T10:00:00.100Z {",  # No such day.
    b"2026-02-30T10:00:00.200Z {",
    b"12026-11-25T10:00:00.100Z {",  # Glued to another digit: no time.
    b"22026-11-25T10:00:00.200Z {",
    b"x 2026-11-25T10:00:00.300Z 2026-11-25T11:00:00.300Z {",  # The first time counts.
    b"x 2026-11-25T10:00:00.400Z 2026-11-25T11:00:00.400Z {",
]


def alone(line: bytes | str, zone: Any) -> int | None:
    """The time of one line, read by a reader that has read nothing before."""
    raw = line.encode("utf-8", "replace") if isinstance(line, str) else line
    read, _ = _times._new_readers(zone)
    return read(raw, raw.index(b"{"))


@pytest.mark.parametrize("zone", [None, "+05:30"])
def test_lines_read_in_a_row_are_timed_as_each_alone(zone: str | None) -> None:
    tz = _times.parse_zone(zone) if zone else None
    _, line_time = _times._new_readers(tz)
    event = Event("e", EventSource.AGENT)
    for line in LINES + LINES[::-1]:
        start = line.index("{" if isinstance(line, str) else b"{")
        assert line_time(event, line, start) == alone(line, tz), line


def test_threads_sharing_one_line_timer_time_each_line_as_alone() -> None:
    _, line_time = _times._new_readers(None)
    event = Event("e", EventSource.AGENT)
    lines = [f"2026-11-25T10:00:0{n % 10}.{n:03d}Z {{".encode() for n in range(1000)]
    wrong: list[bytes] = []

    def read_all() -> None:
        for line in lines:
            if line_time(event, line, len(line) - 1) != alone(line, None):
                wrong.append(line)

    threads = [threading.Thread(target=read_all) for _ in range(4)]
    with setting(sys.getswitchinterval, sys.setswitchinterval, 1e-6):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert wrong == []
