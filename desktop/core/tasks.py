"""Cancellation and progress shared by every long-running core function.

Core functions that may take more than a moment accept ``progress`` and ``cancel`` keyword
arguments. They call ``cancel.raise_if_cancelled()`` at safe points and report progress
as a fraction in [0, 1] with a short message for the status bar. The UI's jobs module
wires these to its widgets; the CLI and tests pass their own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

ProgressFn = Callable[[float, str], None]


class Cancelled(Exception):
    """Raised inside a task when its user pressed Cancel; nothing partial is kept."""


class CancelToken:
    """Thread-safe flag a worker polls to stop early."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


def no_progress(fraction: float, message: str) -> None:
    """Default progress sink."""
