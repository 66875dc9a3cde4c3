"""The wire format: the one place that knows how an event looks as JSON.

An event is a JSON object whose keys are the dataclass fields in declaration order, written with
:func:`json.dumps`' default separators and enums as their names: byte for byte what PyTorch's
``json.dumps(dataclasses.asdict(event))`` writes for a valid event. Each field's kind (string,
integer, enum, metadata) is read off the dataclass annotations, so checking at construction,
decoding, encoding and the JSON Schema all follow the same declaration.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import itertools
import json
import math
import operator
import re
import sys
import types
from enum import Enum
from operator import attrgetter

from elastic_events._errors import InvalidEventError

# typing costs milliseconds to import and is needed by type checkers only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, Protocol, TypeVar

    _Event = TypeVar("_Event")

    class _Kind(Protocol):
        @property
        def plain_types(self) -> tuple[type, ...]:
            """The exact types of this kind's values that encode() writes after a quick look."""

        @property
        def json_types(self) -> tuple[type, ...]:
            """The exact types, as json.loads() gives them, of this kind's values that a reader
            accepts after a quick look (see plain_event())."""

        def check(self, value: Any, name: str) -> Any:
            """Return ``value``, or its canonical form, or raise InvalidEventError."""

        def schema(self) -> dict[str, Any]:
            """Return the JSON Schema of the values this kind accepts."""


SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: The largest magnitude of a number in an event, integer or not: the largest finite double
#: (about 1.8e308), so that any JSON reader, even one that reads every number as a double
#: (JavaScript, jq), reads each one without overflow. A larger integer, in a field or in
#: metadata, is rejected with :class:`InvalidEventError` by the constructors and by
#: ``deserialize()``, and the JSON Schema says so with ``minimum`` and ``maximum``.
MAX_NUMBER = sys.float_info.max
#: No integer within :data:`MAX_NUMBER` has more decimal digits than this (309): a decoder may
#: refuse a longer integer literal before converting it, which Python does in quadratic time.
MAX_INTEGER_DIGITS = len(str(int(MAX_NUMBER)))

# allow_nan=False: NaN and the infinities raise instead of leaving RFC 8259. A shared encoder
# keeps json's C fast path; json.dumps(..., allow_nan=False) would build an encoder per call.
_ENCODER = json.JSONEncoder(allow_nan=False)


def _instance(value: Any, cls: type | tuple[type, ...]) -> bool:
    """isinstance() by the value's own type: isinstance() believes a ``__class__`` that says
    ``str`` (as mocks do), and the JSON encoder does not."""
    return issubclass(type(value), cls)


def _within(number: int) -> bool:
    """Whether an int, or an instance of an int subclass, lies within ±MAX_NUMBER. Compared as
    a plain int: a comparison with a subclass's instance may call its own methods (even
    float's comparison does, for the largest ints)."""
    return -MAX_NUMBER <= int.__int__(number) <= MAX_NUMBER


def _describe(value: Any) -> str:
    """Name a value and its type as a reader of the JSON would: ``1.5 (a number)``."""
    kind = _json_type(value)
    if _instance(value, int) and not _within(value):
        # repr() of an int of more than sys.get_int_max_str_digits() digits raises.
        return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    try:
        shown = repr(value)
    except Exception:  # A caller's object whose __repr__ raises: say what it is all the same.
        shown = f"<{type(value).__qualname__} object whose repr() raised>"
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return shown if value is None else f"{shown} ({kind})"


def _number_range() -> dict[str, Any]:
    return {"minimum": -MAX_NUMBER, "maximum": MAX_NUMBER}


class _String:
    #: The types that need no further look to be written as this kind (see _Spec.plain_types).
    plain_types: tuple[type, ...] = (str,)
    json_types = plain_types

    def check(self, value: Any, name: str) -> Any:
        if _instance(value, str):
            return value
        raise InvalidEventError(
            f"field {name!r} must be a string; got {_describe(value)}", path=(name,), value=value
        )

    def schema(self) -> dict[str, Any]:
        return {"type": "string"}


