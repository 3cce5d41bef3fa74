"""The one inference worker: a thread that owns the models and runs jobs by priority.

Every model call in the app goes through here, so models are only ever touched by one
thread (no locking inside torch code) and the GUI thread never runs inference. A job that
fails sets its exception on its Future and the worker goes on with the next job.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from enum import IntEnum
from typing import Any, TypeVar

from desktop.core.tasks import Cancelled, CancelToken

log = logging.getLogger(__name__)
T = TypeVar("T")


class Priority(IntEnum):
    """Lower runs first. Interactive = a clinician is watching (chat, streaming summary)."""

    INTERACTIVE = 0
    NORMAL = 10
    BACKGROUND = 20


_STOP = object()
# How much lower the worker's CPU priority is than the GUI thread's (POSIX nice steps).
WORKER_NICE = 5


def _lower_thread_priority() -> None:
    """Let the GUI thread win the CPU over inference (Linux: nice is per thread and is
    inherited by the math library threads this thread starts)."""
    if os.environ.get("CLINICDESK_WORKER_NICE") == "0" or not hasattr(os, "setpriority"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + WORKER_NICE)
    except OSError:
        pass  # not permitted here; inference still works at normal priority


class InferenceWorker:
    """A single daemon thread draining a priority queue of jobs (FIFO within a priority)."""

    def __init__(self, name: str = "clinicdesk-inference") -> None:
        self._queue: queue.PriorityQueue[tuple[int, int, Any]] = queue.PriorityQueue()
        self._seq = itertools.count()
        self._name = name
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        self.current_job: str | None = None  # name of the job running now (for status bars)

    def _ensure_started(self) -> None:
        with self._start_lock:
            if self._closed:
                raise RuntimeError("the inference worker has been shut down")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def on_worker_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def submit(
        self,
        fn: Callable[[], T],
        *,
        priority: int = Priority.NORMAL,
        cancel: CancelToken | None = None,
        name: str = "job",
    ) -> Future[T]:
        """Queue ``fn`` (called with no arguments on the worker thread); returns its Future.
        A job whose ``cancel`` token is set before it starts never runs (raises Cancelled)."""
        self._ensure_started()
        future: Future[T] = Future()
        self._queue.put((int(priority), next(self._seq), (fn, future, cancel, name)))
        return future

    def run(
        self,
        fn: Callable[[], T],
        *,
        priority: int = Priority.NORMAL,
        cancel: CancelToken | None = None,
        name: str = "job",
    ) -> T:
        """Run ``fn`` on the worker and wait for it; inline if already on the worker thread
        (so a job may call other runtime functions without deadlocking)."""
        if self.on_worker_thread():
            if cancel is not None:
                cancel.raise_if_cancelled()
            return fn()
        return self.submit(fn, priority=priority, cancel=cancel, name=name).result()

    def pending(self) -> int:
        return self._queue.qsize()

    def shutdown(self, wait: bool = True) -> None:
        """Finish queued jobs, then stop the thread."""
        with self._start_lock:
            self._closed = True
            thread = self._thread
        if thread is None:
            return
        self._queue.put((10**9, next(self._seq), _STOP))
        if wait and not self.on_worker_thread():
            thread.join()

    def _run(self) -> None:
        _lower_thread_priority()
        while True:
            _, _, item = self._queue.get()
            if item is _STOP:
                return
            fn, future, cancel, name = item
            if not future.set_running_or_notify_cancel():
                continue
            if cancel is not None and cancel.cancelled:
                future.set_exception(Cancelled())
                continue
            self.current_job = name
            try:
                future.set_result(fn())
            except Exception as exc:  # noqa: BLE001  (a failed job must never stop the worker)
                if not isinstance(exc, Cancelled):
                    # Type only: messages may quote patient text.
                    log.warning("inference job %s failed: %s", name, type(exc).__name__)
                future.set_exception(exc)
            finally:
                self.current_job = None
