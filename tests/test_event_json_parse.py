"""The pure helpers of sphinxext.event_json: parsing, checking and formatting, without Sphinx."""

from __future__ import annotations

import builtins
import dataclasses
import doctest
import enum
import html
import importlib
import json
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import JsonLexer

import elastic_events
from elastic_events import Event, EventSource, NodeState, RdzvEvent, json_schema, visible_text
from sphinxext.event_json import _content as content
from sphinxext.event_json import _deps as deps
from sphinxext.event_json import _render as render
from sphinxext.event_json._classes import Registry
from sphinxext.event_json._content import (
    ContentError,
    parse_constructor,
    parse_event,
    resolve_class,
    serialize_checked,
)
from sphinxext.event_json._render import (
    indented_json,
    json_type,
    link_top_level_keys,
    pretty_json,
    schema_rows,
)
from tests import strategies

RDZV_FIELDS = '"run_id": "r", "message": "m", "hostname": "h", "pid": 1'


def error_of(text: str, cls: Any = Event) -> ContentError:
    with pytest.raises(ContentError) as info:
        parse_event(text, cls)
    return info.value


@pytest.mark.parametrize("module", [content, render, deps], ids=lambda m: m.__name__)
def test_docstring_examples_run(module: Any) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


# --- the class argument ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argument", "cls"),
    [
        ("Event", Event),
        ("RdzvEvent", RdzvEvent),
        ("elastic_events.Event", Event),
        (" elastic_events.RdzvEvent ", RdzvEvent),
    ],
)
def test_class_argument_names_an_event_class(argument: str, cls: type) -> None:
    assert resolve_class(argument) is cls


@pytest.mark.parametrize("argument", ["WorkerEvent", "event", "EventSource", ""])
def test_unknown_class_names_the_known_ones(argument: str) -> None:
    with pytest.raises(ContentError) as info:
        resolve_class(argument)
    assert info.value.message == (
        f"unknown event class {argument.strip()!r}; expected one of Event, RdzvEvent "
        "(or elastic_events.Event, elastic_events.RdzvEvent), a short name given in "
        "event_json_classes, or the dotted path of an importable class"
    )
    assert info.value.subtype == "class"
    assert info.value.line is None


# --- JSON content ------------------------------------------------------------------------


def test_json_content_takes_the_class_defaults() -> None:
    event = parse_event('{"name": "n", "source": "WORKER"}', Event)
    assert event == Event("n", EventSource.WORKER, 0, {})


def test_json_content_reads_every_field() -> None:
    text = (
        '{"name": "n", "run_id": "r", "message": "café", "hostname": "h", "pid": 7,\n'
        ' "node_state": "FAILED", "master_endpoint": "e:1", "rank": 0, "local_id": -2,\n'
        ' "error_trace": "Traceback\\n"}'
    )
    event = parse_event(text, RdzvEvent)
    assert event == RdzvEvent(
        "n", "r", "café", "h", 7, NodeState.FAILED, "e:1", 0, -2, "Traceback\n"
    )


def test_invalid_json_gives_the_position_and_the_content_line() -> None:
    error = error_of('{"name": "x",\n "source": "WORKER",,\n "timestamp": 1}')
    assert error.message == (
        "invalid JSON at line 2, column 21 of the content: Expecting property name enclosed in "
        "double quotes; the content must be a single JSON object"
    )
    assert (error.subtype, error.line) == ("json", 1)


def test_leading_blank_lines_count_for_the_json_position() -> None:
    error = error_of('\n\n{"name": }')
    assert error.line == 2
    assert error.message.startswith("invalid JSON at line 3, column 10 of the content: ")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"name": "x", "source": "WORKER", "name": "y"}',
            "not valid JSON: the key 'name' appears twice in one object (readers disagree on "
            "which one counts); keep only one",
        ),
        (
            '{"name": "x", "source": "WORKER", "metadata": {"loss": NaN}}',
            "not valid JSON: NaN is not a JSON value (RFC 8259 numbers are finite); use a "
            "number, or a string such as 'NaN'",
        ),
        (
            '{"name": "x", "source": "WORKER", "metadata": {"loss": -Infinity}}',
            "not valid JSON: -Infinity is not a JSON value (RFC 8259 numbers are finite); use a "
            "number, or a string such as '-Infinity'",
        ),
        (
            '{"name": "x"} {}',
            "invalid JSON at line 1, column 15 of the content: Extra data; the "
            "content must be a single JSON object",
        ),
    ],
)
def test_json_that_python_would_accept_but_json_does_not_is_rejected(
    text: str, message: str
) -> None:
    error = error_of(text)
    assert error.message == message
    assert error.subtype == "json"


