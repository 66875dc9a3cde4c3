"""The built site in a real browser: headless Chromium (Debian's) driven by Playwright.

`make test` builds build/html before pytest runs. These tests serve it on 127.0.0.1 and check what
a reader does on the API reference page: it loads without console errors, the copy button copies
an example's JSON, dark mode toggles, a collapsed example expands, a JSON key link lands on its
attribute, the timelines of the real captures follow dark mode, and search finds ``RdzvEvent``.
Screenshots of the page, light and dark, and of the timeline, light and dark, are saved to
build/screenshots/.

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
from pathlib import Path
from typing import Any, NoReturn

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "build" / "html"
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# Flags for a closed network: without the background-networking ones, Chromium keeps trying to
# reach Google's services and logs refused connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EVENTS_PAGE = "elastic/events.html"
TIMEOUT_MS = 15_000


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
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Start headless Chromium with a fresh, empty profile."""
    if not CHROMIUM.is_file():
        _cannot_run(f"no Chromium at {CHROMIUM}: install Debian's `chromium` package")
    try:
        from playwright import sync_api
    except ImportError:
        _cannot_run("Playwright's Python package is not installed: `make venv` installs it")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            color_scheme="light",
            viewport={"width": 1280, "height": 900},
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
    ["index.html", "guide.html", "catalogue.html", "run.html", "directives.html", "changelog.html"],
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


def test_search_finds_rdzv_event(page: Any, site: str, errors: list[str]) -> None:
    page.goto(site + "search.html?q=RdzvEvent", wait_until="load")
    results = page.locator("#search-results ul.search li")
    results.first.wait_for()
    texts = results.all_inner_texts()
    assert any("RdzvEvent" in text for text in texts), texts
    assert errors == []
