"""The timeline of a log: lanes per node, marks per event, well-formed and accessible SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from elastic_events import Event, EventLog, EventSource, LogLine, NodeState, RdzvEvent, Timeline
from elastic_events._timeline import STATE_COLOURS
from tests.contrast import GRAPHICS_AA, TEXT_AA, css_rules, furo_dark_variables, ratio, resolve

SVG = "{http://www.w3.org/2000/svg}"


def simulated_log(nodes: int, failing: int = 1) -> list[str]:
    """A run of ``nodes`` nodes: joins, heartbeats, workers, a failure on node ``failing``."""

    def rdzv(node: int, message: str, state: NodeState, **more: object) -> str:
        return RdzvEvent(
            "dynamic_rendezvous.py:next_rendezvous",
            "job-1",
            message,
            f"node-{node}",
            1000 + node,
            state,
            local_id=0,
            **more,  # type: ignore[arg-type]
        ).serialize()

    lines = [rdzv(n, "joins", NodeState.RUNNING) for n in range(nodes)]
    lines += [rdzv(n, "joined", NodeState.RUNNING, rank=n) for n in range(nodes)]
    lines += [
        Event(
            "torchelastic.worker.status.START",
            EventSource.WORKER,
            metadata={"hostname": f"node-{n}", "group_rank": n, "global_rank": n, "state": "START"},
        ).serialize()
        for n in range(nodes)
    ]
    lines.append(rdzv(failing, "heartbeat failed", NodeState.FAILED, rank=failing))
    lines += [rdzv(n, "closed", NodeState.SUCCEEDED, rank=n) for n in range(nodes)]
    return lines


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("nodes", [4, 256])
def test_every_node_has_a_lane_with_its_label(nodes: int) -> None:
    timeline = Timeline(EventLog(simulated_log(nodes)))
    root = parse(timeline.svg())
    lanes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "lane"]
    assert len(lanes) == nodes
    labels = texts(root)
    for node in range(nodes):
        assert f"node-{node} rank {node}" in labels
    # Natural order: node-2 before node-10.
    assert [lane.label for lane in timeline.lanes[:3]] == [
        "node-0 rank 0",
        "node-1 rank 1",
        "node-2 rank 2",
    ]


@pytest.mark.parametrize("nodes", [4, 256])
def test_every_event_is_a_mark_and_the_failure_is_ringed(nodes: int) -> None:
    lines = simulated_log(nodes)
    root = parse(Timeline(EventLog(lines)).svg())
    marks = [g for g in root.iter(f"{SVG}g") if g.get("class") in (None, "failure")]
    titled = [g for g in marks if g.find(f"{SVG}title") is not None]
    assert len(titled) == len(lines)
    failures = [g for g in root.iter(f"{SVG}g") if g.get("class") == "failure"]
    assert len(failures) == 1
    title = failures[0].find(f"{SVG}title")
    assert title is not None
    assert title.text == (
        f"node-1 rank 1, line {3 * nodes + 1}: "
        "dynamic_rendezvous.py:next_rendezvous: heartbeat failed"
    )


def test_lanes_get_smaller_but_stay_readable_with_many_nodes() -> None:
    def lane_height(nodes: int) -> float:
        root = parse(Timeline(EventLog(simulated_log(nodes))).svg())
        lane = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "lane")
        rect = lane.find(f"{SVG}rect")
        assert rect is not None
        return float(rect.get("height", "0"))

    assert lane_height(4) == 32.0
    assert lane_height(256) == 12.0


def test_svg_has_a_title_and_a_description_for_assistive_technology() -> None:
    root = parse(Timeline(EventLog(simulated_log(4))).svg(title="Run job-1"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == (
        "elastic-events-timeline-title elastic-events-timeline-desc"
    )
    title, desc = root[0], root[1]
    assert (title.tag, title.get("id"), title.text) == (
        f"{SVG}title",
        "elastic-events-timeline-title",
        "Run job-1",
    )
    assert desc.tag == f"{SVG}desc"
    assert desc.text == (
        "Timeline of 17 events from 4 nodes; the x axis is the order of the lines in the log.\n"
        "1 failure: node-1 rank 1 at line 13 "
        "(dynamic_rendezvous.py:next_rendezvous: heartbeat failed).\n"
        "Last state of each node: 4 succeeded."
    )


def test_the_legend_names_every_state_and_kind_of_event() -> None:
    root = parse(Timeline(EventLog(simulated_log(4))).svg())
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    assert texts(legend) == [
        *(state.lower() for state in STATE_COLOURS),
        "rendezvous event",
        "agent event",
        "worker event",
        "failure",
    ]


def test_names_are_escaped_and_characters_xml_forbids_replaced() -> None:
    hostile = '</text><script>alert("x")</script>&amp;\x00\x1b'
    line = RdzvEvent(hostile, "r", hostile, hostile, 1, NodeState.FAILED).serialize()
    svg = Timeline(EventLog([line])).svg(title=hostile)
    assert "<script>" not in svg
    root = parse(svg)
    assert root[0].text == '</text><script>alert("x")</script>&amp;\ufffd\ufffd'
    assert not list(root.iter(f"{SVG}script"))


def test_a_failed_lane_is_tinted_and_its_label_bold() -> None:
    root = parse(Timeline(EventLog(simulated_log(4))).svg())
    lanes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "lane"]
    fills = [lane.find(f"{SVG}rect").get("fill") for lane in lanes]  # type: ignore[union-attr]
    assert fills == ["#ffffff", "#fde3d6", "#ffffff", "#f3f5f8"]
    weights = [lane.find(f"{SVG}text").get("font-weight") for lane in lanes]  # type: ignore[union-attr]
    assert weights == [None, "bold", None, None]


@pytest.mark.parametrize("nodes", [4, 256])
def test_themable_elements_carry_their_classes_and_keep_their_light_colours(nodes: int) -> None:
    """The page's stylesheet recolours these by class in dark mode; the attributes stay light."""
    root = parse(Timeline(EventLog(simulated_log(nodes))).svg(title="Run job-1"))
    background = root.find(f"{SVG}rect")
    assert background is not None
    assert background.get("class") == "timeline-background"
    assert background.get("fill") == "#ffffff"
    title = root.find(f"{SVG}text")
    assert title is not None
    assert (title.get("class"), title.get("fill"), title.text) == (
        "timeline-title",
        "#222222",
        "Run job-1",
    )
    lanes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "lane"]
    stripes = [lane.find(f"{SVG}rect") for lane in lanes]
    labels = [lane.find(f"{SVG}text") for lane in lanes]
    expected = [
        "timeline-stripe",
        "timeline-stripe-failed",
        "timeline-stripe",
        "timeline-stripe-alt",
    ]
    expected += ["timeline-stripe", "timeline-stripe-alt"] * ((nodes - 4) // 2)
    assert [stripe.get("class") for stripe in stripes] == expected  # type: ignore[union-attr]
    assert [label.get("class") for label in labels] == [  # type: ignore[union-attr]
        "timeline-label-failed" if index == 1 else "timeline-label" for index in range(nodes)
    ]
    groups = {g.get("class"): g for g in root.iter(f"{SVG}g")}
    legend_texts = list(groups["legend"].iter(f"{SVG}text"))
    assert len(legend_texts) == 9
    assert {text.get("class") for text in legend_texts} == {"timeline-legend-text"}
    shapes = [element for element in groups["legend"] if element.get("fill") == "#555555"]
    assert len(shapes) == 3
    assert {shape.get("class") for shape in shapes} == {"timeline-legend-shape"}
    axis_groups = [groups["axis"], *([groups["axis-top"]] if nodes > 24 else [])]
    for group in axis_groups:
        assert {text.get("class") for text in group.iter(f"{SVG}text")} == {"timeline-axis-text"}
    lines = list(groups["axis"].iter(f"{SVG}line"))
    assert lines[0].get("class") == "timeline-axis-line"
    assert {line.get("class") for line in lines[1:]} == {"timeline-grid-line"}
    rings = [c for c in root.iter(f"{SVG}circle") if c.get("stroke") == "#7a1f00"]
    assert len(rings) == 2  # the legend's and the one failure's
    assert {ring.get("class") for ring in rings} == {"timeline-failure-ring"}
    # The marks keep their state colours in every theme: only their failure rings are themable.
    themed = {
        e.get("class") for e in groups["marks"].iter() if e.get("class", "").startswith("timeline-")
    }
    assert themed == {"timeline-failure-ring"}


def test_without_timestamps_the_x_axis_is_the_order_of_the_log() -> None:
    timeline = Timeline(EventLog(simulated_log(4)))
    assert not timeline.timed
    axis = next(g for g in parse(timeline.svg()).iter(f"{SVG}g") if g.get("class") == "axis")
    assert texts(axis)[-1] == "events in the order of the log (no timestamps)"


def test_with_timestamps_on_every_event_the_x_axis_is_time() -> None:
    lines = [
        Event(
            f"torchelastic.worker.status.{state}",
            EventSource.AGENT,
            timestamp=1_718_000_000_000 + 1000 * second,
            metadata={"hostname": "h", "state": state},
        ).serialize()
        for second, state in [(0, "START"), (5, "FAILED"), (30, "SUCCEEDED")]
    ]
    timeline = Timeline(EventLog(lines))
    assert timeline.timed
    axis = next(g for g in parse(timeline.svg()).iter(f"{SVG}g") if g.get("class") == "axis")
    labels = texts(axis)
    assert labels[0] == "0 s"
    assert "30 s" in labels
    assert labels[-1] == "seconds from the first event, 10 June 2024, 06:13:20.000 UTC"


def test_an_empty_log_draws_an_empty_but_valid_timeline() -> None:
    timeline = Timeline(EventLog([]))
    root = parse(timeline.svg())
    assert root[1].text == (
        "Timeline of 0 events from 0 nodes; the x axis is the order of the lines in the log.\n"
        "No failures."
    )


def test_bad_lines_are_left_out() -> None:
    timeline = Timeline([LogLine(1, None, "not valid JSON"), *EventLog(simulated_log(4))])
    assert timeline.count == 17


def test_events_without_a_local_id_join_their_hosts_only_node() -> None:
    timeline = Timeline(EventLog(simulated_log(2)))
    assert [len(lane.marks) for lane in timeline.lanes] == [4, 5]


def test_several_nodes_on_one_host_each_get_a_lane() -> None:
    lines = [
        RdzvEvent("n", "r", "m", "host", 1, NodeState.RUNNING, local_id=local_id).serialize()
        for local_id in (0, 1)
    ]
    lines.append(
        Event("e", EventSource.AGENT, metadata={"hostname": "host", "state": "START"}).serialize()
    )
    labels = [lane.label for lane in Timeline(EventLog(lines)).lanes]
    assert labels == ["host #0", "host #1", "host #?"]


def test_order_ticks_are_the_first_event_then_round_numbers() -> None:
    timeline = Timeline(EventLog(simulated_log(256)))  # 1,025 events
    axis = next(g for g in parse(timeline.svg()).iter(f"{SVG}g") if g.get("class") == "axis")
    assert texts(axis)[:-1] == ["1", "200", "400", "600", "800", "1000"]


@pytest.mark.parametrize(("nodes", "on_top"), [(4, False), (256, True)])
def test_a_tall_timeline_repeats_its_tick_labels_on_top(nodes: int, on_top: bool) -> None:
    root = parse(Timeline(EventLog(simulated_log(nodes))).svg())
    groups = {g.get("class"): g for g in root.iter(f"{SVG}g")}
    assert ("axis-top" in groups) is on_top
    if on_top:
        assert texts(groups["axis-top"]) == texts(groups["axis"])[:-1]


def test_a_failure_is_marked_by_shape_size_and_words_not_only_by_colour() -> None:
    """WCAG 1.4.1: without colour, a failure keeps its ring, its size, its tick and its words."""
    root = parse(Timeline(EventLog(simulated_log(4))).svg())
    groups = {g.get("class"): g for g in root.iter(f"{SVG}g")}
    marks = list(groups["marks"])
    failures = [g for g in marks if g.get("class") == "failure"]
    others = [g for g in marks if g.get("class") is None]
    assert len(failures) == 1
    assert len(others) == 16
    (failure,) = failures
    # A ring around it, which no other mark has.
    ring, shape = (child for child in failure if child.tag != f"{SVG}title")
    assert (ring.tag, ring.get("class"), ring.get("fill")) == (
        f"{SVG}circle",
        "timeline-failure-ring",
        "none",
    )
    assert not [e for g in others for e in g.iter() if e.get("class") == "timeline-failure-ring"]
    # Bigger than every other mark of its kind (a rendezvous event: a circle).
    assert shape.tag == f"{SVG}circle"
    other_radii = [float(e.get("r", "0")) for g in others for e in g.iter(f"{SVG}circle")]
    assert float(shape.get("r", "0")) > max(other_radii)
    assert float(ring.get("r", "0")) > float(shape.get("r", "0"))
    # A tick above the lanes at the same place, which says what it is.
    (tick,) = list(groups["failure-ticks"])
    tip = tick.find(f"{SVG}title")
    assert tip is not None
    assert tip.text == "failure: node-1 rank 1, line 13"
    points = [float(n) for n in tick.get("d", "").replace("M", " ").replace("L", " ")[:-1].split()]
    assert points[4] == float(shape.get("cx", "nan"))  # the tip of the triangle
    # Its lane's label is bold and its lane's tooltip says "failed".
    lanes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "lane"]
    tips = [lane.find(f"{SVG}title").text for lane in lanes]  # type: ignore[union-attr]
    assert tips == [
        "node-0 rank 0: 4 events",
        "node-1 rank 1: 5 events, failed",
        "node-2 rank 2: 4 events",
        "node-3 rank 3: 4 events",
    ]
    # The legend shows the ring next to the word for it, and a word next to every colour.
    legend = list(groups["legend"])
    ring_sample = next(e for e in legend if e.get("class") == "timeline-failure-ring")
    after = legend[legend.index(ring_sample) + 2]
    assert (after.tag, after.text) == (f"{SVG}text", "failure")
    circles = [e for e in legend if e.tag == f"{SVG}circle" and e.get("class") is None]
    words = [legend[legend.index(circle) + 1].text for circle in circles[:5]]
    assert words == ["init", "running", "succeeded", "failed", "other"]