@pytest.mark.parametrize(("text", "kind"), [("[1]", "list"), ('"{"', "str"), ("null", "NoneType")])
def test_json_that_is_not_an_object_is_refused_by_parse_json_object(text: str, kind: str) -> None:
    # parse_event sends only text starting with "{"; the function keeps its word without it.
    with pytest.raises(ContentError) as info:
        content.parse_json_object(text)
    assert info.value.message == f"the content is a JSON {kind}; it must be a JSON object"
    assert info.value.subtype == "json"


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "x", "source": "WORKER", "timestamp": ' + "9" * 5000 + "}",
        '{"name": "x", "source": "WORKER", "metadata": {"a": '
        + "[" * 100_000
        + "]" * 100_000
        + "}}",
        'Event(name="x", source="WORKER", metadata=' + "{'a': " * 3000 + "1" + "}" * 3000 + ")",
        'Event(name="x", source="WORKER", timestamp=' + "9" * 5000 + ")",
        'Event(name="x\x00", source="WORKER")',
    ],
    ids=["json-long-number", "json-deep", "expression-deep", "expression-long-number", "null"],
)
def test_input_beyond_the_parsers_limits_is_a_mistake_not_a_crash(text: str) -> None:
    error = error_of(text)
    assert error.subtype in {"json", "expression"}
    assert error.message.startswith(("not read: ", "invalid expression", "the expression"))


@pytest.mark.parametrize(
    ("text", "cls", "library_message"),
    [
        ('{"name": "x"}', Event, "missing required field 'source' of an Event"),
        (
            '{"name": "x", "source": "WORKER", "colour": "red"}',
            Event,
            "unknown field 'colour' in an Event; its fields are 'name', 'source', 'timestamp', "
            "'metadata'",
        ),
        (
            '{"name": "x", "source": "MASTER"}',
            Event,
            "field 'source' must be one of 'AGENT', 'WORKER' (an EventSource); got 'MASTER' "
            "(a string)",
        ),
        (
            '{"name": "x", ' + RDZV_FIELDS.replace("1", '"1"') + ', "node_state": "INIT"}',
            RdzvEvent,
            "field 'pid' must be an integer; got '1' (a string)",
        ),
        (
            '{"name": "x", "source": "WORKER", "metadata": {"config": {"lr": 0.1}}}',
            Event,
            "metadata['config'] must be a string, number, boolean or null; got {'lr': 0.1} "
            "(an object) (encode nested values as a JSON string)",
        ),
    ],
    ids=["missing-field", "unknown-field", "unknown-enum", "wrong-type", "nested-metadata"],
)
def test_json_the_class_rejects_says_what_the_library_says(
    text: str, cls: Any, library_message: str
) -> None:
    error = error_of(text, cls)
    assert error.message == f"invalid {cls.__name__}: {library_message}"
    assert (error.subtype, error.line) == ("field", None)


@pytest.mark.parametrize(
    ("cls", "hint"),
    [
        (
            Event,
            '{"name": "...", "source": "WORKER"} or a constructor call such as '
            'Event(name="...", source=EventSource.WORKER)',
        ),
        (
            RdzvEvent,
            '{"name": "...", "run_id": "...", "message": "...", "hostname": "...", '
            '"pid": 0, "node_state": "RUNNING"} or a constructor call such as '
            'RdzvEvent(name="...", run_id="...", message="...", hostname="...", pid=1, '
            "node_state=NodeState.RUNNING)",
        ),
    ],
)
@pytest.mark.parametrize("text", ["", "  \n\n "])
def test_empty_content_shows_what_to_write(text: str, cls: Any, hint: str) -> None:
    error = error_of(text, cls)
    assert error.message == f"the directive has no content; write a JSON object such as {hint}"
    assert error.subtype == "content"