class _Integer:
    """An integer within ±MAX_NUMBER; an integral float (``12.0``) is the same JSON number."""

    def __init__(self, nullable: bool) -> None:
        self.nullable = nullable
        self.plain_types: tuple[type, ...] = (int, type(None)) if nullable else (int,)
        self.json_types = self.plain_types

    def check(self, value: Any, name: str) -> Any:
        if _instance(value, int) and not _instance(value, bool):
            if _within(value):
                return value
            raise InvalidEventError(
                f"field {name!r} must be an integer within ±{MAX_NUMBER!r} (the range of a "
                f"double); got {_describe(value)}"
            )
        # JSON has one kind of number, and the schema's "integer" is any integral one: 12.0 is
        # the integer 12 (a finite float is within MAX_NUMBER by definition).
        if _instance(value, float) and float.is_integer(value):  # Not a subclass's own.
            return int(float.__float__(value))
        if value is None and self.nullable:
            return value
        allowed = "an integer or null" if self.nullable else "an integer"
        raise InvalidEventError(
            f"field {name!r} must be {allowed}; got {_describe(value)}", path=(name,), value=value
        )

    def schema(self) -> dict[str, Any]:
        return {"type": ["integer", "null"] if self.nullable else "integer", **_number_range()}


class _Choice:
    """A str enum, written as its member's name and read back from it."""

    def __init__(self, enum: type[Enum]) -> None:
        # JSON's encoder writes a member of a str enum as its characters, its value: that is
        # its name, which readers look up, only if the two are the same.
        if not issubclass(enum, str) or any(
            str.__str__(member) != member.name for member in enum.__members__.values()
        ):
            raise TypeError(
                f"no wire format for a field annotated {enum!r}: only a str enum whose members' "
                "values are their names is written as its members' names"
            )
        self.enum = enum
        self.members = dict(enum.__members__)  # EnumType.__members__ builds a proxy per read
        self.names = tuple(self.members)
        self.plain_types: tuple[type, ...] = (enum,)
        self.json_types: tuple[type, ...] = (str,)  # A member's name, if it is one.

    def check(self, value: Any, name: str) -> Any:
        if _instance(value, self.enum):
            return value
        if _instance(value, str) and value in self.members:
            return self.members[value]
        raise InvalidEventError(
            f"field {name!r} must be one of {_listed(self.names)} ({_a(self.enum.__name__)}); "
            f"got {_describe(value)}",
            path=(name,),
            value=value,
        )

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.names)}


def _plain_metadata(
    value: Any,
    # Bound as defaults: locals are read faster than globals, and this runs for every event.
    type: type = type, str: type = str, int: type = int, float: type = float, bool: type = bool,
    dict: type = dict, low: float = -MAX_NUMBER, high: float = MAX_NUMBER,
) -> bool:  # fmt: skip
    """The common case, in one pass: a dict whose keys are exactly str, whose values are
    exactly str, None, or a bool, int or float within ±MAX_NUMBER (NaN and the infinities are
    not: one chained comparison bounds the ints and refuses them).

    Types are told apart by identity, not ``==``, ``in`` or a set: comparing or hashing a type
    may call its metaclass, which can say that it is ``str``. A loop of identity tests also
    costs less than C-level passes over the keys, the values, the ints and the floats.
    """
    if type(value) is not dict:
        return False
    try:
        for key, item in value.items():
            if type(key) is not str:
                return False
            kind = type(item)
            if kind is str or item is None:
                continue
            if (kind is int or kind is float or kind is bool) and low <= item <= high:
                continue
            return False
    except RuntimeError:  # Another thread resized the dict meanwhile: the full check decides.
        return False
    return True


# Metadata of more items is looked at in full: see _same_objects.
_SAME_OBJECTS_MAX = 64


