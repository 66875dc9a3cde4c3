"""The wire format: the one place that knows how an event looks as JSON.

An event is a JSON object whose keys are the dataclass fields in declaration order, written with
:func:`json.dumps`' default separators and enums as their names: byte for byte what PyTorch's
``json.dumps(dataclasses.asdict(event))`` writes for a valid event. Each field's kind (string,
integer, enum, metadata) is read off the dataclass annotations, so checking at construction,
decoding, encoding and the JSON Schema all follow the same declaration.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import re
import sys
import types
from enum import Enum
from operator import attrgetter

from elastic_events._errors import InvalidEventError

# typing costs milliseconds to import and is needed by type checkers only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, Protocol, TypeVar

    _Event = TypeVar("_Event")

    class _Kind(Protocol):
        def check(self, value: Any, name: str) -> Any:
            """Return ``value``, or its canonical form, or raise InvalidEventError."""

        def schema(self) -> dict[str, Any]:
            """Return the JSON Schema of the values this kind accepts."""


SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# allow_nan=False: NaN and the infinities raise instead of leaving RFC 8259. A shared encoder
# keeps json's C fast path; json.dumps(..., allow_nan=False) would build an encoder per call.
_ENCODER = json.JSONEncoder(allow_nan=False)


def _describe(value: Any) -> str:
    """Name a value and its type as a reader of the JSON would: ``1.5 (a number)``."""
    json_types = {str: "a string", bool: "a boolean", int: "an integer", float: "a number",
                  list: "an array", dict: "an object", type(None): "null"}  # fmt: skip
    kind = json_types.get(type(value), f"a {type(value).__qualname__}")
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return shown if value is None else f"{shown} ({kind})"


class _String:
    def check(self, value: Any, name: str) -> Any:
        if isinstance(value, str):
            return value
        raise InvalidEventError(
            f"field {name!r} must be a string; got {_describe(value)}", path=(name,), value=value
        )

    def schema(self) -> dict[str, Any]:
        return {"type": "string"}


class _Integer:
    def __init__(self, nullable: bool) -> None:
        self.nullable = nullable

    def check(self, value: Any, name: str) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if value is None and self.nullable:
            return value
        allowed = "an integer or null" if self.nullable else "an integer"
        raise InvalidEventError(
            f"field {name!r} must be {allowed}; got {_describe(value)}", path=(name,), value=value
        )

    def schema(self) -> dict[str, Any]:
        return {"type": ["integer", "null"] if self.nullable else "integer"}


class _Choice:
    """A str enum, written as its member's name and read back from it."""

    def __init__(self, enum: type[Enum]) -> None:
        self.enum = enum
        self.members = dict(enum.__members__)  # EnumType.__members__ builds a proxy per read
        self.names = tuple(self.members)

    def check(self, value: Any, name: str) -> Any:
        if isinstance(value, self.enum):
            return value
        if isinstance(value, str) and value in self.members:
            return self.members[value]
        raise InvalidEventError(
            f"field {name!r} must be one of {_listed(self.names)} ({_a(self.enum.__name__)}); "
            f"got {_describe(value)}",
            path=(name,),
            value=value,
        )

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.names)}


_EXACT_SCALARS = frozenset({str, int, bool, type(None)})
_EXACT_NUMBERS = _EXACT_SCALARS | {float}


def _plainly_valid_metadata(value: Any) -> bool:
    """The common case, in a few C-level passes: string keys, values of exact scalar types."""
    if type(value) is not dict or not set(map(type, value)) <= {str}:
        return False
    types = set(map(type, value.values()))
    if types <= _EXACT_SCALARS:
        return True
    values = value.values()
    return types <= _EXACT_NUMBERS and all(math.isfinite(v) for v in values if type(v) is float)


