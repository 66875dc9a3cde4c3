"""The timeline of an event log: one lane per node, one mark per event, as SVG and as words.

A node is a host and, where a host runs several agents, the rendezvous ``local_id``; its label
also gives the node's latest known rank. Rendezvous events are circles, agent events squares
and worker events diamonds, coloured by state (the rendezvous ``node_state``, or the ``state``
of a torchelastic event): failures are large, red and ringed, and their lanes are tinted. The
x axis is time when every event carries a timestamp; otherwise (torchelastic leaves every
timestamp at 0, and rendezvous events have none) it is the order of the lines in the log.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from elastic_events._model import Event, EventSource, RdzvEvent
from elastic_events._views import _clean, event_node, event_state, is_failure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from elastic_events._logs import LogLine

#: The states a mark can show, in legend order, with their colours: Okabe and Ito's palette,
#: readable with every common colour vision deficiency, with grey, green and pink darkened so that
#: every mark reaches 3:1 (WCAG 1.4.11) on each lane's background, light and dark alike.
STATE_COLOURS = {
    "INIT": "#7a7a7a",
    "RUNNING": "#0072b2",
    "SUCCEEDED": "#008a63",
    "FAILED": "#d55e00",
    "OTHER": "#b8608f",
}
_STATE_WORDS = {
    "INIT": "init",
    "RUNNING": "running",
    "SUCCEEDED": "succeeded",
    "FAILED": "failed",
    "OTHER": "other",
}
# The states of agent and worker events as the timeline colours them; failures (FAILURE_STATES)
# are FAILED, and any state not listed is OTHER.
_EVENT_STATES = {
    "INIT": "INIT",
    "SUCCEEDED": "SUCCEEDED",
    "START": "RUNNING",
    "RENDEZVOUS": "RUNNING",
    "ASSIGN_WORKER_RANKS": "RUNNING",
    "RUNNING": "RUNNING",
    "HEALTHY": "RUNNING",
}
_SHAPES = ("rendezvous", "agent", "worker")
_SHAPE_WORDS = {
    "rendezvous": "rendezvous event",
    "agent": "agent event",
    "worker": "worker event",
}

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass
class _Mark:
    __slots__ = ("failed", "line", "order", "shape", "state", "text", "time")

    order: int
    line: int
    time: int
    state: str
    shape: str
    text: str
    failed: bool


@dataclass
class _Lane:
    host: str
    local_id: int | None
    rank: int | None = None
    marks: list[_Mark] = field(default_factory=list)
    label: str = ""

    @property
    def failures(self) -> list[_Mark]:
        return [mark for mark in self.marks if mark.failed]


def _colour_state(event: Event | RdzvEvent) -> str:
    """The state a mark is coloured by: a key of :data:`STATE_COLOURS`."""
    if is_failure(event):
        return "FAILED"
    return _EVENT_STATES.get(event_state(event) or "", "OTHER")


class Timeline:
    """The events of a log laid out by node, ready to draw (:meth:`svg`) or tell (:meth:`describe`).

    It keeps a few short values per event (where, when, what state, a tooltip of at most 200
    characters), not the events themselves.

    Args:
        lines: Lines read by :class:`~elastic_events.EventLog`; bad lines are left out.

    Example:
        >>> from elastic_events import EventLog, Timeline
        >>> log = EventLog([
        ...     '{"name": "r:join", "run_id": "r", "message": "joined", "hostname": "node-1",'
        ...     ' "pid": 7, "node_state": "RUNNING", "rank": 0}',
        ...     '{"name": "r:beat", "run_id": "r", "message": "no heartbeat", "hostname": "node-1",'
        ...     ' "pid": 7, "node_state": "FAILED", "error_trace": "Traceback ..."}',
        ... ])
        >>> timeline = Timeline(log)
        >>> print(timeline.describe())
        Timeline of 2 events from 1 node; the x axis is the order of the lines in the log.
        1 failure: node-1 rank 0 at line 2 (r:beat: no heartbeat).
        Last state of each node: 1 failed.
        >>> timeline.svg().startswith("<svg")
        True
    """

    def __init__(self, lines: Iterable[LogLine]) -> None:
        lanes: dict[tuple[str, int | None], _Lane] = {}
        timed = True
        count = 0
        for line in lines:
            event = line.event
            if event is None:
                continue
            node = event_node(event)
            host, local_id, rank = node.host, node.local_id, node.rank
            lane = lanes.get((host, local_id))
            if lane is None:
                lane = lanes[host, local_id] = _Lane(host, local_id)
            if rank is not None:
                lane.rank = rank
            if isinstance(event, RdzvEvent):
                time, shape = 0, "rendezvous"
                text = f"{event.name}: {event.message}"
            else:
                time = event.timestamp
                shape = "agent" if event.source is EventSource.AGENT else "worker"
                text = event.name
            timed = timed and time > 0
            state = _colour_state(event)
            text = _clean(text if len(text) <= 200 else text[:199] + "\u2026")
            lane.marks.append(
                _Mark(count, line.number, time, state, shape, text, is_failure(event))
            )
            count += 1
        self.count = count
        #: Whether the x axis is time (every event has a timestamp) or the order in the log.
        self.timed = timed and count > 0
        self.lanes = _merge_and_label(lanes)

    def describe(self) -> str:
        """Say in words what the picture shows: for screen readers and text builders."""
        axis = (
            "time, from the first event's timestamp"
            if self.timed
            else "the order of the lines in the log"
        )
        nodes = len(self.lanes)
        lines = [
            f"Timeline of {_plural(self.count, 'event')} from {_plural(nodes, 'node')}; "
            f"the x axis is {axis}."
        ]
        failures = [(lane, mark) for lane in self.lanes for mark in lane.failures]
        failures.sort(key=lambda item: item[1].order)
        if failures:
            shown = "; ".join(
                f"{lane.label} at line {mark.line} ({mark.text})" for lane, mark in failures[:10]
            )
            more = f"; and {len(failures) - 10} more" if len(failures) > 10 else ""
            lines.append(f"{_plural(len(failures), 'failure')}: {shown}{more}.")
        else:
            lines.append("No failures.")
        if self.lanes:
            last: dict[str, int] = {}
            for lane in self.lanes:
                state = lane.marks[-1].state
                last[state] = last.get(state, 0) + 1
            counted = ", ".join(
                f"{last[state]} {_STATE_WORDS[state]}" for state in STATE_COLOURS if state in last
            )
            lines.append(f"Last state of each node: {counted}.")
        return "\n".join(lines)

    def svg(self, title: str = "", id_prefix: str = "elastic-events-timeline") -> str:
        """Draw the timeline as a standalone SVG document (also fit to inline in HTML).

        Args:
            title: The title shown on top and given to assistive technology; by default, what
                the timeline shows.
            id_prefix: The prefix of the ``id`` attributes, unique per page when several
                timelines share one.
        """
        return _draw(self, title or "Timeline of events by node", id_prefix)


def _merge_and_label(lanes: dict[tuple[str, int | None], _Lane]) -> list[_Lane]:
    """Put a host's events that carry no local id with its one node; label and sort the nodes."""
    by_host: dict[str, list[_Lane]] = {}
    for lane in lanes.values():
        by_host.setdefault(lane.host, []).append(lane)
    result = []
    for host, group in by_host.items():
        known = [lane for lane in group if lane.local_id is not None]
        unknown = [lane for lane in group if lane.local_id is None]
        if len(known) == 1 and unknown:
            only = known[0]
            only.marks = sorted(only.marks + unknown[0].marks, key=lambda mark: mark.order)
            if only.rank is None:
                only.rank = unknown[0].rank
            group = known
        for lane in group:
            label = _clean(host) or "(no host name)"
            if len(group) > 1:
                label += f" #{lane.local_id}" if lane.local_id is not None else " #?"
            if lane.rank is not None:
                label += f" rank {lane.rank}"
            lane.label = label
            result.append(lane)
    result.sort(key=lambda lane: (_natural(lane.host), lane.local_id is None, lane.local_id or 0))
    return result