# --- constructor expressions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('Event("n", EventSource.AGENT)', Event("n", EventSource.AGENT)),
        ('Event(name="n", source="WORKER", timestamp=-5)', Event("n", EventSource.WORKER, -5)),
        (
            'elastic_events.Event("n", elastic_events.EventSource.WORKER, 3, '
            '{"a": 1, "b": -2.5, "c": True, "d": None, "e": "é"})',
            Event("n", EventSource.WORKER, 3, {"a": 1, "b": -2.5, "c": True, "d": None, "e": "é"}),
        ),
        (
            "RdzvEvent(\n    name='n',\n    run_id='r',\n    message='m',\n    hostname='h',\n"
            "    pid=+1,\n    node_state=NodeState.SUCCEEDED,\n    rank=None,\n)",
            RdzvEvent("n", "r", "m", "h", 1, NodeState.SUCCEEDED),
        ),
    ],
)
def test_constructor_expressions_build_the_event(text: str, expected: Any) -> None:
    assert parse_event(text, type(expected)) == expected


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            '__import__("os").system("true")',
            0,
            "at line 1, column 1 of the content: the content must be a call to Event(...) or a "
            "JSON object, not a call to __import__('os').system; for example "
            'Event(name="...", source=EventSource.WORKER)',
        ),
        (
            'Event(name=open("/etc/passwd").read(), source="WORKER")',
            0,
            "at line 1, column 12 of the content: a call to open('/etc/passwd').read is not "
            "allowed; allowed are string, number, boolean and None literals, dicts with string "
            "keys, and enum members such as EventSource.WORKER or NodeState.RUNNING",
        ),
        (
            'Event(name="x",\n      source="WORKER",\n      timestamp=1 + 2)',
            2,
            "at line 3, column 17 of the content: arithmetic is not allowed; allowed are string, "
            "number, boolean and None literals, dicts with string keys, and enum members such as "
            "EventSource.WORKER or NodeState.RUNNING",
        ),
        (
            'Event(name=f"x{1}", source="WORKER")',
            0,
            "at line 1, column 12 of the content: an f-string is not allowed; allowed are string, "
            "number, boolean and None literals, dicts with string keys, and enum members such as "
            "EventSource.WORKER or NodeState.RUNNING",
        ),
        (
            'Event(name="x", source=WORKER)',
            0,
            "at line 1, column 24 of the content: the name 'WORKER' is not allowed here; write "
            "EventSource.WORKER or the string 'WORKER'",
        ),
        (
            'Event(name="x", source=EventSource.MASTER)',
            0,
            "at line 1, column 24 of the content: EventSource has no member 'MASTER'; expected "
            "one of EventSource.AGENT, EventSource.WORKER",
        ),
        (
            'Event(name="x", source=EventSource.WORKER.value)',
            0,
            "at line 1, column 24 of the content: the attribute access EventSource.WORKER.value "
            "is not allowed; allowed are string, number, boolean and None literals, dicts with "
            "string keys, and enum members such as EventSource.WORKER or NodeState.RUNNING",
        ),
        (
            'Event(name="x", source="WORKER", metadata={**defaults})',
            0,
            "at line 1, column 46 of the content: **-unpacking is not allowed in a dict; write "
            "each key out",
        ),
        (
            'Event(name="x", source="WORKER", **extra)',
            0,
            "at line 1, column 34 of the content: **-unpacking is not allowed; write each field "
            "as name=value",
        ),
        (
            "Event(*args)",
            0,
            "at line 1, column 7 of the content: *-unpacking is not allowed; write each argument "
            "out",
        ),
        (
            'Event(name="x", source="WORKER", colour="red")',
            0,
            "at line 1, column 34 of the content: unknown field 'colour'; Event has the fields "
            "name, source, timestamp, metadata",
        ),
        (
            'Event("x", "WORKER", name="y")',
            0,
            "at line 1, column 22 of the content: the field 'name' is given twice; give it once",
        ),
        (
            'Event("x", "WORKER", 0, {}, "extra")',
            0,
            "at line 1, column 29 of the content: Event takes at most 4 positional arguments "
            "(name, source, timestamp, metadata), got 5",
        ),
        (
            'Event(name="x")',
            0,
            "at line 1, column 1 of the content: missing required field 'source'; Event requires "
            "name, source",
        ),
        (
            'RdzvEvent(name="x", run_id="r", message="m", hostname="h", pid=1, '
            'node_state="RUNNING")',
            0,
            "at line 1, column 1 of the content: the expression builds RdzvEvent but the directive "
            "names Event; make them agree",
        ),
        (
            'Event(name=b"x", source="WORKER")',
            0,
            "at line 1, column 12 of the content: a bytes constant is not allowed; allowed are "
            "string, number, boolean and None literals, dicts with string keys, and enum members "
            "such as EventSource.WORKER or NodeState.RUNNING",
        ),
        (
            'Event(name="x", source="WORKER", metadata={1: "x"})',
            0,
            "at line 1, column 44 of the content: dict keys must be string literals",
        ),
        (
            'Event(name="x", source="WORKER", metadata={"a": 1, "a": 2})',
            0,
            "at line 1, column 52 of the content: the key 'a' appears twice in one dict; keep one",
        ),
        (
            '[Event(name="x", source="WORKER")]',
            0,
            "at line 1, column 1 of the content: the content must be a call to Event(...) or a "
            'JSON object, not a list; for example Event(name="...", source=EventSource.WORKER)',
        ),
        (
            "lambda: 0",
            0,
            "at line 1, column 1 of the content: the content must be a call to Event(...) or a "
            'JSON object, not a lambda; for example Event(name="...", source=EventSource.WORKER)',
        ),
        (
            'os.system("true")',
            0,
            "at line 1, column 1 of the content: the content must be a call to Event(...) or a "
            "JSON object, not a call to os.system; for example "
            'Event(name="...", source=EventSource.WORKER)',
        ),
        (
            "\n42",
            1,
            "at line 1, column 1 of the content: the content must be a call to Event(...) or a "
            "JSON object, not the constant 42; for example "
            'Event(name="...", source=EventSource.WORKER)',
        ),
        (
            'Event(name=colour, source="WORKER")',
            0,
            "at line 1, column 12 of the content: the name 'colour' is not allowed here; allowed "
            "are string, number, boolean and None literals, dicts with string keys, and enum "
            "members such as EventSource.WORKER or NodeState.RUNNING",
        ),
    ],
    ids=[
        "import",
        "call",
        "arithmetic",
        "f-string",
        "bare-name",
        "unknown-member",
        "member-attribute",
        "dict-unpacking",
        "kwargs-unpacking",
        "args-unpacking",
        "unknown-field",
        "given-twice",
        "too-many-positional",
        "missing-field",
        "class-mismatch",
        "bytes",
        "non-string-key",
        "duplicate-key",
        "list",
        "lambda",
        "other-callee",
        "constant",
        "unknown-name",
    ],
)
def test_disallowed_expressions_are_rejected_where_they_are(
    text: str, line: int, message: str
) -> None:
    error = error_of(text)
    assert error.message == message
    assert (error.subtype, error.line) == ("expression", line)


