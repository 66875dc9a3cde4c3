"""The site says of torch only what the committed captures (or torch's source) show.

Reads the docs sources and docs/captures/*.log; needs neither torch nor a build. Every example
event that claims to be torch's (by its name, or by being on the catalogue) must have a
rendezvous function and message of a captured event or of a template that
``docs/captures/shape.py`` cites from torch's source, and the metadata keys, the keys of the inner
``metadata`` string and the value types of a captured event of its kind. An example taken from a
capture (``event-json`` with ``:from:``) is the event that the directive's own selection
(``selected_event``) picks in the captures the test is given, so that a test can change them in
memory; a captured line pasted as content is a mistake, since it can drift from its capture.

The catalogue must show every kind the captures contain with a line taken from a capture that
its caption names, list the node state, function and message template of every captured
rendezvous kind in its tables, and name every metadata key and inner metadata key that torch
records. The logs that the pages draw must be committed captures.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from elastic_events import EventLog
from sphinxext.event_json._errors import ContentError
from sphinxext.event_json._examples import EventJsonDirective, selected_event
from tests.test_captures import CAPTURES, shape

DOCS = Path(__file__).parents[1] / "docs" / "source"
PAGES = ["catalogue.rst", "guide.md", "elastic/events.rst", "run.md"]
# Pages that draw logs: these, and the doc writers' page, whose examples show the directives.
LOG_PAGES = [*PAGES, "directives.rst"]
TORCH_PAGES = {"catalogue.rst"}  # every example on these claims to be torch's
WATCHDOG_NAMES = {"watchdog started", "watchdog stopped", "timer expired", "kill worker process"}
RDZV_FIELDS = [
    "name",
    "run_id",
    "message",
    "hostname",
    "pid",
    "node_state",
    "master_endpoint",
    "rank",
    "local_id",
    "error_trace",
]
EVENT_FIELDS = ["name", "source", "timestamp", "metadata"]


@dataclasses.dataclass
class Example:
    page: str
    line: int
    directive: str  #: event-json, event-log or event-timeline
    argument: str
    options: dict[str, str]
    content: str

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


_RST = re.compile(
    r"^(?P<indent> *)\.\. (?P<directive>event-json|event-log|event-timeline)::"
    r" *(?P<argument>.*)$"
)
_MD = re.compile(r"^```\{(?P<directive>event-json|event-log|event-timeline)\} *(?P<argument>.*)$")
_LITERAL = re.compile(r"^ *(\.\. code-block::.*|.*::)$")
_OPTION = re.compile(r"^ *:(?P<name>[a-z-]+):(?: *(?P<value>.*))?$")


def examples_of(page: str, text: str) -> list[Example]:
    """The event directives of a page (reST or MyST Markdown), with their content."""
    lines = text.splitlines()
    found = []
    literal: int | None = None  # the indent of the code block we are in, if any
    for number, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        if literal is not None and line.strip() and indent <= literal:
            literal = None
        if literal is not None:
            continue  # an example of how to write a directive, shown as code
        if _LITERAL.match(line) and not _RST.match(line):
            literal = indent
            continue
        if match := _RST.match(line):
            indent = len(match["indent"])
            body = []
            for following in lines[number + 1 :]:
                if following.strip() and len(following) - len(following.lstrip()) <= indent:
                    break
                body.append(following)
        elif match := _MD.match(line):
            body = []
            for following in lines[number + 1 :]:
                if following.startswith("```"):
                    break
                body.append(following)
        else:
            continue
        options: dict[str, str] = {}
        while body and (option := _OPTION.match(body[0])):
            options[option["name"]] = option["value"] or ""
            body.pop(0)
        content = "\n".join(body).strip("\n")
        directive, argument = match["directive"], match["argument"].strip()
        found.append(Example(page, number + 1, directive, argument, options, content))
    return found


def _value(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.attr  # EventSource.AGENT, NodeState.FAILED: the member's name
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_value(node.operand)
    if isinstance(node, ast.Dict):
        return {_value(k): _value(v) for k, v in zip(node.keys, node.values, strict=True) if k}
    raise ValueError(ast.dump(node))


def event_of(example: Example) -> dict[str, Any]:
    """The event an ``event-json`` example writes, as a JSON object (fields left out absent)."""
    content = example.content.strip()
    if content.startswith("{"):
        decoded = json.loads(content)
        assert isinstance(decoded, dict)
        return decoded
    call = ast.parse(content, mode="eval").body
    assert isinstance(call, ast.Call), example.where
    assert isinstance(call.func, ast.Name), example.where
    fields = RDZV_FIELDS if call.func.id == "RdzvEvent" else EVENT_FIELDS
    event = {fields[n]: _value(arg) for n, arg in enumerate(call.args)}
    event.update({kw.arg: _value(kw.value) for kw in call.keywords if kw.arg})
    return event


class Unreadable(Exception):
    """An example whose event cannot be read: the directive would warn instead of showing it."""


def capture_of(example: Example, path: str) -> str:
    """The file name of the committed capture that *path* (relative to the page) names."""
    base = DOCS if path.startswith("/") else (DOCS / example.page).parent
    resolved = (base / path.lstrip("/")).resolve()
    if resolved.parent != CAPTURES.resolve():
        raise Unreadable(f"{path!r} is not in {CAPTURES}")
    return resolved.name


def shown_event(example: Example, captures: dict[str, str]) -> dict[str, Any]:
    """The event an ``event-json`` example shows: its content, or what ``:from:`` selects.

    A ``:from:`` example is resolved in *captures* (file name -> text), through the options the
    directive converts and the selection it makes.
    """
    if "from" not in example.options:
        return event_of(example)
    path = example.options["from"]
    name = capture_of(example, path)
    if name not in captures:
        raise Unreadable(f"{path!r} is not a committed capture")
    spec = EventJsonDirective.option_spec
    try:
        options = {key: spec[key](value) for key, value in example.options.items()}
        event = selected_event(EventLog(captures[name].splitlines()), options, path)
    except (ValueError, ContentError) as error:
        raise Unreadable(getattr(error, "message", str(error))) from None
    decoded = json.loads(event.serialize())
    assert isinstance(decoded, dict)
    return decoded


def claims_to_be_torchs(example: Example, event: dict[str, Any]) -> bool:
    if example.page in TORCH_PAGES:
        return True
    name = str(event.get("name", ""))
    if example.argument.endswith("RdzvEvent"):
        return name.startswith(("dynamic_rendezvous.py:", "c10d_rendezvous_backend.py:"))
    return name.startswith("torchelastic.") or name in WATCHDOG_NAMES


def pages(names: list[str] = PAGES) -> dict[str, str]:
    return {page: (DOCS / page).read_text(encoding="utf-8") for page in names}


def problems(captures: dict[str, str], texts: dict[str, str]) -> list[str]:
    """Where the pages' torch examples disagree with the captures; [] if nowhere."""
    captured = [event for text in captures.values() for event in shape.events(text)]
    by_kind: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for event in captured:
        by_kind.setdefault(shape.kind(event), []).append(event)
    found = []
    for page, text in texts.items():
        for example in examples_of(page, text):
            if example.directive != "event-json":
                continue
            try:
                event = shown_event(example, captures)
            except Unreadable as error:
                found.append(f"{example.where}: {error}")
                continue
            if "from" not in example.options and event in captured:
                found.append(
                    f"{example.where}: {event['name']} is a captured line pasted as content; "
                    "take it from its capture with :from: and a selector"
                )
            if claims_to_be_torchs(example, event):
                found += [f"{example.where}: {p}" for p in _problems_of(event, by_kind)]
    return found


