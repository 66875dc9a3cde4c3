"""The event classes a directive may name, and how each kind of class is read and written.

A directive names its class by a short name (``Event``, ``RdzvEvent``, or a key of the config
value ``event_json_classes``) or by any importable dotted path. :class:`Registry` imports each
path once per build and remembers the answer, a class or the reason it cannot be used.

Every class is wrapped in a :class:`Codec`, which knows its fields and how to build an event from
a parsed JSON value or from the keyword arguments of a constructor expression, and how to write
it back:

* :class:`OwnCodec`: this package's :class:`~elastic_events.Event` and
  :class:`~elastic_events.RdzvEvent`, through their ``deserialize`` and ``serialize``;
* :class:`DataclassCodec`: any ``@dataclass`` (PyTorch's events among them), its values
  converted field by field from the annotations, built by calling the class (so its
  ``__post_init__`` runs), written by its own ``serialize`` where it has one, otherwise from its
  fields in declaration order, enums by value;
* :class:`AttrsCodec`: an attrs class, the same way, its validators running on construction;
* :class:`PydanticCodec`: a pydantic v2 model, built by ``model_validate`` and written by
  ``model_dump_json``.

The JSON text of an example is always parsed by :func:`elastic_events.parse_json` before any of
this; nothing here reads JSON text itself.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import json
import re
import sys
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import elastic_events
from elastic_events import InvalidEventError

from ._errors import ContentError

PACKAGE = "elastic_events"
#: The short names every project has, without any config.
DEFAULT_CLASSES: Mapping[str, str] = {
    "Event": "elastic_events.Event",
    "RdzvEvent": "elastic_events.RdzvEvent",
}
SUPPORTED = "a dataclass, an attrs class or a pydantic v2 model"
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\Z")


class ClassProblem(ContentError):
    """A class that a directive names cannot be used; the message names the path and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message, subtype="class")


@dataclasses.dataclass(frozen=True)
class Field:
    """One field of an event class, as the wire has it.

    Attributes:
        name: The key in the JSON object (and the constructor's keyword).
        annotation: The resolved type annotation, or ``Any`` where there is none.
        required: Whether an example must give it.
        default: A factory of the default value, or ``None`` where the field is required.
    """

    name: str
    annotation: Any
    required: bool
    default: Callable[[], Any] | None = None


