"""Reading event logs: EventLog and LogLine, and the wire format's helpers behind them."""

from __future__ import annotations

import bz2
import dataclasses
import errno
import gzip
import io
import itertools
import json
import lzma
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from elastic_events import (
    Event,
    EventLog,
    EventSource,
    InvalidEventError,
    LogLine,
    NodeState,
    RdzvEvent,
    _wire,
)
from tests import strategies

SAMPLE = Path(__file__).parent / "data" / "torchelastic-examples.jsonl"
SAMPLE_LINES = SAMPLE.read_bytes().splitlines(keepends=True)
EVENT = b'{"name": "started", "source": "AGENT", "timestamp": 0, "metadata": {}}'
RDZV = (
    b'{"name": "r.py:join", "run_id": "r", "message": "joined", "hostname": "h", "pid": 1, '
    b'"node_state": "RUNNING"}'
)


def errors(lines: Sequence[bytes | str]) -> list[tuple[int, str]]:
    return [(line.number, line.error) for line in EventLog(lines) if line.event is None]


def error_of(line: bytes | str) -> str:
    (found,) = errors([line])
    return found[1]


# Good lines


def test_every_sample_line_reads_as_the_event_deserialize_gives() -> None:
    log = EventLog(SAMPLE_LINES)
    read = list(log)
    expected = [
        (RdzvEvent if b"node_state" in line else Event).deserialize(line) for line in SAMPLE_LINES
    ]
    assert [line.event for line in read] == expected
    assert [line.number for line in read] == list(range(1, len(SAMPLE_LINES) + 1))
    assert all(line.error == "" for line in read)
    assert (log.events, log.bad, log.other) == (len(SAMPLE_LINES), 0, 0)


def test_event_json_at_the_end_of_a_log_line_is_read_from_its_first_brace() -> None:
    line = b"2024-06-10 12:00:01,123 INFO torchelastic-events-null: " + EVENT + b"\n"
    (read,) = EventLog([line])
    assert read == LogLine(1, Event("started", EventSource.AGENT), "", 1_718_020_801_123_000_000)


def test_lines_without_a_brace_are_counted_as_other_lines_and_skipped() -> None:
    log = EventLog([b"starting the agent\n", b"\n", EVENT, b"", b"done\r\n"])
    assert [line.number for line in log] == [3]
    assert (log.events, log.bad, log.other) == (1, 0, 4)


def test_text_lines_read_like_bytes_lines() -> None:
    as_text = [line.decode() for line in SAMPLE_LINES]
    assert list(EventLog(as_text)) == list(EventLog(SAMPLE_LINES))


def test_crlf_line_endings_are_accepted() -> None:
    assert errors([EVENT + b"\r\n", RDZV + b"\r\n"]) == []


def test_a_10_mb_line_holding_one_event_is_read() -> None:
    message = "x" * 10_000_000
    line = RdzvEvent("n", "r", message, "h", 1, NodeState.RUNNING).serialize().encode()
    log = EventLog([line])
    assert [len(line.event.message) for line in log if line.event] == [10_000_000]  # type: ignore[union-attr]


@given(strategies.any_event, st.text(alphabet=st.characters(blacklist_characters="{\n\r")))
def test_any_serialized_event_after_any_prefix_reads_back_equal(
    event: Event | RdzvEvent, prefix: str
) -> None:
    line = prefix + " " + event.serialize() + "\n"
    for form in (line, line.encode("utf-8", "surrogatepass")):
        (read,) = EventLog([form])
        assert read.event == event


# Bad lines: each reported with the library's message, and the reading goes on


def test_a_truncated_line_is_reported_where_the_json_breaks() -> None:
    assert error_of(RDZV[:40]) == "not valid JSON: Unterminated string starting at column 38"


def test_json_column_counts_characters_of_the_whole_line() -> None:
    assert error_of("é INFO {oops}") == (
        "not valid JSON: Expecting property name enclosed in double quotes at column 9"
    )
    assert error_of("é INFO {oops}".encode()) == (
        "not valid JSON: Expecting property name enclosed in double quotes at column 9"
    )