def test_expression_syntax_errors_give_the_line() -> None:
    error = error_of('Event(name="x",\n      source="WORKER"')
    assert error.message == (
        "invalid expression at line 1, column 6 of the content: '(' was never closed; write a "
        'JSON object or a call such as Event(name="...", source=EventSource.WORKER)'
    )
    assert (error.subtype, error.line) == ("expression", 0)


def test_an_expression_python_cannot_encode_is_refused_saying_why() -> None:
    error = error_of('Event("\ud800", "AGENT")')
    assert error.message == (
        "invalid expression: 'utf-8' codec can't encode character '\\ud800' in position 7: "
        "surrogates not allowed; write a JSON object or a call such as "
        'Event(name="...", source=EventSource.WORKER)'
    )
    assert (error.subtype, error.line) == ("expression", None)


def test_a_null_character_is_refused_at_the_start_of_the_content() -> None:
    # Python says neither line nor column of a null character: the content's start is given.
    error = error_of('Event("x\0", "AGENT")')
    assert error.message == (
        "invalid expression at line 1, column 1 of the content: source code string cannot "
        'contain null bytes; write a JSON object or a call such as Event(name="...", '
        "source=EventSource.WORKER)"
    )
    assert (error.subtype, error.line) == ("expression", 0)


def test_an_expression_nested_past_what_can_be_checked_is_refused_saying_so() -> None:
    error = error_of('Event("x", "AGENT", timestamp=' + "-" * 20_000 + "1)")
    assert error.message == "the expression is nested too deeply to check; write Event(...) plainly"
    assert (error.subtype, error.line) == ("expression", None)


def test_values_the_class_rejects_in_an_expression_say_what_the_library_says() -> None:
    error = error_of('Event(name="x", source="WORKER", metadata={"a": {"b": 1}})')
    assert error.message == (
        "invalid Event: metadata['a'] must be a string, number, boolean or null; got {'b': 1} "
        "(an object) (encode nested values as a JSON string)"
    )
    assert error.subtype == "field"


