"""Fixtures for every test and doctest of the repository: global logging state is restored."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator

import pytest

from elastic_events import _destinations, _record

_PRISTINE_HANDLERS = dict(_destinations._BUILT_IN)

# The modules for optional dependencies are collected (for their doctests) only where those are.
collect_ignore = [
    path
    for path, needs in [
        ("elastic_events/torch.py", "torch"),
        ("elastic_events/otel.py", "opentelemetry"),
    ]
    if importlib.util.find_spec(needs) is None
]


def _event_loggers() -> list[logging.Logger]:
    loggers = logging.Logger.manager.loggerDict.values()
    return [
        logger
        for logger in loggers
        if isinstance(logger, logging.Logger) and logger.name.startswith("torchelastic-events-")
    ]


@pytest.fixture(autouse=True)
def _restore_event_destinations() -> Iterator[None]:
    """Start and leave every test with the destinations and loggers of a fresh import."""
    root = logging.getLogger()
    root_state = (root.handlers[:], root.level)
    yield
    _destinations._handlers.clear()
    _destinations._handlers.update(_PRISTINE_HANDLERS)
    _destinations.sinks.clear()
    _record._unknown_reported.clear()
    _destinations._loglevel_reported.clear()
    for logger in _event_loggers():
        for handler in logger.handlers[:]:
            logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
        logger.filters.clear()
        logger.disabled = False
    root.handlers[:], root.level = root_state
    logging.disable(logging.NOTSET)
