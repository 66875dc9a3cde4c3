"""Turn the content of an ``event-json`` directive into a real, round-tripped event.

The content is either a JSON object or a constructor expression. The expression is parsed with
:mod:`ast` and every node is checked against a short list of what is allowed; nothing is ever
passed to ``eval`` or ``exec``. Every mistake raises :class:`ContentError`, whose message says what
is wrong and what would be right, and whose ``line`` says where inside the content (when known).
"""

from __future__ import annotations

import ast
import enum
import json
from typing import Any, NoReturn

import elastic_events
from elastic_events import InvalidEventError

from ._classes import DEFAULT_CLASSES, PACKAGE, Codec, OwnCodec, Registry
from ._errors import ContentError

__all__ = ["ContentError", "parse_constructor", "parse_event", "resolve_class", "serialize_checked"]

#: This package's event classes, as spelled after ``elastic_events.``.
EVENT_CLASSES = tuple(DEFAULT_CLASSES)

_ALLOWED = (
    "allowed are string, number, boolean and None literals, dicts with string keys, and enum "
    "members such as EventSource.WORKER or NodeState.RUNNING"
)
_DEFAULTS = Registry({})


def resolve_class(argument: str, registry: Registry = _DEFAULTS) -> type:
    """Return the event class that a directive argument names (with *registry*'s short names).

    >>> resolve_class("elastic_events.RdzvEvent").__name__
    'RdzvEvent'
    """
    return registry.resolve(argument).cls


def codec_of(cls: type | Codec) -> Codec:
    """The codec of *cls*, this package's classes and any other supported class alike."""
    if isinstance(cls, Codec):
        return cls
    return _DEFAULTS.resolve(f"{cls.__module__}.{cls.__qualname__}")


def parse_event(text: str, cls: type | Codec) -> Any:
    """Build the event that the content *text* describes.

    A content starting with ``{`` is read as a JSON object by :func:`elastic_events.parse_json`
    and then by the class (omitted fields take the class defaults); anything else as a
    constructor expression.

    >>> parse_event('{"name": "n", "source": "WORKER"}', elastic_events.Event).source.name
    'WORKER'
    >>> parse_event('Event("n", EventSource.AGENT, timestamp=-0)', elastic_events.Event).source.name
    'AGENT'
    """
    codec = codec_of(cls)
    if not text.strip():
        msg = (
            f"the directive has no content; write a JSON object such as {_json_hint(codec)} "
            f"or a constructor call such as {_call_hint(codec)}"
        )
        raise ContentError(msg, subtype="content")
    if text.lstrip().removeprefix("\ufeff").startswith("{"):  # As parse_json, past a BOM.
        return event_from_json(parse_json_object(text), codec)
    try:
        return parse_constructor(text, codec)
    except (RecursionError, MemoryError):
        msg = f"the expression is nested too deeply to check; write {codec.name}(...) plainly"
        raise ContentError(msg, subtype="expression") from None


def event_from_json(data: dict[str, Any], cls: type | Codec) -> Any:
    """The event that a JSON object (decoded by :func:`elastic_events.parse_json`) describes."""
    codec = codec_of(cls)
    try:
        return codec.from_json(data)
    except ContentError as error:
        if isinstance(codec, OwnCodec) or error.message.startswith(codec.name):
            raise
        raise ContentError(
            f"invalid {codec.name}: {error.message}", subtype=error.subtype
        ) from None


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
    if not isinstance(data, dict):  # Not after parse_event's check for "{".
        msg = f"the content is a JSON {type(data).__name__}; it must be a JSON object"
        raise ContentError(msg, subtype="json")
    return data


_SAMPLES: dict[str, tuple[Any, str]] = {
    "name": ("...", '"..."'),
    "source": ("WORKER", "EventSource.WORKER"),
    "run_id": ("...", '"..."'),
    "message": ("...", '"..."'),
    "hostname": ("...", '"..."'),
    "pid": (0, "1"),
    "node_state": ("RUNNING", "NodeState.RUNNING"),
}


def _json_hint(codec: Codec) -> str:
    own = isinstance(codec, OwnCodec)
    fields = {
        name: _SAMPLES[name][0] if own and name in _SAMPLES else 0
        for name in codec.required_fields()
    }
    return json.dumps(fields)


def _call_hint(codec: Codec) -> str:
    own = isinstance(codec, OwnCodec)
    args = ", ".join(
        f"{name}={_SAMPLES[name][1] if own and name in _SAMPLES else '...'}"
        for name in codec.required_fields()
    )
    return f"{codec.name}({args})"


