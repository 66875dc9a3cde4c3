"""The data model and its wire format: construction, serialize(), deserialize(), json_schema()."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import sys
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import elastic_events
from elastic_events import (
    Event,
    EventSource,
    InvalidEventError,
    NodeState,
    RdzvEvent,
    json_schema,
)
from tests import strategies
from tests.interpreter import setting

SAMPLE_LINES = (
    (__import__("pathlib").Path(__file__).parent / "data" / "torchelastic-examples.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
)


def a_rdzv_event(**changes: object) -> RdzvEvent:
    fields: dict[str, object] = {
        "name": "dynamic_rendezvous.py:join",
        "run_id": "run-1",
        "message": "joined",
        "hostname": "node-0",
        "pid": 42,
        "node_state": NodeState.RUNNING,
    }
    return RdzvEvent(**{**fields, **changes})  # type: ignore[arg-type]


def torch_formula(event: Event | RdzvEvent) -> str:
    """What PyTorch writes: json.dumps(dataclasses.asdict(event))."""
    return json.dumps(dataclasses.asdict(event))


# Construction: torch's fields, order, defaults and equality.


def test_event_fields_defaults_and_order_match_torch() -> None:
    names = [f.name for f in dataclasses.fields(Event)]
    assert names == ["name", "source", "timestamp", "metadata"]
    event = Event("e", EventSource.AGENT)
    assert (event.timestamp, event.metadata) == (0, {})
    assert Event("e", EventSource.AGENT) == Event("e", EventSource.AGENT)
    assert Event("e", EventSource.AGENT) != Event("e", EventSource.WORKER)


def test_rdzv_event_fields_defaults_and_order_match_torch() -> None:
    names = [f.name for f in dataclasses.fields(RdzvEvent)]
    assert names == [
        "name", "run_id", "message", "hostname", "pid", "node_state",
        "master_endpoint", "rank", "local_id", "error_trace",
    ]  # fmt: skip
    event = a_rdzv_event()
    assert (event.master_endpoint, event.rank, event.local_id, event.error_trace) == (
        "", None, None, ""
    )  # fmt: skip


def test_default_metadata_is_not_shared_between_events() -> None:
    first, second = Event("a", EventSource.AGENT), Event("b", EventSource.AGENT)
    first.metadata["k"] = 1
    assert second.metadata == {}


def test_enum_names_given_as_strings_become_members() -> None:
    assert Event("e", "WORKER").source is EventSource.WORKER  # type: ignore[arg-type]
    assert a_rdzv_event(node_state="FAILED").node_state is NodeState.FAILED


def test_enums_are_str_enums_whose_names_are_their_values() -> None:
    for enum in (EventSource, NodeState):
        assert all(isinstance(m, str) and m.name == m.value for m in enum)
    assert list(EventSource.__members__) == ["AGENT", "WORKER"]
    assert list(NodeState.__members__) == ["INIT", "RUNNING", "SUCCEEDED", "FAILED"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: Event("e", "SERVER"),
            "field 'source' must be one of 'AGENT', 'WORKER' (an EventSource); "
            "got 'SERVER' (a string)",
        ),
        (lambda: Event(7, EventSource.AGENT), "field 'name' must be a string; got 7 (an integer)"),
        (
            lambda: Event("e", EventSource.AGENT, timestamp=1.5),
            "field 'timestamp' must be an integer; got 1.5 (a number)",
        ),
        (
            lambda: Event("e", EventSource.AGENT, timestamp=True),
            "field 'timestamp' must be an integer; got True (a boolean)",
        ),
        (
            lambda: Event("e", EventSource.AGENT, metadata=[]),
            "field 'metadata' must be an object; got [] (an array)",
        ),
        (
            lambda: Event("e", EventSource.AGENT, metadata={1: "x"}),
            "metadata keys must be strings; got 1 (an integer)",
        ),
        (
            lambda: Event("e", EventSource.AGENT, metadata={"loss": math.nan}),
            "metadata['loss'] is nan, which JSON cannot carry; numbers must be finite "
            "(write it as a string or null instead)",
        ),
        (
            lambda: Event("e", EventSource.AGENT, metadata={"t": -math.inf}),
            "metadata['t'] is -inf, which JSON cannot carry; numbers must be finite "
            "(write it as a string or null instead)",
        ),
        (
            lambda: Event("e", EventSource.AGENT, metadata={"ranks": [0, 1]}),
            "metadata['ranks'] must be a string, number, boolean or null; got [0, 1] (an array) "
            "(encode nested values as a JSON string)",
        ),
        (
            lambda: Event("e", EventSource.AGENT, metadata={"when": object}),
            "metadata['when'] must be a string, number, boolean or null; got <class 'object'> "
            "(a type) (encode nested values as a JSON string)",
        ),
        (
            lambda: a_rdzv_event(pid=None),
            "field 'pid' must be an integer; got None",
        ),
        (
            lambda: a_rdzv_event(rank="0"),
            "field 'rank' must be an integer or null; got '0' (a string)",
        ),
        (
            lambda: a_rdzv_event(node_state="running"),
            "field 'node_state' must be one of 'INIT', 'RUNNING', 'SUCCEEDED', 'FAILED' "
            "(a NodeState); got 'running' (a string)",
        ),
    ],
)
def test_construction_rejects_what_json_cannot_carry(make, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidEventError) as raised:
        make()
    assert str(raised.value) == message
    assert isinstance(raised.value, ValueError)


# serialize(): byte-identical to torch's formula, never invalid JSON.


@pytest.mark.parametrize("line", SAMPLE_LINES)
def test_real_torchelastic_lines_round_trip_byte_for_byte(line: str) -> None:
    cls = RdzvEvent if '"node_state"' in line else Event
    event = cls.deserialize(line)
    assert event.serialize() == line == torch_formula(event)
    assert str(event) == line


@given(strategies.any_event)
def test_serialize_is_byte_identical_to_torch_formula(event: Event | RdzvEvent) -> None:
    assert event.serialize() == torch_formula(event)


@given(strategies.any_event)
def test_serialize_then_deserialize_is_identity(event: Event | RdzvEvent) -> None:
    line = event.serialize()
    assert type(event).deserialize(line) == event
    assert type(event).deserialize(line.encode()) == event
    assert type(event).deserialize(json.loads(line)) == event


@given(strategies.any_event)
def test_every_serialized_event_is_one_line_of_strict_json(event: Event | RdzvEvent) -> None:
    line = event.serialize()
    assert "\n" not in line
    json.loads(line, parse_constant=pytest.fail)  # NaN, Infinity: not JSON


def test_metadata_made_invalid_after_construction_fails_clearly_on_serialize() -> None:
    event = Event("e", EventSource.AGENT)
    event.metadata["loss"] = math.inf
    with pytest.raises(InvalidEventError, match=r"metadata\['loss'\] is inf, which JSON cannot"):
        event.serialize()
    event.metadata["loss"] = {1, 2}
    with pytest.raises(InvalidEventError, match=r"metadata\['loss'\] must be a string, number"):
        event.serialize()


def test_serialize_ignores_attributes_that_are_not_fields() -> None:
    event = Event("e", EventSource.AGENT)
    event.note = "not on the wire"  # type: ignore[attr-defined]
    assert event.serialize() == torch_formula(Event("e", EventSource.AGENT))


def test_non_ascii_is_escaped_as_torch_does() -> None:
    assert Event("é", EventSource.AGENT).serialize().startswith('{"name": "\\u00e9"')


# deserialize(): one exception type, a message that says what and where.


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            "{",
            "not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2",
        ),
        (
            '{"name": "e",\n "source": }',
            "not valid JSON: Expecting value at line 2, column 12",
        ),
        ("", "not valid JSON: Expecting value at line 1, column 1"),
        ("[1, 2]", "an Event is a JSON object; got [1, 2] (an array)"),
        ('"e"', "an Event is a JSON object; got 'e' (a string)"),
        ('{"source": "AGENT"}', "missing required field 'name' of an Event"),
        ("{}", "missing required field 'name', 'source' of an Event"),
        (
            '{"name": "e", "source": "AGENT", "host": "x"}',
            "unknown field 'host' in an Event; its fields are 'name', 'source', 'timestamp', "
            "'metadata'",
        ),
        (
            '{"name": "e", "source": "agent"}',
            "field 'source' must be one of 'AGENT', 'WORKER' (an EventSource); "
            "got 'agent' (a string)",
        ),
        (
            '{"name": "e", "source": "AGENT", "timestamp": "0"}',
            "field 'timestamp' must be an integer; got '0' (a string)",
        ),
        (
            '{"name": "e", "source": "AGENT", "timestamp": 1.5}',
            "field 'timestamp' must be an integer; got 1.5 (a number)",
        ),
        ('{"name": null, "source": "AGENT"}', "field 'name' must be a string; got None"),
        (
            '{"name": "e", "source": "AGENT", "metadata": {"a": {"b": 1}}}',
            "metadata['a'] must be a string, number, boolean or null; got {'b': 1} (an object) "
            "(encode nested values as a JSON string)",
        ),
        (
            '{"name": "e", "source": "AGENT", "metadata": {"a": NaN}}',
            "not valid JSON: NaN is not a JSON value (RFC 8259 numbers are finite); use a number, "
            "or a string such as 'NaN'",
        ),
        (
            b"\xff\xfe{",
            "not UTF-8 text: UTF-16 text (it starts with a UTF-16 byte order mark); event JSON "
            "is UTF-8: convert it first (iconv -f UTF-16 -t UTF-8)",
        ),
        (b"\xff{", "not UTF-8 text: byte 0xff at line 1, column 1 (invalid start byte)"),
        (
            b'{"name": "\xc3',
            "not UTF-8 text: byte 0xc3 at line 1, column 11 (unexpected end of data)",
        ),
        (
            42,
            "cannot read an Event from 42 (an integer); expected JSON text (str, or UTF-8 "
            "bytes), a dict or an Event",
        ),
        (
            None,
            "cannot read an Event from None; expected JSON text (str, or UTF-8 bytes), a "
            "dict or an Event",
        ),
        ({"name": "e"}, "missing required field 'source' of an Event"),
    ],
)
def test_deserialize_rejects_bad_input_with_a_located_message(data: object, message: str) -> None:
    with pytest.raises(InvalidEventError) as raised:
        Event.deserialize(data)  # type: ignore[arg-type]
    assert str(raised.value) == message


def test_deserialize_an_rdzv_event_from_an_event_line_names_the_fields() -> None:
    with pytest.raises(InvalidEventError, match="unknown field 'source', 'timestamp', 'metadata'"):
        RdzvEvent.deserialize(SAMPLE_LINES[0])


def test_deserialize_accepts_dicts_bytes_and_instances() -> None:
    event = a_rdzv_event(rank=3)
    assert RdzvEvent.deserialize(event) is event
    assert RdzvEvent.deserialize(bytearray(event.serialize(), "utf-8")) == event
    assert RdzvEvent.deserialize(dataclasses.asdict(event)) == event


def test_deserialize_fills_omitted_optional_fields_with_defaults() -> None:
    event = RdzvEvent.deserialize(
        '{"name": "n", "run_id": "r", "message": "m", "hostname": "h", "pid": 1, '
        '"node_state": "INIT"}'
    )
    assert event == RdzvEvent("n", "r", "m", "h", 1, NodeState.INIT)


@given(st.text() | st.binary())
def test_deserialize_raises_only_invalid_event_error_on_garbage(garbage: str | bytes) -> None:
    with contextlib.suppress(InvalidEventError):
        Event.deserialize(garbage)


# json_schema(): generated from the classes, agrees with deserialize().


@pytest.mark.parametrize("cls", [Event, RdzvEvent])
def test_schema_is_a_valid_draft_2020_12_schema(cls: type) -> None:
    schema = json_schema(cls)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert list(schema["properties"]) == [f.name for f in dataclasses.fields(cls)]
    assert all(prop["description"] for prop in schema["properties"].values())


def test_schema_says_what_is_required_and_what_defaults_are() -> None:
    schema = json_schema(RdzvEvent)
    assert schema["required"] == ["name", "run_id", "message", "hostname", "pid", "node_state"]
    assert schema["properties"]["rank"] == {
        "type": ["integer", "null"],
        "minimum": -1.7976931348623157e308,
        "maximum": 1.7976931348623157e308,
        "description": "The rank of the node in the rendezvous round, once it has one.",
        "default": None,
    }
    assert json_schema(Event)["properties"]["metadata"]["default"] == {}


@given(strategies.any_event)
def test_every_serialized_event_validates_against_its_schema(event: Event | RdzvEvent) -> None:
    jsonschema.validate(json.loads(event.serialize()), json_schema(type(event)))


@pytest.mark.parametrize(
    "document",
    [
        {"name": "e"},
        {"name": "e", "source": "SERVER"},
        {"name": "e", "source": "AGENT", "extra": 1},
        {"name": "e", "source": "AGENT", "timestamp": 1.5},
        {"name": "e", "source": "AGENT", "metadata": {"a": [1]}},
    ],
)
def test_schema_rejects_what_deserialize_rejects(document: dict[str, object]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, json_schema(Event))
    with pytest.raises(InvalidEventError):
        Event.deserialize(document)


def test_schema_of_something_else_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="json_schema\\(\\) takes an event class such as Event"):
        json_schema(dict)


def test_a_subclass_with_a_field_the_wire_cannot_carry_is_refused_by_name() -> None:
    @dataclasses.dataclass
    class Measured(Event):
        ratio: float = 0.5

    with pytest.raises(TypeError, match=r"^no wire format for a field annotated 'float'$"):
        Measured("n", EventSource.AGENT)


@pytest.mark.parametrize(
    "annotation", [str | None, int | str, dict[int, str], tuple[int, type(None)]]
)
def test_a_union_or_dict_the_wire_cannot_carry_is_refused(annotation: object) -> None:
    # Only int | None is a nullable integer (not another generic of int and None), and only
    # dict[str, ...] is metadata. Made with the annotation itself: this module's are strings.
    odd = dataclasses.make_dataclass(
        "Odd", [("extra", annotation, dataclasses.field(default=None))], bases=(Event,)
    )
    with pytest.raises(TypeError, match=r"^no wire format for a field annotated "):
        odd("n", EventSource.AGENT)
    assert odd.__dataclass_fields__["extra"].type is annotation  # Not its string.


def event_line_of_length(length: int) -> str:
    """A valid Event line of exactly *length* characters: its name fills it."""
    empty = Event("", EventSource.AGENT).serialize()
    return Event("x" * (length - len(empty)), EventSource.AGENT).serialize()


@pytest.mark.parametrize("read", [elastic_events.parse_json, Event.deserialize])
def test_a_document_of_max_length_is_read_and_one_character_more_is_not(read: Any) -> None:
    read(event_line_of_length(elastic_events.MAX_LENGTH))
    with pytest.raises(InvalidEventError) as raised:
        read(event_line_of_length(elastic_events.MAX_LENGTH + 1))
    assert str(raised.value) == (
        "not read: 16,777,217 characters of JSON, more than the 16,777,216 a document may have"
    )


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ("[" * 100 + "]" * 100, False),
        ("[" * 100 + "]" * 99 + ", []]", False),  # 101 brackets, 100 levels.
        ("[" * 101 + "]" * 101, True),
        ('{"a": ' * 101 + "1" + "}" * 101, True),
        ('["' + "[" * 200 + '"]', False),  # Brackets inside a string do not nest.
        ("[[], " + "[" * 100 + "]" * 100 + "]", True),  # A closed sibling does not count twice.
    ],
)
def test_json_nested_past_max_depth_is_not_read(text: str, deep: bool) -> None:
    if not deep:
        assert isinstance(elastic_events.parse_json(text), list)
        return
    with pytest.raises(InvalidEventError) as raised:
        elastic_events.parse_json(text)
    assert str(raised.value) == (
        "not read: the JSON nests arrays and objects more than 100 levels deep"
    )


@pytest.mark.parametrize("limit", [640, 5000])
def test_an_integer_past_pythons_digit_limit_is_refused_naming_that_limit(limit: int) -> None:
    with (
        setting(sys.get_int_max_str_digits, sys.set_int_max_str_digits, limit),
        pytest.raises(InvalidEventError) as raised,
    ):
        elastic_events.parse_json('{"n": 1' + "0" * limit + "}")
    assert str(raised.value).startswith(f"not read: an integer of more than {limit} digits (")


# The plain (fast) checks, against values whose type lies: each must be refused by name, or
# written as a line that reads back. Types are told apart by identity there, not by ==, in or
# a set, which an odd metaclass answers; bounds are compared float first.

_BIG = int(sys.float_info.max)


def _refused_by_name(build: Any, name: str) -> None:
    with pytest.raises(InvalidEventError) as raised:
        build()
    assert name in str(raised.value)


@pytest.mark.parametrize(
    "odd",
    [
        strategies.Pretender(),
        strategies.ClassLiar(),
        strategies.LyingInt(10**400),
        strategies.LyingInt(-_BIG - 1),
        strategies.LyingFloat(math.nan),
        strategies.LyingFloat(math.inf),
    ],
    ids=[
        "type says str",
        "__class__ says str",
        "lying huge int",
        "lying int past -MAX",
        "lying nan",
        "lying inf",
    ],
)
def test_a_value_whose_type_lies_is_refused_at_construction_and_when_put_in_later(
    odd: object,
) -> None:
    _refused_by_name(lambda: Event("e", EventSource.AGENT, metadata={"k": odd}), "metadata['k']")
    _refused_by_name(lambda: Event(odd, EventSource.AGENT), "'name'")  # type: ignore[arg-type]
    _refused_by_name(lambda: Event("e", EventSource.AGENT, odd), "'timestamp'")  # type: ignore[arg-type]
    event = Event("e", EventSource.AGENT, metadata={"k": 1})
    event.metadata["k"] = odd  # type: ignore[assignment]
    _refused_by_name(event.serialize, "metadata['k']")
    event = Event("e", EventSource.AGENT, metadata={"k": 1})
    event.timestamp = odd  # type: ignore[assignment]
    _refused_by_name(event.serialize, "'timestamp'")


def test_a_float_that_says_it_is_integral_is_read_by_its_value() -> None:
    _refused_by_name(
        lambda: Event("e", EventSource.AGENT, strategies.LyingFloat(1.5)),  # type: ignore[arg-type]
        "'timestamp'",
    )
    event = Event("e", EventSource.AGENT, strategies.LyingFloat(12.0))  # type: ignore[arg-type]
    assert type(event.timestamp) is int
    assert event.timestamp == 12  # Not its __int__'s 10**400.


def test_a_lying_int_within_the_bound_is_written_as_its_value() -> None:
    event = Event("e", EventSource.AGENT, strategies.LyingInt(7), {"k": strategies.LyingInt(-3)})
    assert event.serialize() == (
        '{"name": "e", "source": "AGENT", "timestamp": 7, "metadata": {"k": -3}}'
    )


def test_keys_that_json_would_write_alike_are_refused_by_name() -> None:
    metadata = {"a": 1, strategies.TwinKey("a"): 2}
    assert len(metadata) == 2  # Both kept: the line would say "a" twice.
    message = r"^metadata keys must be strings; got 'a' \(a TwinKey\), which does not equal"
    with pytest.raises(InvalidEventError, match=message):
        Event("e", EventSource.AGENT, metadata=metadata)  # type: ignore[arg-type]
    with pytest.raises(InvalidEventError, match=message):  # Alone, it would not read back equal.
        Event("e", EventSource.AGENT, metadata={strategies.TwinKey("a"): 1})  # type: ignore[dict-item]
    event = Event("e", EventSource.AGENT, metadata={"a": 1})
    event.metadata[strategies.TwinKey("a")] = 2  # type: ignore[index]
    with pytest.raises(InvalidEventError, match=message):
        event.serialize()
    # A key of a str subclass that equals and hashes as its characters is a key like another.
    alone = Event("e", EventSource.AGENT, metadata={strategies.Weird("b"): 1, "a": 2})
    assert alone.serialize().endswith('"metadata": {"b": 1, "a": 2}}')
    assert Event.deserialize(alone.serialize()) == alone


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        (_BIG, True),
        (-_BIG, True),
        (_BIG + 1, False),
        (-_BIG - 1, False),
        (2**1024, False),
        (2**53 + 1, True),
        (sys.float_info.max, True),
        (-sys.float_info.max, True),
        (math.inf, False),
        (-math.inf, False),
        (math.nan, False),
        (-0.0, True),
        (True, True),
        (False, True),
        (None, True),
        ("", True),
    ],
)
def test_the_plain_check_takes_exactly_what_the_full_one_does_at_the_bounds(
    value: object, accepted: bool
) -> None:
    # In metadata and, for ints, as the timestamp; built, and put in after construction.
    def builds() -> list[Event]:
        built = [Event("e", EventSource.AGENT, metadata={"n": value})]  # type: ignore[dict-item]
        if type(value) is int:
            built.append(Event("e", EventSource.AGENT, value, {"n": value}))
        return built

    later = Event("e", EventSource.AGENT, 1, {"n": 1})
    later.metadata["n"] = value  # type: ignore[assignment]
    if type(value) is int:
        later.timestamp = value
    if not accepted:
        with pytest.raises(InvalidEventError):
            builds()
        with pytest.raises(InvalidEventError):
            later.serialize()
        return
    for event in [*builds(), later]:
        line = event.serialize()
        assert line == torch_formula(event)
        read = Event.deserialize(line)
        assert read == event
        assert type(read.metadata["n"]) is type(value)
        if type(value) is float and value == 0:
            assert math.copysign(1, read.metadata["n"]) == math.copysign(1, value)  # type: ignore[arg-type]


@pytest.mark.parametrize("other", [1.0, True, 1])
def test_a_value_equal_to_the_checked_one_but_of_another_type_is_written_as_its_type(
    other: object,
) -> None:
    event = Event("e", EventSource.AGENT, metadata={"n": 1})
    event.metadata["n"] = other  # type: ignore[assignment]
    line = event.serialize()
    assert line == torch_formula(event)
    assert type(Event.deserialize(line).metadata["n"]) is type(other)


@settings(deadline=None)  # Huge integers: slow on a busy machine.
@given(
    value=strategies.lying_scalars,
    key=strategies.hostile_keys | strategies.text.map(strategies.TwinKey),
)
def test_an_event_with_a_lying_value_is_refused_or_read_back(value: object, key: object) -> None:
    def read_back_or_refused(make_line: Any) -> None:
        try:
            line = make_line()
        except InvalidEventError as error:
            message = str(error)
        else:
            assert Event.deserialize(line) == event
            return
        assert "metadata" in message

    try:
        event = Event("e", EventSource.AGENT, metadata={"a": 1, key: value})  # type: ignore[dict-item]
    except InvalidEventError as error:
        assert "metadata" in str(error)  # noqa: PT017  # the other outcome is tested too
    else:
        read_back_or_refused(event.serialize)
    event = Event("e", EventSource.AGENT, metadata={"a": 1})
    event.metadata[key] = value  # type: ignore[index]
    read_back_or_refused(event.serialize)


@pytest.mark.parametrize(
    "value",
    [None, 3, -(2**60), True, 2**1100, -_BIG - 1, 1.5, 12.0, "3", strategies.LyingInt(10**400)],
)
@pytest.mark.parametrize("name", ["pid", "rank", "local_id"])
def test_an_integer_field_changed_after_construction_is_written_readable_or_named(
    name: str, value: object
) -> None:
    # The plain-fields check is made per class from source: each integer field, nullable or
    # not, must refuse what the full check refuses, and write the rest canonically.
    event = a_rdzv_event(rank=1, local_id=0)
    setattr(event, name, value)
    try:
        line = event.serialize()
    except InvalidEventError as error:
        assert repr(name) in str(error)  # noqa: PT017  # the other outcome is tested too
        return
    read = RdzvEvent.deserialize(line)
    assert read == event
    assert line == torch_formula(read)
    assert type(getattr(read, name)) in (int, type(None))


# What the mutation run of _wire.py found untested (issue 10).


def test_metadata_of_subclasses_and_nulls_is_checked_in_full_and_written_as_its_values() -> None:
    # A str or float subclass sends the metadata through the full check, which takes null too.
    class Text(str):
        pass

    class Number(float):
        pass

    metadata = {"none": None, "text": Text("x"), "ratio": Number(0.5), "rank": 1}
    event = Event("n", EventSource.AGENT, metadata=metadata)
    assert json.loads(event.serialize())["metadata"] == {
        "none": None,
        "text": "x",
        "ratio": 0.5,
        "rank": 1,
    }


def test_a_metadata_value_is_refused_for_its_equality_not_its_hash() -> None:
    # JSON writes a value, never its hash: a str that hashes oddly but equals its characters
    # is written as them; one whose comparison raises is refused by name.
    class OddHash(str):
        def __hash__(self) -> int:
            return 7

    event = Event("n", EventSource.AGENT, metadata={"k": OddHash("x")})
    assert json.loads(event.serialize())["metadata"] == {"k": "x"}

    class Unequal(str):
        def __eq__(self, other: object) -> bool:
            raise RuntimeError("no")

        __hash__ = str.__hash__

    with pytest.raises(InvalidEventError, match=r"metadata\['k'\] is .*does not equal its own"):
        Event("n", EventSource.AGENT, metadata={"k": Unequal("x")})


@pytest.mark.parametrize(
    "value",
    [
        type("LyingStr", (str,), {"__eq__": lambda s, o: False, "__hash__": str.__hash__})("x"),
        type("LyingInt", (int,), {"__eq__": lambda s, o: False, "__hash__": int.__hash__})(1),
        type("LyingFloat", (float,), {"__eq__": lambda s, o: False, "__hash__": float.__hash__})(
            0.5
        ),
    ],
)
def test_a_metadata_value_unequal_to_its_own_value_is_refused_saying_so(value: object) -> None:
    with pytest.raises(InvalidEventError) as raised:
        Event("n", EventSource.AGENT, metadata={"k": value})
    assert "which does not equal its own value" in str(raised.value)
    assert raised.value.path == ("metadata", "k")


def test_a_metadata_key_that_equals_its_characters_but_hashes_otherwise_is_refused() -> None:
    class OddHash(str):
        def __hash__(self) -> int:
            return 7

    with pytest.raises(InvalidEventError, match="does not equal or hash as its own characters"):
        Event("n", EventSource.AGENT, metadata={OddHash("k"): 1})


def test_metadata_whose_items_are_not_pairs_is_refused_at_construction() -> None:
    # A dict subclass whose items() gives lists, which json's encoder refuses to write: the
    # constructor refuses what serialize() could not write.
    class Listed(dict):  # type: ignore[type-arg]
        def items(self):  # type: ignore[no-untyped-def,override]
            return [[key, value] for key, value in super().items()]

    pairs = r"^metadata must be an object whose items\(\) gives \(key, value\) pairs"
    with pytest.raises(InvalidEventError, match=pairs) as raised:
        Event("n", EventSource.AGENT, metadata=Listed(a=1))
    assert raised.value.path == ("metadata",)


def test_a_log_line_with_metadata_json_cannot_hold_or_an_integer_past_the_bound_is_bad() -> None:
    good = Event("n", EventSource.AGENT, metadata={"a": 1, "b": "x"}).serialize()
    huge = good.replace('"a": 1', '"a": 1' + "0" * 309)
    listed = good.replace('"a": 1', '"a": [1]')
    lines = [good, huge, listed]
    results = [(line.number, line.event is None) for line in elastic_events.EventLog(lines)]
    assert results == [(1, False), (2, True), (3, True)]
    errors = [line.error for line in elastic_events.EventLog(lines)]
    assert "metadata['a'] must lie within" in errors[1]  # Read as an Event: its error named.
    assert "metadata['a'] must be a string, number, boolean or null" in errors[2]


def test_metadata_whose_items_turn_nan_after_the_check_is_refused_not_written() -> None:
    # Whichever reading of items() gives NaN, the line written (if any) must be strict JSON.
    class Turning(dict):  # type: ignore[type-arg]
        reads = 0

        def items(self):  # type: ignore[no-untyped-def,override]
            Turning.reads += 1
            return [("a", math.nan if Turning.reads > 2 else 1.0)]

    event = Event("n", EventSource.AGENT, metadata=Turning(a=1.0))
    with pytest.raises(InvalidEventError):
        event.serialize()


def test_schema_descriptions_join_continued_lines_and_end_with_the_section() -> None:
    @dataclasses.dataclass
    class Described(Event):
        """A described event.

        Attributes:
            name: The name,
                continued here.

            metadata (dict): The ``metadata``.

        Example:
            name: not the description of name
                nor this.
        """

    properties = json_schema(Described)["properties"]
    assert properties["name"]["description"] == "The name, continued here."
    assert properties["metadata"]["description"] == "The metadata."
    assert "description" not in properties["source"]


def test_a_repeated_key_is_named_not_the_first_key() -> None:
    with pytest.raises(InvalidEventError) as raised:
        elastic_events.parse_json('{"a": 1, "b": 2, "b": 3}')
    assert raised.value.reason == "the key 'b' appears twice in one object"


@pytest.mark.parametrize(
    ("zeros", "shown"),
    [
        (35, "1e" + "0" * 35 + "999"),  # 40 characters: shown whole.
        (36, "1e" + "0" * 35 + "..."),  # 41: its first 37, and an ellipsis.
    ],
)
def test_a_number_too_large_for_a_float_is_shown_to_40_characters(zeros: int, shown: str) -> None:
    with pytest.raises(InvalidEventError) as raised:
        elastic_events.parse_json("[" + "1e" + "0" * zeros + "999]")
    assert str(raised.value).startswith(f"not valid JSON here: the number {shown} is too large")


def test_bytes_not_utf8_are_located_after_a_leading_newline() -> None:
    with pytest.raises(InvalidEventError) as raised:
        elastic_events.parse_json(b"\n\xffx")
    error = raised.value
    assert (error.value, error.line, error.column) == (b"\xff", 2, 1)
    with pytest.raises(InvalidEventError) as raised:
        elastic_events.parse_json(b"\xff\xfeA\x00B\x00")
    assert raised.value.value == b"\xff\xfeA\x00"  # The byte order mark and what follows.


@pytest.mark.parametrize("space", [" ", "\n", " \t\r\n"])
def test_json_after_leading_whitespace_is_read(space: str) -> None:
    assert elastic_events.parse_json(space + '{"a": 1}') == {"a": 1}


@pytest.mark.skipif(
    sys.version_info >= (3, 12), reason="from 3.12 the recursion limit does not bound C code"
)
def test_json_nested_within_max_depth_past_the_recursion_limit_is_refused_as_such() -> None:
    depth = len(__import__("inspect").stack(0))
    with (
        setting(sys.getrecursionlimit, sys.setrecursionlimit, depth + 40),
        pytest.raises(InvalidEventError) as raised,
    ):
        elastic_events.parse_json("[" * 90 + "]" * 90)
    assert raised.value.reason == "nested deeper than the recursion limit"


def test_the_first_event_of_a_class_with_metadata_checked_in_full_is_written() -> None:
    # No plain metadata of this class has been remembered yet.
    class Text(str):
        pass

    @dataclasses.dataclass
    class Fresh(Event):
        pass

    event = Fresh("n", EventSource.AGENT, metadata={"k": Text("x")})
    assert json.loads(event.serialize())["metadata"] == {"k": "x"}


def test_an_event_made_without_its_init_is_written() -> None:
    # As pickle makes one, in a process that has built no event of its class.
    @dataclasses.dataclass
    class Unpickled(Event):
        pass

    event = object.__new__(Unpickled)
    event.__dict__.update(name="n", source=EventSource.AGENT, timestamp=1, metadata={})
    assert event.serialize() == '{"name": "n", "source": "AGENT", "timestamp": 1, "metadata": {}}'
