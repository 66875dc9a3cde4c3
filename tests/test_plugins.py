"""Handler plugins: destinations from the ``elastic_events.handlers`` entry points."""

from __future__ import annotations

import importlib
import logging
import sys
import textwrap
from pathlib import Path

import pytest

import elastic_events
from elastic_events import Event, EventSource, record

PLUGIN = """\
import io, logging

written = io.StringIO()
made = 0


def make():
    global made
    made += 1
    return logging.StreamHandler(written)


def broken():
    raise RuntimeError("no credentials for the acme store")


def not_a_handler():
    return print
"""


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throwaway distribution on sys.path, declaring four handler plugins."""
    (tmp_path / "acme_plugin.py").write_text(PLUGIN)
    info = tmp_path / "acme_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        textwrap.dedent(
            """\
            [elastic_events.handlers]
            acme = acme_plugin:make
            acme-broken = acme_plugin:broken
            acme-odd = acme_plugin:not_a_handler
            acme-missing = acme_missing_module:make
            bad.name = acme_plugin:make
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    sys.modules.pop("acme_plugin", None)


EVENT = Event("torchelastic.worker.status.SUCCEEDED", EventSource.AGENT)


def test_a_plugin_is_listed_without_being_loaded(plugins: Path) -> None:
    assert elastic_events.destinations() == (
        "acme",
        "acme-broken",
        "acme-missing",
        "acme-odd",
        "console",
        "dynamic_rendezvous",
        "null",
    )
    assert "acme_plugin" not in sys.modules


def test_a_plugin_records_on_first_use_of_its_name(plugins: Path) -> None:
    record(EVENT, destination="acme")
    record(EVENT, destination="acme")
    plugin = sys.modules["acme_plugin"]
    assert plugin.written.getvalue() == (EVENT.serialize() + "\n") * 2
    assert plugin.made == 1
    assert elastic_events.get_logging_handler("acme").stream is plugin.written  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "complaint"),
    [
        (
            "acme-broken",
            "the event handler plugin 'acme_plugin:broken' (entry point 'acme-broken' of "
            "'elastic_events.handlers', distribution 'acme-plugin') failed: RuntimeError: no "
            "credentials for the acme store; events recorded to 'acme-broken' are dropped",
        ),
        (
            "acme-odd",
            "the event handler plugin 'acme_plugin:not_a_handler' (entry point 'acme-odd' of "
            "'elastic_events.handlers', distribution 'acme-plugin') returned <built-in function "
            "print>, not a logging.Handler; events recorded to 'acme-odd' are dropped",
        ),
        (
            "acme-missing",
            "the event handler plugin 'acme_missing_module:make' (entry point 'acme-missing' of "
            "'elastic_events.handlers', distribution 'acme-plugin') failed: "
            "ModuleNotFoundError: No module named 'acme_missing_module'; events recorded to "
            "'acme-missing' are dropped",
        ),
    ],
)
def test_a_broken_plugin_warns_once_and_records_nothing(
    plugins: Path,
    name: str,
    complaint: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with caplog.at_level(logging.WARNING, logger="elastic_events"):
        record(EVENT, destination=name)
        record(EVENT, destination=name)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [("WARNING", complaint)]
    assert capsys.readouterr() == ("", "")  # not sent to the console either
    assert isinstance(elastic_events.get_logging_handler(name), logging.NullHandler)


def test_an_entry_point_that_cannot_name_a_destination_is_not_listed(plugins: Path) -> None:
    assert "bad.name" not in elastic_events.destinations()
    with pytest.raises(elastic_events.UnknownDestinationError):
        elastic_events.get_logging_handler("bad.name")


def test_a_registered_handler_wins_over_a_plugin_of_that_name(plugins: Path) -> None:
    handler = logging.NullHandler()
    elastic_events.register_handler("acme", handler)
    assert elastic_events.get_logging_handler("acme") is handler
    assert "acme_plugin" not in sys.modules


def test_without_plugins_an_unknown_name_is_still_unknown() -> None:
    with pytest.raises(elastic_events.UnknownDestinationError, match="'acme'"):
        elastic_events.get_logging_handler("acme")
