"""The inference worker: priorities, cancellation before start, failures that do not spread."""

from __future__ import annotations

import threading

import pytest

from desktop.core.inference import InferenceWorker, Priority
from desktop.core.tasks import Cancelled, CancelToken


@pytest.fixture
def worker():
    w = InferenceWorker(name="test-inference")
    yield w
    w.shutdown()


def _block(worker: InferenceWorker) -> threading.Event:
    """Occupy the worker until the returned event is set."""
    release, started = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        release.wait(10)

    worker.submit(hold)
    assert started.wait(10)
    return release


def test_queued_jobs_run_by_priority_then_in_order(worker):
    release = _block(worker)
    order: list[str] = []
    futures = [
        worker.submit(lambda: order.append("background"), priority=Priority.BACKGROUND),
        worker.submit(lambda: order.append("normal-1"), priority=Priority.NORMAL),
        worker.submit(lambda: order.append("interactive"), priority=Priority.INTERACTIVE),
        worker.submit(lambda: order.append("normal-2"), priority=Priority.NORMAL),
    ]
    release.set()
    for f in futures:
        f.result(10)
    assert order == ["interactive", "normal-1", "normal-2", "background"]


def test_a_failing_job_returns_its_error_and_the_worker_carries_on(worker):
    def broken() -> None:
        raise ValueError("model exploded")

    with pytest.raises(ValueError, match="model exploded"):
        worker.run(broken)
    assert worker.run(lambda: 42) == 42


def test_a_job_cancelled_while_queued_never_runs(worker):
    release = _block(worker)
    token = CancelToken()
    ran: list[bool] = []
    future = worker.submit(lambda: ran.append(True), cancel=token)
    token.cancel()
    release.set()
    with pytest.raises(Cancelled):
        future.result(10)
    assert ran == []


def test_jobs_run_on_the_worker_thread_and_nested_runs_do_not_deadlock(worker):
    def outer() -> str:
        return worker.run(lambda: threading.current_thread().name)

    assert worker.run(outer, priority=Priority.INTERACTIVE) == "test-inference"
