"""The built site in a real browser: headless Chromium (Debian's) driven by Playwright.

`make test` builds build/html before pytest runs. These tests serve it on 127.0.0.1 and check what
a reader does on the API reference page: it loads without console errors, the copy button copies
an example's JSON, dark mode toggles, a collapsed example expands, a JSON key link lands on its
attribute, the timelines of the real captures follow dark mode, and search finds ``RdzvEvent``.
Screenshots of the page, light and dark, and of the timeline, light and dark, are saved to
build/screenshots/.

Accessibility: axe-core (the copy that the pinned ``axe-playwright-python`` wheel ships) runs its
WCAG 2.0 and 2.1 A and AA rules on every page of the site in Furo's light and dark modes, and every
highlighted token's contrast against its code block is measured; a summary per mode goes to
build/accessibility/. A code block that scrolls sideways is reached, scrolled and copied with the
keyboard alone, with a visible focus ring.

Without a browser or a built site the tests skip with the reason, except in CI (``CI=true``),
where they fail instead: CI must run them.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.contrast import GRAPHICS_AA, TEXT_AA, ratio

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "build" / "html"
SCREENSHOTS = ROOT / "build" / "screenshots"
REPORTS = ROOT / "build" / "accessibility"
EVENTS_PAGE = "elastic/events.html"
TIMEOUT_MS = 15_000
VIEWPORT = {"width": 1280, "height": 900}
# The axe-core rules of WCAG 2.0 and 2.1, levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _cannot_run(reason: str) -> NoReturn:
    """Skip, or fail in CI, where the browser test must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser test must run in CI)")
    pytest.skip(reason)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """Serve build/html on a free port of 127.0.0.1; yield its base URL."""
    if not (HTML / "index.html").is_file():
        _cannot_run(f"no built site at {HTML}: run `make html` first")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Start headless Chromium, once for the module; each test's context is fresh and empty."""
    if not CHROMIUM.is_file():
        _cannot_run(f"no Chromium at {CHROMIUM}: install Debian's `chromium` package")
    try:
        from playwright import sync_api
    except ImportError:
        _cannot_run("Playwright's Python package is not installed: `make venv` installs it")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def browser(chromium: Any) -> Iterator[Any]:
    """A light browsing context with the clipboard allowed, shared by the reader's tests."""
    context = chromium.new_context(
        color_scheme="light",
        viewport=VIEWPORT,
        permissions=["clipboard-read", "clipboard-write"],
    )
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def errors() -> list[str]:
    """Console errors and uncaught exceptions of the ``page`` under test."""
    return []


@pytest.fixture
def page(browser: Any, errors: list[str]) -> Iterator[Any]:
    """A new tab that reports its console errors and uncaught exceptions into ``errors``."""
    tab = browser.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on(
        "response",
        lambda r: errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
    )
    try:
        yield tab
    finally:
        tab.close()


def _open_events_page(page: Any, site: str) -> None:
    page.goto(site + EVENTS_PAGE, wait_until="load")


def _set_theme(page: Any, theme: str) -> None:
    """Click Furo's theme toggle until the body's data-theme is ``theme`` (it cycles 3 states)."""
    toggle = page.locator("button.theme-toggle").locator("visible=true").first
    for _ in range(3):
        if page.locator("body").get_attribute("data-theme") == theme:
            return
        toggle.click()
    assert page.locator("body").get_attribute("data-theme") == theme


def _background(page: Any) -> str:
    return str(page.evaluate("getComputedStyle(document.body).backgroundColor"))


def test_events_page_loads_without_console_errors(page: Any, site: str, errors: list[str]) -> None:
    _open_events_page(page, site)
    assert page.locator("h1").first.inner_text().startswith("Events")
    assert page.locator('dt[id="elastic_events.RdzvEvent"]').count() == 1
    assert page.locator(".event-json").count() >= 4
    page.wait_for_load_state("networkidle")
    assert errors == []


