"""Format events and schemas for the page: pretty JSON, linked JSON keys, schema table rows."""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from elastic_events import parse_json, visible_text


def pretty_json(line: str, indent: int = 2) -> str:
    """Pretty-print one serialized event, keeping the wire key order and non-ASCII text as is.

    Characters that would hide or disguise the text (what :func:`elastic_events.visible_text`
    escapes: format and bidirectional controls, lone surrogates) stay JSON escapes.

    >>> print(pretty_json('{"name": "caf\\\\u00e9", "rank": "\\\\u202e"}'))
    {
      "name": "café",
      "rank": "\\u202e"
    }
    """
    return indented_json(parse_json(line), indent)


_ENCODER = json.JSONEncoder(ensure_ascii=False)


def indented_json(value: Any, indent: int = 2) -> str:
    """``json.dumps(value, indent=indent, ensure_ascii=False)``, for values decoded from JSON.

    The same text, but built without :mod:`json`'s pure-Python encoder, which it falls back to
    whenever ``indent`` is given and whose nested closures leave reference cycles behind on every
    call: garbage only the cyclic collector frees, which slowed a build with hundreds of examples.

    >>> print(indented_json({"a": [1, {"b": None}], "é": {}, "c": []}))
    {
      "a": [
        1,
        {
          "b": null
        }
      ],
      "é": {},
      "c": []
    }
    """
    parts: list[str] = []
    _write(value, parts, " " * indent, "\n")
    return "".join(parts)


def _write(value: Any, parts: list[str], step: str, newline: str) -> None:
    scalar = _SCALARS.get(type(value))
    if scalar is not None:
        parts.append(scalar(value))
    elif isinstance(value, (dict, list)):
        _write_container(value, parts, step, newline)
    else:  # a subclass of a JSON type, or a float: as json writes it
        parts.append(_ENCODER.encode(value))


def _write_container(
    value: dict[Any, Any] | list[Any], parts: list[str], step: str, newline: str
) -> None:
    opening, closing = "{}" if isinstance(value, dict) else "[]"
    if not value:
        parts.append(opening + closing)
        return
    inner = newline + step
    separator = opening + inner
    for key, item in value.items() if isinstance(value, dict) else enumerate(value):
        parts.append(separator)
        if opening == "{":
            parts.append(_string(str(key)))
            parts.append(": ")
        _write(item, parts, step, inner)
        separator = "," + inner
    parts.append(newline + closing)


def _string(text: str) -> str:
    """A JSON string, non-ASCII as it is, but what visible_text() escapes as JSON escapes."""
    encoded = _ENCODER.encode(text)
    if encoded.isascii() and "\x7f" not in encoded:
        return encoded
    return _NOT_PLAIN.sub(_json_escape, encoded)


_NOT_PLAIN = re.compile(r"[^\x00-\x7e]")  # JSON escapes C0 controls itself, not DEL.


def _json_escape(match: re.Match[str]) -> str:
    char = match.group()
    if visible_text(char) == char:
        return char
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # A surrogate pair, as JSON writes a character beyond the BMP.
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


# The writers of the exact scalar types that a JSON decoder gives, looked up by type: faster than a
# chain of isinstance() tests on the values of hundreds of examples. Floats go through json, which
# writes the infinities as it does.
_SCALARS: dict[type, Any] = {
    str: _string,
    int: int.__repr__,
    bool: {True: "true", False: "false"}.__getitem__,
    type(None): lambda _: "null",
}

# Pygments' JSON lexer marks punctuation as "p" and object keys as "nt" (Name.Tag).
# Only the punctuation that opens or closes a level is matched: "," and ":" need no Python.
_TOKEN = re.compile(r'<span class="(?:p">([^<]*[][{}][^<]*)|nt">([^<]*))</span>')


def link_top_level_keys(
    highlighted: str, hrefs: Mapping[str, str], indent: int | None = None
) -> str:
    """Wrap each top-level key of highlighted JSON in a link to ``hrefs[key]``.

    *highlighted* is the HTML that Pygments makes of a JSON object; keys nested deeper (metadata
    keys) and keys missing from *hrefs* are left alone. Only the key's own ``<span>`` is wrapped, so
    the text of the block (what a copy button copies) is unchanged. When the JSON was written by
    :func:`indented_json` with *indent* spaces a level, its top-level keys are the keys that start
    a line *indent* spaces in, found without counting the levels token by token.

    >>> block = ('<span class="p">{</span><span class="nt">&quot;a&quot;</span>'
    ...          '<span class="p">:</span><span class="p">{</span>'
    ...          '<span class="nt">&quot;a&quot;</span><span class="p">:</span>'
    ...          '<span class="mi">1</span><span class="p">}}</span>')
    >>> print(link_top_level_keys(block, {"a": "#A"}))  # doctest: +NORMALIZE_WHITESPACE
    <span class="p">{</span><a class="reference internal event-json-key" href="#A"><span
    class="nt">&quot;a&quot;</span></a><span class="p">:</span><span class="p">{</span><span
    class="nt">&quot;a&quot;</span><span class="p">:</span><span class="mi">1</span><span
    class="p">}}</span>
    """
    if not hrefs:
        return highlighted
    spans = _indented_keys(highlighted, indent) if indent else []
    if not spans:  # Compact JSON, or whitespace that a highlighter writes its own way.
        spans = _top_level_keys(highlighted)
    parts: list[str] = []
    position = 0
    for start, end, text in spans:
        key = _key_text(text)
        href = hrefs.get(key) if key is not None else None
        if href is not None:
            parts += (highlighted[position:start], _opening(href), highlighted[start:end], "</a>")
            position = end
    parts.append(highlighted[position:])
    return "".join(parts)


