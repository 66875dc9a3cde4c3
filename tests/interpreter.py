"""An interpreter-wide setting (a sys.set* one) changed for one block of a test, then restored."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")


@contextlib.contextmanager
def setting(get: Callable[[], T], put: Callable[[T], object], value: T) -> Iterator[None]:
    """``put(value)`` for the block, then what ``get()`` gave before, however the block ends."""
    previous = get()
    put(value)
    try:
        yield
    finally:
        put(previous)