# --- constructor expressions ---------------------------------------------------------------


class _Expression:
    """What a constructor expression may name: its class, and the enums of that class."""

    def __init__(self, text: str, codec: Codec) -> None:
        self.text = text
        self.codec = codec
        self.own = isinstance(codec, OwnCodec)
        if self.own:
            self.enums: dict[str, type[enum.Enum]] = {
                name: getattr(elastic_events, name) for name in ("EventSource", "NodeState")
            }
            self.prefixes = {PACKAGE}
            self.allowed = _ALLOWED
        else:
            self.enums = codec.enums()
            module = codec.cls.__module__
            self.prefixes = {module, codec.path.rpartition(".")[0]}
            examples = " or ".join(
                f"{name}.{next(iter(e.__members__))}" for name, e in list(self.enums.items())[:2]
            )
            self.allowed = (
                "allowed are string, number, boolean and None literals, dicts with string keys, "
                "lists" + (f", and enum members such as {examples}" if examples else "")
            )
        cls = codec.cls
        self.names = {cls.__name__, codec.path, f"{cls.__module__}.{cls.__qualname__}"}
        self.names.update(f"{prefix}.{cls.__name__}" for prefix in self.prefixes)


def parse_constructor(text: str, cls: type | Codec) -> Any:
    """Build an event from a constructor expression such as ``Event(name="n", source="AGENT")``.

    The expression is parsed with :mod:`ast` and checked node by node; it is never evaluated.

    >>> text = 'elastic_events.Event(name="n", source="WORKER")'
    >>> parse_constructor(text, elastic_events.Event).name
    'n'
    >>> try:
    ...     parse_constructor('__import__("os").system("true")', elastic_events.Event)
    ... except ContentError as error:
    ...     print(error.message)  # doctest: +ELLIPSIS
    at line 1, column 1 of the content: the content must be a call to Event(...) ...
    """
    codec = codec_of(cls)
    name = codec.name
    try:
        tree = ast.parse(text.strip("\n"), mode="eval")
    except SyntaxError as exc:
        line = exc.lineno or 1
        msg = (
            f"invalid expression at line {line}, column {exc.offset or 1} of the content: "
            f"{exc.msg}; write a JSON object or a call such as {_call_hint(codec)}"
        )
        raise ContentError(msg, subtype="expression", line=_line_index(text, line)) from None
    except ValueError as exc:  # such as a null character in the source
        msg = (
            f"invalid expression: {exc}; write a JSON object or a call such as {_call_hint(codec)}"
        )
        raise ContentError(msg, subtype="expression") from None
    context = _Expression(text, codec)
    call = tree.body
    callee = _dotted(call.func) if isinstance(call, ast.Call) else None
    if not isinstance(call, ast.Call) or callee is None:
        _reject(
            f"the content must be a call to {name}(...) or a JSON object, not "
            f"{_describe(call)}; for example {_call_hint(codec)}",
            call,
            text,
        )
    if callee not in context.names:
        short = callee.rpartition(".")[2]
        if short in EVENT_CLASSES:
            _reject(
                f"the expression builds {short} but the directive names {name}; make them agree",
                call,
                text,
            )
        _reject(
            f"the content must be a call to {name}(...) or a JSON object, not "
            f"{_describe(call)}; for example {_call_hint(codec)}",
            call,
            text,
        )
    names = codec.field_names()
    kwargs: dict[str, Any] = {}
    if len(call.args) > len(names):
        _reject(
            f"{name} takes at most {len(names)} positional arguments "
            f"({', '.join(names)}), got {len(call.args)}",
            call.args[len(names)],
            text,
        )
    for field, arg in zip(names, call.args, strict=False):
        if isinstance(arg, ast.Starred):
            _reject("*-unpacking is not allowed; write each argument out", arg, text)
        kwargs[field] = _literal(arg, context)
    for keyword in call.keywords:
        if keyword.arg is None:
            _reject("**-unpacking is not allowed; write each field as name=value", keyword, text)
        if keyword.arg not in names:
            _reject(
                f"unknown field {keyword.arg!r}; {name} has the fields {', '.join(names)}",
                keyword,
                text,
            )
        if keyword.arg in kwargs:
            _reject(f"the field {keyword.arg!r} is given twice; give it once", keyword, text)
        kwargs[keyword.arg] = _literal(keyword.value, context)
    missing = [field for field in codec.required_fields() if field not in kwargs]
    if missing:
        _reject(
            f"missing required field {missing[0]!r}; {name} requires "
            f"{', '.join(codec.required_fields())}",
            call,
            text,
        )
    try:
        return codec.from_call(kwargs)
    except ContentError as error:
        if context.own or error.message.startswith(name):
            raise
        raise ContentError(f"invalid {name}: {error.message}", subtype=error.subtype) from None


