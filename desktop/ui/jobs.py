"""The one way the GUI runs work off its thread (like Picard's ``run_task``).

Every import, parse, analysis and vault call that may take time goes through
``JobRunner.run``: the work function runs on a ``QThreadPool`` with a ``JobContext``
(cancel token, progress, streamed text); its result or error comes back on the main
thread through Qt signals. ``ClinicDeskError`` messages are shown as they are; anything
else is logged (type and stack only — never the exception text, which may hold patient
content) and shown as "Something went wrong; nothing was lost".
"""

from __future__ import annotations

import logging
import threading
import traceback
import uuid
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal, Slot

from desktop.core.errors import ClinicDeskError
from desktop.core.logging_setup import safe
from desktop.core.tasks import Cancelled, CancelToken

log = logging.getLogger(__name__)

RELEASE_DELAY_MS = 1000
UNEXPECTED_MESSAGE = (
    "Something went wrong; nothing was lost. The details were written to the log for IT "
    "(reference {ref})."
)


class JobContext:
    """Handed to the work function on the worker thread."""

    def __init__(self, job: Job) -> None:
        self._job = job
        self.cancel: CancelToken = job.token

    def progress(self, fraction: float, message: str = "") -> None:
        """A ``ProgressFn``: pass it as ``progress=ctx.progress`` to core functions."""
        self._job._from_worker_progress.emit(float(fraction), str(message))

    def stream(self, text: str) -> None:
        """Pass as ``on_token=ctx.stream`` to show generated text as it arrives."""
        self._job._from_worker_stream.emit(str(text))


def describe_unexpected(exc: BaseException) -> str:
    """Log an unexpected error without its message; return the text to show the user."""
    ref = uuid.uuid4().hex[:8]
    frames = traceback.extract_tb(exc.__traceback__)
    stack = "; ".join(f"{f.filename}:{f.lineno} in {f.name}" for f in frames)
    # Type, ref and code locations hold no patient content; IT matches the ref the user
    # quotes to this line, so they must survive the log's redaction.
    log.error("unexpected %s (ref %s) at %s", safe(type(exc).__name__), safe(ref), safe(stack))
    return UNEXPECTED_MESSAGE.format(ref=ref)