@functools.lru_cache(maxsize=1024)  # A site links the same few attributes again and again.
def _opening(href: str) -> str:
    return f'<a class="reference internal event-json-key" href="{html.escape(href)}">'


def _top_level_keys(highlighted: str) -> list[tuple[int, int, str]]:
    """The start, end and text of the key spans of the outermost object, level by level."""
    spans = []
    depth = 0
    for match in _TOKEN.finditer(highlighted):
        brackets, text = match.groups()
        if brackets is not None:
            depth += brackets.count("{") + brackets.count("[")
            depth -= brackets.count("}") + brackets.count("]")
        elif depth == 1:
            spans.append((match.start(), match.end(), text))
    return spans


def _indented_keys(highlighted: str, indent: int) -> list[tuple[int, int, str]]:
    """The key spans that start a line *indent* spaces in (Pygments' "w" is whitespace)."""
    return [(m.start(1), m.end(1), m[2]) for m in _indented_key(indent).finditer(highlighted)]


@functools.cache
def _indented_key(indent: int) -> re.Pattern[str]:
    return re.compile(f'\\n<span class="w"> {{{indent}}}</span>(<span class="nt">([^<]*)</span>)')


# A key as Pygments writes it (quotes as they are, as Pygments 2.21 does, or as &quot;, as older
# versions do), with nothing inside that HTML or JSON would escape.
_PLAIN_KEY = re.compile(r'"([^"&\\\x00-\x1f]*)"|&quot;([^"&\\\x00-\x1f]*)&quot;')


def _key_text(span_text: str) -> str | None:
    plain = _PLAIN_KEY.fullmatch(span_text)  # Most keys: no need to unescape and decode them.
    if plain is not None:
        return plain[1] if plain[1] is not None else plain[2]
    try:
        key = json.loads(html.unescape(span_text))
    except ValueError:
        return None
    return key if isinstance(key, str) else None


@dataclass(frozen=True)
class SchemaRow:
    """One wire field of an event class, as the ``event-schema`` table shows it."""

    name: str
    json_type: str
    required: bool
    default: str | None
    description: str


def schema_rows(schema: Mapping[str, Any]) -> list[SchemaRow]:
    """The rows of the field table of a JSON Schema of an event class, in wire order.

    >>> schema = {"properties": {"rank": {"type": ["integer", "null"], "default": None,
    ...                                   "description": "The rank."}}, "required": []}
    >>> schema_rows(schema)  # doctest: +NORMALIZE_WHITESPACE
    [SchemaRow(name='rank', json_type='integer | null', required=False, default='null',
               description='The rank.')]
    """
    required = set(schema.get("required", ()))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        default = None
        if name not in required and "default" in prop:
            default = json.dumps(prop["default"], ensure_ascii=False)
        rows.append(
            SchemaRow(
                name=name,
                json_type=json_type(prop),
                required=name in required,
                default=default,
                description=str(prop.get("description", "")),
            )
        )
    return rows


def json_type(prop: Mapping[str, Any]) -> str:
    """A short, readable JSON type of one schema property.

    >>> json_type({"enum": ["INIT", "FAILED"]})
    '"INIT" | "FAILED"'
    >>> json_type({"type": "object", "additionalProperties": {"type": ["string", "null"]}})
    'object of string | null'
    """
    if "enum" in prop:
        return " | ".join(json.dumps(value, ensure_ascii=False) for value in prop["enum"])
    if "const" in prop:
        return json.dumps(prop["const"], ensure_ascii=False)
    if "anyOf" in prop or "oneOf" in prop:
        return " | ".join(json_type(p) for p in prop.get("anyOf", prop.get("oneOf", ())))
    kind = prop.get("type")
    text = " | ".join(kind) if isinstance(kind, list) else str(kind or "any")
    values = prop.get("additionalProperties")
    if kind == "object" and isinstance(values, Mapping) and values:
        text += f" of {json_type(values)}"
    items = prop.get("items")
    if kind == "array" and isinstance(items, Mapping) and items:
        text += f" of {json_type(items)}"
    return text