def _dotted(func: ast.expr) -> str | None:
    """``a.b.C`` for a chain of names, else ``None``."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        owner = _dotted(func.value)
        return None if owner is None else f"{owner}.{func.attr}"
    return None


def _literal(node: ast.expr, context: _Expression) -> Any:
    """The value of an allowed expression node; anything else is rejected."""
    text = context.text
    if isinstance(node, ast.Constant):
        if node.value is None or type(node.value) in (str, int, float, bool):
            return node.value
        _reject(
            f"a {type(node.value).__name__} constant is not allowed; {context.allowed}", node, text
        )
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
            result[key.value] = _literal(value, context)
        return result
    if isinstance(node, ast.List) and not context.own:
        items = []
        for item in node.elts:
            if isinstance(item, ast.Starred):
                _reject("*-unpacking is not allowed in a list; write each item out", item, text)
            items.append(_literal(item, context))
        return items
    if isinstance(node, ast.Attribute):
        return _enum_member(node, context)
    if isinstance(node, ast.Name):
        hint = _member_hint(node.id, context)
        _reject(f"the name {node.id!r} is not allowed here; {hint}", node, text)
    _reject(f"{_describe(node)} is not allowed; {context.allowed}", node, text)


def _enum_member(node: ast.Attribute, context: _Expression) -> enum.Enum:
    text = context.text
    owner = _dotted(node.value)
    enum_name = None
    if owner is not None:
        prefix, _, last = owner.rpartition(".")
        if not prefix or prefix in context.prefixes:
            enum_name = last
    if enum_name not in context.enums:
        known = ", ".join(context.enums) or "none"
        why = (
            f"{_describe(node)} is not allowed; only members of the enums of "
            f"{context.codec.name} may be named (known: {known})"
            if not context.own
            else f"{_describe(node)} is not allowed; {context.allowed}"
        )
        _reject(why, node, text)
    enum_cls = context.enums[enum_name]
    if node.attr not in enum_cls.__members__:
        members = ", ".join(f"{enum_name}.{m}" for m in enum_cls.__members__)
        _reject(f"{enum_name} has no member {node.attr!r}; expected one of {members}", node, text)
    return enum_cls[node.attr]


def _member_hint(name: str, context: _Expression) -> str:
    """What to write in place of the bare *name*."""
    for enum_name, enum_cls in context.enums.items():
        if name in enum_cls.__members__:
            value = enum_cls[name].value
            if context.own:
                return f"write {enum_name}.{name} or the string {name!r}"
            return f"write {enum_name}.{name} or its value {value!r}"
    if context.own:
        return context.allowed
    return f"a bare name is not a value; {context.allowed}"


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
        name = node.func.id if isinstance(node.func, ast.Name) else None
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


def _reject(message: str, node: ast.expr | ast.keyword, text: str) -> NoReturn:
    """Raise the error *message*, at *node*'s place (every node ast.parse makes has one)."""
    where = f"at line {node.lineno}, column {node.col_offset + 1} of the content: "
    raise ContentError(where + message, subtype="expression", line=_line_index(text, node.lineno))


# --- the round trip ------------------------------------------------------------------------


def serialize_checked(event: Any, cls: type | Codec | None = None) -> str:
    """Write *event* as its class does, after checking that it reads back to an equal event.

    >>> serialize_checked(elastic_events.Event(name="n", source="WORKER"))
    '{"name": "n", "source": "WORKER", "timestamp": 0, "metadata": {}}'
    """
    codec = codec_of(type(event) if cls is None else cls)
    name = codec.name
    try:
        line = codec.write(event)
        again = codec.read_back(line)
    except InvalidEventError as exc:
        msg = f"the {name} cannot be written to the log: {exc}"
        raise ContentError(msg, subtype="roundtrip") from None
    except ContentError as error:
        msg = f"the {name} does not read back from its JSON: {error.message}"
        raise ContentError(msg, subtype="roundtrip") from None
    except Exception as exc:  # the class's own serialize or deserialize failed
        msg = f"the {name} cannot be written and read back: {type(exc).__name__}: {exc}"
        raise ContentError(msg, subtype="roundtrip") from None
    if again != event:
        msg = (
            f"the {name} does not round-trip: deserialize(serialize()) gives {again!r}, "
            f"not {event!r}; use values that JSON keeps as they are"
        )
        raise ContentError(msg, subtype="roundtrip")
    return line