class Codec:
    """How one event class is built, written and described."""

    kind: ClassVar[str] = "class"

    def __init__(self, cls: type, path: str) -> None:
        self.cls = cls
        #: The dotted path the project imports it by (the directive's or the config's).
        self.path = path
        self.name = cls.__name__
        self.fields = self.read_fields()

    @property
    def targets(self) -> list[str]:
        """The dotted paths under which the project may document the class, best first."""
        own = f"{self.cls.__module__}.{self.cls.__qualname__}"
        return [self.path] if own == self.path else [self.path, own]

    def read_fields(self) -> list[Field]:
        raise NotImplementedError

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def required_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def from_json(self, data: dict[str, Any]) -> object:
        """The event that a parsed JSON object describes."""
        return self.build(self.check_keys(data, "missing required field"), from_json=True)

    def from_call(self, kwargs: dict[str, Any]) -> object:
        """The event that the arguments of a constructor expression describe."""
        return self.build(self.check_keys(kwargs, "missing required argument"), from_json=False)

    def check_keys(self, data: dict[str, Any], missing_words: str) -> dict[str, Any]:
        names = self.field_names()
        for key in data:
            if key not in names:
                raise ContentError(
                    f"unknown field {key!r}; {self.name} has the fields {', '.join(names)}",
                    subtype="field",
                )
        missing = [name for name in self.required_fields() if name not in data]
        if missing:
            raise ContentError(
                f"{missing_words} {missing[0]!r}; {self.name} requires "
                f"{', '.join(self.required_fields())}",
                subtype="field",
            )
        return data

    def build(self, values: dict[str, Any], *, from_json: bool) -> object:
        kwargs = {}
        for field in self.fields:
            if field.name in values:
                kwargs[field.name] = convert(values[field.name], field.annotation, field.name)
        return self.construct(kwargs)

    def construct(self, kwargs: dict[str, Any]) -> object:
        try:
            return self.cls(**kwargs)
        except Exception as error:  # the class's own checks: show what it said
            raise ContentError(
                f"{self.name} rejected the values: {type(error).__name__}: {error}",
                subtype="field",
            ) from None

    def write(self, event: object) -> str:
        """One line of JSON for *event*: its own ``serialize()``, or its fields in order."""
        serialize = getattr(event, "serialize", None)
        if callable(serialize):
            line = serialize()
            if not isinstance(line, str):
                msg = f"{self.name}.serialize() returned a {type(line).__name__}, not a str"
                raise ContentError(msg, subtype="roundtrip")
            return line
        data = {f.name: to_json(getattr(event, f.name)) for f in self.fields}
        return json.dumps(data, ensure_ascii=False, allow_nan=False)

    def read_back(self, line: str) -> object:
        """The event that *line* (what :meth:`write` made) describes, for the round trip."""
        deserialize = getattr(self.cls, "deserialize", None)
        if callable(deserialize) and callable(getattr(self.cls, "serialize", None)):
            return deserialize(line)
        data = elastic_events.parse_json(line)
        if not isinstance(data, dict):
            msg = f"{self.name} was written as a JSON {type(data).__name__}, not an object"
            raise ContentError(msg, subtype="roundtrip")
        return self.from_json(data)

    def schema(self) -> dict[str, Any]:
        """The JSON Schema (Draft 2020-12) of the class's JSON, from its annotations."""
        descriptions = attribute_descriptions(self.cls)
        properties: dict[str, Any] = {}
        for field in self.fields:
            prop = dict(type_schema(field.annotation, field.name, self.name))
            if field.name in descriptions:
                prop["description"] = descriptions[field.name]
            if not field.required and field.default is not None:
                default = _json_default(field.default)
                if default is not _NO_DEFAULT:
                    prop["default"] = default
            properties[field.name] = prop
        schema: dict[str, Any] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": self.name,
        }
        summary = docstring_summary(self.cls)
        if summary:
            schema["description"] = summary
        schema.update(
            type="object",
            properties=properties,
            required=self.required_fields(),
            additionalProperties=False,
        )
        return schema

    def enums(self) -> dict[str, type[enum.Enum]]:
        """The enums an expression may name: those of the annotations, then of the module."""
        found: dict[str, type[enum.Enum]] = {}
        for field in self.fields:
            for candidate in _enums_in(field.annotation):
                found.setdefault(candidate.__name__, candidate)
        module = sys.modules.get(self.cls.__module__)
        for value in vars(module).values() if module is not None else ():
            if isinstance(value, type) and issubclass(value, enum.Enum) and value.__members__:
                found.setdefault(value.__name__, value)
        return found


class OwnCodec(Codec):
    """This package's classes, read by their own ``deserialize`` with its exact messages."""

    kind = "own"

    @property
    def targets(self) -> list[str]:
        return [f"{PACKAGE}.{self.name}"]

    def read_fields(self) -> list[Field]:
        return _dataclass_fields(self.cls)

    def from_json(self, data: dict[str, Any]) -> object:
        deserialize: Callable[[object], object] = getattr(self.cls, "deserialize")  # noqa: B009
        try:
            return deserialize(data)
        except InvalidEventError as exc:
            raise ContentError(f"invalid {self.name}: {exc}", subtype="field") from None

    def from_call(self, kwargs: dict[str, Any]) -> object:
        try:
            return self.cls(**kwargs)
        except InvalidEventError as exc:
            raise ContentError(f"invalid {self.name}: {exc}", subtype="field") from None

    def read_back(self, line: str) -> object:
        deserialize: Callable[[object], object] = getattr(self.cls, "deserialize")  # noqa: B009
        return deserialize(line)

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = elastic_events.json_schema(self.cls)
        return schema


class DataclassCodec(Codec):
    kind = "dataclass"

    def read_fields(self) -> list[Field]:
        return _dataclass_fields(self.cls)


class AttrsCodec(Codec):
    kind = "attrs"

    def read_fields(self) -> list[Field]:
        import attrs

        hints = _type_hints(self.cls, self.path)
        fields = []
        for attribute in attrs.fields(self.cls):
            if not attribute.init:
                continue
            name = attribute.alias or attribute.name
            default = attribute.default
            factory: Callable[[], Any] | None
            if default is attrs.NOTHING:
                factory = None
            elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                factory = None if default.takes_self else default.factory
            else:
                factory = _constant(default)
            annotation = hints.get(attribute.name, attribute.type or Any)
            required = default is attrs.NOTHING
            fields.append(Field(name, annotation, required, factory))
        return fields