class _Metadata:
    """A flat JSON object: string keys, scalar values, finite numbers."""

    def check(self, value: Any, name: str) -> Any:
        if _plainly_valid_metadata(value):
            return value
        # Not plainly valid: find what is wrong, or accept subclasses of the scalar types.
        if not isinstance(value, dict):
            raise InvalidEventError(
                f"field {name!r} must be an object; got {_describe(value)}",
                path=(name,),
                value=value,
            )
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidEventError(
                    f"{name} keys must be strings; got {_describe(key)}", path=(name,), value=key
                )
            if isinstance(item, (str, int)) or item is None:
                continue
            if isinstance(item, float):
                if math.isfinite(item):
                    continue
                raise InvalidEventError(
                    f"{name}[{key!r}] is {item!r}, which JSON cannot carry; "
                    "numbers must be finite (write it as a string or null instead)",
                    path=(name, key),
                    value=item,
                )
            raise InvalidEventError(
                f"{name}[{key!r}] must be a string, number, boolean or null; got "
                f"{_describe(item)} (encode nested values as a JSON string)",
                path=(name, key),
                value=item,
            )
        return value

    def schema(self) -> dict[str, Any]:
        scalar = {"type": ["string", "number", "boolean", "null"]}
        return {"type": "object", "additionalProperties": scalar}


class _Field:
    __slots__ = ("default", "description", "kind", "name", "required")

    def __init__(self, field: dataclasses.Field[Any], description: str) -> None:
        self.name = field.name
        self.kind = _kind_of(field.type)
        self.required = field.default is field.default_factory is dataclasses.MISSING
        if field.default_factory is dataclasses.MISSING:
            self.default = field.default
        else:
            self.default = field.default_factory()
        self.description = description


class _Spec:
    """What the wire format needs to know about an event class, read off it once."""

    __slots__ = ("fields", "name_set", "names", "required", "summary", "values")

    def __init__(self, cls: type) -> None:
        self.summary, docs = _attribute_docs(cls)
        self.fields = tuple(_Field(f, docs.get(f.name, "")) for f in dataclasses.fields(cls))
        self.names = tuple(f.name for f in self.fields)
        self.required = frozenset(f.name for f in self.fields if f.required)
        self.values = attrgetter(*self.names)
        self.name_set = frozenset(self.names)


def _kind_of(annotation: Any) -> _Kind:
    """Map a field annotation of an event dataclass to its wire kind.

    The event classes are defined without ``from __future__ import annotations``, so that their
    annotations are the types themselves and reading them needs no :mod:`typing`.
    """
    if annotation is str:
        return _String()
    if annotation is int:
        return _Integer(nullable=False)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return _Choice(annotation)
    args: tuple[Any, ...] = getattr(annotation, "__args__", ())
    if isinstance(annotation, types.UnionType) and set(args) == {int, type(None)}:
        return _Integer(nullable=True)
    if getattr(annotation, "__origin__", None) is dict and args[0] is str:
        return _Metadata()
    raise TypeError(f"no wire format for a field annotated {annotation!r}")


def _attribute_docs(cls: type) -> tuple[str, dict[str, str]]:
    """Read the summary line and the ``Attributes:`` section of a class's docstring.

    Each entry is ``name (type): description``, as Napoleon reads it; the type is left out.
    """
    lines = inspect.cleandoc(cls.__doc__ or "").splitlines()
    summary = lines[0] if lines else ""
    docs: dict[str, str] = {}
    inside, current = False, ""
    for line in lines:
        if line.strip() == "Attributes:":
            inside = True
        elif inside and (entry := re.fullmatch(r" {4}(\w+)(?: \(.+?\))?: (.*)", line)):
            current = entry.group(1)
            docs[current] = entry.group(2)
        elif inside and current and line.startswith(" " * 8):
            docs[current] += " " + line.strip()
        elif inside and line.strip():
            break
    # The schema is read by log pipelines, not Sphinx: drop reST's literal markup.
    return summary, {name: text.replace("``", "") for name, text in docs.items()}