def test_text_after_the_event_json_is_extra_data() -> None:
    assert error_of(EVENT + b" trailing") == "not valid JSON: Extra data at column 72"


def test_invalid_utf8_is_reported_with_its_byte_and_reading_goes_on() -> None:
    lines = [b"INFO {\xff\xfe}\n", EVENT, b'{"name": "caf\xc3"}', RDZV]
    assert errors(lines) == [
        (1, "not UTF-8 text: byte 0xff at column 7 (invalid start byte)"),
        (3, "not UTF-8 text: byte 0xc3 at column 14 (invalid continuation byte)"),
    ]


def test_binary_garbage_with_a_brace_is_a_bad_line_and_without_one_another_line() -> None:
    log = EventLog([b"\x00\x01\x02\x89PNG", b"\x00{\x00\x00}", EVENT])
    assert [(line.number, line.error) for line in log.problems()] == [
        (2, "not valid JSON: Expecting property name enclosed in double quotes at column 3")
    ]
    assert (log.events, log.bad, log.other) == (1, 1, 1)


def test_nan_and_infinity_are_not_json() -> None:
    assert error_of('{"name": "x", "source": "AGENT", "timestamp": NaN}') == (
        "not valid JSON: NaN is not a JSON value (RFC 8259 numbers are finite); use a number, "
        "or a string such as 'NaN'"
    )
    assert error_of('{"name": "x", "source": "AGENT", "metadata": {"t": 1e999}}') == (
        "not valid JSON here: the number 1e999 is too large for a float, which reads it as "
        "infinity (RFC 8259 numbers are finite); write it as a string"
    )


def test_an_object_with_no_field_of_either_class_says_what_each_needs() -> None:
    assert error_of('{"name": "x", "level": "INFO"}') == (
        "neither an Event (which has 'source') nor an RdzvEvent (which has 'run_id', "
        "'message', 'hostname', 'pid', 'node_state'); this object has 'name', 'level'"
    )
    assert error_of("{}").endswith("; this object has no fields")


@pytest.mark.parametrize(("fields", "shown"), [(8, "'h'"), (9, "'h', ...")])
def test_an_object_of_neither_class_shows_its_first_8_fields(fields: int, shown: str) -> None:
    line = json.dumps(dict.fromkeys("abcdefghi"[:fields], 1))
    assert error_of(line) == (
        "neither an Event (which has 'source') nor an RdzvEvent (which has 'run_id', 'message', "
        f"'hostname', 'pid', 'node_state'); this object has 'a', 'b', 'c', 'd', 'e', 'f', 'g', "
        f"{shown}"
    )


def test_the_class_is_told_by_its_own_fields_and_checked_with_the_library_messages() -> None:
    assert error_of('{"name": "x", "run_id": "r"}') == (
        "missing required field 'message', 'hostname', 'pid', 'node_state' of a RdzvEvent"
    )
    assert error_of('{"name": "x", "metadata": {}}') == (
        "missing required field 'source' of an Event"
    )
    assert error_of('{"name": "x", "source": "BOSS"}') == (
        "field 'source' must be one of 'AGENT', 'WORKER' (an EventSource); got 'BOSS' (a string)"
    )


def test_fields_of_both_classes_read_as_the_class_with_more_of_its_own() -> None:
    both = '{"name": "x", "source": "AGENT", "timestamp": 0, "rank": 1}'
    assert error_of(both).startswith("unknown field 'rank' in an Event;")
    tie = '{"name": "x", "source": "AGENT", "node_state": "FAILED"}'
    assert error_of(tie).startswith("unknown field 'source' in a RdzvEvent;")


def test_counts_add_up_over_a_mixed_log() -> None:
    lines = [EVENT, b"plain", b"{", RDZV, b"{}", b"more plain", EVENT]
    log = EventLog(lines)
    assert [line.number for line in log.problems()] == [3, 5]
    assert (log.events, log.bad, log.other) == (3, 2, 2)


def test_counts_are_kept_when_the_reading_stops_early() -> None:
    log = EventLog([EVENT, b"{", EVENT, EVENT])
    problems = log.problems()
    assert next(problems).number == 2
    problems.close()
    assert (log.events, log.bad) == (1, 1)