def _problems_of(
    event: dict[str, Any], by_kind: dict[tuple[str, str], list[dict[str, Any]]]
) -> list[str]:
    key = shape.kind(event)
    if "message" in event:  # a rendezvous event
        if key in by_kind:
            states = {e["node_state"] for e in by_kind[key]}
            if event.get("node_state") not in states:
                return [
                    f"{key[0]} {key[1]!r} is recorded as {sorted(states)}, not "
                    f"{event.get('node_state')!r}"
                ]
            return []
        if any(source.matches(event) for source in shape.SOURCE_ONLY_RDZV):
            return []
        near = [k for k in by_kind if k[0] == key[0]]
        return [
            f"no capture and no template of torch's source has {key[0]} {key[1]!r}"
            + (f"; captured with that name: {[k[1] for k in near]}" if near else "")
        ]
    metadata = event.get("metadata", {})
    inner = shape.inner_metadata(event)
    if key in by_kind:
        seen = by_kind[key]
        keys = {tuple(e["metadata"]) for e in seen}
        if tuple(metadata) not in keys:
            return [
                f"{key[0]} ({key[1]}) has the metadata keys {list(metadata)}; torch "
                f"records {[list(k) for k in sorted(keys)]}"
            ]
        types = [shape.shape(e)["inner"] for e in seen]
        mine = shape.shape(event)["inner"]
        if mine not in types:
            return [
                f"{key[0]} ({key[1]}) has the inner metadata {mine}; torch records "
                f"{[t for n, t in enumerate(types) if t not in types[:n]]}"
            ]
        states = {e["metadata"].get("state") for e in seen}
        if metadata.get("state") not in states:
            return [f"{key[0]} ({key[1]}) has the state {metadata.get('state')!r}, not {states}"]
        return []
    if key in shape.SOURCE_ONLY_STATUS:
        _, inner_keys = shape.SOURCE_ONLY_STATUS[key]
        if list(metadata) != shape.STATUS_KEYS or inner is None or list(inner) != inner_keys:
            return [
                f"{key[0]} ({key[1]}) must have the metadata keys {shape.STATUS_KEYS} and "
                f"the inner keys {inner_keys} of torch's _construct_event"
            ]
        return []
    return [f"no capture and no line of torch's source records {key[0]} ({key[1]})"]


