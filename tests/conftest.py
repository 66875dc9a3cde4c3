"""Shared fixtures: Sphinx's test fixtures, the mini projects, and clean global logging state."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from elastic_events._cli import main

# No time limit per example: CI runs the extension's tests on other Sphinx versions beside this
# run, on the same two cores, and a slow example is not a wrong one.
settings.register_profile("shared-cores", deadline=None)
settings.load_profile("shared-cores")

pytest_plugins = ("sphinx.testing.fixtures",)

# The mini Sphinx projects under roots/ are built by the tests, not collected: each has a conf.py.
collect_ignore_glob = ["roots/*"]


@pytest.fixture(scope="session")
def rootdir() -> Path:
    """Where ``@pytest.mark.sphinx(testroot="NAME")`` finds ``test-NAME/``."""
    return Path(__file__).parent / "roots"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Put every logger's handlers, level, propagation and the global disable level back.

    Tests (and Sphinx applications built in them) add handlers and change levels; the next test
    must not see that, whatever the order.
    """
    manager = logging.Logger.manager
    loggers = [
        logging.root,
        *(x for x in manager.loggerDict.values() if isinstance(x, logging.Logger)),
    ]
    saved = {
        id(logger): (logger, list(logger.handlers), logger.level, logger.propagate, logger.disabled)
        for logger in loggers
    }
    disable = manager.disable
    yield
    logging.disable(disable)
    for logger in [logging.root, *manager.loggerDict.values()]:
        if not isinstance(logger, logging.Logger):
            continue
        if id(logger) in saved:
            _, handlers, level, propagate, disabled = saved[id(logger)]
        else:
            handlers, level, propagate, disabled = [], logging.NOTSET, True, False
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
        logger.disabled = disabled


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run the ``elastic-events`` command in-process; give its exit status, stdout and stderr."""

    def run(*args: str | Path) -> tuple[int, str, str]:
        status = main([str(arg) for arg in args])
        out, err = capsys.readouterr()
        return status, out, err

    return run