def _natural(text: str) -> list[str | tuple[int, str]]:
    """Sort ``node-2`` before ``node-10``: text and numbers alternate, so like meets like.

    A run of digits sorts by its length without leading zeros, then by its digits: the order
    of the numbers, however many digits they have (``int()`` refuses thousands).
    """
    parts: list[str | tuple[int, str]] = list(_DIGITS.split(text))
    parts[1::2] = [(len(digits), digits) for digits in (p.lstrip("0") for p in parts[1::2])]  # type: ignore[union-attr]
    return parts


_DIGITS = re.compile(r"(\d+)")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _escape(text: str) -> str:
    """Text as XML character data or attribute value: escaped, and only characters XML allows."""
    text = _NOT_XML.sub("\ufffd", text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# Layout, in SVG user units (pixels at 100 %).
_PLOT_WIDTH = 900
_PAD = 12  # Between the ends of the axis and the first and last marks.
_TALL = 24  # Lanes from which the tick labels show on top as well.
_MARGIN = 16
_LEGEND_HEIGHT = 56


def _draw(timeline: Timeline, title: str, prefix: str) -> str:
    lanes = timeline.lanes
    count = max(len(lanes), 1)
    lane_height = max(12.0, min(32.0, 800 / count))
    font = round(min(13.0, lane_height * 0.8), 1)
    radius = round(min(lane_height * 0.3, 6.0), 1)
    labels = [_short(lane.label, 48) for lane in lanes]
    label_width = min(360, max([len(label) for label in labels] + [10]) * font * 0.62 + 12)
    left = _MARGIN + label_width
    top = _MARGIN + 24 + _LEGEND_HEIGHT + 12
    plot_height = lane_height * count
    width = round(left + _PLOT_WIDTH + _MARGIN)
    height = round(top + plot_height + 48)
    place, ticks, axis_title = _axis(timeline)

    def x_at(position: float) -> float:
        return left + _PAD + position * (_PLOT_WIDTH - 2 * _PAD)

    def x_of(mark: _Mark) -> float:
        return x_at(place(mark))

    esc = _escape
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{esc(prefix)}-title {esc(prefix)}-desc" '
        'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">',
        f'<title id="{esc(prefix)}-title">{esc(title)}</title>',
        f'<desc id="{esc(prefix)}-desc">{esc(timeline.describe())}</desc>',
        f'<rect class="timeline-background" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text class="timeline-title" x="{_MARGIN}" y="{_MARGIN + 14}" font-size="16" '
        f'font-weight="bold" fill="#222222">{esc(title)}</text>',
    ]
    out += _legend(_MARGIN, _MARGIN + 34)
    # Lanes: a stripe every other lane, a red tint where the node failed, the label on the left.
    out.append('<g class="lanes">')
    for index, (lane, label) in enumerate(zip(lanes, labels, strict=True)):
        y = top + index * lane_height
        failed = bool(lane.failures)
        if failed:
            fill, stripe = "#fde3d6", "timeline-stripe-failed"
        elif index % 2:
            fill, stripe = "#f3f5f8", "timeline-stripe-alt"
        else:
            fill, stripe = "#ffffff", "timeline-stripe"
        label_class = "timeline-label-failed" if failed else "timeline-label"
        out.append(
            f'<g class="lane"><title>{esc(lane.label)}: {_plural(len(lane.marks), "event")}'
            f"{', failed' if failed else ''}</title>"
            f'<rect class="{stripe}" x="{_MARGIN}" y="{y:.1f}" '
            f'width="{label_width + _PLOT_WIDTH:.1f}" height="{lane_height:.1f}" fill="{fill}"/>'
            f'<text class="{label_class}" x="{left - 8:.1f}" y="{y + lane_height / 2:.1f}" '
            f'font-size="{font}" '
            f'text-anchor="end" dominant-baseline="central" '
            f'fill="{"#a03000" if failed else "#222222"}"'
            f"{' font-weight=' + chr(34) + 'bold' + chr(34) if failed else ''}>"
            f"{esc(label)}</text></g>"
        )
    out.append("</g>")
    # The axis: ticks and their grid lines under the marks.
    bottom = top + plot_height
    out.append('<g class="axis" font-size="11" fill="#555555">')
    out.append(
        f'<line class="timeline-axis-line" x1="{left}" y1="{bottom:.1f}" '
        f'x2="{left + _PLOT_WIDTH}" y2="{bottom:.1f}" stroke="#888888"/>'
    )
    for position, text in ticks:
        x = x_at(position)
        out.append(
            f'<line class="timeline-grid-line" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" '
            f'y2="{bottom + 4:.1f}" stroke="#dddddd"/>'
            f'<text class="timeline-axis-text" x="{x:.1f}" y="{bottom + 16:.1f}" '
            f'text-anchor="middle">{esc(text)}</text>'
        )
    out.append(
        f'<text class="timeline-axis-text" x="{left + _PLOT_WIDTH / 2}" y="{bottom + 36:.1f}" '
        'text-anchor="middle">'
        f"{esc(axis_title)}</text></g>"
    )
    if len(lanes) > _TALL:  # A tall picture repeats the tick labels on top.
        out.append('<g class="axis-top" font-size="11" fill="#555555">')
        out.extend(
            f'<text class="timeline-axis-text" x="{x_at(position):.1f}" y="{top - 14}" '
            f'text-anchor="middle">{esc(text)}</text>'
            for position, text in ticks
        )
        out.append("</g>")
    # The marks, failures last so that nothing hides them.
    out.append('<g class="marks">')
    failures = []
    for index, lane in enumerate(lanes):
        y = top + (index + 0.5) * lane_height
        for mark in lane.marks:
            if mark.failed:
                failures.append((lane, mark, y))
                continue
            out.append(_mark(lane, mark, x_of(mark), y, radius))
    for lane, mark, y in failures:
        out.append(_mark(lane, mark, x_of(mark), y, radius))
    out.append("</g>")
    # Each failure also marked above the lanes, where it shows however many nodes there are.
    if failures:
        out.append(f'<g class="failure-ticks" fill="{STATE_COLOURS["FAILED"]}">')
        for lane, mark, _ in failures:
            x = x_of(mark)
            out.append(
                f'<path d="M{x - 5:.1f} {top - 11}L{x + 5:.1f} {top - 11}L{x:.1f} {top - 2}Z">'
                f"<title>failure: {esc(lane.label)}, line {mark.line}</title></path>"
            )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _mark(lane: _Lane, mark: _Mark, x: float, y: float, radius: float) -> str:
    colour = STATE_COLOURS[mark.state]
    tip = f"<title>{_escape(lane.label)}, line {mark.line}: {_escape(mark.text)}</title>"
    if mark.failed:
        big = max(radius * 1.8, 5.0)
        ring = (
            f'<circle class="timeline-failure-ring" cx="{x:.1f}" cy="{y:.1f}" r="{big + 2:.1f}" '
            'fill="none" stroke="#7a1f00" stroke-width="1.5"/>'
        )
        return f'<g class="failure">{tip}{ring}{_shape(mark.shape, x, y, big, colour)}</g>'
    return f"<g>{tip}{_shape(mark.shape, x, y, radius, colour)}</g>"


