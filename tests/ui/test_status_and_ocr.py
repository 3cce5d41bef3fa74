"""The status bar shows running work with a working Cancel; photos of notes go through OCR."""

from __future__ import annotations

import time

from PIL import Image, ImageDraw, ImageFont

from desktop.ui.import_actions import NOTE
from tests.ui.conftest import wait_idle
from tests.ui.test_workspace import add_patient


def test_status_bar_cancel_stops_the_running_job(qtbot, workspace_window):
    window = workspace_window
    outcome: list[str] = []

    def slow(ctx):
        for _ in range(600):
            ctx.cancel.raise_if_cancelled()
            ctx.progress(0.5, "half way")
            time.sleep(0.05)

    window.jobs.run(slow, label="Reading a long scan", on_cancelled=lambda: outcome.append("x"))
    qtbot.waitUntil(lambda: window.job_status.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: "half way" in window.job_status.label.text(), timeout=5000)
    assert window.job_status.label.text().startswith("Reading a long scan")
    window.job_status.cancel.click()
    qtbot.waitUntil(lambda: outcome == ["x"], timeout=5000)
    qtbot.waitUntil(lambda: not window.job_status.isVisible(), timeout=5000)


def test_photo_of_a_paper_note_is_read_by_ocr(qtbot, workspace_window, monkeypatch, tmp_path,
                                              vault):
    pid = add_patient(qtbot, workspace_window, monkeypatch)
    photo = Image.new("L", (1400, 260), 255)
    draw = ImageDraw.Draw(photo)
    font = ImageFont.load_default(size=56)
    draw.text((40, 40), "Chest pain for two days.", fill=0, font=font)
    draw.text((40, 140), "No fever. Plan: ECG today.", fill=0, font=font)
    path = tmp_path / "paper-note.png"
    photo.save(path)
    ws = workspace_window.workspace
    ws.import_files([(path, NOTE)])
    qtbot.waitUntil(lambda: ws.chart.note_view.note_id is not None, timeout=60_000)
    text = ws.chart.note_view.text.toPlainText().lower()
    assert "chest pain" in text and "fever" in text
    assert vault.list_notes(pid)[0].kind == "ocr"
    wait_idle(qtbot, workspace_window)
