"""Sphinx directives that render example events of :mod:`elastic_events`, checked at build time.

Enable with ``extensions = ["sphinxext.event_json"]``. Each feature lives in a module of its own,
and :func:`setup` calls the ``setup_<feature>()`` of each:

``event-json`` (:mod:`._examples`)
    One event as pretty-printed, highlighted JSON::

        .. event-json:: RdzvEvent
           :caption: A node joined the rendezvous

           {"name": "rdzv.py:join", "run_id": "ft-7f3a", "message": "joined",
            "hostname": "node-0", "pid": 4242, "node_state": "RUNNING"}

    The argument names the class: ``Event`` or ``RdzvEvent`` (or ``elastic_events.Event`` and
    ``elastic_events.RdzvEvent``), a short name of the config value ``event_json_classes``
    (``{"JobEvent": "acme_events.JobEvent"}``), or the dotted path of any importable dataclass,
    attrs class or pydantic v2 model (:mod:`._classes`, imported once per build; other
    projects' classes are read field by field from their annotations). The content is either

    * a JSON object, parsed by :func:`elastic_events.parse_json` and read as
      ``<Class>.deserialize`` reads a dict: omitted optional fields take the class defaults, a
      missing required field, an unknown field or a wrong type is an error; or
    * a constructor expression, such as ``Event("started", EventSource.AGENT, metadata={"n": 1})``
      or ``elastic_events.RdzvEvent(..., node_state=NodeState.FAILED)``, made of one call to the
      named class with positional or keyword arguments whose values are string, number, boolean
      and ``None`` literals (a minus sign on numbers), dicts with string keys, and enum members
      ``EventSource.X`` and ``NodeState.X`` (also as ``elastic_events.NodeState.X``). It is parsed
      with :mod:`ast` and checked node by node; it is never evaluated.

    The directive builds the real event, serializes it, checks that the JSON reads back to an
    equal event and shows it with a 2-space indent (config ``event_json_indent``) in wire key
    order. Options: ``:caption:``, ``:compact:`` (the exact line ``serialize()`` writes),
    ``:collapsed:`` (folded into ``<details>`` in HTML, plain elsewhere), ``:name:``, and
    ``:from: log`` instead of the content: the event of the log's line ``:line: n``, or the
    ``:occurrence: n``-th event that passes the filters of ``event-log``. In HTML each top-level
    key links to the attribute that documents it, where the project documents it.

``event-schema`` (:mod:`._schemas`)
    ``.. event-schema:: RdzvEvent`` renders a table of the wire fields (name, JSON type, required
    or default, description) and, folded in HTML, the class's JSON Schema.

``event-log`` (:mod:`._logs`)
    The events of a log file (its path relative to the document, or to the source directory
    when it starts with ``/``) as a table with the columns of ``elastic-events show``, read and
    checked by :class:`elastic_events.EventLog`. Options: ``:caption:``, ``:name:``,
    ``:limit: n``, ``:tracebacks:`` (the traceback of each event shown that has one), and the
    filters ``:event-name: glob``, ``:source:``, ``:state:``, ``:run-id:``, ``:since:``,
    ``:until:`` of
    :class:`elastic_events.EventFilter`.

``event-timeline`` (:mod:`._timelines`)
    The events of a log file as the SVG :class:`elastic_events.Timeline`: inline in HTML
    (``role="img"``, labelled by its title and a description in words), and as that description
    in every other builder. Options: ``:title:``, ``:name:`` and the filters of ``event-log``.

Every mistake is a warning of type ``event_json`` (subtypes ``class``, ``content``, ``json``,
``expression``, ``field``, ``roundtrip``, ``caption``, ``log``, ``file``, ``from``) located at the
directive, at the line of the content for JSON and expression syntax, or at the log file's line
for a bad line of a log; the directive then renders nothing (a log's good lines are still
shown). Strings from events, logs and examples reach the page as text, never as markup. The
directives emit standard nodes only; HTML-only work (folds, pictures) is done by post-transforms
for the HTML builders, and the keys of examples are linked in the finished HTML of each page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sphinx.errors import ConfigError

import elastic_events

from ._examples import setup_examples
from ._folds import setup_folds
from ._logs import setup_logs
from ._schemas import setup_schemas
from ._timelines import setup_timelines

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.util.typing import ExtensionMetadata

__version__ = elastic_events.__version__

#: The bounds of ``event_json_indent``.
INDENT_RANGE = range(1, 9)


def _check_config(app: Sphinx, config: Config) -> None:
    indent = config.event_json_indent
    if isinstance(indent, bool) or not isinstance(indent, int) or indent not in INDENT_RANGE:
        msg = (
            f"event_json_indent must be an integer from {INDENT_RANGE.start} to "
            f"{INDENT_RANGE.stop - 1} (spaces per level of the pretty-printed JSON); "
            f"got {indent!r}. Write for instance: event_json_indent = 2"
        )
        raise ConfigError(msg)


def _check_classes(app: Sphinx, config: Config) -> None:
    classes = config.event_json_classes
    if not isinstance(classes, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k.isidentifier() for k, v in classes.items()
    ):
        msg = (
            "event_json_classes must be a dict from short names (Python identifiers) to dotted "
            f"paths of event classes; got {classes!r}. Write for instance: "
            'event_json_classes = {"JobEvent": "acme_events.JobEvent"}'
        )
        raise ConfigError(msg)


def setup(app: Sphinx) -> ExtensionMetadata:
    """Register the directives, their post-transforms and the ``event_json_*`` config values."""
    app.add_config_value("event_json_indent", 2, "env", types=frozenset({int}))
    app.add_config_value("event_json_classes", {}, "env", types=frozenset({dict}))
    app.connect("config-inited", _check_classes)
    app.connect("config-inited", _check_config)
    setup_examples(app)
    setup_schemas(app)
    setup_logs(app)
    setup_timelines(app)
    setup_folds(app)
    return {
        "version": __version__,
        "env_version": 3,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