@functools.cache  # Of at most _SAME_OBJECTS_MAX + 1 sizes.
def _same_objects(size: int) -> Callable[[dict[Any, Any], tuple[Any, ...]], bool]:
    """Make the function that tells whether a dict of *size* items holds the keys and values
    of a remembered one, in the same order, told by identity. Its source names each, as
    _plain_fields_check's does: ``all(map(operator.is_, ...))`` costs half as much again."""
    mine = "".join(f"a{n}, " for n in range(size)) or "()"
    known = mine.replace("a", "b")
    same = " and ".join(f"a{n} is b{n}" for n in range(size)) or "True"
    source = (
        "def same_objects(a, parts):\n"
        "    try:  # Not of size items (maybe resized by another thread meanwhile).\n"
        f"        {mine} = a\n"
        f"        {known} = parts[2]\n"
        f"        if not ({same}):\n"
        "            return False\n"
        f"        {mine} = a.values()\n"
        f"        {known} = parts[3]\n"
        f"        return {same}\n"
        "    except ValueError:\n"
        "        return False\n"
    )
    scope: dict[str, Any] = {}
    exec(source, scope)  # Our own source, made of the item numbers only.
    found: Callable[[dict[Any, Any], tuple[Any, ...]], bool] = scope["same_objects"]
    return found


def _parts(known: dict[str, Any]) -> tuple[Any, ...]:
    """*known*, the function that compares a dict with it (see _same_objects), and its keys and
    values (in tuples, read faster than from a dict)."""
    size = len(known)
    same = _same_objects(size) if size <= _SAME_OBJECTS_MAX else _differs
    return known, same, tuple(known), tuple(known.values())


def _differs(value: dict[str, Any], parts: tuple[Any, ...]) -> bool:
    """What compares a dict with one of more than _SAME_OBJECTS_MAX items: it is looked at."""
    return False


class _Metadata:
    """A flat JSON object: string keys, scalar values, finite numbers within ±MAX_NUMBER."""

    plain_types: tuple[type, ...] = (dict,)
    json_types = plain_types

    def __init__(self) -> None:
        # A copy of the metadata that check() last found plain when an event was built, so
        # that encode(), which runs right after, writes it without looking at each object
        # again. Nothing changes it: it is given to the JSON encoder only.
        self.known: dict[str, Any] = {}
        # What compares a dict with known (see _parts), made when first needed.
        self.parts = _parts(self.known)

    def check(self, value: Any, name: str) -> Any:
        if _plain_metadata(value):
            return value
        # Not plainly valid: find what is wrong, or accept subclasses of the scalar types.
        if not _instance(value, dict):
            raise InvalidEventError(
                f"field {name!r} must be an object; got {_describe(value)}",
                path=(name,),
                value=value,
            )
        # The items as the JSON encoder gets them (a subclass may override items()), taken in
        # one step: what the checks below run (a value's __eq__) cannot change what they see.
        items = _items_of(value, name)
        self._check_items(items, name)
        _distinct_keys([key for key, _ in items], name)
        if not _same_items(items, _items_of(value, name)):
            raise InvalidEventError(
                f"{name} changed while it was checked (by another thread, or by the code of "
                "one of its keys or values); give metadata that nothing changes meanwhile",
                path=(name,),
                value=value,
            )
        return value

    def plain_copy(self, fields: dict[str, Any], name: str) -> bool:
        """Put in place of ``fields[name]``, a dict, a copy of it that nothing else holds, to
        write; say whether it is plain.

        The copy is the dict last remembered if ``fields[name]`` holds its very objects, in the
        same order: told by identity, which no code of theirs can fake (a key's ``__eq__`` and
        ``__hash__``, a value's metaclass). Else it is a new copy, looked at in full.
        """
        value, known, parts = fields[name], self.known, self.parts
        if parts[0] is not known:  # Another thread may set known meanwhile: parts[0] tells.
            self.parts = parts = _parts(known)
        if parts[1](value, parts):
            fields[name] = known
            return True
        fields[name] = value = value.copy()  # In one step: what is checked is what is written.
        plain = _plain_metadata(value)
        if plain:  # Remembered: the next serialize() of the same event looks at it no more.
            self.known = value
        return plain

    def snapshot(self, value: Any, name: str) -> Any:
        """What encode() checks and writes of *value*: a dict of its items at one instant."""
        return dict(_items_of(value, name)) if _instance(value, dict) else value

    @staticmethod
    def _check_items(items: list[tuple[Any, Any]], name: str) -> None:
        for key, item in items:
            if not _instance(key, str):
                raise InvalidEventError(
                    f"{name} keys must be strings; got {_describe(key)}", path=(name,), value=key
                )
            if item is None or (_instance(item, str) and _reads_back(item, str.__str__, name, key)):
                continue
            if _instance(item, int):
                if _within(item) and _reads_back(item, int.__int__, name, key):
                    continue
                raise InvalidEventError(
                    f"{name}[{key!r}] must lie within ±{MAX_NUMBER!r} (the range of a double); "
                    f"got {_describe(item)} (write it as a string instead)",
                    path=(name, key),
                    value=item,
                )
            if _instance(item, float):
                if math.isfinite(item) and _reads_back(item, float.__float__, name, key):
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

    def schema(self) -> dict[str, Any]:
        # minimum and maximum bound numbers only: a finite double is within them, inf is not.
        scalar = {"type": ["string", "number", "boolean", "null"], **_number_range()}
        return {"type": "object", "additionalProperties": scalar}