def test_problems_and_iteration_report_the_same_bad_lines() -> None:
    lines = [*SAMPLE_LINES, b"{", b'{"name": 1, "source": "AGENT"}', RDZV.replace(b"1,", b"-1.5,")]
    every = [(line.number, line.error) for line in EventLog(lines) if line.event is None]
    fast = [(line.number, line.error) for line in EventLog(lines).problems()]
    assert fast == every
    assert fast[-1] == (len(lines), "field 'pid' must be an integer; got -1.5 (a number)")


WHOLE_EVENT = Event("x", EventSource.AGENT, metadata={"a": 1}).serialize().encode()
WHOLE_RDZV = RdzvEvent("r", "r", "m", "h", 1, NodeState.RUNNING).serialize().encode()


# Lines with every field in order, of JSON types the fast path takes: it must check the values.
@pytest.mark.parametrize(
    ("line", "error"),
    [
        (
            WHOLE_EVENT.replace(b"AGENT", b"MASTER"),
            "field 'source' must be one of 'AGENT', 'WORKER' (an EventSource); got 'MASTER' "
            "(a string)",
        ),
        (
            WHOLE_RDZV.replace(b"RUNNING", b"DANCING"),
            "field 'node_state' must be one of 'INIT', 'RUNNING', 'SUCCEEDED', 'FAILED' (a "
            "NodeState); got 'DANCING' (a string)",
        ),
        (
            WHOLE_RDZV.replace(b'"pid": 1', b'"pid": 1' + b"0" * 400),
            "field 'pid' must be an integer within ±1.7976931348623157e+308 (the range of a "
            "double); got an integer of about 401 digits",
        ),
        (
            WHOLE_EVENT.replace(b'"a": 1', b'"a": 1e999'),
            "not valid JSON here: the number 1e999 is too large for a float, which reads it as "
            "infinity (RFC 8259 numbers are finite); write it as a string",
        ),
    ],
    ids=["source", "node-state", "huge-pid", "infinite-metadata"],
)
def test_a_line_of_plain_json_types_with_a_bad_value_is_a_bad_line_either_way(
    line: bytes, error: str
) -> None:
    for read in (iter(EventLog([line])), EventLog([line]).problems()):
        assert [(bad.number, bad.event, bad.error) for bad in read] == [(1, None, error)]


# The wire format's fast check agrees with its full one

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=5,
)


@given(strategies.any_event, st.data())
def test_validate_raises_exactly_what_decode_raises(
    event: Event | RdzvEvent, data: st.DataObject
) -> None:
    cls = type(event)
    decoded = json.loads(event.serialize())
    _wire.validate(cls, decoded)  # Valid as it is.
    key = data.draw(st.sampled_from([*decoded, "extra"]))
    decoded[key] = data.draw(json_values)
    if data.draw(st.booleans()):
        del decoded[data.draw(st.sampled_from(list(decoded)))]
    assert outcome(_wire.validate, cls, decoded) == outcome(_wire.decode, cls, decoded)


def outcome(check: Callable[[type, dict[str, object]], object], *args: Any) -> str:
    """``"valid"``, or the message of the InvalidEventError that ``check`` raised."""
    try:
        check(*args)
    except InvalidEventError as error:
        return str(error)
    return "valid"


CLASSES = (RdzvEvent, Event)


def full_reading(text: str) -> tuple[type, dict[str, Any]] | str:
    """What parse_json(), classify() and validate() make of ``text``: class and object, or why
    not."""
    try:
        data = _wire.parse_json(text)
        assert isinstance(data, dict)
        cls = _wire.classify(data, CLASSES)
        assert cls is not None
        _wire.validate(cls, data)
    except (InvalidEventError, AssertionError) as error:
        return str(error)
    return cls, data


@given(st.sampled_from(CLASSES).flatmap(strategies.ordered_documents))
def test_the_fast_path_accepts_only_what_the_full_reading_accepts(text: str) -> None:
    fast = _wire.plain_event(text, CLASSES)
    if fast is not None:
        assert full_reading(text) == fast