class Job(QObject):
    """One background task. Signals are delivered on the main thread."""

    progressed = Signal(float, str)
    streamed = Signal(str)
    succeeded = Signal(object)
    failed = Signal(str)  # a message written for the user
    cancelled = Signal()
    finished = Signal()  # always last

    # Emitted from the worker thread; queued to this (main-thread) object.
    _from_worker_progress = Signal(float, str)
    _from_worker_stream = Signal(str)
    _from_worker_done = Signal(str, object)

    def __init__(self, label: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self.token = CancelToken()
        self.done = False
        self.outcome: str | None = None  # "ok" | "error" | "cancelled"
        self.error_message: str | None = None
        self._from_worker_progress.connect(self._relay_progress)
        self._from_worker_stream.connect(self._relay_stream)
        self._from_worker_done.connect(self._relay_done)

    def cancel(self) -> None:
        """Ask the work to stop at its next safe point."""
        self.token.cancel()

    @Slot(float, str)
    def _relay_progress(self, fraction: float, message: str) -> None:
        if not self.done:
            self.progressed.emit(fraction, message)

    @Slot(str)
    def _relay_stream(self, text: str) -> None:
        if not self.done:
            self.streamed.emit(text)

    @Slot(str, object)
    def _relay_done(self, outcome: str, payload: Any) -> None:
        if outcome == "ok" and self.token.cancelled:
            # Cancelled after the worker finished but before its result arrived (the window
            # locked meanwhile): the result is for widgets that are being torn down.
            outcome, payload = "cancelled", None
        self.done = True
        self.outcome = outcome
        if outcome == "ok":
            self.succeeded.emit(payload)
        elif outcome == "cancelled":
            self.cancelled.emit()
        else:
            self.error_message = str(payload)
            self.failed.emit(self.error_message)
        self.finished.emit()


class _WorkerCall:
    """The callable the pool runs; PySide wraps it in its own C++-owned runnable."""

    def __init__(self, job: Job, work: Callable[[JobContext], Any]) -> None:
        self._job = job
        self._work = work
        self.returned = threading.Event()

    def __call__(self) -> None:  # worker thread
        try:
            self._run()
        finally:
            self.returned.set()

    def _run(self) -> None:
        job = self._job
        try:
            job.token.raise_if_cancelled()
            result = self._work(JobContext(job))
        except Cancelled:
            job._from_worker_done.emit("cancelled", None)
        except ClinicDeskError as exc:
            job._from_worker_done.emit("error", str(exc))
        except Exception as exc:  # noqa: BLE001 — everything else is a bug, reported safely
            job._from_worker_done.emit("error", describe_unexpected(exc))
        else:
            if job.token.cancelled:
                job._from_worker_done.emit("cancelled", None)
            else:
                job._from_worker_done.emit("ok", result)


def _guard(owner: QObject | None, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Drop the callback if its owning widget was deleted (e.g. the window was locked)."""

    def call(*args: Any) -> None:
        if owner is not None and not shiboken6.isValid(owner):
            return
        fn(*args)

    return call


class JobRunner(QObject):
    """Starts jobs and tells the window what is running and what went wrong."""

    job_started = Signal(object)  # Job
    job_finished = Signal(object)  # Job
    error_reported = Signal(str)  # failures of jobs that have no own on_error

    def __init__(self, parent: QObject | None = None, max_threads: int = 4) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._active: list[Job] = []
        self._calls: dict[int, tuple[Job, _WorkerCall]] = {}

    @property
    def active_jobs(self) -> list[Job]:
        return list(self._active)

    def run(
        self,
        work: Callable[[JobContext], Any],
        *,
        label: str,
        on_success: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        on_progress: Callable[[float, str], None] | None = None,
        on_stream: Callable[[str], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_finished: Callable[[], None] | None = None,
        owner: QObject | None = None,
    ) -> Job:
        """Run ``work(ctx)`` in the background; callbacks run on the main thread.

        ``label`` is shown in the status bar (no patient content). Without ``on_error``
        the message goes to ``error_reported`` (the window's banner).
        """
        job = Job(label, self)
        if on_success:
            job.succeeded.connect(_guard(owner, on_success))
        job.failed.connect(_guard(owner, on_error) if on_error else self.error_reported.emit)
        if on_progress:
            job.progressed.connect(_guard(owner, on_progress))
        if on_stream:
            job.streamed.connect(_guard(owner, on_stream))
        if on_cancelled:
            job.cancelled.connect(_guard(owner, on_cancelled))
        if on_finished:
            job.finished.connect(_guard(owner, on_finished))
        job.finished.connect(lambda: self._finish(job))
        self._active.append(job)
        self.job_started.emit(job)
        call = _WorkerCall(job, work)
        self._calls[id(job)] = (job, call)
        self._pool.start(call)
        return job

    def _finish(self, job: Job) -> None:
        if job in self._active:
            self._active.remove(job)
        # The worker thread may still be inside the signal emission that delivered this;
        # the Job is only deleted well after its worker call has returned.
        QTimer.singleShot(RELEASE_DELAY_MS, self, lambda: self._release(id(job)))
        self.job_finished.emit(job)

    def _release(self, key: int) -> None:
        entry = self._calls.get(key)
        if entry is None:
            return
        job, call = entry
        if call.returned.is_set():
            del self._calls[key]
            job.deleteLater()
        else:
            QTimer.singleShot(RELEASE_DELAY_MS, self, lambda: self._release(key))

    def cancel_all(self) -> None:
        for job in self._active:
            job.cancel()

    def wait_for_done(self, msecs: int = 30_000) -> bool:
        """Block until worker threads end (shutdown and tests only)."""
        return self._pool.waitForDone(msecs)
