"""GUI fixtures: the real MainWindow on the test's own data dir and real vault."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog

from desktop.core.config import Settings, load_settings
from desktop.ui.app import create_application
from desktop.ui.main_window import MainWindow
from desktop.ui.patient_editor import PatientEditor


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def make_window(qtbot: Any, settings: Settings) -> Iterator[Any]:
    """``make_window(**kwargs) -> MainWindow`` styled like the real app, closed afterwards."""
    create_application()
    made: list[MainWindow] = []

    def make(**kwargs: Any) -> MainWindow:
        window = MainWindow(settings, **kwargs)
        qtbot.addWidget(window)
        window.show()
        made.append(window)
        return window

    yield make
    for window in made:
        window.lock()
        window.jobs.cancel_all()
        window.jobs.wait_for_done(20_000)
        window.runtimes.close()


@pytest.fixture
def workspace_window(qtbot: Any, make_window: Any, vault: Any) -> MainWindow:
    """A window already unlocked on the ``vault`` fixture, patient list loaded."""
    window = make_window()
    window.open_session(vault)
    qtbot.waitUntil(lambda: not window.jobs.active_jobs, timeout=10_000)
    return window


def answer_patient_dialog(monkeypatch: pytest.MonkeyPatch, **fields: str) -> None:
    """Make the next PatientEditor dialogs fill in ``fields`` and press Save."""

    def fake_exec(dialog: PatientEditor) -> int:
        for name, value in fields.items():
            if name == "sex":
                dialog.sex.setCurrentText(value)
            else:
                getattr(dialog, name).setText(value)
        dialog._check_and_accept()
        return int(dialog.result()) if dialog.result() else QDialog.DialogCode.Rejected

    monkeypatch.setattr(PatientEditor, "exec", fake_exec)


def wait_idle(qtbot: Any, window: MainWindow, timeout: int = 20_000) -> None:
    qtbot.waitUntil(lambda: not window.jobs.active_jobs, timeout=timeout)


def all_widget_text() -> str:
    """Every piece of text any live widget holds (to prove a lock cleared patient data)."""
    import shiboken6
    from PySide6.QtWidgets import (
        QAbstractButton,
        QApplication,
        QComboBox,
        QLabel,
        QLineEdit,
        QListWidget,
        QPlainTextEdit,
        QTableWidget,
        QTextEdit,
        QTreeWidget,
        QTreeWidgetItemIterator,
    )

    parts: list[str] = []
    for widget in QApplication.allWidgets():
        if not shiboken6.isValid(widget):
            continue
        parts.append(widget.windowTitle())
        if isinstance(widget, (QLabel, QLineEdit, QAbstractButton)):
            parts.append(widget.text())
        elif isinstance(widget, (QPlainTextEdit, QTextEdit)):
            parts.append(widget.toPlainText())
        elif isinstance(widget, QListWidget):
            parts += [widget.item(i).text() for i in range(widget.count())]
        elif isinstance(widget, QComboBox):
            parts += [widget.itemText(i) for i in range(widget.count())]
        elif isinstance(widget, QTableWidget):
            parts += [widget.item(r, c).text() for r in range(widget.rowCount())
                      for c in range(widget.columnCount()) if widget.item(r, c)]
        elif isinstance(widget, QTreeWidget):
            iterator = QTreeWidgetItemIterator(widget)
            while iterator.value():
                item = iterator.value()
                parts += [item.text(c) for c in range(item.columnCount())]
                iterator += 1
    return "\n".join(parts)
