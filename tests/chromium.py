"""The headless Chromium that the browser tests and the timeline benchmark open pages in.

A module of its own, without pytest, so that ``benchmarks/bench_times.py`` launches the browser
exactly as ``tests/test_browser.py`` does without importing the test suite.
"""

from __future__ import annotations

from pathlib import Path

#: Debian's Chromium, which ``.ci/run`` installs.
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