def catalogue_problems(captures: dict[str, str], catalogue: str) -> list[str]:
    """What torch records that the catalogue does not show, list or name."""
    return (
        _unshown_kinds(captures, catalogue)
        + _unlisted_rendezvous_kinds(captures, catalogue)
        + _unnamed_keys(captures, catalogue)
    )


def _unshown_kinds(captures: dict[str, str], catalogue: str) -> list[str]:
    """Captured kinds the catalogue does not show with a line of a capture its caption names."""
    shown: set[tuple[str, str]] = set()
    for example in examples_of("catalogue.rst", catalogue):
        if example.directive != "event-json" or "from" not in example.options:
            continue
        try:
            event = shown_event(example, captures)
            capture = capture_of(example, example.options["from"])
        except Unreadable:
            continue  # problems() says why
        if capture in example.options.get("caption", ""):
            shown.add(shape.kind(event))
    return [
        f"the catalogue shows no captured line of {key[0]} {key[1]!r} with the capture it comes "
        f"from in its caption (it is in {sorted({file for file, _ in places})})"
        for key, places in shape.captured_kinds(captures).items()
        if key not in shown
    ]


# A row of a table of rendezvous events: ``STATE``, ``function`` (remarks), "message" (remarks).
_ROW = re.compile(r'\* - ``(\w+)`` - ``([\w.:]+)``[^*"]*- "([^"]+)"')
# How the tables write the values of a message: X and R are quoted, N, K, W and PID are numbers.
_NUMBER_WORD = re.compile(r"\b(?:N|K|W|PID)\b")


def _unlisted_rendezvous_kinds(captures: dict[str, str], catalogue: str) -> list[str]:
    """Captured rendezvous kinds that no row of the catalogue's tables lists."""
    listed = set()
    for state, function, message in _ROW.findall(" ".join(catalogue.split())):
        name = function if ":" in function else f"dynamic_rendezvous.py:{function}"
        listed.add((state, name, shape.template(_NUMBER_WORD.sub("0", message))))
    found = []
    for text in captures.values():
        for event in filter(shape.is_rdzv, shape.events(text)):
            row = (event["node_state"], *shape.kind(event))
            if row not in listed and (problem := f"no table lists {row}") not in found:
                found.append(problem)
    return found


def _unnamed_keys(captures: dict[str, str], catalogue: str) -> list[str]:
    """Metadata keys and inner metadata keys torch records that the catalogue never names."""
    named = set(re.findall(r"``([^`]+)``", catalogue))
    found = []
    for file, text in captures.items():
        for event in shape.events(text):
            if shape.is_rdzv(event):
                continue
            keys = [*event.get("metadata", {}), *(shape.inner_metadata(event) or {})]
            for key in keys:
                problem = f"the catalogue never names the key {key!r} of {event['name']} ({file})"
                if key not in named and problem not in found:
                    found.append(problem)
    return found


def test_the_parser_finds_the_examples_of_every_page() -> None:
    counts = {page: len(examples_of(page, text)) for page, text in pages(LOG_PAGES).items()}
    assert all(counts.values()), counts
    directives = {e.directive for text in pages(LOG_PAGES).values() for e in examples_of("", text)}
    assert directives == {"event-json", "event-log", "event-timeline"}


def test_every_torch_example_on_the_site_is_what_torch_records() -> None:
    found = problems(shape.committed_captures(), pages())
    assert not found, "\n".join(found)


