"""Helpers for tests that build Sphinx projects: run builds, read their output and warnings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from sphinx.testing.util import SphinxTestApp

ROOTS = Path(__file__).parent / "roots"


def strip_colors(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def warnings_of(app: SphinxTestApp) -> list[str]:
    return strip_colors(app.warning.getvalue()).splitlines()


def soup(app: SphinxTestApp, page: str) -> BeautifulSoup:
    return BeautifulSoup((app.outdir / f"{page}.html").read_text(encoding="utf-8"), "html.parser")


def sphinx_build(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> Any:
    """Run ``python -m sphinx`` in a fresh process, as a user (or sphinx-autobuild) does."""
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "--no-color", *map(str, args)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def read_docs(status: str) -> set[str]:
    """The documents a build's status output says it read."""
    return set(re.findall(r"reading sources\.\.\. \[\s*\d+%\] (\S+)", strip_colors(status)))


def touch_later(path: Path) -> None:
    """Change *path*'s modification time to clearly after the last build."""
    later = time.time() + 5
    os.utime(path, (later, later))


def html_of_serial_and_parallel_builds(root: Path, tmp_path: Path) -> list[dict[Path, bytes]]:
    """Build ``root`` with ``-j 1`` and ``-j 2``; each build's HTML pages, having warned nothing."""
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / jobs
        result = sphinx_build("-j", jobs, "-b", "html", root, out, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        outputs.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*.html"))})
    return outputs
