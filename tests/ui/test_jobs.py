"""The jobs module keeps the GUI thread free and turns errors into clinician messages."""

from __future__ import annotations

import logging
import re
import threading
import time

from PySide6.QtCore import QThread, QTimer

from desktop.core.config import Settings
from desktop.core.errors import InputError
from desktop.core.logging_setup import configure_logging, stop_logging
from desktop.ui.jobs import JobRunner


def test_result_arrives_on_main_thread(qtbot):
    runner = JobRunner()
    seen: dict[str, object] = {}

    def work(ctx):
        seen["worker"] = threading.get_ident()
        return 41 + 1

    def done(value):
        seen["value"] = value
        seen["on_main"] = QThread.currentThread() is runner.thread()

    job = runner.run(work, label="sum", on_success=done)
    qtbot.waitUntil(lambda: "value" in seen, timeout=5000)
    assert seen["value"] == 42
    assert seen["on_main"] is True
    assert seen["worker"] != threading.get_ident()
    assert job.outcome == "ok"


def test_main_thread_keeps_running_and_cancel_stops_a_long_job(qtbot):
    runner = JobRunner()
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    progress: list[str] = []
    ended: list[str] = []

    def long_work(ctx):
        for i in range(1000):  # ~30 s unless cancelled
            ctx.cancel.raise_if_cancelled()
            ctx.progress(i / 1000, f"step {i}")
            time.sleep(0.03)
        return "finished"

    job = runner.run(
        long_work,
        label="long",
        on_progress=lambda f, m: progress.append(m),
        on_success=lambda v: ended.append("ok"),
        on_cancelled=lambda: ended.append("cancelled"),
    )
    qtbot.wait(600)
    # The GUI thread kept serving its timer while the work ran.
    assert len(ticks) >= 10
    assert progress, "progress reached the main thread"
    job.cancel()
    qtbot.waitUntil(lambda: bool(ended), timeout=3000)
    assert ended == ["cancelled"]
    assert runner.active_jobs == []
    timer.stop()


def test_user_error_is_shown_as_written(qtbot):
    runner = JobRunner()
    reported: list[str] = []
    runner.error_reported.connect(reported.append)

    def bad(ctx):
        raise InputError("This file is not a readable PDF.")

    runner.run(bad, label="import")
    qtbot.waitUntil(lambda: bool(reported), timeout=5000)
    assert reported == ["This file is not a readable PDF."]


def test_unexpected_error_hides_details_and_logs_no_content(qtbot, caplog, tmp_path):
    # The app's redacting log file is on, as in a running app: the reference the user is
    # shown must still be in the log for IT to find.
    log_path = configure_logging(Settings(data_dir=tmp_path))
    runner = JobRunner()
    messages: list[str] = []
    secret = "Jane Doe has HIV"

    def buggy(ctx):
        raise ValueError(secret)

    with caplog.at_level(logging.ERROR):
        runner.run(buggy, label="analyse", on_error=messages.append)
        qtbot.waitUntil(lambda: bool(messages), timeout=5000)
    assert messages[0].startswith("Something went wrong; nothing was lost")
    assert secret not in messages[0]
    stop_logging()
    ref = re.search(r"reference (\w+)", messages[0]).group(1)
    logged = log_path.read_text(encoding="utf-8")
    for text in (caplog.text, logged):
        assert "ValueError" in text and ref in text
        assert secret not in text


def test_streamed_text_arrives_in_order(qtbot):
    runner = JobRunner()
    chunks: list[str] = []

    def gen(ctx):
        for word in ["The ", "patient ", "is ", "well."]:
            ctx.stream(word)
        return None

    job = runner.run(gen, label="stream", on_stream=chunks.append)
    qtbot.waitUntil(lambda: job.done, timeout=5000)
    assert "".join(chunks) == "The patient is well."