def _distinct_keys(keys: list[Any], name: str) -> None:
    """Raise if a key of a str subclass does not equal and hash as its characters, which JSON
    writes: two keys could then be written alike (a line with a key twice, which readers
    refuse), and the event would not read back equal."""
    for key in keys:
        if type(key) is not str and not _like_its_characters(key):
            raise InvalidEventError(
                f"{name} keys must be strings; got {_describe(key)}, which does not equal or "
                "hash as its own characters",
                path=(name,),
                value=key,
            )


def _items_of(value: dict[Any, Any], name: str) -> list[tuple[Any, Any]]:
    """The items of a dict, or of a dict subclass, as a list: one C-level step for a dict."""
    try:
        items = list(dict.items(value) if type(value) is dict else value.items())
        if all(type(item) is tuple and len(item) == 2 for item in items):
            return items
    except Exception:  # A subclass's items() that raises.
        pass
    raise InvalidEventError(
        f"{name} must be an object whose items() gives (key, value) pairs, as a dict's does; "
        f"got {_describe(value)}",
        path=(name,),
        value=value,
    )


def _same_items(items: list[tuple[Any, Any]], again: list[tuple[Any, Any]]) -> bool:
    """Whether two lists of items hold the same objects: told by identity, which no code of
    theirs can fake."""
    return len(items) == len(again) and all(
        map(operator.is_, itertools.chain(*items), itertools.chain(*again))
    )


def _reads_back(item: Any, plain: Callable[[Any], Any], name: str, key: str) -> bool:
    """True if a metadata value, maybe of a subclass, equals its *plain* value, which JSON
    writes and a reader gets back; else raise."""
    if type(item) is bool or _like_its_value(item, plain(item), hashed=False):
        return True
    raise InvalidEventError(
        f"{name}[{key!r}] is {_describe(item)}, which does not equal its own value "
        f"{plain(item)!r}, as read back from JSON (give a plain value)",
        path=(name, key),
        value=item,
    )


def _like_its_characters(key: str) -> bool:
    # A plain str of them, whatever the subclass's __str__.
    return _like_its_value(key, str.__str__(key), hashed=True)


def _like_its_value(value: Any, plain: Any, hashed: bool) -> bool:
    """Whether *value* equals (and if *hashed*, hashes as) *plain*, the value of its base type."""
    try:
        return bool(value == plain) and (not hashed or hash(value) == hash(plain))
    except Exception:  # An __eq__, __bool__ or __hash__ that raises.
        return False


def _json_type(value: Any) -> str:
    """What a reader of the JSON calls the type of *value*: ``a string``, ``an integer``..."""
    kind = type(value)
    for plain, word in _JSON_TYPE_NAMES:
        if kind is plain:  # Not a dict lookup: hashing a type may call an odd metaclass.
            return word
    return f"a {kind.__qualname__}"