@given(strategies.any_event)
def test_the_fast_path_reads_a_serialized_event_as_it_is(event: Event | RdzvEvent) -> None:
    # It may leave one to the full reading (metadata whose numbers add up past MAX_NUMBER).
    fast = _wire.plain_event(event.serialize(), CLASSES)
    assert fast is None or fast == (type(event), json.loads(event.serialize()))


@given(st.sampled_from(CLASSES).flatmap(strategies.ordered_documents))
def test_the_fast_build_makes_the_event_decode_makes(text: str) -> None:
    fast = _wire.plain_event(text, CLASSES)
    if fast is not None:
        cls, data = fast
        expected = _wire.decode(cls, dict(data))
        built = _wire.plain_built(cls, data)
        assert type(built) is cls
        assert list(built.__dict__.items()) == list(expected.__dict__.items())
        assert [type(value) for value in vars(built).values()] == [
            type(value) for value in vars(expected).values()
        ]
        assert built.serialize() == expected.serialize()


def test_the_fast_path_takes_every_line_torch_writes() -> None:
    for line in SAMPLE_LINES:
        text = line.decode()
        assert _wire.plain_event(text, CLASSES) == full_reading(text), text


def test_classify_knows_each_class_by_its_own_fields() -> None:
    classes = (RdzvEvent, Event)
    assert _wire.classify({"source": "AGENT"}, classes) is Event
    assert _wire.classify({"node_state": "INIT"}, classes) is RdzvEvent
    assert _wire.classify({"run_id": "r", "metadata": {}, "timestamp": 0}, classes) is Event
    assert _wire.classify({"name": "only the shared field"}, classes) is None
    assert _wire.distinctive_fields(Event, classes) == ("source", "timestamp", "metadata")


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (b'{"name": "x", "source": "AGE\n', "Unterminated string starting at column 25"),
        ('{"name": "x\n', "Unterminated string starting at column 10"),
        (b'{"name": "x", "source": \n', "Expecting value at column 25"),
        (b'{"name": "x"\r\n', "Expecting ',' delimiter at column 13"),
        # Broken inside the line, before its end: said as it is.
        (b'{"name": "x\\\n', "Invalid \\escape at column 12"),
    ],
)
def test_a_line_cut_short_is_said_to_break_where_it_ends_not_at_its_newline(
    line: bytes | str, error: str
) -> None:
    assert [bad.error for bad in EventLog([line])] == [f"not valid JSON: {error}"]


@pytest.mark.parametrize("max_line", [0, -1])
def test_a_max_line_below_1_is_refused(max_line: int) -> None:
    with pytest.raises(ValueError, match=f"max_line must be at least 1; got {max_line}"):
        EventLog([], max_line=max_line)


def test_a_max_line_of_1_reads_lines_of_one_byte() -> None:
    log = EventLog([b"x", b"{}"], max_line=1)
    assert [line.error for line in log] == [
        "not read: the line is longer than 1 bytes (the limit; see max_line); skipped to its end"
    ]
    assert (log.other, log.bad) == (1, 1)


