"""Locking, by hand and after idle time, leaves no patient data in the window."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.ui.conftest import all_widget_text, wait_idle
from tests.ui.test_workspace import add_patient

SECRET_NOTE = "Patient reports intermittent palpitations since the wedding in Lisbon."


def open_chart(qtbot, window, monkeypatch) -> None:
    add_patient(qtbot, window, monkeypatch, "Zebedee Quill")
    ws = window.workspace
    ws.add_pasted_note(SECRET_NOTE)
    qtbot.waitUntil(lambda: ws.chart.note_view.note_id is not None, timeout=10_000)
    assert "Zebedee Quill" in all_widget_text()
    assert "Lisbon" in all_widget_text()


def test_lock_clears_patient_data_and_vault(qtbot, workspace_window, monkeypatch, vault):
    window = workspace_window
    open_chart(qtbot, window, monkeypatch)
    window.actions["lock"].trigger()
    qtbot.wait(50)  # let Qt delete the old workspace
    wait_idle(qtbot, window)
    assert window.workspace is None
    assert window.stack.currentWidget() is window.unlock_screen
    text = all_widget_text()
    assert "Zebedee" not in text
    assert "Lisbon" not in text
    assert vault.is_locked
    assert not window.actions["new_patient"].isEnabled()


def test_idle_auto_lock(qtbot, make_window, vault, monkeypatch):
    window = make_window(idle_ms=1500)
    window.open_session(vault)
    wait_idle(qtbot, window)
    open_chart(qtbot, window, monkeypatch)
    qtbot.waitUntil(lambda: window.workspace is None, timeout=10_000)
    assert "without activity" in window.unlock_screen.message.text()
    assert "Zebedee" not in all_widget_text()
    wait_idle(qtbot, window)
    assert vault.is_locked


def test_activity_postpones_auto_lock(qtbot, make_window, vault):
    window = make_window(idle_ms=600)
    window.open_session(vault)
    search = window.workspace.patients.search
    for _ in range(6):
        qtbot.keyClick(search, Qt.Key.Key_A)
        qtbot.wait(200)
    assert window.workspace is not None
    qtbot.waitUntil(lambda: window.workspace is None, timeout=5000)


def test_idle_lock_closes_an_open_dialog_without_saving(qtbot, make_window, vault):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.ui.patient_editor import PatientEditor

    window = make_window(idle_ms=1500)
    window.open_session(vault)
    wait_idle(qtbot, window)
    typed: list[bool] = []

    def type_into_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, PatientEditor):
            QTimer.singleShot(20, type_into_dialog)
            return
        dialog.name.setText("Yolanda Secretname")
        typed.append(True)

    QTimer.singleShot(0, type_into_dialog)
    QTimer.singleShot(0, window.actions["new_patient"].trigger)  # runs the real dialog
    qtbot.waitUntil(lambda: bool(typed), timeout=5000)
    qtbot.waitUntil(lambda: window.workspace is None, timeout=10_000)
    qtbot.wait(50)
    wait_idle(qtbot, window)
    assert "Secretname" not in all_widget_text()
    assert vault.is_locked