_JSON_TYPE_NAMES = (
    (str, "a string"), (bool, "a boolean"), (int, "an integer"), (float, "a number"),
    (list, "an array"), (dict, "an object"), (type(None), "null"),
)  # fmt: skip


class _Field:
    __slots__ = ("description", "field", "kind", "name", "required")

    def __init__(self, field: dataclasses.Field[Any], description: str) -> None:
        self.name = field.name
        self.field = field
        self.kind = _kind_of(field.type)
        self.required = field.default is field.default_factory is dataclasses.MISSING
        self.description = description

    def default(self) -> Any:
        """The field's default, a new object each time for a default factory."""
        if self.field.default_factory is dataclasses.MISSING:
            return self.field.default
        return self.field.default_factory()


class _Spec:
    """What the wire format needs to know about an event class, read off it once."""

    __slots__ = (
        "checks", "choices", "cls", "fields", "integer_names", "json_types", "metadata_kinds",
        "name_set", "names", "plain_fields", "required", "summary", "values",
    )  # fmt: skip

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.summary, docs = _attribute_docs(cls)
        self.fields = fields = tuple(
            _Field(f, docs.get(f.name, "")) for f in dataclasses.fields(cls)
        )
        self.names = tuple(f.name for f in self.fields)
        self.required = frozenset(f.name for f in self.fields if f.required)
        self.values = attrgetter(*self.names)
        self.name_set = frozenset(self.names)
        self.checks = tuple((f.name, f.kind.check) for f in self.fields)
        # What encode() checks before writing, fast: see _plain_fields_check.
        self.plain_fields = _plain_fields_check(fields)
        self.integer_names = tuple(f.name for f in self.fields if isinstance(f.kind, _Integer))
        self.metadata_kinds = tuple(
            (f.name, f.kind) for f in self.fields if isinstance(f.kind, _Metadata)
        )
        # What plain_event() checks, alike: JSON's types, then enum names, ranges, metadata.
        self.json_types = frozenset(itertools.product(*(f.kind.json_types for f in self.fields)))
        self.choices = tuple(
            (f.name, f.kind.members) for f in self.fields if isinstance(f.kind, _Choice)
        )


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
    """Check every field of ``event``, putting values in canonical form (enum members for
    their names, ``12`` for ``12.0``).

    Raises:
        InvalidEventError: a field is missing or holds what the wire format cannot carry.
    """
    try:
        spec = _specs[type(event)]
    except KeyError:
        spec = _spec_of(type(event))
    fields = event.__dict__
    plain = True
    for name, kind in spec.metadata_kinds:
        value = fields.get(name)
        if type(value) is dict:
            # Checked and remembered as one copy, taken in one step: another thread changing
            # the dict meanwhile cannot make the remembered objects differ from those checked.
            value = value.copy()
        if _plain_metadata(value):
            kind.known = value  # Whatever the other fields are: see encode().
        else:
            plain = False
    if not (plain and spec.plain_fields(fields)):
        _check_each(spec, event)  # Also makes enum names (as JSON has them) members.