def _shape(shape: str, x: float, y: float, r: float, colour: str, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    if shape == "rendezvous":
        return f'<circle{cls} cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}"/>'
    if shape == "agent":
        return (
            f'<rect{cls} x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" '
            f'height="{2 * r:.1f}" fill="{colour}"/>'
        )
    d = r * 1.3
    return (
        f'<path{cls} d="M{x:.1f} {y - d:.1f}L{x + d:.1f} {y:.1f}L{x:.1f} {y + d:.1f}'
        f'L{x - d:.1f} {y:.1f}Z" fill="{colour}"/>'
    )


def _legend(x: float, y: float) -> list[str]:
    out = ['<g class="legend" font-size="12" fill="#222222">']
    step = 110
    for index, (state, colour) in enumerate(STATE_COLOURS.items()):
        cx = x + index * step + 6
        out.append(
            f'<circle cx="{cx}" cy="{y}" r="6" fill="{colour}"/>'
            f'<text class="timeline-legend-text" x="{cx + 10}" y="{y}" '
            f'dominant-baseline="central">{state.lower()}</text>'
        )
    for index, shape in enumerate(_SHAPES):
        cx = x + index * 150 + 6
        out.append(
            _shape(shape, cx, y + 22, 5, "#555555", "timeline-legend-shape")
            + f'<text class="timeline-legend-text" x="{cx + 10}" y="{y + 22}" '
            'dominant-baseline="central">'
            f"{_SHAPE_WORDS[shape]}</text>"
        )
    cx = x + 3 * 150 + 6
    out.append(
        f'<circle class="timeline-failure-ring" cx="{cx}" cy="{y + 22}" r="7" fill="none" '
        'stroke="#7a1f00" stroke-width="1.5"/>'
        f'<circle cx="{cx}" cy="{y + 22}" r="5" fill="{STATE_COLOURS["FAILED"]}"/>'
        f'<text class="timeline-legend-text" x="{cx + 12}" y="{y + 22}" '
        'dominant-baseline="central">failure</text>'
    )
    out.append("</g>")
    return out


def _axis(timeline: Timeline) -> tuple[Callable[[_Mark], float], list[tuple[float, str]], str]:
    """Where each mark goes (0 to 1), the ticks, and the axis title."""
    count = timeline.count
    if timeline.timed:
        times = [mark.time for lane in timeline.lanes for mark in lane.marks]
        first, last = min(times), max(times)
        span = max(last - first, 1)

        # Integers throughout: timestamps may have hundreds of digits, past what a float holds;
        # a quotient of integers in [0, 1] is exact, and never overflows.
        def x_of(mark: _Mark) -> float:
            return 0.5 if last == first else (mark.time - first) / span

        factor, power = _nice_int(span, 6)
        step = factor * 10**power
        ticks = [(0.0, "0 s")]
        for multiple in range(1, span // step + 1):  # At most 6 to 12 ticks, whatever the span.
            ticks.append((multiple * step / span, _seconds(multiple * factor, power)))
        return x_of, ticks, "seconds since the first event (timestamps in milliseconds)"

    def x_of_order(mark: _Mark) -> float:
        return 0.5 if count <= 1 else mark.order / (count - 1)

    if count <= 1:
        return x_of_order, [(0.5, "1")], "events in the order of the log"
    step = max(1, int(_nice((count - 1) / 8)))
    # The first event, then round event numbers (counting from 1) not too near it.
    numbers = [1, *(n for n in range(step, count + 1, step) if n - 1 > step / 2)]
    ticks = [((number - 1) / (count - 1), str(number)) for number in numbers]
    return x_of_order, ticks, "events in the order of the log (no timestamps)"


def _nice_int(span: int, parts: int) -> tuple[int, int]:
    """A round step of about *span* / *parts*, as ``(factor, power)``: factor 1, 2 or 5 times
    ``10 ** power``; in integers, however large *span* is."""
    raw = max(span // parts, 1)
    power = len(str(raw)) - 1 if raw.bit_length() < 10_000 else int(raw.bit_length() * 0.30103)
    while 10**power > raw:
        power -= 1
    while 10 ** (power + 1) <= raw:
        power += 1
    for factor in (1, 2, 5):
        if raw <= factor * 10**power:
            return factor, power
    return 1, power + 1


def _seconds(count: int, power: int) -> str:
    """``count * 10 ** power`` milliseconds in seconds, short: ``1.5 s``, ``2e+300 s``."""
    exponent = power - 3
    if -3 <= exponent <= 12:
        return f"{count * 10.0**exponent:g} s"
    digits = str(count)
    exponent += len(digits) - 1
    mantissa = digits[0] + ("." + digits[1:].rstrip("0") if digits[1:].rstrip("0") else "")
    return f"{mantissa}e{exponent:+d} s"


def _nice(raw: float) -> float:
    """A round step near ``raw``: 1, 2 or 5 times a power of ten."""
    if raw <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return float(factor * power)
    return 10.0 * power