def test_the_catalogue_shows_every_captured_kind_with_its_real_line() -> None:
    catalogue = pages()["catalogue.rst"]
    found = catalogue_problems(shape.committed_captures(), catalogue)
    assert not found, "\n".join(found)


def test_the_catalogue_cites_torchs_source_for_each_kind_no_capture_shows() -> None:
    catalogue = pages()["catalogue.rst"]
    marked = catalogue.split(".. _not-captured:", 1)
    assert len(marked) == 2, "the catalogue has no marked list of kinds no capture shows"
    for source in shape.SOURCE_ONLY_RDZV:
        assert source.where in marked[1], source
    for where, _ in shape.SOURCE_ONLY_STATUS.values():
        assert where.split(" ", 1)[0] in marked[1], where


@pytest.mark.parametrize("directive", ["event-log", "event-timeline"])
def test_the_logs_the_pages_draw_are_committed_captures(directive: str) -> None:
    drawn = [
        example
        for page, text in pages(LOG_PAGES).items()
        for example in examples_of(page, text)
        if example.directive == directive
    ]
    assert drawn
    for example in drawn:
        assert (CAPTURES / capture_of(example, example.argument)).is_file(), example.where


# --- the test of the test -----------------------------------------------------------------------


def changed_captures(old: str, new: str) -> dict[str, str]:
    """The committed captures with the first *old* replaced by *new* (one character apart)."""
    assert len(old) == len(new)
    assert sum(a != b for a, b in zip(old, new, strict=True)) == 1
    captures = shape.committed_captures()
    for name, text in captures.items():
        if old in text:
            return {**captures, name: text.replace(old, new)}
    raise AssertionError(f"{old!r} is in no capture")


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        # a message: the catalogue's table of rendezvous events no longer lists it
        ("has joined round", "has joined rounb", "has joined rounb"),
        ("attempts to join the next", "attempts to join the nexT", "nexT"),
        # a metadata key, and a key of the inner metadata: the catalogue never names them
        ('"duration_ms"', '"duration_mz"', "'duration_mz'"),
        ('\\"entry_point\\"', '\\"entry_pOint\\"', "'entry_pOint'"),
        # a function: the examples' selectors find no event of that name
        ("_mark_rendezvous_complete", "_mark_rendezvous_c0mplete", "has no event that matches"),
    ],
)
def test_a_one_character_change_to_a_capture_fails_the_site(old: str, new: str, said: str) -> None:
    assert problems(shape.committed_captures(), pages()) == []
    changed = changed_captures(old, new)
    found = problems(changed, pages()) + catalogue_problems(changed, pages()["catalogue.rst"])
    assert any(said in problem for problem in found), found


def test_the_from_examples_are_read_from_the_captures_the_test_is_given() -> None:
    (joined,) = [
        example
        for example in examples_of("catalogue.rst", pages()["catalogue.rst"])
        if example.options.get("name") == "event-rdzv-joined"
    ]
    assert "from" in joined.options
    old, new = "has joined round", "has joined rounb"
    committed = shown_event(joined, shape.committed_captures())
    changed = shown_event(joined, changed_captures(old, new))
    assert old in committed["message"]
    assert changed == {**committed, "message": committed["message"].replace(old, new)}


def test_a_captured_line_pasted_as_content_is_a_problem() -> None:
    captures = shape.committed_captures()
    line = next(line for line in captures["clean.log"].splitlines() if "{" in line)
    page = f"""\
.. event-json:: RdzvEvent
   :caption: the agent hosts the TCP store (clean.log)

   {line[line.index("{") :]}
"""
    (found,) = problems(captures, {"catalogue.rst": page})
    assert found.endswith("pasted as content; take it from its capture with :from: and a selector")


def test_an_example_from_a_log_that_is_no_capture_is_a_problem() -> None:
    page = """\
.. event-json:: Event
   :from: ../captures/launcher-restart.log
   :event-name: torchelastic.worker.status.START
"""
    (found,) = problems(shape.committed_captures(), {"catalogue.rst": page})
    assert found == "catalogue.rst:1: '../captures/launcher-restart.log' is not a committed capture"


def test_the_run_page_and_the_catalogue_name_the_torch_version_of_the_captures() -> None:
    version = (CAPTURES / "TORCH_VERSION").read_text(encoding="utf-8").strip()
    release = version.split("+", 1)[0]  # 2.13.0+cpu: the CPU build of 2.13.0
    for page in ["run.md", "catalogue.rst"]:
        assert f"PyTorch {release} (its CPU build)" in pages()[page], page