def _plain_fields_check(fields: tuple[_Field, ...]) -> Callable[[dict[str, Any]], bool]:
    """Make the function that tells whether an event's instance dict holds its fields in
    declaration order, each value of a plain type (told apart by identity, as in
    _plain_metadata), the integers within ±MAX_NUMBER.

    The dataclass __init__ stores the fields in that order: the instance dict is the JSON object
    already, unless something else was stored on the instance or a field was deleted. Its keys
    are the fields' names themselves (attribute names are interned), or exact strs equal to
    them (a dict read from JSON): a str subclass could say that it equals one. Its source
    names each key and value, as the __init__ of a dataclass is made: a loop over the fields
    and their types costs twice as much, and this runs for every event built or written.
    """
    scope: dict[str, Any] = {"LOW": -MAX_NUMBER, "HIGH": MAX_NUMBER}
    keys, tests = [], []
    for number, f in enumerate(fields):
        key, value, plain = f"k{number}", f"v{number}", f"T{number}"
        scope[f"N{number}"], scope[plain] = f.name, f.kind.plain_types[0]
        keys.append(f"({key} is N{number} or (type({key}) is str and {key} == N{number}))")
        if f.kind.plain_types[0] is not int:
            tests.append(f"type({value}) is {plain}")
        elif len(f.kind.plain_types) == 1:
            tests.append(f"(type({value}) is int and LOW <= {value} <= HIGH)")
        else:  # A nullable integer.
            tests.append(f"({value} is None or (type({value}) is int and LOW <= {value} <= HIGH))")
    names = "".join(f"k{number}, " for number in range(len(fields)))
    values = "".join(f"v{number}, " for number in range(len(fields)))
    source = (
        "def plain_fields(fields):\n"
        "    try:\n"
        f"        {names} = fields\n"
        "    except ValueError:  # Not as many keys as fields.\n"
        "        return False\n"
        f"    if not ({' and '.join(keys)}):\n"
        "        return False\n"
        f"    {values} = fields.values()\n"
        f"    return {' and '.join(tests)}\n"
    )
    exec(source, scope)  # Our own source, made of the field numbers only.
    check: Callable[[dict[str, Any]], bool] = scope["plain_fields"]
    return check


def _check_each(spec: _Spec, event: Any) -> None:
    for f in spec.fields:
        value = getattr(event, f.name, _ABSENT)
        if value is _ABSENT:
            raise InvalidEventError(f"field {f.name!r} is missing (it was deleted)")
        canonical = f.kind.check(value, f.name)
        if canonical is not value:
            setattr(event, f.name, canonical)


# The C encoder of json.dumps(), built once instead of per call, for flat objects; with no check
# for circular references (markers=None): only checked flat events reach it. An interpreter
# without the _json accelerator writes with the shared encoder.
_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_FLAT: Callable[[Any, int], Any] = (
    _make_encoder(
        None, None, json.encoder.encode_basestring_ascii, None, ": ", ", ", False, False, False
    )
    if _make_encoder
    else lambda fields, level: (_ENCODER.encode(fields),)
)


def encode(event: Any) -> str:
    """Return the one-line JSON of an event, byte-identical to PyTorch's for a valid event.

    Fields changed after construction are checked again: only a line that ``deserialize()``
    reads back is returned.

    Raises:
        InvalidEventError: a field holds what the wire format cannot carry; the message names
            the field (or the metadata key).
    """
    try:
        spec = _specs[type(event)]
    except KeyError:
        spec = _spec_of(type(event))
    # This runs for every event recorded. What is checked and written is a copy of the fields,
    # taken in one step, holding copies of the metadata (see plain_copy): another thread that
    # changes the event meanwhile cannot make the line differ from what was checked.
    fields = event.__dict__.copy()
    plain = spec.plain_fields(fields)
    for name, kind in spec.metadata_kinds:
        if plain:  # The field is a dict: its exact type was checked above.
            plain = kind.plain_copy(fields, name)
    if plain:  # Its keys and values are of exact, immutable types: the encoder cannot fail.
        return "".join(_FLAT(fields, 0))
    # Not plainly valid: check every field, saying which one is wrong and putting it in canonical
    # form; then check a copy again (the event may change meanwhile) and write that copy.
    check(event)
    copy = object.__new__(type(event))
    copy.__dict__ = fields = event.__dict__.copy()
    for name, kind in spec.metadata_kinds:
        if name in fields:
            fields[name] = kind.snapshot(fields[name], name)
    check(copy)
    return _ENCODER.encode(dict(zip(spec.names, spec.values(copy), strict=True)))


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


def _unique_keys(pairs: list[tuple[str, Any]], dict: type = dict, len: Any = len) -> Any:
    data = dict(pairs)  # dict and len bound as defaults: this runs for every object read.
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
    """The first key seen before; called only when one is."""
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            return key
        seen.add(key)
    raise AssertionError("no key repeats")  # pragma: no cover - unreachable, see above


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