class PydanticCodec(Codec):
    kind = "pydantic"

    def read_fields(self) -> list[Field]:
        fields = []
        model_fields: dict[str, Any] = getattr(self.cls, "model_fields")  # noqa: B009
        for name, info in model_fields.items():
            required = bool(info.is_required())
            factory = None
            if not required:
                factory = functools_partial_default(info)
            fields.append(Field(name, info.annotation, required, factory))
        return fields

    def build(self, values: dict[str, Any], *, from_json: bool) -> object:
        validate: Callable[[object], object] = getattr(self.cls, "model_validate")  # noqa: B009
        try:
            return validate(values)
        except Exception as error:  # pydantic's ValidationError, with its own message
            raise ContentError(
                f"{self.name} rejected the values: {_first_lines(str(error))}", subtype="field"
            ) from None

    def write(self, event: object) -> str:
        dump: Callable[[], str] = getattr(event, "model_dump_json")  # noqa: B009
        return dump()

    def schema(self) -> dict[str, Any]:
        model_schema: Callable[[], dict[str, Any]] = getattr(self.cls, "model_json_schema")  # noqa: B009
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **model_schema()}
        return schema


def functools_partial_default(info: Any) -> Callable[[], Any] | None:
    """A factory of a pydantic field's default."""
    factory = getattr(info, "default_factory", None)
    if factory is not None and not getattr(info, "default_factory_takes_data", False):
        return typing.cast("Callable[[], Any]", factory)
    return _constant(info.default)


def _first_lines(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("For further information")]
    return "; ".join(lines)


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


def _dataclass_fields(cls: type) -> list[Field]:
    hints = _type_hints(cls, f"{cls.__module__}.{cls.__qualname__}")
    fields = []
    for field in dataclasses.fields(cls):
        if not field.init:
            continue
        factory: Callable[[], Any] | None = None
        if field.default is not dataclasses.MISSING:
            factory = _constant(field.default)
        elif field.default_factory is not dataclasses.MISSING:
            factory = field.default_factory
        annotation = hints.get(field.name, Any)
        fields.append(Field(field.name, annotation, factory is None, factory))
    return fields


def _type_hints(cls: type, path: str) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception as error:  # a name only importable while type checking, and so on
        raise ClassProblem(
            f"the annotations of {path} cannot be read ({type(error).__name__}: {error}); "
            f"each field's type must name something importable at run time"
        ) from None


def kind_of(cls: type) -> type[Codec] | None:
    """The codec for *cls*, or ``None`` if it is of no supported kind."""
    if cls in (elastic_events.Event, elastic_events.RdzvEvent):
        return OwnCodec
    pydantic = sys.modules.get("pydantic")
    base = getattr(pydantic, "BaseModel", None)
    if isinstance(base, type) and issubclass(cls, base) and hasattr(cls, "model_validate"):
        return PydanticCodec
    if "__attrs_attrs__" in vars(cls) and "attrs" in sys.modules:
        return AttrsCodec
    if dataclasses.is_dataclass(cls):
        return DataclassCodec
    return None