def test_expressions_are_never_evaluated(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("eval or exec was called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    assert parse_constructor('Event("n", "AGENT")', Event) == Event("n", EventSource.AGENT)
    with pytest.raises(ContentError):
        parse_constructor('Event(name=exit(3), source="AGENT")', Event)


# --- round trips (property tests) --------------------------------------------------------


def as_expression(event: Event | RdzvEvent) -> str:
    arguments = []
    for name, value in vars(event).items():
        if isinstance(value, EventSource | NodeState):
            arguments.append(f"{name}={type(value).__name__}.{value.name}")
        else:
            arguments.append(f"{name}={value!r}")
    return f"{type(event).__name__}(\n    " + ",\n    ".join(arguments) + "\n)"


@given(strategies.any_event)
def test_pretty_json_of_any_event_reads_back_to_the_same_event(event: Event | RdzvEvent) -> None:
    line = serialize_checked(event)
    assert line == event.serialize()
    text = pretty_json(line)
    assert parse_event(text, type(event)) == event
    assert json.dumps(json.loads(text)) == line  # same keys, same order, same values


@given(strategies.any_event)
def test_any_event_written_as_a_constructor_call_builds_the_same_event(
    event: Event | RdzvEvent,
) -> None:
    assert parse_event(as_expression(event), type(event)) == event


@dataclasses.dataclass
class _Drifting:
    """An event whose JSON does not read back to it."""

    value: int

    def serialize(self) -> str:
        return json.dumps({"value": self.value})

    @classmethod
    def deserialize(cls, data: str) -> _Drifting:
        return cls(json.loads(data)["value"] + 1)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Drifting) and other.value == self.value

    def __repr__(self) -> str:
        return f"_Drifting({self.value})"


def test_an_event_that_does_not_round_trip_is_reported() -> None:
    with pytest.raises(ContentError) as info:
        serialize_checked(_Drifting(1))  # type: ignore[arg-type]
    assert info.value.message == (
        "the _Drifting does not round-trip: deserialize(serialize()) gives _Drifting(2), not "
        "_Drifting(1); use values that JSON keeps as they are"
    )
    assert info.value.subtype == "roundtrip"


def test_an_event_that_cannot_be_serialized_is_reported() -> None:
    event = Event("n", EventSource.AGENT)
    event.metadata["bad"] = float("nan")
    with pytest.raises(ContentError) as info:
        serialize_checked(event)
    assert info.value.message.startswith("the Event cannot be written to the log: ")
    assert info.value.subtype == "roundtrip"


# --- a project's own class -------------------------------------------------------------


class Shift(enum.Enum):
    DAY = "day"
    NIGHT = "night"


@dataclasses.dataclass
class Rota:
    """A project's own event class: a dataclass with an enum, a list and a check of its own."""

    name: str
    shift: Shift
    crew: list[str] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a rota needs a name")


ROTA = Registry({}).resolve("tests.test_event_json_parse.Rota")
EXPRESSION = "allowed are string, number, boolean and None literals, dicts with string keys, lists"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('Rota("r", Shift.NIGHT, ["a", "b"])', Rota("r", Shift.NIGHT, ["a", "b"])),
        ('tests.test_event_json_parse.Rota("r", tests.test_event_json_parse.Shift.DAY)',
         Rota("r", Shift.DAY)),
        ('{"name": "r", "shift": "day", "crew": ["x"]}', Rota("r", Shift.DAY, ["x"])),
    ],
)  # fmt: skip
def test_a_projects_class_is_built_from_json_or_a_call_with_lists_and_its_enums(
    text: str, expected: Rota
) -> None:
    assert parse_event(text, ROTA) == expected