_specs: dict[type, _Spec] = {}


def _spec_of(cls: type) -> _Spec:
    try:
        return _specs[cls]
    except KeyError:
        # Building twice in a race is harmless: both results are equal.
        spec = _specs[cls] = _Spec(cls)
        return spec


def check(event: Any) -> None:
    """Check every field of ``event``, putting enum names given as strings in canonical form."""
    for f in _spec_of(type(event)).fields:
        value = getattr(event, f.name)
        canonical = f.kind.check(value, f.name)
        if canonical is not value:
            setattr(event, f.name, canonical)


def encode(event: Any) -> str:
    """Return the one-line JSON of an event, byte-identical to PyTorch's for a valid event."""
    spec = _spec_of(type(event))
    # The dataclass __init__ stores the fields in declaration order: the instance dict is the
    # JSON object already, unless something else was stored on the instance.
    fields = event.__dict__
    if len(fields) != len(spec.names):
        fields = dict(zip(spec.names, spec.values(event), strict=True))
    try:
        return _ENCODER.encode(fields)
    except (TypeError, ValueError) as error:
        problem = error
    check(event)  # A field changed after construction: say which one.
    raise InvalidEventError(f"{type(event).__name__} cannot be written as JSON: {problem}")


def decode(cls: type[_Event], data: Any) -> _Event:
    """Build a ``cls`` event from its JSON text, UTF-8 bytes or decoded dict."""
    if isinstance(data, cls):
        return data
    name = cls.__name__
    if isinstance(data, (str, bytes, bytearray)):
        data = _decode_text(data)
    elif not isinstance(data, dict):
        raise InvalidEventError(
            f"cannot read {_a(name)} from {_describe(data)}; "
            f"expected JSON text (str, or UTF-8 bytes), a dict or {_a(name)}",
            value=data,
        )
    if not isinstance(data, dict):
        raise InvalidEventError(f"{_a(name)} is a JSON object; got {_describe(data)}", value=data)
    spec = _spec_of(cls)
    if unknown := [key for key in data if key not in spec.names]:
        raise InvalidEventError(
            f"unknown field {_listed(unknown)} in {_a(name)}; its fields are {_listed(spec.names)}",
            path=(unknown[0],),
            value=data[unknown[0]],
        )
    if missing := [key for key in spec.names if key in spec.required and key not in data]:
        raise InvalidEventError(
            f"missing required field {_listed(missing)} of {_a(name)}", path=(missing[0],)
        )
    return cls(**data)


# The one JSON decoder: every reader of events parses text through parse_json().

# The limits of parse_json(), documented at the public face (elastic_events.MAX_DEPTH...).
MAX_DEPTH = 100
MAX_LENGTH = 1 << 24

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[][{}]")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        twice = _first_repeated(key for key, _ in pairs)
        raise InvalidEventError(
            f"not valid JSON: the key {twice!r} appears twice in one object (readers disagree "
            "on which one counts); keep only one",
            reason=f"the key {twice!r} appears twice in one object",
            value=twice,
        )
    return data


def _first_repeated(keys: Iterable[str]) -> str:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            return key
        seen.add(key)
    raise AssertionError("no key repeats")  # pragma: no cover - called only when one does


def _reject_constant(constant: str) -> Any:
    # Python's json reads NaN and Infinity, which RFC 8259 does not allow.
    raise InvalidEventError(
        f"not valid JSON: {constant} is not a JSON value (RFC 8259 numbers are finite); "
        f"use a number, or a string such as {constant!r}",
        reason=f"{constant} is not a JSON value",
        value=constant,
    )


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise InvalidEventError(
            f"not valid JSON here: the number {shown} is too large for a float, which reads it "
            "as infinity (RFC 8259 numbers are finite); write it as a string",
            reason="a number too large for a float",
            value=text,
        )
    return number


_decode_json = json.JSONDecoder(
    object_pairs_hook=_unique_keys, parse_constant=_reject_constant, parse_float=_finite_float
).decode