class Registry:
    """The event classes of one build: short names from the config, imports done once."""

    def __init__(self, short_names: Mapping[str, str]) -> None:
        self.short_names = {**DEFAULT_CLASSES, **short_names}
        self._cache: dict[str, Codec | ClassProblem] = {}

    def resolve(self, argument: str) -> Codec:
        """The codec of the class that a directive argument names; :class:`ClassProblem` else."""
        name = argument.strip()
        path = self.short_names.get(name, name)
        if name.startswith(PACKAGE + ".") and name.removeprefix(PACKAGE + ".") in DEFAULT_CLASSES:
            path = name
        if path not in self._cache:
            try:
                self._cache[path] = self._load(name, path)
            except ClassProblem as problem:
                self._cache[path] = problem
        found = self._cache[path]
        if isinstance(found, ClassProblem):
            raise ClassProblem(found.message)
        return found

    def _load(self, name: str, path: str) -> Codec:
        known = ", ".join(self.short_names)
        if "." not in path:
            raise ClassProblem(
                f"unknown event class {name!r}; expected one of {known} (or "
                f"elastic_events.Event, elastic_events.RdzvEvent), a short name given in "
                f"event_json_classes, or the dotted path of an importable class"
            )
        if not _DOTTED.match(path):
            raise ClassProblem(f"{path!r} is not a dotted path of Python names")
        cls = import_path(path)
        if not isinstance(cls, type):
            raise ClassProblem(
                f"{path} is {_a(type(cls).__name__)}, not a class; name an event class "
                f"({SUPPORTED})"
            )
        codec = kind_of(cls)
        if codec is None:
            raise ClassProblem(
                f"{path} is a class but not {SUPPORTED}, so its fields are unknown; "
                f"make it a dataclass or name another class"
            )
        try:
            return codec(cls, path)
        except UnsupportedType as error:
            raise ClassProblem(f"{path}: {error}") from None


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def import_path(path: str) -> object:
    """The object that a dotted path names: the longest importable module, then attributes."""
    parts = path.split(".")
    module = None
    error: BaseException | None = None
    for end in range(len(parts), 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:end]))
        except ModuleNotFoundError as exc:
            if exc.name is not None and not ".".join(parts[:end]).startswith(exc.name):
                error = exc  # the module exists but imports something missing
                break
            continue
        except Exception as exc:  # the module itself fails while importing
            error = exc
            break
        else:
            break
    if module is None:
        if error is not None:
            raise ClassProblem(
                f"{path} cannot be imported: {type(error).__name__}: {error}"
            ) from None
        raise ClassProblem(
            f"{path} cannot be imported: there is no module {parts[0]!r} on sys.path "
            f"(install it, or add its folder to sys.path in conf.py)"
        )
    obj: object = module
    done = module.__name__
    for part in parts[len(done.split(".")) :]:
        if not hasattr(obj, part):
            raise ClassProblem(f"{path} cannot be imported: {done} has no attribute {part!r}")
        obj = getattr(obj, part)
        done += "." + part
    return obj


# --- values from JSON, by annotation ---------------------------------------------------------


class UnsupportedType(Exception):
    """A field's annotation is not one the extension can read from JSON."""


_SCALARS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}
_SUPPORTED_TYPES = (
    "str, int, float, bool, None, str or int enums, X | None, list[...], dict[str, ...], "
    "Literal[...] and Any"
)


def _union_args(annotation: Any) -> tuple[Any, ...] | None:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(annotation)
    return None


def _enums_in(annotation: Any) -> list[type[enum.Enum]]:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [annotation]
    return [found for arg in typing.get_args(annotation) for found in _enums_in(arg)]


def _describe_type(annotation: Any) -> str:
    if annotation is type(None):
        return "None"
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _got(value: Any) -> str:
    kinds = {str: "a string", bool: "a boolean", int: "an integer", float: "a number"}
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return f"{value!r} ({kinds.get(type(value), _a(type(value).__name__))})"