@pytest.mark.parametrize(
    ("text", "message", "subtype"),
    [
        (
            "",
            'the directive has no content; write a JSON object such as {"name": 0, "shift": 0} '
            "or a constructor call such as Rota(name=..., shift=...)",
            "content",
        ),
        (
            'Rota("r", Shift.DAY, [*crew])',
            "at line 1, column 23 of the content: *-unpacking is not allowed in a list; write "
            "each item out",
            "expression",
        ),
        (
            'Rota("r", Colour.RED)',
            "at line 1, column 11 of the content: the attribute access Colour.RED is not "
            "allowed; only members of the enums of Rota may be named (known: Shift, "
            "EventSource, NodeState)",
            "expression",
        ),
        (
            'Rota("r", NIGHT)',
            "at line 1, column 11 of the content: the name 'NIGHT' is not allowed here; write "
            "Shift.NIGHT or its value 'night'",
            "expression",
        ),
        (
            'Rota("r", dusk)',
            "at line 1, column 11 of the content: the name 'dusk' is not allowed here; a bare "
            f"name is not a value; {EXPRESSION}, and enum members such as Shift.DAY or "
            "EventSource.AGENT",
            "expression",
        ),
        (
            'Rota("r", Shift.DUSK)',
            "at line 1, column 11 of the content: Shift has no member 'DUSK'; expected one of "
            "Shift.DAY, Shift.NIGHT",
            "expression",
        ),
        ('Rota("", Shift.DAY)', "Rota rejected the values: ValueError: a rota needs a name",
         "field"),
        (
            'Rota("r", "evening")',
            "invalid Rota: field 'shift' must be one of \"day\", \"night\" (a Shift); got "
            "'evening' (a string)",
            "field",
        ),
        (
            '{"name": "r", "shift": "evening"}',
            "invalid Rota: field 'shift' must be one of \"day\", \"night\" (a Shift); got "
            "'evening' (a string)",
            "field",
        ),
    ],
    ids=["empty", "list-unpacking", "other-enum", "bare-member", "bare-name", "unknown-member",
         "own-check", "call-value", "json-value"],
)  # fmt: skip
def test_a_projects_class_says_what_is_wrong_in_its_own_terms(
    text: str, message: str, subtype: str
) -> None:
    error = error_of(text, ROTA)
    assert (error.message, error.subtype) == (message, subtype)


def test_an_event_of_a_projects_class_is_written_as_its_fields_in_order() -> None:
    line = serialize_checked(Rota("r", Shift.DAY, ["a"]))
    assert line == '{"name": "r", "shift": "day", "crew": ["a"]}'