def test_the_description_names_ten_failures_then_counts_the_rest() -> None:
    lines = [
        RdzvEvent("r:beat", "r", f"miss {n}", f"node-{n}", 1, NodeState.FAILED).serialize()
        for n in range(12)
    ]
    description = Timeline(EventLog(lines)).describe().splitlines()
    named = ", ".join(f"node-{n} at line {n + 1} (r:beat: miss {n})" for n in range(10))
    assert description[1] == f"12 failures: {named.replace(', node', '; node')}; and 2 more."


def _dark_rules(selector_start: str) -> dict[str, dict[str, str]]:
    """The timeline's dark-mode colours on Furo's page: class -> fill/stroke, variables resolved."""
    from sphinxext.event_json import _timelines

    variables = furo_dark_variables()
    css = (_timelines.STATIC / "event_json.css").read_text(encoding="utf-8")
    rules: dict[str, dict[str, str]] = {}
    prefix = f"{selector_start} .event-timeline svg ."
    for selectors, declarations in css_rules(css):
        for selector in selectors:
            if selector.startswith(prefix):
                resolved = {k: resolve(v, variables) for k, v in declarations.items()}
                rules.setdefault(selector[len(prefix) :], {}).update(resolved)
    return rules


def _painted(
    element: ET.Element,
    parents: dict[ET.Element, ET.Element],
    rules: dict[str, dict[str, str]],
    prop: str,
) -> str:
    """The ``fill`` or ``stroke`` of ``element``: its class's rule, else its or an ancestor's."""
    css = rules.get(element.get("class", ""), {})
    if prop in css:
        return css[prop]
    node: ET.Element | None = element
    while node is not None:
        if node.get(prop):
            return node.get(prop, "")
        node = parents.get(node)
    return "#000000"