def parse_json(text: str | bytes | bytearray) -> object:
    """Parse one JSON document as every reader of elastic_events does.

    ``deserialize()``, :class:`~elastic_events.EventLog`, ``elastic-events validate`` and the
    Sphinx directives all read JSON through this one function, so they accept and reject the
    same documents. The policy:

    * RFC 8259 JSON; bytes must be UTF-8 (a leading byte order mark is ignored);
    * no ``NaN``, ``Infinity`` or ``-Infinity``, and no number too large for a float;
    * no key twice in one object (readers of JSON disagree on which one counts);
    * at most :data:`MAX_DEPTH` levels of nesting and :data:`MAX_LENGTH` characters;
    * integers of at most as many digits as Python converts (4300 by default).

    Args:
        text: The JSON text: ``str``, or UTF-8 ``bytes`` or ``bytearray``.

    Returns:
        What the text holds, as a dict, list, str, int, float, bool or None.

    Raises:
        InvalidEventError: The text breaks the policy; ``reason``, ``value``, and for a syntax
            error ``line`` and ``column``, say how and where.

    Example:
        >>> from elastic_events import InvalidEventError, parse_json
        >>> parse_json('{"name": "started", "metadata": {"rank": 0}}')
        {'name': 'started', 'metadata': {'rank': 0}}
        >>> try:
        ...     parse_json('{"name": "a",\\n "name": "b"}')
        ... except InvalidEventError as error:
        ...     print(error.reason)
        the key 'name' appears twice in one object
        >>> try:
        ...     parse_json('{"name": "a",\\n "rank": }')
        ... except InvalidEventError as error:
        ...     print(error.line, error.column, error.reason)
        2 10 Expecting value

    .. versionadded:: 0.2
    """
    return _decode_text(text)


def _decode_text(text: str | bytes | bytearray) -> Any:
    """:func:`parse_json`, typed for the readers in this package that index its result."""
    if not isinstance(text, str):
        raw = text
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            byte = bytes(raw[error.start : error.start + 1])
            raise InvalidEventError(
                f"not UTF-8 text: byte {byte[0]:#04x} at position {error.start} ({error.reason})",
                reason=f"not UTF-8 text ({error.reason})",
                value=byte,
            ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if len(text) > MAX_LENGTH:
        raise InvalidEventError(
            f"not read: {len(text):,} characters of JSON, more than the {MAX_LENGTH:,} a "
            "document may have",
            reason="longer than MAX_LENGTH",
        )
    if text.count("[") + text.count("{") > MAX_DEPTH and _too_deep(text):
        raise InvalidEventError(
            f"not read: the JSON nests arrays and objects more than {MAX_DEPTH} levels deep",
            reason="nested deeper than MAX_DEPTH",
        )
    try:
        return _decode_json(text)
    except InvalidEventError:
        raise
    except json.JSONDecodeError as error:
        raise InvalidEventError(
            f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}",
            reason=error.msg,
            line=error.lineno,
            column=error.colno,
        ) from None
    except ValueError as error:  # An integer of more digits than int() converts.
        raise InvalidEventError(
            f"not read: an integer of more than {_max_digits()} digits ({error})",
            reason="an integer of too many digits",
        ) from None
    except RecursionError:  # Only with a recursion limit set far below Python's default.
        raise InvalidEventError(
            "not read: the JSON nests too deeply for this interpreter's recursion limit",
            reason="nested deeper than the recursion limit",
        ) from None


def _too_deep(text: str) -> bool:
    """Whether *text* nests brackets deeper than MAX_DEPTH, outside of its strings."""
    depth = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", text)):
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        else:
            depth -= 1
    return False


def _max_digits() -> int:
    return sys.get_int_max_str_digits() or 4300


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "AEIOU" else f"a {noun}"


def _listed(names: Iterable[str]) -> str:
    return ", ".join(map(repr, names))