def test_a_class_named_where_its_package_exports_it_takes_that_prefix_for_itself_and_its_enums(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A project's public module re-exports the class and its enum from where they are defined.
    public = types.ModuleType("rotas")
    public.Rota, public.Shift, public.Roster = Rota, Shift, Rota
    monkeypatch.setitem(sys.modules, "rotas", public)
    codec = Registry({}).resolve("rotas.Rota")
    text = 'rotas.Rota("r", rotas.Shift.NIGHT, [])'
    assert parse_event(text, codec) == Rota("r", Shift.NIGHT)
    defined = "tests.test_event_json_parse"
    assert parse_event(f'{defined}.Rota("r", {defined}.Shift.DAY)', codec) == Rota("r", Shift.DAY)
    error = error_of('rotas.Rota("r", elsewhere.Shift.DAY)', codec)
    assert error.message.startswith("at line 1, column 17 of the content: the attribute access ")
    # Named by an alias, the class is still called Rota, as every message calls it.
    roster = Registry({}).resolve("rotas.Roster")
    assert parse_event('rotas.Rota("r", rotas.Shift.DAY)', roster) == Rota("r", Shift.DAY)


def test_an_event_changed_so_that_its_class_refuses_its_json_is_reported() -> None:
    rota = Rota("r", Shift.DAY)
    rota.name = ""
    with pytest.raises(ContentError) as info:
        serialize_checked(rota, ROTA)
    assert info.value.message == (
        "the Rota does not read back from its JSON: Rota rejected the values: ValueError: a rota "
        "needs a name"
    )
    assert info.value.subtype == "roundtrip"


@dataclasses.dataclass
class _Unwritable:
    """An event whose own serialize() fails."""

    name: str

    def serialize(self) -> str:
        raise RuntimeError("no disk")

    @classmethod
    def deserialize(cls, line: str) -> _Unwritable:
        return cls(line)


def test_an_event_whose_own_serialize_fails_is_reported() -> None:
    with pytest.raises(ContentError) as info:
        serialize_checked(_Unwritable("x"))
    assert info.value.message == (
        "the _Unwritable cannot be written and read back: RuntimeError: no disk"
    )
    assert info.value.subtype == "roundtrip"


# --- rendering ---------------------------------------------------------------------------


def test_pretty_json_keeps_wire_order_and_non_ascii() -> None:
    event = RdzvEvent("é", "r", "日本", "h", 1, NodeState.INIT, rank=2)
    assert pretty_json(event.serialize()) == (
        "{\n"
        '  "name": "é",\n'
        '  "run_id": "r",\n'
        '  "message": "日本",\n'
        '  "hostname": "h",\n'
        '  "pid": 1,\n'
        '  "node_state": "INIT",\n'
        '  "master_endpoint": "",\n'
        '  "rank": 2,\n'
        '  "local_id": null,\n'
        '  "error_trace": ""\n'
        "}"
    )
    assert pretty_json('{"a": {"b": 1}}', indent=4) == '{\n    "a": {\n        "b": 1\n    }\n}'


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@given(json_values, st.integers(min_value=1, max_value=8))
def test_indented_json_is_what_json_dumps_writes(value: Any, indent: int) -> None:
    text = indented_json(value, indent)
    assert json.loads(text) == value
    assert visible_text(text, lines=True) == text  # What hides or disguises text stays escaped.
    dumped = json.dumps(value, indent=indent, ensure_ascii=False)
    if visible_text(dumped, lines=True) == dumped:
        assert text == dumped


def highlighted(text: str) -> str:
    return str(highlight(text, JsonLexer(), HtmlFormatter()))


@pytest.mark.parametrize("compact", [False, True])
def test_only_top_level_keys_are_linked(compact: bool) -> None:
    event = Event("n", EventSource.WORKER, metadata={"name": "nested", "source": 1})
    text = event.serialize() if compact else pretty_json(event.serialize())
    block = highlighted(text)
    linked = link_top_level_keys(block, {"name": "api.html#N", "source": "#S", "timestamp": "#T"})
    anchors = re.findall(
        r'<a class="reference internal event-json-key" href="([^"]*)">(.*?)</a>', linked
    )
    assert [(href, re.sub("<[^>]+>", "", key)) for href, key in anchors] == [
        ("api.html#N", '"name"'),
        ("#S", '"source"'),
        ("#T", '"timestamp"'),
    ]
    # What a reader (or a copy button) gets from the block is the JSON, unchanged.
    assert html.unescape(re.sub("<[^>]+>", "", linked)) == html.unescape(
        re.sub("<[^>]+>", "", block)
    )


@given(st.dictionaries(st.text(), json_values, max_size=6), st.integers(min_value=1, max_value=8))
def test_keys_found_by_their_indentation_are_the_top_level_keys(
    value: dict[str, Any], indent: int
) -> None:
    """The fast path for pretty-printed JSON links what counting the levels links."""
    block = highlighted(indented_json(value, indent))
    nested = [k for v in value.values() if isinstance(v, dict) for k in v]
    hrefs = {key: f"#{number}" for number, key in enumerate([*value, *nested])}
    linked = link_top_level_keys(block, hrefs, indent)
    assert linked == link_top_level_keys(block, hrefs)
    assert linked.count("event-json-key") == len(value)


def test_keys_of_json_indented_otherwise_are_found_by_their_level() -> None:
    block = highlighted(json.dumps({"a": {"b": 1}}, indent=4))  # not the indentation said
    assert link_top_level_keys(block, {"a": "#A", "b": "#B"}, 2).count("event-json-key") == 1


@given(st.text())
def test_any_top_level_key_is_linked_by_its_text(key: str) -> None:
    block = highlighted(json.dumps({key: 1, "other": {key: 2}}, ensure_ascii=False))
    linked = link_top_level_keys(block, {key: "#K"})
    assert linked.count('href="#K"') == 1


_SPAN_PARTS = st.lists(
    st.sampled_from(["&quot;", "\\", "a", "&amp;", "u00e9", "{", '"', "\n"])
).map("".join)


@given(
    _SPAN_PARTS
    | _SPAN_PARTS.map(lambda inner: f"&quot;{inner}&quot;")
    | _SPAN_PARTS.map(lambda inner: f'"{inner}"')
)
def test_a_key_span_reads_as_the_json_string_it_shows(span_text: str) -> None:
    try:
        expected = json.loads(html.unescape(span_text))
    except ValueError:
        expected = None
    assert render._key_text(span_text) == (expected if isinstance(expected, str) else None)


def test_links_are_escaped_and_unknown_keys_left_alone() -> None:
    block = highlighted('{"a": 1, "b": [{"a": 2}]}')
    linked = link_top_level_keys(block, {"a": 'x.html#"><script>', "c": "#c"})
    assert linked.count("<a ") == 1
    assert 'href="x.html#&quot;&gt;&lt;script&gt;"' in linked
    assert link_top_level_keys(block, {}) == block


def test_schema_rows_follow_the_json_schema_of_the_class() -> None:
    rows = schema_rows(json_schema(RdzvEvent))
    assert [row.name for row in rows] == [
        "name", "run_id", "message", "hostname", "pid", "node_state",
        "master_endpoint", "rank", "local_id", "error_trace",
    ]  # fmt: skip
    by_name = {row.name: row for row in rows}
    assert by_name["node_state"].json_type == '"INIT" | "RUNNING" | "SUCCEEDED" | "FAILED"'
    assert by_name["node_state"].required
    assert by_name["rank"].json_type == "integer | null"
    assert (by_name["rank"].required, by_name["rank"].default) == (False, "null")
    assert by_name["master_endpoint"].default == '""'
    descriptions = json_schema(RdzvEvent)["properties"]
    assert all(row.description == descriptions[row.name].get("description", "") for row in rows)


def test_json_types_read_well() -> None:
    assert json_type({"type": "string"}) == "string"
    assert json_type({"type": "object", "additionalProperties": {"type": ["string", "null"]}}) == (
        "object of string | null"
    )
    assert json_type({"type": "array", "items": {"type": "integer"}}) == "array of integer"
    assert json_type({"anyOf": [{"type": "string"}, {"const": 1}]}) == "string | 1"
    assert json_type({}) == "any"


# --- dependencies ------------------------------------------------------------------------


def probe_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, files: dict[str, str]
) -> types.ModuleType:
    """Write a package *name* of *files* (paths inside it: text) and import it afresh."""
    for path, text in files.items():
        (tmp_path / name / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name / path).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    for module in [n for n in sys.modules if n == name or n.startswith(f"{name}.")]:
        monkeypatch.delitem(sys.modules, module)
    return importlib.import_module(name)