@pytest.mark.parametrize(
    "path",
    [
        "index.html",
        "guide.html",
        "catalogue.html",
        "run.html",
        "directives.html",
        "accessibility.html",
        "changelog.html",
    ],
)
def test_other_pages_load_without_console_errors(
    page: Any, site: str, errors: list[str], path: str
) -> None:
    page.goto(site + path, wait_until="networkidle")
    assert page.locator("h1").count() == 1
    assert errors == []


def test_dark_mode_toggles_and_screenshots_are_saved(
    page: Any, site: str, errors: list[str]
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _open_events_page(page, site)
    _set_theme(page, "light")
    light = _background(page)
    page.screenshot(path=str(SCREENSHOTS / "events-light.png"), full_page=False)
    _set_theme(page, "dark")
    dark = _background(page)
    page.screenshot(path=str(SCREENSHOTS / "events-dark.png"), full_page=False)
    assert light != dark, "the page background did not change with the theme"
    # Furo remembers the choice across pages.
    assert page.evaluate("localStorage.getItem('theme')") == "dark"
    assert (SCREENSHOTS / "events-light.png").stat().st_size > 0
    assert (SCREENSHOTS / "events-dark.png").stat().st_size > 0
    assert errors == []


def test_copy_button_copies_the_json_of_an_example(page: Any, site: str, errors: list[str]) -> None:
    _open_events_page(page, site)
    block = page.locator(".event-json div.highlight").first
    shown = block.locator("pre").inner_text()
    block.hover()
    block.locator("xpath=..").locator("button.copybtn").first.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert json.loads(copied) == json.loads(shown)
    assert copied.strip() == shown.strip()
    assert errors == []


def test_copy_button_strips_prompts_and_output(page: Any, site: str, errors: list[str]) -> None:
    page.goto(site + "index.html", wait_until="load")
    block = page.locator("div.highlight", has_text=">>> record(event").first
    block.hover()
    block.locator("button.copybtn").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert 'record(event, destination="console")' in copied
    assert ">>>" not in copied
    assert '{"name"' not in copied, "the example's output was copied too"
    compile(copied, "<copied>", "exec")  # what a reader pastes runs
    assert errors == []


def test_collapsed_example_expands(page: Any, site: str, errors: list[str]) -> None:
    _open_events_page(page, site)
    summary = page.locator("details.event-json > summary", has_text="failed keep-alive heartbeat")
    details = summary.locator("xpath=..")
    code = details.locator("pre").first
    assert details.get_attribute("open") is None
    assert not code.is_visible()
    summary.click()
    assert details.get_attribute("open") is not None
    assert code.is_visible()
    assert json.loads(code.inner_text())["node_state"] == "FAILED"
    assert errors == []


def test_json_key_link_lands_on_its_attribute(page: Any, site: str, errors: list[str]) -> None:
    _open_events_page(page, site)
    target = "elastic_events.RdzvEvent.node_state"
    link = page.locator(f'.event-json pre a[href$="#{target}"]').first
    assert link.inner_text().strip('"') == "node_state"
    link.click()
    page.wait_for_function(f"location.hash === '#{target}'")
    attribute = page.locator(f'[id="{target}"]')
    assert attribute.count() == 1
    assert attribute.is_visible()
    # Furo scrolls smoothly: wait until the attribute's entry is in the viewport.
    page.wait_for_function(
        """id => {
            const r = document.getElementById(id).getBoundingClientRect();
            return r.top >= 0 && r.bottom <= window.innerHeight;
        }""",
        arg=target,
    )
    assert errors == []


def _fill(locator: Any) -> str:
    return str(locator.evaluate("element => getComputedStyle(element).fill"))


def test_run_timeline_renders_and_is_screenshot(page: Any, site: str, errors: list[str]) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(site + "run.html", wait_until="networkidle")
    _set_theme(page, "light")  # the browser's profile keeps the theme of earlier tests
    timeline = page.locator(".event-timeline svg").first
    timeline.scroll_into_view_if_needed()
    assert timeline.is_visible()
    box = timeline.bounding_box()
    assert box is not None
    assert box["width"] > 300
    assert box["height"] > 100
    # Fit to the page's column (the stylesheet scales it down), not cut off or scrolled.
    column = page.locator("article").first.bounding_box()
    assert column is not None
    assert box["width"] <= column["width"] + 1
    assert "node by node" in timeline.locator("title").first.text_content()
    # Labelled for screen readers by its title and description, which exist on the page.
    assert timeline.get_attribute("role") == "img"
    for label in (timeline.get_attribute("aria-labelledby") or "").split():
        assert page.locator(f'[id="{label}"]').count() == 1, label
    # One node (the capture restart.log), with no failure; the failed run (fail.log) below it
    # has two, drawn where a reader sees them.
    lanes = timeline.locator("g.lane")
    assert lanes.count() == 1
    assert lanes.first.locator("text").text_content() == "localhost rank 0"
    assert timeline.locator("g.failure").count() == 0
    failed = page.locator(".event-timeline svg").nth(1)
    failed.scroll_into_view_if_needed()
    failures = failed.locator("g.failure")
    assert failures.count() == 2
    assert failures.first.is_visible()
    timeline.scroll_into_view_if_needed()
    # Light, as the SVG's own attributes draw it.
    assert _fill(timeline.locator("rect.timeline-background")) == "rgb(255, 255, 255)"
    timeline.screenshot(path=str(SCREENSHOTS / "run-timeline.png"))
    assert (SCREENSHOTS / "run-timeline.png").stat().st_size > 0
    assert errors == []


@pytest.mark.parametrize("theme", ["dark", "auto"])
def test_run_timeline_follows_dark_mode(
    page: Any, site: str, errors: list[str], theme: str
) -> None:
    """Dark, chosen or followed from the system ("auto"): no white box, failures still stand out."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.emulate_media(color_scheme="dark")
    page.goto(site + "run.html", wait_until="networkidle")
    _set_theme(page, theme)
    page_background = _background(page)
    timeline = page.locator(".event-timeline svg").first
    timeline.scroll_into_view_if_needed()
    background = timeline.locator("rect.timeline-background")
    assert background.count() == 1
    fill = _fill(background)
    assert fill not in {"rgb(255, 255, 255)", "#ffffff", "white"}, fill
    assert fill == page_background, "the timeline's background is not the page's"
    # The node of restart.log did not fail: its lane is plain. That of fail.log is tinted, in a
    # dark tint, not the light one.
    assert _fill(timeline.locator("g.lane rect").first) == fill
    failed = page.locator(".event-timeline svg").nth(1).locator("g.lane rect").first
    assert _fill(failed) not in {fill, "rgb(253, 227, 214)"}, _fill(failed)
    label = _fill(timeline.locator("text.timeline-label").first)
    assert label not in {"rgb(34, 34, 34)", fill}, label
    if theme == "dark":
        timeline.screenshot(path=str(SCREENSHOTS / "run-timeline-dark.png"))
        assert (SCREENSHOTS / "run-timeline-dark.png").stat().st_size > 0
    assert errors == []


def _heartbeat_log(nodes: int, beats: int, failing: int) -> list[str]:
    """A timed log of keep-alive heartbeats, every 5 s from every node; one node fails midway."""
    from elastic_events import NodeState, RdzvEvent, format_time

    def line(node: int, beat: int, state: NodeState, message: str) -> str:
        event = RdzvEvent(
            "dynamic_rendezvous.py:DynamicRendezvousHandler._keep_alive", "job", message,
            f"node-{node}", 1000 + node, state, rank=node,
        )  # fmt: skip
        at = format_time(1_795_600_800 * 10**9 + beat * 5 * 10**9 + node * 10**6)
        return f"{at} {event.serialize()}"

    lines = []
    for beat in range(beats):
        for node in range(nodes):
            if node == failing and beat == beats // 2:
                lines.append(line(node, beat, NodeState.FAILED, "the node stopped"))
            else:
                lines.append(line(node, beat, NodeState.RUNNING, f"node-{node} sent a heartbeat"))
    return lines


def test_a_heartbeat_heavy_timeline_renders_in_chromium_with_a_lane_per_node(
    chromium: Any, tmp_path: Path
) -> None:
    """50,000 events, mostly heartbeats: drawn as spans, the SVG opens and shows every lane."""
    from elastic_events import EventLog, Timeline

    nodes, beats = 100, 500
    svg = tmp_path / "heartbeats.svg"
    svg.write_text(Timeline(EventLog(_heartbeat_log(nodes, beats, failing=7))).svg())
    context = chromium.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS * 4)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(svg.as_uri(), wait_until="load")
        box = page.locator("svg").first.bounding_box()
        assert box is not None
        assert box["width"] > 300
        assert box["height"] > 100
        labels = page.locator("g.lane text").all_text_contents()
        assert labels == [f"node-{node} rank {node}" for node in range(nodes)]
        # The repeats are spans (a few per lane: the failure cuts node-7's), not 50,000 marks.
        spans = page.locator("g.span").count()
        assert nodes <= spans <= 2 * nodes
        assert page.locator("g.failure").count() == 1
        shot = tmp_path / "heartbeats.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 0
        assert errors == []
    finally:
        context.close()


def test_search_finds_rdzv_event(page: Any, site: str, errors: list[str]) -> None:
    page.goto(site + "search.html?q=RdzvEvent", wait_until="load")
    results = page.locator("#search-results ul.search li")
    results.first.wait_for()
    texts = results.all_inner_texts()
    assert any("RdzvEvent" in text for text in texts), texts
    assert errors == []


# -- Accessibility: axe-core's WCAG 2 A and AA rules, token contrast, keyboard -----------------


def _axe_source() -> str:
    """axe-core's browser script, from the pinned wheel that ships it."""
    try:
        script = resources.files("axe_playwright_python").joinpath("axe.min.js")
        return script.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        _cannot_run("axe-core is not installed (axe-playwright-python): `make venv` installs it")


def _site_pages() -> list[str]:
    """Every HTML page of the built site, as a path relative to its root."""
    return sorted(
        path.relative_to(HTML).as_posix()
        for path in HTML.rglob("*.html")
        if not {"_static", "_sources"} & set(path.relative_to(HTML).parts)
    )


_TOKEN_COLOURS = """() => {
    const opaque = colour => !/^rgba\\(.*,\\s*0\\)$/.test(colour) && colour !== "transparent";
    const behind = element => {
        for (let e = element; e; e = e.parentElement) {
            const colour = getComputedStyle(e).backgroundColor;
            if (opaque(colour)) return colour;
        }
        return "rgb(255, 255, 255)";
    };
    const seen = new Map();
    for (const element of document.querySelectorAll("div.highlight pre, div.highlight pre *")) {
        const text = [...element.childNodes]
            .filter(node => node.nodeType === Node.TEXT_NODE)
            .map(node => node.textContent).join("").trim();
        if (!text) continue;
        const colour = getComputedStyle(element).color, background = behind(element);
        const key = colour + " on " + background;
        if (!seen.has(key)) {
            const name = element.className || element.tagName.toLowerCase();
            seen.set(key, {colour, background, token: name, text: text.slice(0, 40)});
        }
    }
    return [...seen.values()];
}"""


def _token_contrasts(page: Any) -> list[tuple[float, str]]:
    """Each distinct colour of the highlighted code on the page and its ratio, lowest first."""
    found = page.evaluate(_TOKEN_COLOURS)
    return sorted(
        (
            ratio(item["colour"], item["background"]),
            f"{item['token']} {item['text']!r}: {item['colour']} on {item['background']}",
        )
        for item in found
    )


def _axe_problems(page: Any, name: str, axe: str) -> list[str]:
    """axe-core's WCAG 2 A/AA violations on the open page: one line per rule and element."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        AXE_TAGS,
    )
    problems = []
    for violation in result["violations"]:
        for node in violation["nodes"]:
            summary = " ".join(node.get("failureSummary", "").split())
            problems.append(
                f"{name}: {violation['id']} ({violation['impact']}) at "
                f"{' '.join(map(str, node['target']))}: {summary}"
            )
    return problems


def _wait_for_copy_buttons(page: Any) -> None:
    """sphinx-copybutton adds its buttons once clipboard.js has loaded, asynchronously."""
    page.wait_for_function(
        "document.querySelectorAll('div.highlight pre').length"
        " === document.querySelectorAll('div.highlight button.copybtn').length"
    )


@pytest.fixture(scope="module", params=["light", "dark"])
def themed(request: pytest.FixtureRequest, chromium: Any, site: str) -> Iterator[tuple[str, Any]]:
    """One tab in one context per mode: the system's scheme and Furo's choice both that mode."""
    mode = str(request.param)
    context = chromium.new_context(
        color_scheme=mode,
        viewport=VIEWPORT,
        permissions=["clipboard-read", "clipboard-write"],
    )
    context.add_init_script(f"localStorage.setItem('theme', '{mode}')")
    context.add_init_script(_axe_source())  # in every page of the context before its own scripts
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    try:
        yield mode, tab
    finally:
        context.close()


def test_every_page_passes_axe_wcag_2_aa_and_every_token_reaches_4_5_to_1(
    themed: tuple[str, Any], site: str
) -> None:
    mode, page = themed
    axe = _axe_source()
    pages = _site_pages()
    assert "elastic/events.html" in pages
    assert len(pages) >= 8
    problems: list[str] = []
    lowest: tuple[float, str] = (21.0, "")
    summary: dict[str, Any] = {"mode": mode, "axe_tags": AXE_TAGS, "pages": {}}
    for name in pages:
        page.goto(site + name, wait_until="load")
        assert page.locator("body").get_attribute("data-theme") == mode, name
        _wait_for_copy_buttons(page)
        found = _axe_problems(page, name, axe)
        tokens = _token_contrasts(page)
        problems += found
        problems += [
            f"{name}: token contrast {value:.2f}:1 < {TEXT_AA}:1: {what}"
            for value, what in tokens
            if value < TEXT_AA
        ]
        if tokens:
            lowest = min(lowest, (tokens[0][0], f"{name}: {tokens[0][1]}"))
        summary["pages"][name] = {"violations": len(found), "token_colours": len(tokens)}
        if name == "directives.html":  # code-heavy: event-json blocks, a schema, a log table
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.locator(".event-json").first.scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOTS / f"code-{mode}.png"))
    summary["lowest_token_contrast"] = {"ratio": round(lowest[0], 2), "where": lowest[1]}
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{mode}.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    assert lowest[1], "no highlighted code was measured"
    assert problems == [], f"{len(problems)} accessibility problems in {mode} mode"


_BROKEN_PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>A broken page</title></head>
<body><main>
<h1>A deliberately broken page</h1>
<p id="faint" style="color: #aaaaaa; background: #ffffff">Grey on white: 2.3:1.</p>
<pre id="wide" style="overflow: auto; width: 12em">a line wider than its box, which scrolls</pre>
<div class="highlight" style="background: #f0f0f0"><pre><span class="c1" style="color: #60a0b0"
># friendly's comment colour</span></pre></div>
</main></body></html>
"""


def test_the_accessibility_check_fails_on_a_broken_page(page: Any) -> None:
    """The test of the test: low contrast and an unreachable scroll region are each reported."""
    page.set_content(_BROKEN_PAGE)
    problems = _axe_problems(page, "broken.html", _axe_source())
    assert any(
        p.startswith("broken.html: color-contrast (serious) at #faint:") and "2.32" in p
        for p in problems
    ), problems
    assert any(
        p.startswith("broken.html: scrollable-region-focusable (serious) at #wide:")
        for p in problems
    ), problems
    value, what = _token_contrasts(page)[0]
    assert value == pytest.approx(2.57, abs=0.01)
    assert what.startswith('c1 "# friendly\'s comment colour": rgb(96, 160, 176)')


def _focus_ring(locator: Any) -> dict[str, str]:
    return dict(
        locator.evaluate(
            """e => { const s = getComputedStyle(e);
                return {style: s.outlineStyle, width: s.outlineWidth, colour: s.outlineColor,
                        opacity: s.opacity}; }"""
        )
    )


def test_a_wide_code_block_is_reached_scrolled_and_copied_by_keyboard(
    themed: tuple[str, Any], site: str
) -> None:
    mode, page = themed
    page.goto(site + "guide.html", wait_until="load")
    _wait_for_copy_buttons(page)
    region = page.locator("div.highlight pre[data-scroll-region]").first
    assert region.count() == 1, "no wide code block of the guide is a keyboard scroll region"
    # Every region that scrolls sideways is marked, and only those.
    assert page.evaluate(
        """() => [...document.querySelectorAll("article pre, article div")].every(e => {
            const o = getComputedStyle(e).overflowX;
            const scrolls = (o === "auto" || o === "scroll") && e.scrollWidth > e.clientWidth + 1;
            return scrolls === e.hasAttribute("data-scroll-region");
        })"""
    )
    # Start the keyboard just before the block, then Tab into it.
    region.evaluate(
        """e => { const start = document.createElement("span");
            start.tabIndex = -1; start.id = "keyboard-start";
            e.closest("div[class^='highlight-'], div.highlight").before(start); start.focus(); }"""
    )
    page.keyboard.press("Tab")
    assert region.evaluate("e => e === document.activeElement")
    assert region.get_attribute("tabindex") == "0"
    assert region.get_attribute("role") == "region"
    assert (region.get_attribute("aria-label") or "").startswith("Code")
    ring = _focus_ring(region)
    assert ring["style"] != "none"
    assert float(ring["width"].removesuffix("px")) >= 2
    code_background = region.evaluate(
        "e => getComputedStyle(e.closest('div.highlight')).backgroundColor"
    )
    assert ratio(ring["colour"], code_background) >= GRAPHICS_AA, (ring, code_background)
    assert ratio(ring["colour"], _background(page)) >= GRAPHICS_AA, ring
    # The arrow keys scroll it.
    assert region.evaluate("e => e.scrollLeft") == 0
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("e => e.scrollLeft > 0", arg=region.element_handle())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"keyboard-{mode}.png"))
    # The next Tab reaches the copy button, which shows itself with a ring; Enter copies.
    page.keyboard.press("Tab")
    button = region.locator("xpath=..").locator("button.copybtn")
    assert button.evaluate("e => e === document.activeElement")
    page.wait_for_function(
        "e => e.getAnimations().length === 0 && getComputedStyle(e).opacity === '1'",
        arg=button.element_handle(),
    )
    ring = _focus_ring(button)
    assert ring["style"] != "none"
    assert ratio(ring["colour"], code_background) >= GRAPHICS_AA, ring
    icon = button.evaluate("e => getComputedStyle(e).color")
    assert ratio(icon, code_background) >= GRAPHICS_AA, icon
    page.keyboard.press("Enter")
    copied = page.evaluate("navigator.clipboard.readText()")
    shown = region.inner_text()
    assert copied.strip()
    assert all(line in shown for line in copied.splitlines()), copied