def json_schema(event_class: type) -> dict[str, object]:
    """Return the JSON Schema (draft 2020-12) of ``event_class``'s JSON, for log pipelines.

    Generated from the dataclass, so it follows the code: every line that ``serialize()`` writes
    validates, and every document that validates is read back by ``deserialize()``. Field
    descriptions come from the class's documentation.

    Args:
        event_class: :class:`~elastic_events.Event` or :class:`~elastic_events.RdzvEvent`.

    Raises:
        TypeError: ``event_class`` is not an event class.

    Example:
        >>> from elastic_events import RdzvEvent, json_schema
        >>> schema = json_schema(RdzvEvent)
        >>> schema["required"]
        ['name', 'run_id', 'message', 'hostname', 'pid', 'node_state']
        >>> schema["properties"]["node_state"]["enum"]
        ['INIT', 'RUNNING', 'SUCCEEDED', 'FAILED']

    .. versionadded:: 0.1
    """
    if not (isinstance(event_class, type) and dataclasses.is_dataclass(event_class)):
        raise TypeError(f"json_schema() takes an event class such as Event; got {event_class!r}")
    spec = _spec_of(event_class)
    properties = {}
    for f in spec.fields:
        prop = f.kind.schema()
        if f.description:
            prop["description"] = f.description
        if not f.required:
            prop["default"] = f.default
        properties[f.name] = prop
    return {
        "$schema": SCHEMA_DIALECT,
        "title": event_class.__name__,
        "description": spec.summary,
        "type": "object",
        "properties": properties,
        "required": [f.name for f in spec.fields if f.required],
        "additionalProperties": False,
    }


# Reading logs: tell the event classes apart, check a decoded object fast.


def classify(data: dict[str, Any], classes: tuple[type, ...]) -> type | None:
    """Tell which of ``classes`` a decoded JSON object is meant to be, by its fields.

    Each class is known by the fields that none of the others has (``source`` marks an
    :class:`Event`; ``node_state``, ``run_id``, ``pid``... an :class:`RdzvEvent`). The class
    with most of its own fields in ``data`` wins, the earlier one on a tie; ``None`` when
    ``data`` has none of them.
    """
    marks = _marks_of(classes)
    found = None
    for cls, own in marks:
        if not data.keys().isdisjoint(own):
            if found is not None:  # Both have some: count.
                return max(marks, key=lambda entry: len(entry[1].intersection(data)))[0]
            found = cls
    return found


def distinctive_fields(cls: type, classes: tuple[type, ...]) -> tuple[str, ...]:
    """The fields of ``cls`` that no other of ``classes`` has, in declaration order."""
    own = dict(_marks_of(classes))[cls]
    return tuple(name for name in _spec_of(cls).names if name in own)


_marks: dict[tuple[type, ...], tuple[tuple[type, frozenset[str]], ...]] = {}


def _marks_of(classes: tuple[type, ...]) -> tuple[tuple[type, frozenset[str]], ...]:
    try:
        return _marks[classes]
    except KeyError:
        names = {cls: frozenset(_spec_of(cls).names) for cls in classes}
        marks = _marks[classes] = tuple(
            (cls, own.difference(*(names[other] for other in classes if other is not cls)))
            for cls, own in names.items()
        )
        return marks


def validate(cls: type, data: dict[str, Any]) -> None:
    """Check that a decoded JSON object is a valid ``cls`` event, without building it.

    Raises:
        InvalidEventError: exactly what ``decode(cls, data)`` would raise.
    """
    spec = _spec_of(cls)
    keys = data.keys()
    if not (keys <= spec.name_set and spec.required <= keys):
        decode(cls, data)  # Says which field is unknown or missing.
    for f in spec.fields:
        value = data.get(f.name, _ABSENT)
        if value is not _ABSENT:
            f.kind.check(value, f.name)


_ABSENT = object()
