"""Hypothesis strategies: valid events (every value the wire format can carry), and hostile
input (the values, mutations and JSON documents that it must refuse, or read, cleanly)."""

from __future__ import annotations

import dataclasses
import json

from hypothesis import strategies as st

from elastic_events import Event, EventSource, NodeState, RdzvEvent, _wire

# Any unicode, empty strings, and the characters JSON must escape.
text = st.text() | st.sampled_from(["", '"', "\\", "\n", "\x00", "\u2028", "é", "\U0001f680"])
# Python ints are unbounded, JSON numbers too: huge ones, up to the wire format's bound (the
# largest double), must survive the trip.
_LARGEST = int(_wire.MAX_NUMBER)
integers = (
    st.integers(min_value=-(2**64), max_value=2**64)
    | st.integers(min_value=-(10**80), max_value=10**80)
    | st.integers(min_value=-_LARGEST, max_value=_LARGEST)
)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
metadata_values = st.none() | st.booleans() | integers | finite_floats | text
metadata = st.dictionaries(text, metadata_values, max_size=16)

events = st.builds(
    Event,
    name=text,
    source=st.sampled_from(EventSource),
    timestamp=integers,
    metadata=metadata,
)

rdzv_events = st.builds(
    RdzvEvent,
    name=text,
    run_id=text,
    message=text,
    hostname=text,
    pid=integers,
    node_state=st.sampled_from(NodeState),
    master_endpoint=text,
    rank=st.none() | integers,
    local_id=st.none() | integers,
    error_trace=text,
)

any_event = events | rdzv_events


# Hostile input: the shapes a caller (or a mutation of an event) may put where a value goes.

#: Integers on both sides of the wire format's bound, and far beyond what repr() converts.
LIMIT = _LARGEST
edge_integers = (
    st.integers()
    | st.integers(min_value=LIMIT - 2**20, max_value=LIMIT + 2**20).map(lambda n: n * (-1) ** n)
    | st.integers(min_value=300, max_value=6_000).map(lambda digits: 10**digits)
    | st.integers(min_value=4_301, max_value=5_000).map(lambda digits: -(10**digits))
    | st.integers(min_value=1_024, max_value=1_100).map(lambda bits: 2**bits)
)


class RaisingRepr:
    """A caller's object whose __repr__ and __str__ raise."""

    def __repr__(self) -> str:
        raise RuntimeError("repr() of a hostile object")

    __str__ = __repr__


class Weird(str):
    """A str subclass whose repr raises: still a string for the wire."""

    def __repr__(self) -> str:
        raise RuntimeError("repr() of a hostile string")


hostile_scalars = (
    st.none()
    | st.booleans()
    | edge_integers
    | st.floats()  # NaN, the infinities, integral floats such as 12.0 and 1e308
    | text
    | st.sampled_from([EventSource.AGENT, NodeState.FAILED, "SOMEBODY", b"bytes"])
    | st.builds(object)
    | st.builds(RaisingRepr)
    | text.map(Weird)
)
hostile_values = st.recursive(
    hostile_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner)
        | st.dictionaries(text | edge_integers | st.none(), inner, max_size=3)
        | st.frozensets(st.integers(), max_size=2)
    ),
    max_leaves=6,
)
#: Keys a mutated metadata dict may get.
hostile_keys = text | edge_integers | st.none() | st.booleans() | st.floats() | st.tuples(text)


@st.composite
def mutations(draw: st.DrawFn, event: Event | RdzvEvent) -> str:
    """Change ``event`` as careless code does, after construction; return what was changed."""
    names = [f.name for f in dataclasses.fields(event)]
    how = draw(st.sampled_from(["field", "metadata", "delete"] if isinstance(event, Event) else
                               ["field", "delete"]))  # fmt: skip
    if how == "metadata":
        key = draw(hostile_keys)
        assert isinstance(event, Event)
        event.metadata[key] = draw(hostile_values)  # type: ignore[index]
        return "metadata"
    name = draw(st.sampled_from(names))
    if how == "delete":
        delattr(event, name)
    else:
        setattr(event, name, draw(hostile_values))
    return name


#: JSON number literals a document may carry, as text: integral floats, exponents, huge ones.
number_literals = (
    integers.map(str)
    | finite_floats.map(repr)
    | st.sampled_from(
        [
            "12.0",
            "-0",
            "-0.0",
            "1E2",
            "1e308",
            "1e309",
            "-1e999",
            "2.5e-324",
            "1.7976931348623157e308",
            "1.7976931348623159e308",
        ]
    )
    | st.integers(min_value=300, max_value=400).map(lambda digits: "9" * digits)
    | st.integers(min_value=LIMIT - 10, max_value=LIMIT + 10).map(str)
)


def _json_texts(scalars: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3).map(lambda items: f"[{', '.join(items)}]")
            | st.dictionaries(text.map(json.dumps), inner, max_size=3).map(
                lambda members: "{" + ", ".join(f"{k}: {v}" for k, v in members.items()) + "}"
            )
        ),
        max_leaves=4,
    )


json_scalar_texts = (
    number_literals
    | text.map(json.dumps)
    | st.sampled_from(["true", "false", "null"])
    | st.sampled_from([*EventSource.__members__, *NodeState.__members__, "agent"]).map(json.dumps)
)
json_value_texts = _json_texts(json_scalar_texts)