class Trickle:
    """A pipe that gives its bytes a few at a time."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data, self._size = data, size
        self.given = 0  # Bytes read so far.

    def read(self, size: int = -1) -> bytes:
        given, self._data = self._data[: self._size], self._data[self._size :]
        self.given += len(given)
        return given


@pytest.mark.parametrize("size", [1, 2, 5])
@pytest.mark.parametrize(
    ("compress", "kind"), [(gzip.compress, "gzip"), (bz2.compress, "bzip2"), (lzma.compress, "xz")]
)
def test_compression_is_told_from_first_bytes_given_a_few_at_a_time(
    compress: Callable[[bytes], bytes], kind: str, size: int
) -> None:
    event = Event("e", EventSource.AGENT)
    log = EventLog(Trickle(compress(event.serialize().encode() + b"\n"), size))  # type: ignore[arg-type]
    assert [line.event for line in log] == [event]
    assert log.compression == kind


EVENT_LINE = Event("e", EventSource.AGENT).serialize().encode()


@given(
    lines=st.lists(st.sampled_from([EVENT_LINE, b"other", b""])),
    endings=st.lists(st.sampled_from([b"\n", b"\r\n", b"\r"]), min_size=1),
    cut_last=st.booleans(),
    size=st.integers(min_value=1, max_value=80),
    limit=st.sampled_from([len(EVENT_LINE) - 1, len(EVENT_LINE), len(EVENT_LINE) + 1, 1000]),
)
# An empty first line; a \r\n cut between two pieces; a line of the limit in pieces.
@example(lines=[b"", EVENT_LINE], endings=[b"\n"], cut_last=False, size=1, limit=1000)
@example(
    lines=[EVENT_LINE] * 2, endings=[b"\r\n"], cut_last=False, size=len(EVENT_LINE) + 1, limit=1000
)
@example(lines=[EVENT_LINE], endings=[b"\n"], cut_last=True, size=10, limit=len(EVENT_LINE))
def test_a_stream_given_in_pieces_is_split_as_bytes_splitlines_splits_it(
    lines: list[bytes], endings: list[bytes], cut_last: bool, size: int, limit: int
) -> None:
    data = b"".join(line + endings[n % len(endings)] for n, line in enumerate(lines))
    if cut_last and data:
        data = data.rstrip(b"\r\n")  # The last line without its newline.
    expected = [
        (number, "too long" if len(line) > limit else "event")
        for number, line in enumerate(data.splitlines(), 1)
        if len(line) > limit or b"{" in line
    ]
    log = EventLog(Trickle(data, size), max_line=limit)  # type: ignore[arg-type]
    too_long = "not read: the line is longer"
    read = [
        (
            line.number,
            "event" if line.event else line.error[: len(too_long)].replace(too_long, "too long"),
        )
        for line in log
    ]
    assert read == expected


@given(lines=st.lists(st.sampled_from([EVENT_LINE.decode(), "other", "", '{"name": 1}', "{"])))
def test_a_text_stream_reads_as_its_bytes_and_its_lines_do(lines: list[str]) -> None:
    text = "".join(line + "\n" for line in lines)
    read = [
        [(line.number, line.event, line.error) for line in log]
        for log in (
            EventLog(io.StringIO(text)),
            EventLog(io.BytesIO(text.encode())),
            EventLog(lines),
        )
    ]
    assert read[0] == read[1] == read[2]
    assert len(read[0]) == sum("{" in line for line in lines)


def test_a_log_line_is_frozen() -> None:
    (line,) = EventLog([EVENT_LINE])
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.number = 2  # type: ignore[misc]


def test_a_stream_is_read_no_further_ahead_than_the_line_being_read() -> None:
    stream = Trickle(b"".join([EVENT_LINE + b"\n"] * 1000), 10)
    lines = iter(EventLog(stream))  # type: ignore[arg-type]
    assert next(lines).number == 1
    assert stream.given <= len(EVENT_LINE) + 10


class FailingDisk(io.RawIOBase):
    """A file whose first bytes read, and whose next read fails as a disk fails."""

    def __init__(self, first: bytes) -> None:
        self._first = first

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if not self._first:
            raise OSError(errno.EIO, "Input/output error")
        given, self._first = self._first, b""
        return given


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_a_disk_failing_under_a_compressed_log_is_raised_not_called_damaged_data(
    compress: Callable[[bytes], bytes],
) -> None:
    data = compress(b"".join([EVENT_LINE + b"\n"] * 5000))
    with pytest.raises(OSError, match="Input/output error") as raised:
        list(EventLog(FailingDisk(data[: len(data) // 2])))  # type: ignore[arg-type]
    assert raised.value.errno == errno.EIO


@given(
    lines=st.lists(
        st.sampled_from([EVENT_LINE, b"other", b"{", b"x" * 70 + EVENT_LINE]), max_size=8
    ),
    limit=st.sampled_from([1, len(EVENT_LINE) - 1, len(EVENT_LINE), len(EVENT_LINE) + 1, 1000]),
    cut_last=st.booleans(),
)
@example(lines=[b"x" * 70 + EVENT_LINE, EVENT_LINE], limit=len(EVENT_LINE), cut_last=False)
@example(lines=[EVENT_LINE], limit=len(EVENT_LINE), cut_last=True)  # Ends where the limit does.
@example(lines=[EVENT_LINE], limit=len(EVENT_LINE) - 1, cut_last=False)  # One past, with its end.
def test_a_text_stream_keeps_the_limit_as_a_binary_stream_does_in_characters(
    lines: list[bytes], limit: int, cut_last: bool
) -> None:
    data = b"".join(line + b"\n" for line in lines)
    if cut_last:
        data = data.removesuffix(b"\n")  # The last line without its newline.
    read = [
        [(line.number, line.event, line.error) for line in log]
        for log in (
            EventLog(io.BytesIO(data), max_line=limit),
            EventLog(io.StringIO(data.decode()), max_line=limit),
        )
    ]
    said_in_bytes = [
        (n, event, error.replace(" bytes ", " characters ")) for n, event, error in read[0]
    ]
    assert read[1] == said_in_bytes
    assert sum(bool(error) for *_, error in read[1]) == sum(
        len(line) > limit or line == b"{" for line in lines
    )


def test_a_line_past_max_length_is_refused_as_parse_json_refuses_it_whatever_max_line() -> None:
    empty = Event("", EventSource.AGENT).serialize()
    line = Event("x" * (_wire.MAX_LENGTH + 1 - len(empty)), EventSource.AGENT).serialize()
    (read,) = EventLog([line], max_line=_wire.MAX_LENGTH + 1)
    assert read.error == (
        "not read: 16,777,217 characters of JSON, more than the 16,777,216 a document may have"
    )


class DamagedData(io.RawIOBase):
    """A compressed stream whose next read fails as damaged data does: an OSError, no errno."""

    def __init__(self, first: bytes, message: str) -> None:
        self._first, self._message = first, message

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if not self._first:
            raise OSError(self._message)
        given, self._first = self._first, b""
        return given


@pytest.mark.parametrize(("length", "said"), [(80, "x" * 80), (81, "x" * 79 + "\u2026")])
def test_what_the_decompressor_says_is_cut_to_80_characters(length: int, said: str) -> None:
    data = gzip.compress(b"".join([EVENT_LINE + b"\n"] * 5000))
    log = EventLog(DamagedData(data[: len(data) // 2], "x" * length))  # type: ignore[arg-type]
    *_, last = log
    assert last.error == (
        f"not read: the gzip data is cut short or damaged ({said}); the lines before this one "
        "were read"
    )


@pytest.mark.parametrize(
    "lines",
    [
        [b"other", b'{"name": "\xff"}', EVENT_LINE],
        ["other", '{"name": "x"}', EVENT_LINE.decode()],
    ],
    ids=["bytes", "str"],
)
def test_other_bad_and_good_lines_are_counted_alike_for_bytes_and_str(lines: list[Any]) -> None:
    log = EventLog(lines)
    assert [line.number for line in log] == [2, 3]
    assert (log.other, log.bad, log.events) == (1, 1, 1)


def test_a_text_stream_that_is_not_utf8_ends_with_one_line_saying_so() -> None:
    stream = io.TextIOWrapper(io.BytesIO(EVENT_LINE + b"\n\xff\n" + EVENT_LINE), encoding="utf-8")
    read = list(itertools.islice(EventLog(stream), 3))  # A reader that went on would loop.
    assert [(line.number, line.event, line.error) for line in read] == [
        (
            1,
            None,
            "not read: the text stream is not UTF-8 (invalid start byte); the lines before this "
            "one were read (open the log in binary mode to read past such a line)",
        )
    ]


def test_an_event_line_is_the_log_line_its_fields_make() -> None:
    # The reader builds event lines through LogLine's slots, not its __init__: the same object.
    [line] = EventLog(['2026-11-25T10:00:00Z {"name": "x", "source": "AGENT"}'])
    assert line.event is not None
    made = LogLine(1, line.event, "", 1_795_600_800_000_000_000)
    assert (line, repr(line)) == (made, repr(made))
    assert type(line) is LogLine
    assert not hasattr(line, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.error = "changed"  # type: ignore[misc]
