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

from elastic_events._model import EventSource, RdzvEvent
from elastic_events._times import SECOND, format_duration, format_time
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
    """One event, or a span of repeats of one event on one lane (heartbeats, unchanged states).

    ``time`` and ``end`` are the times of the first and last event of the span (nanoseconds
    since the epoch, or ``None`` for a line without a time until :class:`Timeline` places it
    between its timed neighbours); ``order`` and ``end_order`` their places in the log.
    """

    __slots__ = (
        "count",
        "end",
        "end_line",
        "end_order",
        "failed",
        "line",
        "order",
        "shape",
        "state",
        "text",
        "time",
        "untimed",
    )

    order: int
    line: int
    time: int | None
    state: str
    shape: str
    text: str
    failed: bool
    count: int
    end: int | None
    end_order: int
    end_line: int
    untimed: bool


@dataclass
class _Lane:
    host: str
    local_id: int | None
    rank: int | None = None
    marks: list[_Mark] = field(default_factory=list)
    label: str = ""
    # While reading: the state of the lane's last event, and the spans a repeat may extend.
    state: str = ""
    spans: dict[tuple[str, str, bool], _Mark] = field(default_factory=dict, repr=False)

    @property
    def failures(self) -> list[_Mark]:
        return [mark for mark in self.marks if mark.failed]


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
        count = timed = 0
        # The last timed line seen (order, time), and the untimed marks waiting for the next.
        anchor: tuple[int, int] | None = None
        waiting: list[tuple[_Mark, bool, tuple[int, int] | None]] = []
        texts: dict[tuple[str, str], str] = {}  # One string per distinct text, not per event.
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
                shape, key = "rendezvous", (event.name, event.message)
            else:
                shape = "agent" if event.source is EventSource.AGENT else "worker"
                key = (event.name, "")
            text = texts.get(key)
            if text is None:
                text = f"{key[0]}: {key[1]}" if shape == "rendezvous" else key[0]
                text = _clean(text if len(text) <= 200 else text[:199] + "\u2026")
                if len(texts) < 100_000:
                    texts[key] = text
            time = line.time
            failed = is_failure(event)
            state = "FAILED" if failed else _EVENT_STATES.get(event_state(event) or "", "OTHER")
            # A repeat of an event of the lane's current state extends its span; a new state
            # (or a failure) ends every span of the lane.
            span_key = (text, shape, time is None)
            spans = lane.spans
            span = spans.get(span_key) if state == lane.state and not failed else None
            if span is not None and _continues(span, time, count):
                span.count += 1
                span.end, span.end_order, span.end_line = time, count, line.number
                mark = span
            else:
                mark = _Mark(
                    count, line.number, time, state, shape, text, failed, 1, time, count,
                    line.number, time is None,
                )  # fmt: skip
                lane.marks.append(mark)
                if state != lane.state or failed:
                    spans.clear()
                    lane.state = state
                if not failed:
                    spans[span_key] = mark
                    if len(spans) > _OPEN_SPANS:
                        del spans[next(iter(spans))]
            if time is None:
                waiting.append((mark, mark.count > 1, anchor))
            else:
                timed += 1
                if waiting:
                    _place(waiting, anchor, (count, time))
                anchor = (count, time)
            count += 1
        if waiting and timed:
            _place(waiting, anchor, None)
        self.count = count
        #: How many events carry a time (their own timestamp, or one before them on their line).
        self.timed_count = timed
        #: Whether the x axis is time (some events have a time) or the order of the log.
        self.timed = timed > 0
        for lane in lanes.values():
            lane.spans = {}
        self.lanes = _merge_and_label(lanes)

    def describe(self) -> str:
        """Say in words what the picture shows: for screen readers and text builders."""
        first, final = self.time_range()
        if first is not None and final is not None:
            axis = f"time, from {_in_words(first)} over {format_duration(final - first)}"
        else:
            axis = "the order of the lines in the log"
        nodes = len(self.lanes)
        lines = [
            f"Timeline of {_plural(self.count, 'event')} from {_plural(nodes, 'node')}; "
            f"the x axis is {axis}."
        ]
        untimed = self.count - self.timed_count
        if self.timed and untimed:
            lines.append(
                f"{_plural(untimed, 'event')} without a time "
                f"{'is' if untimed == 1 else 'are'} placed between "
                "the timed events before and after them, and drawn hollow."
            )
        spans = [mark for lane in self.lanes for mark in lane.marks if mark.count > 1]
        if spans:
            repeated = sum(mark.count for mark in spans)
            lines.append(
                f"Repeated events of a node are drawn as spans: {_plural(len(spans), 'span')} "
                f"stand{'s' if len(spans) == 1 else ''} for {_plural(repeated, 'event')}."
            )
        failures = [(lane, mark) for lane in self.lanes for mark in lane.failures]
        failures.sort(key=lambda item: item[1].order)
        if failures:

            def when(mark: _Mark) -> str:
                if first is None or mark.time is None:
                    return ""
                return f", {format_duration(mark.time - first)} in"

            shown = "; ".join(
                f"{lane.label} at line {mark.line}{when(mark)} ({mark.text})"
                for lane, mark in failures[:10]
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

    def time_range(self) -> tuple[int | None, int | None]:
        """The times of the first and last events, in nanoseconds; ``(None, None)`` untimed."""
        times = [
            time
            for lane in self.lanes
            for mark in lane.marks
            for time in (mark.time, mark.end)
            if time is not None
        ]
        return (min(times), max(times)) if times else (None, None)

    def svg(self, title: str = "", id_prefix: str = "elastic-events-timeline") -> str:
        """Draw the timeline as a standalone SVG document (also fit to inline in HTML).

        Args:
            title: The title shown on top and given to assistive technology; by default, what
                the timeline shows.
            id_prefix: The prefix of the ``id`` attributes, unique per page when several
                timelines share one.
        """
        return _draw(self, title or "Timeline of events by node", id_prefix)


# A run of repeats of one event is cut where it pauses for longer than this many times its
# usual interval: a gap in the heartbeats shows as a gap.
_GAP = 4
# The spans of one lane that a repeat may extend: events that recur in a cycle (torch's
# heartbeat is three events) each have theirs.
_OPEN_SPANS = 8


def _continues(span: _Mark, time: int | None, order: int) -> bool:
    """Whether an event repeating the last mark of its lane extends it (else: a new mark)."""
    if span.count < 2:
        return True
    if time is None or span.time is None or span.end is None:
        start, end, now = span.order, span.end_order, order
    else:
        start, end, now = span.time, span.end, time
    return now - end <= _GAP * max((end - start) / (span.count - 1), 1)


def _place(
    waiting: list[tuple[_Mark, bool, tuple[int, int] | None]],
    before: tuple[int, int] | None,
    after: tuple[int, int] | None,
) -> None:
    """Give untimed marks times between their timed neighbours, in proportion to the order."""
    for mark, is_end, _ in waiting:
        order = mark.end_order if is_end else mark.order
        if before is None or after is None:
            guess = (before or after or (0, 0))[1]
        else:
            share = (order - before[0]) / max(after[0] - before[0], 1)
            guess = before[1] + round((after[1] - before[1]) * share)
        if is_end or mark.count == 1:
            mark.end = guess
        if not is_end:
            mark.time = guess
    waiting.clear()


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
    if timeline.timed:
        place, place_end, ticks, axis_title = _time_axis(timeline)
    else:
        place, ticks, axis_title = _axis(timeline)
        last_order = timeline.count - 1

        def place_end(mark: _Mark) -> float:
            return 0.5 if last_order <= 0 else mark.end_order / last_order

    def x_at(position: float) -> float:
        return left + _PAD + position * (_PLOT_WIDTH - 2 * _PAD)

    def x_of(mark: _Mark) -> float:
        return x_at(place(mark))

    def x_end(mark: _Mark) -> float:
        return x_at(place_end(mark))

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
            f'<g class="lane"><title>{esc(lane.label)}: '
            f"{_plural(sum(mark.count for mark in lane.marks), 'event')}"
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
    hollow = timeline.timed
    for index, lane in enumerate(lanes):
        y = top + (index + 0.5) * lane_height
        drawn: tuple[str, str, float] | None = None
        for mark in lane.marks:
            if mark.failed:
                failures.append((lane, mark, y))
                continue
            x = x_of(mark)
            if mark.count > 1 and x_end(mark) - x >= 1:
                out.append(_span(lane, mark, x, x_end(mark), y, radius, hollow))
                drawn = None
                continue
            # On a time axis, a mark on the pixel of the same mark before it adds nothing.
            seen = (mark.state, mark.shape, round(x))
            if hollow and seen == drawn:
                continue
            drawn = seen
            out.append(_mark(lane, mark, x, y, radius, hollow))
    for lane, mark, y in failures:
        out.append(_mark(lane, mark, x_of(mark), y, radius, hollow))
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


def _mark(lane: _Lane, mark: _Mark, x: float, y: float, radius: float, hollow: bool = False) -> str:
    colour = STATE_COLOURS[mark.state]
    untimed = hollow and mark.untimed
    note = " (no time: placed between its neighbours)" if untimed else ""
    tip = f"<title>{_escape(lane.label)}, line {mark.line}: {_escape(mark.text)}{note}</title>"
    css = "timeline-untimed" if untimed else ""
    if mark.failed:
        big = max(radius * 1.8, 5.0)
        ring = (
            f'<circle class="timeline-failure-ring" cx="{x:.1f}" cy="{y:.1f}" r="{big + 2:.1f}" '
            'fill="none" stroke="#7a1f00" stroke-width="1.5"/>'
        )
        shape = _shape(mark.shape, x, y, big, colour, css, untimed)
        return f'<g class="failure">{tip}{ring}{shape}</g>'
    return f"<g>{tip}{_shape(mark.shape, x, y, radius, colour, css, untimed)}</g>"


def _span(
    lane: _Lane, mark: _Mark, x: float, end: float, y: float, radius: float, hollow: bool
) -> str:
    """Repeats of one event: a bar from the first to the last, the event's shape at each end."""
    colour = STATE_COLOURS[mark.state]
    untimed = hollow and mark.untimed
    note = " (no time: placed between their neighbours)" if untimed else ""
    tip = (
        f"<title>{_escape(lane.label)}, lines {mark.line} to {mark.end_line}: "
        f"{_escape(mark.text)}, {mark.count:,} times{note}</title>"
    )
    half = max(radius * 0.45, 1.5)
    css = "timeline-untimed" if untimed else ""
    bar = (
        f'<rect x="{x:.1f}" y="{y - half:.1f}" width="{end - x:.1f}" height="{2 * half:.1f}" '
        f'fill="{colour}" fill-opacity="0.55"/>'
    )
    ends = _shape(mark.shape, x, y, radius, colour, css, untimed) + _shape(
        mark.shape, end, y, radius, colour, css, untimed
    )
    return f'<g class="span">{tip}{bar}{ends}</g>'


def _shape(
    shape: str,
    x: float,
    y: float,
    r: float,
    colour: str,
    css: str = "",
    hollow: bool = False,
) -> str:
    cls = f' class="{css}"' if css else ""
    paint = (
        f'fill="#ffffff" stroke="{colour}" stroke-width="1.5" stroke-dasharray="2 1"'
        if hollow
        else f'fill="{colour}"'
    )
    if shape == "rendezvous":
        return f'<circle{cls} cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {paint}/>'
    if shape == "agent":
        return (
            f'<rect{cls} x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" '
            f'height="{2 * r:.1f}" {paint}/>'
        )
    d = r * 1.3
    return (
        f'<path{cls} d="M{x:.1f} {y - d:.1f}L{x + d:.1f} {y:.1f}L{x:.1f} {y + d:.1f}'
        f'L{x - d:.1f} {y:.1f}Z" {paint}/>'
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
    """Where each mark goes (0 to 1), the ticks, and the axis title, in log order (untimed).

    A timed log has its own axis: :func:`_time_axis`.
    """
    count = timeline.count

    def x_of_order(mark: _Mark) -> float:
        return 0.5 if count <= 1 else mark.order / (count - 1)

    if count <= 1:
        return x_of_order, [(0.5, "1")], "events in the order of the log"
    step = max(1, int(_nice((count - 1) / 8)))
    # The first event, then round event numbers (counting from 1) not too near it.
    numbers = [1, *(n for n in range(step, count + 1, step) if n - 1 > step / 2)]
    ticks = [((number - 1) / (count - 1), str(number)) for number in numbers]
    return x_of_order, ticks, "events in the order of the log (no timestamps)"


def _time_axis(
    timeline: Timeline,
) -> tuple[Callable[[_Mark], float], Callable[[_Mark], float], list[tuple[float, str]], str]:
    """On a time axis: where each mark starts and ends (0 to 1), the ticks, the axis title."""
    first, last = timeline.time_range()
    first = first or 0
    span = max((last or 0) - first, 1)
    lone = last == first

    def start(mark: _Mark) -> float:
        return 0.5 if lone or mark.time is None else (mark.time - first) / span

    def end(mark: _Mark) -> float:
        return 0.5 if lone or mark.end is None else (mark.end - first) / span

    seconds = span / SECOND
    unit, size = ("s", 1.0) if seconds < 600 else ("min", 60.0)
    if seconds >= 36000:
        unit, size = "h", 3600.0
    step = _nice(seconds / size / 6) * size  # in seconds; at most about 12 ticks.
    ticks = [
        (number * step / seconds, f"{number * step / size:g} {unit}")
        for number in range(int(seconds / step * 1.0001) + 1)
    ]
    if lone:
        ticks = [(0.5, f"0 {unit}")]
    words = {"s": "seconds", "min": "minutes", "h": "hours"}[unit]
    return start, end, ticks, f"{words} from the first event, {_in_words(first)}"


_MONTHS: tuple[str, ...] = ("January", "February", "March", "April", "May", "June", "July")
_MONTHS += ("August", "September", "October", "November", "December")


def _in_words(time: int) -> str:
    """A time in UTC, in words: ``25 November 2026, 10:00:00.123 UTC``."""
    date, clock = format_time(time).split("T")  # 2026-11-25T10:00:00.123Z; any year
    year, month, day = date.rsplit("-", 2)
    return f"{int(day)} {_MONTHS[int(month) - 1]} {year}, {clock[:-1]} UTC"


def _nice(raw: float) -> float:
    """A round step near ``raw``: 1, 2 or 5 times a power of ten."""
    if raw <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return float(factor * power)
    return 10.0 * power