def convert(value: Any, annotation: Any, where: str) -> Any:
    """*value* (decoded from JSON, or a literal of an expression) as *annotation* wants it.

    Enum fields take the member whose value it is (or the member itself); numbers stay numbers
    (an integer is accepted for a float); anything else raises :class:`ContentError` saying which
    field, what it must be and what it got.
    """
    if annotation is Any or annotation is object:
        return value
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        if isinstance(value, annotation):
            return value
        for member in annotation:
            if type(value) is type(member.value) and member.value == value:
                return member
        allowed = ", ".join(json.dumps(m.value, ensure_ascii=False) for m in annotation)
        raise _field_error(where, f"must be one of {allowed} (a {annotation.__name__})", value)
    if annotation is type(None) or annotation is None:
        if value is None:
            return None
        raise _field_error(where, "must be null", value)
    if annotation is bool:
        if isinstance(value, bool):
            return value
        raise _field_error(where, "must be a boolean", value)
    if annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _field_error(where, "must be an integer", value)
    if annotation is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise _field_error(where, "must be a number", value)
    if annotation is str:
        if isinstance(value, str):
            return value
        raise _field_error(where, "must be a string", value)
    arms = _union_args(annotation)
    if arms is not None:
        if value is None and type(None) in arms:
            return None
        problems = []
        for arm in arms:
            if arm is type(None):
                continue
            try:
                return convert(value, arm, where)
            except ContentError as error:
                problems.append(error)
        if len(problems) == 1:
            raise problems[0]
        raise _field_error(where, f"must be {_describe_type(annotation)}", value)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        if any(type(value) is type(arg) and value == arg for arg in args):
            return value
        allowed = ", ".join(json.dumps(arg) for arg in args)
        raise _field_error(where, f"must be one of {allowed}", value)
    if origin is list or annotation is list:
        if not isinstance(value, list):
            raise _field_error(where, "must be an array", value)
        item = args[0] if args else Any
        return [convert(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict or annotation is dict:
        if not isinstance(value, dict):
            raise _field_error(where, "must be an object", value)
        item = args[1] if len(args) == 2 else Any
        return {k: convert(v, item, f"{where}[{k!r}]") for k, v in value.items()}
    raise ContentError(
        f"field {where!r} has the type {_describe_type(annotation)}, which the extension cannot "
        f"read from JSON; supported are {_SUPPORTED_TYPES}",
        subtype="field",
    )


def _field_error(where: str, rule: str, value: Any) -> ContentError:
    return ContentError(f"field {where!r} {rule}; got {_got(value)}", subtype="field")


def to_json(value: Any) -> Any:
    """A field's value as JSON has it: enums by value, lists and dicts item by item."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


# --- schemas from annotations ----------------------------------------------------------------


def type_schema(annotation: Any, field: str, owner: str) -> dict[str, Any]:
    """The JSON Schema of one annotation."""
    if annotation is Any or annotation is object:
        return {}
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        values = [m.value for m in annotation]
        kinds = sorted({_SCALARS.get(type(v), "string") for v in values})
        return {"type": kinds[0] if len(kinds) == 1 else kinds, "enum": values}
    if annotation is type(None) or annotation is None:
        return {"type": "null"}
    if annotation in _SCALARS:
        return {"type": _SCALARS[annotation]}
    arms = _union_args(annotation)
    if arms is not None:
        schemas = [type_schema(arm, field, owner) for arm in arms]
        simple = [s for s in schemas if set(s) == {"type"} and isinstance(s["type"], str)]
        if len(simple) == len(schemas):
            return {"type": [s["type"] for s in schemas]}
        return {"anyOf": schemas}
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin is list or annotation is list:
        items = type_schema(args[0], field, owner) if args else {}
        return {"type": "array", "items": items} if items else {"type": "array"}
    if origin is dict or annotation is dict:
        entries = type_schema(args[1], field, owner) if len(args) == 2 else {}
        if entries:
            return {"type": "object", "additionalProperties": entries}
        return {"type": "object"}
    raise UnsupportedType(
        f"field {field!r} of {owner} has the type {_describe_type(annotation)}, which has no "
        f"JSON form the extension knows; supported are {_SUPPORTED_TYPES}"
    )


_NO_DEFAULT = object()


def _json_default(factory: Callable[[], Any]) -> Any:
    try:
        value = to_json(factory())
        json.dumps(value, allow_nan=False)
    except Exception:  # a factory whose value JSON cannot show: no default in the schema
        return _NO_DEFAULT
    return value


def docstring_summary(cls: type) -> str:
    """The first paragraph of the class's docstring, on one line."""
    doc = inspect.getdoc(cls) or ""
    if cls.__doc__ is None or doc.startswith(cls.__name__ + "("):  # a dataclass's generated one
        return ""
    return " ".join(doc.split("\n\n")[0].split())


_SECTION = re.compile(r"^(\w[\w ]*):\s*$")
_ENTRY = re.compile(r"^(\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")


def attribute_descriptions(cls: type) -> dict[str, str]:
    """The descriptions of the ``Attributes:`` section of a Google-style class docstring."""
    doc = inspect.getdoc(cls) or ""
    found: dict[str, str] = {}
    inside = False
    current: str | None = None
    for line in doc.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            section = _SECTION.match(line)
            inside = bool(section and section.group(1) == "Attributes")
            current = None
            continue
        if not inside:
            continue
        depth = len(line) - len(line.lstrip())
        entry = _ENTRY.match(line.strip())
        if depth <= 4 and entry:
            current = entry.group(1)
            found[current] = entry.group(3).strip()
        elif current is not None:
            found[current] = (found[current] + " " + line.strip()).strip()
    return found