@pytest.mark.parametrize(
    "mode",
    ["light", 'body[data-theme="dark"]', 'body:not([data-theme="light"])'],
)
def test_the_timeline_s_text_and_marks_meet_aa_contrast(mode: str) -> None:
    """WCAG 1.4.3 (text, 4.5:1) and 1.4.11 (marks, 3:1), from the colours the SVG and CSS use.

    Light is the SVG as drawn; dark is the extension's stylesheet on Furo's dark page, chosen
    (``data-theme="dark"``) or followed from the system. Grid lines are decoration, not measured.
    """
    rules = {} if mode == "light" else _dark_rules(mode)
    root = parse(Timeline(EventLog(simulated_log(30, failing=3))).svg(title="Run job-1"))
    parents = {child: parent for parent in root.iter() for child in parent}

    def fill(element: ET.Element) -> str:
        return _painted(element, parents, rules, "fill")

    groups = {g.get("class"): g for g in root.iter(f"{SVG}g")}
    background = fill(root.find(f"{SVG}rect"))  # type: ignore[arg-type]
    if mode != "light":
        assert ratio(background, "#ffffff") > 10, "dark mode did not recolour the background"
    lanes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "lane"]
    stripes = {fill(lane.find(f"{SVG}rect")) for lane in lanes}  # type: ignore[arg-type]
    assert len(stripes) == 3  # plain, alternate, failed
    low: list[str] = []

    def check(what: str, colour: str, behind: str, minimum: float) -> None:
        if ratio(colour, behind) < minimum:
            low.append(f"{what}: {colour} on {behind} is {ratio(colour, behind):.2f}:1")

    # Text: the title, the legend and the axis on the background; labels on their lanes.
    for group in ("legend", "axis", "axis-top"):
        for text in groups[group].iter(f"{SVG}text"):
            check(f"{group} text {text.text!r}", fill(text), background, TEXT_AA)
    title = root.find(f"{SVG}text")
    assert title is not None
    check("title", fill(title), background, TEXT_AA)
    for lane in lanes:
        label = lane.find(f"{SVG}text")
        assert label is not None
        check(f"label {label.text!r}", fill(label), fill(lane.find(f"{SVG}rect")), TEXT_AA)  # type: ignore[arg-type]
    # Marks: every state colour on every lane; the failure rings; the ticks and the legend's
    # samples on the background; the axis line.
    for element in groups["marks"].iter():
        if element.tag in {f"{SVG}circle", f"{SVG}rect", f"{SVG}path"}:
            paint = fill(element)
            if paint == "none":
                paint = _painted(element, parents, rules, "stroke")
            for stripe in stripes:
                check(f"mark {element.get('class') or paint}", paint, stripe, GRAPHICS_AA)
    for tick in groups["failure-ticks"]:
        check("failure tick", fill(tick), background, GRAPHICS_AA)
    for sample in groups["legend"]:
        if sample.tag != f"{SVG}text":
            paint = fill(sample)
            if paint == "none":
                paint = _painted(sample, parents, rules, "stroke")
            check(f"legend {sample.get('class') or paint}", paint, background, GRAPHICS_AA)
    axis_line = next(groups["axis"].iter(f"{SVG}line"))
    check("axis line", _painted(axis_line, parents, rules, "stroke"), background, GRAPHICS_AA)
    assert low == []


def test_the_state_colours_reach_3_to_1_on_every_lane_of_both_modes() -> None:
    dark = _dark_rules('body[data-theme="dark"]')
    lanes = {
        "light": ["#ffffff", "#f3f5f8", "#fde3d6"],
        "dark": [
            dark["timeline-stripe"]["fill"],
            dark["timeline-stripe-alt"]["fill"],
            dark["timeline-stripe-failed"]["fill"],
        ],
    }
    low = [
        (state, mode, lane, round(ratio(colour, lane), 2))
        for state, colour in STATE_COLOURS.items()
        for mode, backgrounds in lanes.items()
        for lane in backgrounds
        if ratio(colour, lane) < GRAPHICS_AA
    ]
    assert low == []
