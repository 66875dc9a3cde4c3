"""Turn the content of an ``event-json`` directive into a real, round-tripped event.

The content is either a JSON object or a constructor expression. The expression is parsed with
:mod:`ast` and every node is checked against a short list of what is allowed; nothing is ever
passed to ``eval`` or ``exec``. Every mistake raises :class:`ContentError`, whose message says what
is wrong and what would be right, and whose ``line`` says where inside the content (when known).
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import json
from typing import Any, NoReturn, TypeAlias

import elastic_events
from elastic_events import Event, InvalidEventError, RdzvEvent

PACKAGE = "elastic_events"
#: The event classes a directive may name, as spelled after ``elastic_events.``.
EVENT_CLASSES = ("Event", "RdzvEvent")
#: The enums whose members an expression may name, as ``NodeState.RUNNING``.
ENUM_CLASSES = ("EventSource", "NodeState")

AnyEvent: TypeAlias = Event | RdzvEvent
EventClass: TypeAlias = type[Event] | type[RdzvEvent]

_ALLOWED = (
    "allowed are string, number, boolean and None literals, dicts with string keys, and enum "
    "members such as EventSource.WORKER or NodeState.RUNNING"
)


class ContentError(Exception):
    """A mistake in a directive.

    Attributes:
        message: What is wrong and what would be right.
        subtype: A short word for ``suppress_warnings`` (``event_json.<subtype>``).
        line: The 0-based line inside the directive's content where the mistake is, or ``None`` when
            it is the directive as a whole.
    """

    def __init__(self, message: str, *, subtype: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.subtype = subtype
        self.line = line


def resolve_class(argument: str) -> EventClass:
    """Return the event class that a directive argument names.

    >>> resolve_class("elastic_events.RdzvEvent").__name__
    'RdzvEvent'
    """
    name = argument.strip()
    short = name.removeprefix(PACKAGE + ".")
    if short == "Event":
        return Event
    if short == "RdzvEvent":
        return RdzvEvent
    known = ", ".join(EVENT_CLASSES)
    msg = (
        f"unknown event class {name!r}; expected one of {known} "
        f"(or {', '.join(f'{PACKAGE}.{c}' for c in EVENT_CLASSES)})"
    )
    raise ContentError(msg, subtype="class")


def public_name(cls: type) -> str:
    """The documented dotted path of a class of the package, such as ``elastic_events.Event``."""
    return f"{PACKAGE}.{cls.__name__}"


def field_names(cls: EventClass) -> list[str]:
    """The wire fields of an event class, in declaration (and wire) order."""
    return [f.name for f in dataclasses.fields(cls) if f.init]


def required_fields(cls: EventClass) -> list[str]:
    """The fields without a default value."""
    return [
        f.name
        for f in dataclasses.fields(cls)
        if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]


def parse_event(text: str, cls: EventClass) -> AnyEvent:
    """Build the event that the content *text* describes.

    A content starting with ``{`` is read as a JSON object with ``cls.deserialize`` semantics
    (omitted fields take the class defaults); anything else as a constructor expression.

    >>> parse_event('{"name": "n", "source": "WORKER"}', Event).source.name
    'WORKER'
    >>> parse_event('Event("n", EventSource.AGENT, timestamp=-0)', Event).source.name
    'AGENT'
    """
    if not text.strip():
        msg = (
            f"the directive has no content; write a JSON object such as {_json_hint(cls)} "
            f"or a constructor call such as {_call_hint(cls)}"
        )
        raise ContentError(msg, subtype="content")
    if text.lstrip().removeprefix("\ufeff").startswith("{"):  # As parse_json, past a BOM.
        data = parse_json_object(text)
        try:
            return cls.deserialize(data)
        except InvalidEventError as exc:
            raise ContentError(f"invalid {cls.__name__}: {exc}", subtype="field") from None
    try:
        return parse_constructor(text, cls)
    except (RecursionError, MemoryError):
        msg = f"the expression is nested too deeply to check; write {cls.__name__}(...) plainly"
        raise ContentError(msg, subtype="expression") from None


def parse_json_object(text: str) -> dict[str, Any]:
    """Parse *text* as one JSON object, by the library's one decoder and its policy.

    >>> parse_json_object('{"a": 1}')
    {'a': 1}
    """
    try:
        data = elastic_events.parse_json(text)
    except InvalidEventError as error:
        if error.line is None:
            raise ContentError(str(error), subtype="json") from None
        msg = (
            f"invalid JSON at line {error.line}, column {error.column} of the content: "
            f"{error.reason}; the content must be a single JSON object"
        )
        raise ContentError(msg, subtype="json", line=error.line - 1) from None
    if not isinstance(data, dict):  # pragma: no cover - the caller checked for "{"
        msg = f"the content is a JSON {type(data).__name__}; it must be a JSON object"
        raise ContentError(msg, subtype="json")
    return data


def _json_hint(cls: EventClass) -> str:
    sample: dict[str, str] = {
        "name": "...",
        "source": "WORKER",
        "run_id": "...",
        "message": "...",
        "hostname": "...",
        "node_state": "RUNNING",
    }
    fields = {name: sample.get(name, 0) for name in required_fields(cls)}
    return json.dumps(fields)


def _call_hint(cls: EventClass) -> str:
    sample = {
        "name": '"..."',
        "source": "EventSource.WORKER",
        "run_id": '"..."',
        "message": '"..."',
        "hostname": '"..."',
        "pid": "1",
        "node_state": "NodeState.RUNNING",
    }
    args = ", ".join(f"{name}={sample.get(name, '...')}" for name in required_fields(cls))
    return f"{cls.__name__}({args})"


# --- constructor expressions ---------------------------------------------------------------


def parse_constructor(text: str, cls: EventClass) -> AnyEvent:
    """Build an event from a constructor expression such as ``Event(name="n", source="AGENT")``.

    The expression is parsed with :mod:`ast` and checked node by node; it is never evaluated.

    >>> parse_constructor('elastic_events.Event(name="n", source="WORKER")', Event).name
    'n'
    >>> try:
    ...     parse_constructor('__import__("os").system("true")', Event)
    ... except ContentError as error:
    ...     print(error.message)  # doctest: +ELLIPSIS
    at line 1, column 1 of the content: the content must be a call to Event(...) ...
    """
    try:
        tree = ast.parse(text.strip("\n"), mode="eval")
    except SyntaxError as exc:
        line = exc.lineno or 1
        msg = (
            f"invalid expression at line {line}, column {exc.offset or 1} of the content: "
            f"{exc.msg}; write a JSON object or a call such as {_call_hint(cls)}"
        )
        raise ContentError(msg, subtype="expression", line=_line_index(text, line)) from None
    except ValueError as exc:  # such as a null character in the source
        msg = f"invalid expression: {exc}; write a JSON object or a call such as {_call_hint(cls)}"
        raise ContentError(msg, subtype="expression") from None
    call = tree.body
    callee = _callee(call.func) if isinstance(call, ast.Call) else None
    if not isinstance(call, ast.Call) or callee not in EVENT_CLASSES:
        _reject(
            f"the content must be a call to {cls.__name__}(...) or a JSON object, not "
            f"{_describe(call)}; for example {_call_hint(cls)}",
            call,
            text,
        )
    if callee != cls.__name__:
        _reject(
            f"the expression builds {callee} but the directive names {cls.__name__}; "
            f"make them agree",
            call,
            text,
        )
    names = field_names(cls)
    kwargs: dict[str, Any] = {}
    if len(call.args) > len(names):
        _reject(
            f"{cls.__name__} takes at most {len(names)} positional arguments "
            f"({', '.join(names)}), got {len(call.args)}",
            call.args[len(names)],
            text,
        )
    for name, arg in zip(names, call.args, strict=False):
        if isinstance(arg, ast.Starred):
            _reject("*-unpacking is not allowed; write each argument out", arg, text)
        kwargs[name] = _literal(arg, text)
    for keyword in call.keywords:
        if keyword.arg is None:
            _reject("**-unpacking is not allowed; write each field as name=value", keyword, text)
        if keyword.arg not in names:
            _reject(
                f"unknown field {keyword.arg!r}; {cls.__name__} has the fields {', '.join(names)}",
                keyword,
                text,
            )
        if keyword.arg in kwargs:
            _reject(f"the field {keyword.arg!r} is given twice; give it once", keyword, text)
        kwargs[keyword.arg] = _literal(keyword.value, text)
    missing = [name for name in required_fields(cls) if name not in kwargs]
    if missing:
        _reject(
            f"missing required field {missing[0]!r}; {cls.__name__} requires "
            f"{', '.join(required_fields(cls))}",
            call,
            text,
        )
    try:
        return cls(**kwargs)
    except InvalidEventError as exc:
        raise ContentError(f"invalid {cls.__name__}: {exc}", subtype="field") from None


def _callee(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and _is_package(func.value):
        return func.attr
    return None


def _is_package(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == PACKAGE


def _literal(node: ast.AST, text: str) -> Any:
    """The value of an allowed expression node; anything else is rejected."""
    if isinstance(node, ast.Constant):
        if node.value is None or type(node.value) in (str, int, float, bool):
            return node.value
        _reject(f"a {type(node.value).__name__} constant is not allowed; {_ALLOWED}", node, text)
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub | ast.UAdd)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int | float)
        and not isinstance(node.operand.value, bool)
    ):
        number = node.operand.value
        return -number if isinstance(node.op, ast.USub) else number
    if isinstance(node, ast.Dict):
        result: dict[str, Any] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                _reject("**-unpacking is not allowed in a dict; write each key out", value, text)
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                _reject("dict keys must be string literals", key, text)
            if key.value in result:
                _reject(f"the key {key.value!r} appears twice in one dict; keep one", key, text)
            result[key.value] = _literal(value, text)
        return result
    if isinstance(node, ast.Attribute):
        return _enum_member(node, text)
    if isinstance(node, ast.Name):
        hint = _member_hint(node.id)
        _reject(f"the name {node.id!r} is not allowed here; {hint or _ALLOWED}", node, text)
    _reject(f"{_describe(node)} is not allowed; {_ALLOWED}", node, text)


def _enum_member(node: ast.Attribute, text: str) -> enum.Enum:
    owner = node.value
    if isinstance(owner, ast.Attribute) and _is_package(owner.value):
        enum_name: str | None = owner.attr
    elif isinstance(owner, ast.Name):
        enum_name = owner.id
    else:
        enum_name = None
    if enum_name not in ENUM_CLASSES:
        _reject(f"{_describe(node)} is not allowed; {_ALLOWED}", node, text)
    enum_cls: type[enum.Enum] = getattr(elastic_events, enum_name)
    if node.attr not in enum_cls.__members__:
        members = ", ".join(f"{enum_name}.{m}" for m in enum_cls.__members__)
        _reject(f"{enum_name} has no member {node.attr!r}; expected one of {members}", node, text)
    return enum_cls[node.attr]


def _member_hint(name: str) -> str:
    for enum_name in ENUM_CLASSES:
        enum_cls: type[enum.Enum] = getattr(elastic_events, enum_name)
        if name in enum_cls.__members__:
            return f"write {enum_name}.{name} or the string {name!r}"
    return ""


_DESCRIPTIONS = {
    ast.Call: "a function call",
    ast.BinOp: "arithmetic",
    ast.BoolOp: "a boolean operation",
    ast.Compare: "a comparison",
    ast.JoinedStr: "an f-string",
    ast.Lambda: "a lambda",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Set: "a set",
    ast.Subscript: "a subscript",
    ast.IfExp: "a conditional expression",
    ast.ListComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.NamedExpr: "an assignment expression",
    ast.Await: "await",
    ast.Starred: "*-unpacking",
    ast.UnaryOp: "this unary operation",
    ast.Attribute: "this attribute access",
}


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        callee = _callee(node.func)
        name = callee or (node.func.id if isinstance(node.func, ast.Name) else None)
        if isinstance(node.func, ast.Attribute):
            name = ast.unparse(node.func)
        return f"a call to {name}" if name else "a function call"
    if isinstance(node, ast.Attribute):
        return f"the attribute access {ast.unparse(node)}"
    if isinstance(node, ast.Constant):
        return f"the constant {node.value!r}"
    return _DESCRIPTIONS.get(type(node), f"an expression of type {type(node).__name__}")


def _line_index(text: str, line: int) -> int:
    """The 0-based content line of *line* (1-based) of ``text.strip("\\n")``."""
    leading = len(text) - len(text.lstrip("\n"))
    return leading + line - 1


def _reject(message: str, node: ast.AST, text: str) -> NoReturn:
    line = getattr(node, "lineno", None)
    if line is None:
        raise ContentError(message, subtype="expression")
    column = getattr(node, "col_offset", 0) + 1
    where = f"at line {line}, column {column} of the content: "
    raise ContentError(where + message, subtype="expression", line=_line_index(text, line))


# --- the round trip ------------------------------------------------------------------------


def serialize_checked(event: AnyEvent) -> str:
    """Return ``event.serialize()`` after checking that it deserializes back to an equal event.

    >>> serialize_checked(Event(name="n", source="WORKER"))
    '{"name": "n", "source": "WORKER", "timestamp": 0, "metadata": {}}'
    """
    cls = type(event)
    try:
        line = event.serialize()
        again = cls.deserialize(line)
    except InvalidEventError as exc:
        msg = f"the {cls.__name__} cannot be written to the log: {exc}"
        raise ContentError(msg, subtype="roundtrip") from None
    if again != event:
        msg = (
            f"the {cls.__name__} does not round-trip: deserialize(serialize()) gives {again!r}, "
            f"not {event!r}; use values that JSON keeps as they are"
        )
        raise ContentError(msg, subtype="roundtrip")
    return line