@st.composite
def near_documents(draw: st.DrawFn, cls: type) -> str:
    """The JSON text of an object shaped like a ``cls`` event, some fields wrong or missing."""
    names = [f.name for f in dataclasses.fields(cls)]
    keys = draw(st.lists(st.sampled_from(names) | text, unique=True, max_size=len(names) + 1))
    if draw(st.booleans()):  # Mostly complete: every required field, then some changed.
        keys = list(dict.fromkeys([*names[: 2 if cls is Event else 6], *keys]))
    members = []
    for key in keys:
        if key == "metadata" and draw(st.booleans()):
            value = draw(st.dictionaries(text.map(json.dumps), json_scalar_texts, max_size=4))
            members.append(f'"metadata": {{{", ".join(f"{k}: {v}" for k, v in value.items())}}}')
        else:
            members.append(f"{json.dumps(key)}: {draw(json_value_texts)}")
    return "{" + ", ".join(members) + "}"


@st.composite
def ordered_documents(draw: st.DrawFn, cls: type) -> str:
    """The JSON text of an object with every field of ``cls`` in declaration order, as the
    fast path of the readers takes it: a valid event's, with some values changed to others of
    any JSON type, NaN, overflowing, huge or repeated keys in metadata: what only the full
    reading may refuse."""
    valid = json.loads(draw(events if cls is Event else rdzv_events).serialize())
    members = []
    for name, value in valid.items():
        if name == "metadata" and draw(st.booleans()):
            scalars = json_scalar_texts | st.sampled_from(["NaN", "-Infinity", "1e999", "[]"])
            pairs = draw(st.lists(st.tuples(text.map(json.dumps), scalars), max_size=4))
            if pairs and draw(st.booleans()):
                pairs.append((pairs[0][0], "0"))  # A key twice.
            members.append(f'"metadata": {{{", ".join(f"{k}: {v}" for k, v in pairs)}}}')
        else:
            changed = draw(st.integers(0, 4)) == 0
            members.append(
                f"{json.dumps(name)}: {draw(json_value_texts) if changed else json.dumps(value)}"
            )
    return "{" + ", ".join(members) + "}" + draw(st.sampled_from(["", " ", "\n", " x"]))


# Hostile input for the readers (tests/test_hostile_read.py).

#: Characters that hide or disguise text: format characters (zero-width, bidi controls, the
#: byte order mark, tags), lone surrogates, C0 and C1 controls.
disguising = st.sampled_from(
    [
        "\u200b",
        "\u200d",
        "\u202e",
        "\u202c",
        "\u2066",
        "\u2069",
        "\ufeff",
        "\u00ad",
        "\u061c",
        "\U000e0041",
        "\ud800",
        "\udfff",
        "\x1b",
        "\x85",
        "\x00",
    ]
)
#: Text with such characters mixed in.
disguised_text = st.lists(st.text(max_size=4) | disguising, max_size=12).map("".join)
#: JSON integers of about as many digits as Python converts (4300 by default), and more.
huge_integer_text = st.integers(min_value=1, max_value=6000).map(lambda n: "9" * n)
#: How lines of a log end: Unix, Windows, old Mac, or not at all.
line_endings = st.sampled_from([b"\n", b"\r\n", b"\r", b""])
#: Lines of a hostile log as bytes: valid events, cut JSON, invalid UTF-8, byte order marks,
#: NULs, long runs, other loggers' lines.
hostile_lines = st.one_of(
    events.map(lambda event: event.serialize().encode()),
    st.binary(max_size=64),
    st.sampled_from(
        [
            b'{"name": "x',
            b"\xef\xbb\xbf{}",
            b"\xff\xfe{",
            b"{" * 200,
            b"[" * 5000,
            b'{"name": "\xc3\x28", "source": "AGENT"}',
            b"\x00" * 10,
            b"INFO nothing here",
        ]
    ),
).filter(lambda line: b"\n" not in line and b"\r" not in line)


# Values whose type lies: about what it is, what it equals, its magnitude, or how it compares.
# The plain (fast) checks tell types apart by identity; each of these must still be refused,
# or written as a line that reads back.


class _SaysItIsEveryType(type):
    """A metaclass whose classes compare and hash equal to str (and to every other type)."""

    def __eq__(cls, other: object) -> bool:
        return True

    def __hash__(cls) -> int:
        return hash(str)


class Pretender(metaclass=_SaysItIsEveryType):
    """An object whose type says it is str, int, dict... to ``==``, ``in`` and sets."""


class ClassLiar:
    """An object whose ``__class__`` says str, as a mock's does: isinstance() believes it."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return str


class LyingInt(int):
    """An int whose comparisons, magnitude, index, float and equality all lie."""

    def __le__(self, other: object) -> bool:
        return True

    __ge__ = __lt__ = __gt__ = __le__

    def __abs__(self) -> int:
        return 0

    def __index__(self) -> int:
        return 0

    def __float__(self) -> float:
        return 0.0

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = int.__hash__


class LyingFloat(float):
    """A float that says it is integral, converts to a huge int and is within every bound."""

    def is_integer(self) -> bool:
        return True

    def __int__(self) -> int:
        return 10**400

    def __le__(self, other: object) -> bool:
        return True

    __ge__ = __lt__ = __gt__ = __le__


class TwinKey(str):
    """A str that never equals another object and hashes by identity: a dict holds it apart
    from the plain str of the same characters, which JSON writes alike."""

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)


lying_scalars = (
    st.builds(Pretender)
    | st.builds(ClassLiar)
    | edge_integers.map(LyingInt)
    | st.floats().map(LyingFloat)
    | text.map(TwinKey)
)