def test_dependencies_follow_the_imports_inside_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = probe_package(tmp_path, monkeypatch, "pkg_deps_probe", {
        "__init__.py": "from pkg_deps_probe import model, unrelated\n",
        "model.py": "import json\nfrom . import wire\n\n"
                    "class Thing:\n    def method(self):\n        pass\n",
        "wire.py": "from pkg_deps_probe.errors import Error\n",
        "errors.py": "class Error(Exception):\n    pass\n",
        "unrelated.py": "import pkg_deps_probe.errors\n",
    })  # fmt: skip
    thing = package.model.Thing
    thing.__module__ = "pkg_deps_probe"  # re-exported, as the library does
    files = deps.dependency_files(thing)
    assert sorted(p.name for p in files) == ["__init__.py", "errors.py", "model.py", "wire.py"]
    assert all(p.is_absolute() for p in files)


def test_dependencies_follow_every_form_of_import_statement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = (
        "from .sub import (\n    a,  # a comment\n    b,\n)\n"
        "from pkg_deps_forms.sub.c import \\\n    thing\n"
        "import json, pkg_deps_forms.d as d\n"
        "try:\n    from . import e\nexcept ImportError:\n    pass\n"
        "def later():\n    from .sub import f; return f\n"
        "class Thing:\n    def method(self):\n        pass\n"
        'TEXT = """\n>>> from . import not_an_import\nfrom the start, import nothing\n"""\n'
    )
    files = {"__init__.py": "", "sub/__init__.py": "", "model.py": model}
    files.update({f"sub/{name}.py": "thing = 1\n" for name in ("a", "b", "c", "f")})
    files.update({f"{name}.py": "" for name in ("d", "e", "never")})
    probe_package(tmp_path, monkeypatch, "pkg_deps_forms", files)
    from pkg_deps_forms import model as module  # type: ignore[import-not-found]

    found = deps.dependency_files(module.Thing)
    names = sorted(str(p.relative_to(tmp_path / "pkg_deps_forms")) for p in found)
    assert names == [
        "__init__.py", "d.py", "e.py", "model.py", "sub/__init__.py", "sub/a.py", "sub/b.py",
        "sub/c.py", "sub/f.py",
    ]  # fmt: skip


def test_a_function_assigned_to_a_class_does_not_move_its_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = probe_package(tmp_path, monkeypatch, "pkg_deps_assigned", {
        "__init__.py": "from pkg_deps_assigned.model import Thing\n",
        "checks.py": "def check(self):\n    pass\n",
        "model.py": "from pkg_deps_assigned import checks\n\nclass Thing:\n"
                    "    first = checks.check\n    def method(self):\n        pass\n",
    })  # fmt: skip
    package.Thing.__module__ = "pkg_deps_assigned"
    assert deps.defining_module(package.Thing) == "pkg_deps_assigned.model"


def test_event_classes_depend_on_their_defining_module_and_the_package_face() -> None:
    assert deps.defining_module(Event) == deps.defining_module(RdzvEvent) == "elastic_events._model"
    files = deps.dependency_files(Event)
    defining = Path(sys.modules[deps.defining_module(Event)].__file__ or "").resolve()
    package = Path(elastic_events.__file__ or "").resolve()
    assert defining in files
    assert package in files
    assert all(p.parent == package.parent for p in files)