# The decoder's own scanner (json's C scanner), called without JSONDecoder.decode's Python
# wrapper and its two regular expressions a line.
_scan = json.JSONDecoder(
    object_pairs_hook=_unique_keys, parse_constant=_reject_constant, parse_float=_finite_float
).scan_once  # type: ignore[attr-defined]  # set by JSONDecoder.__init__; typeshed lacks it
_WHITESPACE = " \t\n\r"  # RFC 8259's


def parse_json(text: str | bytes | bytearray) -> object:
    """Parse one JSON document as every reader of elastic_events does.

    ``deserialize()``, :class:`~elastic_events.EventLog`, ``elastic-events validate`` and the
    Sphinx directives all read JSON through this one function, so they accept and reject the
    same documents. The policy:

    * RFC 8259 JSON; bytes must be UTF-8 (a leading UTF-8 byte order mark is ignored; UTF-16
      and UTF-32 are refused, with a word on how to convert them);
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

    .. versionadded:: 0.1
    """
    return _decode_text(text)


def _decode_text(text: str | bytes | bytearray) -> Any:
    """:func:`parse_json`, typed for the readers in this package that index its result."""
    if not isinstance(text, str):
        raw = text
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            wide = _wide_bom(raw)
            if wide:
                raise InvalidEventError(wide, reason=wide, value=bytes(raw[:4])) from None
            byte = bytes(raw[error.start : error.start + 1])
            line = raw.count(b"\n", 0, error.start) + 1
            column = error.start - raw.rfind(b"\n", 0, error.start)
            raise InvalidEventError(
                f"not UTF-8 text: byte {byte[0]:#04x} at line {line}, column {column} "
                f"({error.reason})",
                reason=f"not UTF-8 text ({error.reason})",
                value=byte,
                line=line,
                column=column,
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
    start = len(text) - len(text.lstrip(_WHITESPACE)) if text[:1] in _WHITESPACE else 0
    try:  # As json.loads does, without JSONDecoder.decode's wrapper.
        try:
            value, end = _scan(text, start)
        except StopIteration as error:
            raise json.JSONDecodeError("Expecting value", text, error.value) from None
        if end != len(text):
            rest = text[end:]
            extra = len(rest) - len(rest.lstrip(_WHITESPACE))
            if extra != len(rest):
                raise json.JSONDecodeError("Extra data", text, end + extra)
        return value
    except InvalidEventError:
        raise
    except json.JSONDecodeError as error:
        raise InvalidEventError(
            f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}",
            reason=error.msg,
            line=error.lineno,
            column=error.colno,
        ) from None
    except ValueError as error:  # An integer of more digits than int() converts (never if 0).
        raise InvalidEventError(
            f"not read: an integer of more than {sys.get_int_max_str_digits()} digits ({error})",
            reason="an integer of too many digits",
        ) from None
    except RecursionError:  # Only with a recursion limit set far below Python's default.
        raise InvalidEventError(
            "not read: the JSON nests too deeply for this interpreter's recursion limit",
            reason="nested deeper than the recursion limit",
        ) from None


_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def _wide_bom(raw: bytes | bytearray) -> str:
    """What to say of bytes that start with a UTF-16 or UTF-32 byte order mark; else ``""``."""
    encoding = next((name for bom, name in _WIDE_BOMS if raw.startswith(bom)), "")
    return encoding and (
        f"not UTF-8 text: {encoding} text (it starts with a {encoding} byte order mark); "
        f"event JSON is UTF-8: convert it first (iconv -f {encoding} -t UTF-8)"
    )


def _too_deep(text: str) -> bool:
    """Whether *text* nests brackets deeper than MAX_DEPTH, outside of its strings."""
    steps = (1 if bracket in "[{" else -1 for bracket in _BRACKETS.findall(_STRINGS.sub("", text)))
    return max(itertools.accumulate(steps, initial=0)) > MAX_DEPTH


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "AEIOU" else f"a {noun}"


def _listed(names: Iterable[str]) -> str:
    return ", ".join(map(repr, names))


def json_schema(event_class: type) -> dict[str, object]:
    """Return the JSON Schema (draft 2020-12) of ``event_class``'s JSON, for log pipelines.

    Generated from the dataclass, so it follows the code: every line that ``serialize()`` writes
    validates, and every document that validates is read back by ``deserialize()``, which
    rejects every document that does not. Field descriptions come from the class's
    documentation. Each call returns a new object, which the caller may change.

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
            prop["default"] = f.default()  # A new object: the caller may edit the schema.
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


# Most lines of a log hold an event as json.dumps() wrote it: every field, in declaration order,
# each of its plain JSON type. Such a line is read by the C scanner alone (keys still checked for
# repeats; NaN and overflowing floats, which it reads, are refused below as metadata that is not
# finite) and checked in a few C-level passes. Every other line is read by parse_json(),
# classify() and validate(), which decide, and say what is wrong.
_plain_scan = json.JSONDecoder(object_pairs_hook=_unique_keys).scan_once  # type: ignore[attr-defined]


def plain_event(text: str, classes: tuple[type, ...]) -> tuple[type, dict[str, Any]] | None:
    """The class and the object of the plainly valid event that *text* holds, or ``None``.

    ``None`` says nothing of the text: read it with :func:`parse_json` and check it with
    :func:`classify` and :func:`validate`. A result is what those would accept.
    """
    if len(text) > MAX_LENGTH:
        return None
    try:
        data, end = _plain_scan(text, 0)
    except (ValueError, StopIteration, RecursionError, InvalidEventError):
        return None
    if type(data) is not dict or (end != len(text) and text[end:].strip(_WHITESPACE)):
        return None
    spec = (_names.get(classes) or _by_names(classes)).get(tuple(data))
    if spec is None or tuple(map(type, data.values())) not in spec.json_types:
        return None
    for name, members in spec.choices:
        if data[name] not in members:
            return None
    for name in spec.integer_names:
        value = data[name]
        if value is not None and not -MAX_NUMBER <= value <= MAX_NUMBER:
            return None
    for name, _ in spec.metadata_kinds:
        if not _plain_metadata(data[name]):
            return None
    return spec.cls, data


def plain_built(cls: type[_Event], data: dict[str, Any]) -> _Event:
    """The event that :func:`plain_event` found, built without checking it again.

    *data* is the object plain_event returned (it is taken over): every field there, in
    declaration order, plainly valid; only the enum fields' names become their members, as
    ``decode(cls, data)`` makes them. Building that way would check every field once more.
    """
    spec = _specs[cls]
    for name, members in spec.choices:
        data[name] = members[data[name]]
    event = object.__new__(cls)
    event.__dict__ = data  # What the dataclass __init__ stores, in the same order.
    for name, kind in spec.metadata_kinds:
        kind.known = data[name].copy()  # The event holds data[name], which may change.
    return event


_names: dict[tuple[type, ...], dict[tuple[str, ...], _Spec]] = {}


def _by_names(classes: tuple[type, ...]) -> dict[tuple[str, ...], _Spec]:
    try:
        return _names[classes]
    except KeyError:
        found = _names[classes] = {_spec_of(cls).names: _spec_of(cls) for cls in classes}
        return found


def validate(cls: type, data: dict[str, Any]) -> None:
    """Check that a decoded JSON object is a valid ``cls`` event, without building it.

    Raises:
        InvalidEventError: exactly what ``decode(cls, data)`` would raise.
    """
    spec = _spec_of(cls)
    keys = data.keys()
    if not (keys <= spec.name_set and spec.required <= keys):
        decode(cls, data)  # Says which field is unknown or missing.
    get = data.get
    for name, check in spec.checks:
        value = get(name, _ABSENT)
        if value is not _ABSENT:
            check(value, name)


_ABSENT = object()
